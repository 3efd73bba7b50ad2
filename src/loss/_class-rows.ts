/**
 * Rows along a class axis, for the losses that normalise over classes (SoftmaxCrossEntropyLoss,
 * KLDivLoss with `fromLogits: false`, and CTCLoss's frames). An array of any shape is viewed as
 * `(outer, size, inner)` around the class axis, so a non-last axis is walked with strides instead
 * of being transposed or copied: element `(o, c, i)` sits at `(o · size + c) · inner + i` and
 * belongs to row `o · inner + i`.
 *
 * Contiguous rows use the float64 reference of kernels/softmax.ts. {@link Runs} is the one
 * place that maps a block of a loss to elements of pred and their rows for every layout, and
 * {@link logProbabilityAt} the one place that reads log p from the row normalisers.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxis, sizeOf } from '../ndarray/shape.js';
import { lossBatchAxis } from './_base/validation.js';
import type { RowNormalizers } from '../kernels/_softmax-arguments.js';
import { softmaxRowNormalizersFloat64 } from '../kernels/softmax.js';
import type { CallMemory } from './_call-memory.js';

export type { RowNormalizers };

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
 * A loss along a class axis: pred's normalised class axis and layout, ℓ's shape (that axis kept
 * with size 1) and batch axis, and `squeezedAxes` ([axis]: the axis `reduction: 'none'` leaves
 * out, see Prepared.squeezedAxes).
 */
export interface ClassAxisLoss {
  readonly axis: number;
  readonly layout: ClassLayout;
  readonly lossShape: readonly number[];
  readonly batchAxis: number;
  readonly squeezedAxes: readonly number[];
}

/** {@link ClassAxisLoss} of `pred` for the loss's `axis` and `batchAxis` options (ShapeError when out of range). */
export function classAxisLoss(
  where: string,
  pred: NDArray,
  axisOption: number,
  batchAxisOption: number,
): ClassAxisLoss {
  const axis = normalizeAxis(axisOption, pred.ndim, where, 'axis');
  const lossShape = pred.shape.map((d, i) => (i === axis ? 1 : d));
  const batchAxis = lossBatchAxis(where, batchAxisOption, lossShape);
  return { axis, layout: classLayout(pred.shape, axis), lossShape, batchAxis, squeezedAxes: [axis] };
}

/** The offset of row r's entry of class c in an array with this layout. */
export function classEntry({ size, inner }: ClassLayout, r: number, c: number): number {
  const o = Math.floor(r / inner);
  return (o * size + c) * inner + (r - o * inner);
}

/** Zeroed normalisers for `rows` rows, to be filled by {@link logSoftmaxRows}. */
export function allocateNormalizers(rows: number): RowNormalizers {
  // Halves of one buffer: a typed array of over 64 bytes costs a backing store (~1 µs) each.
  const both = new Float64Array(2 * rows);
  return { shift: both.subarray(0, rows), logSum: both.subarray(rows) };
}

/** The CallMemory kind of the normalisers of `rows` rows. */
function normalizersKind(rows: number): string {
  return `softmax-normalizers ${rows}`;
}

/**
 * Normalisers for `rows` rows that one call keeps from its forward blocks to its backward ones
 * (a loss's `createState`): those of a finished call from the loss's CallMemory, else new. Their
 * contents are whatever that call left; the forward blocks fill them.
 */
export function takeNormalizers(memory: CallMemory, rows: number): RowNormalizers {
  return (memory.takeFree(normalizersKind(rows)) as RowNormalizers | undefined) ?? allocateNormalizers(rows);
}

/** Gives a call's normalisers back (a loss's `releaseState`, once nothing reads them). */
export function giveBackNormalizers(memory: CallMemory, normalizers: RowNormalizers | null): void {
  if (normalizers) memory.giveBack(normalizersKind(normalizers.shift.length), normalizers);
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
    const rows = { shift: shift.subarray(begin, end), logSum: logSum.subarray(begin, end) };
    softmaxRowNormalizersFloat64({ x: data.subarray(begin * size, end * size), classes: size, ...rows });
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

// ---- class labels and per-class options ------------------------------------------------------

/** The row index recorded for a label equal to `ignoreIndex` (see {@link sparseClassLabels}). */
export const IGNORED_ROW = -1;

/**
 * Sparse class labels: one per row of `pred` around its class axis (`label` may have any shape
 * with that many elements, e.g. pred's shape without the class axis), integers in [0, C) or equal
 * to `ignoreIndex` (null: none), as int32 or as floats holding integers. Returns each row's class,
 * or {@link IGNORED_ROW} for an ignored row. A wrong element count is a ShapeError, a bad value a
 * ValueError naming its flat position and value.
 */
export function sparseClassLabels(
  where: string,
  label: NDArray,
  pred: { readonly name: string; readonly shape: readonly number[]; readonly axis: number },
  ignoreIndex: number | null = null,
): Int32Array {
  const { name, shape, axis } = pred;
  const classes = shape[axis]!;
  const { outer, inner } = classLayout(shape, axis);
  const expected = outer * inner;
  if (label.size !== expected) {
    const perRow = shape.filter((_, i) => i !== axis);
    throw new ShapeError(
      `${where}: sparse label shape ${formatShape(label.shape)} (${label.size} elements) must hold one class index ` +
        `per row of ${name} ${formatShape(shape)} along axis ${axis}: ${expected} elements, e.g. shape ${formatShape(perRow)}`,
    );
  }
  const out = new Int32Array(label.size);
  for (let p = 0; p < label.size; p++) {
    const v = label.data[p]!;
    if (ignoreIndex !== null && v === ignoreIndex) {
      out[p] = IGNORED_ROW;
      continue;
    }
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      const ignored = ignoreIndex === null ? '' : ` or the ignoreIndex ${ignoreIndex}`;
      throw new ValueError(
        `${where}: label at flat position ${p} is ${v}; it must be an integer in [0, ${classes})${ignored}`,
      );
    }
    out[p] = v;
  }
  return out;
}

/**
 * A per-class option (`classWeight`, a per-class `alpha`): a 1-D array of finite numbers, given
 * as a JS array, a typed array or an NDArray; copied, so later changes to the caller's array do
 * not change the loss. ValueError otherwise.
 */
export function perClassOption(where: string, option: string, value: unknown): Float64Array {
  const isArrayLike = Array.isArray(value) || ArrayBuffer.isView(value) || value instanceof NDArray;
  if (!isArrayLike || (value instanceof NDArray && value.ndim !== 1) || value instanceof DataView) {
    throw new ValueError(
      `${where}: option ${option} must be a 1-D array of finite numbers (one per class), got ${String(value)}`,
    );
  }
  const values = Float64Array.from(
    (value instanceof NDArray ? value.data : value) as ArrayLike<number>,
    (v: unknown) => (typeof v === 'number' ? v : Number.NaN),
  );
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const given = value instanceof NDArray ? value.data[bad] : (value as ArrayLike<unknown>)[bad];
    throw new ValueError(`${where}: option ${option}[${bad}] must be a finite number, got ${String(given)}`);
  }
  return values;
}

/** ShapeError unless a per-class option has one value per class of `pred`. */
export function checkPerClassLength(
  where: string,
  option: string,
  values: Float64Array,
  pred: { readonly name: string; readonly shape: readonly number[]; readonly axis: number },
): void {
  const classes = pred.shape[pred.axis]!;
  if (values.length !== classes) {
    throw new ShapeError(
      `${where}: option ${option} has ${values.length} values but ${pred.name} ${formatShape(pred.shape)} has ` +
        `${classes} classes along axis ${pred.axis}; give one value per class`,
    );
  }
}
