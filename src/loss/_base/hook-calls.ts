/**
 * The argument objects of a loss's block and one-pass hooks (see Loss.forwardBlock,
 * Loss.backwardBlock and Loss.forwardGradient): one object per hook call, made by the pipelines
 * (pipelines.ts) for each block, so a hook names what it reads and the signatures are written once.
 * @module
 */
import type { TypedArray } from '../../ndarray/dtype.js';
import type { Prepared } from './inputs.js';

/** A call's prepared inputs and per-call state, and the block [begin, end) of ℓ a hook covers. */
export interface BlockCall<Extra, State> {
  readonly prepared: Prepared<Extra>;
  readonly state: State;
  /** The first ℓ element of the block (row-major over `prepared.lossShape`). */
  readonly begin: number;
  /** One past the last ℓ element of the block. */
  readonly end: number;
}

/** Loss.forwardBlock's argument: ℓ[k] for `begin <= k < end` goes into `out[k - begin]`. */
export interface ForwardBlockCall<Extra, State> extends BlockCall<Extra, State> {
  readonly out: Float64Array;
}

/**
 * Loss.backwardBlock's argument: dℓ[k] is `dLoss[k - begin]`; the gradient of
 * `prepared.arrays[i]` goes into `grads[i]` (null where none is needed).
 */
export interface BackwardBlockCall<Extra, State> extends BlockCall<Extra, State> {
  readonly dLoss: Float64Array;
  readonly grads: readonly (TypedArray | null)[];
}

/**
 * Loss.forwardGradient's argument: each sample's `sampleSize` contiguous elements of
 * `prepared.arrays[0]`, its scale in `scales`, its Σ ℓ to write into `sums` and its scaled
 * gradient into `gradient`. No per-call state: a one-pass hook recomputes what it needs, so the
 * pipeline makes none (`state` is always undefined; `_State` only names the loss's block state).
 */
export interface ForwardGradientCall<Extra, _State> {
  readonly prepared: Prepared<Extra>;
  readonly state: undefined;
  readonly sampleSize: number;
  readonly scales: Float64Array;
  readonly sums: Float64Array;
  readonly gradient: TypedArray;
}
