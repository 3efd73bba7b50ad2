/**
 * How ℓ is laid out for the pipelines: blocks of elements, the sample each element belongs to,
 * and the sampleWeight value of each element, whatever broadcast pattern it was given in.
 * @module
 */
import { allocate, type DType, isFloat, type TypedArray } from '../../ndarray/dtype.js';
import { formatShape, ShapeError } from '../../ndarray/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { sameShape, sizeOf, stridesOf } from '../../ndarray/shape.js';
import type { Prepared } from './loss.js';

/** Elements of ℓ processed per kernel call: small enough to stay in cache. */
export const BLOCK_SIZE = 4096;
/** Samples smaller than this are grouped into shared blocks (one kernel call per sample would cost more). */
const MIN_SAMPLE_BLOCK = 256;

/**
 * Splits ℓ into blocks of at most BLOCK_SIZE elements. When each sample's elements are contiguous
 * (batch axis 0), blocks never straddle two samples and carry that sample's index; otherwise the
 * sample is -1 and the caller maps elements to samples itself.
 */
export function* blocks(
  total: number,
  layout: { inner: number; batch: number; count: number },
): Generator<[number, number, number]> {
  if (layout.inner === layout.count && layout.count >= MIN_SAMPLE_BLOCK) {
    for (let sample = 0; sample < layout.batch; sample++) {
      const sampleEnd = (sample + 1) * layout.count;
      for (let begin = sample * layout.count; begin < sampleEnd; begin += BLOCK_SIZE) {
        yield [begin, Math.min(begin + BLOCK_SIZE, sampleEnd), sample];
      }
    }
    return;
  }
  for (let begin = 0; begin < total; begin += BLOCK_SIZE)
    yield [begin, Math.min(begin + BLOCK_SIZE, total), -1];
}

/**
 * Σ block[0, length), the block pipeline's way (see {@link addSampleTotals}): four partial sums
 * (one chain of dependent float64 adds costs ~4 cycles per element).
 */
function blockSum(block: Float64Array, length: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 4 <= length; k += 4) {
    s0 += block[k]!;
    s1 += block[k + 1]!;
    s2 += block[k + 2]!;
    s3 += block[k + 3]!;
  }
  for (; k < length; k++) s0 += block[k]!;
  return s0 + s1 + (s2 + s3);
}

/** Fills `out[j]` with the sample (batch index) of ℓ element `begin + j`. */
export function sampleIndices(
  begin: number,
  length: number,
  layout: { inner: number; batch: number },
  out: Int32Array,
): void {
  const { inner, batch } = layout;
  let within = begin % inner;
  let sample = Math.floor(begin / inner) % batch;
  for (let j = 0; j < length; j++) {
    out[j] = sample;
    if (++within === inner) {
      within = 0;
      if (++sample === batch) sample = 0;
    }
  }
}

/** What {@link addSampleTotals} reads and writes; every array is the caller's working memory. */
export interface SampleTotals {
  /** ℓ's element count, and how its elements map to samples. */
  readonly total: number;
  readonly layout: { readonly inner: number; readonly batch: number; readonly count: number };
  /** Writes ℓ's elements [begin, end) into out[0, end − begin). */
  readonly forward: (begin: number, end: number, out: Float64Array) => void;
  /**
   * Each ℓ element's weight: `values[offset]`, the offsets as {@link WeightReader.offsets} gives
   * them (without `offsets`, an element's offset is its sample); or null.
   */
  readonly weights: {
    readonly values: ArrayLike<number>;
    readonly offsets?: (begin: number, length: number, out: Int32Array) => void;
  } | null;
  /** One total per sample, added to (the caller zeroes them). */
  readonly totals: Float64Array;
  /**
   * A block of ℓ, and each element's sample and weight offset (written only with
   * `weights.offsets`, so it may be `samples` without): BLOCK_SIZE entries or ℓ's size.
   */
  readonly block: Float64Array;
  readonly samples: Int32Array;
  readonly offsets: Int32Array;
}

/**
 * Adds each sample's Σ ℓ · w to its total, ℓ computed block by block while it is in cache: the
 * block pipeline's forward sums, in its order of operations (gloss-ml/kernels' block runner
 * calls this too, so that its numbers are the class's bit for bit). A block of one sample is
 * summed by {@link blockSum}.
 */
