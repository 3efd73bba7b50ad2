import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { ShapeError } from '../../src/ndarray/errors.js';
import * as nd from '../../src/ndarray/index.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { assertClose, assertGradients, assertThrowsWith, randn } from './_op-checks.js';

const f64 = { dtype: 'float64' } as const;
// x[i][j][k] = 100 i + 10 j + k, shape [2,3,4]
const cube = nd.array(
  [0, 1].map((i) => [0, 1, 2].map((j) => [0, 1, 2, 3].map((k) => 100 * i + 10 * j + k))),
  f64,
);

describe('sum and mean', () => {
  test('over all axes give a 0-d array', () => {
    const s = cube.sum();
    assert.deepEqual(s.shape, []);
    assert.equal(s.item(), 12 * 100 + 8 * 30 + 6 * 6);
    assert.equal(cube.mean().item(), (12 * 100 + 8 * 30 + 6 * 6) / 24);
    assert.deepEqual(cube.sum(null, true).shape, [1, 1, 1]);
  });

  test('along one axis, negative axes and several axes, with and without keepDims', () => {
    assertClose(cube.sum(2), [
      [6, 46, 86],
      [406, 446, 486],
    ]);
    assertClose(cube.sum(-1), cube.sum(2), { rtol: 0 });
    assertClose(cube.sum(0), [
      [100, 102, 104, 106],
      [120, 122, 124, 126],
      [140, 142, 144, 146],
    ]);
    assertClose(cube.sum([0, 2]), [412, 492, 572]);
    assertClose(cube.sum([-3, -1]), [412, 492, 572]);
    assertClose(cube.sum([2, 0]), [412, 492, 572]);
    assert.deepEqual(cube.sum([0, 2], true).shape, [1, 3, 1]);
    assert.deepEqual(cube.sum(1, true).shape, [2, 1, 4]);
    assertClose(cube.mean(1), [
      [10, 11, 12, 13],
      [110, 111, 112, 113],
    ]);
    assertClose(cube.mean([0, 1, 2]), cube.mean(), { rtol: 0 });
  });

  test('size-1 axes and 0-d inputs', () => {
    const column = nd.array([[1], [2], [3]]);
    assertClose(column.sum(1), [1, 2, 3]);
    assertClose(column.sum(0), [6]);
    const scalar = nd.array(5);
    assert.deepEqual(scalar.sum().shape, []);
    assert.equal(scalar.sum().item(), 5);
    assert.equal(scalar.mean().item(), 5);
    assert.equal(scalar.max().item(), 5);
    assertThrowsWith(() => scalar.sum(0), ShapeError, 'sum', 'axis 0', 'rank 0');
  });

  test('empty axes: sum is 0, mean is NaN', () => {
    const empty = nd.zeros([2, 0]);
    assertClose(empty.sum(1), [0, 0]);
    assertClose(empty.mean(1), [Number.NaN, Number.NaN]);
    assert.deepEqual(empty.sum(0).shape, [0]);
  });

  test('float32 inputs accumulate in float64 and round once', () => {
    // In float32 arithmetic 2^24 + 1 = 2^24, so a float32 running sum would stay at 16777216.
    const x = nd.array([16777216, 1, 1, 1, 1]);
    assert.equal(x.sum().item(), 16777220);
    const many = nd.full([1000000], 0.1);
    assertClose(many.sum().item(), Math.fround(1000000 * Math.fround(0.1)), { rtol: 1e-7 });
    assertClose(many.mean().item(), Math.fround(0.1), { rtol: 0, atol: 0 });
  });

  test('dtypes: sum keeps int32, mean of int32 is float32', () => {
    const ints = nd.array([1, 2, 4], { dtype: 'int32' });
    assert.equal(ints.sum().dtype, 'int32');
    assert.equal(ints.sum().item(), 7);
    assert.equal(ints.mean().dtype, 'float32');
    assertClose(ints.mean().item(), 7 / 3, { rtol: 1e-7 });
    assert.equal(cube.sum().dtype, 'float64');
  });

  test('NaN propagates into the sum of its row only', () => {
    const x = nd.array([
      [1, Number.NaN],
      [2, 3],
    ]);
    assertClose(x.sum(1), [Number.NaN, 5]);
    assertClose(x.mean(0), [1.5, Number.NaN]);
  });

  test('bad axes are ShapeErrors naming the function and the axis', () => {
    assertThrowsWith(() => cube.sum(3), ShapeError, 'sum', 'axis 3', 'rank 3');
    assertThrowsWith(() => cube.mean(-4), ShapeError, 'mean', '-4');
    assertThrowsWith(() => cube.max([0, -3]), ShapeError, 'max', 'repeats');
    assertThrowsWith(() => cube.sum(1.5), ShapeError, 'sum', '1.5');
  });
});

