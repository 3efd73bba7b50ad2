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
import { scalesFitFloat32 } from './_scales.js';
import { startShares } from './threads.js';
import { regionBytes, reserveScratch, SCRATCH_BASE, type Scratch, wasmScratch } from './runtime.js';

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

function checkLabel(where: string, label: number, at: number, classes: number): void {
  if (!(label >= 0 && label < classes)) {
    throw new ValueError(`${where}: labels[${at}] = ${label} is not a class index in [0, ${classes})`);
  }
}

/** Normalisers of a row whose maximum is not finite: shift 0, logSum = log Σ e^{x_c}. */
function nonFiniteRowLogSum(x: FloatArray, start: number, classes: number): number {
  let total = 0;
  for (let c = 0; c < classes; c++) total += Math.exp(x[start + c]!);
  return Math.log(total);
}

function normalizersJs(
  x: FloatArray,
  xOffset: number,
  rows: number,
  classes: number,
  shift: Float64Array,
  logSum: Float64Array,
  statOffset: number,
): void {
  for (let r = 0; r < rows; r++) {
    const base = xOffset + r * classes;
    let maximum = Number.NEGATIVE_INFINITY;
    let at = 0;
    for (let c = 0; c < classes; c++) {
      const v = x[base + c]!;
      // A NaN wins, and nothing is greater than NaN afterwards.
      if (v > maximum || Number.isNaN(v)) {
        maximum = v;
        at = c;
      }
    }
    if (maximum - maximum === 0) {
      let rest = 0;
      for (let c = 0; c < at; c++) rest += Math.exp(x[base + c]! - maximum);
      for (let c = at + 1; c < classes; c++) rest += Math.exp(x[base + c]! - maximum);
      shift[statOffset + r] = maximum;
      logSum[statOffset + r] = Math.log1p(rest);
    } else {
      shift[statOffset + r] = 0;
      logSum[statOffset + r] = nonFiniteRowLogSum(x, base, classes);
    }
  }
}

function normalizersWasm(
  scratch: Scratch,
  layout: RowLayout,
  x: Float32Array,
  xOffset: number,
  rows: number,
  classes: number,
  shift: Float64Array,
  logSum: Float64Array,
  statOffset: number,
): void {
  const { rowsPerChunk } = layout;
  const maxAt = layout.first >> 2;
  const restAt = layout.second >> 3;
  for (let start = 0; start < rows; start += rowsPerChunk) {
    const count = Math.min(rowsPerChunk, rows - start);
    const from = xOffset + start * classes;
    scratch.f32.set(x.subarray(from, from + count * classes), layout.x >> 2);
    scratch.kernels.softmaxRowStatistics(layout.x, count, classes, layout.first, layout.second);
    const f32 = scratch.f32;
    const f64 = scratch.f64;
    for (let r = 0; r < count; r++) {
      const maximum = f32[maxAt + r]!;
      const out = statOffset + start + r;
      if (maximum - maximum === 0) {
        shift[out] = maximum;
        logSum[out] = Math.log1p(f64[restAt + r]!);
      } else {
        shift[out] = 0;
        logSum[out] = nonFiniteRowLogSum(x, from + r * classes, classes);
      }
    }
  }
}

