/**
 * Matrix products, accumulated in float64 whatever the dtype (a float32 result is rounded once).
 * Float products on the wasm backend run the f64x2 SIMD tiles of src/kernels/matmul.ts (float32
 * operands widened as they are copied in). Elsewhere (the `'js'` backend, integers) the kernel
 * below runs; it is cache-blocked in the GotoBLAS way: a slice of B (KC rows) is packed into
 * panels of 4 columns, and a 4×4 block of C is accumulated in sixteen local float64 variables
 * while 4 rows of A and one packed panel stream past, so each loaded value feeds four
 * multiply-adds.
 * @module
 */
import { allocate, promote, type TypedArray } from '../ndarray/dtype.js';
import { formatShape, ShapeError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { broadcastShapes, broadcastStrides, sizeOf } from '../ndarray/shape.js';
import { type FloatArray, isFloatArray } from '../kernels/_spans.js';
import { kernelBackend, matmul as matmulKernel } from '../kernels/index.js';
import { defineOp } from './_define.js';
import { sumToShape } from './elementwise.js';
import { reshape, transpose } from './movement.js';

/** Rows of B packed at a time: one packed panel (KC × 4 float64 = 8 KB) stays in L1 cache. */
const KC = 256;

/**
 * Packs rows [k0, k0 + kc) of the row-major k×n matrix B into panels of 4 columns:
 * `packed[(panel · kc + p) · 4 + c] = B[k0 + p, 4 · panel + c]`, zero beyond column n.
 */
function packPanels(
  b: TypedArray,
  bOffset: number,
  n: number,
  k0: number,
  kc: number,
  packed: Float64Array,
): void {
  const panels = (n + 3) >> 2;
  for (let p = 0; p < kc; p++) {
    const rowB = bOffset + (k0 + p) * n;
    for (let j = 0; j < n; j++) packed[((j >> 2) * kc + p) * 4 + (j & 3)] = b[rowB + j]!;
    for (let j = n; j < panels * 4; j++) packed[((j >> 2) * kc + p) * 4 + (j & 3)] = 0;
  }
}

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
  if (m === 0 || n === 0 || k === 0) return;
  const panels = (n + 3) >> 2;
  const packed = new Float64Array(Math.min(KC, k) * panels * 4);
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = Math.min(KC, k - k0);
    packPanels(b, bOffset, n, k0, kc, packed);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const r0 = aOffset + i * k + k0;
      const r1 = r0 + k;
      const r2 = r1 + k;
      const r3 = r2 + k;
      for (let panel = 0; panel < panels; panel++) {
        let c00 = 0,
          c01 = 0,
          c02 = 0,
          c03 = 0;
        let c10 = 0,
          c11 = 0,
          c12 = 0,
          c13 = 0;
        let c20 = 0,
          c21 = 0,
          c22 = 0,
          c23 = 0;
        let c30 = 0,
          c31 = 0,
          c32 = 0,
          c33 = 0;
        for (let p = 0, q = panel * kc * 4; p < kc; p++, q += 4) {
          const b0 = packed[q]!;
          const b1 = packed[q + 1]!;
          const b2 = packed[q + 2]!;
          const b3 = packed[q + 3]!;
          const a0 = a[r0 + p]!;
          const a1 = a[r1 + p]!;
          const a2 = a[r2 + p]!;
          const a3 = a[r3 + p]!;
          c00 += a0 * b0;
          c01 += a0 * b1;
          c02 += a0 * b2;
          c03 += a0 * b3;
          c10 += a1 * b0;
          c11 += a1 * b1;
          c12 += a1 * b2;
          c13 += a1 * b3;
          c20 += a2 * b0;
          c21 += a2 * b1;
          c22 += a2 * b2;
          c23 += a2 * b3;
          c30 += a3 * b0;
          c31 += a3 * b1;
          c32 += a3 * b2;
          c33 += a3 * b3;
        }
        const j = panel * 4;
        const o = i * n + j;
        const width = Math.min(4, n - j);
        addRow(acc, o, width, c00, c01, c02, c03);
        addRow(acc, o + n, width, c10, c11, c12, c13);
        addRow(acc, o + 2 * n, width, c20, c21, c22, c23);
        addRow(acc, o + 3 * n, width, c30, c31, c32, c33);
      }
    }
    for (; i < m; i++) {
      const r0 = aOffset + i * k + k0;
      for (let panel = 0; panel < panels; panel++) {
        let c0 = 0,
          c1 = 0,
          c2 = 0,
          c3 = 0;
        for (let p = 0, q = panel * kc * 4; p < kc; p++, q += 4) {
          const a0 = a[r0 + p]!;
          c0 += a0 * packed[q]!;
          c1 += a0 * packed[q + 1]!;
          c2 += a0 * packed[q + 2]!;
          c3 += a0 * packed[q + 3]!;
        }
        const j = panel * 4;
        addRow(acc, i * n + j, Math.min(4, n - j), c0, c1, c2, c3);
      }
    }
  }
}

