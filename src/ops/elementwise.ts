/**
 * Elementwise operations with numpy broadcasting, and the one shared unbroadcast helper that every
 * binary backward uses.
 * @module
 */
import { allocate, type DType, floatOf, isFloat, promote } from '../ndarray/dtype.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray, type Operand } from '../ndarray/ndarray.js';
import { broadcastShapes, reductionAxes, sameShape, sizeOf } from '../ndarray/shape.js';
import { Binary, binaryKernel, forEachRow, Unary, unaryKernel } from './_kernels.js';
import { defineOp } from './_define.js';
import { sum } from './reduce.js';
import { reshape } from './movement.js';

// ---- helpers --------------------------------------------------------------------------------

function scalarLike(value: number, other: NDArray | null): NDArray {
  let dtype: DType = 'float32';
  // A number beside an int32 array stays int32 only if it is an integer that fits.
  const fitsInt32 = Number.isInteger(value) && value >= -2147483648 && value <= 2147483647;
  if (other) dtype = isFloat(other.dtype) || fitsInt32 ? other.dtype : 'float32';
  const data = allocate(dtype, 1);
  data[0] = value;
  return new NDArray(data, []);
}

/** Converts a pair of operands to arrays; a number takes the dtype of the array beside it. */
export function operands(a: Operand, b: Operand): [NDArray, NDArray] {
  const left = a instanceof NDArray ? a : scalarLike(a, b instanceof NDArray ? b : null);
  const right = b instanceof NDArray ? b : scalarLike(b, left);
  return [left, right];
}

/**
 * Sums a broadcast gradient back down to `shape`: the one place where unbroadcasting happens.
 * Differentiable, so it also serves second derivatives.
 */
export function sumToShape(grad: NDArray, shape: readonly number[]): NDArray {
  if (sameShape(grad.shape, shape)) return grad;
  const axes = reductionAxes(shape, grad.shape);
  const summed = axes.length > 0 ? sum(grad, axes, true) : grad;
  return reshape(summed, [...shape]);
}

/** `x` converted to `dtype` (backward rules pass the float dtype of the input the gradient is for). */
function floatCast(x: NDArray, dtype: DType): NDArray {
  return x.dtype === dtype ? x : cast(x, dtype);
}

/** A 0/1 mask (constant: no gradient flows through it) in the dtype of `like`. */
function mask(x: NDArray, dtype: DType): NDArray {
  return floatCast(x, dtype);
}

// ---- cast -----------------------------------------------------------------------------------

const castOp = defineOp<DType>({
  name: 'cast',
  forward: ([x], dtype) => {
    const data = allocate(dtype, x!.size);
    if (dtype === 'int32' && isFloat(x!.dtype)) {
      for (let i = 0; i < data.length; i++) data[i] = Math.trunc(x!.data[i]!);
    } else data.set(x!.data);
    return new NDArray(data, x!.shape);
  },
  backward: ({ inputs, gradOutput }) => [
    isFloat(inputs[0]!.dtype) ? floatCast(gradOutput, inputs[0]!.dtype) : null,
  ],
});

/** Converts to `dtype` (float to int32 truncates toward zero, as MXNet does). */
export function cast(x: NDArray, dtype: DType): NDArray {
  if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') {
    throw new ValueError(`astype: dtype must be 'float32', 'float64' or 'int32', got ${String(dtype)}`);
  }
  return castOp([x], dtype);
}

// ---- binary ---------------------------------------------------------------------------------

type BinaryBackward = (a: NDArray, b: NDArray, out: NDArray, g: NDArray) => [NDArray | null, NDArray | null];

function defineBinary(
  name: string,
  code: Binary,
  resultDType: (a: DType, b: DType) => DType,
  rule: BinaryBackward,
) {
  const op = defineOp({
    name,
    forward: ([a, b]) => {
      const shape = broadcastShapes(a!.shape, b!.shape, name);
      const out = new NDArray(allocate(resultDType(a!.dtype, b!.dtype), sizeOf(shape), name, shape), shape);
      binaryKernel(code, a!.data, a!.shape, b!.data, b!.shape, out.data, shape);
      return out;
    },
    backward: ({ inputs: [a, b], output, gradOutput, needsGrad }) => {
      const [ga, gb] = rule(a!, b!, output, gradOutput);
      return [
        needsGrad[0] && ga ? floatCast(sumToShape(ga, a!.shape), floatOf(a!.dtype)) : null,
        needsGrad[1] && gb ? floatCast(sumToShape(gb, b!.shape), floatOf(b!.dtype)) : null,
      ];
    },
  });
  return (a: Operand, b: Operand): NDArray => op(operands(a, b), undefined);
}

const sameDType = (a: DType, b: DType) => promote(a, b);
const floatDType = (a: DType, b: DType) => floatOf(promote(a, b));
const noGrad: BinaryBackward = () => [null, null];

