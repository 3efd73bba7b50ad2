/**
 * Softmax over contiguous rows (SoftmaxCrossEntropyLoss with the class axis last, KLDivLoss,
 * CTCLoss's frames): the log-softmax normalisers, sparse softmax cross-entropy, the scaled
 * softmax gradient, and the last two in one pass. Each kernel takes one object of views: `x`
 * holds the rows back to back (row r is `x[r·classes … (r+1)·classes)`), every per-row array
 * holds one value per row.
 *
 * A row's normalisers are two float64 numbers: `log p_c = (x_c − shift) − logSum`. For a row
 * whose maximum m is finite, shift = m and logSum = log1p(Σ_{c≠a} e^{x_c − m}) (a: one class
 * attaining m), which keeps the digits of near-certain rows; for a row holding NaN or ±Infinity
 * at its maximum, shift = 0 and logSum = log Σ e^{x_c} (the IEEE answer: NaN, +Infinity, or
 * −Infinity for a row of −Infinity).
 *
 * Float32 logits run through the wasm SIMD kernels of softmax.wat when that backend is active
 * (float32 exponentials, summed in float64); other arrays, the `'js'` backend and rows whose
 * maximum is not finite compute the same formulas with Math in float64.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { ValueError } from '../ndarray/errors.js';
import { scaleFitsFloat32, scalesFitFloat32 } from './_scales.js';
import { checkCount, checkLength, type FloatArray, viewsOverlap } from './_spans.js';
import { arenaScratch, reserveScratch, type Scratch, wasmScratch } from './runtime.js';
import { float64Normalizers, referenceNormalizers, scaledExponentials } from './softmax-float64.js';
import { scaledSoftmax, scaleOf } from './softmax-scaled.js';
import {
  CHUNK,
  head,
  LABELS_AT,
  MAX_AT,
  OUT_AT,
  REST_AT,
  SCALES_AT,
  SCRATCH_BYTES,
  span,
  UNIFORM_AT,
  WEIGHTS_AT,
  writesInPlace,
  X_AT,
} from './_softmax-scratch.js';
import { PARALLEL_MINIMUM, startShares } from './threads.js';

import type {
  SoftmaxGradientRows,
  SoftmaxRows,
  SparseCrossEntropyGradientRows,
  SparseCrossEntropyRows,
  UniformTargetParts,
} from './_softmax-arguments.js';

// ---- the float64 reference --------------------------------------------------------------------

/** ℓ_r = −log softmax(x_r)[label_r] = logSum − (x_label − shift): the difference keeps a small loss's digits. */
function sparseLosses({ x, classes, shift, logSum, labels, loss }: SparseCrossEntropyRows): void {
  for (let r = 0; r < labels.length; r++) loss[r] = logSum[r]! - (x[r * classes + labels[r]!]! - shift[r]!);
}

/**
 * The gradient of checked rows: the wasm kernel's rows (`fused`: already written by
 * {@link normalize}), then the float64 formula for every other row, then the label entries.
 */
function gradient(args: SoftmaxGradientRows, fused: boolean, labelsFused: boolean): void {
  const { x, classes, shift, logSum, scale, labels, out } = args;
  const wasm = fused || scaledSoftmax(args);
  const dense = args.denseLabels ?? null;
  for (let r = 0, row = 0; r < shift.length; r++, row += classes) {
    const l = logSum[r]!;
    // With wasm, only the rows with a NaN or infinite normaliser (NaN rows stay NaN).
    if (wasm && l - l === 0) continue;
    const s = scaleOf(scale, r);
    const m = shift[r]!;
    // (x − shift) − logSum, in that order: x − shift is exact near the maximum of huge logits.
    if (!dense) scaledExponentials({ x, begin: row, end: row + classes, shift: m, logSum: l, scale: s, out });
    else {
      // − s_r · z in the same float64 expression: rounded once into out
      const { z, scales } = dense;
      const labelScale = scales[r]!;
      for (let k = row; k < row + classes; k++) out[k] = s * Math.exp(x[k]! - m - l) - labelScale * z[k]!;
    }
  }
  if (!labels) return;
  for (let r = 0; r < labels.length; r++) {
    // The kernel wrote the label entries of its rows (those with a finite normaliser).
    if (labelsFused && logSum[r]! - logSum[r]! === 0) continue;
    const k = r * classes + labels[r]!;
    // p − 1 = expm1(log p): no cancellation when p is within rounding of 1.
    out[k] = scaleOf(scale, r) * Math.expm1(x[k]! - shift[r]! - logSum[r]!);
  }
}

