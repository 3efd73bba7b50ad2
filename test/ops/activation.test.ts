import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { ShapeError } from '../../src/ndarray/errors.js';
import * as nd from '../../src/ndarray/index.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { assertClose, assertGradients, assertThrowsWith, randn } from './_op-checks.js';

const f64 = { dtype: 'float64' } as const;

function softmaxRow(row: number[]): number[] {
  const total = row.reduce((s, v) => s + Math.exp(v), 0);
  return row.map((v) => Math.exp(v) / total);
}

describe('softmax and logSoftmax: values', () => {
  const rows = [
    [1, 2, 3],
    [-1, 0, 4],
  ];
  const x = nd.array(rows, f64);

  test('along the last axis by default', () => {
    assertClose(x.softmax(), rows.map(softmaxRow), { rtol: 1e-15 });
    assertClose(
      x.logSoftmax(),
      rows.map((r) => softmaxRow(r).map(Math.log)),
      { rtol: 1e-15 },
    );
    assertClose(nd.softmax(x, -1), x.softmax(), { rtol: 0 });
  });

  test('along axis 0 and a middle axis', () => {
    const columns = [0, 1, 2].map((j) => softmaxRow(rows.map((r) => r[j]!)));
    assertClose(
      x.softmax(0),
      [0, 1].map((i) => columns.map((c) => c[i]!)),
      { rtol: 1e-15 },
    );
    const cube = randn([2, 3, 4], 1);
    const middle = cube.softmax(1);
    assertClose(middle.sum(1), nd.ones([2, 4]), { rtol: 1e-15 });
    assertClose(middle, cube.transpose([0, 2, 1]).softmax().transpose([0, 2, 1]), { rtol: 1e-15 });
    assertClose(cube.logSoftmax(-2), middle.log(), { rtol: 1e-14 });
  });

  test('huge logits do not overflow', () => {
    assertClose(nd.array([1000, 1000]).softmax(), [0.5, 0.5]);
    assertClose(nd.array([1e30, 0]).softmax(), [1, 0]);
    assertClose(nd.array([1e30, 0]).logSoftmax(), [0, -1e30], { rtol: 1e-7 });
    assertClose(
      nd.array([-1000, -1000, -1000], f64).logSoftmax(),
      [-Math.log(3), -Math.log(3), -Math.log(3)],
      {
        rtol: 1e-15,
      },
    );
  });

  test('−Infinity entries get probability 0 (log-probability −Infinity)', () => {
    assertClose(nd.array([0, -Infinity, 0]).softmax(), [0.5, 0, 0.5]);
    assertClose(nd.array([0, -Infinity, 0], f64).logSoftmax(), [-Math.LN2, -Infinity, -Math.LN2], {
      rtol: 1e-15,
    });
    assertClose(
      nd
        .array([
          [-Infinity, 5],
          [1, 1],
        ])
        .softmax(),
      [
        [0, 1],
        [0.5, 0.5],
      ],
    );
  });

  test('an all −Infinity row is NaN (0/0); NaN stays inside its row', () => {
    assertClose(
      nd
        .array([
          [-Infinity, -Infinity],
          [0, 0],
        ])
        .softmax(),
      [
        [Number.NaN, Number.NaN],
        [0.5, 0.5],
      ],
    );
    assertClose(
      nd
        .array([
          [Number.NaN, 0],
          [0, 0],
        ])
        .logSoftmax(),
      [
        [Number.NaN, Number.NaN],
        [-Math.LN2, -Math.LN2],
      ],
      {
        rtol: 1e-7,
      },
    );
  });

  test('size-1 axes, dtypes and 0-d errors', () => {
    assertClose(nd.array([[3], [-7]]).softmax(), [[1], [1]]);
    assertClose(nd.array([[3], [-7]]).logSoftmax(), [[0], [0]]);
    assert.equal(nd.array([1, 2], { dtype: 'int32' }).softmax().dtype, 'float32');
    assert.equal(x.softmax().dtype, 'float64');
    assertThrowsWith(() => nd.array(1).softmax(), ShapeError, 'softmax', 'rank 0');
    assertThrowsWith(() => x.logSoftmax(2), ShapeError, 'logSoftmax', 'axis 2');
  });
});

describe('softmax and logSoftmax: gradients (first and second order)', () => {
  const x = randn([2, 3, 4], 2, 2);
  const cases: [string, (v: NDArray) => NDArray][] = [
    ['softmax last axis', (v) => v.softmax()],
    ['softmax axis 0', (v) => v.softmax(0)],
    ['softmax axis 1', (v) => v.softmax(1)],
    ['logSoftmax last axis', (v) => v.logSoftmax()],
    ['logSoftmax axis -3', (v) => v.logSoftmax(-3)],
    ['logSoftmax axis 1 squared', (v) => v.logSoftmax(1).square()],
    [
      'cross-entropy by pick',
      (v) =>
        v
          .logSoftmax()
          .pick(
            nd.array([
              [0, 3, 1],
              [2, 2, 0],
            ]),
          )
          .neg(),
    ],
  ];
  for (const [name, f] of cases) test(name, () => assertGradients(name, f, [x]));

  test('the gradient at a −Infinity logit is 0, not NaN', () => {
    const v = nd.array([0, -Infinity, 1], f64).attachGrad();
    record(() => v.softmax().mul(nd.array([1, 2, 3], f64))).backward();
    assert.ok(Array.from(v.grad!.data).every(Number.isFinite));
    assert.ok(v.grad!.data[1] === 0);
    record(() => v.logSoftmax().pick(nd.array(0))).backward();
    assertClose(v.grad!, [1 - 1 / (1 + Math.E), 0, -Math.E / (1 + Math.E)], { rtol: 1e-15 });
  });
});
