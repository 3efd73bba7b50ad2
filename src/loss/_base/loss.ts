/**
 * The `Loss` base class: what a loss states (its inputs, validation, kernels and twin as hooks)
 * and the public API every loss shares (forward, reference, options). The autograd nodes a call
 * becomes are in pipelines.ts, ℓ's layout and sampleWeight alignment in layout.ts, the shared
 * option and shape checks in validation.ts, the base options (reduction included) and the JSON form
 * of a loss's options in options.ts.
 *
 * A call converts the inputs, lets the loss validate and reshape them, and becomes exactly one
 * autograd node: ℓ block by block, each block weighted (`sampleWeight`, then `weight`) and
 * reduced while in cache; or, for a recorded call that differentiates only the prediction, the
 * loss's one-pass `forwardGradient`. With `createGraph` the backward differentiates the loss's
 * composed twin, so second derivatives of every loss are right. Gradient memory belongs to the
 * call's node until its graph is freed (docs/architecture.md).
 * @module
 */
import { backward as runBackward } from '../../autograd/backward.js';
import { isRecording } from '../../autograd/state.js';
import { isFloat } from '../../ndarray/dtype.js';
import { ValueError } from '../../ndarray/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { sizeOf } from '../../ndarray/shape.js';
import { mean, sum } from '../../ops/reduce.js';
import { mul } from '../../ops/elementwise.js';
import { reshape } from '../../ops/movement.js';
import { CallMemory } from '../_call-memory.js';
import type {
  BackwardBlockCall as BackwardBlock,
  ForwardBlockCall as ForwardBlock,
  ForwardGradientCall as ForwardGradient,
} from './hook-calls.js';
import { convertInputs, type LossInput, type Prepared as PreparedInputs, uniformPrepared } from './inputs.js';
import type { BlockKernel, OnePassKernel } from './one-pass-kernel.js';
import { alignSampleWeight, batchLayout, WeightReader } from './layout.js';
import { blockOp, type LossHooks, onePassOp, weighEachElement } from './pipelines.js';
import {
  type CallReduction,
  LOSS_REDUCTIONS,
  type LossConfig,
  type LossConstruction,
  type LossOptions,
  type LossReduction,
  resolveReduction,
  lossConfig,
} from './options.js';
import { checkChoice, checkFinite, checkKnownOptions } from './validation.js';

export type { CallReduction, ConfigValue, LossConfig, LossOptions, LossReduction } from './options.js';
export { LOSS_REDUCTIONS } from './options.js';
export type { LossInput, Prepared } from './inputs.js';
export type { BackwardBlockCall, BlockCall, ForwardBlockCall, ForwardGradientCall } from './hook-calls.js';
export type { BlockKernel, BlockKernelCall, OnePassKernel } from './one-pass-kernel.js';

/** A call's prepared inputs, its sampleWeight apart, and the shape that weight takes against ℓ. */
interface PreparedCall<Extra> {
  readonly prepared: PreparedInputs<Extra>;
  readonly sampleWeight: NDArray | null;
  readonly weightShape: readonly number[] | null;
}

/** The meanDenominator of a reduction that never asks for one. */
function noDenominator(): number {
  return 1;
}

// ---- the base class -----------------------------------------------------------------------

/** Options understood by the base: `weight`, `batchAxis` and `reduction`. */
const BASE_OPTIONS = ['weight', 'batchAxis', 'reduction'] as const;

/** Set once, by the Loss class body (the only code that may read the protected hooks). */
let bindOnePass: <Extra>(loss: Loss<Extra>) => OnePassKernel<Extra> | null;
/** Set once, by the Loss class body, like bindOnePass. */
let bindBlocks: <Extra, State>(loss: Loss<Extra, State>) => BlockKernel<Extra, State>;

/**
 * Base of every Gluon loss. Subclasses supply `prepare` (validation and reshaping), a fused
 * `forwardBlock`/`backwardBlock` pair (with optional per-call state from `createState`), and
 * `twin`, the same loss composed from differentiable NDArray ops.
 */
