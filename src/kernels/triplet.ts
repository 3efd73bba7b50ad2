/**
 * TripletLoss's formula: per sample, the gap Σ (p − a)² − (q − a)² + margin, ℓ = max(gap, 0), and
 * the anchor's gradient `scale · 2 · (q − p)` on active samples, 0 elsewhere. The float64 loops
 * (any dtype, the `'js'` backend, mixed dtypes) and the one-pass wasm driver (float32, see
 * triplet.wat and triplet-narrow.wat) live here side by side.
 *
 * **The sign of the gap is exact.** The terms can cancel below their own rounding errors (a row
 * with 1e30 and 3.4e38 against a row with 3.4e38 and −1.6: squares of ~1e77 whose true sum is
 * ~1e60, below the ~1e61 rounding of the float64 sum), and then the computed gap is rounding
 * noise whose sign picks the gradient's branch: 0 on one side, 2·(q − p) on the other. So every
 * path bounds its rounding error (see {@link tripletGap}) and recomputes a sample whose gap is
 * within that bound of 0 exactly, in BigInt arithmetic (kernels/_exact.ts), rounded once: the
 * same ℓ and the same branch on every path and backend. On ordinary inputs the bound is a few
 * ulps of the row's squared distances, so the exact path runs only for a gap that is zero to
 * within rounding.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { roundScaled, SCALE, scaledInteger } from './_exact.js';
import { scalesFitFloat32 } from './_scales.js';
import { reluPassingNaN } from './margin.js';
import { runSegments, type SampleGradients } from './_segments.js';

/** The inputs of TripletLoss's kernels: three arrays of equal length and the margin. */
export interface TripletInputs {
  readonly anchor: TypedArray;
  readonly positive: TypedArray;
  readonly negative: TypedArray;
  readonly margin: number;
}

/**
 * The elements of one sample: `runs` runs of `length` contiguous elements, `stride` apart, the
 * first at `first` (one run when the batch axis leads).
 */
export interface SampleElements {
  first: number;
  readonly runs: number;
  readonly stride: number;
  readonly length: number;
}

// ---- the float64 loops -------------------------------------------------------------------------

/**
 * The sample's gap Σ (p − a)² − (q − a)² + margin in float64, or, where its rounding error could
 * reach 0 (the bound below), the exact gap rounded once. NaN or ±Infinity when an input is.
 *
 * Derivation of each term: (p − a)² − (q − a)² = ((p − a) − (q − a)) · ((p − a) + (q − a)) =
 * (p − q) · (p + q − 2a). The difference of squares loses every digit when a is far from both p
 * and q (both squares round to a², while the true term 2a · (q − p) may be ~1e38); the product of
 * the two factors keeps them, at the same count of operations.
 */
export function tripletGap(inputs: TripletInputs, sample: SampleElements): number {
  const { anchor: a, positive: p, negative: q, margin } = inputs;
  const { first, runs, stride, length } = sample;
  let distance = 0;
  let size = 0;
  for (let run = 0; run < runs; run++) {
    for (let k = first + run * stride, last = k + length; k < last; k++) {
      // Each element read once (V8 does not merge repeated typed-array loads).
      const positive = p[k]!;
      const negative = q[k]!;
      const anchor = a[k]!;
      const difference = positive - negative;
      const total = positive + negative;
      const term = difference * (total - (anchor + anchor));
      distance += term;
      // |d| · (|s| + |t|) as |d · s| + |d · t|: the scale of the term's rounding error.
      size += Math.abs(term) + Math.abs(difference * total);
    }
  }
  const gap = distance + margin;
  const count = runs * length;
  // The gap has the true one's sign when |gap| clears the bound of its rounding error. Each term
  // d · s (d = p − q, t = p + q, s = t − 2a, u = 2^−53) is off by at most ~3u · |d| · (|s| + |t|):
  // t's rounding is carried through s unscaled, hence |t|. A sum of n terms adds (n − 1)u ·
  // Σ|d · s|, so the bound is (n + 8)u · Σ |d| · (|s| + |t|), plus n · 2^−1073 for terms that
  // underflow. A NaN gap never clears it; exactGap then keeps it (an input is not finite).
  if (Math.abs(gap) > size * ((count + 8) * 2 ** -53) + count * 2 ** -1073) return gap;
  return exactGap(inputs, sample) ?? gap;
}

