import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allocate, MAX_ELEMENTS } from '../../src/ndarray/dtype.js';
import { ShapeError } from '../../src/ndarray/errors.js';
import * as nd from '../../src/ndarray/index.js';
import { assertThrowsWith } from '../ops/_op-checks.js';

describe('allocate, the one place arrays get memory', () => {
  test('an op whose output would be too large is a ShapeError naming the op and the shape', () => {
    const limit = String(MAX_ELEMENTS);
    const column = nd.zeros([1e5, 1]);
    const row = nd.zeros([1, 1e5]);
    assertThrowsWith(() => column.add(row), ShapeError, 'add', '[100000,100000]', limit);
    assertThrowsWith(() => column.mul(row), ShapeError, 'mul', '[100000,100000]', limit);
    assertThrowsWith(() => nd.where(nd.ones([1]), column, row), ShapeError, 'where', limit);
    assertThrowsWith(() => column.matmul(row), ShapeError, 'matmul', '[100000,100000]', limit);
    assertThrowsWith(() => column.broadcastTo([1e5, 1e5]), ShapeError, 'broadcastTo', limit);
    assertThrowsWith(() => column.broadcastTo([-1, 1]), ShapeError, 'broadcastTo', '[-1,1]');
    assertThrowsWith(() => nd.oneHot(nd.zeros([1e5], { dtype: 'int32' }), 1e5), ShapeError, 'oneHot', limit);
  });

  test('allocate itself rejects negative, fractional and too-large sizes with a ShapeError', () => {
    assertThrowsWith(() => allocate('float32', -12), ShapeError, 'allocate', '-12');
    assertThrowsWith(() => allocate('int32', 2.5, 'someOp', [2.5]), ShapeError, 'someOp', '[2.5]');
    assertThrowsWith(
      () => allocate('float64', MAX_ELEMENTS + 1, 'someOp'),
      ShapeError,
      'someOp',
      String(MAX_ELEMENTS),
    );
    assert.equal(allocate('float64', 3).length, 3);
  });
});