// ---- the wasm drivers -------------------------------------------------------------------------

/** Where the one-pass kernel writes s · softmax(x) − s · onehot(label). */
interface FusedGradient {
  readonly scales: Float64Array;
  readonly labels: Int32Array;
  readonly out: FloatArray;
  readonly uniformParts: UniformTargetParts | null;
}

/**
 * The normalisers of checked rows (wasm for float32 logits, else the reference). With `fused`,
 * the wasm kernel also writes out = s · softmax(x) for the rows whose maximum is finite, and,
 * for rows that fit one chunk, the label's entry s · (p − 1) (see softmaxRowStatistics);
 * returns whether it ran.
 */
function normalize(rows: SoftmaxRows, fused: FusedGradient | null): boolean {
  const scratch = rows.x instanceof Float32Array ? reserveScratch(arenaScratch(), SCRATCH_BYTES) : null;
  if (!scratch) {
    float64Normalizers(rows);
    return false;
  }
  // A gradient in the arena's memory is written there by the kernel, with no copy out.
  const inPlace = fused !== null && writesInPlace(scratch, fused.out);
  if (rows.classes <= CHUNK) wholeRows(scratch, rows, fused, inPlace);
  else longRows(scratch, rows, fused, inPlace);
  return true;
}

/** Rows of at most CHUNK classes, as many per kernel call as fit a chunk. */
function wholeRows(
  { f32, f64, i32, kernels }: Scratch,
  rows: SoftmaxRows,
  fused: FusedGradient | null,
  inPlace: boolean,
): void {
  const { x, classes, shift, logSum } = rows;
  const per = Math.max(1, Math.min(shift.length, Math.floor(CHUNK / Math.max(classes, 1))));
  const parts = fused?.uniformParts ?? null;
  if (parts) {
    f64.set(parts.weights, WEIGHTS_AT >> 3);
    f64.fill(0, (WEIGHTS_AT >> 3) + classes, (WEIGHTS_AT >> 3) + classes + 4);
  }
  for (let start = 0; start < shift.length; start += per) {
    const count = Math.min(per, shift.length - start);
    f32.set(span(x, start * classes, count * classes), X_AT >> 2);
    let outAt = 0;
    if (fused) {
      f32.set(span(fused.scales, start, count), SCALES_AT >> 2);
      i32.set(span(fused.labels, start, count), LABELS_AT >> 2);
      outAt = inPlace ? fused.out.byteOffset + 4 * start * classes : OUT_AT;
    }
    if (parts) f64.set(parts.uniform.subarray(start, start + count), UNIFORM_AT >> 3);
    kernels.softmaxRowStatistics(
      X_AT,
      count,
      classes,
      SCALES_AT,
      MAX_AT,
      REST_AT,
      outAt,
      fused ? LABELS_AT : 0,
      parts ? WEIGHTS_AT : 0,
      parts ? UNIFORM_AT : 0,
    );
    if (parts) parts.spreads.set(f64.subarray(UNIFORM_AT >> 3, (UNIFORM_AT >> 3) + count), start);
    if (fused && !inPlace)
      fused.out.set(f32.subarray(OUT_AT >> 2, (OUT_AT >> 2) + count * classes), start * classes);
    for (let r = 0; r < count; r++) {
      const maximum = f32[(MAX_AT >> 2) + r]!;
      if (maximum - maximum !== 0) referenceNormalizers(rows, start + r, start + r + 1);
      else {
        // the kernel did this row's smoothing part (its gradient is final)
        if (parts) parts.done[start + r] = 1;
        shift[start + r] = maximum;
        logSum[start + r] = Math.log1p(f64[(REST_AT >> 3) + r]!);
      }
    }
  }
}

/**
 * Rows longer than a chunk, one piece of CHUNK logits per kernel call: each piece gives its own
 * maximum m_p and total 1 + rest_p = Σ e^{x − m_p}, merged into the row's by the online
 * softmax recurrence (the running sum is rescaled by e^{m − m′} when the maximum grows, keeping
 * the row's rest without its one maximal term, as the kernel does). Each logit is read once.
 * The gradient's pieces are written by the kernel as e^{x − m_p} (unscaled: scales = 0), then
 * rescaled in a second sweep by s · e^{m_p − m} / (1 + rest) once the row's normaliser is
 * known: that sweep over the gradient is unavoidable for a row that does not fit in cache, since
 * no entry is final before the last piece is read. The label's entry is left to gradient().
 */
