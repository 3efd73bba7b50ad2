/**
 * Softmax over contiguous rows (`rows` rows of `classes` values, back to back): the per-row
 * normalisers, sparse softmax cross-entropy, and the scaled softmax gradient. Used by
 * SoftmaxCrossEntropyLoss (class axis last) and by CTC's per-frame log-softmax.
 *
 * A row's normalisers are two float64 numbers: `log p_c = (x_c − shift) − logSum`. For a row
 * whose maximum m is finite, shift = m and logSum = log1p(Σ_{c≠a} e^{x_c − m}) (a: one class
 * attaining m), which keeps the digits of near-certain rows; for a row holding NaN or ±Infinity
 * at its maximum, shift = 0 and logSum = log Σ e^{x_c} (the IEEE answer: NaN, +Infinity, or
 * −Infinity for a row of −Infinity).
 *
 * Float32 logits run through the wasm SIMD kernels when that backend is active (float32
 * exponentials, summed in float64); float64 logits, and the `'js'` backend, compute the same
 * formulas with Math in float64.
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import type { TypedArray } from '../ndarray/dtype.js';
import { checkCount, checkSpan, type FloatArray } from './_spans.js';
import { scaleFitsFloat32, scalesFitFloat32 } from './_scales.js';
import { startShares } from './threads.js';
import { regionBytes, reserveScratch, SCRATCH_BASE, wasmScratch } from './runtime.js';

/** Floats of logits per wasm call (64 KiB): rows per chunk = CHUNK_FLOATS / classes, at least 1. */
const CHUNK_FLOATS = 16384;

/**
 * The scratch layout of one chunk of rows, as byte offsets: the logits, then one float32 per
 * row (`first`), then one float32 or float64 per row (`second`).
 */
interface RowLayout {
  readonly rowsPerChunk: number;
  readonly x: number;
  readonly first: number;
  readonly second: number;
}

function rowLayout(rows: number, classes: number): RowLayout {
  const rowsPerChunk = Math.max(1, Math.min(rows, Math.floor(CHUNK_FLOATS / Math.max(classes, 1))));
  const x = SCRATCH_BASE;
  // 16 bytes past the last row: a row's last partial vector is read (and merged) whole.
  const first = x + regionBytes(rowsPerChunk * classes * 4 + 16);
  const second = first + regionBytes(rowsPerChunk * 4);
  return { rowsPerChunk, x, first, second };
}

function layoutEnd(layout: RowLayout, secondBytesPerRow: number): number {
  return layout.second + regionBytes(layout.rowsPerChunk * secondBytesPerRow) - SCRATCH_BASE;
}

// ---- the float64 reference row loops ---------------------------------------------------------
//
// Float64 logits, the 'js' backend and rows whose maximum is not finite run these; the losses'
// rows of any layout (_class-rows.ts) and CTC's frames use them too.

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

/** Per-row normalisers, row r of a call at `statOffset + r`. */
interface Stats {
  readonly shift: Float64Array;
  readonly logSum: Float64Array;
  readonly statOffset: number;
}

/**
 * Writes the normalisers (see the module comment) of the contiguous row
 * `data[offset … offset + length)` at index `at` of `into`.
 */
export function rowNormalizers(
  data: TypedArray,
  offset: number,
  length: number,
  into: { readonly shift: Float64Array; readonly logSum: Float64Array },
  at: number,
): void {
  const maximumAt = rowMaximumIndex(data, offset, length);
  const maximum = data[offset + maximumAt]!;
  if (maximum - maximum === 0) {
    into.shift[at] = maximum;
    into.logSum[at] = Math.log1p(sumExpShifted(data, offset, length, maximum, maximumAt));
  } else {
    into.shift[at] = 0;
    into.logSum[at] = Math.log(sumExpShifted(data, offset, length, 0));
  }
}

// ---- the checked kernels ----------------------------------------------------------------------

/** `rows` contiguous rows of `classes` logits from `x[xOffset]`. */
interface Rows {
  readonly x: FloatArray;
  readonly xOffset: number;
  readonly rows: number;
  readonly classes: number;
}

