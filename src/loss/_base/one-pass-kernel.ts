/**
 * The shape of a loss's one-pass path as `gloss-ml/kernels` (src/typed) calls it; `onePassKernel`
 * in loss.ts hands it out.
 * @module
 */
import type { NDArray } from '../../ndarray/ndarray.js';
import type { ForwardGradientCall } from './hook-calls.js';
import type { Prepared } from './inputs.js';

/**
 * @internal A loss's one-pass path, for `gloss-ml/kernels` (src/typed): its `prepare`, its
 * `canFuseGradient` and its `forwardGradient` hook, bound to it, so a typed-array call runs the
 * code the training step runs. `run` is `forwardGradient`, called with no state (undefined): no
 * one-pass hook reads per-call state (each recomputes what it needs), and a typed call must not
 * allocate the state the block path would.
 */
export interface OnePassKernel<Extra = unknown> {
  /** The loss's validation and reshaping of NDArray inputs (sampleWeight excluded), as in forward. */
  prepare(inputs: readonly (NDArray | null)[]): Prepared<Extra>;
  /** Whether this call's layout and options are covered by the one-pass hook. */
  canFuse(prepared: Prepared<Extra>): boolean;
  /** Loss.forwardGradient (see there and ForwardGradientCall for the fields of `call`). */
  run(call: ForwardGradientCall<Extra, undefined>): void;
}
