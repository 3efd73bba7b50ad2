import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import * as nd from '../../src/ndarray/index.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import {
  assertClose,
  assertGradient,
  assertGradients,
  assertSecondGradient,
  assertThrowsWith,
  awayFromZero,
  randn,
  randu,
} from './_op-checks.js';

const f64 = { dtype: 'float64' } as const;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('unary ops: values against closed forms', () => {
  const xs = [-3, -0.5, 0, 0.25, 2];
  const cases: [string, (x: NDArray) => NDArray, (v: number) => number, number[]?][] = [
    ['neg', (x) => x.neg(), (v) => -v],
    ['abs', (x) => x.abs(), Math.abs],
    ['exp', (x) => x.exp(), Math.exp],
    ['expm1', (x) => x.expm1(), Math.expm1],
    ['log', (x) => x.log(), Math.log, [0.1, 1, Math.E, 10]],
    ['log1p', (x) => x.log1p(), Math.log1p, [-0.5, 0, 1e-10, 3]],
    ['sqrt', (x) => x.sqrt(), Math.sqrt, [0, 0.25, 2, 9]],
    ['square', (x) => x.square(), (v) => v * v],
    ['reciprocal', (x) => x.reciprocal(), (v) => 1 / v, [-4, 0.5, 3]],
    ['sign', (x) => x.sign(), Math.sign],
    ['relu', (x) => x.relu(), (v) => Math.max(v, 0)],
    ['sigmoid', (x) => x.sigmoid(), sigmoid],
    ['logSigmoid', (x) => x.logSigmoid(), (v) => Math.log(sigmoid(v))],
    ['tanh', (x) => x.tanh(), Math.tanh],
    ['softplus', (x) => x.softplus(), (v) => Math.log(1 + Math.exp(v))],
    ['softsign', (x) => x.softsign(), (v) => v / (1 + Math.abs(v))],
    ['sin', (x) => x.sin(), Math.sin],
    ['cos', (x) => x.cos(), Math.cos],
  ];
  for (const [name, op, closed, inputs = xs] of cases) {
    test(`${name} in float64 and float32`, () => {
      assertClose(op(nd.array(inputs, f64)), inputs.map(closed), { rtol: 1e-14, atol: 1e-15, message: name });
      const single = op(nd.array(inputs));
      assert.equal(single.dtype, 'float32');
      assertClose(
        single,
        inputs.map((v) => Math.fround(closed(Math.fround(v)))),
        { rtol: 1e-6, message: name },
      );
    });
  }

  test('the nd namespace functions equal the methods', () => {
    const x = nd.array([-1, 0.5, 2]);
    assertClose(nd.exp(x), x.exp(), { rtol: 0 });
    assertClose(nd.relu(x), x.relu(), { rtol: 0 });
    assertClose(nd.tanh(x), x.tanh(), { rtol: 0 });
  });

  test('sigmoid, logSigmoid and softplus stay finite and exact at ±1000', () => {
    const x = nd.array([-1000, -50, 50, 1000], f64);
    assertClose(x.sigmoid(), [0, sigmoid(-50), 1, 1], { rtol: 1e-15, atol: 0 });
    assertClose(x.softplus(), [0, Math.exp(-50), 50 + Math.log1p(Math.exp(-50)), 1000], {
      rtol: 1e-15,
      atol: 0,
    });
    assertClose(x.logSigmoid(), [-1000, -50 - Math.log1p(Math.exp(-50)), -Math.exp(-50), 0], {
      rtol: 1e-15,
      atol: 0,
    });
    assertClose(nd.array([-1e30, 1e30]).softplus(), [0, 1e30], { rtol: 1e-7 });
  });

  test('NaN propagates through relu, abs, sign, sigmoid and exp', () => {
    const x = nd.array([Number.NaN, 1]);
    for (const op of ['relu', 'abs', 'sign', 'sigmoid', 'exp', 'softplus', 'tanh'] as const) {
      const out = x[op]();
      assert.ok(Number.isNaN(out.data[0]!), `${op}(NaN)`);
      assert.ok(!Number.isNaN(out.data[1]!), `${op}(1)`);
    }
  });

  test('relu and abs of ±Infinity', () => {
    assertClose(nd.array([-Infinity, Infinity]).relu(), [0, Infinity]);
    assertClose(nd.array([-Infinity, Infinity]).abs(), [Infinity, Infinity]);
    assertClose(nd.array([-Infinity, Infinity]).sigmoid(), [0, 1]);
  });

  test('a 0-d input gives a 0-d output', () => {
    const y = nd.array(2).exp();
    assert.deepEqual(y.shape, []);
    assertClose(y.item(), Math.fround(Math.exp(2)), { rtol: 1e-7 });
  });

  test('integer-valued ops keep int32; floating ones give float32', () => {
    const x = nd.array([-2, 0, 3], { dtype: 'int32' });
    for (const op of ['neg', 'abs', 'square', 'sign', 'relu'] as const)
      assert.equal(x[op]().dtype, 'int32', op);
    assert.deepEqual(x.square().toArray(), [4, 0, 9]);
    for (const op of ['exp', 'log1p', 'sqrt', 'sigmoid', 'tanh', 'softplus'] as const) {
      assert.equal(x[op]().dtype, 'float32', op);
    }
    assertClose(x.sigmoid(), [sigmoid(-2), 0.5, sigmoid(3)], { rtol: 1e-6 });
  });
});

