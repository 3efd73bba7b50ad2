/**
 * Raw elementwise kernels: plain typed-array loops with the op chosen by a switch outside the loop,
 * so there is no per-element call. Values are computed in float64 and rounded on store.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { broadcastStrides } from '../ndarray/shape.js';
import { sigmoidScalar, softplusScalar } from '../kernels/elementwise.js';

/** The binary kernels, chosen by one switch outside the element loop. */
export enum Binary {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  Equal,
  NotEqual,
  Greater,
  GreaterEqual,
  Lesser,
  LesserEqual,
}

/** The unary kernels, chosen by one switch outside the element loop. */
export enum Unary {
  Neg,
  Abs,
  Exp,
  Expm1,
  Log,
  Log1p,
  Sqrt,
  Square,
  Reciprocal,
  Sign,
  Relu,
  Sigmoid,
  LogSigmoid,
  Tanh,
  Softplus,
  Softsign,
  Sin,
  Cos,
  Copy,
}

/** One strided run of a binary kernel: `n` elements, each operand with its own offset and step. */
function binaryRun(
  op: Binary,
  a: TypedArray,
  aOffset: number,
  aStep: number,
  b: TypedArray,
  bOffset: number,
  bStep: number,
  out: TypedArray,
  outOffset: number,
  n: number,
): void {
  let i = aOffset;
  let j = bOffset;
  const end = outOffset + n;
  switch (op) {
    case Binary.Add:
      for (let k = outOffset; k < end; k++, i += aStep, j += bStep) out[k] = a[i]! + b[j]!;
      return;
    case Binary.Sub:
      for (let k = outOffset; k < end; k++, i += aStep, j += bStep) out[k] = a[i]! - b[j]!;
      return;
    case Binary.Mul:
      for (let k = outOffset; k < end; k++, i += aStep, j += bStep) out[k] = a[i]! * b[j]!;
      return;
    case Binary.Div:
      for (let k = outOffset; k < end; k++, i += aStep, j += bStep) out[k] = a[i]! / b[j]!;
      return;
    case Binary.Pow:
      for (let k = outOffset; k < end; k++, i += aStep, j += bStep) out[k] = a[i]! ** b[j]!;
      return;
    case Binary.Maximum:
      for (let k = outOffset; k < end; k++, i += aStep, j += bStep) {
        const x = a[i]!;
        const y = b[j]!;
        out[k] = x >= y || Number.isNaN(x) ? x : y;
      }
      return;
    case Binary.Minimum:
      for (let k = outOffset; k < end; k++, i += aStep, j += bStep) {
        const x = a[i]!;
        const y = b[j]!;
        out[k] = x <= y || Number.isNaN(x) ? x : y;
      }
      return;
    case Binary.Equal:
      for (let k = outOffset; k < end; k++, i += aStep, j += bStep) out[k] = a[i]! === b[j]! ? 1 : 0;
      return;
    case Binary.NotEqual:
      for (let k = outOffset; k < end; k++, i += aStep, j += bStep) out[k] = a[i]! !== b[j]! ? 1 : 0;
      return;
    case Binary.Greater:
      for (let k = outOffset; k < end; k++, i += aStep, j += bStep) out[k] = a[i]! > b[j]! ? 1 : 0;
      return;
    case Binary.GreaterEqual:
      for (let k = outOffset; k < end; k++, i += aStep, j += bStep) out[k] = a[i]! >= b[j]! ? 1 : 0;
      return;
    case Binary.Lesser:
      for (let k = outOffset; k < end; k++, i += aStep, j += bStep) out[k] = a[i]! < b[j]! ? 1 : 0;
      return;
    case Binary.LesserEqual:
      for (let k = outOffset; k < end; k++, i += aStep, j += bStep) out[k] = a[i]! <= b[j]! ? 1 : 0;
      return;
  }
}

/**
 * Merges adjacent axes along which every operand is laid out contiguously, so that a same-shape
 * or scalar operation becomes one long run.
 */