/** A scaled softmax gradient's arguments (see {@link softmaxGradientRows}). */
interface Gradient {
  readonly scale: number | Float64Array;
  readonly scaleOffset: number;
  readonly labels: Int32Array | null;
  readonly labelOffset: number;
  readonly out: FloatArray;
  readonly outOffset: number;
}

function scaleOf({ scale, scaleOffset }: Gradient, row: number): number {
  return typeof scale === 'number' ? scale : scale[scaleOffset + row]!;
}

function checkRows(
  where: string,
  { x, xOffset, rows, classes }: Rows,
  { shift, logSum, statOffset }: Stats,
): void {
  checkCount(where, 'rows', rows);
  checkCount(where, 'classes', classes);
  checkSpan(where, 'x', x, xOffset, rows * classes);
  checkSpan(where, 'shift', shift, statOffset, rows);
  checkSpan(where, 'logSum', logSum, statOffset, rows);
}

function checkLabels(where: string, labels: Int32Array, offset: number, { rows, classes }: Rows): void {
  checkSpan(where, 'labels', labels, offset, rows);
  for (let r = 0; r < rows; r++) {
    const label = labels[offset + r]!;
    if (!(label >= 0 && label < classes)) {
      throw new ValueError(
        `${where}: labels[${offset + r}] = ${label} is not a class index in [0, ${classes})`,
      );
    }
  }
}

/** The normalisers of checked rows: the wasm row statistics for float32 logits, else float64. */
function normalize(rows: Rows, stats: Stats): void {
  const { x, xOffset, classes } = rows;
  const layout = rowLayout(rows.rows, classes);
  const scratch = reserveScratch(x instanceof Float32Array ? wasmScratch() : null, layoutEnd(layout, 8));
  for (let start = 0; start < rows.rows; start += layout.rowsPerChunk) {
    const count = Math.min(layout.rowsPerChunk, rows.rows - start);
    const from = xOffset + start * classes;
    if (scratch) {
      scratch.f32.set(x.subarray(from, from + count * classes), layout.x >> 2);
      scratch.kernels.softmaxRowStatistics(layout.x, count, classes, layout.first, layout.second);
    }
    for (let r = 0; r < count; r++) {
      // Without wasm, NaN sends every row to the reference below.
      const maximum = scratch ? scratch.f32[(layout.first >> 2) + r]! : Number.NaN;
      if (maximum - maximum === 0) {
        stats.shift[stats.statOffset + start + r] = maximum;
        stats.logSum[stats.statOffset + start + r] = Math.log1p(scratch!.f64[(layout.second >> 3) + r]!);
      } else {
        // No wasm, or a row whose maximum is not finite: the float64 reference.
        rowNormalizers(x, from + r * classes, classes, stats, stats.statOffset + start + r);
      }
    }
  }
}

/**
 * Writes the log-softmax normalisers of rows `x[xOffset + r·classes …]`, r < rows, into
 * `shift[statOffset + r]` and `logSum[statOffset + r]` (see the module comment), so that
 * log softmax(x)_c = (x_c − shift) − logSum and the row's log-sum-exp is shift + logSum.
 */
export function softmaxRowNormalizers(
  x: FloatArray,
  xOffset: number,
  rows: number,
  classes: number,
  shift: Float64Array,
  logSum: Float64Array,
  statOffset: number,
): void {
  const span: Rows = { x, xOffset, rows, classes };
  const stats: Stats = { shift, logSum, statOffset };
  checkRows('softmaxRowNormalizers', span, stats);
  normalize(span, stats);
}

/** ℓ_r = −log softmax(x_r)[label_r] = logSum − (x_label − shift): the difference keeps a small loss's digits. */
function sparseLosses(
  rows: Rows,
  stats: Stats,
  labels: Int32Array,
  labelOffset: number,
  loss: Float64Array,
  lossOffset: number,
): void {
  const { x, xOffset, classes } = rows;
  for (let r = 0; r < rows.rows; r++) {
    const picked = x[xOffset + r * classes + labels[labelOffset + r]!]!;
    loss[lossOffset + r] =
      stats.logSum[stats.statOffset + r]! - (picked - stats.shift[stats.statOffset + r]!);
  }
}

