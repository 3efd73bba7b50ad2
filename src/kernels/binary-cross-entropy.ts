/**
 * Binary cross-entropy from logits, elementwise, for SigmoidBinaryCrossEntropyLoss (labels z,
 * optional positive weight p) and LogisticLoss (signed labels y mapped to z = (y + 1)/2 by
 * `labelScale = 0.5, labelShift = 0.5`). With s(x) = log(1 + e^x):
 *
 *     ℓ = p·z·s(−x) + (1 − z)·s(x)
 *     ∂ℓ/∂x = (1 − z)·σ(x) − p·z·σ(−x)
 *     ∂ℓ/∂label = ((p − 1)·s(−x) − x) · labelScale      (−x · labelScale without p)
 *     ∂ℓ/∂p = z·s(−x)
 *
 * which is Gluon's x − x·z + (1 + (p − 1)·z)·s(−x) rearranged so that one exponential serves
 * every term, nothing overflows, and for z in [0, 1], p ≥ 0 no term cancels. Element i of a
 * call is logits/labels[offset + i] with posWeight[posWeightOffset + i] (so a broadcast
 * posWeight can be passed gathered into a block buffer, and its gradient received the same way).
 * Float32 logits run through the wasm SIMD kernels (float32 exponentials and logarithms of
 * bounded arguments, float64 for every term that involves the unbounded inputs, see
 * binary-cross-entropy.wat); float64 logits and the `'js'` backend use Math in float64.
 *
 * The probability form of SigmoidBinaryCrossEntropyLoss (`fromSigmoid`) is here too, in float64
 * Math for every dtype (see probabilityCrossEntropyForward), so each formula of the loss has
 * one home.
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import { checkSpan, type FloatArray } from './_spans.js';
import { regionBytes, reserveScratch, SCRATCH_BASE, type Scratch, wasmScratch } from './runtime.js';
import { scalesFitFloat32 } from './_scales.js';
import { runSegments, SEGMENT_KERNELS } from './_segments.js';
import type { TypedArray } from '../ndarray/dtype.js';

/** Elements per wasm call. */
const CHUNK = 4096;

/** Byte offsets of the scratch regions of one chunk (float32 regions of CHUNK, float64 of CHUNK). */
const F32_REGION = regionBytes(CHUNK * 4);
const F64_REGION = regionBytes(CHUNK * 8);
const X_AT = SCRATCH_BASE;
const Z_AT = X_AT + F32_REGION;
const P_AT = Z_AT + F32_REGION;
const WIDE_AT = P_AT + F32_REGION;
const DZ_AT = WIDE_AT + F64_REGION;
const DP_AT = DZ_AT + F32_REGION;
const SCRATCH_BYTES = DP_AT + F32_REGION - SCRATCH_BASE;

function checkInputs(
  where: string,
  logits: FloatArray,
  labels: FloatArray,
  offset: number,
  count: number,
  posWeight: FloatArray | null,
  posWeightOffset: number,
): void {
  checkSpan(where, 'logits', logits, offset, count);
  checkSpan(where, 'labels', labels, offset, count);
  if (posWeight) checkSpan(where, 'posWeight', posWeight, posWeightOffset, count);
}

/**
 * Where a backward writes: element i's gradients, each times `dLoss[dLossOffset + i]`, are
 * assigned to `dPred[1]`/`dLabels[gradOffset + i]` and `dPosWeight[dPosWeightOffset + i]` (each
 * null when not wanted; `dPosWeight` needs posWeight). `dPred[0]` names pred in messages.
 */
export interface CrossEntropyGradients {
  readonly dLoss: Float64Array;
  readonly dLossOffset: number;
  readonly dPred: readonly [name: string, gradient: FloatArray | null];
  readonly dLabels: FloatArray | null;
  readonly gradOffset: number;
  readonly dPosWeight: FloatArray | null;
  readonly dPosWeightOffset: number;
}

function checkGradients(
  where: string,
  count: number,
  posWeight: FloatArray | null,
  gradients: CrossEntropyGradients,
): void {
  const { dLoss, dLossOffset, dPred, dLabels, gradOffset, dPosWeight, dPosWeightOffset } = gradients;
  checkSpan(where, 'dLoss', dLoss, dLossOffset, count);
  if (dPred[1]) checkSpan(where, dPred[0], dPred[1], gradOffset, count);
  if (dLabels) checkSpan(where, 'dLabels', dLabels, gradOffset, count);
  if (dPosWeight) {
    if (!posWeight) throw new ValueError(`${where}: dPosWeight needs posWeight, got null`);
    checkSpan(where, 'dPosWeight', dPosWeight, dPosWeightOffset, count);
  }
}

