/**
 * The two autograd nodes a loss call can become, both driven by the loss's hooks:
 * - the **one-pass** node (a recorded call that differentiates only the prediction): the forward
 *   computes the per-sample sums and the gradient, already scaled by weight, sampleWeight and 1/M,
 *   into memory the call owns (an arena region for a float32 one of at least REGION_MINIMUM
 *   elements on the wasm backend, else CallMemory);
 *   the backward hands that gradient on (or scales it by a non-unit head gradient);
 * - the **block** node: ℓ is computed block by block and reduced while in cache (sampleWeight,
 *   weight, the per-sample mean), and its backward scales the head gradient back into dℓ block
 *   by block for the loss's backwardBlock.
 * Under createGraph both differentiate the loss's composed twin instead. Memory a call owns goes
 * back only when its graph was freed by a successful pass (onGraphFreed).
 * @module
 */
import { isRecording } from '../../autograd/state.js';
import { allocate, isFloat, type TypedArray } from '../../ndarray/dtype.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { sizeOf } from '../../ndarray/shape.js';
import { type BackwardContext, defineOp, type ForwardResult, type OpDefinition } from '../../ops/_define.js';
import { type ArenaRegion, allocateRegion, regionView, releaseRegion } from '../../kernels/arena.js';
import type { CallMemory } from '../_call-memory.js';
import {
  addSampleTotals,
  BLOCK_SIZE,
  batchLayout,
  blocks,
  outputDType,
  sampleIndices,
  scaleBySample,
  toArrayOf,
  type WeightReader,
} from './layout.js';
import type { BackwardBlockCall, ForwardBlockCall, ForwardGradientCall } from './hook-calls.js';
import type { CallReduction, Prepared } from './loss.js';

/** What the pipelines need from a loss: its name, weight and memory, and its hooks bound to it. */
export interface LossHooks<Extra, State> {
  readonly name: string;
  readonly weight: number | null;
  readonly callMemory: CallMemory;
  createState(prepared: Prepared<Extra>): State;
  releaseState(state: State): void;
  forwardBlock(call: ForwardBlockCall<Extra, State>): void;
  backwardBlock(call: BackwardBlockCall<Extra, State>): void;
  assignsGradient(prepared: Prepared<Extra>, index: number): boolean;
  readonly forwardGradient: ((call: ForwardGradientCall<Extra, State>) => void) | undefined;
  twinGradients(
    prepared: Prepared<Extra>,
    sampleWeight: NDArray | null,
    weightShape: readonly number[] | null,
    reduction: CallReduction,
    gradOutput: NDArray,
  ): (NDArray | null)[];
}

/**
 * The factor a call's per-sample sums of weighted ℓ are multiplied by: the scalar weight over
 * the per-sample count M ('perSample'), over the reduction's divisor ('sum', 'mean',
 * 'batchmean'; 0 when the divisor is 0), or the weight alone ('none').
 */
function sumScale(weight: number | null, count: number, reduction: CallReduction): number {
  const w = weight === null ? 1 : weight;
  if (reduction.kind === 'perSample') return w / count;
  if (reduction.kind === 'none') return w;
  return reduction.divisor === 0 ? 0 : w / reduction.divisor;
}

/**
 * `Σ_n totals[n]` scaled into the one value of a 'sum', 'mean' or 'batchmean' call (divided
 * rather than multiplied by the reciprocal when there is no weight, as the per-sample mean is).
 */
function reducedValue(totals: Float64Array, weight: number | null, reduction: CallReduction): number {
  let total = 0;
  for (let n = 0; n < totals.length; n++) total += totals[n]!;
  if (weight === null && reduction.divisor !== 0) return total / reduction.divisor;
  return total * sumScale(weight, 1, reduction);
}

/** A head gradient of one value (a 0-d result) repeated for each of `batch` samples. */
function headPerSample(
  gradOutput: NDArray,
  batch: number,
  reduction: CallReduction,
): TypedArray | Float64Array {
  if (reduction.kind === 'perSample' || reduction.kind === 'none') return gradOutput.data;
  return new Float64Array(batch).fill(gradOutput.data[0]!);
}

/**
 * The fewest elements of a float32 gradient kept in an arena region (see onePassOp): for a
 * smaller one, registering the region with its finalizer and making its view cost more than the
 * copy out of the kernel's scratch that the region saves.
 */
export const REGION_MINIMUM = 4096;

/**
 * The autograd node of a fused call (see Loss.forwardGradient): the forward sums ℓ per
 * sample and fills a gradient buffer already scaled by weight, sampleWeight and 1/M; the
 * backward multiplies it by the head gradient into `arrays[0]`'s gradient.
 */