describe('binary ops: values and numpy broadcasting', () => {
  const a = nd.array(
    [
      [1, -2, 3],
      [4, 5, -6],
    ],
    f64,
  );
  const b = nd.array([2, 0.5, -1], f64);

  test('add sub mul div pow maximum minimum with a row vector', () => {
    const rows = a.toArray() as number[][];
    const col = b.toArray() as number[];
    const table: [string, NDArray, (x: number, y: number) => number][] = [
      ['add', a.add(b), (x, y) => x + y],
      ['sub', a.sub(b), (x, y) => x - y],
      ['mul', a.mul(b), (x, y) => x * y],
      ['div', a.div(b), (x, y) => x / y],
      ['pow', a.abs().pow(b), (x, y) => Math.abs(x) ** y],
      ['maximum', a.maximum(b), Math.max],
      ['minimum', a.minimum(b), Math.min],
    ];
    for (const [name, out, closed] of table) {
      assertClose(
        out,
        rows.map((r) => r.map((x, j) => closed(x, col[j]!))),
        { rtol: 1e-15, message: name },
      );
    }
  });

  test('number operands on either side', () => {
    const x = nd.array([1, 2, 4]);
    assertClose(x.add(1), [2, 3, 5]);
    assertClose(nd.sub(1, x), [0, -1, -3]);
    assertClose(nd.div(1, x), [1, 0.5, 0.25]);
    assertClose(nd.pow(2, x), [2, 4, 16]);
    assertClose(x.pow(2), [1, 4, 16]);
    assertClose(nd.maximum(2, x), [2, 2, 4]);
    assertClose(nd.minimum(x, 2), [1, 2, 2]);
  });

  test('(N,1) with (N,) grows to (N,N), as numpy does', () => {
    const column = nd.array([[1], [2], [3]]);
    const row = nd.array([10, 20, 30]);
    const sum = column.add(row);
    assert.deepEqual(sum.shape, [3, 3]);
    assertClose(sum, [
      [11, 21, 31],
      [12, 22, 32],
      [13, 23, 33],
    ]);
    assertClose(row.mul(column), [
      [10, 20, 30],
      [20, 40, 60],
      [30, 60, 90],
    ]);
  });

  test('0-d, size-1 and missing leading axes broadcast', () => {
    const scalar = nd.array(3);
    const block = nd.arange(6).reshape(2, 3);
    assert.deepEqual(scalar.mul(block).shape, [2, 3]);
    assertClose(scalar.mul(block), [
      [0, 3, 6],
      [9, 12, 15],
    ]);
    assert.deepEqual(scalar.add(nd.array(4)).shape, []);
    assert.deepEqual(nd.array([1]).add(scalar).shape, [1]);
    const c = nd.ones([2, 1, 3]).add(nd.arange(4).reshape(4, 1));
    assert.deepEqual(c.shape, [2, 4, 3]);
    assertClose(c.sum([0, 2]), [6, 12, 18, 24]);
    assert.deepEqual(nd.zeros([0, 3]).add(nd.ones([3])).shape, [0, 3]);
  });

  test('non-broadcastable shapes are a ShapeError naming the op and both shapes', () => {
    assertThrowsWith(() => nd.ones([2, 3]).add(nd.ones([2])), ShapeError, 'add', '[2,3]', '[2]');
    assertThrowsWith(() => nd.ones([4]).mul(nd.ones([3])), ShapeError, 'mul', '[4]', '[3]');
    assertThrowsWith(() => nd.ones([2, 2]).greater(nd.ones([3, 1, 3])), ShapeError, 'greater');
  });

  test('comparisons return 0/1 in the operand dtype', () => {
    const x = nd.array([1, 2, 3]);
    const y = nd.array([3, 2, 1]);
    assert.deepEqual(x.equal(y).toArray(), [0, 1, 0]);
    assert.deepEqual(x.notEqual(y).toArray(), [1, 0, 1]);
    assert.deepEqual(x.greater(y).toArray(), [0, 0, 1]);
    assert.deepEqual(x.greaterEqual(y).toArray(), [0, 1, 1]);
    assert.deepEqual(x.lesser(y).toArray(), [1, 0, 0]);
    assert.deepEqual(x.lesserEqual(y).toArray(), [1, 1, 0]);
    assert.deepEqual(x.greater(2).toArray(), [0, 0, 1]);
    assert.equal(x.greater(y).dtype, 'float32');
    assert.equal(nd.array([1], f64).equal(1).dtype, 'float64');
    assert.deepEqual(
      nd
        .array([Number.NaN])
        .equal(nd.array([Number.NaN]))
        .toArray(),
      [0],
    );
    assert.deepEqual(
      nd
        .array([Number.NaN])
        .notEqual(nd.array([Number.NaN]))
        .toArray(),
      [1],
    );
  });

  test('maximum and minimum propagate NaN from either side', () => {
    const x = nd.array([Number.NaN, 1, 2]);
    const y = nd.array([0, Number.NaN, 1]);
    assertClose(x.maximum(y), [Number.NaN, Number.NaN, 2]);
    assertClose(x.minimum(y), [Number.NaN, Number.NaN, 1]);
    assertClose(x.maximum(0), [Number.NaN, 1, 2]);
  });

  test('float32 results are rounded once from the float64 result', () => {
    const x = nd.array([0.1, 1e-8]);
    assertClose(
      x.add(0.2),
      [Math.fround(Math.fround(0.1) + Math.fround(0.2)), Math.fround(Math.fround(1e-8) + Math.fround(0.2))],
      {
        rtol: 0,
        atol: 0,
      },
    );
    assertClose(nd.array([1], f64).add(0.1), [1.1], { rtol: 0, atol: 0 });
  });
});

