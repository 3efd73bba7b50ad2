import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import * as nd from '../../src/ndarray/index.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { assertClose, assertGradients, assertThrowsWith, randn } from './_op-checks.js';

const f64 = { dtype: 'float64' } as const;
const grid = nd.arange(6).reshape(2, 3); // [[0,1,2],[3,4,5]]

describe('reshape, expandDims, squeeze, flatten', () => {
  test('reshape takes dims as arguments or an array, with one -1', () => {
    assert.deepEqual(grid.reshape(3, 2).toArray(), [
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    assert.deepEqual(grid.reshape([-1]).toArray(), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(grid.reshape(-1, 1).shape, [6, 1]);
    assert.deepEqual(nd.array(7).reshape(-1, 1).shape, [1, 1]);
    assert.deepEqual(nd.array([7]).reshape([]).shape, []);
    assert.deepEqual(nd.zeros([0, 3]).reshape(-1, 3).shape, [0, 3]);
  });

  test('reshape shares the data buffer (MXNet semantics)', () => {
    const x = nd.arange(4);
    assert.equal(x.reshape(2, 2).data, x.data);
  });

  test('bad reshapes are ShapeErrors with both shapes', () => {
    assertThrowsWith(() => grid.reshape(4, 2), ShapeError, 'reshape', '[2,3]', '[4,2]');
    assertThrowsWith(() => grid.reshape(-1, -1), ShapeError, 'reshape', '-1');
    assertThrowsWith(() => grid.reshape(4, -1), ShapeError, 'reshape', '[4,-1]');
    assertThrowsWith(() => grid.reshape(1.5, 4), ShapeError, 'reshape');
  });

  test('expandDims and squeeze, including negative axes', () => {
    assert.deepEqual(grid.expandDims(0).shape, [1, 2, 3]);
    assert.deepEqual(grid.expandDims(-1).shape, [2, 3, 1]);
    assert.deepEqual(grid.expandDims(1).shape, [2, 1, 3]);
    assert.deepEqual(nd.array(1).expandDims(0).shape, [1]);
    const padded = nd.zeros([1, 2, 1, 3, 1]);
    assert.deepEqual(padded.squeeze().shape, [2, 3]);
    assert.deepEqual(padded.squeeze(-1).shape, [1, 2, 1, 3]);
    assert.deepEqual(padded.squeeze([0, 2]).shape, [2, 3, 1]);
    assert.deepEqual(nd.zeros([1, 1]).squeeze().shape, []);
    assertThrowsWith(() => padded.squeeze(1), ShapeError, 'squeeze', 'axis 1', 'size 2');
    assertThrowsWith(() => grid.expandDims(4), ShapeError, 'expandDims', '4');
  });

  test('flatten keeps the first axis', () => {
    assert.deepEqual(nd.zeros([2, 3, 4]).flatten().shape, [2, 12]);
  });
});

describe('transpose and broadcastTo', () => {
  const cube = nd.arange(24).reshape(2, 3, 4);

  test('transpose reverses by default and permutes with axes', () => {
    assert.deepEqual(grid.transpose().toArray(), [
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    assert.deepEqual(grid.T.toArray(), [
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    const permuted = cube.transpose([1, 2, 0]);
    assert.deepEqual(permuted.shape, [3, 4, 2]);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let k = 0; k < 4; k++)
          assert.equal(permuted.data[(j * 4 + k) * 2 + i], cube.data[(i * 3 + j) * 4 + k]);
    assert.deepEqual(cube.transpose([-1, 0, 1]).shape, [4, 2, 3]);
    assert.deepEqual(nd.array(3).transpose().shape, []);
  });

  test('bad permutations are ShapeErrors', () => {
    assertThrowsWith(() => cube.transpose([0, 0, 1]), ShapeError, 'transpose', 'permutation');
    assertThrowsWith(() => cube.transpose([0, 1]), ShapeError, 'transpose');
    assertThrowsWith(() => cube.transpose([0, 1, 3]), ShapeError, 'transpose', '3');
  });

  test('broadcastTo repeats size-1 and missing leading axes', () => {
    assert.deepEqual(
      nd
        .array([[1], [2]])
        .broadcastTo([2, 3])
        .toArray(),
      [
        [1, 1, 1],
        [2, 2, 2],
      ],
    );
    assert.deepEqual(nd.array([1, 2]).broadcastTo([2, 2]).toArray(), [
      [1, 2],
      [1, 2],
    ]);
    assert.deepEqual(nd.array(5).broadcastTo([2]).toArray(), [5, 5]);
    assertThrowsWith(() => nd.ones([3]).broadcastTo([2]), ShapeError, 'broadcastTo', '[3]', '[2]');
    assertThrowsWith(() => nd.ones([2, 3]).broadcastTo([3]), ShapeError, 'broadcastTo', '[2,3]', '[3]');
  });
});

describe('slice, sliceAxis, concat, stack', () => {
  const x = nd.arange(20).reshape(4, 5);

  test('slice with negatives, nulls, clamping and missing trailing axes', () => {
    assert.deepEqual(x.slice([1, 2], [3, 4]).toArray(), [
      [7, 8],
      [12, 13],
    ]);
    assert.deepEqual(x.slice([-1, null], [null, -3]).toArray(), [[15, 16]]);
    assert.deepEqual(x.slice([2], [100]).shape, [2, 5]);
    assert.deepEqual(x.slice([3, 0], [1, 5]).shape, [0, 5]);
    assertThrowsWith(() => x.slice([0, 0, 0], [1, 1, 1]), ShapeError, 'slice', 'rank 2');
    assertThrowsWith(() => x.slice([0.5], [2]), ValueError, 'slice', '0.5');
  });

  test('sliceAxis slices one axis', () => {
    assert.deepEqual(x.sliceAxis(1, 1, 3).toArray(), [
      [1, 2],
      [6, 7],
      [11, 12],
      [16, 17],
    ]);
    assert.deepEqual(x.sliceAxis(-2, -1, null).toArray(), [[15, 16, 17, 18, 19]]);
  });

  test('concat joins along an axis; other dims and dtypes must agree', () => {
    const a = nd.array([[1, 2]]);
    const b = nd.array([
      [3, 4],
      [5, 6],
    ]);
    assert.deepEqual(nd.concat([a, b]).toArray(), [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    assert.deepEqual(nd.concat([b, b], -1).toArray(), [
      [3, 4, 3, 4],
      [5, 6, 5, 6],
    ]);
    assertThrowsWith(() => nd.concat([a, b], 1), ShapeError, 'concat', 'array 1', '[2,2]', '[1,2]');
    assertThrowsWith(() => nd.concat([a, a.astype('float64')]), ShapeError, 'concat', 'float64');
    assertThrowsWith(() => nd.concat([]), ValueError, 'concat');
  });

  test('stack adds a new axis', () => {
    const a = nd.array([1, 2]);
    const b = nd.array([3, 4]);
    assert.deepEqual(nd.stack([a, b]).toArray(), [
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(nd.stack([a, b], -1).toArray(), [
      [1, 3],
      [2, 4],
    ]);
    assert.deepEqual(nd.stack([nd.array(1), nd.array(2)]).toArray(), [1, 2]);
    assertThrowsWith(() => nd.stack([a, nd.array([1, 2, 3])]), ShapeError, 'stack', '[3]', '[2]');
  });
});

describe('pick and oneHot', () => {
  const scores = nd.array([
    [1, 2, 3],
    [4, 5, 6],
  ]);

  test('pick gathers along the last axis by default, or any axis', () => {
    assert.deepEqual(scores.pick(nd.array([2, 0])).toArray(), [3, 4]);
    assert.deepEqual(scores.pick([1, 1]).toArray(), [2, 5]);
    assert.deepEqual(scores.pick(nd.array([1, 0, 1]), 0).toArray(), [4, 2, 6]);
    assert.deepEqual(scores.pick(nd.array([[2], [1]]), -1, true).toArray(), [[3], [5]]);
    assert.deepEqual(scores.pick(nd.array([2, 1], { dtype: 'int32' })).toArray(), [3, 5]);
    assert.deepEqual(nd.array([7, 8, 9]).pick(nd.array(1)).toArray(), 8);
  });

  test('pick rejects out-of-range, fractional and NaN indices and wrong index shapes', () => {
    assertThrowsWith(() => scores.pick(nd.array([3, 0])), ValueError, 'pick', 'index', '3', '[0, 3)');
    assertThrowsWith(() => scores.pick(nd.array([-1, 0])), ValueError, 'pick', '-1');
    assertThrowsWith(() => scores.pick(nd.array([0.5, 0])), ValueError, 'pick', '0.5');
    assertThrowsWith(() => scores.pick(nd.array([Number.NaN, 0])), ValueError, 'pick', 'NaN');
    assertThrowsWith(() => scores.pick(nd.array([0, 0, 0])), ShapeError, 'pick', '[3]', '[2,3]');
  });

  test('the gradient of pick scatters into the picked positions, accumulating repeats', () => {
    const x = nd
      .array(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        f64,
      )
      .attachGrad();
    record(() => x.pick(nd.array([2, 0])).mul(nd.array([10, 20], f64))).backward();
    assert.deepEqual(x.grad!.toArray(), [
      [0, 0, 10],
      [20, 0, 0],
    ]);
    const column = nd.array([1, 2], f64).attachGrad();
    record(() =>
      nd.concat([column.pick(nd.array(0)).expandDims(0), column.pick(nd.array(0)).expandDims(0)]),
    ).backward();
    assert.deepEqual(column.grad!.toArray(), [2, 0]);
  });

  test('oneHot', () => {
    const encoded = nd.oneHot(nd.array([0, 2, 1]), 3);
    assert.deepEqual(encoded.toArray(), [
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
    ]);
    assert.equal(encoded.dtype, 'float32');
    assert.equal(nd.array([[1]]).oneHot(2, 'int32').dtype, 'int32');
    assert.deepEqual(nd.array([[1]]).oneHot(2).shape, [1, 1, 2]);
    assertThrowsWith(() => nd.oneHot(nd.array([3]), 3), ValueError, 'oneHot', 'indices', '3');
    assertThrowsWith(() => nd.oneHot(nd.array([0]), 0), ValueError, 'oneHot', 'depth');
  });
});

describe('gradients of every movement op (first and second order)', () => {
  const x = randn([2, 3, 4], 31);
  const y = randn([2, 2, 4], 32);
  const cases: [string, (v: NDArray, w: NDArray) => NDArray][] = [
    ['reshape', (v) => v.reshape(4, -1).square()],
    ['transpose', (v) => v.transpose([2, 0, 1]).mul(nd.arange(24).reshape(4, 2, 3).astype('float64'))],
    ['transpose default then exp', (v) => v.T.exp()],
    ['expandDims and squeeze', (v) => v.expandDims(1).square().squeeze(1)],
    ['flatten', (v) => v.flatten().sin()],
    ['broadcastTo', (v) => v.sum(1, true).broadcastTo([2, 5, 4]).square()],
    ['slice', (v) => v.slice([1, 0, 1], [2, 3, 3]).square()],
    ['slice with negative bounds', (v) => v.slice([null, -2], [null, null]).exp()],
    ['sliceAxis', (v) => v.sliceAxis(2, 1, 3).tanh()],
    ['concat along axis 1', (v, w) => nd.concat([v, w.square()], 1).exp()],
    ['stack along axis -1', (v) => nd.stack([v, v.square()], -1).sin()],
    [
      'pick along axis 1',
      (v) =>
        v
          .pick(
            nd.array([
              [0, 2, 1, 1],
              [2, 2, 0, 1],
            ]),
            1,
          )
          .square(),
    ],
    [
      'pick keepDims along the last axis',
      (v) =>
        v
          .pick(
            nd.array([
              [3, 0, 1],
              [2, 2, 0],
            ]),
            -1,
            true,
          )
          .exp(),
    ],
  ];
  for (const [name, f] of cases) test(name, () => assertGradients(name, f, [x, y]));

  test('slice of a slice keeps second derivatives exact', () => {
    assertGradients('slice twice', (v) => v.slice([0, 1], [2, 3]).slice([1], [2]).square().mul(v.sum()), [x]);
  });

  test('values of slice gradients: zeros outside the window', () => {
    const v = nd.zeros([3, 3], f64).attachGrad();
    record(() => v.slice([1, 1], [3, 2])).backward();
    assertClose(v.grad!, [
      [0, 0, 0],
      [0, 1, 0],
      [0, 1, 0],
    ]);
  });
});