function longRows(
  { f32, f64, kernels }: Scratch,
  rows: SoftmaxRows,
  fused: FusedGradient | null,
  inPlace: boolean,
): void {
  const { x, classes, shift, logSum } = rows;
  const pieces = Math.ceil(classes / CHUNK);
  const pieceMax = new Float64Array(pieces);
  for (let r = 0, row = 0; r < shift.length; r++, row += classes) {
    let maximum = Number.NEGATIVE_INFINITY;
    let rest = 0;
    let finite = true;
    for (let piece = 0, begin = 0; piece < pieces && finite; piece++, begin += CHUNK) {
      const length = Math.min(CHUNK, classes - begin);
      f32.set(x.subarray(row + begin, row + begin + length), X_AT >> 2);
      const outAt = !fused ? 0 : inPlace ? fused.out.byteOffset + 4 * (row + begin) : OUT_AT;
      kernels.softmaxRowStatistics(X_AT, 1, length, 0, MAX_AT, REST_AT, outAt, 0, 0, 0);
      const m = f32[MAX_AT >> 2]!;
      const pieceRest = f64[REST_AT >> 3]!;
      pieceMax[piece] = m;
      // A piece of −Infinity adds nothing; NaN or +Infinity sends the row to the reference.
      if (m === Number.NEGATIVE_INFINITY) continue;
      if (m - m !== 0) finite = false;
      else if (m > maximum) {
        rest = pieceRest + (1 + rest) * Math.exp(maximum - m);
        maximum = m;
      } else rest += (1 + pieceRest) * Math.exp(m - maximum);
      if (fused && !inPlace) fused.out.set(f32.subarray(OUT_AT >> 2, (OUT_AT >> 2) + length), row + begin);
    }
    if (!finite || maximum === Number.NEGATIVE_INFINITY) {
      // gradient() rewrites the row: its normaliser is not finite
      referenceNormalizers(rows, r, r + 1);
      continue;
    }
    shift[r] = maximum;
    logSum[r] = Math.log1p(rest);
    if (!fused) continue;
    // The second sweep: each piece's e^{x − m_p} times s · e^{m_p − m} / (1 + rest).
    for (let piece = 0, begin = row; piece < pieces; piece++, begin += CHUNK) {
      const length = Math.min(CHUNK, row + classes - begin);
      const m = pieceMax[piece]!;
      // The kernel wrote nothing for a piece of −Infinity: its probabilities are 0.
      if (m === Number.NEGATIVE_INFINITY) fused.out.fill(0, begin, begin + length);
      else {
        const factor = (fused.scales[r]! * Math.exp(m - maximum)) / (1 + rest);
        if (inPlace) kernels.scaleFloats(fused.out.byteOffset + 4 * begin, length, factor);
        else for (let k = begin; k < begin + length; k++) fused.out[k]! *= factor;
      }
    }
  }
}

// ---- the checked kernels ----------------------------------------------------------------------

/** A kernel's arguments, any of which it may take (x and out: rows · classes; the others: rows). */
type Arguments = { readonly x: TypedArray; readonly classes: number } & Partial<
  Record<'shift' | 'logSum' | 'loss' | 'scales' | 'out', TypedArray> & {
    readonly labels: Int32Array | null;
    readonly scale: number | Float64Array;
  }
>;

/** Checks that every array has its length, that labels are class indices and that out does not overlap x. */
function check(where: string, rows: number, args: Arguments): void {
  const { x, classes, out, labels, scale } = args;
  checkCount(where, 'classes', classes);
  checkLength(where, 'x', x, rows * classes);
  if (out) checkLength(where, 'out', out, rows * classes);
  if (args.shift) checkLength(where, 'shift', args.shift, rows);
  if (args.logSum) checkLength(where, 'logSum', args.logSum, rows);
  if (args.loss) checkLength(where, 'loss', args.loss, rows);
  if (args.scales) checkLength(where, 'scales', args.scales, rows);
  if (labels) checkLength(where, 'labels', labels, rows);
  if (typeof scale === 'object') checkLength(where, 'scale', scale, rows);
  for (let r = 0; labels && r < rows; r++) {
    if (!(labels[r]! >= 0 && labels[r]! < classes))
      throw new ValueError(`${where}: labels[${r}] = ${labels[r]} is not a class index in [0, ${classes})`);
  }
  if (out) checkApart(where, x, out);
}

/** Throws unless `out` and `x` are disjoint memory (the label entries and non-finite rows re-read x). */
function checkApart(where: string, x: TypedArray, out: TypedArray): void {
  if (viewsOverlap(out, x))
    throw new ValueError(
      `${where}: out must not overlap x (the label entries and non-finite rows re-read x)`,
    );
}

