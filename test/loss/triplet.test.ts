import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setKernelBackend } from '../../src/kernels/index.js';
import { TripletLoss } from '../../src/loss/triplet.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator } from '../../src/ndarray/random.js';
import { assertFusedGradients, assertSecondDerivative, lossAndGradients } from './_closure-checks.js';
import { assertClose, assertConformance, f32, f64 } from './_elementwise-checks.js';

const NAME = 'TripletLoss';

/** Random float64 points. */
function points(seed: number, shape: number[]): NDArray {
  return normal(0, 1, shape, { dtype: 'float64', generator: new RandomGenerator(seed) });
}

/** s_n + margin for every sample, by the textbook formula (batch axis `axis`). */
function gaps(pred: NDArray, positive: NDArray, negative: NDArray, margin: number, axis = 0): number[] {
  const batch = pred.shape[axis]!;
  const inner = pred.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Array<number>(batch).fill(margin);
  for (let k = 0; k < pred.size; k++) {
    const n = Math.floor(k / inner) % batch;
    out[n]! += (positive.data[k]! - pred.data[k]!) ** 2 - (negative.data[k]! - pred.data[k]!) ** 2;
  }
  return out;
}

describe('TripletLoss', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      assertConformance(`cases/${NAME}.json`, dtype);
      assertConformance('kinks.json', dtype, NAME);
    });
  }

  test('MXNet 2.0 test_loss_ndarray sums: 6, 1 (weight 0.25), 1.5 (sampleWeight)', () => {
    for (const make of [f32, f64]) {
      const pred = make([1, 2, 3, 4]);
      const label = make([1, 3, 5, 7]);
      const negative = label.neg();
      const total = (out: NDArray) => Array.from(out.data).reduce((s, v) => s + v, 0);
      assert.equal(total(new TripletLoss({ margin: 10 }).forward(pred, label, negative)), 6);
      assert.equal(total(new TripletLoss({ margin: 8, weight: 0.25 }).forward(pred, label, negative)), 1);
      assert.equal(
        total(new TripletLoss({ margin: 7 }).forward(pred, label, negative, make([0.5, 1, 0.5, 1]))),
        1.5,
      );
      // Per sample: relu(−4 · pos · pred + margin) = [6, 0, 0, 0].
      assert.deepEqual(
        Array.from(new TripletLoss({ margin: 10 }).forward(pred, label, negative).data),
        [6, 0, 0, 0],
      );
    }
  });

  test('the squared distances are summed (not averaged) over every non-batch axis, for any batch axis', () => {
    const pred = points(1, [2, 4, 3]);
    const positive = points(2, [2, 4, 3]);
    const negative = points(3, [2, 4, 3]);
    for (const [batchAxis, axis] of [
      [0, 0],
      [1, 1],
      [-1, 2],
    ] as const) {
      const out = new TripletLoss({ margin: 2, batchAxis }).forward(pred, positive, negative);
      assert.deepEqual(out.shape, [pred.shape[axis]]);
      const expected = gaps(pred, positive, negative, 2, axis).map((g) => Math.max(g, 0));
      assertClose(out.data, expected, 1e-14, 1e-15, `batchAxis ${batchAxis}`);
    }
  });

  test('gradients: fused vs finite differences vs twin, across options and shapes', () => {
    const configurations: {
      options: { margin?: number; weight?: number; batchAxis?: number };
      shape: number[];
      seed: number;
      weight?: NDArray;
    }[] = [
      { options: {}, shape: [4, 3], seed: 4 },
      { options: { margin: 0.3, weight: 1.5 }, shape: [5, 2], seed: 5 },
      { options: { margin: 2, batchAxis: 1 }, shape: [2, 4, 3], seed: 6 },
      { options: { margin: 1.5 }, shape: [4, 2, 2], seed: 7, weight: f64([0.5, 2, 1, 3]) },
      { options: {}, shape: [6], seed: 8, weight: f64([2]) },
    ];
    for (const { options, shape, seed, weight } of configurations) {
      const pred = points(seed, shape);
      const positive = points(seed + 100, shape);
      const negative = points(seed + 200, shape);
      const margin = options.margin ?? 1;
      const axis = options.batchAxis ?? 0;
      const all = gaps(pred, positive, negative, margin, axis);
      assert.ok(
        all.every((g) => Math.abs(g) > 0.05),
        `seed ${seed} keeps away from the kink: ${all}`,
      );
      assert.ok(
        all.some((g) => g > 0),
        `seed ${seed} has an active sample`,
      );
      assertFusedGradients(new TripletLoss(options), ([a, p, n]) => [a!, p!, n!, weight ?? null], [
        pred,
        positive,
        negative,
      ]);
    }
    // The positive given flat and reshaped like pred.
    const pred = points(9, [3, 2]);
    assertFusedGradients(new TripletLoss({ margin: 3 }), ([a, p, n]) => [a!, p!, n!], [
      pred,
      points(10, [6]),
      points(11, [3, 2]),
    ]);
  });

  test('second derivatives through autograd.grad({ createGraph }) match finite differences', () => {
    const inputs = [points(12, [3, 2]), points(13, [3, 2]), points(14, [3, 2])];
    const loss = new TripletLoss({ margin: 4 });
    assert.ok(
      gaps(inputs[0]!, inputs[1]!, inputs[2]!, 4).every((g) => g > 0.05),
      'all samples active',
    );
    assertSecondDerivative(loss, ([a, p, n]) => [a!, p!, n!], inputs, 0, 0);
    assertSecondDerivative(loss, ([a, p, n]) => [a!, p!, n!], inputs, 0, 1);
  });

  test('gradient formulas: 2(neg − pos), 2(pos − pred), 2(pred − neg) where active, exactly 0 elsewhere', () => {
    const pred = f64([
      [0, 0],
      [1, 1],
    ]);
    const positive = f64([
      [1, 0],
      [1, 1],
    ]);
    const negative = f64([
      [0, 3],
      [1, 2],
    ]);
    // Sample 0: s = 1 − 9 = −8, inactive for margin 1; sample 1: s = 0 − 1, +margin 1 = 0: the kink.
    const { loss, grads } = lossAndGradients(new TripletLoss(), ([a, p, n]) => [a!, p!, n!], [
      pred,
      positive,
      negative,
    ]);
    assert.deepEqual(Array.from(loss.data), [0, 0]);
    for (const g of grads) assert.deepEqual(Array.from(g.data, Math.abs), [0, 0, 0, 0]);
    const active = lossAndGradients(new TripletLoss({ margin: 10 }), ([a, p, n]) => [a!, p!, n!], [
      pred,
      positive,
      negative,
    ]);
    assert.deepEqual(Array.from(active.loss.data), [2, 9]);
    assertClose(active.grads[0]!.data, [-2, 6, 0, 2], 0, 0, 'pred');
    assertClose(active.grads[1]!.data, [2, 0, 0, 0], 0, 0, 'positive');
    assertClose(active.grads[2]!.data, [0, -6, 0, -2], 0, 0, 'negative');
  });

  test('extreme inputs: finite at ±1e30; −∞ distances switch a sample off cleanly; NaN stays in its sample', () => {
    for (const big of [88, 1e4, 1e30]) {
      const inputs = [
        f64([
          [big, -big],
          [0.5, 0],
        ]),
        f64([
          [-big, big],
          [0, 0],
        ]),
        f64([
          [0, 0],
          [2, 2],
        ]),
      ];
      const { loss, grads } = lossAndGradients(new TripletLoss(), ([a, p, n]) => [a!, p!, n!], inputs);
      assertClose(loss.data, [8 * big * big - 2 * big * big + 1, 0], 1e-15, 0, `loss ±${big}`);
      assert.ok(
        grads.every((g) => Array.from(g.data).every(Number.isFinite)),
        `gradients ±${big}`,
      );
    }
    const pred = f64([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    const positive = f64([
      [1, 1],
      [1, 1],
      [Number.NaN, 1],
    ]);
    const negative = f64([
      [Number.POSITIVE_INFINITY, 0],
      [0, 0],
      [0, 0],
    ]);
    const { loss, grads } = lossAndGradients(new TripletLoss(), ([a, p, n]) => [a!, p!, n!], [
      pred,
      positive,
      negative,
    ]);
    assert.equal(loss.data[0], 0, 'an infinitely far negative: inactive');
    assert.equal(loss.data[1], 3);
    assert.ok(Number.isNaN(loss.data[2]!));
    for (const g of grads) {
      assert.deepEqual(
        Array.from(g.data.subarray(0, 2), Math.abs),
        [0, 0],
        'inactive sample: zero, not 0 · ∞',
      );
      assert.ok(Array.from(g.data.subarray(2, 4)).every(Number.isFinite), 'the clean sample');
      assert.ok(Array.from(g.data.subarray(4)).every(Number.isNaN), 'the NaN sample');
    }
    const infinite = new TripletLoss().forward(
      f64([[0, 0]]),
      f64([[Number.POSITIVE_INFINITY, 0]]),
      f64([[1, 0]]),
    );
    assert.equal(infinite.data[0], Number.POSITIVE_INFINITY);
  });

  test('an anchor far from both points: the true ℓ on every path and backend, not rounding noise', () => {
    // a = 1e30 and p, q near 0: (p − a)² and (q − a)² both round to a², so the difference of
    // squares gives 0 and ℓ = margin; the true term (p − q) · (p + q − 2a) is ±2e30 per element.
    const backends = ['wasm', 'js'] as const;
    try {
      for (const backend of backends) {
        setKernelBackend(backend);
        for (const make of [f32, f64]) {
          const rows = () => [
            make([
              [1e30, 1e30, 1e30, 1e30, 0],
              [1e30, 1e30, 1e30, 1e30, 0],
            ]),
            make([
              [1, 2, 1, 2, 0.5],
              [2, 3, 2, 3, 0.5],
            ]),
            make([
              [2, 3, 2, 3, 0.25],
              [1, 2, 1, 2, 0.25],
            ]),
          ];
          const [a, p, q] = rows();
          // Row 0: Σ (p − q)(p + q − 2a) = 4 · 2e30 (less 12) plus 0.1875; row 1: −8e30, inactive.
          const expected = [8e30, 0];
          const unrecorded = new TripletLoss().forward(a!, p!, q!);
          const { loss, grads } = lossAndGradients(new TripletLoss(), ([x, y, z]) => [x!, y!, z!], rows());
          const where = `${backend} ${a!.dtype}`;
          assertClose(unrecorded.data, expected, 1e-6, 0, `${where} unrecorded`);
          assertClose(loss.data, expected, 1e-6, 0, `${where} recorded`);
          // The anchor's gradient 2(q − p) on the active row, exact zeros on the inactive one.
          assert.deepEqual(
            Array.from(grads[0]!.data),
            [2, 2, 2, 2, -0.5, 0, 0, 0, 0, 0],
            `${where} gradient`,
          );
        }
      }
    } finally {
      setKernelBackend('auto');
    }
  });

  test('terms that cancel below their rounding: the exact ℓ and branch on every path, backend, dtype and batch axis', () => {
    // margin −0.5. Sample 0: (2^100)² + (2^40 − 2^100)(2^40 + 2^100) = 2^80 exactly, 0 in float64
    // (the two ~2^200 terms cancel below their rounding). Sample 1: 4097² − 4096 · 4098 = 1, 0 in
    // float32 terms (4097² rounds to 4096 · 4098). Sample 2: 2^200 − 2^200, exactly 0: inactive.
    // Sample 3: an ordinary active sample. Computed as summed, samples 0 and 1 were inactive.
    const big = 2 ** 100;
    const anchor = [
      [0, 0],
      [0, 0],
      [0, 0],
      [1, 2],
    ];
    const positive = [
      [big, 2 ** 40],
      [4097, 1],
      [big, 0],
      [2, 2],
    ];
    const negative = [
      [0, big],
      [0, 4097],
      [0, big],
      [1, 2],
    ];
    const expected = [2 ** 80, 0.5, 0, 0.5];
    const transpose = (rows: number[][]) => rows[0]!.map((_, j) => rows.map((row) => row[j]!));
    try {
      for (const backend of ['wasm', 'js'] as const) {
        setKernelBackend(backend);
        for (const make of [f32, f64]) {
          for (const batchAxis of [0, 1]) {
            const layout = (rows: number[][]) => make(batchAxis === 0 ? rows : transpose(rows));
            const inputs = () => [layout(anchor), layout(positive), layout(negative)];
            const loss = new TripletLoss({ margin: -0.5, batchAxis });
            const where = `${backend} ${make === f32 ? 'float32' : 'float64'} batchAxis ${batchAxis}`;
            assert.deepEqual(Array.from(loss.forward(...inputs()).data), expected, `${where} unrecorded`);
            // 2(q − p) where active, exact zeros where not.
            const round = make === f32 ? Math.fround : (x: number) => x;
            const slopes = [
              [-2 * big, round(2 * (big - 2 ** 40))],
              [-8194, 8192],
              [0, 0],
              [-2, 0],
            ];
            const want = batchAxis === 0 ? slopes.flat() : transpose(slopes).flat();
            // Every input differentiated (the block path), then the anchor alone (the one-pass
            // kernels where the batch axis leads).
            const all = lossAndGradients(loss, ([x, y, z]) => [x!, y!, z!], inputs());
            const [a, p, q] = inputs();
            const anchorOnly = lossAndGradients(loss, ([x]) => [x!, p!, q!], [a!]);
            for (const [path, recorded] of [
              ['all inputs', all],
              ['anchor only', anchorOnly],
            ] as const) {
              assert.deepEqual(Array.from(recorded.loss.data), expected, `${where} recorded, ${path}`);
              assert.deepEqual(Array.from(recorded.grads[0]!.data), want, `${where} gradient, ${path}`);
            }
          }
        }
      }
    } finally {
      setKernelBackend('auto');
    }
  });

  test('errors: element counts, a growing sampleWeight, axes, options', () => {
    const x = points(15, [4, 2]);
    const loss = new TripletLoss();
    assert.throws(
      () => loss.forward(x, points(16, [4, 3]), x),
      (e: Error) => e instanceof ShapeError && /TripletLoss.*positive/.test(e.message),
    );
    assert.throws(
      () => loss.forward(x, x, points(17, [7])),
      (e: Error) => e instanceof ShapeError && /negative/.test(e.message),
    );
    assert.throws(() => loss.forward(x, x, x, f64([[1], [1], [1], [1]])), ShapeError);
    assert.throws(() => new TripletLoss({ batchAxis: 2 }).forward(x, x, x), ShapeError);
    assert.throws(() => loss.forward(f64(1), f64(1), f64(1)), ShapeError);
    assert.throws(
      () => loss.forward(x, x),
      (e: Error) => e instanceof ValueError && /negative is required/.test(e.message),
    );
    assert.throws(() => new TripletLoss({ margin: Number.POSITIVE_INFINITY }), ValueError);
  });
});