export function onePassOp<Extra, State>(
  hooks: LossHooks<Extra, State>,
  prepared: Prepared<Extra>,
  weights: WeightReader | null,
  reduction: CallReduction,
) {
  return defineOp(new OnePassDefinition(hooks, prepared, weights, reduction));
}

/**
 * The definition of one fused call's op: one object per call whose methods are its forward and
 * backward (rather than two closures and an object, on every training step).
 */
class OnePassDefinition<Extra, State> implements OpDefinition<undefined, FusedSaved> {
  readonly name: string;
  /** The backward checks unitHead before reading gradOutput: no ones are made for a plain backward. */
  readonly acceptsUnitHead = true;
  private readonly reduced: boolean;
  private readonly layout: ReturnType<typeof batchLayout>;
  private readonly pred: NDArray;
  private readonly perSample: number;

  constructor(
    private readonly hooks: LossHooks<Extra, State>,
    private readonly prepared: Prepared<Extra>,
    private readonly weights: WeightReader | null,
    private readonly reduction: CallReduction,
  ) {
    this.name = hooks.name;
    this.reduced = reduction.kind !== 'perSample';
    this.layout = batchLayout(prepared);
    this.pred = prepared.arrays[0]!;
    this.perSample = this.pred.size / this.layout.batch;
  }

  forward(): ForwardResult<FusedSaved> {
    const { hooks, prepared, weights, reduction, layout, pred } = this;
    // The gradient belongs to this call's node until its graph is freed: a float32 one of at
    // least REGION_MINIMUM elements in a region of the kernels' arena memory, which the
    // one-pass kernels write in place (see arena.ts), otherwise memory of this loss's earlier
    // calls (see CallMemory).
    // The per-sample scales and sums too: one float64 buffer, from the loss's CallMemory like
    // the gradient (a new typed array of over 64 bytes costs a backing store, ~1 µs, per call).
    const batch = layout.batch;
    const perSampleMemory = hooks.callMemory.takeArray('float64', 2 * batch) as Float64Array;
    const owner: FusedSaved = { gradient: null, region: null, perSampleMemory };
    if (pred.dtype === 'float32' && pred.size >= REGION_MINIMUM)
      owner.region = allocateRegion(pred.size, owner);
    const gradient = owner.region
      ? regionView(owner.region)
      : hooks.callMemory.takeArray(pred.dtype, pred.size);
    if (!owner.region) owner.gradient = gradient;
    const unit = sumScale(hooks.weight, layout.count, reduction);
    const scales = perSampleMemory.subarray(0, batch);
    for (let sample = 0; sample < batch; sample++)
      scales[sample] = weights ? unit * weights.ofSample(sample) : unit;
    const sums = perSampleMemory.subarray(batch, 2 * batch).fill(0);
    // No per-call state: no one-pass hook reads it (see ForwardGradientCall), so none is made.
    hooks.forwardGradient!({
      prepared,
      state: undefined,
      sampleSize: this.perSample,
      scales,
      sums,
      gradient,
    });
    const dtype = outputDType(prepared);
    if (weights)
      for (let sample = 0; sample < layout.batch; sample++) {
        const weight = weights.ofSample(sample);
        if (Number.isFinite(weight)) sums[sample] = sums[sample]! * weight;
        else {
          const elements = { begin: sample * layout.count, end: (sample + 1) * layout.count, weight };
          const size = this.perSample;
          const own = { data: gradient, first: sample * size, size, scale: scales[sample]! };
          sums[sample] = weighEachElement(hooks, prepared, elements, own);
        }
      }
    if (this.reduced) {
      const out = allocate(dtype, 1);
      out[0] = reducedValue(sums, hooks.weight, reduction);
      return { output: new NDArray(out, []), saved: owner };
    }
    const out = allocate(dtype, layout.batch);
    for (let sample = 0; sample < layout.batch; sample++)
      out[sample] = hooks.weight === null ? sums[sample]! / layout.count : sums[sample]! * unit;
    return { output: new NDArray(out, [layout.batch]), saved: owner };
  }

