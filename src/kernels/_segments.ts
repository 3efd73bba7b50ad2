/**
 * The driver shared by the one-pass kernels (residual losses, binary cross-entropy, triplet):
 * elements laid out as samples of `sampleSize` consecutive elements, two or three input arrays,
 * a per-sample scale and sum, and a gradient with the inputs' layout. It copies whole samples
 * (or, for a sample longer than a chunk, pieces of one) into the arena instance's scratch, runs
 * the kernel, and writes the gradient in place when it lives in a region of that instance's
 * memory that the calling loss owns (arena.ts), else copies each chunk out while it is in cache.
 * The scratch holds nothing between calls.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { ValueError } from '../ndarray/errors.js';
import { checkSpan } from './_spans.js';
import { startShares } from './threads.js';
import type { KernelExports, SigmoidCrossEntropySegmentsKernel } from './kernel-exports.js';
import { ARENA_SCRATCH_BYTES, arenaScratch, regionBytes, reserveScratch, SCRATCH_BASE } from './runtime.js';

/** Elements per kernel call: the float32 regions of a call fit in a core's L2 cache. */
const CHUNK = 16384;
const F32_REGION = regionBytes(CHUNK * 4);
/** The input regions (at most three inputs). */
const INPUTS_AT = [SCRATCH_BASE, SCRATCH_BASE + F32_REGION, SCRATCH_BASE + 2 * F32_REGION] as const;
const GRADIENT_AT = SCRATCH_BASE + 3 * F32_REGION;
const SCALES_AT = GRADIENT_AT + F32_REGION;
const SUMS_AT = SCALES_AT + F32_REGION;
const SCRATCH_BYTES = SUMS_AT + regionBytes(CHUNK * 8) - SCRATCH_BASE;
// The arena's scratch area is reserved when the module loads, so a call never grows its memory.
if (SCRATCH_BYTES > ARENA_SCRATCH_BYTES)
  throw new Error('_segments.ts: scratch exceeds the arena scratch area');

/**
 * A kernel over `segments` segments of `length` elements of each input (byte offsets in
 * `inputs`, in the order given to runSegments), with float32 `scales` and float64 `sums` per
 * segment and the float32 `gradient`.
 */
export type SegmentKernel = (
  kernels: KernelExports,
  inputs: readonly number[],
  length: number,
  segments: number,
  scales: number,
  gradient: number,
  sums: number,
) => void;

/**
 * A one-pass kernel in two precisions (see residual-narrow.wat): `narrow` computes in float32
 * lanes, twice as many per vector, and is exact while no term overflows float32; `wide` computes
 * every term that scales with the inputs in float64, so it agrees with the float64 TypeScript
 * kernels up to ±3.4e38 and down to subnormals. Each chunk runs `narrow`, and each segment whose
 * sum is not finite runs again, on its own, through `wide`: an overflowing float32 term makes ℓ
 * infinite or NaN (the losses whose slopes can overflow have an ℓ that overflows with them), so
 * a finite sum means the narrow results stand. A chunk with a NaN or infinite input also takes
 * the wide kernel, which gives the same non-finite values the TypeScript kernels give.
 */
export interface SegmentKernels {
  readonly narrow: SegmentKernel;
  readonly wide: SegmentKernel;
  /**
   * Whether a float32-lane gradient may overflow beside a finite ℓ, so that the driver must
   * check it too (the binary cross-entropy's slope σ(x) − z grows with the label, not with ℓ).
   * The residual and triplet slopes cannot: each overflows only where its ℓ does, or is bounded
   * by the scale, so their memory-bound passes skip the extra read.
   */
  readonly gradientMayOverflow?: boolean;
}

/** How runSegments may split a call. */
export interface SegmentOptions {
  /**
   * Whether a sample longer than a chunk may run in pieces whose sums are added (default true;
   * false for a per-sample value that is not a sum over elements).
   */
  readonly piecewise?: boolean;
  /**
   * The kernel's name in SEGMENT_KERNELS and its parameters, for a compute-bound kernel that
   * may hand shares of a large call to a kernel thread pool (see threads.ts).
   */
  readonly parallel?: { readonly kernel: string; readonly parameters: readonly number[] };
}

