/**
 * The plain SGD step on float32 weights (MXNet `sgd_update` without momentum):
 * `w ← decay · w − lr · clip(rescale · g)` with `clip(v) = min(max(v, −bound), bound)`, computed
 * in float64 and rounded to float32 once per weight. On the wasm backend (sgd.wat) two weights
 * at a time, in blocks copied through scratch memory; the `'js'` backend and float64 weights run
 * the same formula in a loop. Both give the same results (bit for bit, but for NaN payloads).
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import type { FloatArray } from './_spans.js';
import { regionBytes, reserveScratch, SCRATCH_BASE, wasmScratch } from './runtime.js';

/** One SGD step's weights, gradient and scalars. */
export interface SGDUpdateArguments {
  /** Updated in place. */
  readonly weight: FloatArray;
  /** As many elements as `weight`. */
  readonly grad: FloatArray;
  /** The weight's factor, `1 − lr · wd`. */
  readonly decay: number;
  readonly learningRate: number;
  /** The factor applied to the gradient before clipping. */
  readonly rescale: number;
  /** The clipping bound (Infinity: none). */
  readonly bound: number;
}

/** Weights per wasm call: 32 KiB of weights and 32 KiB of gradient. */
const BLOCK = 8192;

/** `weight[i] ← decay · weight[i] − learningRate · clip(rescale · grad[i])`, in place. */
export function sgdUpdate(args: SGDUpdateArguments): void {
  const { weight, grad, decay, learningRate, rescale, bound } = args;
  const count = weight.length;
  if (grad.length !== count)
    throw new ValueError(`sgdUpdate: grad has ${grad.length} elements but weight has ${count}`);
  const float32 = weight instanceof Float32Array && grad instanceof Float32Array;
  const scratch = float32 ? reserveScratch(wasmScratch(), 2 * regionBytes(Math.min(count, BLOCK) * 4)) : null;
  if (!scratch) {
    for (let i = 0; i < count; i++) {
      const g = Math.min(Math.max(rescale * grad[i]!, -bound), bound);
      weight[i] = decay * weight[i]! - learningRate * g;
    }
    return;
  }
  const weightAt = SCRATCH_BASE;
  const gradAt = weightAt + regionBytes(Math.min(count, BLOCK) * 4);
  const { f32, kernels } = scratch;
  for (let start = 0; start < count; start += BLOCK) {
    const length = Math.min(BLOCK, count - start);
    f32.set(weight.subarray(start, start + length), weightAt >> 2);
    f32.set(grad.subarray(start, start + length), gradAt >> 2);
    kernels.sgdUpdate(weightAt, gradAt, length, decay, learningRate, rescale, bound);
    weight.set(f32.subarray(weightAt >> 2, (weightAt >> 2) + length), start);
  }
}
