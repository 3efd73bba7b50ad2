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
 * every term, nothing overflows, and for z in [0, 1], p ≥ 0 no term cancels. A call takes views
 * of one span of elements, all of the same length (a broadcast posWeight is passed gathered into
 * a block buffer, and its gradient received the same way).
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
import type { FloatArray } from './_spans.js';
import { regionBytes, reserveScratch, SCRATCH_BASE, type Scratch, wasmScratch } from './runtime.js';
import { scalesFitFloat32 } from './_scales.js';
import { runSegments, SEGMENT_KERNELS, type SampleGradients } from './_segments.js';
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

/**
 * The logits form's operands over one span of elements: views of equal length. z = labelScale ·
 * label + labelShift (1 and 0 for SigmoidBCE, ½ and ½ for LogisticLoss's ±1 labels).
 */
export interface LogitCrossEntropyInputs {
  readonly logits: FloatArray;
  readonly labels: FloatArray;
  /** The positive weight p of each element, or null for p = 1. */
  readonly posWeight: FloatArray | null;
  readonly labelScale: number;
  readonly labelShift: number;
}

/**
 * Where a backward writes, as views of the span's length: each element's gradients times
 * `dLoss[i]` are assigned to `dPred[i]`, `dLabels[i]` and `dPosWeight[i]` (each null when not
 * wanted; `dPosWeight` needs posWeight).
 */
export interface CrossEntropyGradients {
  readonly dLoss: Float64Array;
  readonly dPred: FloatArray | null;
  readonly dLabels: FloatArray | null;
  readonly dPosWeight: FloatArray | null;
}

/** Throws a ValueError unless every view of the call holds `count` elements. */
function checkViews(
  where: string,
  count: number,
  views: Readonly<Record<string, { readonly length: number } | null>>,
): void {
  for (const [name, view] of Object.entries(views)) {
    if (view && view.length !== count)
      throw new ValueError(
        `${where}: ${name} has ${view.length} elements, expected ${count} (the length of the first input)`,
      );
  }
}

function checkGradients(
  where: string,
  count: number,
  posWeight: FloatArray | null,
  gradients: CrossEntropyGradients,
): void {
  const { dLoss, dPred, dLabels, dPosWeight } = gradients;
  checkViews(where, count, { dLoss, dPred, dLabels, dPosWeight });
  if (dPosWeight && !posWeight) throw new ValueError(`${where}: dPosWeight needs posWeight, got null`);
}

/**
 * Whether the float32 block kernels may take these operands: every array float32 (runSegments
 * applies the same rule to the one-pass kernels). A float64 label or positive weight beside
 * float32 logits takes the float64 loops instead: staged into wasm memory it would be rounded to
 * float32, and a float64 label's gradient −scale·x would be a float32 product (overflowing to ±∞
 * past 3.4e38).
 */
function float32Operands({ logits, labels, posWeight }: LogitCrossEntropyInputs): boolean {
  return (
    logits instanceof Float32Array &&
    labels instanceof Float32Array &&
    (posWeight === null || posWeight instanceof Float32Array)
  );
}

/**
 * Copies the elements `start … start + length` of the inputs into the scratch regions and returns
 * the operands both wasm kernels start with, which point at them (runtime.ts's
 * LogitCrossEntropyOperands).
 */
function stageInputs(scratch: Scratch, inputs: LogitCrossEntropyInputs, start: number, length: number) {
  const { logits, labels, posWeight, labelScale, labelShift } = inputs;
  scratch.f32.set(logits.subarray(start, start + length), X_AT >> 2);
  scratch.f32.set(labels.subarray(start, start + length), Z_AT >> 2);
  if (posWeight) scratch.f32.set(posWeight.subarray(start, start + length), P_AT >> 2);
  return [X_AT, Z_AT, posWeight ? P_AT : 0, length, labelScale, labelShift] as const;
}