/** Copies `length` elements of the inputs, from `offset` (`posWeightOffset`), into the scratch regions. */
function copyInputs(
  scratch: Scratch,
  logits: Float32Array,
  labels: FloatArray,
  offset: number,
  posWeight: FloatArray | null,
  posWeightOffset: number,
  length: number,
): void {
  scratch.f32.set(logits.subarray(offset, offset + length), X_AT >> 2);
  scratch.f32.set(labels.subarray(offset, offset + length), Z_AT >> 2);
  if (posWeight) scratch.f32.set(posWeight.subarray(posWeightOffset, posWeightOffset + length), P_AT >> 2);
}

/**
 * Writes ℓ (see the module comment) of elements `offset … offset + count` into
 * `loss[lossOffset …]`. `posWeight` null means p = 1.
 */
export function sigmoidBinaryCrossEntropyForward(
  logits: FloatArray,
  labels: FloatArray,
  offset: number,
  count: number,
  posWeight: FloatArray | null,
  posWeightOffset: number,
  labelScale: number,
  labelShift: number,
  loss: Float64Array,
  lossOffset: number,
): void {
  const where = 'sigmoidBinaryCrossEntropyForward';
  checkInputs(where, logits, labels, offset, count, posWeight, posWeightOffset);
  checkSpan(where, 'loss', loss, lossOffset, count);
  const scratch = reserveScratch(logits instanceof Float32Array ? wasmScratch() : null, SCRATCH_BYTES);
  if (!scratch) {
    for (let i = 0; i < count; i++) {
      const x = logits[offset + i]!;
      const z = labelScale * labels[offset + i]! + labelShift;
      const positive = (posWeight ? posWeight[posWeightOffset + i]! : 1) * z;
      const tail = Math.log1p(Math.exp(-Math.abs(x)));
      loss[lossOffset + i] = positive * (Math.max(-x, 0) + tail) + (1 - z) * (Math.max(x, 0) + tail);
    }
    return;
  }
  for (let start = 0; start < count; start += CHUNK) {
    const length = Math.min(CHUNK, count - start);
    copyInputs(
      scratch,
      logits as Float32Array,
      labels,
      offset + start,
      posWeight,
      posWeightOffset + start,
      length,
    );
    const p = posWeight ? P_AT : 0;
    scratch.kernels.sigmoidCrossEntropyForward(X_AT, Z_AT, p, length, labelScale, labelShift, WIDE_AT);
    loss.set(scratch.f64.subarray(WIDE_AT >> 3, (WIDE_AT >> 3) + length), lossOffset + start);
  }
}

/**
 * Assigns the gradients of elements `offset … offset + count`, each times
 * `dLoss[dLossOffset + i]`: to `dLogits[gradOffset + i]`, `dLabels[gradOffset + i]` and
 * `dPosWeight[dPosWeightOffset + i]` (each null when not wanted; `dPosWeight` needs
 * `posWeight`). See the module comment.
 */
