import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setKernelBackend } from '../../src/kernels/index.js';
import { ShapeError } from '../../src/ndarray/errors.js';
import * as nd from '../../src/ndarray/index.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { assertClose, assertGradients, assertThrowsWith, randn } from './_op-checks.js';

const f64 = { dtype: 'float64' } as const;

/** Textbook triple loop over row-major float64 data. */
function naiveMatmul(a: NDArray, b: NDArray): number[][] {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  return Array.from({ length: m }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let total = 0;
      for (let p = 0; p < k; p++) total += a.data[i * k + p]! * b.data[p * n + j]!;
      return total;
    }),
  );
}

describe('matmul and dot: values', () => {
  test('a small product by hand', () => {
    const a = nd.array([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const b = nd.array([
      [1, 0, -1],
      [2, 1, 0],
    ]);
    assert.deepEqual(a.matmul(b).toArray(), [
      [5, 2, -1],
      [11, 4, -3],
      [17, 6, -5],
    ]);
    assert.deepEqual(a.dot(b).toArray(), [
      [5, 2, -1],
      [11, 4, -3],
      [17, 6, -5],
    ]);
  });

  test('the blocked kernel equals the triple loop, across block edges and ragged tails', () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [3, 5, 7],
      [4, 4, 4],
      [5, 300, 9],
      [17, 513, 6],
      [9, 257, 130],
      [1, 700, 1],
      [2, 0, 3],
    ];
    shapes.forEach(([m, k, n], i) => {
      const a = randn([m, k], 100 + i);
      const b = randn([k, n], 200 + i);
      assertClose(a.matmul(b), naiveMatmul(a, b), { rtol: 1e-12, atol: 1e-12, message: `${m}x${k}x${n}` });
    });
  });

  for (const backend of ['wasm', 'js'] as const) {
    test(`${backend} kernels: float64 within 1e-12, float32 the float64 sum rounded once`, () => {
      setKernelBackend(backend);
      try {
        const shapes: [number, number, number][] = [
          [1, 1023, 3],
          [17, 255, 1023],
          [255, 17, 1],
          [3, 2049, 17],
        ];
        shapes.forEach(([m, k, n], i) => {
          const a = randn([m, k], 300 + i);
          const b = randn([k, n], 400 + i);
          const message = `${backend} ${m}x${k}x${n}`;
          assertClose(a.matmul(b), naiveMatmul(a, b), { rtol: 1e-12, atol: 1e-12, message });
          const a32 = a.astype('float32');
          const b32 = b.astype('float32');
          const want = naiveMatmul(a32, b32).flat();
          const got = a32.dot(b32);
          assert.equal(got.dtype, 'float32');
          for (let j = 0; j < want.length; j++) {
            // One rounding of a float64 sum: within half a float32 ulp, plus the float64 error.
            const bound = 2 ** -24 * Math.abs(want[j]!) + 1e-12;
            if (!(Math.abs(got.data[j]! - want[j]!) <= bound)) assert.fail(`${message} [${j}]`);
          }
        });
      } finally {
        setKernelBackend('auto');
      }
    });
  }

  test('batched products, with broadcast batch axes', () => {
    const a = randn([2, 1, 3, 4], 1);
    const b = randn([5, 4, 2], 2);
    const c = a.matmul(b);
    assert.deepEqual(c.shape, [2, 5, 3, 2]);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 5; j++) {
        const ai = a.slice([i, 0], [i + 1, 1]).reshape(3, 4);
        const bj = b.slice([j], [j + 1]).reshape(4, 2);
        assertClose(c.slice([i, j], [i + 1, j + 1]).reshape(3, 2), naiveMatmul(ai, bj), { rtol: 1e-12 });
      }
    }
    const same = randn([3, 2, 4], 3).matmul(randn([3, 4, 5], 4));
    assert.deepEqual(same.shape, [3, 2, 5]);
  });

  test('1-D operands are a row (left) or column (right) vector that is dropped', () => {
    const v = nd.array([1, 2, 3]);
    const m = nd.array([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    const vv = v.matmul(v);
    assert.deepEqual(vv.shape, []);
    assert.equal(vv.item(), 14);
    assert.deepEqual(v.matmul(m).toArray(), [4, 5]);
    assert.deepEqual(m.T.matmul(v).toArray(), [4, 5]);
    assert.deepEqual(randn([4, 2, 3], 5).matmul(v.astype('float64')).shape, [4, 2]);
    assert.equal(v.dot(v).item(), 14);
  });

  test('dot contracts the last axis of a with the first axis of b', () => {
    const a = randn([2, 3, 4], 6);
    const b = randn([4, 5], 7);
    const c = a.dot(b);
    assert.deepEqual(c.shape, [2, 3, 5]);
    assertClose(c.reshape(6, 5), naiveMatmul(a.reshape(6, 4), b), { rtol: 1e-12 });
    assert.deepEqual(randn([2, 3], 8).dot(randn([3, 4, 5], 9)).shape, [2, 4, 5]);
  });

  test('float32 products accumulate in float64', () => {
    // A float32 running sum gives 1e8 + 1 = 1e8, then 0; float64 keeps the 1.
    const a = nd.array([[1e8, 1, -1e8]]);
    const b = nd.array([[1], [1], [1]]);
    assert.equal(a.matmul(b).item(), 1);
    assert.equal(a.matmul(b).dtype, 'float32');
    assert.equal(
      nd
        .array([[1, 2]], { dtype: 'int32' })
        .matmul(nd.array([[3], [4]], { dtype: 'int32' }))
        .item(),
      11,
    );
    assert.equal(nd.ones([1, 1]).matmul(nd.ones([1, 1], f64)).dtype, 'float64');
  });

  test('NaN and infinity propagate (0 · ∞ is NaN)', () => {
    const a = nd.array([
      [0, 1],
      [1, 1],
    ]);
    const b = nd.array([
      [Infinity, 0],
      [1, Number.NaN],
    ]);
    assertClose(a.matmul(b), [
      [Number.NaN, Number.NaN],
      [Infinity, Number.NaN],
    ]);
  });

  test('shape errors name the function and both shapes', () => {
    assertThrowsWith(() => nd.ones([2, 3]).matmul(nd.ones([2, 3])), ShapeError, 'matmul', '[2,3]');
    assertThrowsWith(
      () => nd.ones([2, 2, 3]).matmul(nd.ones([3, 3, 1])),
      ShapeError,
      'matmul',
      'batch',
      '[2,2,3]',
      '[3,3,1]',
    );
    assertThrowsWith(() => nd.array(1).matmul(nd.ones([1])), ShapeError, 'matmul', '[]');
    assertThrowsWith(() => nd.ones([2, 3]).dot(nd.ones([2, 3])), ShapeError, 'dot', '[2,3]');
  });
});

