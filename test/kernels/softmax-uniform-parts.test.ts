// The one-pass softmax kernel's label-smoothing parts (softmax.ts UniformTargetParts, softmax.wat
// softmaxRowStatistics' weights and uniform) on both backends against the float64 reference written out here: the
// gradient minus u_r · w_c but at the label (one float64 subtraction, one rounding: bit for bit) and the spread
// Σ_c w_c · (x_y − x_c) in float64; rows the kernel cannot take are marked not done and left unchanged.
// (Split from softmax.test.ts, which is near the file-size limit.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateRegion, regionView, releaseRegion } from '../../src/kernels/arena.js';
import { setKernelBackend, sparseSoftmaxCrossEntropyGradientRows } from '../../src/kernels/index.js';
import { uniforms } from './_ulp.js';

function randomCall(rows: number, classes: number, seed: number) {
  const next = uniforms(seed);
  const x = Float32Array.from({ length: rows * classes }, () => (next() - 0.5) * 16);
  const labels = Int32Array.from({ length: rows }, () => Math.floor(next() * classes));
  const scales = Float64Array.from({ length: rows }, () => 0.25 + next());
  // Weights include exact zeros; uniform is s_r · ε / C with awkward values.
  const weights = Float64Array.from({ length: classes }, (_, c) => (c % 5 === 3 ? 0 : 0.1 + next() * 3));
  const uniform = Float64Array.from({ length: rows }, () => (0.1 / classes) * (0.3 + next()));
  return { x, labels, scales, weights, uniform };
}

/** Float64 reference of the spread, summed in class order. */
function spreadOf(
  x: Float32Array,
  row: number,
  classes: number,
  label: number,
  weights: Float64Array,
): number {
  let spread = 0;
  for (let c = 0; c < classes; c++)
    spread += weights[c]! * (x[row * classes + label]! - x[row * classes + c]!);
  return spread;
}

/** Runs the call with and without the parts; checks each row against the reference; returns the rows done. */
function check(
  call: ReturnType<typeof randomCall>,
  classes: number,
  outs: { plain: Float32Array; withParts: Float32Array },
): number {
  const { x, labels, scales, weights, uniform } = call;
  const rows = labels.length;
  const { plain, withParts } = outs;
  sparseSoftmaxCrossEntropyGradientRows({
    x,
    classes,
    labels,
    scales,
    loss: new Float64Array(rows),
    out: plain,
  });
  const spreads = new Float64Array(rows).fill(7);
  const done = new Uint8Array(rows).fill(9);
  const loss = new Float64Array(rows);
  sparseSoftmaxCrossEntropyGradientRows({
    x,
    classes,
    labels,
    scales,
    loss,
    out: withParts,
    uniformParts: { weights, uniform, spreads, done },
  });
  let rowsDone = 0;
  for (let r = 0; r < rows; r++) {
    const row = withParts.subarray(r * classes, (r + 1) * classes);
    const before = plain.subarray(r * classes, (r + 1) * classes);
    if (!done[r]) {
      assert.deepEqual(row, before, `row ${r} not done: gradient unchanged`);
      continue;
    }
    assert.equal(done[r], 1, `row ${r}: done is 0 or 1`);
    rowsDone++;
    const want = spreadOf(x, r, classes, labels[r]!, weights);
    assert.ok(
      Object.is(spreads[r], want) || Math.abs(spreads[r]! - want) <= 1e-13 * (Math.abs(want) + classes),
      `row ${r}: spread ${spreads[r]} vs ${want}`,
    );
    // The label's entry is left as it was (the caller writes it from the normalisers).
    const expected = Float32Array.from(before, (g, c) =>
      c === labels[r] ? g : g - uniform[r]! * weights[c]!,
    );
    assert.deepEqual(row, expected, `row ${r}: gradient minus u · w but at the label, bit for bit`);
  }
  return rowsDone;
}