/**
 * The samples of a one-pass call and where its results go: samples of `sampleSize` consecutive
 * elements, as many as `scales` has entries; the kernel writes `sums[s]`, sample s's total, and
 * `gradient[k] = scales[s] · ∂(Σ ℓ)/∂input[k]` for each element k of sample s.
 */
export interface SampleGradients {
  readonly sampleSize: number;
  readonly scales: Float64Array;
  readonly sums: Float64Array;
  readonly gradient: TypedArray;
}

/** What runSegments runs: the kernel pair on named inputs (in the kernel's order), and how it may split. */
export interface SegmentCall extends SegmentOptions {
  /** The caller's name in errors. */
  readonly where: string;
  readonly kernel: SegmentKernels;
  /** The inputs by name, in the order the kernel takes them; each holds every sample. */
  readonly inputs: Readonly<Record<string, TypedArray>>;
}

/**
 * Throws a ValueError unless every input and the gradient hold all the samples' elements, `sums`
 * one value per sample, and `sampleSize` is a positive integer. The wasm driver and the float64
 * loops of each family check the same way.
 */
export function checkSamples(
  where: string,
  inputs: Readonly<Record<string, TypedArray>>,
  { sampleSize, scales, sums, gradient }: SampleGradients,
): void {
  if (!Number.isInteger(sampleSize) || sampleSize < 1)
    throw new ValueError(`${where}: sampleSize must be a positive integer, got ${sampleSize}`);
  const total = scales.length * sampleSize;
  for (const [name, input] of Object.entries(inputs)) checkSpan(where, name, input, 0, total);
  checkSpan(where, 'gradient', gradient, 0, total);
  checkSpan(where, 'sums', sums, 0, scales.length);
}

/**
 * Runs the call's kernel over every sample (see SampleGradients). Returns false (nothing
 * written) unless every input is float32 and the wasm backend is active, or when
 * `piecewise` is false and a sample is longer than a chunk (see SegmentOptions).
 */
export function runSegments(
  call: SegmentCall,
  { sampleSize, scales, sums, gradient }: SampleGradients,
): boolean {
  const { where, kernel } = call;
  const inputs = Object.values(call.inputs);
  const options: SegmentOptions = call;
  checkSamples(where, call.inputs, { sampleSize, scales, sums, gradient });
  // Every input is staged into float32 wasm memory: a float64 one beside float32 ones would be
  // rounded first (a label of a tiny residual flips L1's slope; a float64 label's gradient
  // becomes a float32 product), so any call that is not all float32 takes its float64 loops.
  if (!inputs.every((input) => input instanceof Float32Array)) return false;
  // A per-sample value that is not a sum over elements (TripletLoss's max(Σ + margin, 0)) cannot
  // be assembled from pieces of a sample: such kernels take samples that fit a chunk.
  if (options.piecewise === false && sampleSize > CHUNK) return false;
  if (inputs.length > INPUTS_AT.length) throw new ValueError(`${where}: at most ${INPUTS_AT.length} inputs`);
  // The arena instance: a gradient in one of its regions (arena.ts) is written in place.
  const scratch = reserveScratch(arenaScratch(), SCRATCH_BYTES);
  if (!scratch) return false;
  const samples = scales.length;
  const total = samples * sampleSize;
  const { f32, f64, kernels } = scratch;
  const inPlace = gradient instanceof Float32Array && gradient.buffer === f32.buffer;
  // With a kernel thread pool, the other threads take the later samples while this one runs the
  // first share; their results land in `sums` and `gradient` when `finish` returns.
  const split = options.parallel
    ? startShares(samples, total, { ...options.parallel, inputs, sampleSize, scales, sums, gradient })
    : null;
  const mine = split ? split.mine : samples;
  const run = (start: number, length: number, segments: number, firstSample: number) => {
    const count = length * segments;
    for (let i = 0; i < inputs.length; i++)
      f32.set(inputs[i]!.subarray(start, start + count), INPUTS_AT[i]! >> 2);
    f32.set(scales.subarray(firstSample, firstSample + segments), SCALES_AT >> 2);
    const gradientAt = inPlace ? gradient.byteOffset + 4 * start : GRADIENT_AT;
    kernel.narrow(kernels, INPUTS_AT, length, segments, SCALES_AT, gradientAt, SUMS_AT);
    // A gradient that overflowed float32 beside a finite sum (a slope at the top of float32's
    // range times a scale above 1, rounded up an ulp in float32 lanes: LogisticLoss with a label
    // of 3.4e38 and weight 2 gave −Infinity for a true −3.4028e38) also sends its segment to the
    // float64 kernel; finiteFloats reads the chunk's gradient while it is in cache.
    const finiteGradient =
      kernel.gradientMayOverflow !== true || kernels.finiteFloats(gradientAt, count) === 1;
    if (!finiteGradient || !allFinite(f64, SUMS_AT >> 3, segments)) {
      // Only the segments whose sum or gradient is not finite run again, each on its own, so
      // every other sample keeps its float32-lane result whatever shares its chunk.
      for (let segment = 0; segment < segments; segment++) {
        const offset = 4 * length * segment;
        if (
          Number.isFinite(f64[(SUMS_AT >> 3) + segment]!) &&
          (finiteGradient || kernels.finiteFloats(gradientAt + offset, length) === 1)
        )
          continue;
        kernel.wide(
          kernels,
          INPUTS_AT.slice(0, inputs.length).map((at) => at + offset),
          length,
          1,
          SCALES_AT + 4 * segment,
          gradientAt + offset,
          SUMS_AT + 8 * segment,
        );
      }
    }
    if (!inPlace) gradient.set(f32.subarray(GRADIENT_AT >> 2, (GRADIENT_AT >> 2) + count), start);
  };
  try {
    if (sampleSize <= CHUNK) {
      // Whole samples per call, as many as fit in a chunk.
      const perCall = Math.floor(CHUNK / sampleSize);
      for (let sample = 0; sample < mine; sample += perCall) {
        const segments = Math.min(perCall, mine - sample);
        run(sample * sampleSize, sampleSize, segments, sample);
        sums.set(f64.subarray(SUMS_AT >> 3, (SUMS_AT >> 3) + segments), sample);
      }
      return true;
    }
    runLongSamples(run, f64, sampleSize, mine, sums);
    return true;
  } finally {
    split?.pending.finish();
  }
}

