/**
 * A loss's block hooks on caller-owned arrays, for the `gloss-ml/kernels` calls a one-pass hook
 * does not cover (CTC; SoftmaxCE with dense labels, `fromLogits` or another class axis). It runs
 * what the class's block pipeline runs for a recorded call with the per-sample reduction and a
 * head gradient of ones (loss/_base/pipelines.ts: blockOp, then blockBackward), in the same order
 * of floating-point operations, so values and gradients are the class's bit for bit; but it writes
 * the per-sample losses and pred's gradient straight into the caller's arrays and builds no graph
 * node, so there is no output array and no head gradient to allocate. Its working memory comes
 * from the loss object's CallMemory and goes back, with the call's state, before it returns.
 * @module
 */
import { addSampleTotals, BLOCK_SIZE, blocks, sampleIndices } from '../loss/_base/layout.js';
import { sizeOf } from '../ndarray/shape.js';
import type { BlockKernel } from '../loss/_base/one-pass-kernel.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { FloatArray } from './kernels.js';

/** One call's arguments: the loss's `weight` option, the per-sample weights, the outputs. */
export interface BlockRun {
  readonly weight: number | null;
  readonly sampleWeight: ArrayLike<number> | null;
  /** One entry per sample (the batch is ℓ's first axis). */
  readonly out: FloatArray;
  /** pred's gradient, of pred's type (which is also the type the class rounds its output to). */
  readonly gradient: FloatArray;
}

/**
 * Runs one call of `kernel` on `inputs`: each sample's loss into `out`, d(Σ out)/d pred into
 * `gradient`. With M = ℓ elements per sample, w a sample's weight as given (a float64 number,
 * as the class reads a float64 sampleWeight: it does not round one to pred's type) and
 * s = weight / M (1 / M without weight), as the pipeline: out = (Σ ℓ · w) / M or · s, rounded to
 * pred's type; dℓ = 1 · s · w.
 */
export function runBlocks<Extra, State>(
  kernel: BlockKernel<Extra, State>,
  inputs: readonly (NDArray | null)[],
  run: BlockRun,
): void {
  const call = kernel.begin(inputs);
  const { weight, sampleWeight, out, gradient } = run;
  const batch = out.length;
  const total = sizeOf(call.prepared.lossShape);
  const count = batch === 0 ? 0 : total / batch;
  const layout = { inner: count, batch, count };
  const single = gradient instanceof Float32Array;
  const weights = sampleWeight ? kernel.memory.takeArray('float64', batch) : null;
  if (weights && sampleWeight) for (let n = 0; n < batch; n++) weights[n] = sampleWeight[n]!;
  // The pipeline's working memory: per-sample totals, a block of ℓ (or dℓ), sample indices.
  const blockLength = Math.min(total, BLOCK_SIZE);
  const floats = kernel.memory.takeArray('float64', batch + blockLength) as Float64Array;
  const indices = kernel.memory.takeArray('int32', blockLength) as Int32Array;
  const totals = floats.subarray(0, batch).fill(0);
  const block = floats.subarray(batch);
  addSampleTotals({
    total,
    layout,
    forward: (begin, end, out) => kernel.forward(call, begin, end, out),
    // One weight per sample: read at each element's sample.
    weights: weights && { values: weights },
    totals,
    block,
    samples: indices,
    offsets: indices,
  });
  const scale = (weight === null ? 1 : weight) / count;
  for (let n = 0; n < batch; n++) {
    const value = weight === null ? totals[n]! / count : totals[n]! * scale;
    out[n] = single ? Math.fround(value) : value;
  }
  if (!kernel.assignsGradient(call)) gradient.fill(0);
  for (const [begin, end] of blocks(total, layout)) {
    const length = end - begin;
    if (weights) {
      sampleIndices(begin, length, layout, indices);
      for (let k = 0; k < length; k++) block[k] = 1 * scale * weights[indices[k]!]!;
    } else block.fill(1 * scale, 0, length);
    kernel.backward(call, begin, end, block, gradient);
  }
  kernel.memory.giveBackArray(floats);
  kernel.memory.giveBackArray(indices);
  if (weights) kernel.memory.giveBackArray(weights);
  kernel.end(call);
}