/**
 * Sparse softmax cross-entropy of rows: computes the normalisers (as
 * {@link softmaxRowNormalizers}, written to shift/logSum for the backward pass) and
 * `loss[lossOffset + r] = −log softmax(x_r)[label_r] = logSum − (x_label − shift)`. The shifted
 * difference keeps the digits of a small loss even for huge logits. Labels must already be
 * class indices in [0, classes) (a ValueError names the first that is not).
 */
export function sparseSoftmaxCrossEntropyRows(
  x: FloatArray,
  xOffset: number,
  rows: number,
  classes: number,
  labels: Int32Array,
  labelOffset: number,
  shift: Float64Array,
  logSum: Float64Array,
  statOffset: number,
  loss: Float64Array,
  lossOffset: number,
): void {
  const where = 'sparseSoftmaxCrossEntropyRows';
  const span: Rows = { x, xOffset, rows, classes };
  const stats: Stats = { shift, logSum, statOffset };
  checkRows(where, span, stats);
  checkSpan(where, 'labels', labels, labelOffset, rows);
  checkSpan(where, 'loss', loss, lossOffset, rows);
  checkLabels(where, labels, labelOffset, span);
  normalize(span, stats);
  sparseLosses(span, stats, labels, labelOffset, loss, lossOffset);
}

/**
 * The softmax gradient of rows, assigned:
 * `out[outOffset + r·classes + c] = s_r · (softmax(x_r)_c − [c = label_r])`, with s_r = `scale`
 * (a number for every row, or `scale[scaleOffset + r]`) and the one-hot term only when `labels`
 * is given. Reads normalisers from {@link softmaxRowNormalizers}. The label's entry is
 * s · expm1(log p), exact even when p rounds to 1. `out` may be float32 or float64.
 */
export function softmaxGradientRows(
  x: FloatArray,
  xOffset: number,
  rows: number,
  classes: number,
  shift: Float64Array,
  logSum: Float64Array,
  statOffset: number,
  scale: number | Float64Array,
  scaleOffset: number,
  labels: Int32Array | null,
  labelOffset: number,
  out: FloatArray,
  outOffset: number,
): void {
  const where = 'softmaxGradientRows';
  const span: Rows = { x, xOffset, rows, classes };
  const stats: Stats = { shift, logSum, statOffset };
  checkRows(where, span, stats);
  if (typeof scale !== 'number') checkSpan(where, 'scale', scale, scaleOffset, rows);
  if (labels) checkLabels(where, labels, labelOffset, span);
  checkSpan(where, 'out', out, outOffset, rows * classes);
  if (
    (out as unknown) === x &&
    outOffset < xOffset + rows * classes &&
    xOffset < outOffset + rows * classes
  ) {
    throw new ValueError(
      `${where}: out must not overlap x (the label entries and non-finite rows re-read x)`,
    );
  }
  softmaxGradient(span, stats, { scale, scaleOffset, labels, labelOffset, out, outOffset });
}