/** Writes ℓ (see the module comment) of each element of the span into `loss` (same length). */
export function sigmoidBinaryCrossEntropyForward(inputs: LogitCrossEntropyInputs, loss: Float64Array): void {
  const { logits, labels, posWeight, labelScale, labelShift } = inputs;
  const count = logits.length;
  checkViews('sigmoidBinaryCrossEntropyForward', count, { labels, posWeight, loss });
  const scratch = reserveScratch(float32Operands(inputs) ? wasmScratch() : null, SCRATCH_BYTES);
  if (!scratch) {
    for (let i = 0; i < count; i++) {
      const x = logits[i]!;
      const z = labelScale * labels[i]! + labelShift;
      const positive = (posWeight ? posWeight[i]! : 1) * z;
      const tail = Math.log1p(Math.exp(-Math.abs(x)));
      loss[i] = positive * (Math.max(-x, 0) + tail) + (1 - z) * (Math.max(x, 0) + tail);
    }
    return;
  }
  for (let start = 0; start < count; start += CHUNK) {
    const length = Math.min(CHUNK, count - start);
    scratch.kernels.sigmoidCrossEntropyForward(...stageInputs(scratch, inputs, start, length), WIDE_AT);
    loss.set(scratch.f64.subarray(WIDE_AT >> 3, (WIDE_AT >> 3) + length), start);
  }
}

/** Assigns the gradients of each element of the span (see CrossEntropyGradients and the module comment). */
export function sigmoidBinaryCrossEntropyBackward(
  inputs: LogitCrossEntropyInputs,
  gradients: CrossEntropyGradients,
): void {
  const where = 'sigmoidBinaryCrossEntropyBackward';
  const { logits, labels, posWeight, labelScale, labelShift } = inputs;
  const { dLoss, dPred, dLabels, dPosWeight } = gradients;
  const count = logits.length;
  checkViews(where, count, { labels, posWeight });
  checkGradients(where, count, posWeight, gradients);
  const scratch = reserveScratch(float32Operands(inputs) ? wasmScratch() : null, SCRATCH_BYTES);
  if (!scratch) {
    for (let i = 0; i < count; i++) {
      const g = dLoss[i]!;
      const x = logits[i]!;
      const z = labelScale * labels[i]! + labelShift;
      const p = posWeight ? posWeight[i]! : 1;
      const e = Math.exp(-Math.abs(x));
      // σ(x) and σ(−x), each on the side where the exponential cannot overflow.
      const large = 1 / (1 + e);
      const small = e / (1 + e);
      if (dPred) dPred[i] = g * ((1 - z) * (x >= 0 ? large : small) - p * z * (x >= 0 ? small : large));
      if (dLabels || dPosWeight) {
        const softplusNegative = Math.max(-x, 0) + Math.log1p(e);
        if (dLabels) dLabels[i] = g * labelScale * (posWeight ? (p - 1) * softplusNegative - x : -x);
        if (dPosWeight) dPosWeight[i] = g * z * softplusNegative;
      }
    }
    return;
  }
  const f32 = scratch.f32;
  for (let start = 0; start < count; start += CHUNK) {
    const length = Math.min(CHUNK, count - start);
    const operands = stageInputs(scratch, inputs, start, length);
    scratch.f64.set(dLoss.subarray(start, start + length), WIDE_AT >> 3);
    // dX overwrites the logits in place (the kernel reads each vector before writing it).
    scratch.kernels.sigmoidCrossEntropyBackward(
      ...operands,
      WIDE_AT,
      dPred ? X_AT : 0,
      dLabels ? DZ_AT : 0,
      dPosWeight ? DP_AT : 0,
    );
    if (dPred) dPred.set(f32.subarray(X_AT >> 2, (X_AT >> 2) + length), start);
    if (dLabels) dLabels.set(f32.subarray(DZ_AT >> 2, (DZ_AT >> 2) + length), start);
    if (dPosWeight) dPosWeight.set(f32.subarray(DP_AT >> 2, (DP_AT >> 2) + length), start);
  }
}

/** The one-pass kernel's operands: whole arrays (every sample), p = 1. */
export interface LogitCrossEntropySamples {
  readonly logits: TypedArray;
  readonly labels: TypedArray;
  readonly labelScale: number;
  readonly labelShift: number;
}

/**
 * One pass for a recorded call without posWeight: each sample's Σ ℓ and the gradient with
 * respect to the logits (see SampleGradients and the module comment, p = 1). Float32 logits run
 * through the wasm SIMD kernel (unless a scale would lose precision as a float32); float64
 * logits and the `'js'` backend use Math in float64.
 */
