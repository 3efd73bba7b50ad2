/**
 * Residual losses in one pass (L2Loss, L1Loss, HuberLoss): with d = pred − label, the sum of
 * ℓ(d) per sample and `gradient[k] = scale(sample of k) · ℓ′(d[k])` (see residual.wat for the
 * formulas). Float32 predictions run through the wasm SIMD kernels (float64 arithmetic on the
 * widened inputs, the gradient rounded to float32 on store); otherwise the function returns false and the loss runs its TypeScript loop, which
 * is the reference the kernels are tested against.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { scalesFitFloat32 } from './_scales.js';
import { runSegments, type SampleGradients, type SegmentKernels } from './_segments.js';
import type { KernelExports, ResidualSegmentsKernel } from './runtime.js';

/** Which residual loss: d²/2, |d|, or Huber's with a given ρ. */
export type ResidualLoss =
  | { readonly kind: 'squared' }
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

/** The inputs of a residual loss's one-pass kernel: which loss, and pred and label of equal length. */
export interface ResidualInputs {
  readonly loss: ResidualLoss;
  readonly pred: TypedArray;
  readonly label: TypedArray;
}

/**
 * Writes each sample's `Σ ℓ(pred − label)` and the gradient with respect to pred (see
 * SampleGradients). Returns false (nothing written) unless `pred` is float32 and the wasm backend
 * is active, or when a scale would lose precision as a float32 (see scalesFitFloat32).
 */
export function residualLossGradient(
  { loss, pred, label }: ResidualInputs,
  samples: SampleGradients,
): boolean {
  if (!scalesFitFloat32(samples.scales)) return false;
  const kernel =
    loss.kind === 'squared'
      ? squared
      : loss.kind === 'absolute'
        ? absolute
        : residualKernels(
            (k) => k.huberResidualSegmentsNarrow,
            (k) => k.huberResidualSegments,
            loss.rho,
          );
  return runSegments({ where: 'residualLossGradient', kernel, inputs: { pred, label } }, samples);
}
