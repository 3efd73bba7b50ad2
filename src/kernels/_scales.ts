/**
 * The one-pass kernels receive their per-sample scales (weight · sampleWeight / M) as float32
 * (see _segments.ts). Rounding a scale to float32 costs at most half an ulp while it is a
 * normal float32, but a scale below 2^−126 keeps only a few significant bits as a subnormal (a
 * sampleWeight of 1e-40 over 12 elements is 8.3e-42: 1e-4 relative error, which a large slope
 * then carries into a normal gradient), and one beyond 3.4e38 becomes Infinity. Such calls run
 * the float64 TypeScript kernels instead.
 * @module
 */

/** Smallest positive normal float32, 2^−126. */
const SMALLEST_NORMAL = 2 ** -126;
/** Largest finite float32. */
const LARGEST = 3.4028234663852886e38;

/** Whether one scale keeps its value as a float32: 0, NaN, ±Infinity, or normal and finite after rounding. */
export function scaleFitsFloat32(scale: number): boolean {
  const magnitude = Math.abs(scale);
  // NaN and ±Infinity are exact in float32 (a NaN or infinite sampleWeight keeps its sample
  // non-finite, whose segment the float64 kernel then reruns on its own).
  if (magnitude === 0 || Number.isNaN(magnitude) || magnitude === Number.POSITIVE_INFINITY) return true;
  return magnitude >= SMALLEST_NORMAL && Math.fround(magnitude) <= LARGEST;
}

/** Whether every scale keeps its value as a float32 (see scaleFitsFloat32). */
export function scalesFitFloat32(scales: Float64Array): boolean {
  for (let i = 0; i < scales.length; i++) if (!scaleFitsFloat32(scales[i]!)) return false;
  return true;
}