/**
 * Writes the log-softmax normalisers of the rows into shift and logSum (see the module
 * comment), so that log softmax(x)_c = (x_c − shift) − logSum and the row's log-sum-exp is
 * shift + logSum.
 */
export function softmaxRowNormalizers(rows: SoftmaxRows): void {
  check('softmaxRowNormalizers', rows.shift.length, rows);
  normalize(rows, null);
}

/**
 * {@link softmaxRowNormalizers} in float64 whatever the array and the backend: Math.exp's bits
 * (softmax-float64.ts; fdlibm's e^x in wasm where that pays, the same bits).
 */
export function softmaxRowNormalizersFloat64(rows: SoftmaxRows): void {
  check('softmaxRowNormalizersFloat64', rows.shift.length, rows);
  float64Normalizers(rows);
}

/**
 * Sparse softmax cross-entropy of rows: writes the normalisers (as {@link softmaxRowNormalizers},
 * for the backward pass) and `loss[r] = −log softmax(x_r)[label_r] = logSum − (x_label − shift)`,
 * a difference that keeps the digits of a small loss even for huge logits. A label that is not a
 * class index in [0, classes) is a ValueError naming the first.
 */
export function sparseSoftmaxCrossEntropyRows(args: SparseCrossEntropyRows): void {
  check('sparseSoftmaxCrossEntropyRows', args.shift.length, args);
  normalize(args, null);
  sparseLosses(args);
}

/**
 * The softmax gradient of rows, assigned: `out[r·classes + c] = s_r · (softmax(x_r)_c − [c =
 * label_r])`, the one-hot term only with labels (with `denseLabels` instead, s_r · softmax(x_r)
 * − t_r · z_r, see SoftmaxGradientRows), from the normalisers of
 * {@link softmaxRowNormalizers}. The label's entry is s · expm1(log p), exact even when p rounds to 1.
 */
export function softmaxGradientRows(args: SoftmaxGradientRows): void {
  const where = 'softmaxGradientRows';
  check(where, args.shift.length, args);
  if (args.denseLabels) {
    checkLength(where, 'denseLabels.z', args.denseLabels.z, args.x.length);
    checkLength(where, 'denseLabels.scales', args.denseLabels.scales, args.shift.length);
    if (args.labels) throw new ValueError(`${where}: give labels or denseLabels, not both`);
  }
  gradient(args, false, false);
}

/**
 * {@link sparseSoftmaxCrossEntropyRows} and {@link softmaxGradientRows} (scale `scales`, with
 * the labels) in one pass, for a recorded call: the wasm kernel takes each exponential once
 * (stored, then scaled in cache) instead of once for the loss and again for the gradient.
 */
export function sparseSoftmaxCrossEntropyGradientRows(args: SparseCrossEntropyGradientRows): void {
  const { x, classes, labels, scales, loss, out, uniformParts } = args;
  const rows = labels.length;
  check('sparseSoftmaxCrossEntropyGradientRows', rows, { ...args, ...args.normalizers });
  if (uniformParts) {
    checkLength(
      'sparseSoftmaxCrossEntropyGradientRows',
      'uniformParts.weights',
      uniformParts.weights,
      classes,
    );
    checkLength('sparseSoftmaxCrossEntropyGradientRows', 'uniformParts.uniform', uniformParts.uniform, rows);
    checkLength('sparseSoftmaxCrossEntropyGradientRows', 'uniformParts.spreads', uniformParts.spreads, rows);
    checkLength('sparseSoftmaxCrossEntropyGradientRows', 'uniformParts.done', uniformParts.done, rows);
    uniformParts.done.fill(0);
  }
  // With a kernel thread pool (gloss/node useKernelThreads), the other threads take the later
  // rows of a large float32 call while this one runs the first share. Not with label smoothing's
  // uniform part: a share does not carry it, so its rows would take the float64 fix-up afterwards
  // (W2o with two threads: 23 ms against 16 ms on one) and round differently from this thread's.
  const split =
    !uniformParts &&
    rows * classes >= PARALLEL_MINIMUM &&
    x instanceof Float32Array &&
    wasmScratch() &&
    scalesFitFloat32(scales)
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
    lossAndGradient(args, split ? split.mine : rows);
  } finally {
    split?.pending.finish();
  }
  // The other threads' rows have no normalisers here: NaN, never what an earlier call left.
  if (split && args.normalizers) {
    args.normalizers.shift.fill(Number.NaN, split.mine);
    args.normalizers.logSum.fill(Number.NaN, split.mine);
  }
}