/** softmaxGradientRows of checked arguments. */
function softmaxGradient(rows: Rows, stats: Stats, gradient: Gradient): void {
  const { x, xOffset, classes } = rows;
  const { shift, logSum, statOffset } = stats;
  const { scale, scaleOffset, labels, labelOffset, out, outOffset } = gradient;
  const layout = rowLayout(rows.rows, classes);
  // The wasm kernel takes the scales as float32: one that would lose its value there (a huge
  // or subnormal sampleWeight) runs the float64 loop instead.
  const scalesFit =
    typeof scale === 'number'
      ? scaleFitsFloat32(scale)
      : scalesFitFloat32(scale.subarray(scaleOffset, scaleOffset + rows.rows));
  const scratch = reserveScratch(
    x instanceof Float32Array && scalesFit ? wasmScratch() : null,
    layoutEnd(layout, 4),
  );
  const shiftAt = layout.first >> 2;
  const coefficientAt = layout.second >> 2;
  const xAt = layout.x >> 2;
  for (let start = 0; start < rows.rows; start += layout.rowsPerChunk) {
    const count = Math.min(layout.rowsPerChunk, rows.rows - start);
    const from = xOffset + start * classes;
    if (scratch) {
      const f32 = scratch.f32;
      f32.set(x.subarray(from, from + count * classes), xAt);
      for (let r = 0; r < count; r++) {
        // s · e^{x − shift − logSum} = (s · e^{−logSum}) · e^{x − shift}: one multiply per element.
        f32[shiftAt + r] = shift[statOffset + start + r]!;
        f32[coefficientAt + r] = scaleOf(gradient, start + r) * Math.exp(-logSum[statOffset + start + r]!);
      }
      scratch.kernels.softmaxRowsScaled(layout.x, count, classes, layout.first, layout.second, layout.x);
      out.set(f32.subarray(xAt, xAt + count * classes), outOffset + start * classes);
    }
    for (let r = 0; r < count; r++) {
      const rowLogSum = logSum[statOffset + start + r]!;
      // Without wasm every row, with it the rows with a NaN or infinite normaliser, follow the
      // plain formula (NaN rows stay NaN).
      if (scratch && rowLogSum - rowLogSum === 0) continue;
      const rowShift = shift[statOffset + start + r]!;
      const s = scaleOf(gradient, start + r);
      const row = from + r * classes;
      const to = outOffset + (start + r) * classes;
      // (x − shift) − logSum, in that order: x − shift is exact near the maximum of huge logits.
      for (let c = 0; c < classes; c++) out[to + c] = s * Math.exp(x[row + c]! - rowShift - rowLogSum);
    }
  }
  if (!labels) return;
  for (let r = 0; r < rows.rows; r++) {
    const label = labels[labelOffset + r]!;
    const logProbability =
      x[xOffset + r * classes + label]! - shift[statOffset + r]! - logSum[statOffset + r]!;
    // p − 1 = expm1(log p): no cancellation when p is within rounding of 1.
    out[outOffset + r * classes + label] = scaleOf(gradient, r) * Math.expm1(logProbability);
  }
}

/**
 * Sparse softmax cross-entropy and its scaled gradient in one pass, for a recorded call: for
 * rows r < rows of `x` (from offset 0), `loss[r] = −log softmax(x_r)[label_r]` (as
 * {@link sparseSoftmaxCrossEntropyRows}) and
 * `out[r·classes + c] = scales[r] · (softmax(x_r)_c − [c = label_r])` (as
 * {@link softmaxGradientRows}, the label's entry s · expm1(log p)). Float32 logits run through a
 * wasm kernel that takes each exponential once (stored, then scaled in cache) instead of once
 * for the loss and again for the gradient; float64 logits, the `'js'` backend and rows whose
 * maximum is not finite use the two functions above.
 */
export function sparseSoftmaxCrossEntropyGradientRows(
  x: FloatArray,
  rows: number,
  classes: number,
  labels: Int32Array,
  scales: Float64Array,
  loss: Float64Array,
  out: TypedArray,
): void {
  const where = 'sparseSoftmaxCrossEntropyGradientRows';
  checkCount(where, 'rows', rows);
  checkCount(where, 'classes', classes);
  checkSpan(where, 'x', x, 0, rows * classes);
  checkSpan(where, 'labels', labels, 0, rows);
  checkSpan(where, 'scales', scales, 0, rows);
  checkSpan(where, 'loss', loss, 0, rows);
  checkSpan(where, 'out', out, 0, rows * classes);
  checkLabels(where, labels, 0, { x, xOffset: 0, rows, classes });
  // With a kernel thread pool (gloss/node useKernelThreads), the other threads take the later
  // rows of a large float32 call while this one runs the first share.
  const split =
    x instanceof Float32Array && wasmScratch() && scalesFitFloat32(scales)
      ? startShares(rows, rows * classes, {
          kernel: 'softmaxCrossEntropy',
          parameters: [],
          inputs: [x],
          labels,
          sampleSize: classes,
          scales,
          sums: loss,
          gradient: out,
        })
      : null;
  try {
    oneThreadRows(x, split ? split.mine : rows, classes, labels, scales, loss, out);
  } finally {
    split?.pending.finish();
  }
}

