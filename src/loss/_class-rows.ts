/**
 * Rows along a class axis, for the losses that normalise over classes (SoftmaxCrossEntropyLoss,
 * KLDivLoss with `fromLogits: false`, and CTCLoss's frames). An array of any shape is viewed as
 * `(outer, size, inner)` around the class axis, so a non-last axis is walked with strides instead
 * of being transposed or copied: element `(o, c, i)` sits at `(o · size + c) · inner + i` and
 * belongs to row `o · inner + i`.
 *
 * Contiguous rows use the float64 reference loops of wasm/softmax.ts. The walkers at the end
 * ({@link forEachRowElement}, {@link forEachElement}) are the one place that maps a block of a
 * loss to elements of pred, their rows and their log-probabilities, for every layout.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { sizeOf } from '../ndarray/shape.js';
import { rowNormalizers } from '../wasm/softmax.js';

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

// The contiguous row loops are the float64 reference of the kernel layer (wasm/softmax.ts),
// re-exported here for CTC's frames.
export { rowMaximumIndex, sumExpShifted } from '../wasm/softmax.js';

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

// ---- walking a block of any layout ---------------------------------------------------------

/** A block of a loss over pred's class rows, and how to read log p from pred. */
export interface ClassRows {
  /** pred: logits when `normalizers` is given, log-probabilities when it is null. */
  readonly x: TypedArray;
  readonly layout: ClassLayout;
  readonly normalizers: RowNormalizers | null;
  /** The block [begin, end): rows for {@link forEachRowElement}, elements for {@link forEachElement}. */
  readonly begin: number;
  readonly end: number;
}

/** A dense label read per element k of pred: `z[labelIndex[k]]` when broadcast, else `z[k]`. */
export interface DenseLabel {
  readonly z: TypedArray;
  /** For each element of pred, the offset of its label value; null when the shapes are equal. */
  readonly labelIndex: Int32Array | null;
}

/**
 * Visits an element: `k` in pred, `r` its row, `j` its loss element within the block, and
 * `logProbability` = log p_k.
 */
export type ElementVisitor = (k: number, r: number, j: number, logProbability: number) => void;

/** The offset in `label.z` of the label value element `k` of pred reads. */
export function labelOffset({ labelIndex }: DenseLabel, k: number): number {
  return labelIndex ? labelIndex[k]! : k;
}

/**
 * log p_k = (x_k − shift_r) − logSum_r, subtracted in that order (x − shift is exact near the
 * maximum of huge logits); x_k itself when pred already holds log-probabilities.
 */
function logProbabilityAt(x: TypedArray, normalizers: RowNormalizers | null, k: number, r: number): number {
  return normalizers ? x[k]! - normalizers.shift[r]! - normalizers.logSum[r]! : x[k]!;
}

/**
 * Every element of the rows [begin, end), for a loss with one element per row (j = r − begin).
 * The rows form segments [first, last) of outer blocks o, each walked class by class so that the
 * inner loop reads contiguous memory; a row therefore sees its classes in order.
 */
export function forEachRowElement(rows: ClassRows, visit: ElementVisitor): void {
  const { x, normalizers, begin, end } = rows;
  const { size, inner } = rows.layout;
  for (let o = Math.floor(begin / inner); o * inner < end; o++) {
    const rowBase = o * inner;
    const first = Math.max(begin - rowBase, 0);
    const last = Math.min(end - rowBase, inner);
    for (let c = 0, p = o * size * inner; c < size; c++, p += inner) {
      for (let i = first, r = rowBase + first; i < last; i++, r++) {
        visit(p + i, r, r - begin, logProbabilityAt(x, normalizers, p + i, r));
      }
    }
  }
}

/**
 * The elements [begin, end) of pred in memory order, for a loss laid out like pred (j = k − begin).
 * Element k = (o · size + c) · inner + i is in row o · inner + i, tracked with counters.
 */
export function forEachElement(rows: ClassRows, visit: ElementVisitor): void {
  const { x, normalizers, begin, end } = rows;
  const { size, inner } = rows.layout;
  const span = size * inner;
  const o = Math.floor(begin / span);
  let c = Math.floor((begin - o * span) / inner);
  let i = begin - o * span - c * inner;
  let rowBase = o * inner;
  for (let k = begin; k < end; k++) {
    const r = rowBase + i;
    visit(k, r, k - begin, logProbabilityAt(x, normalizers, k, r));
    if (++i === inner) {
      i = 0;
      if (++c === size) {
        c = 0;
        rowBase += inner;
      }
    }
  }
}

/**
 * The term −z · log p of a dense label, with a zero label on an impossible class (log p = −∞)
 * contributing 0 instead of 0 · ∞ = NaN: such a class is a mask. A NaN still propagates.
 */
export function crossEntropyTerm(z: number, logProbability: number): number {
  return z === 0 && logProbability === Number.NEGATIVE_INFINITY ? 0 : -(z * logProbability);
}

/** `out[r − begin] = Σ_c term(z_c, log p_c)` over each row r of the block, in class order, in float64. */
export function sumRowTerms(
  rows: ClassRows,
  label: DenseLabel,
  term: (z: number, logProbability: number) => number,
  out: Float64Array,
): void {
  const { z } = label;
  out.fill(0, 0, rows.end - rows.begin);
  forEachRowElement(rows, (k, _r, j, logProbability) => {
    out[j]! += term(z[labelOffset(label, k)]!, logProbability);
  });
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
  const { z } = label;
  if (!rows.normalizers) {
    forEachRowElement(rows, (k, _r, j) => {
      dPred[k] = -dLoss[j]! * z[labelOffset(label, k)]!;
    });
    return;
  }
  const mass = new Float64Array(rows.end - rows.begin);
  forEachRowElement(rows, (k, _r, j) => {
    mass[j]! += dLoss[j]! * z[labelOffset(label, k)]!;
  });
  forEachRowElement(rows, (k, _r, j, logProbability) => {
    dPred[k] = Math.exp(logProbability) * mass[j]! - dLoss[j]! * z[labelOffset(label, k)]!;
  });
}
