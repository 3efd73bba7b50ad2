/**
 * Which losses can be drawn as a curve of one prediction: the "one-dimensional view" behind
 * `gloss plot` and the tutorial's `show_*_loss` cells. A loss has one when each element's loss
 * depends only on its own prediction and label (the elementwise losses), so a 1-D sweep of
 * predictions against a fixed label is exactly the function of one variable.
 * @module
 */
import type { LossClass } from '../loss/index.js';
import * as losses from '../loss/index.js';
import { ValueError } from '../ndarray/errors.js';
import { kebabCase } from './_args.js';

/** How an option's text is read. */
export type OptionKind = 'number' | 'boolean' | { readonly choices: readonly string[] };

/** Loss option values as the loss constructors take them. */
export type LossOptionValues = Record<string, number | boolean | string>;

/** A loss that can be drawn against one prediction. */
export interface LossView {
  /** Gluon class name. */
  readonly name: string;
  /** The options that make sense in this view, with their kinds (`weight` always included). */
  readonly options: Readonly<Record<string, OptionKind>>;
  /** What the second input is called (`label`, or `target` for PoissonNLLLoss). */
  readonly labelName: string;
  /** The fixed label the tutorial would use: 0 for regression, 1 for classification. */
  defaultLabel(options: LossOptionValues): number;
  /** The prediction range drawn when none is given. */
  defaultRange(options: LossOptionValues): readonly [number, number];
  /** Why these options have no one-dimensional view, or null when they do. */
  unsupported?(options: LossOptionValues): string | null;
}

const WEIGHT: Readonly<Record<string, OptionKind>> = { weight: 'number' };
const SYMMETRIC: readonly [number, number] = [-5, 5];

function regression(name: string, extra: Readonly<Record<string, OptionKind>> = {}): LossView {
  return {
    name,
    options: { ...extra, ...WEIGHT },
    labelName: 'label',
    defaultLabel: () => 0,
    defaultRange: () => SYMMETRIC,
  };
}

function classification(name: string, extra: Readonly<Record<string, OptionKind>> = {}): LossView {
  return {
    name,
    options: { ...extra, ...WEIGHT },
    labelName: 'label',
    defaultLabel: () => 1,
    defaultRange: () => SYMMETRIC,
  };
}

const VIEWS: Record<string, LossView> = {
  L1Loss: regression('L1Loss'),
  L2Loss: regression('L2Loss'),
  HuberLoss: regression('HuberLoss', { rho: 'number' }),
  HingeLoss: classification('HingeLoss', { margin: 'number' }),
  SquaredHingeLoss: classification('SquaredHingeLoss', { margin: 'number' }),
  LogisticLoss: classification('LogisticLoss', { labelFormat: { choices: ['signed', 'binary'] } }),
  SigmoidBinaryCrossEntropyLoss: {
    ...classification('SigmoidBinaryCrossEntropyLoss', { fromSigmoid: 'boolean' }),
    // With fromSigmoid the prediction is a probability; stay inside (0, 1).
    defaultRange: (options) => (options.fromSigmoid === true ? [0.001, 0.999] : SYMMETRIC),
  },
  KLDivLoss: {
    name: 'KLDivLoss',
    options: { fromLogits: 'boolean', ...WEIGHT },
    labelName: 'label',
    defaultLabel: () => 0.5,
    // pred is a log-probability, so at most 0.
    defaultRange: () => [-5, 0],
    unsupported: (options) =>
      options.fromLogits === false
        ? 'with fromLogits false the loss applies a log-softmax across all predictions, so no prediction has a loss of its own; keep fromLogits true (the default)'
        : null,
  },
  PoissonNLLLoss: {
    name: 'PoissonNLLLoss',
    options: { fromLogits: 'boolean', computeFull: 'boolean', ...WEIGHT },
    labelName: 'target',
    defaultLabel: () => 1,
    // fromLogits: pred is log(rate) and any real works; otherwise pred is the rate itself, > 0.
    defaultRange: (options) => (options.fromLogits === false ? [0.05, 5] : [-3, 3]),
  },
};

/** Every loss with a one-dimensional view, by Gluon class name. */
export const LOSS_VIEWS: Readonly<Record<string, LossView>> = Object.freeze(VIEWS);

/** The loss classes exported from `gluon.loss`, aliases included, by exported name. */
function exportedLossClasses(): Map<string, LossClass> {
  const result = new Map<string, LossClass>();
  for (const [name, value] of Object.entries(losses)) {
    const isConcreteLoss =
      typeof value === 'function' && (value as { isLoss?: boolean }).isLoss === true && value !== losses.Loss;
    if (isConcreteLoss) result.set(name, value as LossClass);
  }
  return result;
}