/** a + b, with numpy broadcasting. */
export const add = defineBinary('add', Binary.Add, sameDType, (_a, _b, _o, g) => [g, g]);
/** a − b, with numpy broadcasting. */
export const sub = defineBinary('sub', Binary.Sub, sameDType, (_a, _b, _o, g) => [g, neg(g)]);
/** a · b, with numpy broadcasting. */
export const mul = defineBinary('mul', Binary.Mul, sameDType, (a, b, _o, g) => [mul(g, b), mul(g, a)]);
/** a / b (true division: int32 operands give float32). d/db = −a/b² = −out/b. */
export const div = defineBinary('div', Binary.Div, floatDType, (_a, b, out, g) => [
  div(g, b),
  neg(mul(g, div(out, b))),
]);
/** a^b. The exponent's gradient `a^b log a` is taken as 0 where a = 0 (the limit for b > 0). */
export const pow = defineBinary('pow', Binary.Pow, floatDType, (a, b, out, g) => [
  mul(g, mul(b, pow(a, sub(b, 1)))),
  mul(g, where(notEqual(a, 0), mul(out, log(where(notEqual(a, 0), a, 1))), 0)),
]);
/** Elementwise maximum; ties send the gradient to the first argument (MXNet). */
export const maximum = defineBinary('maximum', Binary.Maximum, sameDType, (a, b, _o, g) => {
  const first = mask(greaterEqual(a, b), g.dtype);
  return [mul(g, first), mul(g, sub(1, first))];
});
/** Elementwise minimum; ties send the gradient to the first argument. */
export const minimum = defineBinary('minimum', Binary.Minimum, sameDType, (a, b, _o, g) => {
  const first = mask(lesserEqual(a, b), g.dtype);
  return [mul(g, first), mul(g, sub(1, first))];
});
/** 1 where a == b, else 0 (NaN equals nothing). No gradient. */
export const equal = defineBinary('equal', Binary.Equal, sameDType, noGrad);
/** 1 where a != b, else 0. No gradient. */
export const notEqual = defineBinary('notEqual', Binary.NotEqual, sameDType, noGrad);
/** 1 where a > b, else 0. No gradient. */
export const greater = defineBinary('greater', Binary.Greater, sameDType, noGrad);
/** 1 where a >= b, else 0. No gradient. */
export const greaterEqual = defineBinary('greaterEqual', Binary.GreaterEqual, sameDType, noGrad);
/** 1 where a < b, else 0. No gradient. */
export const lesser = defineBinary('lesser', Binary.Lesser, sameDType, noGrad);
/** 1 where a <= b, else 0. No gradient. */
export const lesserEqual = defineBinary('lesserEqual', Binary.LesserEqual, sameDType, noGrad);

// ---- unary ----------------------------------------------------------------------------------

type UnaryBackward = (x: NDArray, out: NDArray, g: NDArray) => NDArray | null;

function defineUnary(name: string, code: Unary, rule: UnaryBackward, keepInt = false) {
  const op = defineOp({
    name,
    forward: ([x]) => {
      const dtype = keepInt ? x!.dtype : floatOf(x!.dtype);
      const out = new NDArray(allocate(dtype, x!.size), x!.shape);
      unaryKernel(code, x!.data, out.data);
      return out;
    },
    backward: ({ inputs: [x], output, gradOutput }) => {
      const grad = rule(x!, output, gradOutput);
      return [grad ? floatCast(grad, floatOf(x!.dtype)) : null];
    },
  });
  return (x: NDArray): NDArray => op([x], undefined);
}

