/**
 * Rows along a class axis, for the losses that normalise over classes (SoftmaxCrossEntropyLoss,
 * KLDivLoss with `fromLogits: false`, and CTCLoss's frames). An array of any shape is viewed as
 * `(outer, size, inner)` around the class axis, so a non-last axis is walked with strides instead
 * of being transposed or copied: element `(o, c, i)` sits at `(o · size + c) · inner + i` and
 * belongs to row `o · inner + i`.
 *
 * Contiguous rows use the float64 reference loops of kernels/softmax.ts. {@link Runs} is the one
 * place that maps a block of a loss to elements of pred and their rows for every layout, and
 * {@link logProbabilityAt} the one place that reads log p from the row normalisers.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { sizeOf } from '../ndarray/shape.js';
import { rowNormalizers } from '../kernels/softmax.js';

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
  // Halves of one buffer: a typed array of over 64 bytes costs a backing store (~1 µs) each.
  const both = new Float64Array(2 * rows);
  return { shift: both.subarray(0, rows), logSum: both.subarray(rows) };
}

// The contiguous row loops are the float64 reference of the kernel layer (kernels/softmax.ts),
// re-exported here for CTC's frames.
export { rowMaximumIndex, sumExpShifted } from '../kernels/softmax.js';

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
    for (let r = begin, base = begin * size; r < end; r++, base += size)
      rowNormalizers(data, base, size, normalizers, r);
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

// ---- runs of a block of any layout ----------------------------------------------------------

/** A block of a loss over pred's class rows, and how to read log p from pred. */
export interface ClassRows {
  /** pred: logits when `normalizers` is given, log-probabilities when it is null. */
  readonly x: TypedArray;
  readonly layout: ClassLayout;
  readonly normalizers: RowNormalizers | null;
  /** The block [begin, end): rows or elements (see {@link Runs}). */
  readonly begin: number;
  readonly end: number;
}

/** A dense label read per element k of pred: `z[labelIndex[k]]` when broadcast, else `z[k]`. */
export interface DenseLabel {
  readonly z: TypedArray;
  /** For each element of pred, the offset of its label value; null when the shapes are equal. */
  readonly labelIndex: Int32Array | null;
}

/** The offset in `label.z` of the label value element `k` of pred reads. */
export function labelOffset({ labelIndex }: DenseLabel, k: number): number {
  return labelIndex ? labelIndex[k]! : k;
}

/**
 * log p_k = (x_k − shift_r) − logSum_r, subtracted in that order (x − shift is exact near the
 * maximum of huge logits); x_k itself when pred already holds log-probabilities.
 */
export function logProbabilityAt(
  x: TypedArray,
  normalizers: RowNormalizers | null,
  k: number,
  r: number,
): number {
  return normalizers ? x[k]! - normalizers.shift[r]! - normalizers.logSum[r]! : x[k]!;
}

/**
 * A block as runs of consecutive elements of pred: after `next()` returns true, the run holds the
 * `count` elements k = `k` + e, e < count, in rows r = `r` + e · `step` (step 0 along a
 * contiguous row, 1 across the rows of one class), with loss elements j = `j` + e · `jStep`.
 * Runs rather than a cursor or a callback per element: the caller's inner loop is a plain
 * counted loop (a cursor per element measured 1.5-2x slower), while the layout arithmetic lives here once.
 *
 * `byRow` (a loss with one element per row, the block [begin, end) of rows, j = r − begin):
 * each row's classes are visited in class order, an outer block at a time, class by class, so
 * that a non-last class axis is read in contiguous memory. Otherwise (a loss laid out like pred,
 * the block [begin, end) of elements, j = k − begin): memory order.
 */
export class Runs {
  k = 0;
  /** One past the run's last element: k + count. */
  last = 0;
  r = 0;
  j = 0;
  count = 0;
  step = 0;
  jStep = 0;
  private readonly size: number;
  private readonly inner: number;
  private readonly begin: number;
  private readonly end: number;
  private readonly byRow: boolean;
  /** byRow: the outer block o and class c of the next run; otherwise the next element. */
  private o: number;
  private c = 0;
  private next_: number;

