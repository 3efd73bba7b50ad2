/**
 * SoftmaxFocalLoss's rows (softmax-focal.ts): the focal term and its slope in log p, the
 * normalisers of a block of rows, and the sparse-label gradient, which is the softmax gradient of
 * SoftmaxCrossEntropyLoss scaled per row, so the kernels of softmax.ts do its heavy work.
 *
 * Derivation. With L = log p (from the shifted log-sum-exp) and u = 1 − p = −expm1(L), the term
 * of a class is T = −a·y·u^γ·L, so ∂T/∂y = −a·u^γ·L (focalTerm with y = 1) and, since
 * ∂u/∂L = −p, ∂T/∂L = −a·y·u^γ·(1 − γ·p·L/u). L/u → −1 as p → 1 (L ≈ −u), so it is taken as −1
 * where u = 0; p·L/u is 0 where p = 0 (L = −∞). Through the log-softmax, ∂/∂x_k = g_k − p_k Σ_j g_j.
 * With a sparse label y only g_y is nonzero, so a row's gradient is (−g_y)·(p − onehot(y)).
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { scaleFitsFloat32 } from '../kernels/_scales.js';
import { type FloatArray, isFloatArray } from '../kernels/_spans.js';
import { softmaxGradientRows, softmaxRowNormalizers } from '../kernels/softmax.js';
import { scaleKeptExponentials, softmaxNormalizersKeepingExponentials } from '../kernels/softmax-kept.js';
import type { CallMemory } from './_call-memory.js';
import {
  type ClassLayout,
  type ClassRows,
  classEntry,
  logProbabilityAt,
  logSoftmaxRows,
  type RowNormalizers,
  Runs,
} from './_class-rows.js';

/** The class weights of a call: one per class, or one for every class (`classAlpha` null). */
export interface FocalAlpha {
  readonly classAlpha: Float64Array | null;
  /** a of every class when `classAlpha` is null (1 with `alpha: null`). */
  readonly uniformAlpha: number;
}

/** a_c. */
export function alphaOf({ classAlpha, uniformAlpha }: FocalAlpha, c: number): number {
  return classAlpha ? classAlpha[c]! : uniformAlpha;
}

/** The term −a·y·(1 − p)^γ·log p of one class; 0 for a zero label (even where log p = −∞). */
export function focalTerm(logP: number, y: number, a: number, gamma: number): number {
  if (y === 0) return 0;
  return -a * y * (-Math.expm1(logP)) ** gamma * logP;
}

/** ∂(focalTerm)/∂log p: −a·y·(1 − p)^γ·(1 − γ·p·log p/(1 − p)); 0 for a zero label. */
export function focalSlope(logP: number, y: number, a: number, gamma: number): number {
  if (y === 0) return 0;
  if (gamma === 0) return -a * y;
  const complement = -Math.expm1(logP);
  const p = Math.exp(logP);
  const pTimesRatio = p === 0 ? 0 : complement === 0 ? -p : (p * logP) / complement;
  return -a * y * complement ** gamma * (1 - gamma * pTimesRatio);
}

/**
 * The normalisers of rows [begin, end): by the softmax kernels (wasm for float32 logits) when
 * the class axis is last, else by the strided walk of _class-rows.ts (float64).
 */
export function normalizeRows(
  x: TypedArray,
  layout: ClassLayout,
  begin: number,
  end: number,
  { shift, logSum }: RowNormalizers,
): void {
  if (layout.inner !== 1) {
    logSoftmaxRows(x, layout, begin, end, { shift, logSum });
    return;
  }
  const { size } = layout;
  softmaxRowNormalizers({
    x: x.subarray(begin * size, end * size),
    classes: size,
    shift: shift.subarray(begin, end),
    logSum: logSum.subarray(begin, end),
  });
}

