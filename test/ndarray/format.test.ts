import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatArray, formatScalar } from '../../src/ndarray/format.js';
import * as nd from '../../src/ndarray/index.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';

// Expected strings are MXNet's repr: '\n' + str(x.asnumpy()) + '\n<NDArray 2x3 @cpu(0)>', produced
// by numpy with np.set_printoptions(legacy='2.2') (numpy 1.x print rules, which MXNet users saw).
describe('repr() prints exactly like MXNet (newline, numpy str, then <NDArray dims @cpu(0)>); toString() without the newline', () => {
  const cases: [string, () => NDArray, string][] = [
    ['L2 tutorial values', () => nd.array([0.5, 1]), '\n[0.5 1. ]\n<NDArray 2 @cpu(0)>'],
    [
      'softmax cross-entropy tutorial values',
      () => nd.array([9.000123, 6.0024757]),
      '\n[9.000123  6.0024757]\n<NDArray 2 @cpu(0)>',
    ],
    [
      'integral floats print with a trailing point',
      () =>
        nd.array([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      '\n[[1. 2. 3.]\n [4. 5. 6.]]\n<NDArray 2x3 @cpu(0)>',
    ],
    [
      'negative values and zero',
      () => nd.array([-1.5, 0, 2.25]),
      '\n[-1.5   0.    2.25]\n<NDArray 3 @cpu(0)>',
    ],
    ['negative zero', () => nd.array([-0, 1]), '\n[-0.  1.]\n<NDArray 2 @cpu(0)>'],
    [
      'float32 shortest digits',
      () => nd.array([0.1, 0.2, 1 / 3]),
      '\n[0.1        0.2        0.33333334]\n<NDArray 3 @cpu(0)>',
    ],
    [
      'at most 8 fractional digits, ties to even',
      () => nd.array([0.001953125, 1, 0.005859375]),
      '\n[0.00195312 1.         0.00585938]\n<NDArray 3 @cpu(0)>',
    ],
    ['scientific when small', () => nd.array([1e-5, 1]), '\n[1.e-05 1.e+00]\n<NDArray 2 @cpu(0)>'],
    [
      'scientific when the range exceeds 1000',
      () => nd.array([1, 1000.5]),
      '\n[1.0000e+00 1.0005e+03]\n<NDArray 2 @cpu(0)>',
    ],
    [
      'scientific pads with exact digits',
      () => nd.array([9.16878, 1.6414892e-6]),
      '\n[9.1687803e+00 1.6414892e-06]\n<NDArray 2 @cpu(0)>',
    ],
    ['scientific with large values', () => nd.array([1e8, 2]), '\n[1.e+08 2.e+00]\n<NDArray 2 @cpu(0)>'],
    [
      'non-finite values',
      () => nd.array([Number.NaN, -Infinity, 1.5]),
      '\n[ nan -inf  1.5]\n<NDArray 3 @cpu(0)>',
    ],
    ['only non-finite values', () => nd.array([Number.NaN, Infinity]), '\n[nan inf]\n<NDArray 2 @cpu(0)>'],
    [
      'float64 keeps 8 fractional digits at most',
      () => nd.array([1 / 3, 2], { dtype: 'float64' }),
      '\n[0.33333333 2.        ]\n<NDArray 2 @cpu(0)>',
    ],
    [
      'float64 three-digit exponents',
      () => nd.array([1e-100, 1.5e-5], { dtype: 'float64' }),
      '\n[1.0e-100 1.5e-005]\n<NDArray 2 @cpu(0)>',
    ],
    [
      'int32',
      () =>
        nd.array(
          [
            [1, -20],
            [300, 4],
          ],
          { dtype: 'int32' },
        ),
      '\n[[  1 -20]\n [300   4]]\n<NDArray 2x2 @cpu(0)>',
    ],
    [
      '3-D arrays separate blocks with a blank line',
      () => nd.arange(12).reshape(2, 2, 3),
      '\n[[[ 0.  1.  2.]\n  [ 3.  4.  5.]]\n\n [[ 6.  7.  8.]\n  [ 9. 10. 11.]]]\n<NDArray 2x2x3 @cpu(0)>',
    ],
    [
      '4-D arrays separate blocks with two blank lines',
      () => nd.arange(8).reshape(2, 2, 1, 2),
      '\n[[[[0. 1.]]\n\n  [[2. 3.]]]\n\n\n [[[4. 5.]]\n\n  [[6. 7.]]]]\n<NDArray 2x2x1x2 @cpu(0)>',
    ],
    [
      'long rows wrap at 75 characters',
      () => nd.arange(30),
      '\n[ 0.  1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11. 12. 13. 14. 15. 16. 17.\n 18. 19. 20. 21. 22. 23. 24. 25. 26. 27. 28. 29.]\n<NDArray 30 @cpu(0)>',
    ],
    [
      'wrapped rows of a matrix',
      () => nd.arange(30).reshape(3, 10).div(7),
      '\n[[0.         0.14285715 0.2857143  0.42857143 0.5714286  0.71428573\n  0.85714287 1.         1.1428572  1.2857143 ]\n [1.4285715  1.5714285  1.7142857  1.8571428  2.         2.142857\n  2.2857144  2.4285715  2.5714285  2.7142856 ]\n [2.857143   3.         3.142857   3.2857144  3.4285715  3.5714285\n  3.7142856  3.857143   4.         4.142857  ]]\n<NDArray 3x10 @cpu(0)>',
    ],
    [
      'more than 1000 elements are summarised',
      () => nd.arange(2000),
      '\n[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]\n<NDArray 2000 @cpu(0)>',
    ],
    [
      'summarised matrix',
      () => nd.arange(1100).reshape(100, 11),
      '\n[[0.000e+00 1.000e+00 2.000e+00 ... 8.000e+00 9.000e+00 1.000e+01]\n [1.100e+01 1.200e+01 1.300e+01 ... 1.900e+01 2.000e+01 2.100e+01]\n [2.200e+01 2.300e+01 2.400e+01 ... 3.000e+01 3.100e+01 3.200e+01]\n ...\n [1.067e+03 1.068e+03 1.069e+03 ... 1.075e+03 1.076e+03 1.077e+03]\n [1.078e+03 1.079e+03 1.080e+03 ... 1.086e+03 1.087e+03 1.088e+03]\n [1.089e+03 1.090e+03 1.091e+03 ... 1.097e+03 1.098e+03 1.099e+03]]\n<NDArray 100x11 @cpu(0)>',
    ],
    ['empty', () => nd.zeros([2, 0]), '\n[]\n<NDArray 2x0 @cpu(0)>'],
    ['size-1 axes', () => nd.array([[[7]]]), '\n[[[7.]]]\n<NDArray 1x1x1 @cpu(0)>'],
    ['0-d float32', () => nd.array(1), '\n1.0\n<NDArray  @cpu(0)>'],
    ['0-d fraction', () => nd.array(0.1), '\n0.1\n<NDArray  @cpu(0)>'],
    ['0-d small value', () => nd.array(1e-5), '\n1e-05\n<NDArray  @cpu(0)>'],
    ['0-d large value', () => nd.array(1e16), '\n1e+16\n<NDArray  @cpu(0)>'],
    ['0-d below 1e16 stays positional', () => nd.array(123456789), '\n123456790.0\n<NDArray  @cpu(0)>'],
    ['0-d float64', () => nd.array(1 / 3, { dtype: 'float64' }), '\n0.3333333333333333\n<NDArray  @cpu(0)>'],
    [
      '0-d float64 small',
      () => nd.array(1.4366715799414522e-6, { dtype: 'float64' }),
      '\n1.4366715799414522e-06\n<NDArray  @cpu(0)>',
    ],
    ['0-d int32', () => nd.array(-4, { dtype: 'int32' }), '\n-4\n<NDArray  @cpu(0)>'],
    ['0-d NaN', () => nd.array(Number.NaN), '\nnan\n<NDArray  @cpu(0)>'],
  ];
  for (const [name, make, expected] of cases) {
    test(name, () => {
      const array = make();
      assert.equal(array.repr(), expected);
      assert.equal(array.toString(), expected.slice(1));
    });
  }
});

describe('formatting internals', () => {
  test('formatScalar follows numpy scalar str', () => {
    assert.equal(formatScalar(2, 'float32'), '2.0');
    assert.equal(formatScalar(-0, 'float32'), '-0.0');
    assert.equal(formatScalar(1.5e-5, 'float64'), '1.5e-05');
    assert.equal(formatScalar(-Infinity, 'float64'), '-inf');
    assert.equal(formatScalar(7, 'int32'), '7');
  });

  test('a 4M-element array prints its summary quickly and without a stack overflow', () => {
    const big = nd.zeros([4 * 1024 * 1024]);
    big.data[0] = 1.5;
    assert.equal(formatArray(big.data, big.shape, big.dtype), '[1.5 0.  0.  ... 0.  0.  0. ]');
  });

  test('exactly 1000 elements are printed in full, 1001 are summarised', () => {
    assert.ok(!nd.arange(1000).toString().includes('...'));
    assert.ok(nd.arange(1001).toString().includes('...'));
  });

  test('an array nested 20,000 levels deep prints (no recursion per axis), like numpy at low rank', () => {
    // numpy: str(np.ones((1,) * n, np.float32)) is n brackets, '1.', n brackets.
    let nested: unknown = [1];
    for (let level = 1; level < 20000; level++) nested = [nested];
    const text = nd.array(nested as number[]).toString();
    assert.equal(
      text,
      `${'['.repeat(20000)}1.${']'.repeat(20000)}\n<NDArray ${Array(20000).fill(1).join('x')} @cpu(0)>`,
    );
    // Two elements on the first axis separate their rows by one newline per axis below.
    const twoRows = nd.array([[[[1]]], [[[2]]]]).toString();
    assert.equal(twoRows, '[[[[1.]]]\n\n\n [[[2.]]]]\n<NDArray 2x1x1x1 @cpu(0)>');
  });
});