// `any` defaults make `Loss` without arguments the type of every loss (`let loss: gluon.loss.Loss`):
// with `unknown`, the protected hooks taking Extra and State would make L2Loss not assignable.
// biome-ignore lint/suspicious/noExplicitAny: the type of any loss, whatever its Extra and State
export abstract class Loss<Extra = any, State = any> {
  /** Brand used by the registry to recognise loss classes. */
  static readonly isLoss = true;
  // Grants onePassKernel (below) the protected hooks it hands to gloss-ml/kernels, without casts.
  static {
    bindOnePass = (loss) =>
      loss.forwardGradient
        ? {
            prepare: (inputs) => loss.prepare(inputs, inputs),
            canFuse: (prepared) => loss.canFuseGradient(prepared),
            release: (prepared) => loss.releasePrepared(prepared),
            run: loss.forwardGradient.bind(loss),
            weighEachElement: (prepared, sample, gradient) =>
              weighEachElement(loss.hooks, prepared, sample, gradient),
          }
        : null;
    bindBlocks = (loss) => ({
      begin: (inputs) => {
        const prepared = loss.prepare(inputs, inputs);
        return { prepared, state: loss.createState(prepared), grads: prepared.arrays.map(() => null) };
      },
      forward: ({ prepared, state }, begin, end, out) =>
        loss.forwardBlock({ prepared, state, begin, end, out }),
      backward: ({ prepared, state, grads }, begin, end, dLoss, gradient) => {
        grads[0] = gradient;
        loss.backwardBlock({ prepared, state, begin, end, dLoss, grads });
      },
      assignsGradient: ({ prepared }) => loss.assignsGradient(prepared, 0),
      end: ({ prepared, state }) => {
        loss.releaseState(state);
        loss.releasePrepared(prepared);
      },
      memory: loss.callMemory,
    });
  }
  /**
   * The Gluon class name. Every loss declares it, because bundlers that minify rename classes and
   * `constructor.name` would then print mangled names in messages and the registry.
   */
  static readonly lossName?: string;
  /**
   * Options the loss passes to the base itself rather than taking from the user (CTCLoss's
   * batchAxis follows labelLayout): {@link toConfig} leaves them out.
   */
  static readonly derivedOptions?: readonly string[];
  /** Scalar weight, or null for none. */
  readonly weight: number | null;
  /** Batch axis as given (may be negative). */
  readonly batchAxis: number;
  /** What `forward` returns (see {@link LossOptions.reduction}). */
  readonly reduction: LossReduction;
  /** The option names this loss accepts and the options object it was constructed from (for toConfig). */
  private readonly construction: Omit<LossConstruction, 'derived'>;
  /** Gluon's positional input names, in order (e.g. pred, label, sampleWeight). */
  abstract readonly inputNames: readonly string[];

  protected constructor(
    options: LossOptions & object,
    known: readonly string[],
    defaultWeight: number | null = null,
  ) {
    const where = (this.constructor as { lossName?: string }).lossName ?? this.constructor.name;
    if (options === null || typeof options !== 'object')
      throw new ValueError(`${where}: options must be an object, got ${String(options)}`);
    const names = [...BASE_OPTIONS, ...known];
    checkKnownOptions(where, options, names);
    this.construction = { names, given: { ...options } };
    const reduction = options.reduction === undefined ? 'perSample' : options.reduction;
    this.reduction = checkChoice(where, 'reduction', reduction, LOSS_REDUCTIONS);
    const weight = options.weight === undefined ? defaultWeight : options.weight;
    this.weight = weight === null ? null : checkFinite(where, 'weight', weight);
    // undefined means the default; null is rejected like any other non-integer, as for every option.
    const batchAxis = options.batchAxis === undefined ? 0 : options.batchAxis;
    if (!Number.isInteger(batchAxis))
      throw new ValueError(`${where}: option batchAxis must be an integer, got ${String(batchAxis)}`);
    this.batchAxis = batchAxis;
    this.hooks = this.bindHooks();
  }