/** sparseSoftmaxCrossEntropyGradientRows on the calling thread, arguments already checked. */
function oneThreadRows(
  x: FloatArray,
  rows: number,
  classes: number,
  labels: Int32Array,
  scales: Float64Array,
  loss: Float64Array,
  out: TypedArray,
): void {
  // rowLayout's logits region, then out (also padded by 16 bytes: a row's last partial vector is
  // read whole) and per row: the scale (f32), the maximum (f32), the rest sum (f64).
  const { rowsPerChunk, x: xAt, first: outAt } = rowLayout(rows, classes);
  const scalesAt = outAt + regionBytes(rowsPerChunk * classes * 4 + 16);
  const maxAt = scalesAt + regionBytes(rowsPerChunk * 4);
  const restAt = maxAt + regionBytes(rowsPerChunk * 4);
  const bytes = restAt + regionBytes(rowsPerChunk * 8) - SCRATCH_BASE;
  // Scales that lose their value as float32 run the float64 functions (see scalesFitFloat32).
  const wasm = x instanceof Float32Array && scalesFitFloat32(scales.subarray(0, rows)) ? wasmScratch() : null;
  const scratch = reserveScratch(wasm, bytes);
  if (!scratch || !(out instanceof Float32Array || out instanceof Float64Array)) {
    const stats: Stats = { shift: new Float64Array(rows), logSum: new Float64Array(rows), statOffset: 0 };
    rowsLossAndGradient({ x, xOffset: 0, rows, classes }, stats, labels, scales, loss, out as FloatArray);
    return;
  }
  const maxima = new Float32Array(rowsPerChunk);
  const rests = new Float64Array(rowsPerChunk);
  for (let start = 0; start < rows; start += rowsPerChunk) {
    const count = Math.min(rowsPerChunk, rows - start);
    const from = start * classes;
    const { f32, f64, kernels } = scratch;
    f32.set((x as Float32Array).subarray(from, from + count * classes), xAt >> 2);
    f32.set(scales.subarray(start, start + count), scalesAt >> 2);
    kernels.softmaxCrossEntropyGradientRows(xAt, count, classes, scalesAt, maxAt, restAt, outAt);
    out.set(f32.subarray(outAt >> 2, (outAt >> 2) + count * classes), from);
    // Copied out before any row below reruns on the same scratch.
    maxima.set(f32.subarray(maxAt >> 2, (maxAt >> 2) + count));
    rests.set(f64.subarray(restAt >> 3, (restAt >> 3) + count));
    for (let r = 0; r < count; r++) {
      const row = start + r;
      const label = labels[row]!;
      const maximum = maxima[r]!;
      if (maximum - maximum !== 0) {
        // NaN or an infinite maximum: the IEEE answers of the general functions.
        const stats: Stats = { shift: new Float64Array(1), logSum: new Float64Array(1), statOffset: 0 };
        rowsLossAndGradient(
          { x, xOffset: row * classes, rows: 1, classes },
          stats,
          labels.subarray(row),
          scales.subarray(row),
          loss.subarray(row),
          out.subarray(row * classes),
        );
        continue;
      }
      // log p_label = (x_label − m) − log1p(rest): the shifted difference keeps a small loss's digits.
      const logSum = Math.log1p(rests[r]!);
      const shifted = x[row * classes + label]! - maximum;
      loss[row] = logSum - shifted;
      out[row * classes + label] = scales[row]! * Math.expm1(shifted - logSum);
    }
  }
}

/**
 * Loss and gradient of checked rows by the two-pass functions: `x` is read from `rows.xOffset`,
 * the other arrays from their start.
 */
function rowsLossAndGradient(
  rows: Rows,
  stats: Stats,
  labels: Int32Array,
  scales: Float64Array,
  loss: Float64Array,
  out: FloatArray,
): void {
  normalize(rows, stats);
  sparseLosses(rows, stats, labels, 0, loss, 0);
  softmaxGradient(rows, stats, { scale: scales, scaleOffset: 0, labels, labelOffset: 0, out, outOffset: 0 });
}