/** The arguments of {@link sparseFocalOnePass}. */
export interface SparseFocalOnePass {
  /** Rows of `classes` logits back to back (log-probabilities with `fromLogits`). */
  readonly x: FloatArray;
  readonly classes: number;
  readonly labels: Int32Array;
  readonly alpha: FocalAlpha;
  readonly gamma: number;
  readonly fromLogits: boolean;
  /** One scale per sample; a sample is `labels.length / scales.length` consecutive rows. */
  readonly scales: Float64Array;
  /** Out: Σ ℓ per sample. */
  readonly sums: Float64Array;
  /** Out: scales[s] · ∂(Σ ℓ)/∂x, every element assigned. */
  readonly out: FloatArray;
  /** Where the per-row scratch comes from (and goes back to before the call returns). */
  readonly memory: CallMemory;
}

/**
 * Logits per piece of a one-pass call: a piece's logits and gradient (512 KiB each in float32)
 * stay in a core's L2 cache from the normaliser pass to the gradient pass, which then reads the
 * logits from cache rather than memory (~10% of a [4096, 1000] float32 step).
 */
const PIECE_LOGITS = 1 << 17;

/**
 * ℓ and its scaled gradient in one call (SoftmaxFocalLoss's forwardGradient), piece by piece:
 * the row normalisers (wasm for float32), then per row ℓ = focalTerm(log p_y) and
 * s_r = −scale·g_y in float64, then s_r·(p − onehot(y)) by {@link scaledRowGradients}. With
 * `fromLogits` only the label's entry, scale·g_y, is nonzero.
 */
export function sparseFocalOnePass(args: SparseFocalOnePass): void {
  const { x, classes, labels, alpha, gamma, fromLogits, scales, sums, out, memory } = args;
  const rows = labels.length;
  const perSample = rows / scales.length;
  // Per row its scale and (on logits) its two normalisers.
  const scratch = memory.takeArray('float64', 3 * rows) as Float64Array;
  const rowScales = scratch.subarray(0, rows);
  const shift = scratch.subarray(rows, 2 * rows);
  const logSum = scratch.subarray(2 * rows);
  sums.fill(0);
  const normalizers = fromLogits ? null : { shift, logSum };
  const per = Math.max(1, Math.floor(PIECE_LOGITS / classes));
  for (let begin = 0; begin < rows; begin += per) {
    const end = Math.min(rows, begin + per);
    const pieceX = rowsOf(x, begin, end, classes);
    const pieceShift = rowsOf(shift, begin, end, 1);
    const pieceLogSum = rowsOf(logSum, begin, end, 1);
    const pieceRows = { x: pieceX, classes, shift: pieceShift, logSum: pieceLogSum };
    const pieceOut = rowsOf(out, begin, end, classes);
    // With the gradient in the arena, the normaliser pass keeps the exponentials for the gradient
    // (kernels/softmax-kept.ts: the same bits, each exponential taken once).
    const kept =
      normalizers !== null && softmaxNormalizersKeepingExponentials({ ...pieceRows, out: pieceOut });
    if (normalizers && !kept) softmaxRowNormalizers(pieceRows);
    for (let r = begin; r < end; r++) {
      const s = Math.floor(r / perSample);
      const c = labels[r]!;
      const a = alphaOf(alpha, c);
      const logP = logProbabilityAt(x, normalizers, r * classes + c, r);
      sums[s]! += focalTerm(logP, 1, a, gamma);
      rowScales[r] = -scales[s]! * focalSlope(logP, 1, a, gamma);
    }
    const gradientRows = {
      ...pieceRows,
      scale: rowsOf(rowScales, begin, end, 1),
      labels: rowsOf(labels, begin, end, 1),
      out: pieceOut,
    };
    if (kept) scaleKeptExponentials(gradientRows);
    else if (normalizers) scaledRowGradients(gradientRows);
  }
  if (fromLogits) {
    out.fill(0);
    for (let r = 0; r < rows; r++) out[r * classes + labels[r]!] = -rowScales[r]!;
  }
  memory.giveBackArray(scratch);
}

/** Rows [begin, end) of `width` elements each, as a view (the array itself when that is all of it). */
function rowsOf<T extends TypedArray>(array: T, begin: number, end: number, width: number): T {
  return begin === 0 && end * width === array.length
    ? array
    : (array.subarray(begin * width, end * width) as T);
}

