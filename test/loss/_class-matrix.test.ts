import assert from 'node:assert/strict';
import { test } from 'node:test';
import { array } from '../../src/ndarray/create.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import {
  checkClassWeightLength,
  checkOnePerSample,
  classMatrix,
  readClassWeight,
} from '../../src/loss/_class-matrix.js';

test('readClassWeight takes arrays, typed arrays and 1-D NDArrays of finite numbers', () => {
  assert.equal(readClassWeight('L', undefined), null);
  assert.equal(readClassWeight('L', null), null);
  assert.deepEqual(Array.from(readClassWeight('L', [1, 0.5])!), [1, 0.5]);
  assert.deepEqual(Array.from(readClassWeight('L', Float32Array.of(2, 3))!), [2, 3]);
  assert.deepEqual(Array.from(readClassWeight('L', array([4, 5], { dtype: 'float64' }))!), [4, 5]);
  assert.throws(
    () => readClassWeight('L', [1, Number.NaN]),
    /L: option classWeight must hold finite numbers, got NaN at class 1/,
  );
  assert.throws(() => readClassWeight('L', [1, '2']), ValueError);
  assert.throws(() => readClassWeight('L', 3), ValueError);
  assert.throws(() => readClassWeight('L', array([[1, 2]])), /1-D array/);
});

test('classMatrix wants (N, C) and a batchAxis of ℓ (N,); the checks name the loss and the shapes', () => {
  const pred = array([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(classMatrix('L', pred, 0), { batch: 2, classes: 3, batchAxis: 0 });
  assert.deepEqual(classMatrix('L', pred, -1), { batch: 2, classes: 3, batchAxis: 0 });
  assert.throws(() => classMatrix('L', pred, 1), ShapeError);
  assert.throws(() => classMatrix('L', array([1, 2]), 0), /L: pred must have 2 axes .*\[1, C\]/);
  assert.throws(
    () => checkClassWeightLength('L', Float64Array.of(1, 2), 3),
    /L: option classWeight has 2 entries but pred has 3 classes/,
  );
  checkClassWeightLength('L', null, 3);
  assert.throws(
    () => checkOnePerSample('L', 'label', array([0, 1, 2]), pred),
    /L: label shape \[3\] .* shape \[2\]/,
  );
});
