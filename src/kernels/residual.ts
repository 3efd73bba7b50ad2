/**
 * Residual losses in one pass (L2Loss, MSELoss, L1Loss, HuberLoss, SmoothL1Loss): with d = pred − label, the sum of
 * ℓ(d) per sample and `gradient[k] = scale(sample of k) · ℓ′(d[k])` (see residual.wat for the
 * formulas), and the block path's values and slopes. Float32 predictions run through the wasm
 * SIMD kernels (float64 arithmetic on the widened inputs, the gradient rounded to float32 on
 * store); everything else runs the float64 TypeScript loops here, which are the reference the
 * kernels are tested against. This file is the only TypeScript home of these formulas.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { scalesFitFloat32 } from './_scales.js';
import { checkSamples, runSegments, type SampleGradients, type SegmentKernels } from './_segments.js';
import type { KernelExports, ResidualSegmentsKernel } from './kernel-exports.js';

/** Which residual loss: d²/2, d² (MSE), |d|, or Huber's with a given ρ > 0. */
export type ResidualLoss =
  | { readonly kind: 'squared' }
  | { readonly kind: 'squaredError' }
  | { readonly kind: 'absolute' }
  | { readonly kind: 'huber'; readonly rho: number };

/** The kernel pair of `narrow` and `wide` residual kernels with Huber's ρ (1 for the others). */
function residualKernels(
  narrow: (k: KernelExports) => ResidualSegmentsKernel,
  wide: (k: KernelExports) => ResidualSegmentsKernel,
  rho: number,
): SegmentKernels {
  return {
    narrow: (k, [pred, label], length, segments, scales, gradient, sums) =>
      narrow(k)(pred!, label!, length, segments, scales, rho, gradient, sums),
    wide: (k, [pred, label], length, segments, scales, gradient, sums) =>
      wide(k)(pred!, label!, length, segments, scales, rho, gradient, sums),
  };
}

const squared = residualKernels(
  (k) => k.squaredResidualSegmentsNarrow,
  (k) => k.squaredResidualSegments,
  1,
);
const absolute = residualKernels(
  (k) => k.absoluteResidualSegmentsNarrow,
  (k) => k.absoluteResidualSegments,
  1,
);

/** A residual loss's operands: which loss, and pred and label, views of equal length. */
export interface ResidualInputs {
  readonly loss: ResidualLoss;
  readonly pred: TypedArray;
  readonly label: TypedArray;
}

/** Where the block backward writes, as views of the span's length (null when not wanted). */
export interface ResidualGradients {
  readonly dLoss: Float64Array;
  readonly dPred: TypedArray | null;
  readonly dLabel: TypedArray | null;
}

// ---- the float64 reference: one loop per loss, so each stays monomorphic ----------------------

/** `values[i] = ℓ(label[i] − pred[i])` over the span. */
export function residualValues({ loss, pred, label }: ResidualInputs, values: Float64Array): void {
  const count = pred.length;
  if (loss.kind === 'squared' || loss.kind === 'squaredError') {
    const half = loss.kind === 'squared' ? 0.5 : 1;
    for (let i = 0; i < count; i++) {
      const d = label[i]! - pred[i]!;
      values[i] = half * d * d;
    }
  } else if (loss.kind === 'absolute') {
    for (let i = 0; i < count; i++) values[i] = Math.abs(label[i]! - pred[i]!);
  } else {
    const { rho } = loss;
    const halfOverRho = 0.5 / rho;
    const halfRho = 0.5 * rho;
    for (let i = 0; i < count; i++)
      values[i] = huberValue(Math.abs(label[i]! - pred[i]!), rho, halfRho, halfOverRho);
  }
}

/**
 * `dPred[i] = dLoss[i] · ℓ′(pred[i] − label[i])` and `dLabel[i]` its negation (ℓ depends on the
 * residual only), over the span.
 */
export function residualSlopes(inputs: ResidualInputs, { dLoss, dPred, dLabel }: ResidualGradients): void {
  if (dPred) slopesInto(inputs, dLoss, 1, dPred);
  if (dLabel) slopesInto(inputs, dLoss, -1, dLabel);
}

function slopesInto(
  { loss, pred, label }: ResidualInputs,
  dLoss: Float64Array,
  sign: 1 | -1,
  out: TypedArray,
): void {
  const count = pred.length;
  if (loss.kind === 'squared' || loss.kind === 'squaredError') {
    // dℓ/dpred = c·(pred − label) and dℓ/dlabel = c·(label − pred) (c = 1 for ½d², 2 for d²), each
    // subtracted in its own order so that a zero residual gives +0 to both.
    const [from, to] = sign === 1 ? [pred, label] : [label, pred];
    const twice = loss.kind === 'squared' ? 1 : 2;
    for (let i = 0; i < count; i++) out[i] = twice * dLoss[i]! * (from[i]! - to[i]!);
  } else if (loss.kind === 'absolute') {
    for (let i = 0; i < count; i++) out[i] = sign * (dLoss[i]! * absoluteSlope(pred[i]! - label[i]!));
  } else {
    const { rho } = loss;
    const inverseRho = 1 / rho;
    for (let i = 0; i < count; i++)
      out[i] = sign * (dLoss[i]! * huberSlope(pred[i]! - label[i]!, rho, inverseRho));
  }
}

/**
 * d|d|/dd = sign(d): 0 at a zero residual, NaN for a NaN one (d · 0). Taken as (d > 0) − (d < 0),
 * which compiles without branches (random residual signs made a `d > 0 ? 1 : d < 0 ? -1 : …`
 * chain mispredict half the time, 3-4× slower); `|| d · 0` then only runs for ±0 and NaN.
 */