export function sigmoidBinaryCrossEntropyBackward(
  logits: FloatArray,
  labels: FloatArray,
  offset: number,
  count: number,
  posWeight: FloatArray | null,
  posWeightOffset: number,
  labelScale: number,
  labelShift: number,
  dLoss: Float64Array,
  dLossOffset: number,
  dLogits: FloatArray | null,
  dLabels: FloatArray | null,
  gradOffset: number,
  dPosWeight: FloatArray | null,
  dPosWeightOffset: number,
): void {
  const where = 'sigmoidBinaryCrossEntropyBackward';
  checkInputs(where, logits, labels, offset, count, posWeight, posWeightOffset);
  checkGradients(where, count, posWeight, {
    dLoss,
    dLossOffset,
    dPred: ['dLogits', dLogits],
    dLabels,
    gradOffset,
    dPosWeight,
    dPosWeightOffset,
  });
  const scratch = reserveScratch(logits instanceof Float32Array ? wasmScratch() : null, SCRATCH_BYTES);
  if (!scratch) {
    for (let i = 0; i < count; i++) {
      const g = dLoss[dLossOffset + i]!;
      const x = logits[offset + i]!;
      const z = labelScale * labels[offset + i]! + labelShift;
      const p = posWeight ? posWeight[posWeightOffset + i]! : 1;
      const e = Math.exp(-Math.abs(x));
      // σ(x) and σ(−x), each on the side where the exponential cannot overflow.
      const large = 1 / (1 + e);
      const small = e / (1 + e);
      if (dLogits)
        dLogits[gradOffset + i] = g * ((1 - z) * (x >= 0 ? large : small) - p * z * (x >= 0 ? small : large));
      if (dLabels || dPosWeight) {
        const softplusNegative = Math.max(-x, 0) + Math.log1p(e);
        if (dLabels)
          dLabels[gradOffset + i] = g * labelScale * (posWeight ? (p - 1) * softplusNegative - x : -x);
        if (dPosWeight) dPosWeight[dPosWeightOffset + i] = g * z * softplusNegative;
      }
    }
    return;
  }
  const f32 = scratch.f32;
  for (let start = 0; start < count; start += CHUNK) {
    const length = Math.min(CHUNK, count - start);
    copyInputs(
      scratch,
      logits as Float32Array,
      labels,
      offset + start,
      posWeight,
      posWeightOffset + start,
      length,
    );
    scratch.f64.set(dLoss.subarray(dLossOffset + start, dLossOffset + start + length), WIDE_AT >> 3);
    // dX overwrites the logits in place (the kernel reads each vector before writing it).
    scratch.kernels.sigmoidCrossEntropyBackward(
      X_AT,
      Z_AT,
      posWeight ? P_AT : 0,
      length,
      labelScale,
      labelShift,
      WIDE_AT,
      dLogits ? X_AT : 0,
      dLabels ? DZ_AT : 0,
      dPosWeight ? DP_AT : 0,
    );
    if (dLogits) dLogits.set(f32.subarray(X_AT >> 2, (X_AT >> 2) + length), gradOffset + start);
    if (dLabels) dLabels.set(f32.subarray(DZ_AT >> 2, (DZ_AT >> 2) + length), gradOffset + start);
    if (dPosWeight) dPosWeight.set(f32.subarray(DP_AT >> 2, (DP_AT >> 2) + length), dPosWeightOffset + start);
  }
}

/**
 * One pass for a recorded call without posWeight: for samples of `sampleSize` consecutive
 * elements (as many as `scales` has entries), `sums[s] = Σ ℓ` over sample s and
 * `gradient[k] = scales[s] · ∂ℓ/∂logits[k]` (see the module comment, p = 1). Float32 logits run
 * through the wasm SIMD kernel (unless a scale would lose precision as a float32); float64 logits and the `'js'` backend use Math in float64.
 */
export function sigmoidBinaryCrossEntropyGradient(
  logits: TypedArray,
  labels: TypedArray,
  labelScale: number,
  labelShift: number,
  sampleSize: number,
  scales: Float64Array,
  sums: Float64Array,
  gradient: TypedArray,
): void {
  const parameters = [labelScale, labelShift];
  // Scales that lose precision as float32 run the float64 loop below (see scalesFitFloat32).
  const fast =
    scalesFitFloat32(scales) &&
    runSegments(
      'sigmoidBinaryCrossEntropyGradient',
      SEGMENT_KERNELS.sigmoidCrossEntropy!(parameters),
      [logits, labels],
      ['logits', 'labels'],
      sampleSize,
      scales,
      sums,
      gradient,
      { parallel: { kernel: 'sigmoidCrossEntropy', parameters } },
    );
  if (fast) return;
  for (let sample = 0, k = 0; sample < scales.length; sample++) {
    const scale = scales[sample]!;
    let sum = 0;
    for (const end = k + sampleSize; k < end; k++) {
      const x = logits[k]!;
      const z = labelScale * labels[k]! + labelShift;
      const e = Math.exp(-Math.abs(x));
      const tail = Math.log1p(e);
      sum += z * (Math.max(-x, 0) + tail) + (1 - z) * (Math.max(x, 0) + tail);
      // σ(x) and σ(−x), each on the side where the exponential cannot overflow.
      const large = 1 / (1 + e);
      const small = e * large;
      gradient[k] = scale * ((1 - z) * (x >= 0 ? large : small) - z * (x >= 0 ? small : large));
    }
    sums[sample] = sum;
  }
}

// ---- the probability form (float64 in JS for every dtype) ----------------------------------

/** Gluon's epsilon inside the logarithms of the probability form (kept so values match Gluon's). */
export const PROBABILITY_EPSILON = 1e-12;

