// The softmax gradient from kept exponentials (src/kernels/softmax-kept.ts) gives the bits of
// softmaxRowNormalizers then softmaxGradientRows, row by row, including the rows it hands to
// softmaxGradientRows itself (a maximum that is not finite, a scale that does not fit float32);
// it declines exactly the calls it says it does.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { allocateRegion, regionView, releaseRegion } from '../../src/kernels/arena.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { softmaxGradientRows, softmaxRowNormalizers } from '../../src/kernels/softmax.js';
import {
  scaleKeptExponentials,
  softmaxNormalizersKeepingExponentials,
} from '../../src/kernels/softmax-kept.js';
import { uniforms } from './_ulp.js';

/** `rows` rows of `classes` logits, labels and scales, with the special rows the test names. */
function rowsOf(rows: number, classes: number, seed: number) {
  const next = uniforms(seed);
  const x = new Float32Array(rows * classes).map(() => 8 * next() - 4);
  const labels = new Int32Array(rows).map(() => Math.floor(next() * classes));
  const scale = new Float64Array(rows).map(() => 0.5 - next());
  return { x, labels, scale };
}

/** Runs `fn` with a zero-filled arena region of `length` floats (a gradient region, as a loss call's). */
function withRegion(length: number, fn: (out: Float32Array) => void): void {
  const region = allocateRegion(length, {});
  assert.ok(region, 'an arena region');
  try {
    fn(regionView(region));
  } finally {
    releaseRegion(region);
  }
}

function expected(x: Float32Array, classes: number, labels: Int32Array, scale: Float64Array) {
  const rows = labels.length;
  const shift = new Float64Array(rows);
  const logSum = new Float64Array(rows);
  softmaxRowNormalizers({ x, classes, shift, logSum });
  // Row by row, as SoftmaxFocalLoss ran it (scaledRowGradients: a scale that does not fit float32
  // sends only its own rows to the float64 loop, not the whole call).
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const row = (array: Float32Array) => array.subarray(r * classes, (r + 1) * classes);
    const one = <T extends Float64Array | Int32Array>(array: T) => array.subarray(r, r + 1) as T;
    softmaxGradientRows({
      x: row(x),
      classes,
      shift: one(shift),
      logSum: one(logSum),
      scale: one(scale),
      labels: one(labels),
      out: row(out),
    });
  }
  return { shift, logSum, out };
}

describe('softmax gradient from kept exponentials: the general kernels bit for bit', () => {
  afterEach(() => setKernelBackend('auto'));

  for (const [rows, classes] of [
    [9, 1000],
    [40, 37],
    [5, 1],
    [6, 3],
    [2, 16384],
  ] as const) {
    it(`${rows} rows of ${classes} classes, with special rows`, () => {
      setKernelBackend('wasm');
      const { x, labels, scale } = rowsOf(rows, classes, rows * 7 + classes);
      if (rows >= 5) {
        x[classes] = Number.NaN; // row 1: NaN
        x.fill(Number.NEGATIVE_INFINITY, 2 * classes, 3 * classes); // row 2: all −∞
        x[3 * classes] = Number.POSITIVE_INFINITY; // row 3: +∞
        scale[4] = 1e-45; // row 4: a scale float32 cannot hold
        scale[0] = 0;
      }
      // a near-certain row (p at its label within 1e-17 of 1: expm1 keeps what p − 1 would lose)
      if (rows >= 6 && classes > 1) x[5 * classes + labels[5]!] = 45;
      const want = expected(x, classes, labels, scale);
      withRegion(x.length + 8, (memory) => {
        const out = memory.subarray(0, x.length);
        memory.fill(Number.NaN);
        const shift = new Float64Array(rows);
        const logSum = new Float64Array(rows);
        const args = { x, classes, shift, logSum, out };
        assert.equal(softmaxNormalizersKeepingExponentials(args), true);
        assert.deepEqual(Array.from(shift), Array.from(want.shift), 'shift');
        assert.deepEqual(Array.from(logSum), Array.from(want.logSum), 'logSum');
        scaleKeptExponentials({ ...args, scale, labels });
        assert.deepEqual(Array.from(out), Array.from(want.out), 'gradient');
        assert.ok(Number.isNaN(memory[x.length]!), 'nothing written past the rows');
      });
    });
  }

  it('declines float64 logits, rows longer than a chunk, an out outside the arena and the js backend', () => {
    setKernelBackend('wasm');
    const { x, labels } = rowsOf(4, 20, 3);
    const rows = labels.length;
    const fresh = (data: Float32Array | Float64Array, classes: number, out: Float32Array) => ({
      x: data,
      classes,
      shift: new Float64Array(data.length / classes),
      logSum: new Float64Array(data.length / classes),
      out,
    });
    withRegion(x.length, (out) => {
      assert.equal(
        softmaxNormalizersKeepingExponentials(fresh(Float64Array.from(x), 20, out)),
        false,
        'float64',
      );
      assert.equal(
        softmaxNormalizersKeepingExponentials(fresh(x, 20, new Float32Array(x.length))),
        false,
        'plain out',
      );
      setKernelBackend('js');
      assert.equal(softmaxNormalizersKeepingExponentials(fresh(x, 20, out)), false, 'js backend');
    });
    setKernelBackend('wasm');
    const long = new Float32Array(16385);
    withRegion(long.length, (out) => {
      assert.equal(softmaxNormalizersKeepingExponentials(fresh(long, 16385, out)), false, 'a long row');
    });
    assert.equal(rows, 4);
  });
});
