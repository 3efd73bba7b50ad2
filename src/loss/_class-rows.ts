/**
 * Rows along a class axis, for the losses that normalise over classes (SoftmaxCrossEntropyLoss,
 * KLDivLoss with `fromLogits: false`, and CTCLoss's frames). An array of any shape is viewed as
 * `(outer, size, inner)` around the class axis, so a non-last axis is walked with strides instead
 * of being transposed or copied: element `(o, c, i)` sits at `(o · size + c) · inner + i` and
 * belongs to row `o · inner + i`.
 *
 * The per-row loops over contiguous classes ({@link rowMaximumIndex}, {@link sumExpShifted},
 * {@link writeScaledExp}) are small separate functions on purpose: they are the hot loops of
 * SoftmaxCE and CTC, and the place where a SIMD kernel can be swapped in.
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

/** Zeroed normalisers for `rows` rows, to be filled by {@link logSoftmaxRows}. */
export function allocateNormalizers(rows: number): RowNormalizers {
  return { shift: new Float64Array(rows), logSum: new Float64Array(rows) };
}

// ---- contiguous row loops ------------------------------------------------------------------

/**
 * Index (relative to `offset`) of the maximum of `data[offset … offset + length)`: the first
 * maximum, except that a NaN wins (nothing is greater than NaN afterwards). 0 for a row of −∞.
 */
export function rowMaximumIndex(data: TypedArray, offset: number, length: number): number {
  let maximum = Number.NEGATIVE_INFINITY;
  let at = 0;
  for (let c = 0; c < length; c++) {
    const v = data[offset + c]!;
    if (v > maximum || Number.isNaN(v)) {
      maximum = v;
      at = c;
    }
  }
  return at;
}

/**
 * Σ exp(data[offset + c] − shift) over `c < length` except `c = skip` (−1 skips nothing),
 * accumulated in float64 in class order.
 */
export function sumExpShifted(
  data: TypedArray,
  offset: number,
  length: number,
  shift: number,
  skip = -1,
): number {
  let total = 0;
  for (let c = 0; c < skip; c++) total += Math.exp(data[offset + c]! - shift);
  for (let c = skip + 1; c < length; c++) total += Math.exp(data[offset + c]! - shift);
  return total;
}

/**
 * `out[outOffset + c] = scale · exp(data[offset + c] − shift − logSum)` for `c < length`: a
 * softmax row (or a scaled one, the gradient of a log-sum-exp) written straight into `out`.
 */
export function writeScaledExp(
  data: TypedArray,
  offset: number,
  length: number,
  shift: number,
  logSum: number,
  scale: number,
  out: TypedArray,
  outOffset: number,
): void {
  for (let c = 0; c < length; c++) out[outOffset + c] = scale * Math.exp(data[offset + c]! - shift - logSum);
}

// ---- log-softmax normalisers ---------------------------------------------------------------

/**
 * Computes the log-softmax normalisers of rows `begin <= r < end` into `normalizers`, stably.
 *
 * Derivation: log Σ exp(x_c) = m + log Σ exp(x_c − m) for any m. With m the row maximum, reached
 * at class a, every exponent is ≤ 0 and the term of class a is exactly 1, so
 * log Σ exp(x_c − m) = log1p(Σ_{c≠a} exp(x_c − m)), where the remaining sum lies in [0, size − 1]:
 * nothing overflows, and log1p keeps the digits of a near-certain row (a loss of 1e-30 stays
 * 1e-30 instead of rounding to 0, and p − 1 = expm1(log p) stays exact). A row whose maximum is
 * not finite is shifted by 0 instead, which gives the IEEE answer: NaN for a row with a NaN,
 * +Infinity for a row with +Infinity, −Infinity for a row of −Infinity. Sums accumulate in float64.
 */
export function logSoftmaxRows(
  data: TypedArray,
  layout: ClassLayout,
  begin: number,
  end: number,
  normalizers: RowNormalizers,
): void {
  const { size, inner } = layout;
  const { shift, logSum } = normalizers;
  if (inner === 1) {
    for (let r = begin, base = begin * size; r < end; r++, base += size) {
      const at = rowMaximumIndex(data, base, size);
      const maximum = data[base + at]!;
      if (maximum - maximum === 0) {
        shift[r] = maximum;
        logSum[r] = Math.log1p(sumExpShifted(data, base, size, maximum, at));
      } else {
        shift[r] = 0;
        logSum[r] = Math.log(sumExpShifted(data, base, size, 0));
      }
    }
    return;
  }
  // A non-last axis: walk each outer block class by class, so the inner loop reads contiguous
  // memory and keeps one running maximum (and its class) and one sum per row of the block.
  // The rows [begin, end) cover parts of one or more outer blocks: row o · inner + i for i in
  // [first, last) of block o.
  const at = new Int32Array(Math.min(inner, end - begin));
  for (let o = Math.floor(begin / inner); o * inner < end; o++) {
    const rowBase = o * inner;
    const first = Math.max(begin - rowBase, 0);
    const last = Math.min(end - rowBase, inner);
    const blockBase = o * size * inner;
    shift.fill(Number.NEGATIVE_INFINITY, rowBase + first, rowBase + last);
    logSum.fill(0, rowBase + first, rowBase + last);
    at.fill(0);
    for (let c = 0; c < size; c++) {
      const p = blockBase + c * inner;
      for (let i = first; i < last; i++) {
        const v = data[p + i]!;
        const current = shift[rowBase + i]!;
        if (v > current || Number.isNaN(v)) {
          shift[rowBase + i] = v;
          at[i - first] = c;
        }
      }
    }
    for (let i = first; i < last; i++) {
      const m = shift[rowBase + i]!;
      // A non-finite maximum: shift by 0 and sum every term (marked by a class index of −1).
      if (m - m !== 0) {
        shift[rowBase + i] = 0;
        at[i - first] = -1;
      }
    }
    for (let c = 0; c < size; c++) {
      const p = blockBase + c * inner;
      for (let i = first; i < last; i++) {
        if (c !== at[i - first]) logSum[rowBase + i]! += Math.exp(data[p + i]! - shift[rowBase + i]!);
      }
    }
    for (let i = first; i < last; i++) {
      const total = logSum[rowBase + i]!;
      logSum[rowBase + i] = at[i - first] === -1 ? Math.log(total) : Math.log1p(total);
    }
  }
}