/** Whether `count` values of `values` from `start` are all finite. */
function allFinite(values: Float64Array, start: number, count: number): boolean {
  // One sum: finite exactly when every term is (a NaN or ±Infinity term makes it NaN or infinite,
  // and finite float64 sums of float32-sized terms cannot overflow).
  let total = 0;
  for (let i = start; i < start + count; i++) total += values[i]! * 0;
  return total === 0;
}

/** Samples longer than a chunk, one piece at a time: the pieces' sums are added up. */
function runLongSamples(
  run: (start: number, length: number, segments: number, firstSample: number) => void,
  f64: Float64Array,
  sampleSize: number,
  samples: number,
  sums: Float64Array,
): void {
  for (let sample = 0; sample < samples; sample++) {
    let sum = 0;
    for (let offset = 0; offset < sampleSize; offset += CHUNK) {
      const length = Math.min(CHUNK, sampleSize - offset);
      run(sample * sampleSize + offset, length, 1, sample);
      sum += f64[SUMS_AT >> 3]!;
    }
    sums[sample] = sum;
  }
}

/**
 * The kernels a thread pool may run, by name, built from their numeric parameters (a share of a
 * call crosses threads as data, not as a closure).
 */
export const SEGMENT_KERNELS: Readonly<Record<string, (parameters: readonly number[]) => SegmentKernels>> = {
  sigmoidCrossEntropy: ([labelScale, labelShift]) => {
    const segmentKernel =
      (pick: (k: KernelExports) => SigmoidCrossEntropySegmentsKernel): SegmentKernel =>
      (k, [x, z], length, segments, scales, gradient, sums) =>
        pick(k)(x!, z!, length, segments, scales, labelScale!, labelShift!, gradient, sums);
    return {
      narrow: segmentKernel((k) => k.sigmoidCrossEntropySegmentsNarrow),
      wide: segmentKernel((k) => k.sigmoidCrossEntropySegments),
      gradientMayOverflow: true,
    };
  },
};
