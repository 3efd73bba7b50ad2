import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_ELEMENTS } from '../../src/ndarray/dtype.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import * as nd from '../../src/ndarray/index.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { assertThrowsWith } from '../ops/_op-checks.js';

describe('nd.array', () => {
  test('nested arrays give their shape, float32 by default', () => {
    const x = nd.array([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(x.shape, [2, 3]);
    assert.equal(x.dtype, 'float32');
    assert.ok(x.data instanceof Float32Array);
    assert.equal(x.size, 6);
    assert.equal(x.ndim, 2);
    assert.deepEqual(x.toArray(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  test('values are rounded to the storage precision', () => {
    assert.equal(nd.array([0.1]).data[0], Math.fround(0.1));
    assert.equal(nd.array([0.1], { dtype: 'float64' }).data[0], 0.1);
    assert.deepEqual(nd.array([1.9, -1.9], { dtype: 'int32' }).toArray(), [1, -1]);
  });

  test('a bare number gives a 0-d array', () => {
    const x = nd.array(5);
    assert.deepEqual(x.shape, []);
    assert.equal(x.size, 1);
    assert.equal(x.ndim, 0);
    assert.equal(x.toArray(), 5);
    assert.equal(x.item(), 5);
  });

  test('typed arrays are copied and keep their dtype unless told otherwise', () => {
    const source = new Float64Array([1, 2, 3]);
    const x = nd.array(source);
    assert.equal(x.dtype, 'float64');
    source[0] = 100;
    assert.equal(x.data[0], 1);
    assert.equal(nd.array(new Int32Array([1, 2])).dtype, 'int32');
    assert.equal(nd.array(new Float64Array([1]), { dtype: 'float32' }).dtype, 'float32');
  });

  test('an NDArray is copied, optionally converted', () => {
    const x = nd.array([1, 2]);
    const copy = nd.array(x);
    assert.notEqual(copy.data, x.data);
    assert.deepEqual(copy.toArray(), [1, 2]);
    assert.equal(nd.array(x, { dtype: 'float64' }).dtype, 'float64');
  });

  test('empty and booleans', () => {
    assert.deepEqual(nd.array([]).shape, [0]);
    assert.deepEqual(nd.array([[], []]).shape, [2, 0]);
    assert.deepEqual(nd.array([true, false] as unknown as number[]).toArray(), [1, 0]);
  });

  test('ragged input is a ShapeError; non-numbers and bad dtypes are ValueErrors', () => {
    assertThrowsWith(() => nd.array([[1, 2], [3]]), ShapeError, 'nd.array', 'ragged', '[2,2]');
    assertThrowsWith(() => nd.array([1, [2]] as never), ShapeError, 'nd.array', 'ragged');
    assertThrowsWith(() => nd.array(['a'] as never), ValueError, 'nd.array', 'string');
    assertThrowsWith(() => nd.array([1], { dtype: 'float16' as never }), ValueError, 'nd.array', 'float16');
  });

  test('input nested 20,000 levels deep works (no recursion) and round-trips through toArray', () => {
    let nested: unknown = [7];
    for (let level = 1; level < 20000; level++) nested = [nested];
    const x = nd.array(nested as number[]);
    assert.equal(x.ndim, 20000);
    assert.ok(x.shape.every((dim) => dim === 1));
    assert.deepEqual(Array.from(x.data), [7]);
    let back = x.toArray();
    let depth = 0;
    while (Array.isArray(back)) {
      assert.equal(back.length, 1);
      back = back[0]!;
      depth++;
    }
    assert.deepEqual([depth, back], [20000, 7]);
  });

  test('ragged input deep down is a ShapeError naming the first element that does not fit', () => {
    let nested: unknown = [1, 2];
    for (let level = 1; level < 20000; level++) nested = [nested];
    let ragged: unknown = [3];
    for (let level = 1; level < 19999; level++) ragged = [ragged];
    const both = [(nested as unknown[])[0], ragged];
    assertThrowsWith(() => nd.array(both as number[]), ShapeError, 'nd.array', 'ragged', 'length 1');
    assertThrowsWith(
      () =>
        nd.array([
          [[1], [2]],
          [[3], [4, 5]],
        ]),
      ShapeError,
      'nd.array',
      'shape [2,2,1]',
      'element [1,1] is an array of length 2',
    );
    assertThrowsWith(() => nd.array([[1, 2], 3] as never), ShapeError, 'element [1] is a number');
    assertThrowsWith(
      () =>
        nd.array([
          [1, 2],
          [3, 'x'],
        ] as never),
      ValueError,
      'string at [1,1]',
    );
    assertThrowsWith(() => nd.array('12' as never), ValueError, 'nd.array', 'string');
  });

  test('the constructor checks that data and shape agree', () => {
    assertThrowsWith(() => new NDArray(new Float32Array(5), [2, 3]), ShapeError, 'NDArray', '5', '[2,3]');
    const x = new NDArray(new Float64Array([1, 2]), [2]);
    assert.equal(x.dtype, 'float64');
    assert.ok(Object.isFrozen(x.shape));
  });
});

describe('constant makers', () => {
  test('zeros, ones, full take a number or an array as shape', () => {
    assert.deepEqual(nd.zeros(3).toArray(), [0, 0, 0]);
    assert.deepEqual(nd.ones([2, 2]).toArray(), [
      [1, 1],
      [1, 1],
    ]);
    assert.deepEqual(nd.full([2], 7.5).toArray(), [7.5, 7.5]);
    assert.deepEqual(nd.zeros([]).shape, []);
    assert.equal(nd.ones([2], { dtype: 'int32' }).dtype, 'int32');
    assert.equal(nd.ones([2]).dtype, 'float32');
    assert.deepEqual(nd.full([1], Number.NaN).toArray(), [Number.NaN]);
    assert.deepEqual(nd.zeros([2, 0, 3]).shape, [2, 0, 3]);
  });

  test('onesLike, zerosLike and fullLike keep shape and dtype', () => {
    const x = nd.array([[1, 2]], { dtype: 'float64' });
    for (const like of [nd.onesLike(x), nd.zerosLike(x), nd.fullLike(x, 3)]) {
      assert.deepEqual(like.shape, [1, 2]);
      assert.equal(like.dtype, 'float64');
    }
    assert.deepEqual(nd.onesLike(x).toArray(), [[1, 1]]);
    assert.deepEqual(nd.zerosLike(x).toArray(), [[0, 0]]);
    assert.deepEqual(nd.fullLike(x, 3).toArray(), [[3, 3]]);
  });

  test('negative, fractional or NaN dimensions are ShapeErrors naming the function and the axis', () => {
    assertThrowsWith(() => nd.zeros([2, -1]), ShapeError, 'nd.zeros', '[2,-1]', 'axis 1 is -1');
    assertThrowsWith(() => nd.ones(1.5), ShapeError, 'nd.ones', '1.5');
    assertThrowsWith(() => nd.full([Number.NaN, 2], 3), ShapeError, 'nd.full', 'axis 0 is NaN');
    assertThrowsWith(() => nd.zeros([Number.POSITIVE_INFINITY]), ShapeError, 'nd.zeros', 'Infinity');
    assertThrowsWith(() => nd.zeros('3' as never), ShapeError, 'nd.zeros', 'shape must be');
  });

  test('impossible sizes are ShapeErrors naming the function, the shape and the element limit', () => {
    const limit = String(MAX_ELEMENTS);
    assertThrowsWith(() => nd.zeros([1e10]), ShapeError, 'nd.zeros', '[10000000000]', limit);
    assertThrowsWith(() => nd.ones([1e5, 1e5]), ShapeError, 'nd.ones', '[100000,100000]', limit);
    assertThrowsWith(() => nd.full([2 ** 16, 2 ** 16], 1), ShapeError, 'nd.full', '[65536,65536]', limit);
    // The product, not a single dimension, is what is limited; it may even overflow to Infinity.
    assertThrowsWith(() => nd.zeros([1e200, 1e200]), ShapeError, 'nd.zeros', 'Infinity elements', limit);
    assertThrowsWith(() => nd.random.uniform(0, 1, [1e10]), ShapeError, 'random.uniform', limit);
    assertThrowsWith(() => nd.random.normal(0, 1, [1e5, 1e5]), ShapeError, 'random.normal', limit);
    assertThrowsWith(() => nd.random.randint(0, 3, [1e10]), ShapeError, 'random.randint', limit);
    assertThrowsWith(() => nd.arange(0, 1e10), ShapeError, 'nd.arange', '[10000000000]', limit);
    // A dimension of 0 makes any shape empty, however large the other dimensions.
    assert.equal(nd.zeros([0, 1e10]).size, 0);
  });
});

describe('nd.arange', () => {
  test('stop only, start and stop, and a step', () => {
    assert.deepEqual(nd.arange(4).toArray(), [0, 1, 2, 3]);
    assert.deepEqual(nd.arange(2, 5).toArray(), [2, 3, 4]);
    assert.deepEqual(nd.arange(0, 1, 0.25).toArray(), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(nd.arange(5, 1, -2).toArray(), [5, 3]);
    assert.deepEqual(nd.arange(3, 3).shape, [0]);
    assert.deepEqual(nd.arange(3, 1).shape, [0]);
  });

  test('arange(-5, 5, 0.1) matches MXNet float32 arithmetic value for value', () => {
    const x = nd.arange(-5, 5, 0.1);
    assert.equal(x.size, 100);
    assert.equal(x.data[50], 0);
    // MXNet computes f32(start) + f32(i · f32(step)) in float32: index 99 is 4.9000006, not 4.9.
    assert.equal(x.data[99], Math.fround(4.9000006));
    assert.notEqual(x.data[99], Math.fround(4.9));
    for (let i = 0; i < 100; i++) {
      assert.equal(x.data[i], Math.fround(-5 + Math.fround(i * Math.fround(0.1))), `index ${i}`);
    }
  });

  test('float64 and int32 ranges', () => {
    const x = nd.arange(-5, 5, 0.1, { dtype: 'float64' });
    assert.equal(x.data[99], -5 + 99 * 0.1);
    assert.deepEqual(nd.arange(0, 6, 2, { dtype: 'int32' }).toArray(), [0, 2, 4]);
  });

  test('a zero or non-finite step is a ValueError', () => {
    assertThrowsWith(() => nd.arange(0, 1, 0), ValueError, 'nd.arange', 'step 0');
    assertThrowsWith(() => nd.arange(0, Infinity), ValueError, 'nd.arange', 'Infinity');
  });
});
