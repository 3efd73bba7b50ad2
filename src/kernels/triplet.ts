/**
 * TripletLoss in one pass (see triplet.wat): per sample, ℓ = max(Σ (p − a)² − (q − a)² + margin,
 * 0) and the anchor's gradient `scale · 2 · (q − p)` on active samples, 0 elsewhere. Float32
 * anchors run through the wasm SIMD kernel (float64 arithmetic on the widened inputs); otherwise
 * the function returns false and the loss runs its TypeScript loop.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { scalesFitFloat32 } from './_scales.js';
import { runSegments } from './_segments.js';

/**
 * For samples of `sampleSize` consecutive elements (as many as `scales` has entries): writes
 * `sums[s] = ℓ` of sample s and `gradient[k] = scales[s] · ∂ℓ/∂anchor[k]` for its elements.
 * Returns false (nothing written) unless `anchor` is float32, the wasm backend is active and a
 * sample fits one chunk of the kernel driver (16384 elements), or when a scale would lose
 * precision as a float32 (see scalesFitFloat32).
 */
export function tripletLossGradient(
  anchor: TypedArray,
  positive: TypedArray,
  negative: TypedArray,
  margin: number,
  sampleSize: number,
  scales: Float64Array,
  sums: Float64Array,
  gradient: TypedArray,
): boolean {
  if (!scalesFitFloat32(scales)) return false;
  return runSegments(
    'tripletLossGradient',
    {
      narrow: (k, [a, p, q], length, segments, scaleAt, gradientAt, sumsAt) =>
        k.tripletSegmentsNarrow(a!, p!, q!, length, segments, scaleAt, margin, gradientAt, sumsAt),
      wide: (k, [a, p, q], length, segments, scaleAt, gradientAt, sumsAt) =>
        k.tripletSegments(a!, p!, q!, length, segments, scaleAt, margin, gradientAt, sumsAt),
    },
    [anchor, positive, negative],
    ['anchor', 'positive', 'negative'],
    sampleSize,
    scales,
    sums,
    gradient,
    { piecewise: false },
  );
}