export function addSampleTotals({
  total,
  layout,
  forward,
  weights,
  totals,
  block,
  samples,
  offsets,
}: SampleTotals): void {
  for (const [begin, end, sample] of blocks(total, layout)) {
    const length = end - begin;
    forward(begin, end, block);
    if (weights) {
      sampleIndices(begin, length, layout, samples);
      // Per-sample weights read at each element's sample, which is already known.
      const at = weights.offsets ? offsets : samples;
      weights.offsets?.(begin, length, offsets);
      const w = weights.values;
      for (let k = 0; k < length; k++) totals[samples[k]!]! += block[k]! * w[at[k]!]!;
    } else if (sample >= 0) {
      // The whole block belongs to one sample (batch axis 0): a plain sum.
      totals[sample]! += blockSum(block, length);
    } else {
      sampleIndices(begin, length, layout, samples);
      for (let k = 0; k < length; k++) totals[samples[k]!]! += block[k]!;
    }
  }
}

/** Reads sampleWeight values for ℓ elements, whatever broadcast pattern the weight has. */
export class WeightReader {
  readonly values: TypedArray;
  private readonly mode: 'same' | 'sample' | 'scalar' | 'general';
  private readonly layout: { inner: number; batch: number };
  private readonly index: Int32Array | null;

  constructor(
    readonly array: NDArray,
    readonly shape: readonly number[],
    prepared: Prepared,
  ) {
    const weight = array;
    const weightShape = shape;
    this.values = weight.data;
    this.layout = batchLayout(prepared);
    const lossShape = prepared.lossShape;
    const perSample = weightShape.every((d, i) => d === 1 || i === prepared.batchAxis);
    // One weight per sample first, even when that is also ℓ's shape (ℓ of (N,) or (N, 1), as
    // SoftmaxCE's and Triplet's): a per-sample weight lets a call take the one-pass path.
    if (weight.size === 1) this.mode = 'scalar';
    else if (perSample && weight.size === this.layout.batch) this.mode = 'sample';
    else if (sameShape(weightShape, lossShape)) this.mode = 'same';
    else this.mode = 'general';
    this.index = this.mode === 'general' ? broadcastOffsets(lossShape, weightShape) : null;
  }

  /** Whether the weight is one value per sample (or one for all), see {@link ofSample}. */
  get perSample(): boolean {
    return this.mode === 'sample' || this.mode === 'scalar';
  }

  /** The weight of every ℓ element of `sample`; only when {@link perSample}. */
  ofSample(sample: number): number {
    return this.values[this.mode === 'scalar' ? 0 : sample]!;
  }

  /** Fills `out[j]` with the weight offset of ℓ element `begin + j`. */
  offsets(begin: number, length: number, out: Int32Array): void {
    switch (this.mode) {
      case 'same':
        for (let j = 0; j < length; j++) out[j] = begin + j;
        return;
      case 'scalar':
        out.fill(0, 0, length);
        return;
      case 'sample':
        sampleIndices(begin, length, this.layout, out);
        return;
      case 'general':
        for (let j = 0; j < length; j++) out[j] = this.index![begin + j]!;
        return;
    }
  }
}

/** `out[k] = gradient[k] · head[sample of k]`, with `count` contiguous elements per sample (`out` may be `gradient`). */
export function scaleBySample(gradient: TypedArray, head: TypedArray, count: number, out: TypedArray): void {
  for (let sample = 0, k = 0; sample < head.length; sample++) {
    const factor = head[sample]!;
    for (const end = k + count; k < end; k++) out[k] = gradient[k]! * factor;
  }
}

export function outputDType(prepared: Prepared): DType {
  return floatDTypeOf(prepared.arrays);
}

/** The dtype of the first float array among `arrays` (null entries skipped), else float32. */
export function floatDTypeOf(arrays: readonly (NDArray | null | undefined)[]): DType {
  const first = arrays.find((x) => x && isFloat(x.dtype));
  return first ? first.dtype : 'float32';
}

/**
 * `array` itself when it holds floats, else a float copy of `dtype`. Losses convert integer
 * inputs here so that their kernels read floats only; the copy is not recorded, since integers
 * have no gradient either way.
 */
