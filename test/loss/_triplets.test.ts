import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepareTriplets, sumPerSample, tripletData } from '../../src/loss/_triplets.js';
import { arange, array } from '../../src/ndarray/create.js';
import { ShapeError } from '../../src/ndarray/errors.js';

const NAMES = ['anchor', 'positive', 'negative', 'sampleWeight'];

test('prepareTriplets lays the inputs out around the batch axis and reshapes the others like the anchor', () => {
  const anchor = arange(24).reshape(2, 3, 4);
  const positive = arange(24); // 24 elements, any shape
  const negative = arange(24).reshape(6, 4);
  const first = prepareTriplets('L', NAMES, 0, [anchor, positive, negative]);
  assert.deepEqual(first.extra, { outer: 1, size: 2, inner: 12 });
  assert.deepEqual(first.lossShape, [2]);
  assert.equal(first.batchAxis, 0);
  assert.deepEqual(first.sources, [0, 1, 2]);
  assert.deepEqual(
    first.arrays.map((x) => x.shape),
    [
      [2, 3, 4],
      [2, 3, 4],
      [2, 3, 4],
    ],
  );
  // The batch axis in the middle (and given from the end): outer 2 runs of inner 4 per sample.
  const middle = prepareTriplets('L', NAMES, -2, [anchor, positive, negative]);
  assert.deepEqual(middle.extra, { outer: 2, size: 3, inner: 4 });
  assert.deepEqual(middle.lossShape, [3]);
  const [a, p, q] = tripletData(middle);
  assert.equal(a, anchor.data);
  assert.deepEqual(Array.from(p), Array.from(positive.data));
  assert.deepEqual(Array.from(q), Array.from(negative.data));
});

test('prepareTriplets names the loss and its own input names in its errors', () => {
  assert.throws(
    () => prepareTriplets('L', ['pred', 'positive', 'negative'], 0, [array(1), array(1), array(1)]),
    (error: unknown) =>
      error instanceof ShapeError && /L: pred must have a batch axis, got shape \[\]/.test(error.message),
  );
  assert.throws(() => prepareTriplets('L', NAMES, 0, [arange(4), arange(3), arange(4)]), ShapeError);
  assert.throws(() => prepareTriplets('L', NAMES, 1, [arange(4), arange(4), arange(4)]), /batchAxis/);
});

test('sumPerSample sums every axis but the batch axis, and leaves a 1-D array alone', () => {
  const terms = arange(0, 24, 1, { dtype: 'float64' }).reshape(2, 3, 4);
  // Per index of axis 1: Σ over axes 0 and 2.
  const expected = [0, 1, 2].map((j) => {
    let total = 0;
    for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) total += i * 12 + j * 4 + k;
    return total;
  });
  assert.deepEqual(sumPerSample(terms, 1).toArray(), expected);
  assert.deepEqual(sumPerSample(terms, 0).toArray(), [66, 210]);
  const vector = arange(0, 3, 1, { dtype: 'float64' });
  assert.equal(sumPerSample(vector, 0), vector);
});