  constructor(
    readonly rows: ClassRows,
    byRow: boolean,
  ) {
    const { layout, begin, end } = rows;
    this.size = layout.size;
    this.inner = layout.inner;
    this.begin = begin;
    this.end = end;
    this.byRow = byRow;
    this.o = layout.inner === 1 ? begin : Math.floor(begin / layout.inner);
    this.next_ = begin;
    if (layout.size === 0 || begin >= end) {
      this.o = Number.POSITIVE_INFINITY;
      this.next_ = end;
    }
  }

  next(): boolean {
    const { size, inner, begin, end } = this;
    if (!this.byRow) {
      const k = this.next_;
      if (k >= end) return false;
      const span = size * inner;
      const o = Math.floor(k / span);
      const c = Math.floor((k - o * span) / inner);
      const i = k - o * span - c * inner;
      // The rest of a contiguous row, or the rest of one class of an outer block.
      this.count = Math.min(inner === 1 ? size - c : inner - i, end - k);
      this.step = inner === 1 ? 0 : 1;
      this.k = k;
      this.r = o * inner + i;
      this.j = k - begin;
      this.jStep = 1;
      this.next_ = k + this.count;
      this.last = this.k + this.count;
      return true;
    }
    if (inner === 1) {
      // One whole contiguous row per run.
      if (this.o >= end) return false;
      this.k = this.o * size;
      this.r = this.o;
      this.j = this.o - begin;
      this.count = size;
      this.step = this.jStep = 0;
      this.o++;
      this.last = this.k + this.count;
      return true;
    }
    // Rows [first, last) of outer block o, one class per run.
    const rowBase = this.o * inner;
    if (rowBase >= end) return false;
    const first = Math.max(begin - rowBase, 0);
    this.k = (this.o * size + this.c) * inner + first;
    this.r = rowBase + first;
    this.j = this.r - begin;
    this.count = Math.min(end - rowBase, inner) - first;
    this.step = this.jStep = 1;
    if (++this.c === size) {
      this.c = 0;
      this.o++;
    }
    this.last = this.k + this.count;
    return true;
  }
}

/**
 * The term −z · log p of a dense label, with a zero label on an impossible class (log p = −∞)
 * contributing 0 instead of 0 · ∞ = NaN: such a class is a mask. A NaN still propagates.
 */
export function crossEntropyTerm(z: number, logProbability: number): number {
  return z === 0 && logProbability === Number.NEGATIVE_INFINITY ? 0 : -(z * logProbability);
}

/**
 * pred's gradient, assigned, of ℓ_r = −Σ_c z_c log p_c + (terms without x) over the rows of the
 * block: ∂ℓ_r/∂log p_c = −z_c, and through the log-softmax ∂/∂x_c = p_c · Σ_j g_r z_j − g_r z_c
 * (−g_r z_c alone when pred holds log-probabilities). Σ_j g_r z_j is summed in float64 first, so
 * a float32 gradient is rounded once.
 */
export function denseSoftmaxGradient(
  rows: ClassRows,
  label: DenseLabel,
  dLoss: Float64Array,
  dPred: TypedArray,
): void {
  const { x, normalizers } = rows;
  const { z } = label;
  const mass = new Float64Array(rows.end - rows.begin);
  if (normalizers) {
    for (const run = new Runs(rows, true); run.next(); ) {
      const { jStep, last } = run;
      for (let k = run.k, j = run.j; k < last; k++, j += jStep)
        mass[j]! += dLoss[j]! * z[labelOffset(label, k)]!;
    }
  }
  for (const run = new Runs(rows, true); run.next(); ) {
    const { step, jStep, last } = run;
    for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep) {
      const weighted = dLoss[j]! * z[labelOffset(label, k)]!;
      dPred[k] = normalizers
        ? Math.exp(logProbabilityAt(x, normalizers, k, r)) * mass[j]! - weighted
        : -weighted;
    }
  }
}