/** The arguments of {@link sparseFocalGradient}: a block's rows, dℓ per row, pred's gradient. */
export interface SparseFocalGradient {
  readonly rows: ClassRows;
  readonly labels: Int32Array;
  readonly alpha: FocalAlpha;
  readonly gamma: number;
  readonly dLoss: Float64Array;
  readonly dPred: TypedArray;
}

/**
 * The block path's sparse-label gradient: ∂ℓ/∂x_k = −p_k·g for k ≠ label and (1 − p)·g at the
 * label, as −g·(p − onehot) (g alone at the label, 0 elsewhere, with fromLogits). Contiguous
 * rows into a float gradient run the softmax kernels, as the one-pass path; other layouts the
 * Runs walk, in float64.
 */
export function sparseFocalGradient(args: SparseFocalGradient): void {
  const { rows, labels, alpha, gamma, dLoss, dPred } = args;
  const { x, layout, normalizers, begin, end } = rows;
  const slopes = new Float64Array(end - begin);
  for (let r = begin, j = 0; r < end; r++, j++) {
    const c = labels[r]!;
    const logP = logProbabilityAt(x, normalizers, classEntry(layout, r, c), r);
    slopes[j] = dLoss[j]! * focalSlope(logP, 1, alphaOf(alpha, c), gamma);
  }
  if (normalizers && layout.inner === 1 && isFloatArray(dPred) && isFloatArray(x)) {
    for (let j = 0; j < slopes.length; j++) slopes[j] = -slopes[j]!;
    const { size } = layout;
    scaledRowGradients({
      x: x.subarray(begin * size, end * size),
      classes: size,
      shift: normalizers.shift.subarray(begin, end),
      logSum: normalizers.logSum.subarray(begin, end),
      scale: slopes,
      labels: labels.subarray(begin, end),
      out: dPred.subarray(begin * size, end * size),
    });
    return;
  }
  if (normalizers) {
    for (const run = new Runs(rows, true); run.next(); ) {
      const { step, jStep, last } = run;
      for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep)
        dPred[k] = -slopes[j]! * Math.exp(logProbabilityAt(x, normalizers, k, r));
    }
  }
  for (let r = begin, j = 0; r < end; r++, j++) {
    const k = classEntry(layout, r, labels[r]!);
    dPred[k] = normalizers ? -slopes[j]! * Math.expm1(logProbabilityAt(x, normalizers, k, r)) : slopes[j]!;
  }
}

/** The arguments of softmaxGradientRows with a scale per row and the labels. */
interface ScaledRows extends RowNormalizers {
  readonly x: FloatArray;
  readonly classes: number;
  readonly scale: Float64Array;
  readonly labels: Int32Array;
  readonly out: FloatArray;
}

/**
 * out_r = s_r · (softmax(x_r) − onehot(label_r)) for contiguous rows (softmaxGradientRows; the
 * label's entry s_r · expm1(log p)), in runs of rows whose scales keep their value as float32 or
 * not: the wasm kernel takes float32 scales and sends a whole call with one that does not to its
 * float64 loop, so a near-certain row (its (1 − p)^γ below 2^−126) sends only its own run there.
 */
function scaledRowGradients(rows: ScaledRows): void {
  const { x, classes, shift, logSum, scale, labels, out } = rows;
  const count = scale.length;
  if (!(x instanceof Float32Array)) {
    softmaxGradientRows(rows);
    return;
  }
  for (let begin = 0; begin < count; ) {
    const fits = scaleFitsFloat32(scale[begin]!);
    let end = begin + 1;
    while (end < count && scaleFitsFloat32(scale[end]!) === fits) end++;
    softmaxGradientRows(
      begin === 0 && end === count
        ? rows
        : {
            x: x.subarray(begin * classes, end * classes),
            classes,
            shift: shift.subarray(begin, end),
            logSum: logSum.subarray(begin, end),
            scale: scale.subarray(begin, end),
            labels: labels.subarray(begin, end),
            out: out.subarray(begin * classes, end * classes),
          },
    );
    begin = end;
  }
}