function checkRows(
  where: string,
  x: FloatArray,
  xOffset: number,
  rows: number,
  classes: number,
  shift: Float64Array,
  logSum: Float64Array,
  statOffset: number,
): void {
  checkCount(where, 'rows', rows);
  checkCount(where, 'classes', classes);
  checkSpan(where, 'x', x, xOffset, rows * classes);
  checkSpan(where, 'shift', shift, statOffset, rows);
  checkSpan(where, 'logSum', logSum, statOffset, rows);
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
  checkRows('softmaxRowNormalizers', x, xOffset, rows, classes, shift, logSum, statOffset);
  const layout = rowLayout(rows, classes);
  const scratch = reserveScratch(x instanceof Float32Array ? wasmScratch() : null, layoutEnd(layout, 8));
  if (scratch)
    normalizersWasm(scratch, layout, x as Float32Array, xOffset, rows, classes, shift, logSum, statOffset);
  else normalizersJs(x, xOffset, rows, classes, shift, logSum, statOffset);
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
  checkRows(where, x, xOffset, rows, classes, shift, logSum, statOffset);
  checkSpan(where, 'labels', labels, labelOffset, rows);
  checkSpan(where, 'loss', loss, lossOffset, rows);
  for (let r = 0; r < rows; r++) checkLabel(where, labels[labelOffset + r]!, labelOffset + r, classes);
  softmaxRowNormalizers(x, xOffset, rows, classes, shift, logSum, statOffset);
  for (let r = 0; r < rows; r++) {
    const picked = x[xOffset + r * classes + labels[labelOffset + r]!]!;
    loss[lossOffset + r] = logSum[statOffset + r]! - (picked - shift[statOffset + r]!);
  }
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
  checkRows(where, x, xOffset, rows, classes, shift, logSum, statOffset);
  if (typeof scale !== 'number') checkSpan(where, 'scale', scale, scaleOffset, rows);
  if (labels) {
    checkSpan(where, 'labels', labels, labelOffset, rows);
    for (let r = 0; r < rows; r++) checkLabel(where, labels[labelOffset + r]!, labelOffset + r, classes);
  }
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
  const layout = rowLayout(rows, classes);
  // The wasm kernel takes the scales as float32: one that would lose its value there (a huge
  // or subnormal sampleWeight) runs the float64 loop below instead.
  const scalesFit =
    typeof scale === 'number'
      ? scalesFitFloat32(Float64Array.of(scale))
      : scalesFitFloat32(scale.subarray(scaleOffset, scaleOffset + rows));
  const wasm = x instanceof Float32Array && scalesFit ? wasmScratch() : null;
  const scratch = reserveScratch(wasm, layoutEnd(layout, 4));
  if (scratch) {
    gradientWasm(
      scratch,
      layout,
      x as Float32Array,
      xOffset,
      rows,
      classes,
      shift,
      logSum,
      statOffset,
      scale,
      scaleOffset,
      out,
      outOffset,
    );
  } else {
    for (let r = 0; r < rows; r++) {
      const s = typeof scale === 'number' ? scale : scale[scaleOffset + r]!;
      const rowShift = shift[statOffset + r]!;
      const rowLogSum = logSum[statOffset + r]!;
      const from = xOffset + r * classes;
      const to = outOffset + r * classes;
      // (x − shift) − logSum, in that order: x − shift is exact near the maximum of huge logits.
      for (let c = 0; c < classes; c++) out[to + c] = s * Math.exp(x[from + c]! - rowShift - rowLogSum);
    }
  }
  if (labels) {
    for (let r = 0; r < rows; r++) {
      const s = typeof scale === 'number' ? scale : scale[scaleOffset + r]!;
      const label = labels[labelOffset + r]!;
      const logProbability =
        x[xOffset + r * classes + label]! - shift[statOffset + r]! - logSum[statOffset + r]!;
      // p − 1 = expm1(log p): no cancellation when p is within rounding of 1.
      out[outOffset + r * classes + label] = s * Math.expm1(logProbability);
    }
  }
}

function gradientWasm(
  scratch: Scratch,
  layout: RowLayout,
  x: Float32Array,
  xOffset: number,
  rows: number,
  classes: number,
  shift: Float64Array,
  logSum: Float64Array,
  statOffset: number,
  scale: number | Float64Array,
  scaleOffset: number,
  out: FloatArray,
  outOffset: number,
): void {
  const { rowsPerChunk } = layout;
  const shiftAt = layout.first >> 2;
  const coefficientAt = layout.second >> 2;
  const xAt = layout.x >> 2;
  for (let start = 0; start < rows; start += rowsPerChunk) {
    const count = Math.min(rowsPerChunk, rows - start);
    const from = xOffset + start * classes;
    const f32 = scratch.f32;
    f32.set(x.subarray(from, from + count * classes), xAt);
    let nonFinite = false;
    for (let r = 0; r < count; r++) {
      const s = typeof scale === 'number' ? scale : scale[scaleOffset + start + r]!;
      const rowLogSum = logSum[statOffset + start + r]!;
      // s · e^{x − shift − logSum} = (s · e^{−logSum}) · e^{x − shift}: one multiply per element.
      f32[shiftAt + r] = shift[statOffset + start + r]!;
      f32[coefficientAt + r] = s * Math.exp(-rowLogSum);
      if (rowLogSum - rowLogSum !== 0) nonFinite = true;
    }
    scratch.kernels.softmaxRowsScaled(layout.x, count, classes, layout.first, layout.second, layout.x);
    const to = outOffset + start * classes;
    out.set(f32.subarray(xAt, xAt + count * classes), to);
    if (nonFinite) {
      // Rows with a NaN or infinite normaliser follow the plain formula (NaN rows stay NaN).
      for (let r = 0; r < count; r++) {
        const rowLogSum = logSum[statOffset + start + r]!;
        if (rowLogSum - rowLogSum === 0) continue;
        const s = typeof scale === 'number' ? scale : scale[scaleOffset + start + r]!;
        const rowShift = shift[statOffset + start + r]!;
        for (let c = 0; c < classes; c++) {
          out[to + r * classes + c] = s * Math.exp(x[from + r * classes + c]! - rowShift - rowLogSum);
        }
      }
    }
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
  for (let r = 0; r < rows; r++) checkLabel(where, labels[r]!, r, classes);
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
    const shift = new Float64Array(rows);
    const logSum = new Float64Array(rows);
    sparseSoftmaxCrossEntropyRows(x, 0, rows, classes, labels, 0, shift, logSum, 0, loss, 0);
    softmaxGradientRows(x, 0, rows, classes, shift, logSum, 0, scales, 0, labels, 0, out as FloatArray, 0);
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
        const shift = new Float64Array(1);
        const logSum = new Float64Array(1);
        sparseSoftmaxCrossEntropyRows(x, row * classes, 1, classes, labels, row, shift, logSum, 0, loss, row);
        softmaxGradientRows(
          x,
          row * classes,
          1,
          classes,
          shift,
          logSum,
          0,
          scales,
          row,
          labels,
          row,
          out,
          row * classes,
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
