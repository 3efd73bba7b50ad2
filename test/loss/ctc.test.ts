import { sampleInputs } from './_sample-inputs.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { grad, record } from '../../src/autograd/index.js';
import { type CaseFile, runFile } from '../../src/conformance/run.js';
import { CTCLoss, type CTCLossOptions } from '../../src/loss/ctc.js';
import { array, ones } from '../../src/ndarray/create.js';
import type { DType } from '../../src/ndarray/dtype.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator } from '../../src/ndarray/random.js';
import { checkGradient } from '../../src/testing/gradcheck.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { CONFORMANCE } from './_elementwise-checks.js';

/** The shared conformance cases (under GLOSS_SHARED when set, so a git worktree finds them too). */
const CASES = `${CONFORMANCE}/cases/CTCLoss.json`;

const f64 = (values: unknown) => array(values as number[], { dtype: 'float64' });
const i32 = (values: unknown) => array(values as number[], { dtype: 'int32' });

/** Loss values and the gradient w.r.t. pred (of Σ loss, or Σ headGrad·loss). */
function lossAndGradient(loss: CTCLoss, inputs: readonly (NDArray | null)[], headGrad?: NDArray) {
  const pred = inputs[0]!;
  pred.attachGrad();
  const out = record(() => loss.forward(...inputs));
  const [dPred] = grad(out, [pred], headGrad ? { headGrads: headGrad } : {});
  return { loss: Array.from(out.data), grad: dPred! };
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(e)) {
      assert.ok(
        Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)),
        `${what}[${i}]: got ${a}, expected ${e}`,
      );
    } else {
      assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: got ${a}, expected ${e}`);
    }
  }
}

/** log-softmax of one frame, in float64. */
function logSoftmaxRow(row: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(row));
  const lse = m + Math.log(Array.from(row).reduce((s, v) => s + Math.exp(v - m), 0));
  return Array.from(row, (v) => v - lse);
}

/** Random NTC logits of `shape` in float64 (or `dtype`). */
function logits(seed: number, shape: number[], scale = 1, dtype: DType = 'float64'): NDArray {
  return normal(0, scale, shape, { dtype, generator: new RandomGenerator(seed) });
}

describe('CTCLoss', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      const file = JSON.parse(readFileSync(CASES, 'utf8')) as CaseFile;
      const results = runFile(file, dtype);
      const failed = results.filter((r) => !r.passed).map((r) => `${r.id}: ${r.message}`);
      assert.deepEqual(failed, []);
      assert.ok(results.length >= 35, `only ${results.length} cases ran`);
    });
  }

  test('MXNet test_ctc_loss: all six calls give [18.82820702, 16.50581741]', () => {
    const expected = [18.82820702, 16.50581741];
    const check = (out: NDArray, what: string) => {
      assert.deepEqual(out.shape, [2]);
      // MXNet's assert_almost_equal default for float32 (|a − b| ≤ 1e-3 + 1e-4·|b|) ...
      assertClose(out.data, expected, 1e-4, 1e-3, what);
      // ... and the float64 reference values, tightly.
      if (out.dtype === 'float64')
        assertClose(out.data, [18.8282049089, 16.5058171887], 1e-10, 0, `${what} (float64)`);
    };
    // Calls 4–6 of the MXNet test use the label 3 with C = 4, which is the blank; MXNet accepts
    // it (with uniform activations only the label length and the repeats matter) but gloss
    // rejects it (DECISIONS 13a). Here 3 becomes 0, which keeps the lengths and the repeats.
    for (const dtype of ['float32', 'float64'] as const) {
      const labels = [
        [1, 0, -1, -1],
        [2, 1, 1, -1],
      ];
      const transposed = [
        [1, 2],
        [0, 1],
        [-1, 1],
        [-1, -1],
      ];
      check(new CTCLoss().forward(ones([2, 20, 4], { dtype }), array(labels, { dtype })), `1 ${dtype}`);
      check(
        new CTCLoss({ layout: 'TNC' }).forward(ones([20, 2, 4], { dtype }), array(labels, { dtype })),
        `2 ${dtype}`,
      );
      check(
        new CTCLoss({ layout: 'TNC', labelLayout: 'TN' }).forward(
          ones([20, 2, 4], { dtype }),
          array(transposed, { dtype }),
        ),
        `3 ${dtype}`,
      );
      check(
        new CTCLoss().forward(
          ones([2, 20, 4], { dtype }),
          array(
            [
              [2, 1, 2, 2],
              [0, 2, 2, 2],
            ],
            { dtype },
          ),
          null,
          array([2, 3], { dtype }),
        ),
        `4 ${dtype}`,
      );
      check(
        new CTCLoss().forward(
          ones([2, 25, 4], { dtype }),
          array(
            [
              [2, 1, -1, -1],
              [0, 2, 2, -1],
            ],
            { dtype },
          ),
          array([20, 20], { dtype }),
        ),
        `5 ${dtype}`,
      );
      check(
        new CTCLoss().forward(
          ones([2, 25, 4], { dtype }),
          array(
            [
              [2, 1, 3, 3],
              [0, 2, 2, 3],
            ],
            { dtype },
          ),
          array([20, 20], { dtype }),
          array([2, 3], { dtype }),
        ),
        `6 ${dtype}`,
      );
    }
    // The literal MXNet labels of calls 4–6 hold the blank inside the used part: a ValueError.
    assert.throws(
      () =>
        new CTCLoss().forward(
          ones([2, 20, 4]),
          array([
            [2, 1, 2, 2],
            [3, 2, 2, 2],
          ]),
          null,
          array([2, 3]),
        ),
      ValueError,
    );
    assert.throws(
      () =>
        new CTCLoss().forward(
          ones([2, 25, 4]),
          array([
            [2, 1, -1, -1],
            [3, 2, 2, -1],
          ]),
          array([20, 20]),
        ),
      ValueError,
    );
  });

  test('T equal to the label length with distinct labels: exactly one path', () => {
    const pred = logits(1, [2, 4, 6]);
    const label = i32([
      [0, 3, 1, 4],
      [2, 1, 0, 3],
    ]);
    const { loss, grad: dPred } = lossAndGradient(new CTCLoss(), [pred, label]);
    for (let b = 0; b < 2; b++) {
      let expected = 0;
      for (let t = 0; t < 4; t++) {
        const row = logSoftmaxRow(pred.data.subarray((b * 4 + t) * 6, (b * 4 + t + 1) * 6));
        const target = label.data[b * 4 + t]!;
        expected -= row[target]!;
        // One path: γ is the one-hot of the label at every frame, so the gradient is softmax − onehot.
        const gradRow = Array.from(dPred.data.subarray((b * 4 + t) * 6, (b * 4 + t + 1) * 6));
        assertClose(
          gradRow,
          row.map((v, k) => Math.exp(v) - (k === target ? 1 : 0)),
          1e-12,
          1e-14,
          `grad b${b} t${t}`,
        );
      }
      assertClose([loss[b]!], [expected], 1e-13, 0, `loss ${b}`);
    }
  });

  test('empty label: −Σ_t log p_t(blank), for either blank', () => {
    const pred = logits(2, [1, 5, 3]);
    let expectedLast = 0;
    let expectedFirst = 0;
    for (let t = 0; t < 5; t++) {
      const row = logSoftmaxRow(pred.data.subarray(t * 3, t * 3 + 3));
      expectedLast -= row[2]!;
      expectedFirst -= row[0]!;
    }
    assertClose(new CTCLoss().forward(pred, i32([[-1, -1]])).data, [expectedLast], 1e-13, 0, 'blank last');
    assertClose(
      new CTCLoss({ blankLabel: 'first' }).forward(pred, i32([[0, 2]])).data,
      [expectedFirst],
      1e-13,
      0,
      'blank first',
    );
    assertClose(
      new CTCLoss().forward(pred, i32([[1, 1]]), null, i32([0])).data,
      [expectedLast],
      1e-13,
      0,
      'labelLengths 0',
    );
    // No frames and no label: probability 1.
    assertClose(new CTCLoss().forward(pred, i32([[-1, -1]]), i32([0])).data, [0], 0, 0, 'no frames');
  });

  test('blankLabel first equals blankLabel last with the classes rotated', () => {
    const pred = logits(3, [2, 7, 4]);
    const rotated = f64(
      Array.from({ length: 2 * 7 }, (_, r) => [1, 2, 3, 0].map((k) => pred.data[r * 4 + k]!)),
    ).reshape([2, 7, 4]);
    // class k (blank first) is class k − 1 (blank last); blank 0 becomes blank 3.
    const last = lossAndGradient(new CTCLoss(), [
      rotated,
      i32([
        [0, 0, 2],
        [1, -1, -1],
      ]),
    ]);
    const first = lossAndGradient(new CTCLoss({ blankLabel: 'first' }), [
      pred,
      i32([
        [1, 1, 3],
        [2, 0, 0],
      ]),
    ]);
    assertClose(first.loss, last.loss, 1e-13, 0, 'loss');
    const back = Array.from({ length: 2 * 7 }, (_, r) =>
      [3, 0, 1, 2].map((k) => last.grad.data[r * 4 + k]!),
    ).flat();
    assertClose(first.grad.data, back, 1e-12, 1e-14, 'grad');
  });

  test('gradients match finite differences (float64), with lengths, layouts and sampleWeight', () => {
    const cases: [CTCLossOptions, (NDArray | null)[]][] = [
      [
        {},
        [
          logits(4, [2, 6, 4]),
          i32([
            [0, 1, 1],
            [2, -1, -1],
          ]),
        ],
      ],
      [
        {},
        [
          logits(5, [3, 5, 3]),
          i32([
            [0, 1],
            [1, 1],
            [0, -1],
          ]),
          i32([5, 3, 2]),
          null,
          f64([0.5, 2, -1]),
        ],
      ],
      [
        { layout: 'TNC', labelLayout: 'TN', weight: 1.5 },
        [
          logits(6, [6, 2, 4]),
          i32([
            [2, 1],
            [0, 1],
            [0, 2],
          ]),
          null,
          i32([3, 1]),
        ],
      ],
      [
        { blankLabel: 'first' },
        [
          logits(7, [2, 5, 4]),
          i32([
            [3, 3, 0],
            [1, 2, 3],
          ]),
          i32([4, 5]),
        ],
      ],
    ];
    for (const [options, inputs] of cases) {
      const loss = new CTCLoss(options);
      const positions = inputs.map((x) => x !== null);
      const given = inputs.filter((x): x is NDArray => x !== null);
      const f = (...xs: NDArray[]) => {
        let k = 0;
        return loss.forward(...positions.map((p) => (p ? xs[k++]! : null)));
      };
      const result = checkGradient(f, given, { rtol: 1e-6, atol: 1e-8 });
      assert.ok(result.ok, `${JSON.stringify(options)}: worst ${result.worst}`);
      assert.ok(
        result.analytic[0]!.some((v) => Math.abs(v) > 1e-3),
        'the gradient is not trivially zero',
      );
    }
  });

  test('the fused loss equals the composed twin (values and gradients)', () => {
    const cases: [CTCLossOptions, (NDArray | null)[]][] = [
      [
        {},
        [
          logits(8, [3, 9, 5]),
          i32([
            [0, 1, 1, 2],
            [3, 3, -1, -1],
            [-1, -1, -1, -1],
          ]),
        ],
      ],
      [
        { layout: 'TNC' },
        [
          logits(9, [8, 3, 4]),
          i32([
            [0, 1, 2],
            [2, 2, 2],
            [1, -1, -1],
          ]),
          i32([8, 6, 1]),
        ],
      ],
      [
        { labelLayout: 'TN', blankLabel: 'first' },
        [
          logits(10, [2, 7, 4]),
          i32([
            [1, 3],
            [1, 2],
            [2, 0],
          ]),
          null,
          i32([3, 2]),
        ],
      ],
      [
        { zeroInfinity: true },
        [
          logits(11, [3, 4, 4]),
          i32([
            [0, 0, 0],
            [1, 2, -1],
            [2, 2, -1],
          ]),
        ],
      ],
      [
        {},
        [
          logits(12, [2, 6, 3], 1e3),
          i32([
            [0, 1, 0],
            [1, 1, -1],
          ]),
        ],
      ],
    ];
    for (const [options, inputs] of cases) {
      const loss = new CTCLoss(options);
      const fused = lossAndGradient(loss, inputs);
      const pred = inputs[0]!;
      const out = record(() => loss.reference(...inputs));
      const [twinGrad] = grad(out, [pred]);
      const what = JSON.stringify(options);
      assertClose(fused.loss, Array.from(out.data), 1e-12, 0, `${what} loss`);
      assertClose(fused.grad.data, twinGrad!.data, 1e-9, 1e-12, `${what} grad`);
    }
  });

  test('second derivatives: double backward (twin) matches finite differences of the gradient', () => {
    const pred = logits(13, [2, 4, 3]);
    const label = i32([
      [0, 1],
      [1, -1],
    ]);
    const predLengths = i32([4, 3]);
    const loss = new CTCLoss();
    const direction = logits(14, [2, 4, 3]);
    // Hessian-vector product H·v through autograd.grad({createGraph}) and a second grad.
    pred.attachGrad();
    const out = record(() => loss.forward(pred, label, predLengths));
    const [first] = grad(out, [pred], { createGraph: true });
    const projected = record(() => first!.mul(direction).sum());
    const [hessianVector] = grad(projected, [pred]);
    // Central differences of the fused first derivative along v.
    const step = 1e-5;
    const gradientAt = (sign: number) => {
      const shifted = pred.add(direction.mul(sign * step));
      return lossAndGradient(loss, [shifted, label, predLengths]).grad.data;
    };
    const plus = gradientAt(1);
    const minus = gradientAt(-1);
    const numeric = Array.from(plus, (v, i) => (v - minus[i]!) / (2 * step));
    assertClose(hessianVector!.data, numeric, 1e-5, 1e-7, 'H·v');
    assert.ok(
      numeric.some((v) => Math.abs(v) > 1e-2),
      'the curvature is not trivially zero',
    );
    // Masked frames (t ≥ predLengths) have no curvature either.
    for (let k = 0; k < 3; k++) assert.equal(hessianVector!.data[(1 * 4 + 3) * 3 + k], 0);
  });

  test('each gradient row sums to 0; frames beyond predLengths get 0; the mask equals truncation', () => {
    const pred = logits(15, [3, 8, 5]);
    const label = i32([
      [0, 1, 2],
      [3, 3, -1],
      [1, -1, -1],
    ]);
    const predLengths = i32([8, 5, 2]);
    const { loss, grad: dPred } = lossAndGradient(
      new CTCLoss(),
      [pred, label, predLengths],
      f64([1, 2, 0.5]),
    );
    for (let b = 0; b < 3; b++) {
      for (let t = 0; t < 8; t++) {
        const row = Array.from(dPred.data.subarray((b * 8 + t) * 5, (b * 8 + t + 1) * 5));
        if (t >= predLengths.data[b]!) assert.deepEqual(row, [0, 0, 0, 0, 0], `b${b} t${t} masked`);
        else assert.ok(Math.abs(row.reduce((s, v) => s + v, 0)) < 1e-13, `b${b} t${t} sums to ${row}`);
      }
      // The masked sample equals the same sample cut to its frames.
      const frames = predLengths.data[b]!;
      const cut = f64(Array.from(pred.data.subarray(b * 40, b * 40 + frames * 5))).reshape([1, frames, 5]);
      const row = Array.from(label.data.subarray(b * 3, b * 3 + Math.min(3, frames)));
      const alone = lossAndGradient(new CTCLoss(), [cut, i32([row])]);
      assertClose([loss[b]!], alone.loss, 1e-14, 0, `sample ${b} loss`);
      const scale = [1, 2, 0.5][b]!;
      assertClose(
        dPred.data.subarray(b * 40, b * 40 + frames * 5),
        alone.grad.data.map((v) => v * scale),
        1e-13,
        1e-15,
        `sample ${b} grad`,
      );
    }
  });

  test('infeasible samples: +Infinity (or 0 with zeroInfinity) and a zero gradient; others unaffected', () => {
    const pred = logits(16, [3, 4, 4]);
    const label = i32([
      [0, 0, 0],
      [1, 2, -1],
      [2, 2, 1],
    ]); // needs 5, 2 and 4 frames
    const reference = lossAndGradient(new CTCLoss(), [
      pred,
      i32([[1, 2, -1]])
        .reshape([1, 3])
        .broadcastTo([3, 3]),
    ]);
    for (const zeroInfinity of [false, true]) {
      const { loss, grad: dPred } = lossAndGradient(new CTCLoss({ zeroInfinity }), [
        pred,
        label,
        i32([4, 4, 3]),
      ]);
      const bad = zeroInfinity ? 0 : Number.POSITIVE_INFINITY;
      assert.equal(loss[0], bad);
      assert.equal(loss[2], bad);
      assertClose([loss[1]!], [reference.loss[1]!], 1e-15, 0, 'feasible sample');
      assert.ok(dPred.data.subarray(0, 16).every((v) => v === 0));
      assert.ok(dPred.data.subarray(32, 48).every((v) => v === 0));
      assertClose(
        dPred.data.subarray(16, 32),
        reference.grad.data.subarray(16, 32),
        0,
        0,
        'feasible gradient',
      );
    }
    // A −∞ logit on the only path makes the label impossible too.
    const masked = pred.copy();
    for (let t = 0; t < 4; t++) masked.data[t * 4 + 1] = Number.NEGATIVE_INFINITY;
    const { loss, grad: dPred } = lossAndGradient(new CTCLoss(), [
      masked,
      i32([
        [1, -1],
        [0, -1],
        [0, -1],
      ]),
    ]);
    assert.equal(loss[0], Number.POSITIVE_INFINITY);
    assert.ok(dPred.data.subarray(0, 16).every((v) => v === 0));
    assert.ok(Number.isFinite(loss[1]!) && Number.isFinite(loss[2]!));
  });

  test('extreme activations (±1e3, ±1e4, ±1e30) keep losses and gradients finite, in float64 and float32', () => {
    for (const scale of [1e3, 1e4]) {
      for (const dtype of ['float64', 'float32'] as const) {
        const pred = logits(17, [3, 7, 5], scale, dtype);
        const label = i32([
          [0, 1, 2],
          [3, 3, -1],
          [1, 0, 1],
        ]);
        const { loss, grad: dPred } = lossAndGradient(new CTCLoss(), [pred, label]);
        assert.ok(
          loss.every((v) => Number.isFinite(v) && v >= 0),
          `${scale} ${dtype} loss ${loss}`,
        );
        assert.ok(
          dPred.data.every((v) => Number.isFinite(v) && Math.abs(v) <= 1 + 1e-6),
          `${scale} ${dtype} grad`,
        );
        // The twin agrees (log space throughout, so nothing under- or overflows).
        const twin = new CTCLoss().reference(pred, label);
        assertClose(loss, twin.data, dtype === 'float64' ? 1e-12 : 1e-6, 0, `${scale} ${dtype} twin`);
      }
    }
    // At ±1e30 the rounding in α + β is ~1e15 nats; the per-frame normalised occupancy still
    // gives bounded gradients whose rows sum to 0.
    const huge = lossAndGradient(new CTCLoss(), [
      logits(17, [2, 5, 4], 1e30),
      i32([
        [0, 1],
        [2, 2],
      ]),
    ]);
    assert.ok(huge.loss.every(Number.isFinite), `1e30 loss ${huge.loss}`);
    for (let row = 0; row < 10; row++) {
      const values = Array.from(huge.grad.data.subarray(row * 4, row * 4 + 4));
      assert.ok(
        values.every((v) => Number.isFinite(v) && Math.abs(v) <= 1 + 1e-12),
        `1e30 grad row ${row}: ${values}`,
      );
      assert.ok(
        Math.abs(values.reduce((a, v) => a + v, 0)) < 1e-12,
        `1e30 grad row ${row} sums to ${values}`,
      );
    }
  });

  describe('rescaled linear-space recursion and its log-space fallback', () => {
    const LINEAR = 1;
    const LOG_SPACE = 2;

    /** CTCLoss with the linear-space recursion on or off, recording the modes of its last call. */
    class ProbedCTC extends CTCLoss {
      readonly modes = { forward: [] as number[], backward: [] as number[] };
      constructor(
        options: CTCLossOptions,
        private readonly allowLinear: boolean,
      ) {
        super(options);
      }
      protected override get linearSpace(): boolean {
        return this.allowLinear;
      }
      protected override observeModes(modes: Uint8Array, after: 'forward' | 'backward'): void {
        this.modes[after] = Array.from(modes);
      }
    }

    /** Loss, gradient and the per-sample modes after forward and after backward. */
    function run(loss: CTCLoss, inputs: readonly (NDArray | null)[], linearSpace: boolean) {
      const probed = new ProbedCTC(
        {
          layout: loss.layout,
          labelLayout: loss.labelLayout,
          blankLabel: loss.blankLabel,
          zeroInfinity: loss.zeroInfinity,
          weight: loss.weight,
        },
        linearSpace,
      );
      const pred = inputs[0]!;
      pred.attachGrad();
      const out = record(() => probed.forward(...inputs));
      const afterForward = probed.modes.forward;
      out.backward();
      return {
        loss: Array.from(out.data),
        grad: Array.from(pred.grad!.data),
        afterForward,
        afterBackward: probed.modes.backward,
      };
    }

    /** Frames given as rows of logits, shaped (1, T, C) in `dtype`. */
    function frames(rows: number[][], dtype: DType = 'float64'): NDArray {
      return array([rows], { dtype });
    }

    for (const backend of ['wasm', 'js'] as const) {
      test(`random batches agree with the log-space path to rounding (${backend} kernels, both dtypes and layouts)`, () => {
        setKernelBackend(backend);
        try {
          const label = i32([
            [0, 1, 1, 2],
            [3, 3, 2, -1],
            [-1, -1, -1, -1],
            [2, 0, 2, 0],
          ]);
          for (const dtype of ['float64', 'float32'] as const) {
            for (const options of [{}, { layout: 'TNC' }] as CTCLossOptions[]) {
              const shape = options.layout === 'TNC' ? [30, 4, 5] : [4, 30, 5];
              const pred = logits(31, shape, 2, dtype);
              const inputs = [pred, label, i32([30, 25, 7, 30])];
              const loss = new CTCLoss(options);
              const linear = run(loss, inputs, true);
              const logSpace = run(loss, inputs, false);
              const what = `${dtype} ${JSON.stringify(options)}`;
              assert.deepEqual(linear.afterBackward, [LINEAR, LINEAR, LINEAR, LINEAR], `${what} modes`);
              assert.deepEqual(logSpace.afterForward, [LOG_SPACE, LOG_SPACE, LOG_SPACE, LOG_SPACE]);
              assertClose(linear.loss, logSpace.loss, 1e-12, 0, `${what} loss`);
              // The softmax term is the same in both; only γ comes from the other recursion.
              assertClose(linear.grad, logSpace.grad, 0, dtype === 'float64' ? 1e-13 : 2e-7, `${what} grad`);
            }
          }
        } finally {
          setKernelBackend('auto');
        }
      });
    }

    test('peaked frames underflow harmless states and stay in linear space, exactly', () => {
      // The label's class wins every frame by 60 nats: states off the best path fall below the
      // smallest float64 relative to it within a dozen frames, while p ≈ 1.
      const rows: number[][] = [];
      const path = [1, 1, 0, 2, 2, 2, 0, 1, 0, 3, 3, 0];
      for (let t = 0; t < 40; t++) {
        const row = [0, 0, 0, 0];
        row[path[Math.floor((t * path.length) / 40)]!] = 60;
        rows.push(row);
      }
      const inputs = [frames(rows), i32([[1, 2, 1, 3]])];
      const loss = new CTCLoss({ blankLabel: 'first' });
      const linear = run(loss, inputs, true);
      const logSpace = run(loss, inputs, false);
      assert.deepEqual(linear.afterBackward, [LINEAR]);
      assertClose(linear.loss, logSpace.loss, 1e-12, 1e-15, 'loss');
      assertClose(linear.grad, logSpace.grad, 0, 1e-13, 'grad');
    });

    test('the forward falls back when a path dropped by underflow would have dominated', () => {
      // Classes: 0 blank, 1 a, 2 b; label [a, b]. Frame 1 makes staying on a cost e^−750, which
      // underflows to 0 in linear space, but the frames after it cost every other alignment
      // e^−800: the true loss is ≈ 750, the linear recursion alone would give ≈ 800.
      const rows = [
        [0, 1000, 0],
        [-2000, -750, 0],
        [-400, 0, -400],
        [-400, 0, -400],
        [-1000, -1000, 0],
      ];
      for (const dtype of ['float64', 'float32'] as const) {
        const inputs = [frames(rows, dtype), i32([[1, 2]])];
        const loss = new CTCLoss({ blankLabel: 'first' });
        const result = run(loss, inputs, true);
        const logSpace = run(loss, inputs, false);
        assert.deepEqual(result.afterForward, [LOG_SPACE], dtype);
        assert.ok(Math.abs(result.loss[0]! - 750) < 1e-9, `${dtype} loss ${result.loss[0]}`);
        assertClose(result.loss, logSpace.loss, 0, 0, `${dtype} loss`);
        assertClose(result.grad, logSpace.grad, 0, 0, `${dtype} grad`);
        assertClose(result.loss, loss.reference(...inputs).data, 1e-12, 0, `${dtype} twin`);
      }
    });

    test('the backward falls back on its own when β underflows far above p', () => {
      // Classes: 0 blank, 1 a, 2 b, 3 unused. Every frame gives the label's classes e^−100, so
      // log p ≈ −800 and the forward's scales follow p down; the last frame's blank emission
      // (e^−1100) underflows, which for β happens at scale ≈ 1, e^800 above p.
      const rows: number[][] = [];
      for (let t = 0; t < 7; t++) rows.push([0, 0, 0, 100]);
      rows.push([-1000, 0, 0, 100]);
      const inputs = [frames(rows), i32([[1, 2]])];
      const loss = new CTCLoss({ blankLabel: 'first' });
      const result = run(loss, inputs, true);
      const logSpace = run(loss, inputs, false);
      assert.deepEqual(result.afterForward, [LINEAR]);
      assert.deepEqual(result.afterBackward, [LOG_SPACE]);
      assertClose(result.loss, logSpace.loss, 1e-12, 0, 'loss');
      // The fallback reads α converted from the rescaled forward (log α̂ + log C_t).
      assertClose(result.grad, logSpace.grad, 0, 1e-13, 'grad');
      // A second backward (retainGraph) starts from the converted α and gives the same.
      const pred = inputs[0]!;
      const out = record(() => loss.forward(...inputs));
      out.backward(null, { retainGraph: true });
      const first = Array.from(pred.grad!.data);
      out.backward();
      assertClose(Array.from(pred.grad!.data), first, 0, 0, 'second backward');
    });

    test('state buffers are reused only once the previous graph is freed', () => {
      const loss = new CTCLoss();
      const label = i32([
        [0, 1, -1],
        [2, 2, 1],
      ]);
      const [a, b, c] = [41, 42, 43].map((seed) => logits(seed, [2, 9, 4]).attachGrad());
      const fresh = (pred: NDArray) => lossAndGradient(new CTCLoss(), [pred, label]);
      const expected = [a, b, c].map((pred) => fresh(pred!));
      // a's graph is retained: b's call must not take a's state, or a's second pass reads b's α.
      const first = record(() => loss.forward(a!, label));
      first.backward(null, { retainGraph: true });
      const second = record(() => loss.forward(b!, label));
      second.backward();
      first.backward();
      assertClose(a!.grad!.data, expected[0]!.grad.data, 0, 1e-15, 'a after b');
      assertClose(b!.grad!.data, expected[1]!.grad.data, 0, 1e-15, 'b');
      // b's graph is freed: c's call may reuse b's buffers, and an unrecorded call too.
      const third = record(() => loss.forward(c!, label));
      assertClose(loss.forward(b!, label).data, expected[1]!.loss, 1e-15, 0, 'unrecorded b');
      third.backward();
      assertClose(third.data, expected[2]!.loss, 1e-15, 0, 'c loss');
      assertClose(c!.grad!.data, expected[2]!.grad.data, 0, 1e-15, 'c');
    });

    test('±1e30 and −∞ logits take the log-space path', () => {
      const label = i32([
        [0, 1],
        [2, 2],
      ]);
      const huge = run(new CTCLoss(), [logits(17, [2, 5, 4], 1e30), label], true);
      assert.deepEqual(huge.afterForward, [LOG_SPACE, LOG_SPACE]);
      // A −∞ logit on a class of the label in one frame: alignments avoiding it survive.
      const pred = logits(5, [2, 5, 4]);
      pred.data[1 * 4 + 0] = Number.NEGATIVE_INFINITY;
      const masked = run(new CTCLoss(), [pred, label], true);
      const reference = run(new CTCLoss(), [pred, label], false);
      assert.ok(masked.loss.every(Number.isFinite), `${masked.loss}`);
      assertClose(masked.loss, reference.loss, 1e-12, 0, 'masked loss');
      assertClose(masked.grad, reference.grad, 0, 1e-13, 'masked grad');
    });
  });

  test('labels and lengths may be float arrays holding integers', () => {
    const pred = logits(18, [2, 6, 4]);
    const asInt = new CTCLoss().forward(
      pred,
      i32([
        [0, 1, -1],
        [2, 2, 1],
      ]),
      i32([6, 5]),
      i32([2, 3]),
    );
    const asFloat = new CTCLoss().forward(
      pred,
      f64([
        [0, 1, -1],
        [2, 2, 1],
      ]),
      f64([6, 5]),
      f64([2, 3]),
    );
    assert.deepEqual(Array.from(asFloat.data), Array.from(asInt.data));
    const nested = new CTCLoss().forward(
      pred,
      [
        [0, 1, -1],
        [2, 2, 1],
      ],
      [6, 5],
      [2, 3],
    );
    assert.deepEqual(Array.from(nested.data), Array.from(asInt.data));
  });

  test('errors: shapes, label values, lengths and options', () => {
    const pred = logits(19, [2, 4, 3]);
    const label = i32([
      [0, 1],
      [1, -1],
    ]);
    const shape = (f: () => unknown, what: string) => assert.throws(f, ShapeError, what);
    const value = (f: () => unknown, what: string) => assert.throws(f, ValueError, what);
    const loss = new CTCLoss();
    shape(() => loss.forward(logits(1, [2, 4]), label), 'pred rank 2');
    shape(() => loss.forward(pred, i32([0, 1])), 'label rank 1');
    shape(() => loss.forward(pred, i32([[0], [1], [1]])), 'batch mismatch');
    shape(
      () =>
        new CTCLoss({ labelLayout: 'TN' }).forward(pred, label.reshape([2, 2]).transpose().reshape([1, 4])),
      'TN batch',
    );
    shape(
      () =>
        loss.forward(
          pred,
          i32([
            [0, 1, 0, 1, 0],
            [1, 0, 1, 0, 1],
          ]),
        ),
      'L > T',
    );
    shape(() => loss.forward(pred, label, i32([4, 4, 4])), 'predLengths count');
    shape(
      () => loss.forward(pred, label, null, null, f64([[1, 2]])),
      'sampleWeight (1, 2) would grow the loss',
    );
    value(
      () =>
        loss.forward(
          pred,
          i32([
            [0, 2],
            [1, -1],
          ]),
        ),
      'label equal to the blank',
    );
    value(
      () =>
        loss.forward(
          pred,
          i32([
            [0, 3],
            [1, -1],
          ]),
        ),
      'label = C',
    );
    value(
      () =>
        loss.forward(
          pred,
          i32([
            [-2, 1],
            [1, -1],
          ]),
        ),
      'label -2',
    );
    value(
      () =>
        loss.forward(
          pred,
          f64([
            [0.5, 1],
            [1, -1],
          ]),
        ),
      'label not an integer',
    );
    value(
      () =>
        loss.forward(
          pred,
          f64([
            [Number.NaN, 1],
            [1, -1],
          ]),
        ),
      'label NaN',
    );
    value(
      () =>
        loss.forward(
          pred,
          i32([
            [0, -1],
            [1, -1],
          ]),
          null,
          i32([2, 1]),
        ),
      '-1 inside labelLengths',
    );
    value(
      () =>
        new CTCLoss({ blankLabel: 'first' }).forward(
          pred,
          i32([
            [3, 1],
            [1, 0],
          ]),
        ),
      'blank first: C',
    );
    value(
      () =>
        new CTCLoss({ blankLabel: 'first' }).forward(
          pred,
          i32([
            [1, 0],
            [2, 2],
          ]),
          null,
          i32([2, 2]),
        ),
      'blank first: 0 used',
    );
    value(() => loss.forward(pred, label, i32([5, 4])), 'predLengths > T');
    value(() => loss.forward(pred, label, i32([-1, 4])), 'predLengths < 0');
    value(() => loss.forward(pred, label, f64([2.5, 4])), 'predLengths not an integer');
    value(() => loss.forward(pred, label, f64([Number.NaN, 4])), 'predLengths NaN');
    value(() => loss.forward(pred, label, null, i32([3, 1])), 'labelLengths > L');
    value(() => loss.forward(pred, label, null, i32([1, -1])), 'labelLengths < 0');
    value(() => new CTCLoss({ layout: 'NCT' as 'NTC' }), 'layout');
    value(() => new CTCLoss({ labelLayout: 'nt' as 'NT' }), 'labelLayout is case-sensitive');
    value(() => new CTCLoss({ blankLabel: 'middle' as 'last' }), 'blankLabel');
    value(() => new CTCLoss({ zeroInfinity: 1 as unknown as boolean }), 'zeroInfinity');
    value(() => new CTCLoss({ weight: Number.NaN }), 'weight');
    value(() => new CTCLoss({ batchAxis: 1 } as CTCLossOptions), 'no batchAxis option');
    value(() => new CTCLoss({ blank: 'last' } as CTCLossOptions), 'unknown option');
    assert.throws(
      () =>
        loss.forward(
          pred,
          i32([
            [0, 3],
            [1, -1],
          ]),
        ),
      /CTCLoss: label value 3 of sample 0 at position 1/,
    );
  });

  test('sampleInputs give a feasible batch the fused kernel and the twin agree on', () => {
    const loss = new CTCLoss();
    for (const extreme of [undefined, 1e3]) {
      const inputs = sampleInputs(loss, new RandomGenerator(20), 'float64', extreme)!;
      const fused = loss.forward(...inputs);
      assert.ok(Array.from(fused.data).every(Number.isFinite));
      assertClose(fused.data, loss.reference(...inputs).data, 1e-12, 0, `sampleInputs ${extreme}`);
    }
  });

  test('a float32 gradient whose terms exceed float32 but whose value does not stays finite', () => {
    // dℓ = 9e38 (weight 3 × sampleWeight 3e38): dℓ·y overflows float32 before dℓ·γ is subtracted,
    // while dℓ·(y − γ) = ±1.5e38 fits. Sample 1 (weight 1) must not change.
    for (const backend of ['js', 'wasm'] as const) {
      for (const layout of ['NTC', 'TNC'] as const) {
        setKernelBackend(backend);
        const pred = array(
          new Array(2).fill([
            [0, 0],
            [0, 0],
          ]),
        ).attachGrad();
        const loss = new CTCLoss({ weight: 3, layout });
        const out = record(() => loss.forward(pred, i32([[0], [0]]), null, null, array([3e38, 1])));
        out.backward();
        const big = layout === 'NTC' ? [0, 1, 2, 3] : [0, 1, 4, 5];
        Array.from(pred.grad!.data).forEach((g, k) => {
          const expected = (big.includes(k) ? 9e38 : 3) * (k % 2 === 0 ? -1 / 6 : 1 / 6);
          assert.ok(
            Math.abs(g - expected) <= 1e-6 * Math.abs(expected),
            `${backend} ${layout} [${k}]: ${g}, expected ${expected}`,
          );
        });
      }
    }
    setKernelBackend('auto');
  });
});

describe('CTCLoss blankLabel as a class index (PyTorch blank)', () => {
  const pred = normal(0, 1, [2, 5, 4], { dtype: 'float64', generator: new RandomGenerator(41) });

  test("index C − 1 is 'last', and index 0 is 'first' with −1 padding", () => {
    const labels = array(
      [
        [0, 2, -1],
        [1, 1, 0],
      ],
      { dtype: 'int32' },
    );
    assert.deepEqual(
      Array.from(new CTCLoss({ blankLabel: 3 }).forward(pred, labels).data),
      Array.from(new CTCLoss().forward(pred, labels).data),
    );
    const shifted = array(
      [
        [1, 3, 0],
        [2, 2, 1],
      ],
      { dtype: 'int32' },
    );
    const lengths = array([2, 3], { dtype: 'int32' });
    assert.deepEqual(
      Array.from(
        new CTCLoss({ blankLabel: 0 }).forward(
          pred,
          array(
            [
              [1, 3, -1],
              [2, 2, 1],
            ],
            { dtype: 'int32' },
          ),
        ).data,
      ),
      Array.from(new CTCLoss({ blankLabel: 'first' }).forward(pred, shifted, null, lengths).data),
    );
  });

  test('a middle blank equals the last blank with the classes permuted', () => {
    // Blank 1: classes (0, 1, 2, 3) → move class 1 to the end: (0, 2, 3, 1); labels 2 → 1, 3 → 2.
    const permuted = array(
      Array.from({ length: 2 }, (_, b) =>
        Array.from({ length: 5 }, (_, t) => [0, 2, 3, 1].map((c) => pred.data[(b * 5 + t) * 4 + c]!)),
      ),
      { dtype: 'float64' },
    );
    assertClose(
      new CTCLoss({ blankLabel: 1 }).forward(
        pred,
        array(
          [
            [0, 2, 3],
            [3, -1, -1],
          ],
          { dtype: 'int32' },
        ),
      ).data,
      new CTCLoss().forward(
        permuted,
        array(
          [
            [0, 1, 2],
            [2, -1, -1],
          ],
          { dtype: 'int32' },
        ),
      ).data,
      1e-14,
      0,
      'blank 1',
    );
  });

  test('the blank as a label, an index ≥ C, or a negative or fractional index are ValueErrors', () => {
    assert.throws(
      () =>
        new CTCLoss({ blankLabel: 1 }).forward(
          pred,
          array(
            [
              [1, 0],
              [0, 0],
            ],
            { dtype: 'int32' },
          ),
        ),
      ValueError,
    );
    assert.throws(
      () =>
        new CTCLoss({ blankLabel: 4 }).forward(
          pred,
          array(
            [
              [1, 0],
              [0, 0],
            ],
            { dtype: 'int32' },
          ),
        ),
      (e: Error) => e instanceof ValueError && /blankLabel 4 is not a class/.test(e.message),
    );
    for (const blankLabel of [-1, 1.5]) assert.throws(() => new CTCLoss({ blankLabel }), ValueError);
  });
});