export function coalesce(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): {
  shape: number[];
  strides: number[][];
} {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let axis = 0; axis < shape.length; axis++) {
    const dim = shape[axis]!;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[axis]! * dim)) {
      outShape[last] = outShape[last]! * dim;
      strides.forEach((s, k) => {
        outStrides[k]![last] = s[axis]!;
      });
    } else {
      outShape.push(dim);
      strides.forEach((s, k) => {
        outStrides[k]!.push(s[axis]!);
      });
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Visits the broadcast iteration space row by row (the last coalesced axis is the row), calling
 * `run(offsets..., outOffset, rowLength, steps...)` once per row.
 */
export function forEachRow(
  outShape: readonly number[],
  operandShapes: readonly (readonly number[])[],
  run: (offsets: readonly number[], outOffset: number, length: number, steps: readonly number[]) => void,
): void {
  const size = outShape.reduce((p, d) => p * d, 1);
  if (size === 0) return;
  const { shape, strides } = coalesce(
    outShape,
    operandShapes.map((s) => broadcastStrides(s, outShape)),
  );
  if (shape.length === 0) {
    run(
      strides.map(() => 0),
      0,
      1,
      strides.map(() => 0),
    );
    return;
  }
  const rank = shape.length;
  const rowLength = shape[rank - 1]!;
  const steps = strides.map((s) => s[rank - 1]!);
  const counter = new Array<number>(rank - 1).fill(0);
  const offsets = strides.map(() => 0);
  const rows = size / rowLength;
  for (let row = 0; row < rows; row++) {
    run(offsets, row * rowLength, rowLength, steps);
    for (let axis = rank - 2; axis >= 0; axis--) {
      counter[axis]!++;
      for (let k = 0; k < offsets.length; k++) offsets[k]! += strides[k]![axis]!;
      if (counter[axis]! < shape[axis]!) break;
      for (let k = 0; k < offsets.length; k++) offsets[k]! -= strides[k]![axis]! * shape[axis]!;
      counter[axis] = 0;
    }
  }
}

/**
 * out = a ∘ b over the broadcast shape: one flat loop when both operands are full-size or scalar,
 * otherwise one strided run per row of the coalesced iteration space.
 */
export function binaryKernel(
  op: Binary,
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  if (a.length === out.length && b.length === out.length) {
    binaryRun(op, a, 0, 1, b, 0, 1, out, 0, out.length);
    return;
  }
  if (b.length === 1 && a.length === out.length) {
    binaryRun(op, a, 0, 1, b, 0, 0, out, 0, out.length);
    return;
  }
  if (a.length === 1 && b.length === out.length) {
    binaryRun(op, a, 0, 0, b, 0, 1, out, 0, out.length);
    return;
  }
  forEachRow(outShape, [aShape, bShape], (offsets, outOffset, length, steps) =>
    binaryRun(op, a, offsets[0]!, steps[0]!, b, offsets[1]!, steps[1]!, out, outOffset, length),
  );
}

/** out[i] = op(a[i]) for every element, computed in float64 and rounded on store. */
export function unaryKernel(op: Unary, a: TypedArray, out: TypedArray): void {
  const n = out.length;
  switch (op) {
    case Unary.Neg:
      for (let i = 0; i < n; i++) out[i] = -a[i]!;
      return;
    case Unary.Abs:
      for (let i = 0; i < n; i++) out[i] = Math.abs(a[i]!);
      return;
    case Unary.Exp:
      for (let i = 0; i < n; i++) out[i] = Math.exp(a[i]!);
      return;
    case Unary.Expm1:
      for (let i = 0; i < n; i++) out[i] = Math.expm1(a[i]!);
      return;
    case Unary.Log:
      for (let i = 0; i < n; i++) out[i] = Math.log(a[i]!);
      return;
    case Unary.Log1p:
      for (let i = 0; i < n; i++) out[i] = Math.log1p(a[i]!);
      return;
    case Unary.Sqrt:
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(a[i]!);
      return;
    case Unary.Square:
      for (let i = 0; i < n; i++) out[i] = a[i]! * a[i]!;
      return;
    case Unary.Reciprocal:
      for (let i = 0; i < n; i++) out[i] = 1 / a[i]!;
      return;
    case Unary.Sign:
      for (let i = 0; i < n; i++) {
        const x = a[i]!;
        out[i] = x > 0 ? 1 : x < 0 ? -1 : x;
      }
      return;
    case Unary.Relu:
      for (let i = 0; i < n; i++) {
        const x = a[i]!;
        out[i] = x > 0 || Number.isNaN(x) ? x : 0;
      }
      return;
    case Unary.Sigmoid:
      for (let i = 0; i < n; i++) out[i] = sigmoidScalar(a[i]!);
      return;
    case Unary.LogSigmoid:
      for (let i = 0; i < n; i++) out[i] = -softplusScalar(-a[i]!);
      return;
    case Unary.Tanh:
      for (let i = 0; i < n; i++) out[i] = Math.tanh(a[i]!);
      return;
    case Unary.Softplus:
      for (let i = 0; i < n; i++) out[i] = softplusScalar(a[i]!);
      return;
    case Unary.Softsign:
      for (let i = 0; i < n; i++) out[i] = a[i]! / (1 + Math.abs(a[i]!));
      return;
    case Unary.Sin:
      for (let i = 0; i < n; i++) out[i] = Math.sin(a[i]!);
      return;
    case Unary.Cos:
      for (let i = 0; i < n; i++) out[i] = Math.cos(a[i]!);
      return;
    case Unary.Copy:
      out.set(a);
      return;
  }
}
