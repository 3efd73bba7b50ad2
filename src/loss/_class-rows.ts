/**
 * Rows along a class axis, for the losses that normalise over classes (SoftmaxCrossEntropyLoss,
 * KLDivLoss with `fromLogits: false`). An array of any shape is viewed as `(outer, size, inner)`
 * around the class axis, so a non-last axis is walked with strides instead of being transposed
 * or copied: element `(o, c, i)` sits at `(o · size + c) · inner + i` and belongs to row
 * `o · inner + i`.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { sizeOf } from '../ndarray/shape.js';

/** The `(outer, size, inner)` view of an array around its class axis. */
export interface ClassLayout {
  /** Product of the dimensions before the class axis. */
  readonly outer: number;
  /** Number of classes (the class axis's length). */
  readonly size: number;
  /** Product of the dimensions after the class axis (1 for the last axis). */
  readonly inner: number;
}

/** The layout of `shape` around the (normalised) class axis `axis`. */
export function classLayout(shape: readonly number[], axis: number): ClassLayout {
  return { outer: sizeOf(shape.slice(0, axis)), size: shape[axis]!, inner: sizeOf(shape.slice(axis + 1)) };
}

/**
 * Per-row normalisers of a log-softmax: `log p_c = (x_c − shift) − logSum` for every class c of
 * the row. Two numbers per row (O(rows) memory); the probabilities themselves are never stored.
 */
export interface RowNormalizers {
  /** The row maximum, or 0 when the maximum is not finite (NaN rows, or rows holding ±Infinity). */
  readonly shift: Float64Array;
  /** log Σ_c exp(x_c − shift). */
  readonly logSum: Float64Array;
}

/**
 * Computes the log-softmax normalisers of every row, stably.
 *
 * Derivation: log Σ exp(x_c) = m + log Σ exp(x_c − m) for any m. With m the row maximum, reached
 * at class a, every exponent is ≤ 0 and the term of class a is exactly 1, so
 * log Σ exp(x_c − m) = log1p(Σ_{c≠a} exp(x_c − m)), where the remaining sum lies in [0, size − 1]:
 * nothing overflows, and log1p keeps the digits of a near-certain row (a loss of 1e-30 stays
 * 1e-30 instead of rounding to 0, and p − 1 = expm1(log p) stays exact). A row whose maximum is
 * not finite is shifted by 0 instead, which gives the IEEE answer: NaN for a row with a NaN,
 * +Infinity for a row with +Infinity, −Infinity for a row of −Infinity. Sums accumulate in float64.
 */
export function logSoftmaxRows(data: TypedArray, layout: ClassLayout): RowNormalizers {
  const { outer, size, inner } = layout;
  const rows = outer * inner;
  const shift = new Float64Array(rows);
  const logSum = new Float64Array(rows);
  if (inner === 1) {
    for (let r = 0; r < rows; r++) {
      const base = r * size;
      let maximum = Number.NEGATIVE_INFINITY;
      let at = 0;
      for (let c = 0; c < size; c++) {
        const v = data[base + c]!;
        // `Number.isNaN(v)` lets a NaN win, and nothing is greater than NaN afterwards.
        if (v > maximum || Number.isNaN(v)) {
          maximum = v;
          at = c;
        }
      }
      if (maximum - maximum === 0) {
        let rest = 0;
        for (let c = 0; c < at; c++) rest += Math.exp(data[base + c]! - maximum);
        for (let c = at + 1; c < size; c++) rest += Math.exp(data[base + c]! - maximum);
        shift[r] = maximum;
        logSum[r] = Math.log1p(rest);
      } else {
        let total = 0;
        for (let c = 0; c < size; c++) total += Math.exp(data[base + c]!);
        logSum[r] = Math.log(total);
      }
    }
    return { shift, logSum };
  }
  // A non-last axis: walk each outer block class by class, so the inner loop reads contiguous
  // memory and keeps one running maximum (and its class) and one sum per row of the block.
  const at = new Int32Array(inner);
  for (let o = 0; o < outer; o++) {
    const rowBase = o * inner;
    const blockBase = o * size * inner;
    shift.fill(Number.NEGATIVE_INFINITY, rowBase, rowBase + inner);
    at.fill(0);
    for (let c = 0; c < size; c++) {
      const p = blockBase + c * inner;
      for (let i = 0; i < inner; i++) {
        const v = data[p + i]!;
        const current = shift[rowBase + i]!;
        if (v > current || Number.isNaN(v)) {
          shift[rowBase + i] = v;
          at[i] = c;
        }
      }
    }
    for (let i = 0; i < inner; i++) {
      const m = shift[rowBase + i]!;
      // A non-finite maximum: shift by 0 and sum every term (marked by a class index of −1).
      if (m - m !== 0) {
        shift[rowBase + i] = 0;
        at[i] = -1;
      }
    }
    for (let c = 0; c < size; c++) {
      const p = blockBase + c * inner;
      for (let i = 0; i < inner; i++) {
        if (c !== at[i]) logSum[rowBase + i]! += Math.exp(data[p + i]! - shift[rowBase + i]!);
      }
    }
    for (let i = 0; i < inner; i++) {
      const total = logSum[rowBase + i]!;
      logSum[rowBase + i] = at[i] === -1 ? Math.log(total) : Math.log1p(total);
    }
  }
  return { shift, logSum };
}