describe('dtype promotion', () => {
  const ints = nd.array([1, 2, 3], { dtype: 'int32' });

  test('int32 with int32 or an integer number stays int32', () => {
    assert.equal(ints.add(ints).dtype, 'int32');
    assert.equal(ints.mul(2).dtype, 'int32');
    assert.deepEqual(ints.mul(2).toArray(), [2, 4, 6]);
    assert.equal(nd.sub(10, ints).dtype, 'int32');
  });

  test('an integer too large for int32 makes the result float32', () => {
    const y = ints.add(2 ** 31);
    assert.equal(y.dtype, 'float32');
    assert.deepEqual(y.toArray(), [2 ** 31 + 1, 2 ** 31 + 2, 2 ** 31 + 3].map(Math.fround));
  });

  test('int32 with a fractional number becomes float32', () => {
    const y = ints.add(0.5);
    assert.equal(y.dtype, 'float32');
    assert.deepEqual(y.toArray(), [1.5, 2.5, 3.5]);
    assert.equal(ints.mul(0.5).dtype, 'float32');
    assert.deepEqual(ints.mul(0.5).toArray(), [0.5, 1, 1.5]);
  });

  test('int32 division is true division in float32', () => {
    const y = ints.div(2);
    assert.equal(y.dtype, 'float32');
    assert.deepEqual(y.toArray(), [0.5, 1, 1.5]);
    assert.equal(ints.pow(2).dtype, 'float32');
  });

  test('array pairs promote to the wider float type', () => {
    assert.equal(ints.add(nd.ones([3])).dtype, 'float32');
    assert.equal(ints.add(nd.ones([3], f64)).dtype, 'float64');
    assert.equal(nd.ones([3]).mul(nd.ones([3], f64)).dtype, 'float64');
    assert.equal(nd.ones([3], f64).add(1).dtype, 'float64');
    assert.equal(ints.greater(1.5).dtype, 'float32');
    assert.deepEqual(ints.greater(1.5).toArray(), [0, 1, 1]);
  });

  test('astype converts, truncating toward zero into int32', () => {
    const x = nd.array([-1.7, -0.5, 0.5, 2.9]);
    assert.deepEqual(x.astype('int32').toArray(), [-1, 0, 0, 2]);
    assert.equal(x.astype('float64').dtype, 'float64');
    assertClose(x.astype('float64'), Array.from(x.data), { rtol: 0 });
    assertThrowsWith(() => x.astype('float16' as never), ValueError, 'float16');
  });
});