/** −x (keeps int32). */
export const neg = defineUnary('neg', Unary.Neg, (_x, _o, g) => neg(g), true);
/** |x|, with gradient sign(x) (0 at 0). */
export const abs = defineUnary('abs', Unary.Abs, (x, _o, g) => mul(g, sign(x)), true);
/** e^x; its derivative is its output. */
export const exp = defineUnary('exp', Unary.Exp, (_x, out, g) => mul(g, out));
/** e^x − 1, accurate near 0. */
export const expm1 = defineUnary('expm1', Unary.Expm1, (_x, out, g) => mul(g, add(out, 1)));
/** Natural logarithm. */
export const log = defineUnary('log', Unary.Log, (x, _o, g) => div(g, x));
/** log(1 + x), accurate near 0. */
export const log1p = defineUnary('log1p', Unary.Log1p, (x, _o, g) => div(g, add(x, 1)));
/** √x; d/dx = 1 / (2√x). */
export const sqrt = defineUnary('sqrt', Unary.Sqrt, (_x, out, g) => div(g, mul(out, 2)));
/** x² (keeps int32). */
export const square = defineUnary('square', Unary.Square, (x, _o, g) => mul(g, mul(x, 2)), true);
/** 1/x; d/dx = −1/x². */
export const reciprocal = defineUnary('reciprocal', Unary.Reciprocal, (_x, out, g) =>
  neg(mul(g, square(out))),
);
/** −1, 0 or 1 (NaN stays NaN). Piecewise constant: no gradient. */
export const sign = defineUnary('sign', Unary.Sign, () => null, true);
/** max(x, 0), with gradient 0 at 0. */
export const relu = defineUnary('relu', Unary.Relu, (x, _o, g) => mul(g, mask(greater(x, 0), g.dtype)), true);
/** 1 / (1 + e^−x), evaluated without overflow; d/dx = σ(1 − σ). */
export const sigmoid = defineUnary('sigmoid', Unary.Sigmoid, (_x, out, g) => mul(g, mul(out, sub(1, out))));
/** log(sigmoid(x)) = -softplus(-x), stable for large |x|. */
export const logSigmoid = defineUnary('logSigmoid', Unary.LogSigmoid, (x, _o, g) => mul(g, sigmoid(neg(x))));
/** Hyperbolic tangent; d/dx = 1 − tanh². */
export const tanh = defineUnary('tanh', Unary.Tanh, (_x, out, g) => mul(g, sub(1, square(out))));
/** log(1 + e^x), stable for large |x| (MXNet `softrelu`). */
export const softplus = defineUnary('softplus', Unary.Softplus, (x, _o, g) => mul(g, sigmoid(x)));
/** x / (1 + |x|); d/dx = 1 / (1 + |x|)². */
export const softsign = defineUnary('softsign', Unary.Softsign, (x, _o, g) => div(g, square(add(abs(x), 1))));
/** Sine. */
export const sin = defineUnary('sin', Unary.Sin, (x, _o, g) => mul(g, cos(x)));
/** Cosine. */
export const cos = defineUnary('cos', Unary.Cos, (x, _o, g) => neg(mul(g, sin(x))));

// ---- where and clip -------------------------------------------------------------------------

const whereOp = defineOp({
  name: 'where',
  forward: ([condition, a, b]) => {
    const ab = broadcastShapes(a!.shape, b!.shape, 'where');
    const shape = broadcastShapes(condition!.shape, ab, 'where', ['condition', 'a and b']);
    const out = new NDArray(allocate(promote(a!.dtype, b!.dtype), sizeOf(shape), 'where', shape), shape);
    const c = condition!.data;
    const x = a!.data;
    const y = b!.data;
    const o = out.data;
    forEachRow(shape, [condition!.shape, a!.shape, b!.shape], (offsets, outOffset, length, steps) => {
      let ic = offsets[0]!;
      let ia = offsets[1]!;
      let ib = offsets[2]!;
      for (
        let k = outOffset;
        k < outOffset + length;
        k++, ic += steps[0]!, ia += steps[1]!, ib += steps[2]!
      ) {
        o[k] = c[ic] !== 0 ? x[ia]! : y[ib]!;
      }
    });
    return out;
  },
  backward: ({ inputs: [condition, a, b], gradOutput, needsGrad }) => {
    const zero = scalarLike(0, gradOutput);
    return [
      null,
      needsGrad[1]
        ? floatCast(sumToShape(where(condition!, gradOutput, zero), a!.shape), floatOf(a!.dtype))
        : null,
      needsGrad[2]
        ? floatCast(sumToShape(where(condition!, zero, gradOutput), b!.shape), floatOf(b!.dtype))
        : null,
    ];
  },
});

/** Picks `a` where `condition` is non-zero and `b` elsewhere, with broadcasting. */
export function where(condition: NDArray, a: Operand, b: Operand): NDArray {
  const [left, right] = operands(a, b);
  return whereOp([condition, left, right], undefined);
}

const clipOp = defineOp<{ min: number; max: number }>({
  name: 'clip',
  forward: ([x], { min, max }) => {
    const out = new NDArray(allocate(x!.dtype, x!.size), x!.shape);
    const data = x!.data;
    const target = out.data;
    // Math.min/max propagate NaN, so a NaN element stays NaN.
    for (let i = 0; i < data.length; i++) target[i] = Math.max(min, Math.min(data[i]!, max));
    return out;
  },
  backward: ({ inputs: [x], attrs: { min, max }, gradOutput }) => {
    const inside = mul(
      mask(greaterEqual(x!, min), gradOutput.dtype),
      mask(lesserEqual(x!, max), gradOutput.dtype),
    );
    return [mul(gradOutput, inside)];
  },
});

/** Clamps into [min, max]; the gradient passes where min <= x <= max (MXNet). */
export function clip(x: NDArray, min: number, max: number): NDArray {
  if (Number.isNaN(min) || Number.isNaN(max) || min > max) {
    throw new ValueError(`clip: min ${min} must not exceed max ${max}`);
  }
  return clipOp([x], { min, max });
}

/** Throws a ShapeError unless the two shapes are equal. */
export function assertSameShape(where: string, nameA: string, a: NDArray, nameB: string, b: NDArray): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new ShapeError(
      `${where}: ${nameA} shape ${formatShape(a.shape)} does not match ${nameB} shape ${formatShape(b.shape)}`,
    );
  }
}
