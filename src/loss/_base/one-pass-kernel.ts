/**
 * The shapes of a loss's one-pass path and of its block hooks as `gloss-ml/kernels` (src/typed)
 * calls them; `onePassKernel` and `blockKernel` in loss.ts hand them out.
 * @module
 */
import type { TypedArray } from '../../ndarray/dtype.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import type { CallMemory } from '../_call-memory.js';
import type { ForwardGradientCall } from './hook-calls.js';
import type { Prepared } from './inputs.js';
import type { SampleGradient } from './pipelines.js';

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
  /** Loss.releasePrepared: memory `prepare` took for a call the one-pass hook does not run. */
  release(prepared: Prepared<Extra>): void;
  /** Loss.forwardGradient (see there and ForwardGradientCall for the fields of `call`). */
  run(call: ForwardGradientCall<Extra, undefined>): void;
  /**
   * Σ_k weight · ℓ_k over one sample's ℓ elements [begin, end), and its part of pred's gradient,
   * from the block hooks: for an infinite or NaN weight (see weighEachElement in pipelines.ts).
   */
  weighEachElement(
    prepared: Prepared<Extra>,
    sample: { readonly begin: number; readonly end: number; readonly weight: number },
    gradient: SampleGradient,
  ): number;
}

/** One call on a {@link BlockKernel}: its prepared inputs, its state and its gradient slots. */
export interface BlockKernelCall<Extra, State> {
  readonly prepared: Prepared<Extra>;
  readonly state: State;
  /** One slot per prepared array: pred's gradient in the first, null (not wanted) in the others. */
  readonly grads: (TypedArray | null)[];
}

/**
 * @internal A loss's block hooks bound to one loss object, for the `gloss-ml/kernels` calls a
 * one-pass hook does not cover (CTC; SoftmaxCE with dense labels, `fromLogits` or another class
 * axis): typed/_block.ts runs them as the block pipeline does.
 */
export interface BlockKernel<Extra = unknown, State = unknown> {
  /** The loss's validation and reshaping of its NDArray inputs (sampleWeight excluded) and the call's state. */
  begin(inputs: readonly (NDArray | null)[]): BlockKernelCall<Extra, State>;
  /** forwardBlock: ℓ[k] for begin ≤ k < end into out[k − begin]. */
  forward(call: BlockKernelCall<Extra, State>, begin: number, end: number, out: Float64Array): void;
  /** backwardBlock for pred alone (no other input's gradient). */
  backward(
    call: BlockKernelCall<Extra, State>,
    begin: number,
    end: number,
    dLoss: Float64Array,
    gradient: TypedArray,
  ): void;
  /** Whether backward assigns every element of pred's gradient (else it starts from zeros). */
  assignsGradient(call: BlockKernelCall<Extra, State>): boolean;
  /** Gives the call's state and what its prepare took back: only once the call is over. */
  end(call: BlockKernelCall<Extra, State>): void;
  /** The loss's CallMemory, for the call's working memory. */
  readonly memory: CallMemory;
}
