// The exponential of the softmax kernel (math.wat's $expNonPositive4, e^{x − max} for x − max ≤ 0),
// read through softmaxRowStatistics itself: with scales = 0 the kernel stores each row's
// e^{x_c − m} unscaled, so a row whose maximum is 0 stores e^{x_c}, compared in ulps with
// Math.exp rounded to float32 on a dense sweep of [−110, 0] (subnormal results included).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  regionBytes,
  reserveScratch,
  SCRATCH_BASE,
  setKernelBackend,
  wasmScratch,
} from '../../src/kernels/runtime.js';
import { sweep, worstUlp } from './_ulp.js';

/** Each row's e^{x − m} (out), maximum and rest Σ_{c≠a} e^{x_c − m} from the raw kernel. */
function rowStatistics(x: Float32Array, rows: number, classes: number) {
  const floats = rows * classes;
  const xAt = SCRATCH_BASE;
  const outAt = xAt + regionBytes(4 * floats + 16);
  const maxAt = outAt + regionBytes(4 * floats + 16);
  const restAt = maxAt + regionBytes(4 * rows);
  const scratch = reserveScratch(wasmScratch(), restAt + regionBytes(8 * rows) - SCRATCH_BASE);
  assert.ok(scratch, 'the wasm module loads');
  const { f32, f64, kernels } = scratch;
  f32.set(x, xAt >> 2);
  kernels.softmaxRowStatistics(xAt, rows, classes, 0, maxAt, restAt, outAt, 0, 0, 0);
  return {
    out: f32.slice(outAt >> 2, (outAt >> 2) + floats),
    maximum: f32.slice(maxAt >> 2, (maxAt >> 2) + rows),
    rest: f64.slice(restAt >> 3, (restAt >> 3) + rows),
  };
}

/** `values` laid out as rows of `classes`, each led by a 0 (the row's maximum). */
function rowsLedByZero(values: Float32Array, classes: number) {
  const per = classes - 1;
  const rows = Math.ceil(values.length / per);
  const x = new Float32Array(rows * classes).fill(Number.NEGATIVE_INFINITY);
  const inputs = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    x[r * classes] = 0;
    x.set(values.subarray(r * per, (r + 1) * per), r * classes + 1);
  }
  inputs.set(x);
  return { x, inputs, rows };
}

describe('the softmax kernel exponential e^{x − max}', () => {
  setKernelBackend('wasm');

  it('is within 1 ulp of Math.exp over [−110, 0] and near 0', () => {
    for (const [low, high, count] of [
      [-110, 0, 2_000_000],
      [-1e-3, 0, 100_000],
      [-88, -86, 100_000], // the edge of the normal range
      [-104, -103, 100_000], // the last subnormal results, then 0
    ] as const) {
      // 4099: rows whose length is not a multiple of 4 (the last partial vector is masked)
      const { x, inputs, rows } = rowsLedByZero(sweep(low, high, count), 4099);
      const { out, maximum } = rowStatistics(x, rows, 4099);
      assert.ok(
        maximum.every((m) => m === 0),
        'every row has maximum 0',
      );
      const { ulps, at, mismatch } = worstUlp(inputs, out, Math.exp);
      assert.equal(mismatch, null, `[${low}, ${high}]: ${mismatch}`);
      assert.ok(ulps <= 1, `[${low}, ${high}]: ${ulps} ulp at x = ${at}`);
    }
  });

  it('gives exactly 1 at the maximum, 0 for −Infinity and far below, the edges exactly', () => {
    const x = new Float32Array([
      0,
      -0,
      Number.NEGATIVE_INFINITY,
      -1e30,
      -104,
      -103.97208, // e^x rounds to 0
      -103.27893, // the smallest subnormal result
      -87.33655, // the smallest normal result
      -1e-45,
      -3e-8, // e^x rounds to 1
    ]);
    const { out, rest } = rowStatistics(x, 1, x.length);
    const expected = Array.from(x, (v) => Math.fround(Math.exp(v)));
    assert.deepEqual([...out], expected);
    assert.equal(expected[6], 2 ** -149);
    // the rest leaves out one maximal term: −0 ties with 0, counted as an exact 1
    const sum = expected.slice(1).reduce((a, b) => a + b, 0);
    assert.equal(rest[0], sum);
  });
});