describe('max, min, argmax and norm', () => {
  test('values along axes', () => {
    assertClose(cube.max(2), [
      [3, 13, 23],
      [103, 113, 123],
    ]);
    assertClose(cube.min([0, 1]), [0, 1, 2, 3]);
    assert.equal(cube.max().item(), 123);
    assert.equal(cube.min().item(), 0);
    assert.deepEqual(cube.max(-2, true).shape, [2, 1, 4]);
    assertClose(nd.array([-Infinity, -Infinity]).max(), -Infinity);
    assertClose(nd.array([Infinity, 1]).min(), 1);
  });

  test('NaN wins in max and min', () => {
    const x = nd.array([
      [1, Number.NaN, 3],
      [4, 5, 6],
    ]);
    assertClose(x.max(1), [Number.NaN, 6]);
    assertClose(x.min(1), [Number.NaN, 4]);
    assertClose(nd.array([Number.NaN, -Infinity]).max(), Number.NaN);
    assertClose(nd.array([-Infinity, Number.NaN]).max(), Number.NaN);
  });

  test('argmax returns int32 indices: first maximum, and the first NaN wins', () => {
    const x = nd.array([
      [1, 5, 5],
      [7, 2, 0],
      [1, Number.NaN, 9],
    ]);
    const index = x.argmax();
    assert.equal(index.dtype, 'int32');
    assert.deepEqual(index.toArray(), [1, 0, 1]);
    assert.deepEqual(x.argmax(0).toArray(), [1, 2, 2]);
    assertThrowsWith(() => x.argmax(2), ShapeError, 'argmax');
  });

  test('norm is the L2 norm', () => {
    assert.equal(nd.array([3, 4]).norm().item(), 5);
    assertClose(
      nd
        .array([
          [3, 4],
          [6, 8],
        ])
        .norm(1),
      [5, 10],
    );
  });

  test('tied extrema share the gradient equally', () => {
    const x = nd.array([1, 3, 3, 2], f64).attachGrad();
    record(() => x.max()).backward();
    assert.deepEqual(x.grad!.toArray(), [0, 0.5, 0.5, 0]);
    record(() => x.min()).backward();
    assert.deepEqual(x.grad!.toArray(), [1, 0, 0, 0]);
  });
});

describe('logSumExp', () => {
  test('matches log Σ exp and keeps dims', () => {
    const x = nd.array(
      [
        [0, 1, 2],
        [-1, 0, 5],
      ],
      f64,
    );
    const expected = [
      [0, 1, 2],
      [-1, 0, 5],
    ].map((r) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0)));
    assertClose(x.logSumExp(1), expected, { rtol: 1e-15 });
    assertClose(
      x.logSumExp(-1, true),
      expected.map((v) => [v]),
      { rtol: 1e-15 },
    );
    assertClose(x.logSumExp(), Math.log([0, 1, 2, -1, 0, 5].reduce((s, v) => s + Math.exp(v), 0)), {
      rtol: 1e-15,
    });
  });

  test('huge values do not overflow', () => {
    assertClose(nd.array([1e30, 1e30]).logSumExp(), 1e30, { rtol: 1e-7 });
    assertClose(nd.array([1e30, 1e30], f64).logSumExp(), 1e30, { rtol: 1e-15 });
    assertClose(nd.array([1000, 1000], f64).logSumExp(), 1000 + Math.LN2, { rtol: 1e-15 });
    assertClose(nd.array([-1000, -1000], f64).logSumExp(), -1000 + Math.LN2, { rtol: 1e-15 });
    assertClose(nd.array([1e30, 0], f64).logSumExp(), 1e30, { rtol: 1e-15 });
  });

  test('infinite and NaN entries', () => {
    assertClose(nd.array([-Infinity, -Infinity]).logSumExp(), -Infinity);
    assertClose(
      nd
        .array([
          [-Infinity, -Infinity],
          [0, -Infinity],
        ])
        .logSumExp(1),
      [-Infinity, 0],
    );
    assertClose(nd.array([Infinity, 0]).logSumExp(), Infinity);
    assertClose(nd.array([Number.NaN, 0]).logSumExp(), Number.NaN);
  });

  test('the gradient is the softmax and stays finite for huge inputs', () => {
    const x = nd.array([1000, 1000, -Infinity], f64).attachGrad();
    record(() => x.logSumExp()).backward();
    assertClose(x.grad!, [0.5, 0.5, 0]);
  });
});

describe('gradients of every reduction (first and second order)', () => {
  const x = randn([2, 3, 4], 21);
  const cases: [string, (v: NDArray) => NDArray][] = [
    ['sum all', (v) => v.sum()],
    ['sum axis 1', (v) => v.sum(1)],
    ['sum axes [0,2] keepDims', (v) => v.sum([0, 2], true)],
    ['sum squared (second derivative 2)', (v) => v.square().sum(-1)],
    ['mean all', (v) => v.mean().square()],
    ['mean axis -1', (v) => v.mean(-1).exp()],
    ['mean axes [0,1] keepDims', (v) => v.mean([0, 1], true).square()],
    ['max axis 2', (v) => v.max(2).square()],
    ['max all', (v) => v.max().exp()],
    ['min axes [0,1]', (v) => v.min([0, 1]).square()],
    ['logSumExp axis 1', (v) => v.logSumExp(1)],
    ['logSumExp all', (v) => v.logSumExp()],
    ['logSumExp axes [0,2] keepDims', (v) => v.logSumExp([0, 2], true)],
    ['norm axis 1', (v) => v.norm(1)],
  ];
  for (const [name, f] of cases) test(name, () => assertGradients(name, f, [x]));

  test('a 0-d input', () => assertGradients('sum of 0-d', (v) => v.sum().mul(v), [nd.array(1.5, f64)]));
});