describe('matmul and dot gradients (first and second order)', () => {
  const cases: [string, (a: NDArray, b: NDArray) => NDArray, NDArray, NDArray][] = [
    ['2-D', (a, b) => a.matmul(b), randn([3, 4], 11), randn([4, 2], 12)],
    [
      '2-D squared (second derivative couples a and b)',
      (a, b) => a.matmul(b).square(),
      randn([3, 4], 13),
      randn([4, 2], 14),
    ],
    ['batched', (a, b) => a.matmul(b).tanh(), randn([2, 3, 4], 15), randn([2, 4, 2], 16)],
    ['broadcast batch', (a, b) => a.matmul(b).square(), randn([2, 1, 2, 3], 17), randn([3, 3, 2], 18)],
    ['vector · matrix', (a, b) => a.matmul(b).exp(), randn([3], 19), randn([3, 2], 20)],
    ['matrix · vector', (a, b) => a.matmul(b).square(), randn([2, 3], 21), randn([3], 22)],
    ['vector · vector', (a, b) => a.matmul(b).square(), randn([4], 23), randn([4], 24)],
    ['dot N-D', (a, b) => a.dot(b).sin(), randn([2, 2, 3], 25), randn([3, 2], 26)],
    ['x · xᵀ', (a) => a.matmul(a.T).square(), randn([3, 2], 27), randn([1], 28)],
  ];
  for (const [name, f, a, b] of cases) test(name, () => assertGradients(name, f, [a, b]));
});