  backward(context: BackwardContext<undefined, FusedSaved>): (NDArray | null)[] {
    const { saved, retainGraph, onGraphFreed } = context;
    const { hooks, prepared, weights, reduction, pred } = this;
    onGraphFreed(() => {
      if (saved.region) releaseRegion(saved.region);
      if (saved.gradient) hooks.callMemory.giveBackArray(saved.gradient);
      hooks.callMemory.giveBackArray(saved.perSampleMemory);
    });
    if (isRecording()) {
      const sampleWeight = weights ? weights.array : null;
      const shape = weights ? weights.shape : null;
      return hooks.twinGradients(prepared, sampleWeight, shape, reduction, context.gradOutput);
    }
    // A 0-d result's one head value scales the whole gradient (one "sample" of every element).
    const headCount = this.reduced ? pred.size : this.perSample;
    // A view made now: the region stays allocated, and so unmoved, until the graph is freed.
    const stored = saved.region ? regionView(saved.region) : saved.gradient!;
    // The implicit unit head is not read (reading it would allocate the ones); a given head is
    // checked for being all ones.
    const head = context.unitHead ? null : context.gradOutput.data;
    let ones = true;
    if (head) for (let n = 0; n < head.length && ones; n++) ones = head[n] === 1;
    let result: TypedArray;
    if (!retainGraph) {
      // This is the last run: the stored gradient itself becomes the result, scaled in place
      // by a non-unit head (the engine copies it into .grad before the graph is freed and the
      // memory goes back).
      if (head && !ones) scaleBySample(stored, head, headCount, stored);
      result = stored;
    } else {
      // A retained graph may run again, so the stored gradient must stay as it is.
      const scaled = hooks.callMemory.takeArray(pred.dtype, pred.size);
      onGraphFreed(() => hooks.callMemory.giveBackArray(scaled));
      if (head && !ones) scaleBySample(stored, head, headCount, scaled);
      else scaled.set(stored);
      result = scaled;
    }
    // The prediction's gradient, and none for the other inputs (and the sampleWeight).
    const grads: (NDArray | null)[] = [new NDArray(result, pred.shape)];
    for (let i = 1; i < prepared.arrays.length; i++) grads.push(null);
    if (weights) grads.push(null);
    return grads;
  }
}

/** pred's gradient for {@link weighEachElement} to rewrite: the sample's elements of `data`. */
export interface SampleGradient {
  /** pred's whole gradient (the one-pass call's). */
  readonly data: TypedArray;
  /** The sample's elements [first, first + size) of it. */
  readonly first: number;
  readonly size: number;
  /** d(Σ out)/dℓ of each of the sample's ℓ elements: the call's scale for it (its weight times the unit). */
  readonly scale: number;
}

/**
 * Σ_k w · ℓ_k over ℓ elements [begin, end) (one sample's), each ℓ_k from the loss's block hook,
 * and with `gradient` the sample's part of pred's gradient from its backward hook: what the
 * one-pass paths use for a sample whose weight w is infinite or NaN. They otherwise weigh the
 * sample's sum (w · Σ_k ℓ_k, the same up to rounding) and scale its slopes, but with w = ∞ that
 * is +∞ where Gluon's ℓ · sampleWeight has ∞ · 0 = NaN (an ignored label, a hinge at rest), and a
 * kernel's w · a − w · b is ∞ − ∞ where the block hook can take a − b first. So such a sample
 * gets what the block path gives it. The one-pass layout keeps a sample's pred elements
 * contiguous and read by its own ℓ elements only, so rewriting them leaves every other sample's.
 * Such a weight is rare, so this makes the call's state for itself.
 */
export function weighEachElement<Extra, State>(
  hooks: Pick<
    LossHooks<Extra, State>,
    'createState' | 'releaseState' | 'forwardBlock' | 'backwardBlock' | 'assignsGradient'
  >,
  prepared: Prepared<Extra>,
  sample: { readonly begin: number; readonly end: number; readonly weight: number },
  gradient: SampleGradient | null,
): number {
  const { begin, end, weight } = sample;
  const state = hooks.createState(prepared);
  const block = new Float64Array(Math.min(end - begin, BLOCK_SIZE));
  let total = 0;
  try {
    for (let at = begin; at < end; at += block.length) {
      const length = Math.min(block.length, end - at);
      hooks.forwardBlock({ prepared, state, begin: at, end: at + length, out: block });
      for (let k = 0; k < length; k++) total += block[k]! * weight;
    }
    if (gradient) {
      const { data, first, size, scale } = gradient;
      if (!hooks.assignsGradient(prepared, 0)) data.fill(0, first, first + size);
      const grads = prepared.arrays.map((_, i) => (i === 0 ? data : null));
      for (let at = begin; at < end; at += block.length) {
        const length = Math.min(block.length, end - at);
        block.fill(scale, 0, length);
        hooks.backwardBlock({ prepared, state, begin: at, end: at + length, dLoss: block, grads });
      }
    }
  } finally {
    hooks.releaseState(state);
  }
  return total;
}

