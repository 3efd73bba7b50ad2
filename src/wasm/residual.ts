/**
 * Residual losses in one pass (L2Loss, L1Loss, HuberLoss): with d = pred − label, the sum of
 * ℓ(d) per sample and `gradient[k] = scale(sample of k) · ℓ′(d[k])` (see residual.wat for the
 * formulas). Float32 predictions run through the wasm SIMD kernel (float32 arithmetic, the sums
 * in float64); otherwise the function returns false and the loss runs its TypeScript loop, which
 * is the reference the kernel is tested against.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { ValueError } from '../ndarray/errors.js';
import { checkSpan } from './_spans.js';
import { ARENA_SCRATCH_BYTES, arenaScratch, regionBytes, reserveScratch, SCRATCH_BASE } from './runtime.js';

/** Elements per wasm call. */
const CHUNK = 16384;
const F32_REGION = regionBytes(CHUNK * 4);
const PRED_AT = SCRATCH_BASE;
const LABEL_AT = PRED_AT + F32_REGION;
const GRADIENT_AT = LABEL_AT + F32_REGION;
const SCALES_AT = GRADIENT_AT + F32_REGION;
const SUMS_AT = SCALES_AT + F32_REGION;
const SCRATCH_BYTES = SUMS_AT + regionBytes(CHUNK * 8) - SCRATCH_BASE;
if (SCRATCH_BYTES > ARENA_SCRATCH_BYTES)
  throw new Error('residual.ts: scratch exceeds the arena scratch area');

/** Which residual loss: d²/2, |d|, or Huber's with a given ρ. */
export type ResidualLoss =
  | { readonly kind: 'squared' }
  | { readonly kind: 'absolute' }
  | { readonly kind: 'huber'; readonly rho: number };

/**
 * For samples of `sampleSize` consecutive elements (as many as `scales` has entries): writes
 * `sums[s] = Σ ℓ` over sample s and `gradient[k] = scales[s] · ∂ℓ/∂pred[k]` for its elements.
 * Returns false (nothing written) unless `pred` is float32 and the wasm backend is active.
 */
export function residualLossGradient(
  loss: ResidualLoss,
  pred: TypedArray,
  label: TypedArray,
  sampleSize: number,
  scales: Float64Array,
  sums: Float64Array,
  gradient: TypedArray,
): boolean {
  if (!(pred instanceof Float32Array)) return false;
  // Run on the arena instance, so a gradient leased there (lendFloat32) is written in place.
  const scratch = reserveScratch(arenaScratch(), SCRATCH_BYTES);
  if (!scratch) return false;
  const where = 'residualLossGradient';
  if (!Number.isInteger(sampleSize) || sampleSize < 1)
    throw new ValueError(`${where}: sampleSize must be a positive integer, got ${sampleSize}`);
  const samples = scales.length;
  const total = samples * sampleSize;
  checkSpan(where, 'pred', pred, 0, total);
  checkSpan(where, 'label', label, 0, total);
  checkSpan(where, 'gradient', gradient, 0, total);
  checkSpan(where, 'sums', sums, 0, samples);
  const { f32, f64, kernels } = scratch;
  const inPlace = gradient instanceof Float32Array && gradient.buffer === f32.buffer;
  const kernel = kernels[`${loss.kind}ResidualSegments`];
  const rho = loss.kind === 'huber' ? loss.rho : 1;
  const run = (start: number, length: number, segments: number, firstSample: number) => {
    const count = length * segments;
    f32.set(pred.subarray(start, start + count), PRED_AT >> 2);
    f32.set(label.subarray(start, start + count), LABEL_AT >> 2);
    f32.set(scales.subarray(firstSample, firstSample + segments), SCALES_AT >> 2);
    if (inPlace) {
      kernel(PRED_AT, LABEL_AT, length, segments, SCALES_AT, rho, gradient.byteOffset + 4 * start, SUMS_AT);
    } else {
      kernel(PRED_AT, LABEL_AT, length, segments, SCALES_AT, rho, GRADIENT_AT, SUMS_AT);
      gradient.set(f32.subarray(GRADIENT_AT >> 2, (GRADIENT_AT >> 2) + count), start);
    }
  };
  if (sampleSize <= CHUNK) {
    // Whole samples per call, as many as fit in a chunk.
    const perCall = Math.floor(CHUNK / sampleSize);
    for (let sample = 0; sample < samples; sample += perCall) {
      const segments = Math.min(perCall, samples - sample);
      run(sample * sampleSize, sampleSize, segments, sample);
      sums.set(f64.subarray(SUMS_AT >> 3, (SUMS_AT >> 3) + segments), sample);
    }
    return true;
  }
  // A sample larger than a chunk: its pieces' sums are added up.
  for (let sample = 0; sample < samples; sample++) {
    let sum = 0;
    for (let offset = 0; offset < sampleSize; offset += CHUNK) {
      const length = Math.min(CHUNK, sampleSize - offset);
      run(sample * sampleSize + offset, length, 1, sample);
      sum += f64[SUMS_AT >> 3]!;
    }
    sums[sample] = sum;
  }
  return true;
}
