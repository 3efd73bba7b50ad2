/**
 * Which losses the page can draw against one prediction, and how: the browser twin of the table
 * behind `gloss plot` (src/cli/_loss-views.ts). The page imports only the public `gloss` entry,
 * and that table is a private CLI module, so the same facts are restated here.
 *
 * A loss has a one-dimensional view when each element's loss depends only on its own prediction
 * and label (the elementwise losses): a 1-D sweep of predictions against a fixed label is then
 * exactly a function of one variable.
 * @module
 */

/** How an option is edited: a number field, a checkbox, or a list of choices. */
export type OptionKind = 'number' | 'boolean' | { readonly choices: readonly string[] };

/** Loss option values as the loss constructors take them. */
export type LossOptionValues = Record<string, number | boolean | string>;

/** How one loss is drawn against one prediction. */
export interface LossView {
  /** The options that make sense in this view (`weight` always last). */
  readonly options: Readonly<Record<string, OptionKind>>;
  /** What the second input is called (`label`, or `target` for PoissonNLLLoss). */
  readonly labelName: string;
  /** The fixed label the tutorial uses: 0 for regression, 1 for classification. */
  readonly defaultLabel: number;
  /** The prediction range drawn by default for these options. */
  defaultRange(options: LossOptionValues): readonly [number, number];
  /** Why these options have no one-dimensional view, or null when they do. */
  unsupported?(options: LossOptionValues): string | null;
}

const WEIGHT: Readonly<Record<string, OptionKind>> = { weight: 'number' };
const SYMMETRIC: readonly [number, number] = [-5, 5];

function regression(extra: Readonly<Record<string, OptionKind>> = {}): LossView {
  return {
    options: { ...extra, ...WEIGHT },
    labelName: 'label',
    defaultLabel: 0,
    defaultRange: () => SYMMETRIC,
  };
}

function classification(extra: Readonly<Record<string, OptionKind>> = {}): LossView {
  return {
    options: { ...extra, ...WEIGHT },
    labelName: 'label',
    defaultLabel: 1,
    defaultRange: () => SYMMETRIC,
  };
}

const VIEWS: Record<string, LossView> = {
  L1Loss: regression(),
  L2Loss: regression(),
  HuberLoss: regression({ rho: 'number' }),
  HingeLoss: classification({ margin: 'number' }),
  SquaredHingeLoss: classification({ margin: 'number' }),
  LogisticLoss: classification({ labelFormat: { choices: ['signed', 'binary'] } }),
  SigmoidBinaryCrossEntropyLoss: {
    ...classification({ fromSigmoid: 'boolean' }),
    // With fromSigmoid the prediction is a probability; stay inside (0, 1).
    defaultRange: (options) => (options.fromSigmoid === true ? [0.001, 0.999] : SYMMETRIC),
  },
  KLDivLoss: {
    options: { fromLogits: 'boolean', ...WEIGHT },
    labelName: 'label',
    defaultLabel: 0.5,
    // pred is a log-probability, so at most 0.
    defaultRange: () => [-5, 0],
    unsupported: (options) =>
      options.fromLogits === false
        ? 'with fromLogits off the loss applies a log-softmax across all predictions, so no prediction has a loss of its own'
        : null,
  },
  PoissonNLLLoss: {
    options: { fromLogits: 'boolean', computeFull: 'boolean', ...WEIGHT },
    labelName: 'target',
    defaultLabel: 1,
    // fromLogits: pred is log(rate) and any real works; otherwise pred is the rate itself, > 0.
    defaultRange: (options) => (options.fromLogits === false ? [0.05, 5] : [-3, 3]),
  },
};

/** Every loss with a one-dimensional view, by Gluon class name. */
export const LOSS_VIEWS: Readonly<Record<string, LossView>> = Object.freeze(VIEWS);

/** A readable name of a configured loss: `HuberLoss(rho=1)`, `L2Loss()`. */
export function describeLoss(name: string, options: LossOptionValues): string {
  const parts = Object.entries(options).map(([key, value]) => `${key}=${value}`);
  return `${name}(${parts.join(', ')})`;
}
