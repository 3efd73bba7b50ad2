/**
 * TripletLoss in one pass (see triplet.wat): per sample, ℓ = max(Σ (p − a)² − (q − a)² + margin,
 * 0) and the anchor's gradient `scale · 2 · (q − p)` on active samples, 0 elsewhere. Float32
 * anchors run through the wasm SIMD kernel (float64 arithmetic on the widened inputs); otherwise
 * the function returns false and the loss runs its TypeScript loop.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { scalesFitFloat32 } from './_scales.js';
import { runSegments, type SampleGradients } from './_segments.js';

/** The inputs of TripletLoss's one-pass kernel: three arrays of equal length and the margin. */
export interface TripletInputs {
  readonly anchor: TypedArray;
  readonly positive: TypedArray;
  readonly negative: TypedArray;
  readonly margin: number;
}

/**
 * Writes each sample's ℓ and the gradient with respect to the anchor (see SampleGradients).
 * Returns false (nothing written) unless `anchor` is float32, the wasm backend is active and a
 * sample fits one chunk of the kernel driver (16384 elements), or when a scale would lose
 * precision as a float32 (see scalesFitFloat32).
 */
export function tripletLossGradient(
  { anchor, positive, negative, margin }: TripletInputs,
  samples: SampleGradients,
): boolean {
  if (!scalesFitFloat32(samples.scales)) return false;
  return runSegments(
    {
      where: 'tripletLossGradient',
      kernel: {
        narrow: (k, [a, p, q], length, segments, scaleAt, gradientAt, sumsAt) =>
          k.tripletSegmentsNarrow(a!, p!, q!, length, segments, scaleAt, margin, gradientAt, sumsAt),
        wide: (k, [a, p, q], length, segments, scaleAt, gradientAt, sumsAt) =>
          k.tripletSegments(a!, p!, q!, length, segments, scaleAt, margin, gradientAt, sumsAt),
      },
      inputs: { anchor, positive, negative },
      piecewise: false,
    },
    samples,
  );
}
