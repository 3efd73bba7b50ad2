import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { L2Loss } from '../../src/loss/l2.js';
import { AutogradError, ShapeError } from '../../src/ndarray/errors.js';
import * as nd from '../../src/ndarray/index.js';
import { assertThrowsWith } from '../ops/_op-checks.js';

describe('NDArray basics', () => {
  test('shape is frozen; size and ndim follow it', () => {
    const x = nd.zeros([2, 3, 4]);
    assert.equal(x.size, 24);
    assert.equal(x.ndim, 3);
    assert.throws(() => {
      (x.shape as number[]).push(1);
    }, TypeError);
  });

  test('toArray returns nested arrays, a number for 0-d', () => {
    assert.deepEqual(nd.arange(6).reshape(1, 2, 3).toArray(), [
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
    ]);
    assert.deepEqual(nd.zeros([2, 0]).toArray(), [[], []]);
    assert.equal(nd.array(2.5).toArray(), 2.5);
  });

  test('item needs exactly one element', () => {
    assert.equal(nd.array([[4]]).item(), 4);
    assertThrowsWith(() => nd.array([1, 2]).item(), ShapeError, 'NDArray.item', '[2]');
  });

  test('fill and assign write in place and return the array', () => {
    const x = nd.zeros([2, 2]);
    assert.equal(x.fill(3), x);
    assert.deepEqual(x.toArray(), [
      [3, 3],
      [3, 3],
    ]);
    x.assign(
      nd.array([
        [1, 2],
        [3, 4],
      ]),
    );
    assert.deepEqual(x.toArray(), [
      [1, 2],
      [3, 4],
    ]);
    x.assign([5, 6, 7, 8]);
    assert.deepEqual(x.toArray(), [
      [5, 6],
      [7, 8],
    ]);
  });

  test('copy and astype own their data; detach and reshape share it', () => {
    const x = nd.array([1, 2]);
    const copy = x.copy();
    copy.fill(0);
    assert.deepEqual(x.toArray(), [1, 2]);
    assert.notEqual(x.astype('float32').data, x.data);
    assert.equal(x.detach().data, x.data);
    assert.equal(x.reshape(2, 1).data, x.data);
  });

  test('attachGrad marks a variable with a zero gradient; on an op output it starts a new leaf', () => {
    const x = nd.array([1, 2]);
    assert.equal(x.requiresGrad, false);
    assert.equal(x.grad, null);
    assert.equal(x.attachGrad(), x);
    assert.equal(x.requiresGrad, true);
    assert.deepEqual(x.grad!.toArray(), [0, 0]);
    const y = record(() => x.mul(3));
    assert.equal(y.requiresGrad, true);
    y.attachGrad();
    record(() => y.square()).backward();
    assert.deepEqual(y.grad!.toArray(), [6, 12]);
    assert.deepEqual(x.grad!.toArray(), [0, 0]);
  });

  test('attachGrad on an int32 array is an AutogradError suggesting astype; a float copy works', () => {
    const labels = nd.array([1, 2, 3], { dtype: 'int32' });
    for (const gradReq of ['write', 'add'] as const) {
      assertThrowsWith(
        () => labels.attachGrad(gradReq),
        AutogradError,
        'attachGrad',
        'int32',
        '[3]',
        ".astype('float32')",
      );
    }
    assert.equal(labels.requiresGrad, false);
    assert.equal(labels.grad, null);
    // 'null' requests no gradient, so it is allowed and changes nothing.
    assert.equal(labels.attachGrad('null').requiresGrad, false);
    // The suggested fix: through a loss the float copy gets d/dx ½(x − y)² = x − y, like x·x does.
    const x = labels.astype('float32').attachGrad();
    record(() => new L2Loss().forward(x, nd.zeros([3]))).backward();
    assert.deepEqual(x.grad!.toArray(), [1, 2, 3]);
    record(() => x.mul(x).sum()).backward();
    assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
  });

  test('T, flatten, norm and the method forms of every op family', () => {
    const x = nd.array([
      [3, 4],
      [0, 0],
    ]);
    assert.deepEqual(x.T.toArray(), [
      [3, 0],
      [4, 0],
    ]);
    assert.deepEqual(x.flatten().shape, [2, 2]);
    assert.equal(x.norm().item(), 5);
    assert.deepEqual(x.max(1).toArray(), [4, 0]);
    assert.deepEqual(x.sliceAxis(0, 0, 1).toArray(), [[3, 4]]);
    assert.deepEqual(x.softmax().toArray(), [
      [Math.fround(1 / (1 + Math.E)), Math.fround(Math.E / (1 + Math.E))],
      [0.5, 0.5],
    ]);
    assert.deepEqual(x.dot(nd.array([[1], [1]])).toArray(), [[7], [0]]);
  });
});