  /**
   * This loss's hooks bound to it, for the pipelines (pipelines.ts). Made in the constructor, so
   * every call's path is the same (a lazily made object would be a path the optimizer first sees
   * when a second loss object runs, and deoptimizes the training step's code for).
   */
  private readonly hooks: LossHooks<Extra, State>;

  private bindHooks(): LossHooks<Extra, State> {
    return {
      name: this.name,
      weight: this.weight,
      callMemory: this.callMemory,
      createState: (prepared) => this.createState(prepared),
      releaseState: (state) => this.releaseState(state),
      forwardBlock: (call) => this.forwardBlock(call),
      backwardBlock: (call) => this.backwardBlock(call),
      assignsGradient: (prepared, index) => this.assignsGradient(prepared, index),
      forwardGradient: this.forwardGradient?.bind(this),
      twinGradients: (prepared, sampleWeight, weightShape, reduction, gradOutput) =>
        this.twinGradients(prepared, sampleWeight, weightShape, reduction, gradOutput),
    };
  }

  /** The loss's name in messages (the Gluon class name). */
  get name(): string {
    const own = this.constructor as { lossName?: string; name: string };
    return own.lossName ?? own.name;
  }

  /** Validates and reshapes the positional inputs (sampleWeight excluded). */
  protected abstract prepare(
    inputs: readonly (NDArray | null)[],
    raw: readonly (LossInput | null | undefined)[],
  ): PreparedInputs<Extra>;

  /**
   * Per-call state shared by the forward and backward blocks (for example SoftmaxCE's per-row
   * log-sum-exp). Keep it O(batch) where the math allows. It is created once per forward call
   * and kept for that call's backward passes (there may be several, with `retainGraph`).
   */
  protected createState(_prepared: PreparedInputs<Extra>): State {
    // A loss without per-call state declares State = undefined (the default of its base).
    return undefined as State;
  }

  /**
   * Fused forward over a block of ℓ: `call` is `{ prepared, state, begin, end, out }`; writes ℓ[k]
   * for `begin <= k < end` (row-major over `lossShape`) into `out[k - begin]`. The base calls it on small blocks so that ℓ never exists
   * as a full buffer, and reduces each block (sampleWeight, weight, per-sample mean) while it is
   * still in cache. Every block is forwarded before any is backwarded; the blocks are at most
   * 4096 elements long but may start and end anywhere, and a block may be forwarded again during
   * the backward pass (for sampleWeight's gradient), so the same block must give the same ℓ.
   */
  protected abstract forwardBlock(call: ForwardBlock<Extra, State>): void;

  /**
   * Fused backward over a block of ℓ: `call` is `{ prepared, state, begin, end, dLoss, grads }`;
   * given dℓ[k] in `dLoss[k - begin]` for `begin <= k < end`,
   * adds the gradient contributions of those ℓ elements to `grads[i]` for each entry of
   * `prepared.arrays` (null where no gradient is needed). The grads start at zero (unless
   * {@link assignsGradient} says the loss assigns every element) and have the shape and dtype of
   * their array (new array objects for each backward pass; the memory may be the variable's own
   * `.grad` buffer); an entry touched by exactly one ℓ element may be assigned, one touched by
   * several must be accumulated — in float64 across blocks, copied out when the pass has seen
   * every ℓ element, where float32 rounding per term would lose precision.
   */
  protected abstract backwardBlock(call: BackwardBlock<Extra, State>): void;

  /**
   * Whether `backwardBlock` assigns every element of `prepared.arrays[index]`'s gradient over a
   * pass (each element written, none only accumulated into). Then a gradient written straight
   * into the variable's existing `.grad` buffer (see offeredGradientBuffer) need not be zeroed
   * first. Default false; a loss overrides it for the arrays where it holds.
   */
  protected assignsGradient(_prepared: PreparedInputs<Extra>, _index: number): boolean {
    return false;
  }

