// softmaxGradientRows with dense labels (src/kernels/softmax-scaled.ts and the float64 rows of
// softmax.ts): out = t_r·softmax(x_r) − s_r·z_r gives the bits of the two-step computation it
// replaces (the scaled softmax into float64, then the difference rounded once), written into a
// plain array or in place into an arena region, on both backends, with non-finite rows and rows
// longer than a kernel chunk.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { allocateRegion, regionView, releaseRegion } from '../../src/kernels/arena.js';
import { setKernelBackend, softmaxGradientRows, softmaxRowNormalizers } from '../../src/kernels/index.js';
import { uniforms } from './_ulp.js';

function rowsOf(rows: number, classes: number, seed: number) {
  const next = uniforms(seed);
  const x = new Float32Array(rows * classes).map(() => (next() - 0.5) * 12);
  const z = new Float32Array(rows * classes).map(() => next() * 1e-3);
  if (rows >= 3) {
    x[classes + 1] = Number.NaN; // a NaN row
    x[2 * classes] = Number.POSITIVE_INFINITY; // a row whose normaliser is not finite
  }
  const shift = new Float64Array(rows);
  const logSum = new Float64Array(rows);
  softmaxRowNormalizers({ x, classes, shift, logSum });
  const scale = new Float64Array(rows).map(() => 0.5 + next());
  const scales = new Float64Array(rows).map(() => 0.25 + next());
  return { x, z, classes, shift, logSum, scale, scales };
}

/** The two-step result: the scaled softmax into float64, then − s_r · z rounded once into out. */
function twoStep(rows: ReturnType<typeof rowsOf>, out: Float32Array): void {
  const { x, z, classes, shift, logSum, scale, scales } = rows;
  const softmax = new Float64Array(x.length);
  softmaxGradientRows({ x, classes, shift, logSum, scale, labels: null, out: softmax });
  for (let k = 0; k < x.length; k++) out[k] = softmax[k]! - scales[Math.floor(k / classes)]! * z[k]!;
}

describe('softmaxGradientRows with dense labels', () => {
  afterEach(() => setKernelBackend('auto'));

  for (const backend of ['wasm', 'js'] as const) {
    for (const [rows, classes] of [
      [5, 7],
      [9, 1000],
      [4, 1001],
      [2, 20_001],
    ] as const) {
      it(`${backend} [${rows}, ${classes}]: the two-step result's bits, in a plain array and in an arena region`, () => {
        setKernelBackend(backend);
        const data = rowsOf(rows, classes, rows * classes);
        const expected = new Float32Array(rows * classes);
        twoStep(data, expected);
        const { x, z, shift, logSum, scale, scales } = data;
        const into = (out: Float32Array) =>
          softmaxGradientRows({
            x,
            classes,
            shift,
            logSum,
            scale,
            labels: null,
            out,
            denseLabels: { z, scales },
          });
        const plain = new Float32Array(rows * classes).fill(9);
        into(plain);
        assert.deepEqual(plain, expected);
        // In place into an arena region, between two other regions whose contents must not change.
        const owner = {};
        const before = allocateRegion(16, owner);
        const region = allocateRegion(rows * classes, owner);
        const after = allocateRegion(16, owner);
        try {
          if (before) regionView(before).fill(5);
          if (after) regionView(after).fill(5);
          const out = region ? regionView(region) : new Float32Array(rows * classes);
          into(out);
          assert.deepEqual(out, expected);
          if (before) assert.deepEqual(regionView(before), new Float32Array(16).fill(5));
          if (after) assert.deepEqual(regionView(after), new Float32Array(16).fill(5));
        } finally {
          for (const r of [before, region, after]) if (r) releaseRegion(r);
        }
      });
    }
  }

  for (const backend of ['wasm', 'js'] as const) {
    for (const [rows, classes] of [
      [32, 1001], // 2 chunks of 16 rows; the region ends on a line, so a spill would reach the next
      [3, 20_001], // rows in 2 pieces
    ] as const) {
      it(`${backend} [${rows}, ${classes}], no dense labels: an arena region gets the plain array's bits`, () => {
        setKernelBackend(backend);
        const { x, shift, logSum, scale } = rowsOf(rows, classes, rows + classes);
        const labels = new Int32Array(rows).map((_, r) => (r * 7) % classes);
        const expected = new Float32Array(rows * classes);
        softmaxGradientRows({ x, classes, shift, logSum, scale, labels, out: expected });
        const owner = {};
        const region = allocateRegion(rows * classes, owner);
        const after = allocateRegion(16, owner);
        try {
          if (after) regionView(after).fill(5);
          const out = region ? regionView(region) : new Float32Array(rows * classes);
          softmaxGradientRows({ x, classes, shift, logSum, scale, labels, out });
          assert.deepEqual(out, expected);
          if (after) assert.deepEqual(regionView(after), new Float32Array(16).fill(5));
        } finally {
          for (const r of [region, after]) if (r) releaseRegion(r);
        }
      });
    }
  }

  it('checks the labels and the per-row scales', () => {
    const { x, z, classes, shift, logSum, scale, scales } = rowsOf(3, 8, 1);
    const out = new Float32Array(x.length);
    const call = (denseLabels: { z: Float32Array; scales: Float64Array }, labels: Int32Array | null = null) =>
      softmaxGradientRows({ x, classes, shift, logSum, scale, labels, out, denseLabels });
    assert.throws(() => call({ z: z.subarray(1), scales }), /denseLabels\.z must have 24 elements/);
    assert.throws(() => call({ z, scales: scales.subarray(1) }), /denseLabels\.scales must have 3 elements/);
    assert.throws(() => call({ z, scales }, new Int32Array(3)), /labels or denseLabels, not both/);
  });
});
