/**
 * The fused affine map behind `Dense` (MXNet's `FullyConnected`): `out = x · Wᵀ + b` as one
 * autograd node.
 * @module
 */
import { isRecording } from '../autograd/state.js';
import { allocate, floatOf, promote } from '../ndarray/dtype.js';
import { formatShape, ShapeError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { defineOp } from '../ops/_define.js';
import { cast } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { reshape, transpose } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import { type FloatArray, isFloatArray } from '../kernels/_spans.js';
import { kernelBackend, matmul as matmulKernel } from '../kernels/index.js';

/** Options of {@link fullyConnected}. */
export interface FullyConnectedOptions {
  /**
   * true (default): x is reshaped to `(x.shape[0], prod(rest))`, giving `(batch, units)`.
   * false: the map acts on the last axis, `(..., in) → (..., units)`.
   */
  flatten?: boolean;
}

/**
 * Rows and inner size of `x` as the affine map sees it: the products of the axes before and from
 * the split (the first axis when flattening, else the last), taken without slicing the shape.
 */
function rowsAndInner(shape: readonly number[], flatten: boolean): [number, number] {
  const split = flatten ? 1 : shape.length - 1;
  let rows = 1;
  let inner = 1;
  for (let axis = 0; axis < shape.length; axis++) {
    if (axis < split) rows *= shape[axis]!;
    else inner *= shape[axis]!;
  }
  return [rows, inner];
}

/**
 * Whether the products run on the wasm SIMD matrix kernel (src/kernels/matmul.ts), with the wasm
 * backend active: float32 x, weight and bias accumulate in float32, like any float32 BLAS; with a
 * float64 x or weight the result is float64 and so are the sums (float32 operands widened).
 * Integer data, and a float64 bias on a float32 result, keep the float64-accumulating loops.
 */
function useKernel(x: NDArray, weight: NDArray, bias: NDArray | null | undefined): boolean {
  if (kernelBackend() !== 'wasm' || !isFloatArray(x.data) || !isFloatArray(weight.data)) return false;
  if (!bias) return true;
  const double = x.data instanceof Float64Array || weight.data instanceof Float64Array;
  return double ? isFloatArray(bias.data) : bias.data instanceof Float32Array;
}

/**
 * `sums[j] = Σ_i g[i, j]` for each of `units` columns, each summed in float64 row after row and
 * rounded once into `sums`. A function of its own, so that its element accesses see only float
 * arrays (inline in kernelGradients the loop ran slower).
 */
function columnSums(g: FloatArray, rows: number, units: number, sums: FloatArray): void {
  const end = rows * units;
  // Four columns at a time (then two, then one), each sum in a local: independent chains of
  // float64 adds (one column at a time waited on each add's latency), every column still summed
  // in row order.
  let j = 0;
  for (; j + 4 <= units; j += 4) {
    let first = 0;
    let second = 0;
    let third = 0;
    let fourth = 0;
    for (let at = j; at < end; at += units) {
      first += g[at]!;
      second += g[at + 1]!;
      third += g[at + 2]!;
      fourth += g[at + 3]!;
    }
    sums[j] = first;
    sums[j + 1] = second;
    sums[j + 2] = third;
    sums[j + 3] = fourth;
  }
  if (j + 2 <= units) {
    let first = 0;
    let second = 0;
    for (let at = j; at < end; at += units) {
      first += g[at]!;
      second += g[at + 1]!;
    }
    sums[j] = first;
    sums[j + 1] = second;
    j += 2;
  }
  for (; j < units; j++) {
    let total = 0;
    for (let at = j; at < end; at += units) total += g[at]!;
    sums[j] = total;
  }
}

const fullyConnectedOp = defineOp<{ flatten: boolean }>({
  name: 'fullyConnected',
  forward: ([x, weight, bias], { flatten }) => {
    const [rows, inner] = rowsAndInner(x!.shape, flatten);
    const units = weight!.shape[0]!;
    const outShape = flatten ? [x!.shape[0]!, units] : [...x!.shape.slice(0, -1), units];
    const out = new NDArray(allocate(promote(x!.dtype, weight!.dtype), rows * units), outShape);
    const xs = x!.data;
    const ws = weight!.data;
    const bs = bias ? bias.data : null;
    const o = out.data;
    if (useKernel(x!, weight!, bias)) {
      // out = x · Wᵀ + b: W is stored as [units, in], i.e. Wᵀ transposed; the kernel adds b.
      matmulKernel({
        a: xs as FloatArray,
        b: ws as FloatArray,
        out: o as FloatArray,
        rows,
        columns: units,
        inner,
        transposeB: true,
        ...(bs ? { bias: bs as FloatArray } : {}),
      });
      return out;
    }
    // Both x and W are read along contiguous rows of length `inner`: out[i, j] = x[i,:] · W[j,:] + b[j],
    // accumulated in float64.
    for (let i = 0; i < rows; i++) {
      const rowX = i * inner;
      for (let j = 0; j < units; j++) {
        const rowW = j * inner;
        let total = bs ? bs[j]! : 0;
        for (let k = 0; k < inner; k++) total += xs[rowX + k]! * ws[rowW + k]!;
        o[i * units + j] = total;
      }
    }
    return out;
  },
  // With g the output gradient as (rows, units) and x as (rows, in):
  //   dx = g · W,  dW = gᵀ · x,  db = Σ_rows g.
  // Written with differentiable ops, so under createGraph the gradient is itself differentiable.
  backward: ({ inputs: [x, weight, bias], gradOutput, needsGrad, attrs: { flatten } }) => {
    const [rows, inner] = rowsAndInner(x!.shape, flatten);
    const units = weight!.shape[0]!;
    if (!isRecording() && isFloatArray(gradOutput.data) && useKernel(x!, weight!, bias)) {
      return kernelGradients(x!, weight!, bias ?? null, gradOutput.data, needsGrad, rows, inner, units);
    }
    const g = reshape(gradOutput, [rows, units]);
    const like = (grad: NDArray, input: NDArray) =>
      grad.dtype === input.dtype ? grad : cast(grad, input.dtype);
    const dx = needsGrad[0] ? like(reshape(matmul(g, weight!), [...x!.shape]), x!) : null;
    const dWeight = needsGrad[1] ? like(matmul(transpose(g), reshape(x!, [rows, inner])), weight!) : null;
    const dBias = bias && needsGrad[2] ? like(sum(g, 0), bias) : null;
    return bias ? [dx, dWeight, dBias] : [dx, dWeight];
  },
});

/**
 * The backward on the wasm matrix kernel (not recording): dx = g · W, dW = gᵀ · x (the kernel
 * reads g transposed in place), db = Σ_rows g (summed in float64); each gradient in its input's
 * dtype, accumulated in float64 when any of the arrays involved is float64.
 */
function kernelGradients(
  x: NDArray,
  weight: NDArray,
  bias: NDArray | null,
  g: FloatArray,
  needsGrad: readonly boolean[],
  rows: number,
  inner: number,
  units: number,
): (NDArray | null)[] {
  const xs = x.data as FloatArray;
  const ws = weight.data as FloatArray;
  let dx: NDArray | null = null;
  if (needsGrad[0]) {
    const data = allocate(x.dtype, rows * inner) as FloatArray;
    matmulKernel({ a: g, b: ws, out: data, rows, columns: inner, inner: units });
    dx = new NDArray(data, x.shape);
  }
  let dWeight: NDArray | null = null;
  if (needsGrad[1]) {
    const data = allocate(weight.dtype, units * inner) as FloatArray;
    matmulKernel({ a: g, b: xs, out: data, rows: units, columns: inner, inner: rows, transposeA: true });
    dWeight = new NDArray(data, weight.shape);
  }
  if (!bias) return [dx, dWeight];
  let dBias: NDArray | null = null;
  if (needsGrad[2]) {
    const data = allocate(bias.dtype, units) as FloatArray;
    columnSums(g, rows, units, data);
    dBias = new NDArray(data, bias.shape);
  }
  return [dx, dWeight, dBias];
}

/**
 * `x · Wᵀ + b` with `weight` of shape `[units, in]` and optional `bias` of shape `[units]`,
 * as one differentiable op (MXNet `FullyConnected`). Integer inputs are converted to the
 * weight's dtype first.
 */
export function fullyConnected(
  x: NDArray,
  weight: NDArray,
  bias: NDArray | null = null,
  options: FullyConnectedOptions = {},
): NDArray {
  const flatten = options.flatten ?? true;
  const where = 'fullyConnected';
  if (weight.ndim !== 2)
    throw new ShapeError(`${where}: weight must have 2 axes [units, in], got ${formatShape(weight.shape)}`);
  if (x.ndim === 0) {
    throw new ShapeError(`${where}: input must have at least 1 axis, got ${formatShape(x.shape)}`);
  }
  const input = x.dtype === 'int32' ? cast(x, floatOf(weight.dtype)) : x;
  const [, inner] = rowsAndInner(input.shape, flatten);
  if (inner !== weight.shape[1]) {
    throw new ShapeError(
      `${where}: input ${formatShape(x.shape)} has ${inner} features${flatten ? ' per sample (after flattening)' : ' on its last axis'} ` +
        `but weight ${formatShape(weight.shape)} expects ${weight.shape[1]}`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new ShapeError(
      `${where}: bias must have shape [${weight.shape[0]}] to match weight ${formatShape(weight.shape)}, got ${formatShape(bias.shape)}`,
    );
  }
  return fullyConnectedOp(bias ? [input, weight, bias] : [input, weight], { flatten });
}