  /**
   * Optional fused forward and backward; `call` is
   * `{ prepared, state, sampleSize, scales, sums, gradient }`. `prepared.arrays[0]` must hold each sample's elements
   * contiguously, `sampleSize` of them per sample (as many samples as `scales` has entries), and
   * the loss must assign every gradient element. Writes `sums[s] = Σ ℓ` over sample s's ℓ
   * elements (the same ℓ as `forwardBlock`) and `gradient[k] = scales[s] · ∂(Σ ℓ)/∂arrays[0][k]`
   * for each element k of sample s. For the elementwise losses ℓ has arrays[0]'s shape; for
   * TripletLoss a sample has one ℓ element and a row of arrays[0].
   *
   * In a recorded call where only `arrays[0]` needs a gradient (and any sampleWeight is one value
   * per sample and needs none) the base runs this instead of `forwardBlock`, so a training step
   * reads the inputs once: the backward only multiplies the stored gradient by the head gradient
   * (a plain copy for the usual head of ones). {@link canFuseGradient} may decline per call.
   * It gets no per-call state (`state` is undefined): neither the pipeline nor gloss-ml/kernels makes one.
   */
  protected forwardGradient?(call: ForwardGradient<Extra, State>): void;

  /**
   * Whether this call may use {@link forwardGradient} (default: whenever the loss has one); a
   * loss declines options its one-pass kernel does not cover, or a layout where arrays[0]'s
   * samples are not contiguous.
   */
  protected canFuseGradient(_prepared: PreparedInputs<Extra>): boolean {
    return true;
  }

  /**
   * What `reduction: 'mean'` divides the weighted sum of ℓ by: by default the number of ℓ
   * elements. A loss with class weights or ignored labels returns the weighted count of the terms
   * it counts (PyTorch's `mean`); 0 (nothing counted) makes the result 0 rather than NaN.
   */
  protected meanDenominator(prepared: PreparedInputs<Extra>): number {
    return sizeOf(prepared.lossShape);
  }

  /** The same ℓ as `forwardBlock`, composed from differentiable ops (slow, obviously right). */
  abstract twin(prepared: PreparedInputs<Extra>): NDArray;

  /**
   * Inputs that are discrete (class indices, ±1 labels, lengths): they get no gradient. The
   * contract suite differentiates every other float input.
   */
  get discreteInputs(): readonly string[] {
    return [];
  }

  /** Index of the sampleWeight input among the positional inputs, or -1 if the loss takes none. */
  get sampleWeightIndex(): number {
    return this.inputNames.indexOf('sampleWeight');
  }

  /**
   * Number of leading positional inputs that are required: by default every input before
   * sampleWeight (all of them when the loss takes none); a loss with optional inputs of its own
   * (CTCLoss's lengths) says how many.
   */
  protected get requiredInputs(): number {
    const swIndex = this.sampleWeightIndex;
    return swIndex >= 0 ? swIndex : this.inputNames.length;
  }

  /** Gluon-like description, e.g. `HuberLoss(batchAxis=0, w=null)`. */
  toString(): string {
    return `${this.name}(batchAxis=${this.batchAxis}, w=${this.weight === null ? 'null' : this.weight})`;
  }

  /**
   * The loss as plain JSON: `{ className, options }` with every option it accepts, defaults
   * included (`JSON.stringify` keeps it whole; NDArrays and typed arrays become nested arrays).
   * `gluon.loss.fromConfig(config)` builds a loss that computes the same numbers.
   */
  toConfig(): LossConfig {
    const derived = (this.constructor as typeof Loss).derivedOptions ?? [];
    return lossConfig(this, this.name, { ...this.construction, derived });
  }

  // ---- the pipeline ---------------------------------------------------------------------

  /**
   * A call's inputs converted, validated and reshaped by the loss (`prepare`), with the
   * sampleWeight apart and the shape it takes against ℓ.
   */
  private prepareCall(inputs: readonly (LossInput | null | undefined)[]): PreparedCall<Extra> {
    const converted = convertInputs(this.name, this.inputNames, this.requiredInputs, inputs);
    const swIndex = this.sampleWeightIndex;
    let sampleWeight: NDArray | null = null;
    if (swIndex >= 0 && swIndex < converted.length) {
      sampleWeight = converted[swIndex] ?? null;
      converted[swIndex] = null;
    }
    const prepared = uniformPrepared(this.prepare(converted, inputs));
    const weightShape = sampleWeight ? alignSampleWeight(this.name, sampleWeight, prepared) : null;
    return { prepared, sampleWeight, weightShape };
  }

