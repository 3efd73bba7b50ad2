/**
 * The options every loss accepts (`weight`, `batchAxis`, `reduction`), how a call resolves its
 * reduction, and the JSON form of a loss's options (`toConfig`).
 * @module
 */
import { ValueError } from '../../ndarray/errors.js';
import type { TypedArray } from '../../ndarray/dtype.js';
import { NDArray } from '../../ndarray/ndarray.js';
import type { Prepared } from './loss.js';

/** How a loss reduces its weighted ℓ into what `forward` returns (see {@link LossOptions.reduction}). */
export type LossReduction = 'perSample' | 'none' | 'sum' | 'mean' | 'batchmean';

/** Options every loss accepts. */
export interface LossOptions {
  /** Scalar multiplier applied after `sampleWeight`; null (the default) means none. */
  weight?: number | null;
  /** The axis that indexes samples (default 0, may be negative). */
  batchAxis?: number;
  /**
   * What `forward` returns, from the weighted loss ℓ·sampleWeight·weight (ℓ: the loss's
   * unreduced terms, one per element for the elementwise losses, one per position without the
   * class axis for the class-axis losses, one per sample for CTC, Triplet, SDML and
   * CosineEmbedding):
   * - `'perSample'` (default, Gluon): the mean over every non-batch axis, shape `[batch]`;
   * - `'none'`: the weighted ℓ itself, unreduced (the prediction's shape for elementwise losses,
   *   without the class axis for class-axis losses, `[batch]` for per-sample losses);
   * - `'sum'`: the sum of `'none'`, a 0-d array;
   * - `'mean'`: that sum over the number of terms — the number of ℓ elements, or for a loss with
   *   class weights or ignored labels the weighted count of the counted terms, as PyTorch's
   *   `reduction='mean'` (sampleWeight scales terms but does not change the count); a batch with
   *   nothing counted gives 0, not NaN;
   * - `'batchmean'`: the sum over the batch size (PyTorch's KL `batchmean`).
   *
   * Gradients follow the reduction: `backward()` on a 0-d result gives the gradient of that
   * number. PyTorch's `reduction='mean'` is `'mean'` here, its `'sum'` is `'sum'`, its `'none'`
   * is `'none'` (for KLDivLoss with its default `classReduction: 'mean'`, ℓ is elementwise as
   * in PyTorch). One difference: PyTorch's `ctc_loss(reduction='mean')` first divides each
   * sequence's loss by its target length; CTCLoss's `'mean'` is the sum over the batch size.
   *
   * @example
   * ```ts
   * const pred = nd.array([[1, 2], [3, 4]]);
   * const label = nd.zeros([2, 2]);
   * new gluon.loss.L1Loss().forward(pred, label);                        // [1.5, 3.5]
   * new gluon.loss.L1Loss({ reduction: 'none' }).forward(pred, label);   // [[1, 2], [3, 4]]
   * new gluon.loss.L1Loss({ reduction: 'mean' }).forward(pred, label);   // 2.5 (0-d)
   * new gluon.loss.L1Loss({ reduction: 'batchmean' }).forward(pred, label); // 5 (0-d)
   * ```
   */
  reduction?: LossReduction;
}

/** A JSON value of a loss's config: options are numbers, strings, booleans, null or arrays of them. */
export type ConfigValue = number | string | boolean | null | readonly ConfigValue[];

/**
 * A loss as plain JSON (see {@link Loss.toConfig}): its class name and every option, defaults
 * included. `gluon.loss.fromConfig(config)` builds the same loss again.
 */
export interface LossConfig {
  readonly className: string;
  readonly options: Readonly<Record<string, ConfigValue>>;
}

/** An option value as JSON: NDArrays and typed arrays become nested arrays. */
function toConfigValue(where: string, option: string, value: unknown): ConfigValue {
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
    return value;
  if (value instanceof NDArray) return value.toArray() as ConfigValue;
  if (ArrayBuffer.isView(value)) return Array.from(value as TypedArray);
  if (Array.isArray(value)) return value.map((v) => toConfigValue(where, option, v));
  throw new ValueError(`${where}.toConfig: option ${option} holds a ${typeof value} that has no JSON form`);
}

/** What a loss keeps of its construction for its config: the option names it accepts and the options given. */
export interface LossConstruction {
  readonly names: readonly string[];
  readonly given: Readonly<Record<string, unknown>>;
  /** Options that follow from others (CTCLoss's batchAxis): left out of the config. */
  readonly derived: readonly string[];
}

/**
 * The config of `loss` (see {@link Loss.toConfig}): each option's value is the validated one the
 * loss keeps in the field of the option's name (every gloss loss keeps one per option), else the
 * value it was given.
 */
export function lossConfig(
  loss: object,
  name: string,
  { names, given, derived }: LossConstruction,
): LossConfig {
  const options: Record<string, ConfigValue> = {};
  for (const option of names) {
    if (derived.includes(option)) continue;
    const value = option in loss ? (loss as Record<string, unknown>)[option] : given[option];
    if (value !== undefined) options[option] = toConfigValue(name, option, value);
  }
  return { className: name, options };
}

/** The reductions {@link LossOptions.reduction} accepts. */
export const LOSS_REDUCTIONS: readonly LossReduction[] = ['perSample', 'none', 'sum', 'mean', 'batchmean'];

/** The reduction of one call, resolved against its ℓ (see pipelines.ts). */
export interface CallReduction {
  readonly kind: LossReduction;
  /** What the weighted sum is divided by for 'sum', 'mean' and 'batchmean' (0: the result is 0). */
  readonly divisor: number;
  /** The shape of the result for 'none' (ℓ's shape without its squeezed axes). */
  readonly shape: readonly number[];
}

/** The reduction of every 'perSample' call (nothing to resolve). */
/**
 * A CallReduction. Every one is made here, so they all share one hidden class and the pipelines'
 * reads of `kind` stay monomorphic whatever reductions other calls used.
 */
function callReduction(kind: LossReduction, divisor: number, shape: readonly number[]): CallReduction {
  return { kind, divisor, shape };
}

const NO_AXES: readonly number[] = [];
const PER_SAMPLE: CallReduction = callReduction('perSample', 1, NO_AXES);

/** A call's reduction against its ℓ; `meanDenominator` is asked only for 'mean'. */
export function resolveReduction(
  reduction: LossReduction,
  prepared: Prepared,
  meanDenominator: () => number,
): CallReduction {
  switch (reduction) {
    case 'perSample':
      return PER_SAMPLE;
    case 'none': {
      const squeezed = prepared.squeezedAxes ?? [];
      const shape = prepared.lossShape.filter((_, i) => !squeezed.includes(i));
      return callReduction('none', 1, shape);
    }
    case 'sum':
      return callReduction('sum', 1, NO_AXES);
    case 'mean':
      return callReduction('mean', meanDenominator(), NO_AXES);
    case 'batchmean':
      return callReduction('batchmean', prepared.lossShape[prepared.batchAxis] ?? 1, NO_AXES);
  }
}