export function sigmoidBinaryCrossEntropyGradient(
  { logits, labels, labelScale, labelShift }: LogitCrossEntropySamples,
  samples: SampleGradients,
): void {
  const { sampleSize, scales, sums, gradient } = samples;
  const parameters = [labelScale, labelShift];
  // Scales that lose precision as float32 run the float64 loop below (see scalesFitFloat32), and
  // so do float64 labels beside float32 logits (runSegments declines them, as float32Operands).
  const fast =
    scalesFitFloat32(scales) &&
    runSegments(
      {
        where: 'sigmoidBinaryCrossEntropyGradient',
        kernel: SEGMENT_KERNELS.sigmoidCrossEntropy!(parameters),
        inputs: { logits, labels },
        parallel: { kernel: 'sigmoidCrossEntropy', parameters },
      },
      samples,
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

/** The probability form's operands over one span of elements: views of equal length. */
export interface ProbabilityCrossEntropyInputs {
  /** Probabilities. */
  readonly pred: FloatArray;
  readonly labels: FloatArray;
  /** The positive weight p of each element, or null for p = 1. */
  readonly posWeight: FloatArray | null;
  /** z = labelScale · label + labelShift, as the logits form (1 and 0: the label itself). */
  readonly labelScale: number;
  readonly labelShift: number;
}

// With x a probability, z = labelScale · label + labelShift and p the positive weight
// (ε = PROBABILITY_EPSILON):
//
//     ℓ = −(p·z·log(x + ε) + (1 − z)·log(1 − x + ε))
//     ∂ℓ/∂x = (1 − z)/(1 − x + ε) − p·z/(x + ε)
//     ∂ℓ/∂label = (log(1 − x + ε) − p·log(x + ε)) · labelScale
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

/** Writes ℓ of the probability form (see above) of each element of the span into `loss` (same length). */
export function probabilityCrossEntropyForward(
  inputs: ProbabilityCrossEntropyInputs,
  loss: Float64Array,
): void {
  const { pred, labels, posWeight, labelScale, labelShift } = inputs;
  const count = pred.length;
  checkViews('probabilityCrossEntropyForward', count, { labels, posWeight, loss });
  for (let i = 0; i < count; i++) {
    const x = pred[i]!;
    const z = labelScale * labels[i]! + labelShift;
    const positive = (posWeight ? posWeight[i]! : 1) * z;
    const negative = 1 - z;
    const argPositive = x + PROBABILITY_EPSILON;
    const argNegative = 1 - x + PROBABILITY_EPSILON;
    loss[i] = -(positive * termLog(positive, argPositive) + negative * termLog(negative, argNegative));
  }
}

/**
 * Assigns the probability form's gradients (see above) of each element of the span; `dPred` is
 * the gradient with respect to the probabilities.
 */
export function probabilityCrossEntropyBackward(
  inputs: ProbabilityCrossEntropyInputs,
  gradients: CrossEntropyGradients,
): void {
  const where = 'probabilityCrossEntropyBackward';
  const { pred, labels, posWeight, labelScale, labelShift } = inputs;
  const { dLoss, dPred, dLabels, dPosWeight } = gradients;
  const count = pred.length;
  checkViews(where, count, { labels, posWeight });
  checkGradients(where, count, posWeight, gradients);
  for (let i = 0; i < count; i++) {
    const g = dLoss[i]!;
    const x = pred[i]!;
    const z = labelScale * labels[i]! + labelShift;
    const p = posWeight ? posWeight[i]! : 1;
    const argPositive = x + PROBABILITY_EPSILON;
    const argNegative = 1 - x + PROBABILITY_EPSILON;
    if (dPred) dPred[i] = g * (termSlope(1 - z, argNegative) - termSlope(p * z, argPositive));
    if (dLabels || dPosWeight) {
      const logPositive = termLog(p * z, argPositive);
      // labelScale inside the float64 product: a slope past float32's range can still fit once scaled.
      if (dLabels) dLabels[i] = g * labelScale * (termLog(1 - z, argNegative) - p * logPositive);
      if (dPosWeight) dPosWeight[i] = -g * z * logPositive;
    }
  }
}
