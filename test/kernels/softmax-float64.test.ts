// The float64 normalisers (src/kernels/softmax-float64.ts): the wasm path (fdlibm's e^x summed in
// wasm) gives the TypeScript reference's bits on every kind of row, on both backends.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setKernelBackend, softmaxRowNormalizersFloat64 } from '../../src/kernels/index.js';
import { referenceNormalizers, scaledExponentials } from '../../src/kernels/softmax-float64.js';
import { uniforms } from './_ulp.js';

function rowsOf(x: Float32Array | Float64Array, classes: number) {
  const count = x.length / classes;
  return { x, classes, shift: new Float64Array(count), logSum: new Float64Array(count) };
}

/** Rows of random logits, with special rows: NaN, +Infinity, all −Infinity, huge, tied, signed zeros. */
function logits(type: Float32ArrayConstructor | Float64ArrayConstructor, rows: number, classes: number) {
  const next = uniforms(rows * 7919 + classes);
  const x = new type(rows * classes).map(() => (next() - 0.5) * 30);
  if (rows >= 6) {
    x[classes + 3] = Number.NaN;
    x[2 * classes + 1] = Number.POSITIVE_INFINITY;
    x.fill(Number.NEGATIVE_INFINITY, 3 * classes, 4 * classes);
    x.fill(3e38, 4 * classes, 4 * classes + 2);
    x.fill(-7, 5 * classes, 6 * classes);
    x[6 * classes - 1] = Number.NEGATIVE_INFINITY;
  }
  if (rows >= 7) {
    // a maximum of 0 reached by −0 first, then +0: the first one is the shift
    x.fill(-3, 6 * classes, 7 * classes);
    x[6 * classes + 2] = -0;
    x[6 * classes + 4] = 0;
  }
  return x;
}

describe('float64 softmax normalisers', () => {
  afterEach(() => setKernelBackend('auto'));

  for (const backend of ['wasm', 'js'] as const) {
    for (const type of [Float32Array, Float64Array]) {
      for (const [rows, classes] of [
        [8, 5],
        [8, 31],
        [8, 32],
        [7, 1001],
        [2, 9000], // rows longer than a wasm call's chunk
      ] as const) {
        it(`${backend}, ${type.name} [${rows}, ${classes}]: the reference's bits`, () => {
          setKernelBackend(backend);
          const x = logits(type, rows, classes);
          const got = rowsOf(x, classes);
          const expected = rowsOf(x, classes);
          softmaxRowNormalizersFloat64(got);
          referenceNormalizers(expected, 0, rows);
          for (let r = 0; r < rows; r++) {
            assert.ok(Object.is(got.shift[r], expected.shift[r]), `row ${r} shift`);
            assert.ok(
              Object.is(got.logSum[r], expected.logSum[r]),
              `row ${r}: ${got.logSum[r]} vs ${expected.logSum[r]}`,
            );
          }
        });
      }
    }
  }

  it('the reference: log-sum-exp of a row, exactly 0 for one finite class', () => {
    const x = new Float64Array([1, 2, 3, 5]);
    const rows = rowsOf(x, 4);
    referenceNormalizers(rows, 0, 1);
    const expected = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(5));
    assert.ok(Math.abs(rows.shift[0]! + rows.logSum[0]! - expected) < 1e-15);
    const single = rowsOf(new Float64Array([Number.NEGATIVE_INFINITY, 4]), 2);
    referenceNormalizers(single, 0, 1);
    assert.deepEqual([single.shift[0], single.logSum[0]], [4, 0]);
  });

  for (const backend of ['wasm', 'js'] as const) {
    for (const [xType, outType] of [
      [Float32Array, Float32Array],
      [Float64Array, Float64Array],
      [Float64Array, Float32Array],
    ] as const) {
      for (const length of [5, 32, 33, 1001, 9001]) {
        it(`${backend}: scaledExponentials, x ${xType.name}, out ${outType.name}, ${length} entries: Math.exp's bits`, () => {
          setKernelBackend(backend);
          const next = uniforms(length + 3);
          const x = new xType(length + 4).map(() => (next() - 0.5) * 60);
          x[2] = Number.NaN;
          x[3] = Number.NEGATIVE_INFINITY;
          x[length] = 800; // overflows: +Infinity
          const out = new outType(length + 4).fill(7);
          const expected = out.slice();
          const [shift, logSum, scale] = [3.5, 1.25, 0.75];
          for (let k = 2; k < length + 2; k++) expected[k] = scale * Math.exp(x[k]! - shift - logSum);
          scaledExponentials({ x, begin: 2, end: length + 2, shift, logSum, scale, out });
          for (let k = 0; k < out.length; k++)
            assert.ok(Object.is(out[k], expected[k]), `entry ${k}: ${out[k]} vs ${expected[k]}`);
        });
      }
    }
  }
});