/**
 * The inputs of the probability-form kernels: element i of a call is pred/labels[offset + i]
 * (pred: probabilities) with posWeight[posWeightOffset + i] (null: p = 1).
 */
export interface CrossEntropyInputs {
  readonly pred: FloatArray;
  readonly labels: FloatArray;
  readonly offset: number;
  readonly count: number;
  readonly posWeight: FloatArray | null;
  readonly posWeightOffset: number;
}

function checkProbabilityInputs(where: string, inputs: CrossEntropyInputs): void {
  const { pred, labels, offset, count, posWeight, posWeightOffset } = inputs;
  checkInputs(where, pred, labels, offset, count, posWeight, posWeightOffset);
}

// With x a probability, z the label and p the positive weight (ε = PROBABILITY_EPSILON):
//
//     ℓ = −(p·z·log(x + ε) + (1 − z)·log(1 − x + ε))
//     ∂ℓ/∂x = (1 − z)/(1 − x + ε) − p·z/(x + ε)
//     ∂ℓ/∂z = log(1 − x + ε) − p·log(x + ε)
//     ∂ℓ/∂p = −z·log(x + ε)
//
// A term c·log(a) whose coefficient and argument are both 0 is 0·log 0 = 0: the constant 0,
// which passes no gradient to anything (so its logarithm and its slope c/a count as 0).

/** log(argument) in the term coefficient·log(argument); 0 where that term is 0·log 0. */
function termLog(coefficient: number, argument: number): number {
  return coefficient === 0 && argument === 0 ? 0 : Math.log(argument);
}

/** The slope coefficient/argument of coefficient·log(argument); 0 where that term is 0·log 0. */
function termSlope(coefficient: number, argument: number): number {
  return coefficient === 0 && argument === 0 ? 0 : coefficient / argument;
}

/** Writes ℓ of the probability form (see above) of the inputs' elements into `loss[lossOffset …]`. */
export function probabilityCrossEntropyForward(
  inputs: CrossEntropyInputs,
  loss: Float64Array,
  lossOffset: number,
): void {
  const where = 'probabilityCrossEntropyForward';
  checkProbabilityInputs(where, inputs);
  const { pred, labels, offset, count, posWeight, posWeightOffset } = inputs;
  checkSpan(where, 'loss', loss, lossOffset, count);
  for (let i = 0; i < count; i++) {
    const x = pred[offset + i]!;
    const positive = (posWeight ? posWeight[posWeightOffset + i]! : 1) * labels[offset + i]!;
    const negative = 1 - labels[offset + i]!;
    const argPositive = x + PROBABILITY_EPSILON;
    const argNegative = 1 - x + PROBABILITY_EPSILON;
    loss[lossOffset + i] = -(
      positive * termLog(positive, argPositive) +
      negative * termLog(negative, argNegative)
    );
  }
}

/**
 * Assigns the probability form's gradients (see above) of the inputs' elements; `dPred` is the
 * gradient with respect to the probabilities.
 */
export function probabilityCrossEntropyBackward(
  inputs: CrossEntropyInputs,
  gradients: Omit<CrossEntropyGradients, 'dPred'> & { readonly dPred: FloatArray | null },
): void {
  const where = 'probabilityCrossEntropyBackward';
  checkProbabilityInputs(where, inputs);
  const { pred, labels, offset, count, posWeight, posWeightOffset } = inputs;
  const { dLoss, dLossOffset, dPred, dLabels, gradOffset, dPosWeight, dPosWeightOffset } = gradients;
  checkGradients(where, count, posWeight, { ...gradients, dPred: ['dPred', dPred] });
  for (let i = 0; i < count; i++) {
    const g = dLoss[dLossOffset + i]!;
    const x = pred[offset + i]!;
    const z = labels[offset + i]!;
    const p = posWeight ? posWeight[posWeightOffset + i]! : 1;
    const argPositive = x + PROBABILITY_EPSILON;
    const argNegative = 1 - x + PROBABILITY_EPSILON;
    if (dPred) dPred[gradOffset + i] = g * (termSlope(1 - z, argNegative) - termSlope(p * z, argPositive));
    if (dLabels || dPosWeight) {
      const logPositive = termLog(p * z, argPositive);
      if (dLabels) dLabels[gradOffset + i] = g * (termLog(1 - z, argNegative) - p * logPositive);
      if (dPosWeight) dPosWeight[dPosWeightOffset + i] = -g * z * logPositive;
    }
  }
}
