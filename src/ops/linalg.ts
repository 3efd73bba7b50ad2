/**
 * Matrix products. The kernel is cache-blocked (tiles of B stay in cache while every row of A
 * streams past) and accumulates in float64.
 * @module
 */
import { allocate, promote, type TypedArray } from '../ndarray/dtype.js';
import { formatShape, ShapeError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { broadcastShapes, sizeOf } from '../ndarray/shape.js';
import { defineOp } from './_define.js';
import { sumToShape } from './elementwise.js';
import { reshape, transpose } from './movement.js';

const BLOCK_K = 128;
const BLOCK_N = 256;

/** C[m,n] += A[m,k] · B[k,n] for one matrix of a batch, accumulating into float64 `acc`. */
export function gemm(
  a: TypedArray,
  aOffset: number,
  b: TypedArray,
  bOffset: number,
  acc: Float64Array,
  m: number,
  k: number,
  n: number,
): void {
  for (let k0 = 0; k0 < k; k0 += BLOCK_K) {
    const k1 = Math.min(k0 + BLOCK_K, k);
    for (let j0 = 0; j0 < n; j0 += BLOCK_N) {
      const j1 = Math.min(j0 + BLOCK_N, n);
      for (let i = 0; i < m; i++) {
        const rowA = aOffset + i * k;
        const rowC = i * n;
        for (let p = k0; p < k1; p++) {
          const aip = a[rowA + p]!;
          if (aip === 0) continue;
          const rowB = bOffset + p * n;
          for (let j = j0; j < j1; j++) acc[rowC + j]! += aip * b[rowB + j]!;
        }
      }
    }
  }
}

const matmulOp = defineOp({
  name: 'matmul',
  forward: ([a, b]) => {
    const m = a!.shape[a!.ndim - 2]!;
    const k = a!.shape[a!.ndim - 1]!;
    const n = b!.shape[b!.ndim - 1]!;
    const batchA = a!.shape.slice(0, -2);
    const batchB = b!.shape.slice(0, -2);
    const batch = broadcastShapes(batchA, batchB, 'matmul');
    const count = sizeOf(batch);
    const out = new NDArray(allocate(promote(a!.dtype, b!.dtype), count * m * n), [...batch, m, n]);
    const acc = new Float64Array(m * n);
    const sizeA = sizeOf(batchA);
    const sizeB = sizeOf(batchB);
    for (let t = 0; t < count; t++) {
      acc.fill(0);
      // Broadcast batch index: equal batch shapes or one side of size 1 (the common cases).
      const ta = sizeA === count ? t : sizeA === 1 ? 0 : broadcastIndex(t, batch, batchA);
      const tb = sizeB === count ? t : sizeB === 1 ? 0 : broadcastIndex(t, batch, batchB);
      gemm(a!.data, ta * m * k, b!.data, tb * k * n, acc, m, k, n);
      out.data.set(acc, t * m * n);
    }
    return out;
  },
  backward: ({ inputs: [a, b], gradOutput, needsGrad }) => {
    const swap = (x: NDArray) => transpose(x, [...x.shape.keys()].map((i) => (i < x.ndim - 2 ? i : i === x.ndim - 2 ? x.ndim - 1 : x.ndim - 2)));
    return [
      needsGrad[0] ? sumToShape(matmul(gradOutput, swap(b!)), a!.shape) : null,
      needsGrad[1] ? sumToShape(matmul(swap(a!), gradOutput), b!.shape) : null,
    ];
  },
});

function broadcastIndex(t: number, batch: readonly number[], own: readonly number[]): number {
  let index = 0;
  let remainder = t;
  const offset = batch.length - own.length;
  let stride = 1;
  const strides = own.map((_, i) => {
    const s = stride;
    stride *= own[own.length - 1 - i]!;
    return s;
  });
  strides.reverse();
  for (let axis = 0; axis < batch.length; axis++) {
    const block = sizeOf(batch.slice(axis + 1));
    const coordinate = Math.floor(remainder / block);
    remainder -= coordinate * block;
    if (axis >= offset && own[axis - offset] !== 1) index += coordinate * strides[axis - offset]!;
  }
  return index;
}

/**
 * Matrix product with numpy semantics: 2-D × 2-D, batched over leading axes (broadcast), and
 * 1-D operands treated as a row (left) or column (right) vector that is dropped from the result.
 */
export function matmul(a: NDArray, b: NDArray): NDArray {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`matmul: operands must have at least one axis, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const left = a.ndim === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const right = b.ndim === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const k = left.shape[left.ndim - 1]!;
  if (right.shape[right.ndim - 2] !== k) {
    throw new ShapeError(
      `matmul: inner dimensions differ: a ${formatShape(a.shape)} has ${k} columns, b ${formatShape(b.shape)} has ${right.shape[right.ndim - 2]} rows`,
    );
  }
  let out = matmulOp([left, right], undefined);
  if (a.ndim === 1 || b.ndim === 1) {
    const shape = [...out.shape];
    if (b.ndim === 1) shape.splice(shape.length - 1, 1);
    if (a.ndim === 1) shape.splice(shape.length - (b.ndim === 1 ? 1 : 2), 1);
    out = reshape(out, shape);
  }
  return out;
}

/**
 * MXNet `dot`: contracts the last axis of `a` with the first axis of `b`
 * (`a.shape[:-1] + b.shape[1:]`). For 2-D operands this is the matrix product.
 */
export function dot(a: NDArray, b: NDArray): NDArray {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`dot: operands must have at least one axis, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const k = a.shape[a.ndim - 1]!;
  if (b.shape[0] !== k) {
    throw new ShapeError(`dot: last axis of a ${formatShape(a.shape)} (${k}) differs from first axis of b ${formatShape(b.shape)}`);
  }
  const product = matmulOp([reshape(a, [-1, k]), reshape(b, [k, -1])], undefined);
  return reshape(product, [...a.shape.slice(0, -1), ...b.shape.slice(1)]);
}