/** The names of the losses that `gloss plot` can draw (those with a view that are implemented). */
export function plottableLossNames(): string[] {
  const classes = exportedLossClasses();
  return Object.keys(LOSS_VIEWS).filter((name) => classes.has(name));
}

/** A resolved loss: its class, its Gluon name and its view. */
export interface ResolvedLoss {
  readonly lossClass: LossClass;
  readonly name: string;
  readonly view: LossView;
}

/**
 * Finds the loss class a user typed: a Gluon class name or alias, case-insensitive, with or
 * without the `Loss` suffix, or an unambiguous prefix (`huber`, `SigmoidBCELoss`, `poisson`).
 * Unknown and ambiguous names are ValueErrors that list `offered`, the names that would work.
 */
export function resolveLossClass(
  typed: string,
  offered: readonly string[],
): { lossClass: LossClass; name: string } {
  const classes = exportedLossClasses();
  const wanted = typed.toLowerCase();
  const names = [...classes.keys()];
  const exact = names.find((name) => [wanted, `${wanted}loss`].includes(name.toLowerCase()));
  const byPrefix = names.filter((name) => name.toLowerCase().startsWith(wanted));
  const match = exact ?? (byPrefix.length === 1 ? byPrefix[0] : undefined);
  if (match === undefined) {
    const why =
      byPrefix.length > 1 ? `'${typed}' could be ${byPrefix.join(', ')}` : `unknown loss '${typed}'`;
    throw new ValueError(`${why}; choose one of ${offered.join(', ')}`);
  }
  const lossClass = classes.get(match)!;
  return { lossClass, name: lossClass.name };
}

/**
 * Finds the loss a user typed (see {@link resolveLossClass}) and its one-dimensional view. A loss
 * without one is a ValueError that lists the losses with one.
 */
export function resolveLossView(typed: string): ResolvedLoss {
  const plottable = plottableLossNames();
  const { lossClass, name } = resolveLossClass(typed, plottable);
  const view = LOSS_VIEWS[name];
  if (view === undefined) {
    throw new ValueError(
      `${name} has no one-dimensional view (its loss couples several values per sample); ` +
        `the losses with one are ${plottable.join(', ')}`,
    );
  }
  return { lossClass, name, view };
}

/** The option list of a view as help text shows it: `--rho NUMBER, --weight NUMBER`. */
export function describeViewOptions(view: LossView): string {
  return Object.entries(view.options)
    .map(([name, kind]) => `--${kebabCase(name)} ${kindText(kind)}`)
    .join(', ');
}

function kindText(kind: OptionKind): string {
  if (kind === 'number') return 'NUMBER';
  if (kind === 'boolean') return 'true|false';
  return kind.choices.join('|');
}

/**
 * Converts the typed options of `view` (text or bare flags) to loss option values. Unknown
 * options and unreadable values are ValueErrors that list the loss's options.
 */
export function readViewOptions(view: LossView, given: ReadonlyMap<string, string | true>): LossOptionValues {
  const values: LossOptionValues = {};
  const known = describeViewOptions(view);
  for (const [name, raw] of given) {
    const kind = view.options[name];
    if (kind === undefined) {
      throw new ValueError(
        `${view.name} has no option --${kebabCase(name)}; its options are ${known || '(none)'}`,
      );
    }
    values[name] = readValue(view.name, name, kind, raw, known);
  }
  const reason = view.unsupported?.(values) ?? null;
  if (reason !== null) throw new ValueError(`${view.name} cannot be drawn against one prediction: ${reason}`);
  return values;
}

function readValue(
  loss: string,
  name: string,
  kind: OptionKind,
  raw: string | true,
  known: string,
): number | boolean | string {
  const fail = (expected: string): never => {
    throw new ValueError(
      `${loss} option --${kebabCase(name)} needs ${expected}, got ${raw === true ? 'nothing' : JSON.stringify(raw)}; its options are ${known}`,
    );
  };
  if (kind === 'number') {
    const value = raw === true ? Number.NaN : Number(raw);
    return raw === true || raw.trim() === '' || !Number.isFinite(value) ? fail('a number') : value;
  }
  if (kind === 'boolean') {
    if (raw === true || raw === 'true') return true;
    return raw === 'false' ? false : fail('true or false');
  }
  return raw !== true && kind.choices.includes(raw) ? raw : fail(`one of ${kind.choices.join(', ')}`);
}

/** A readable name of a configured loss: `HuberLoss(rho=1)`, `L2Loss()`. */
export function describeLoss(name: string, options: LossOptionValues): string {
  const parts = Object.entries(options).map(([key, value]) => `${key}=${value}`);
  return `${name}(${parts.join(', ')})`;
}
