/**
 * Softmax and log-softmax along any axis, computed stably (the maximum is subtracted first), with
 * one exponential per element, float64 accumulation and no copy of a non-last axis.
 * @module
 */
import { allocate, floatOf, type TypedArray } from '../ndarray/dtype.js';
import { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxis, sizeOf } from '../ndarray/shape.js';
import { defineOp } from './_define.js';
import { exp, mul, sub } from './elementwise.js';
import { sum } from './reduce.js';

/** Columns of a non-last axis handled together, so every pass reads contiguous row segments. */
const CHUNK = 256;

function softmaxKernel(x: NDArray, axis: number, log: boolean): NDArray {
  const shape = x.shape;
  const size = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const out = new NDArray(allocate(floatOf(x.dtype), x.size), shape);
  if (inner === 1) softmaxLastAxis(x.data, out.data, outer, size, log);
  else softmaxInnerAxis(x.data, out.data, outer, size, inner, log);
  return out;
}

/** Softmax over contiguous rows of length `size`. */
function softmaxLastAxis(
  source: TypedArray,
  target: TypedArray,
  rows: number,
  size: number,
  log: boolean,
): void {
  const terms = new Float64Array(size);
  for (let row = 0, base = 0; row < rows; row++, base += size) {
    let maximum = -Infinity;
    for (let c = 0; c < size; c++) {
      const v = source[base + c]!;
      if (v > maximum || Number.isNaN(v)) maximum = v;
    }
    // All -Infinity (or NaN) rows have no finite shift; shifting by 0 gives the IEEE answer.
    const shift = Number.isFinite(maximum) ? maximum : 0;
    let total = 0;
    for (let c = 0; c < size; c++) {
      // One exponential per element: the terms wait in float64 scratch for the normalisation.
      const term = Math.exp(source[base + c]! - shift);
      terms[c] = term;
      total += term;
    }
    if (log) {
      const logTotal = Math.log(total);
      for (let c = 0; c < size; c++) target[base + c] = source[base + c]! - shift - logTotal;
    } else {
      for (let c = 0; c < size; c++) target[base + c] = terms[c]! / total;
    }
  }
}

/**
 * Softmax along a non-last axis: the `inner` positions after the axis are handled CHUNK at a time,
 * with per-position maxima and totals, so each pass walks contiguous memory instead of striding.
 */
function softmaxInnerAxis(
  source: TypedArray,
  target: TypedArray,
  outer: number,
  size: number,
  inner: number,
  log: boolean,
): void {
  const width = Math.min(CHUNK, inner);
  const shifts = new Float64Array(width);
  const totals = new Float64Array(width);
  const terms = new Float64Array(width * size);
  for (let o = 0; o < outer; o++) {
    const block = o * size * inner;
    for (let i0 = 0; i0 < inner; i0 += width) {
      const count = Math.min(width, inner - i0);
      shifts.fill(-Infinity);
      totals.fill(0);
      for (let c = 0; c < size; c++) {
        const row = block + c * inner + i0;
        for (let i = 0; i < count; i++) {
          const v = source[row + i]!;
          if (v > shifts[i]! || Number.isNaN(v)) shifts[i] = v;
        }
      }
      for (let i = 0; i < count; i++) if (!Number.isFinite(shifts[i]!)) shifts[i] = 0;
      for (let c = 0, t = 0; c < size; c++) {
        const row = block + c * inner + i0;
        for (let i = 0; i < count; i++, t++) {
          const term = Math.exp(source[row + i]! - shifts[i]!);
          terms[t] = term;
          totals[i]! += term;
        }
      }
      if (log) for (let i = 0; i < count; i++) totals[i] = Math.log(totals[i]!);
      for (let c = 0, t = 0; c < size; c++) {
        const row = block + c * inner + i0;
        for (let i = 0; i < count; i++, t++) {
          target[row + i] = log ? source[row + i]! - shifts[i]! - totals[i]! : terms[t]! / totals[i]!;
        }
      }
    }
  }
}

const softmaxOp = defineOp<number>({
  name: 'softmax',
  forward: ([x], axis) => softmaxKernel(x!, axis, false),
  // d softmax: y ⊙ (g − Σ g⊙y)
  backward: ({ output, attrs: axis, gradOutput }) => [
    mul(output, sub(gradOutput, sum(mul(gradOutput, output), axis, true))),
  ],
});

const logSoftmaxOp = defineOp<number>({
  name: 'logSoftmax',
  forward: ([x], axis) => softmaxKernel(x!, axis, true),
  // d log-softmax: g − softmax ⊙ Σ g, with softmax = exp(output)
  backward: ({ output, attrs: axis, gradOutput }) => [
    sub(gradOutput, mul(exp(output), sum(gradOutput, axis, true))),
  ],
});

/** exp(x) / Σ exp(x) along `axis` (default last). */
export function softmax(x: NDArray, axis = -1): NDArray {
  return softmaxOp([x], normalizeAxis(axis, x.ndim, 'softmax'));
}

/** x − log Σ exp(x) along `axis` (default last), without overflow. */
export function logSoftmax(x: NDArray, axis = -1): NDArray {
  return logSoftmaxOp([x], normalizeAxis(axis, x.ndim, 'logSoftmax'));
}