export function asFloat(array: NDArray, dtype: DType): NDArray {
  if (isFloat(array.dtype)) return array;
  const data = allocate(dtype, array.size);
  data.set(array.data);
  return new NDArray(data, array.shape);
}

export function toArrayOf(values: Float64Array, like: NDArray): NDArray {
  const data = allocate(isFloat(like.dtype) ? like.dtype : 'float32', like.size);
  data.set(values);
  return new NDArray(data, like.shape);
}

/**
 * A 1-D weight whose length is the batch size is per sample, laid along the batch
 * axis; any other weight must broadcast to ℓ without enlarging it. Returns the shape the weight
 * takes when multiplied into ℓ.
 */
export function alignSampleWeight(where: string, weight: NDArray, prepared: Prepared): number[] {
  const lossShape = prepared.lossShape;
  const batch = lossShape[prepared.batchAxis]!;
  if (weight.ndim === 1 && weight.shape[0] === batch && lossShape.length > 0) {
    return lossShape.map((_, i) => (i === prepared.batchAxis ? batch : 1));
  }
  const rank = lossShape.length;
  const fits =
    weight.ndim <= rank &&
    weight.shape.every((dim, i) => {
      const target = lossShape[rank - weight.ndim + i]!;
      return dim === target || dim === 1;
    });
  if (!fits) {
    const perSample = lossShape.map((d, i) => (i === prepared.batchAxis ? d : 1));
    throw new ShapeError(
      `${where}: sampleWeight shape ${formatShape(weight.shape)} does not broadcast to the loss shape ${formatShape(lossShape)} ` +
        `without enlarging it; use [${batch}] or ${formatShape(perSample)} for one weight per sample, or ${formatShape(lossShape)} for one per element`,
    );
  }
  return [...new Array<number>(rank - weight.ndim).fill(1), ...weight.shape];
}

/**
 * For each element of an array of `targetShape`, in row-major order, the offset of the element of
 * an array of `sourceShape` that numpy broadcasting pairs it with: `sourceShape` is aligned with
 * the trailing axes of `targetShape`, and its axes of length 1 (and the missing leading ones)
 * repeat. Null when the shapes are the same (element k then pairs with offset k). The caller
 * checks beforehand that `sourceShape` broadcasts to `targetShape` without enlarging it.
 *
 * Used for sampleWeight (see WeightReader) and for per-element weights such as SigmoidBCE's
 * posWeight; the table has one entry per target element.
 */
export function broadcastOffsets(
  targetShape: readonly number[],
  sourceShape: readonly number[],
): Int32Array | null {
  if (sameShape(targetShape, sourceShape)) return null;
  const lead = targetShape.length - sourceShape.length;
  const own = stridesOf(sourceShape);
  // A repeated axis has stride 0: the offset stays while the target's index moves along it.
  const strides = targetShape.map((_, axis) =>
    axis < lead || sourceShape[axis - lead] === 1 ? 0 : own[axis - lead]!,
  );
  const size = sizeOf(targetShape);
  const offsets = new Int32Array(size);
  const counter = new Array<number>(targetShape.length).fill(0);
  let offset = 0;
  for (let k = 0; k < size; k++) {
    offsets[k] = offset;
    // Odometer step: the innermost axis advances; one that wraps carries into the next one out.
    for (let axis = targetShape.length - 1; axis >= 0; axis--) {
      counter[axis]!++;
      offset += strides[axis]!;
      if (counter[axis]! < targetShape[axis]!) break;
      offset -= strides[axis]! * targetShape[axis]!;
      counter[axis] = 0;
    }
  }
  return offsets;
}

/** Position of each element of ℓ's batch index, and how many elements share a sample. */
export function batchLayout(prepared: Prepared): { inner: number; batch: number; count: number } {
  const shape = prepared.lossShape;
  const axis = prepared.batchAxis;
  // Products by hand: no slice of the shape on the path of every call.
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  let size = inner;
  for (let i = 0; i <= axis && i < shape.length; i++) size *= shape[i]!;
  const batch = shape[axis] ?? 1;
  return { inner, batch, count: size / Math.max(batch, 1) };
}