  /**
   * Computes the loss: by default one value per sample (a 1-D array along the batch axis), else
   * as the `reduction` option says. Inputs follow Gluon's positional order (`inputNames`), with
   * null for a skipped optional input.
   */
  forward(...inputs: (LossInput | null | undefined)[]): NDArray {
    const { prepared, sampleWeight, weightShape } = this.prepareCall(inputs);
    // The node's inputs: prepared.arrays itself (never written) unless a sampleWeight joins them.
    const arrays = sampleWeight ? [...prepared.arrays, sampleWeight] : prepared.arrays;
    const weights =
      sampleWeight && weightShape ? new WeightReader(sampleWeight, weightShape, prepared) : null;
    const reduction = this.callReduction(prepared);
    // 'none' returns ℓ itself, which only the block path computes.
    const fused = reduction.kind !== 'none' && this.fusesGradient(prepared, sampleWeight, weights);
    // Whether the op below builds a graph node, i.e. whether a backward may still read the call's
    // state after its forward (the forward itself runs with recording paused).
    let recorded = false;
    if (isRecording())
      for (let i = 0; i < arrays.length && !recorded; i++) recorded = arrays[i]!.requiresGrad;
    const hooks = this.hooks;
    const op = fused
      ? onePassOp(hooks, prepared, weights, reduction)
      : blockOp(hooks, prepared, sampleWeight, weights, recorded, reduction);
    return this.explained(prepared, op(arrays, undefined));
  }

  /** This call's reduction: what the sum is divided by, or the shape 'none' returns. */
  private callReduction(prepared: PreparedInputs<Extra>): CallReduction {
    // The default asks nothing of the loss (and makes no closure on every training step).
    if (this.reduction === 'perSample') return resolveReduction('perSample', prepared, noDenominator);
    return resolveReduction(this.reduction, prepared, () => this.meanDenominator(prepared));
  }

  /**
   * Whether this call computes `arrays[0]`'s gradient during its forward: a recorded call of a
   * loss with {@link forwardGradient}, where that array is the only float input that needs
   * a gradient, each sample's ℓ elements are contiguous, and a sampleWeight (if any) is one
   * value per sample that needs no gradient.
   */
  private fusesGradient(
    prepared: PreparedInputs<Extra>,
    sampleWeight: NDArray | null,
    weights: WeightReader | null,
  ): boolean {
    if (!this.forwardGradient || !isRecording() || !this.canFuseGradient(prepared)) return false;
    const arrays = prepared.arrays;
    const first = arrays[0];
    if (!first || !isFloat(first.dtype) || !first.requiresGrad) return false;
    for (let i = 1; i < arrays.length; i++)
      if (isFloat(arrays[i]!.dtype) && arrays[i]!.requiresGrad) return false;
    if (sampleWeight && (sampleWeight.requiresGrad || !weights?.perSample)) return false;
    const layout = batchLayout(prepared);
    return layout.inner === layout.count && layout.count > 0;
  }

  /**
   * Memory this loss object reuses across its calls: a call's gradient and, for some losses, its
   * state go back here once its graph is freed (see CallMemory for why that is safe).
   */
  protected readonly callMemory = new CallMemory();

  /**
   * Called with a call's state (from {@link createState}) once nothing can read it any more: right
   * after the forward of a call that built no graph node, or when the call's graph was freed by a
   * successful backward pass. A loss whose state is large gives it back to {@link callMemory}
   * here; the default does nothing.
   */
  protected releaseState(_state: State): void {}

  /**
   * Called by gloss-ml/kernels' block runner (see {@link blockKernel}) when its call returns, with
   * the call's prepared inputs: a loss whose `prepare` took memory from {@link callMemory} for
   * the call gives it back here. (A recorded call leaves that memory to the garbage collector.)
   */
  protected releasePrepared(_prepared: PreparedInputs<Extra>): void {}