/** The single autograd node of a call, built on the block kernels. */
export function blockOp<Extra, State>(
  hooks: LossHooks<Extra, State>,
  prepared: Prepared<Extra>,
  sampleWeight: NDArray | null,
  weights: WeightReader | null,
  recorded: boolean,
  reduction: CallReduction,
) {
  const layout = batchLayout(prepared);
  const weightShape = weights ? weights.shape : null;
  const total = sizeOf(prepared.lossShape);
  const dtype = outputDType(prepared);
  const forwardBlock = hooks.forwardBlock;
  return defineOp<undefined, { state: State }>({
    name: hooks.name,
    forward: () => {
      const state = hooks.createState(prepared);
      if (reduction.kind === 'none') {
        const output = weightedLoss(hooks, prepared, state, weights, reduction.shape);
        if (!recorded) hooks.releaseState(state);
        return { output, saved: { state } };
      }
      // The forward's working memory, read by nothing after it returns: from the loss's
      // CallMemory and back there at the end (a new typed array of over 64 bytes costs a backing
      // store, ~1 µs, which is most of a small call).
      const blockLength = Math.min(total, BLOCK_SIZE);
      const floats = hooks.callMemory.takeArray('float64', layout.batch + blockLength) as Float64Array;
      const indices = hooks.callMemory.takeArray('int32', 2 * blockLength) as Int32Array;
      const totals = floats.subarray(0, layout.batch).fill(0);
      const block = floats.subarray(layout.batch);
      const samples = indices.subarray(0, blockLength);
      const offsets = indices.subarray(blockLength);
      const forward = (begin: number, end: number, out: Float64Array) =>
        forwardBlock({ prepared, state, begin, end, out });
      addSampleTotals({ total, layout, forward, weights, totals, block, samples, offsets });
      if (!recorded) hooks.releaseState(state);
      let output: NDArray;
      if (reduction.kind !== 'perSample') {
        const out = allocate(dtype, 1);
        out[0] = reducedValue(totals, hooks.weight, reduction);
        output = new NDArray(out, []);
      } else {
        const scale = (hooks.weight === null ? 1 : hooks.weight) / layout.count;
        const out = allocate(dtype, layout.batch);
        for (let n = 0; n < layout.batch; n++)
          out[n] = hooks.weight === null ? totals[n]! / layout.count : totals[n]! * scale;
        output = new NDArray(out, [layout.batch]);
      }
      hooks.callMemory.giveBackArray(floats);
      hooks.callMemory.giveBackArray(indices);
      return { output, saved: { state } };
    },
    backward: ({ gradOutput, needsGrad, saved, onGraphFreed }) => {
      onGraphFreed(() => hooks.releaseState(saved.state));
      if (isRecording())
        return hooks.twinGradients(prepared, sampleWeight, weightShape, reduction, gradOutput);
      const grads = blockBackward(hooks, prepared, weights, saved.state, gradOutput, needsGrad, reduction);
      onGraphFreed(() => {
        for (const grad of grads) if (grad) hooks.callMemory.giveBackArray(grad.data);
      });
      return grads;
    },
  });
}