describe('where and clip', () => {
  test('where picks elementwise with broadcasting and number operands', () => {
    const condition = nd.array([[1], [0]]);
    const a = nd.array([1, 2, 3]);
    const b = nd.array([-1, -2, -3]);
    assertClose(nd.where(condition, a, b), [
      [1, 2, 3],
      [-1, -2, -3],
    ]);
    assertClose(nd.where(nd.array([1, 0, 2]), 5, 7), [5, 7, 5]);
    assertClose(nd.where(nd.array([0, 1]), nd.array([Number.NaN, 1]), 0), [0, 1]);
    assertThrowsWith(() => nd.where(nd.ones([4]), a, b), ShapeError, 'where', 'condition', '[4]');
  });

  test('clip clamps, keeps NaN and rejects min > max', () => {
    assertClose(nd.array([-2, -1, 0, 1, 2, Number.NaN]).clip(-1, 1.5), [-1, -1, 0, 1, 1.5, Number.NaN]);
    assertClose(nd.array([-Infinity, Infinity]).clip(0, 1), [0, 1]);
    assertThrowsWith(() => nd.array([1]).clip(2, 1), ValueError, 'clip', '2', '1');
  });

  test('clip passes the gradient where min <= x <= max, boundaries included', () => {
    const x = nd.array([-2, -1, 0, 1, 2], f64).attachGrad();
    record(() => x.clip(-1, 1)).backward();
    assert.deepEqual(x.grad!.toArray(), [0, 1, 1, 1, 0]);
  });

  test('maximum sends the gradient of a tie to the first argument', () => {
    const a = nd.array([1, 2], f64).attachGrad();
    const b = nd.array([1, 3], f64).attachGrad();
    record(() => a.maximum(b)).backward();
    assert.deepEqual(a.grad!.toArray(), [1, 0]);
    assert.deepEqual(b.grad!.toArray(), [0, 1]);
  });

  test('relu and abs have zero gradient at 0; sign has none', () => {
    const x = nd.array([-1, 0, 2], f64).attachGrad();
    record(() => x.relu()).backward();
    assert.deepEqual(x.grad!.toArray(), [0, 0, 1]);
    record(() => x.abs()).backward();
    assert.deepEqual(x.grad!.toArray(), [-1, 0, 1]);
    record(() => x.sign().add(x)).backward();
    assert.deepEqual(x.grad!.toArray(), [1, 1, 1]);
  });
});

