import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatShape, ShapeError } from '../../src/ndarray/errors.js';
import {
  broadcastShapes,
  broadcastStrides,
  normalizeAxes,
  normalizeAxis,
  normalizeShape,
  reductionAxes,
  sameShape,
  sizeOf,
  stridesOf,
} from '../../src/ndarray/shape.js';
import { assertThrowsWith } from '../ops/_op-checks.js';

describe('shape helpers', () => {
  test('sizeOf and stridesOf (row-major), 0-d included', () => {
    assert.equal(sizeOf([2, 3, 4]), 24);
    assert.equal(sizeOf([]), 1);
    assert.equal(sizeOf([3, 0]), 0);
    assert.deepEqual(stridesOf([2, 3, 4]), [12, 4, 1]);
    assert.deepEqual(stridesOf([]), []);
  });

  test('sameShape and formatShape', () => {
    assert.ok(sameShape([2, 3], [2, 3]));
    assert.ok(!sameShape([2, 3], [3, 2]));
    assert.ok(!sameShape([1], []));
    assert.equal(formatShape([2, 3]), '[2,3]');
    assert.equal(formatShape([]), '[]');
  });

  test('normalizeShape accepts a number or an array of non-negative integers', () => {
    assert.deepEqual(normalizeShape(3, 'f'), [3]);
    assert.deepEqual(normalizeShape([2, 0], 'f'), [2, 0]);
    assertThrowsWith(() => normalizeShape([2, -1], 'zeros'), ShapeError, 'zeros', '[2,-1]');
  });
});

describe('broadcasting rules', () => {
  test('right-aligned, size-1 and missing axes stretch', () => {
    assert.deepEqual(broadcastShapes([2, 3], [3], 'f'), [2, 3]);
    assert.deepEqual(broadcastShapes([3, 1], [3], 'f'), [3, 3]);
    assert.deepEqual(broadcastShapes([], [2, 2], 'f'), [2, 2]);
    assert.deepEqual(broadcastShapes([1], [], 'f'), [1]);
    assert.deepEqual(broadcastShapes([2, 1, 4], [3, 1], 'f'), [2, 3, 4]);
    assert.deepEqual(broadcastShapes([0], [1], 'f'), [0]);
  });

  test('a mismatch names the function, the operands, both shapes and the axis', () => {
    assertThrowsWith(
      () => broadcastShapes([2, 3], [4], 'add'),
      ShapeError,
      'add',
      'a [2,3]',
      'b [4]',
      'axis -1',
      '3 and 4',
    );
    assertThrowsWith(
      () => broadcastShapes([2], [3], 'where', ['condition', 'x']),
      ShapeError,
      'condition [2]',
      'x [3]',
    );
  });

  test('reductionAxes undo a broadcast; broadcastStrides read it', () => {
    assert.deepEqual(reductionAxes([3, 1], [2, 3, 4]), [0, 2]);
    assert.deepEqual(reductionAxes([], [2, 3]), [0, 1]);
    assert.deepEqual(reductionAxes([2, 3], [2, 3]), []);
    assert.deepEqual(reductionAxes([1], [1]), []);
    assert.deepEqual(broadcastStrides([3, 1], [2, 3, 4]), [0, 1, 0]);
    assert.deepEqual(broadcastStrides([4], [2, 4]), [0, 1]);
  });
});

describe('axes', () => {
  test('normalizeAxis maps negatives and rejects out-of-range and fractional axes', () => {
    assert.equal(normalizeAxis(-1, 3, 'f'), 2);
    assert.equal(normalizeAxis(0, 3, 'f'), 0);
    assertThrowsWith(() => normalizeAxis(3, 3, 'sum'), ShapeError, 'sum', 'axis 3', 'rank 3');
    assertThrowsWith(() => normalizeAxis(-4, 3, 'sum'), ShapeError, 'sum', '-4');
    assertThrowsWith(() => normalizeAxis(0, 0, 'softmax'), ShapeError, 'softmax', 'rank 0');
    assertThrowsWith(() => normalizeAxis(0.5, 2, 'f', 'batchAxis'), ShapeError, 'batchAxis 0.5');
  });

  test('normalizeAxes: all by default, sorted, no repeats', () => {
    assert.deepEqual(normalizeAxes(undefined, 3, 'f'), [0, 1, 2]);
    assert.deepEqual(normalizeAxes(null, 0, 'f'), []);
    assert.deepEqual(normalizeAxes([-1, 0], 3, 'f'), [0, 2]);
    assert.deepEqual(normalizeAxes(1, 3, 'f'), [1]);
    assertThrowsWith(() => normalizeAxes([1, -2], 3, 'mean'), ShapeError, 'mean', 'repeats');
  });
});