describe('sparseSoftmaxCrossEntropyGradientRows: uniformParts (label smoothing)', () => {
  for (const [rows, classes] of [
    [5, 7],
    [33, 16],
    [40, 1000],
    [3, 4097],
    [2, 16384],
  ] as const) {
    it(`wasm: [${rows}, ${classes}] does every row: gradient bit for bit, spread to float64 rounding`, () => {
      setKernelBackend('wasm');
      try {
        const call = randomCall(rows, classes, rows * 31 + classes);
        const size = rows * classes;
        const done = check(call, classes, {
          plain: new Float32Array(size),
          withParts: new Float32Array(size),
        });
        assert.equal(done, rows);
      } finally {
        setKernelBackend('auto');
      }
    });
  }

  it('wasm: rows with NaN or +Infinity are not done; a −Infinity logit off the label is an infinite (or 0 · ∞) spread', () => {
    setKernelBackend('wasm');
    try {
      const classes = 9;
      const call = randomCall(4, classes, 5);
      call.x[0 * classes + 2] = Number.NaN;
      call.x[1 * classes + 4] = Number.POSITIVE_INFINITY;
      call.labels[2] = 0;
      call.x[2 * classes + 5] = Number.NEGATIVE_INFINITY;
      call.weights[5] = 2;
      // a −Infinity logit on a class of weight 0: the spread is 0 · ∞ = NaN, yet the row is done
      call.labels[3] = 1;
      call.x[3 * classes + 8] = Number.NEGATIVE_INFINITY;
      call.weights[8] = 0;
      const outs = { plain: new Float32Array(4 * classes), withParts: new Float32Array(4 * classes) };
      const spreads = new Float64Array(4);
      const done = new Uint8Array(4);
      sparseSoftmaxCrossEntropyGradientRows({
        ...call,
        classes,
        loss: new Float64Array(4),
        out: outs.withParts,
        uniformParts: { weights: call.weights, uniform: call.uniform, spreads, done },
      });
      assert.deepEqual([...done], [0, 0, 1, 1]);
      assert.equal(spreads[2], Number.POSITIVE_INFINITY);
      assert.ok(Number.isNaN(spreads[3]!));
      assert.equal(check(call, classes, outs), 2);
    } finally {
      setKernelBackend('auto');
    }
  });

  it('wasm: a gradient in an arena region is written in place, nothing around it', () => {
    setKernelBackend('wasm');
    const owner = {};
    const [rows, classes] = [9, 1001];
    const region = allocateRegion(2 * rows * classes + 8, owner)!;
    try {
      const view = regionView(region);
      view.fill(3);
      const withParts = view.subarray(4, 4 + rows * classes);
      const plain = new Float32Array(rows * classes);
      assert.equal(check(randomCall(rows, classes, 11), classes, { plain, withParts }), rows);
      assert.deepEqual([...view.subarray(0, 4)], [3, 3, 3, 3], 'nothing before the gradient');
      assert.equal(view[4 + rows * classes], 3, 'nothing after it');
    } finally {
      releaseRegion(region);
      setKernelBackend('auto');
    }
  });

  it('js, float64 logits and rows longer than a chunk leave every row to the caller (done 0)', () => {
    for (const [backend, rows, classes, float64] of [
      ['js', 6, 100, false],
      ['wasm', 6, 100, true],
      ['wasm', 2, 16387, false],
    ] as const) {
      setKernelBackend(backend);
      try {
        const call = randomCall(rows, classes, classes);
        const x = float64 ? Float64Array.from(call.x) : call.x;
        const spreads = new Float64Array(rows);
        const done = new Uint8Array(rows).fill(1);
        const out = new Float32Array(rows * classes);
        sparseSoftmaxCrossEntropyGradientRows({
          ...call,
          x,
          classes,
          loss: new Float64Array(rows),
          out,
          uniformParts: { weights: call.weights, uniform: call.uniform, spreads, done },
        });
        assert.ok(
          done.every((d) => d === 0),
          `${backend} [${rows}, ${classes}] float64 ${float64}`,
        );
      } finally {
        setKernelBackend('auto');
      }
    }
  });

  it('rejects parts of the wrong length, naming them', () => {
    const call = randomCall(3, 5, 1);
    assert.throws(
      () =>
        sparseSoftmaxCrossEntropyGradientRows({
          ...call,
          classes: 5,
          loss: new Float64Array(3),
          out: new Float32Array(15),
          uniformParts: {
            weights: new Float64Array(4),
            uniform: call.uniform,
            spreads: new Float64Array(3),
            done: new Uint8Array(3),
          },
        }),
      /sparseSoftmaxCrossEntropyGradientRows.*uniformParts\.weights/,
    );
  });
});