/** sparseSoftmaxCrossEntropyGradientRows of the first `n` rows of checked arguments, on this thread. */
function lossAndGradient(args: SparseCrossEntropyGradientRows, n: number): void {
  const classes = args.classes;
  const x = head(args.x, n * classes);
  const out = head(args.out, n * classes);
  const labels = head(args.labels, n);
  const scales = head(args.scales, n);
  const loss = head(args.loss, n);
  const scratch = args.normalizers;
  const shift = scratch ? head(scratch.shift, n) : new Float64Array(n);
  const logSum = scratch ? head(scratch.logSum, n) : new Float64Array(n);
  const fits = scalesFitFloat32(scales);
  const parts = args.uniformParts ?? null;
  const fused =
    normalize({ x, classes, shift, logSum }, fits ? { scales, labels, out, uniformParts: parts } : null) &&
    fits;
  sparseLosses({ x, classes, shift, logSum, labels, loss });
  gradient({ x, classes, shift, logSum, scale: scales, labels, out }, fused, fused && classes <= CHUNK);
}

// ---- the trusted entry ------------------------------------------------------------------------

/**
 * {@link sparseSoftmaxCrossEntropyGradientRows} for arguments their caller built and validated
 * itself (SoftmaxCrossEntropyLoss's one-pass call: prepare checked every label, every other
 * array is sized from pred), so their lengths and labels are not checked again: on a small call
 * (a few hundred logits) that check and its argument object cost as much as the kernel. An
 * internal entry, not exported by kernels/index.ts.
 */
export function sparseSoftmaxCrossEntropyGradientOfCheckedRows(args: SparseCrossEntropyGradientRows): void {
  checkApart('sparseSoftmaxCrossEntropyGradientRows', args.x, args.out);
  // Too small for the kernel threads (startShares would decline): this thread does every row.
  if (args.x.length >= PARALLEL_MINIMUM || args.uniformParts) sparseSoftmaxCrossEntropyGradientRows(args);
  else lossAndGradient(args, args.labels.length);
}

/**
 * {@link sparseSoftmaxCrossEntropyGradientOfCheckedRows}'s small call (a training step of a few
 * hundred logits): float32 logits of one chunk, wasm, scales that fit float32. One kernel call
 * (softmaxRowStatistics), then ℓ per row from its maximum and rest, as wholeRows, sparseLosses
 * and gradient compute them: the same bits, without the normalisers. Returns false (nothing it
 * wrote counts; the caller makes the general call) for another kind of call or a row whose
 * maximum is not finite.
 */
export function sparseSoftmaxCrossEntropyGradientOfOneChunk(
  args: Omit<SparseCrossEntropyGradientRows, 'normalizers' | 'uniformParts'>,
): boolean {
  const { x, classes, labels, scales, loss, out } = args;
  checkApart('sparseSoftmaxCrossEntropyGradientRows', x, out);
  if (!(x instanceof Float32Array) || x.length > CHUNK) return false;
  const scratch = reserveScratch(arenaScratch(), SCRATCH_BYTES);
  if (!scratch) return false;
  const { f32, f64, i32, kernels } = scratch;
  const rows = labels.length;
  // The scales as float32, each distinct value checked once (usually all are one value).
  for (let r = 0, checked = Number.NaN; r < rows; r++) {
    const scale = scales[r]!;
    if (scale !== checked) {
      if (!scaleFitsFloat32(scale)) return false;
      checked = scale;
    }
    f32[(SCALES_AT >> 2) + r] = scale;
  }
  const inPlace = writesInPlace(scratch, out);
  f32.set(x, X_AT >> 2);
  i32.set(labels, LABELS_AT >> 2);
  const outAt = inPlace ? out.byteOffset : OUT_AT;
  kernels.softmaxRowStatistics(X_AT, rows, classes, SCALES_AT, MAX_AT, REST_AT, outAt, LABELS_AT, 0, 0);
  for (let r = 0; r < rows; r++) {
    const maximum = f32[(MAX_AT >> 2) + r]!;
    if (maximum - maximum !== 0) return false;
    loss[r] = Math.log1p(f64[(REST_AT >> 3) + r]!) - (x[r * classes + labels[r]!]! - maximum);
  }
  if (!inPlace) out.set(f32.subarray(OUT_AT >> 2, (OUT_AT >> 2) + rows * classes));
  return true;
}