  /**
   * Throws the ValueError for a finite input the loss's formula has no value for (checkDomain),
   * if the call has one. Called only when a result holds a NaN, so it costs no pass over the
   * inputs: a loss defines it for inputs whose formula is NaN exactly where they are out of range.
   */
  protected explainNaN?(prepared: PreparedInputs<Extra>): void;

  /** `output`, once {@link explainNaN} (if the loss has it) has looked for the cause of a NaN in it. */
  private explained(prepared: PreparedInputs<Extra>, output: NDArray): NDArray {
    if (this.explainNaN && output.data.some(Number.isNaN)) this.explainNaN(prepared);
    return output;
  }

  /** Alias of {@link forward}: `loss.call(pred, label)`. */
  call(...inputs: (LossInput | null | undefined)[]): NDArray {
    return this.forward(...inputs);
  }

  /**
   * The same loss computed entirely from differentiable ops (the twin, then weighting and the
   * reduction). Slow; the tests compare it with {@link forward}.
   */
  reference(...inputs: (LossInput | null | undefined)[]): NDArray {
    const { prepared, sampleWeight, weightShape } = this.prepareCall(inputs);
    const reduction = this.callReduction(prepared);
    return this.explained(prepared, this.composedPipeline(prepared, sampleWeight, weightShape, reduction));
  }

  private composedPipeline(
    prepared: PreparedInputs<Extra>,
    sampleWeight: NDArray | null,
    weightShape: readonly number[] | null,
    reduction: CallReduction,
  ): NDArray {
    let loss = this.twin(prepared);
    if (sampleWeight && weightShape) loss = mul(loss, reshape(sampleWeight, [...weightShape]));
    if (this.weight !== null) loss = mul(loss, this.weight);
    switch (reduction.kind) {
      case 'perSample': {
        const axes = loss.shape.map((_, i) => i).filter((i) => i !== prepared.batchAxis);
        return axes.length > 0 ? mean(loss, axes) : loss;
      }
      case 'none':
        return reshape(loss, [...reduction.shape]);
      case 'sum':
        return sum(loss);
      default:
        // 'mean' and 'batchmean'; a divisor of 0 (nothing counted) gives 0.
        return mul(sum(loss), reduction.divisor === 0 ? 0 : 1 / reduction.divisor);
    }
  }

  private twinGradients(
    prepared: PreparedInputs<Extra>,
    sampleWeight: NDArray | null,
    weightShape: readonly number[] | null,
    reduction: CallReduction,
    gradOutput: NDArray,
  ): (NDArray | null)[] {
    const variables = sampleWeight ? [...prepared.arrays, sampleWeight] : [...prepared.arrays];
    const output = this.composedPipeline(prepared, sampleWeight, weightShape, reduction);
    if (!output.requiresGrad) return variables.map(() => null);
    const grads = runBackward([output], [gradOutput], {
      retainGraph: true,
      createGraph: true,
      variables,
      stopAtVariables: true,
    })!;
    return grads.map((g, i) => (isFloat(variables[i]!.dtype) ? g : null));
  }
}

/** The types of the hooks' arguments, named through the class: a loss file imports `Loss` alone. */
export declare namespace Loss {
  type Options = LossOptions;
  type Prepared<Extra = unknown> = PreparedInputs<Extra>;
  type ForwardBlockCall<Extra, State> = ForwardBlock<Extra, State>;
  type BackwardBlockCall<Extra, State> = BackwardBlock<Extra, State>;
  type ForwardGradientCall<Extra, State> = ForwardGradient<Extra, State>;
}

/** @internal The one-pass path of `loss` (see {@link OnePassKernel}); null without `forwardGradient`. */
export function onePassKernel<Extra>(loss: Loss<Extra>): OnePassKernel<Extra> | null {
  return bindOnePass(loss);
}

/** @internal The block hooks of `loss` (see {@link BlockKernel}), for forms a one-pass hook does not cover. */
export function blockKernel<Extra, State>(loss: Loss<Extra, State>): BlockKernel<Extra, State> {
  return bindBlocks(loss);
}
