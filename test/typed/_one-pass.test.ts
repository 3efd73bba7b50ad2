/** The argument checks every typed kernel shares (typed/_one-pass.ts), called directly. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { checkFloatOperands, checkSampleWeight } from '../../src/typed/_one-pass.js';

test('checkFloatOperands accepts float32 and float64 pred and loss, and names the one that is not', () => {
  checkFloatOperands('k', new Float32Array(4), new Float64Array(2));
  checkFloatOperands('k', new Float64Array(4), new Float32Array(2));
  assert.throws(
    () => checkFloatOperands('k', new Int32Array(4), new Float64Array(2)),
    (error: unknown) =>
      error instanceof ValueError && error.message === 'k: pred must be a Float32Array or Float64Array',
  );
  assert.throws(
    () => checkFloatOperands('k', new Float32Array(4), [0, 0]),
    (error: unknown) =>
      error instanceof ValueError && error.message === 'k: loss must be a Float32Array or Float64Array',
  );
  // pred is checked first.
  assert.throws(() => checkFloatOperands('k', null, null), /k: pred/);
});

test('checkSampleWeight wants one entry per sample when sampleWeight is given', () => {
  checkSampleWeight('k', undefined, 3);
  checkSampleWeight('k', null, 3);
  checkSampleWeight('k', [1, 2, 3], 3);
  checkSampleWeight('k', new Float32Array(0), 0);
  assert.throws(
    () => checkSampleWeight('k', [1, 2], 3),
    (error: unknown) =>
      error instanceof ShapeError && error.message === 'k: sampleWeight has 2 entries for 3 samples',
  );
});