/** Adds the first `width` of four partial sums into one row of C. */
function addRow(
  acc: Float64Array,
  o: number,
  width: number,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
): void {
  acc[o]! += c0;
  if (width > 1) acc[o + 1]! += c1;
  if (width > 2) acc[o + 2]! += c2;
  if (width > 3) acc[o + 3]! += c3;
}

/**
 * Whether a product runs on the wasm matrix kernel (src/kernels/matmul.ts): float operands on
 * the wasm backend. It accumulates in float64 for float32 too (operands widened as the kernel
 * copies them in, the result rounded once), as {@link gemm} does. Integer products and the
 * `'js'` backend take {@link gemm}.
 */
function useKernel(out: TypedArray): out is FloatArray {
  return kernelBackend() === 'wasm' && isFloatArray(out);
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
    const shape = [...batch, m, n];
    const out = new NDArray(allocate(promote(a!.dtype, b!.dtype), count * m * n, 'matmul', shape), shape);
    // Matrix index of each operand for every batch position (broadcast batch axes repeat).
    const indexA = batchIndices(batch, batchA);
    const indexB = batchIndices(batch, batchB);
    const aData = a!.data;
    const bData = b!.data;
    if (isFloatArray(aData) && isFloatArray(bData) && useKernel(out.data)) {
      for (let t = 0; t < count; t++) {
        const aAt = indexA[t]! * m * k;
        const bAt = indexB[t]! * k * n;
        matmulKernel({
          a: aData.subarray(aAt, aAt + m * k),
          b: bData.subarray(bAt, bAt + k * n),
          out: (out.data as FloatArray).subarray(t * m * n, (t + 1) * m * n),
          rows: m,
          columns: n,
          inner: k,
          accumulation: 'float64',
        });
      }
      return out;
    }
    const acc = new Float64Array(m * n);
    for (let t = 0; t < count; t++) {
      acc.fill(0);
      const ta = indexA[t]!;
      const tb = indexB[t]!;
      gemm(a!.data, ta * m * k, b!.data, tb * k * n, acc, m, k, n);
      out.data.set(acc, t * m * n);
    }
    return out;
  },
  backward: ({ inputs: [a, b], gradOutput, needsGrad }) => {
    const swap = (x: NDArray) =>
      transpose(
        x,
        [...x.shape.keys()].map((i) => (i < x.ndim - 2 ? i : i === x.ndim - 2 ? x.ndim - 1 : x.ndim - 2)),
      );
    return [
      needsGrad[0] ? sumToShape(matmul(gradOutput, swap(b!)), a!.shape) : null,
      needsGrad[1] ? sumToShape(matmul(swap(a!), gradOutput), b!.shape) : null,
    ];
  },
});

/** For each position of the broadcast batch shape, the flat index into an operand's own batch. */
function batchIndices(batch: readonly number[], own: readonly number[]): Int32Array {
  const count = sizeOf(batch);
  const indices = new Int32Array(count);
  const strides = broadcastStrides(own, batch);
  const counter = new Array<number>(batch.length).fill(0);
  let index = 0;
  for (let t = 0; t < count; t++) {
    indices[t] = index;
    for (let axis = batch.length - 1; axis >= 0; axis--) {
      counter[axis]!++;
      index += strides[axis]!;
      if (counter[axis]! < batch[axis]!) break;
      index -= strides[axis]! * batch[axis]!;
      counter[axis] = 0;
    }
  }
  return indices;
}

/**
 * Matrix product with numpy semantics: 2-D × 2-D, batched over leading axes (broadcast), and
 * 1-D operands treated as a row (left) or column (right) vector that is dropped from the result.
 */
export function matmul(a: NDArray, b: NDArray): NDArray {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      `matmul: operands must have at least one axis, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  }
  const left = a.ndim === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const right = b.ndim === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const k = left.shape[left.ndim - 1]!;
  if (right.shape[right.ndim - 2] !== k) {
    throw new ShapeError(
      `matmul: inner dimensions differ: a ${formatShape(a.shape)} has ${k} columns, b ${formatShape(b.shape)} has ${right.shape[right.ndim - 2]} rows`,
    );
  }
  try {
    broadcastShapes(left.shape.slice(0, -2), right.shape.slice(0, -2), 'matmul');
  } catch {
    throw new ShapeError(
      `matmul: the batch axes (all but the last two) of a ${formatShape(a.shape)} and b ${formatShape(b.shape)} do not broadcast`,
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
    throw new ShapeError(
      `dot: operands must have at least one axis, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  }
  const k = a.shape[a.ndim - 1]!;
  if (b.shape[0] !== k) {
    throw new ShapeError(
      `dot: last axis of a ${formatShape(a.shape)} (${k}) differs from first axis of b ${formatShape(b.shape)}`,
    );
  }
  const product = matmulOp([reshape(a, [-1, k]), reshape(b, [k, -1])], undefined);
  return reshape(product, [...a.shape.slice(0, -1), ...b.shape.slice(1)]);
}