/**
 * The sample's gap computed exactly (each input times 2^1074 is an integer: see _exact.ts) and
 * rounded once to the nearest double; null when an input is NaN or infinite (the IEEE result of
 * the float64 loop then stands).
 */
export function exactGap(inputs: TripletInputs, sample: SampleElements): number | null {
  const { anchor: a, positive: p, negative: q, margin } = inputs;
  let distance = 0n;
  for (let run = 0, at = sample.first; run < sample.runs; run++, at += sample.stride) {
    for (let k = at, last = at + sample.length; k < last; k++) {
      if (!(Number.isFinite(a[k]!) && Number.isFinite(p[k]!) && Number.isFinite(q[k]!))) return null;
      const anchor = scaledInteger(a[k]!);
      const positive = scaledInteger(p[k]!);
      const negative = scaledInteger(q[k]!);
      distance += (positive - negative) * (positive + negative - (anchor + anchor));
    }
  }
  // The terms are scaled by 2^(2·SCALE): the margin joins them at that scale.
  return roundScaled(distance + (scaledInteger(margin) << BigInt(SCALE)), 2 * SCALE);
}

/**
 * Sample n's ℓ = max(gap, 0) (a NaN gap kept) into `sums`, and its anchor gradient: 2 · scale ·
 * (q − p) where it is active (NaN where ℓ is NaN), exact zeros where it is not (not 0 · (q − p),
 * which an infinite input would make NaN).
 */
function writeSample(inputs: TripletInputs, samples: SampleGradients, n: number, gap: number): void {
  const { sampleSize, scales, sums, gradient } = samples;
  const loss = reluPassingNaN(gap);
  sums[n] = loss;
  const first = n * sampleSize;
  if (loss === 0) {
    gradient.fill(0, first, first + sampleSize);
    return;
  }
  const { positive: p, negative: q } = inputs;
  const g = 2 * scales[n]! * (Number.isNaN(loss) ? loss : 1);
  for (let k = first; k < first + sampleSize; k++) gradient[k] = g * (q[k]! - p[k]!);
}

/** {@link tripletLossGradient}'s float64 loops, on samples of `sampleSize` contiguous elements. */
export function tripletLossGradientFloat64(inputs: TripletInputs, samples: SampleGradients): void {
  const sample: SampleElements = { first: 0, runs: 1, stride: 0, length: samples.sampleSize };
  for (let n = 0; n < samples.scales.length; n++) {
    sample.first = n * samples.sampleSize;
    writeSample(inputs, samples, n, tripletGap(inputs, sample));
  }
}

// ---- the wasm driver ---------------------------------------------------------------------------

/**
 * Writes each sample's ℓ and the gradient with respect to the anchor (see SampleGradients).
 * Returns false (nothing written) unless `anchor` is float32, the wasm backend is active and a
 * sample fits one chunk of the kernel driver (16384 elements), or when a scale would lose
 * precision as a float32 (see scalesFitFloat32).
 *
 * The kernels bound their rounding error as {@link tripletGap} does and mark a sample whose gap
 * they cannot vouch for with a NaN ℓ: the float32-lane kernel's go through the float64 kernel
 * (as overflowing ones do), and the float64 kernel's, when every input of the sample is finite,
 * are recomputed here exactly.
 */
export function tripletLossGradient(inputs: TripletInputs, samples: SampleGradients): boolean {
  const { anchor, positive, negative, margin } = inputs;
  if (!scalesFitFloat32(samples.scales)) return false;
  const ran = runSegments(
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
  if (!ran) return false;
  const { sampleSize, sums } = samples;
  const sample: SampleElements = { first: 0, runs: 1, stride: 0, length: sampleSize };
  for (let n = 0; n < sums.length; n++) {
    if (!Number.isNaN(sums[n]!)) continue;
    sample.first = n * sampleSize;
    const gap = exactGap(inputs, sample);
    if (gap !== null) writeSample(inputs, samples, n, gap);
  }
  return true;
}