/** The backward of a block call: dℓ block by block, then the loss's backwardBlock. */
function blockBackward<Extra, State>(
  hooks: LossHooks<Extra, State>,
  prepared: Prepared<Extra>,
  weights: WeightReader | null,
  state: State,
  gradOutput: NDArray,
  needsGrad: readonly boolean[],
  reduction: CallReduction,
): (NDArray | null)[] {
  const layout = batchLayout(prepared);
  const total = sizeOf(prepared.lossShape);
  const sampleWeight = weights ? weights.array : null;
  const count = prepared.arrays.length;
  const grads = prepared.arrays.map((x, i) =>
    needsGrad[i] && isFloat(x.dtype) ? gradientArray(hooks, prepared, i) : null,
  );
  const wantWeightGrad = sampleWeight !== null && needsGrad[count] === true;
  const dWeight = wantWeightGrad ? new Float64Array(sampleWeight!.size) : null;
  const scale = sumScale(hooks.weight, layout.count, reduction);
  const g = headPerSample(gradOutput, layout.batch, reduction);
  // Working memory read by nothing after this returns, of the kinds the forward takes: from the
  // loss's CallMemory and back there at the end.
  const blockLength = Math.min(total, BLOCK_SIZE);
  const floats = hooks.callMemory.takeArray('float64', layout.batch + blockLength) as Float64Array;
  const indices = hooks.callMemory.takeArray('int32', 2 * blockLength) as Int32Array;
  const dLoss = floats.subarray(layout.batch);
  const values = dWeight ? new Float64Array(dLoss.length) : null;
  const samples = indices.subarray(0, blockLength);
  const offsets = weights ? indices.subarray(blockLength) : null;
  const elementwiseHead = reduction.kind === 'none';
  for (const [begin, end, sample] of blocks(total, layout)) {
    const length = end - begin;
    if (elementwiseHead) {
      // 'none': the head has one value per ℓ element.
      if (weights && offsets) weights.offsets(begin, length, offsets);
      const w = weights ? weights.values : null;
      for (let k = 0; k < length; k++) dLoss[k] = g[begin + k]! * scale * (w ? w[offsets![k]!]! : 1);
      if (dWeight && values && offsets) {
        hooks.forwardBlock({ prepared, state, begin, end, out: values });
        for (let k = 0; k < length; k++) dWeight[offsets[k]!]! += g[begin + k]! * scale * values[k]!;
      }
    } else if (weights && offsets) {
      sampleIndices(begin, length, layout, samples);
      weights.offsets(begin, length, offsets);
      const w = weights.values;
      for (let k = 0; k < length; k++) dLoss[k] = g[samples[k]!]! * scale * w[offsets[k]!]!;
      if (dWeight && values) {
        hooks.forwardBlock({ prepared, state, begin, end, out: values });
        for (let k = 0; k < length; k++) dWeight[offsets[k]!]! += g[samples[k]!]! * scale * values[k]!;
      }
    } else if (sample >= 0) {
      dLoss.fill(g[sample]! * scale, 0, length);
    } else {
      sampleIndices(begin, length, layout, samples);
      for (let k = 0; k < length; k++) dLoss[k] = g[samples[k]!]! * scale;
    }
    hooks.backwardBlock({ prepared, state, begin, end, dLoss, grads });
  }
  hooks.callMemory.giveBackArray(floats);
  hooks.callMemory.giveBackArray(indices);
  const result: (NDArray | null)[] = grads.map((data, i) =>
    data ? new NDArray(data, prepared.arrays[i]!.shape) : null,
  );
  if (sampleWeight) result.push(dWeight ? toArrayOf(dWeight, sampleWeight) : null);
  return result;
}

/** The weighted ℓ of a 'none' call, block by block, as an array of `shape` (ℓ's elements, row-major). */
function weightedLoss<Extra, State>(
  hooks: LossHooks<Extra, State>,
  prepared: Prepared<Extra>,
  state: State,
  weights: WeightReader | null,
  shape: readonly number[],
): NDArray {
  const total = sizeOf(prepared.lossShape);
  const out = allocate(outputDType(prepared), total);
  const block = new Float64Array(Math.min(total, BLOCK_SIZE));
  const offsets = weights ? new Int32Array(block.length) : null;
  const w = hooks.weight === null ? 1 : hooks.weight;
  for (let begin = 0; begin < total; begin += BLOCK_SIZE) {
    const end = Math.min(begin + BLOCK_SIZE, total);
    const length = end - begin;
    hooks.forwardBlock({ prepared, state, begin, end, out: block });
    if (weights && offsets) {
      weights.offsets(begin, length, offsets);
      const values = weights.values;
      for (let k = 0; k < length; k++) out[begin + k] = block[k]! * values[offsets[k]!]! * w;
    } else if (hooks.weight === null) {
      out.set(block.subarray(0, length), begin);
    } else {
      for (let k = 0; k < length; k++) out[begin + k] = block[k]! * w;
    }
  }
  return new NDArray(out, [...shape]);
}

/**
 * The array `backwardBlock` writes the gradient of `prepared.arrays[index]` into: memory of this
 * loss object's earlier calls when there is some (zeroed first unless the loss assigns every
 * element), else a new zeroed array. It belongs to this call until its graph is freed.
 */
function gradientArray<Extra, State>(
  hooks: LossHooks<Extra, State>,
  prepared: Prepared<Extra>,
  index: number,
): TypedArray {
  const x = prepared.arrays[index]!;
  const memory = hooks.callMemory.takeArray(x.dtype, x.size);
  if (!hooks.assignsGradient(prepared, index)) memory.fill(0);
  return memory;
}

/**
 * What a fused call keeps for its backward: its gradient, owned by the call, in an arena region
 * or else in ordinary memory.
 */
interface FusedSaved {
  gradient: TypedArray | null;
  region: ArenaRegion | null;
  /** The call's per-sample scales and sums (halves of one buffer), back to CallMemory with the rest. */
  readonly perSampleMemory: Float64Array;
}