describe('gradients of every differentiable elementwise op (first and second order)', () => {
  const anywhere = randn([2, 3], 1);
  const positive = randu([2, 3], 2, 0.3, 3);
  const nonZero = awayFromZero([2, 3], 3);
  const unary: [string, (x: NDArray) => NDArray, NDArray][] = [
    ['neg', (x) => x.neg(), anywhere],
    ['abs', (x) => x.abs(), nonZero],
    ['exp', (x) => x.exp(), anywhere],
    ['expm1', (x) => x.expm1(), anywhere],
    ['log', (x) => x.log(), positive],
    ['log1p', (x) => x.log1p(), positive],
    ['sqrt', (x) => x.sqrt(), positive],
    ['square', (x) => x.square(), anywhere],
    ['reciprocal', (x) => x.reciprocal(), nonZero],
    ['relu', (x) => x.relu(), nonZero],
    ['sigmoid', (x) => x.sigmoid(), anywhere.mul(3)],
    ['logSigmoid', (x) => x.logSigmoid(), anywhere.mul(3)],
    ['tanh', (x) => x.tanh(), anywhere],
    ['softplus', (x) => x.softplus(), anywhere.mul(3)],
    ['softsign', (x) => x.softsign(), nonZero],
    ['sin', (x) => x.sin(), anywhere],
    ['cos', (x) => x.cos(), anywhere],
    ['clip (inside and outside)', (x) => x.clip(-0.5, 0.5), nonZero],
    ['astype float32 to float64 and back', (x) => x.astype('float32').astype('float64').mul(x), anywhere],
    ['copy', (x) => x.copy().square(), anywhere],
    ['sign (zero gradient)', (x) => x.sign().mul(x.square()), nonZero],
  ];
  for (const [name, f, x] of unary) {
    test(name, () =>
      assertGradients(name, f, [x], name.startsWith('astype') ? { rtol: 1e-3, atol: 1e-4, step: 1e-3 } : {}),
    );
  }

  const a = randn([2, 3], 4);
  const b = randn([3], 5);
  const column = randn([2, 1], 6);
  const positiveA = randu([2, 3], 7, 0.5, 2);
  const binary: [string, (x: NDArray, y: NDArray) => NDArray, NDArray, NDArray][] = [
    ['add [2,3]+[3]', (x, y) => x.add(y), a, b],
    ['sub [2,3]-[2,1]', (x, y) => x.sub(y), a, column],
    ['mul [2,3]*[3]', (x, y) => x.mul(y), a, b],
    ['mul [2,1]*[3] grows to [2,3]', (x, y) => x.mul(y), column, b],
    ['div [2,3]/[2,1]', (x, y) => x.div(y), a, awayFromZero([2, 1], 8)],
    ['pow with positive base', (x, y) => x.pow(y), positiveA, b],
    ['maximum without ties', (x, y) => x.maximum(y), a, b],
    ['minimum without ties', (x, y) => x.minimum(y), a, column],
    ['mul by a 0-d array', (x, y) => x.mul(y).square(), a, nd.array(1.5, f64)],
    ['self product x*x', (x, y) => x.mul(x).mul(y), a, b],
  ];
  for (const [name, f, x, y] of binary) {
    test(name, () => assertGradients(name, f, [x, y]));
  }

  test('number operands: x^3, 2^x, 1/x, 1-x', () => {
    assertGradients('x^3', (x) => x.pow(3), [a]);
    assertGradients('2^x', (x) => nd.pow(2, x), [a]);
    assertGradients('1/x', (x) => nd.div(1, x), [nonZero]);
    assertGradients('1-x', (x) => nd.sub(1, x).square(), [a]);
  });

  test('where: gradient flows to the chosen side only', () => {
    const condition = nd.array(
      [
        [1, 0, 1],
        [0, 0, 1],
      ],
      f64,
    );
    assertGradients('where', (x, y) => nd.where(condition, x.square(), y.exp()), [a, b]);
  });

  test('pow with a zero base: the exponent gradient is 0, not NaN', () => {
    const base = nd.array([0, 2], f64).attachGrad();
    const exponent = nd.array([2, 3], f64).attachGrad();
    record(() => base.pow(exponent)).backward();
    assert.deepEqual(exponent.grad!.toArray(), [0, 8 * Math.log(2)]);
    assert.deepEqual(base.grad!.toArray(), [0, 12]);
  });

  test('an int32 operand is passed through the gradient check untouched', () => {
    const ints = nd.array(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'int32' },
    );
    assertGradient('x*int', (x, n) => x.mul(n!).square(), [a, ints]);
    assertSecondGradient('x*int', (x, n) => x.mul(n!).square(), [a, ints]);
  });
});
