/**
 * Rows along a class axis, for the losses that normalise over classes (SoftmaxCrossEntropyLoss,
 * KLDivLoss with `fromLogits: false`, and CTCLoss's frames). An array of any shape is viewed as
 * `(outer, size, inner)` around the class axis, so a non-last axis is walked with strides instead
 * of being transposed or copied: element `(o, c, i)` sits at `(o · size + c) · inner + i` and
 * belongs to row `o · inner + i`.
 *
 * Contiguous rows use the float64 reference loops of wasm/softmax.ts. The walks at the end
 * ({@link RowWalk}, {@link ElementWalk}) are the one place that maps a block of a
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
  /** The block [begin, end): rows for {@link RowWalk}, elements for {@link ElementWalk}. */
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
 * A cursor over a block: after `next()` returns true, `k` is an element of pred, `r` its row and
 * `j` its loss element within the block. A cursor rather than a callback per element: the loop
 * body stays in the caller, and V8 inlines the one `next` of each class at every call site.
 */
abstract class ClassWalk {
  k = 0;
  r = 0;
  j = -1;
  protected readonly x: TypedArray;
  private readonly shift: Float64Array | null;
  private readonly logSum: Float64Array | null;
  protected readonly size: number;
  protected readonly inner: number;
  protected readonly begin: number;
  protected readonly end: number;

  constructor({ x, layout, normalizers, begin, end }: ClassRows) {
    this.x = x;
    this.shift = normalizers ? normalizers.shift : null;
    this.logSum = normalizers ? normalizers.logSum : null;
    this.size = layout.size;
    this.inner = layout.inner;
    this.begin = begin;
    this.end = end;
  }

  /**
   * log p_k = (x_k − shift_r) − logSum_r, subtracted in that order (x − shift is exact near the
   * maximum of huge logits); x_k itself when pred already holds log-probabilities.
   */
  logProbability(): number {
    const v = this.x[this.k]!;
    return this.shift ? v - this.shift[this.r]! - this.logSum![this.r]! : v;
  }

  abstract next(): boolean;
}

/**
 * Every element of the rows [begin, end), for a loss with one element per row (j = r − begin).
 * The rows form segments [first, last) of outer blocks o, each walked class by class so that the
 * inner loop reads contiguous memory; a row therefore sees its classes in order.
 */
export class RowWalk extends ClassWalk {
  /** Position within the current run and its end: a run is one row (class axis last) or [first, last) of one class. */
  private i = 0;
  private last = 0;
  /** Row step within a run: 0 along a contiguous row, 1 across the rows of a class. */
  private readonly step: number;
  private o: number;
  private c: number;
  private first = 0;

  constructor(rows: ClassRows) {
    super(rows);
    this.step = this.inner === 1 ? 0 : 1;
    // Positioned at the end of the run before the first: next() opens the first run.
    this.o = this.inner === 1 ? this.begin - 1 : Math.floor(this.begin / this.inner) - 1;
    this.c = this.size - 1;
    if (this.begin >= this.end || this.size === 0) this.o = Number.POSITIVE_INFINITY;
  }

  next(): boolean {
    if (++this.i < this.last) {
      this.k++;
      this.r += this.step;
      this.j += this.step;
      return true;
    }
    return this.nextRun();
  }

  /** Opens the next run: the next row (class axis last), the next class, or the next outer block. */
  private nextRun(): boolean {
    const inner = this.inner;
    if (inner === 1) {
      if (!(++this.o < this.end)) return false;
      this.i = 0;
      this.last = this.size;
      this.k = this.o * this.size;
      this.r = this.o;
      this.j = this.o - this.begin;
      return true;
    }
    if (++this.c < this.size) {
      this.k += inner - (this.last - this.first) + 1;
    } else {
      const rowBase = ++this.o * inner;
      if (!(rowBase < this.end)) return false;
      this.first = Math.max(this.begin - rowBase, 0);
      this.last = Math.min(this.end - rowBase, inner);
      this.c = 0;
      this.k = this.o * this.size * inner + this.first;
    }
    this.i = this.first;
    this.r = this.o * inner + this.first;
    this.j = this.r - this.begin;
    return true;
  }
}

/**
 * The elements [begin, end) of pred in memory order, for a loss laid out like pred (j = k − begin).
 * Element k = (o · size + c) · inner + i is in row o · inner + i, tracked with counters.
 */
export class ElementWalk extends ClassWalk {
  private c: number;
  private i: number;
  private rowBase: number;

  constructor(rows: ClassRows) {
    super(rows);
    const span = this.size * this.inner;
    const o = Math.floor(this.begin / span);
    // The counters are those of the next element.
    this.c = Math.floor((this.begin - o * span) / this.inner);
    this.i = this.begin - o * span - this.c * this.inner;
    this.rowBase = o * this.inner;
    this.k = this.begin - 1;
  }

  next(): boolean {
    if (++this.k >= this.end) return false;
    this.j++;
    this.r = this.rowBase + this.i;
    if (++this.i === this.inner) {
      this.i = 0;
      if (++this.c === this.size) {
        this.c = 0;
        this.rowBase += this.inner;
      }
    }
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

/** `out[r − begin] = Σ_c term(z_c, log p_c)` over each row r of the block, in class order, in float64. */
export function sumRowTerms(
  rows: ClassRows,
  label: DenseLabel,
  term: (z: number, logProbability: number) => number,
  out: Float64Array,
): void {
  const { z } = label;
  out.fill(0, 0, rows.end - rows.begin);
  for (const at = new RowWalk(rows); at.next(); )
    out[at.j]! += term(z[labelOffset(label, at.k)]!, at.logProbability());
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
    for (const at = new RowWalk(rows); at.next(); )
      dPred[at.k] = -dLoss[at.j]! * z[labelOffset(label, at.k)]!;
    return;
  }
  const mass = new Float64Array(rows.end - rows.begin);
  for (const at = new RowWalk(rows); at.next(); ) mass[at.j]! += dLoss[at.j]! * z[labelOffset(label, at.k)]!;
  for (const at = new RowWalk(rows); at.next(); ) {
    dPred[at.k] = Math.exp(at.logProbability()) * mass[at.j]! - dLoss[at.j]! * z[labelOffset(label, at.k)]!;
  }
}
