/** The argument checks every typed kernel shares (typed/_one-pass.ts), called directly, and its weighing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { checkFloatOperands, checkSampleWeight } from '../../src/typed/_one-pass.js';
import { l1Kernel } from '../../src/typed/kernels.js';
import { record } from '../../src/autograd/index.js';
import { array } from '../../src/ndarray/create.js';
import { L1Loss } from '../../src/loss/l1.js';

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

test('an infinite or NaN sampleWeight weighs each ℓ element, as the class does (∞ · 0 = NaN)', () => {
  // Sample 1 has an element with pred = label (ℓ = 0): weighing its sum would give ±∞.
  const pred = Float64Array.from([1, 2, 3, 4, 5, 6]);
  const label = Float64Array.from([1.5, 2, 2, 4, 4.5, 7]);
  for (const w of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
    const loss = new Float64Array(2);
    const gradient = new Float64Array(6);
    l1Kernel()({ pred, label, sampleWeight: [2, w], loss, gradient });
    const x = array(Array.from(pred), { dtype: 'float64' }).reshape([2, 3]).attachGrad();
    const y = array(Array.from(label), { dtype: 'float64' }).reshape([2, 3]);
    const out = record(() => new L1Loss().forward(x, y, array([2, w], { dtype: 'float64' })));
    out.backward();
    assert.ok(Number.isNaN(loss[1]!), `w = ${w}: NaN`);
    assert.deepEqual(Array.from(loss), Array.from(out.data), 'the class computes the same');
    assert.deepEqual(Array.from(gradient), Array.from(x.grad!.data));
  }
});
