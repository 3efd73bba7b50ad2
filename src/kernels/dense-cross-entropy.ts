/**
 * A piece of SoftmaxCrossEntropyLoss's one-pass step with dense labels on the arena instance:
 * the log-softmax normalisers, the cross-entropy term sums with the label mass, and the
 * gradient s · (Σz · p − z), from one copy of the piece's logits and labels in wasm memory.
 *
 * It adds no formula. It runs the kernels the general path runs, in the same order on the same
 * values, so it gives their bits:
 * 1. softmax.wat's softmaxRowStatistics, for each row's normalisers, as softmax.ts's wholeRows;
 * 2. dense-target.wat's denseTargetTermSumF64, for the term sum and Σz in index order, as
 *    dense-target.ts's denseTargetTermSum;
 * 3. for the gradient, softmax-scaled.ts's scaledSoftmax: softmaxRowsScaled's product of each
 *    float32 exponential and the row's float32 coefficient, here from the exponentials step 1
 *    kept (as softmax-kept.ts does), then dense-target.wat's subtractScaledLabelsF64.
 *
 * The general path copies the rows in once per family: x three times and z twice, with a kernel
 * call per row for the sums, and takes every exponential twice. Here each is copied and taken
 * once. A piece this does not take returns false with nothing written that counts: logits
 * that are not float32, a row's maximum that is not finite, more than one chunk of logits,
 * or the 'js' backend.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import type { FloatArray } from './_spans.js';
import { scalesFitFloat32 } from './_scales.js';
import {
  CHUNK,
  MAX_AT,
  OUT_AT,
  REST_AT,
  SCRATCH_BYTES,
  UNIFORM_AT,
  WEIGHTS_AT,
  writesInPlace,
  X_AT,
} from './_softmax-scratch.js';
import { KL_EPSILON } from './dense-target.js';
import { arenaScratch, reserveScratch } from './runtime.js';
import { softmaxGradientRows } from './softmax.js';
import { softmaxCoefficient, subtractStagedLabels } from './softmax-scaled.js';

/** One piece of rows back to back: inputs, then what the call writes (one entry per row unless said). */
export interface DenseCrossEntropyPiece {
  /** The logits, rows · classes. */
  readonly x: FloatArray;
  /** The dense labels, x's length. */
  readonly z: TypedArray;
  readonly classes: number;
  /** Each row's scale s (its sample's weight · sampleWeight / M). */
  readonly sampleScales: Float64Array;
  /** Out: the log-softmax normalisers (softmax.ts's shift and logSum). */
  readonly shift: Float64Array;
  readonly logSum: Float64Array;
  /** Out: Σ_c crossEntropyTerm(z_c, log p_c) per row, in class order. */
  readonly totals: Float64Array;
  /** Out: s · Σz per row, the softmax's scale in the gradient. */
  readonly rowScales: Float64Array;
  /** Out: the gradient s · (Σz · p − z), x's length; in place when it is an arena gradient region. */
  readonly out: FloatArray;
}

/** Runs the piece (see the module comment); false: it did not, and the caller runs the general kernels. */
export function denseCrossEntropyPiece(piece: DenseCrossEntropyPiece): boolean {
  const { x, z, classes, sampleScales, shift, logSum, totals, rowScales, out } = piece;
  const rows = shift.length;
  const floatLabels = z instanceof Float32Array || z instanceof Float64Array;
  if (!(x instanceof Float32Array) || !floatLabels || !(out instanceof Float32Array)) return false;
  if (rows * classes > CHUNK || rows * classes === 0) return false;
  const scratch = reserveScratch(arenaScratch(), SCRATCH_BYTES);
  if (!scratch) return false;
  const { f32, f64, kernels } = scratch;
  const zFloat32 = z instanceof Float32Array;
  const zBytes = zFloat32 ? 4 : 8;
  f32.set(x, X_AT >> 2);
  (zFloat32 ? f32 : f64).set(z, WEIGHTS_AT / zBytes);
  // 1. The normalisers (wholeRows' call), keeping each row's e^{x − m} at OUT_AT (scales 0:
  // unscaled) for the gradient, as softmax-kept.ts does.
  kernels.softmaxRowStatistics(X_AT, rows, classes, 0, MAX_AT, REST_AT, OUT_AT, 0, 0, 0);
  for (let r = 0; r < rows; r++) {
    const maximum = f32[(MAX_AT >> 2) + r]!;
    // The general path's float64 reference takes such a row (NaN or ±∞ at its maximum).
    if (maximum - maximum !== 0) return false;
    shift[r] = maximum;
    logSum[r] = Math.log1p(f64[(REST_AT >> 3) + r]!);
  }
  // 2. Each row's term sum from 0, and its label mass in the free float64 slot at UNIFORM_AT.
  for (let r = 0; r < rows; r++) {
    f64[UNIFORM_AT >> 3] = 0;
    totals[r] = kernels.denseTargetTermSumF64(
      0,
      WEIGHTS_AT + zBytes * r * classes,
      zFloat32 ? 1 : 0,
      X_AT + 4 * r * classes,
      1,
      classes,
      shift[r]!,
      logSum[r]!,
      KL_EPSILON,
      0,
      UNIFORM_AT,
      0,
      0,
      0,
      0,
    );
    rowScales[r] = sampleScales[r]! * f64[UNIFORM_AT >> 3]!;
  }
  // 3. The gradient. A scale that would lose its value in float32 takes scaledSoftmax's float64
  // path (through softmaxGradientRows, which finds it so); otherwise scaledSoftmax's kernels:
  // per row the float32 shift and coefficient s·Σz·e^{−logSum}, then − s·z.
  if (!scalesFitFloat32(rowScales)) {
    const denseLabels = { z, scales: sampleScales };
    softmaxGradientRows({ x, classes, shift, logSum, scale: rowScales, labels: null, out, denseLabels });
    return true;
  }
  // The kept exponentials times scaledSoftmax's float32 coefficient: softmaxRowsScaled's product.
  for (let r = 0; r < rows; r++)
    kernels.scaleFloats(OUT_AT + 4 * r * classes, classes, softmaxCoefficient(rowScales[r]!, logSum[r]!));
  const inPlace = writesInPlace(scratch, out);
  subtractStagedLabels(scratch, {
    rows,
    length: classes,
    zFloat32,
    scales: sampleScales,
    out,
    at: 0,
    inPlace,
  });
  if (!inPlace) out.set(f32.subarray(OUT_AT >> 2, (OUT_AT >> 2) + rows * classes));
  return true;
}