function absoluteSlope(d: number): number {
  return +(d > 0) - +(d < 0) || d * 0;
}

/**
 * Huber's ℓ of a residual magnitude d ≥ 0: d²/(2ρ) up to ρ, d − ρ/2 beyond. The branch is taken
 * about half the time on real residuals and mispredicts, so it is a select: with q ∈ {0, 1},
 * q·a + (1 − q)·b is exactly a or b (0·x + b = b). Only an infinite (or overflowing) residual
 * makes 0·∞ = NaN; that rare case takes the exact branch. A NaN d fails `d > rho` and takes the
 * quadratic branch, which keeps it NaN.
 */
function huberValue(d: number, rho: number, halfRho: number, halfOverRho: number): number {
  const outside = +(d > rho);
  const value = outside * (d - halfRho) + (1 - outside) * (halfOverRho * d * d);
  if (Number.isNaN(value) && !Number.isNaN(d)) return d > rho ? d - halfRho : halfOverRho * d * d;
  return value;
}

/**
 * Huber's dℓ/dd = clamp(d/ρ, −1, 1) with the quadratic branch at |d| = ρ, as a branch-free
 * select (see huberValue): exactly 1, −1 or d/ρ. Only an infinite d makes 0·∞ = NaN; it takes
 * the exact branch. A NaN d stays NaN.
 */
function huberSlope(d: number, rho: number, inverseRho: number): number {
  const above = +(d > rho);
  const below = +(d < -rho);
  const slope = above - below + (1 - above - below) * (d * inverseRho);
  if (Number.isNaN(slope) && !Number.isNaN(d)) return d > 0 ? 1 : -1;
  return slope;
}

/** The one-pass float64 loops (the reference of the wasm kernels). */
function residualSumsReference({ loss, pred: p, label: y }: ResidualInputs, samples: SampleGradients): void {
  const { sampleSize, scales, sums, gradient } = samples;
  if (loss.kind === 'squared' || loss.kind === 'squaredError') {
    // ℓ = c·d²/2 with c = 1 (L2) or 2 (MSE), gradient c·scale·d. Two partial sums: one chain of
    // dependent float64 adds would bound the loop.
    const twice = loss.kind === 'squared' ? 1 : 2;
    for (let sample = 0, k = 0; sample < scales.length; sample++) {
      const scale = twice * scales[sample]!;
      const end = k + sampleSize;
      let even = 0;
      let odd = 0;
      for (; k + 2 <= end; k += 2) {
        const d0 = p[k]! - y[k]!;
        const d1 = p[k + 1]! - y[k + 1]!;
        even += d0 * d0;
        odd += d1 * d1;
        gradient[k] = scale * d0;
        gradient[k + 1] = scale * d1;
      }
      if (k < end) {
        const d = p[k]! - y[k]!;
        even += d * d;
        gradient[k++] = scale * d;
      }
      sums[sample] = 0.5 * twice * (even + odd);
    }
    return;
  }
  if (loss.kind === 'absolute') {
    for (let sample = 0, k = 0; sample < scales.length; sample++) {
      const scale = scales[sample]!;
      let sum = 0;
      for (const end = k + sampleSize; k < end; k++) {
        const d = p[k]! - y[k]!;
        sum += Math.abs(d);
        gradient[k] = scale * absoluteSlope(d);
      }
      sums[sample] = sum;
    }
    return;
  }
  const { rho } = loss;
  const halfOverRho = 0.5 / rho;
  const halfRho = 0.5 * rho;
  const inverseRho = 1 / rho;
  for (let sample = 0, k = 0; sample < scales.length; sample++) {
    const scale = scales[sample]!;
    let sum = 0;
    for (const end = k + sampleSize; k < end; k++) {
      const d = p[k]! - y[k]!;
      sum += huberValue(Math.abs(d), rho, halfRho, halfOverRho);
      gradient[k] = scale * huberSlope(d, rho, inverseRho);
    }
    sums[sample] = sum;
  }
}

// ---- the wasm driver ---------------------------------------------------------------------------

/**
 * Writes each sample's `Σ ℓ(pred − label)` and the gradient with respect to pred (see
 * SampleGradients). Float32 pred and label run through the wasm kernels on that backend (mixed
 * dtypes are declined by runSegments: a float64 label would be rounded to float32 first, which
 * at a tiny residual flips L1's gradient sign); everything else, and a scale that would lose
 * precision as a float32 (see scalesFitFloat32), runs the float64 loops above. Returns whether
 * the wasm kernel ran.
 */
export function residualLossGradient(inputs: ResidualInputs, samples: SampleGradients): boolean {
  const { loss, pred, label } = inputs;
  checkSamples('residualLossGradient', { pred, label }, samples);
  if (!scalesFitFloat32(samples.scales)) {
    residualSumsReference(inputs, samples);
    return false;
  }
  // d² is 2 · (½d²): the ½d² kernel with the scales doubled, then the sums doubled (both exact).
  const doubled = loss.kind === 'squaredError';
  const run = doubled ? { ...samples, scales: samples.scales.map((scale) => 2 * scale) } : samples;
  const call = { where: 'residualLossGradient', kernel: wasmKernels(loss), inputs: { pred, label } };
  const fast = runSegments(call, run);
  if (!fast) residualSumsReference(inputs, samples);
  else if (doubled) for (let s = 0; s < samples.sums.length; s++) samples.sums[s]! *= 2;
  return fast;
}

function wasmKernels(loss: ResidualLoss): SegmentKernels {
  if (loss.kind === 'squared' || loss.kind === 'squaredError') return squared;
  if (loss.kind === 'absolute') return absolute;
  return residualKernels(
    (k) => k.huberResidualSegmentsNarrow,
    (k) => k.huberResidualSegments,
    loss.rho,
  );
}
