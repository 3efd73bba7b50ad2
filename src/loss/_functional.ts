/**
 * `gluon.loss.functional`: every registered loss as a function, derived from ALL_LOSSES, so a new
 * loss gets its function from its export line alone. `functional.softmaxCrossEntropy(pred, label)`
 * is `new SoftmaxCrossEntropyLoss().forward(pred, label)`; an options object given as the last
 * argument goes to the constructor: `functional.huber(pred, label, { rho: 2, reduction: 'mean' })`.
 *
 * **Names**: the class name without its `Loss` suffix, in lowerCamelCase, where a leading acronym
 * is lowercased whole (the capital that starts the next word stays): `L2Loss` → `l2`,
 * `SoftmaxCrossEntropyLoss` → `softmaxCrossEntropy`, `KLDivLoss` → `klDiv`, `CTCLoss` → `ctc`,
 * `SDMLLoss` → `sdml`, `PoissonNLLLoss` → `poissonNLL` (see {@link functionName}).
 *
 * **Arguments**: the loss's positional inputs in its `forward` order (null for a skipped optional
 * input), then optionally the options object: a plain object (not an NDArray, array, typed array
 * or number). Each call constructs the loss, so the options are validated as by the constructor.
 * @module
 */
import type { LossInput } from './_base/index.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type {
  CosineEmbeddingLossOptions,
  CTCLossOptions,
  HingeLossOptions,
  HuberLossOptions,
  KLDivLossOptions,
  L1LossOptions,
  L2LossOptions,
  LogisticLossOptions,
  PoissonNLLLossOptions,
  SDMLLossOptions,
  SigmoidBinaryCrossEntropyLossOptions,
  SoftmaxCrossEntropyLossOptions,
  SquaredHingeLossOptions,
  TripletLossOptions,
} from './exports.js';
import { ALL_LOSSES, type LossClass } from './_registry.js';

/** A loss as a function: its positional inputs, then optionally its options object. */
export type LossFunction<Options extends object = Record<string, unknown>> = (
  ...inputsThenOptions: (LossInput | null | undefined | Options)[]
) => NDArray;

/**
 * The function name of a loss class: without the `Loss` suffix, in lowerCamelCase, a leading run
 * of capitals lowercased except the one that starts the next word (`KLDivLoss` → `klDiv`).
 */
export function functionName(className: string): string {
  const stem = className.endsWith('Loss') && className !== 'Loss' ? className.slice(0, -4) : className;
  const run = /^[A-Z0-9]+/.exec(stem)?.[0] ?? '';
  // In "KLDiv" the run is "KLD" and its "D" starts the word "Div": keep that capital.
  const keep = run.length > 1 && run.length < stem.length && /[a-z]/.test(stem[run.length]!) ? 1 : 0;
  const lowered = run.slice(0, run.length - keep).toLowerCase();
  return lowered + stem.slice(lowered.length);
}

/** Whether `value` is an options object rather than an input. */
function isOptions(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value))
    return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function lossFunction(LossClass: LossClass): LossFunction {
  return (...args) => {
    const last = args[args.length - 1];
    const options = isOptions(last) ? last : undefined;
    const inputs = (options === undefined ? args : args.slice(0, -1)) as (LossInput | null | undefined)[];
    return new LossClass(options).forward(...inputs);
  };
}

/** The function forms of the Gluon losses, typed with their options. */
export interface GluonLossFunctions {
  readonly l1: LossFunction<L1LossOptions>;
  readonly l2: LossFunction<L2LossOptions>;
  readonly huber: LossFunction<HuberLossOptions>;
  readonly hinge: LossFunction<HingeLossOptions>;
  readonly squaredHinge: LossFunction<SquaredHingeLossOptions>;
  readonly logistic: LossFunction<LogisticLossOptions>;
  readonly sigmoidBinaryCrossEntropy: LossFunction<SigmoidBinaryCrossEntropyLossOptions>;
  readonly poissonNLL: LossFunction<PoissonNLLLossOptions>;
  readonly softmaxCrossEntropy: LossFunction<SoftmaxCrossEntropyLossOptions>;
  readonly klDiv: LossFunction<KLDivLossOptions>;
  readonly cosineEmbedding: LossFunction<CosineEmbeddingLossOptions>;
  readonly triplet: LossFunction<TripletLossOptions>;
  readonly ctc: LossFunction<CTCLossOptions>;
  readonly sdml: LossFunction<SDMLLossOptions>;
}

/** Every registered loss as a function (see the module's TSDoc for names and arguments). */
export const functional: GluonLossFunctions & Readonly<Record<string, LossFunction>> = Object.freeze(
  Object.fromEntries(
    Object.entries(ALL_LOSSES).map(([name, LossClass]) => [functionName(name), lossFunction(LossClass)]),
  ),
) as GluonLossFunctions & Readonly<Record<string, LossFunction>>;
