/**
 * The one table of "loss views": how each loss is drawn as a curve of one prediction with the
 * label held fixed — which options make sense, the fixed label, the prediction range — and, for
 * every loss without such a view, why not. `gloss plot`, the browser demo, the API docs' loss
 * pages and their gallery all read this table, so a loss's chart is defined once.
 *
 * A loss has a one-dimensional view when each element's loss depends only on its own prediction
 * and label (the elementwise losses): a sweep of predictions against a fixed label is then exactly
 * a function of one variable. The table is plain data keyed by Gluon class name, so this module
 * needs no loss classes and the plot entry stays free of the core.
 *
 * ```ts
 * import { lossView, lossViewChart } from 'gloss-ml/plot';
 * const view = lossView('HuberLoss')!;
 * const [from, to] = view.defaultRange({}); // -5, 5
 * ```
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import { lineChart } from './line-chart.js';

/** How an option's value is read: a number, a switch, or one of a list of words. */
export type LossOptionKind = 'number' | 'boolean' | { readonly choices: readonly string[] };

/** Loss option values as the loss constructors take them. */
export type LossOptionValues = Record<string, number | boolean | string>;

/** How one loss is drawn against one prediction. */
export interface LossView {
  /** Gluon class name. */
  readonly name: string;
  /** The options that make sense in this view, with their kinds (`weight` always last). */
  readonly options: Readonly<Record<string, LossOptionKind>>;
  /** What the second input is called (`label`, or `target` for PoissonNLLLoss). */
  readonly labelName: string;
  /** The fixed label the tutorial uses: 0 for regression, 1 for classification. */
  defaultLabel(options: LossOptionValues): number;
  /** The prediction range drawn when none is given, inside the prediction's domain. */
  defaultRange(options: LossOptionValues): readonly [number, number];
  /** Why these options have no one-dimensional view, or null when they do. */
  unsupported?(options: LossOptionValues): string | null;
}

/** Predictions sampled along the range when no count is given, ends included. */
export const LOSS_VIEW_POINTS = 201;

const WEIGHT: Readonly<Record<string, LossOptionKind>> = { weight: 'number' };
const SYMMETRIC: readonly [number, number] = [-5, 5];

/** A view over [−5, 5] at a fixed `label`, with the options `extra` and `weight`. */
function symmetricView(
  name: string,
  label: number,
  extra: Readonly<Record<string, LossOptionKind>>,
): LossView {
  return {
    name,
    options: { ...extra, ...WEIGHT },
    labelName: 'label',
    defaultLabel: () => label,
    defaultRange: () => SYMMETRIC,
  };
}

/** A regression loss's view: the label 0. */
function regression(name: string, extra: Readonly<Record<string, LossOptionKind>> = {}): LossView {
  return symmetricView(name, 0, extra);
}

/** A classification loss's view: the label 1 (a positive example). */
function classification(name: string, extra: Readonly<Record<string, LossOptionKind>> = {}): LossView {
  return symmetricView(name, 1, extra);
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
  SigmoidFocalLoss: {
    ...classification('SigmoidFocalLoss', { alpha: 'number', gamma: 'number', fromSigmoid: 'boolean' }),
    // With fromSigmoid the prediction is a probability; stay inside (0, 1).
    defaultRange: (options) => (options.fromSigmoid === true ? [0.001, 0.999] : SYMMETRIC),
  },
  PoissonNLLLoss: {
    name: 'PoissonNLLLoss',
    options: { fromLogits: 'boolean', computeFull: 'boolean', ...WEIGHT },
    labelName: 'target',
    defaultLabel: () => 1,
    // fromLogits: pred is log(rate) and any real works; otherwise pred is the rate itself, > 0.
    defaultRange: (options) => (options.fromLogits === false ? [0.05, 5] : [-3, 3]),
  },
  SmoothL1Loss: regression('SmoothL1Loss', { beta: 'number' }),
  MSELoss: regression('MSELoss'),
  LogCoshLoss: regression('LogCoshLoss'),
  SoftMarginLoss: classification('SoftMarginLoss'),
  HingeEmbeddingLoss: {
    ...classification('HingeEmbeddingLoss', { margin: 'number' }),
    // pred is a distance, so at least 0; label 1 is the identity, −1 shows the hinge at the margin.
    defaultLabel: () => -1,
    defaultRange: () => [0, 4],
  },
};

/**
 * Every loss with a one-dimensional view, by Gluon class name, in the order `gloss plot` lists
 * them. A test checks that every registered loss is either here or in {@link lossesWithoutView}.
 */
export const lossViews: Readonly<Record<string, LossView>> = Object.freeze(VIEWS);

/**
 * Why each remaining loss has no one-dimensional view, by Gluon class name, in words for someone
 * who asked to plot it. The docs' gallery draws these by varying one input with the others fixed
 * (scripts/typedoc/docs-content.ts); such a chart depends on the inputs chosen, so it is not a
 * view of the loss that `gloss plot` could offer with a label and a range.
 */
export const lossesWithoutView: Readonly<Record<string, string>> = Object.freeze({
  SoftmaxCrossEntropyLoss:
    "each sample's loss is a softmax over all of its class scores, so it changes with every score at once and one prediction alone has no loss of its own",
  CTCLoss:
    'it scores a whole sequence of per-frame predictions against a label sequence, so there is no single prediction to vary',
  TripletLoss:
    "it compares three embeddings per sample (anchor, positive and negative), so a sample's loss depends on several inputs at once",
  CosineEmbeddingLoss:
    'it scores the angle between two embedding vectors, so its loss depends on two vectors at once rather than on one prediction',
  SDMLLoss:
    "it compares every pair of embeddings in the batch, so a sample's loss depends on the whole batch",
  DiceLoss:
    "it measures the overlap of a whole predicted mask with the label mask, so a sample's loss depends on all of its elements at once",
  TverskyLoss:
    "it measures the overlap of a whole predicted mask with the label mask, so a sample's loss depends on all of its elements at once",
  MultiMarginLoss:
    "each sample's loss compares the true class's score with every other class's score, so it depends on the whole row of scores",
  MultiLabelMarginLoss:
    "each sample's loss compares every target class's score with every other class's score, so it depends on the whole row",
  MultiLabelSoftMarginLoss:
    "each sample's loss is a mean over its row of class scores; for one class's curve see SigmoidBinaryCrossEntropyLoss, the same term",
  NLLLoss:
    'it picks one log-probability per row by its class index, so a view would only draw the straight line −logProb; the class index is not a label value to hold fixed',
  SoftmaxFocalLoss:
    "each sample's loss goes through a softmax over all of its class scores, so it changes with every score at once and one prediction alone has no loss of its own",
  NTXentLoss:
    "it compares every pair of embeddings in the batch by their labels, so a sample's loss depends on the whole batch",
  MarginRankingLoss:
    'it scores the difference of two predictions (input1 and input2), so no single prediction has a loss of its own',
  GaussianNLLLoss:
    'it scores a prediction under a variance that is a third input, so a curve of the prediction alone depends on the variance chosen',
  CosineSimilarityLoss:
    'it scores the angle between two vectors, so its loss depends on a whole vector at once rather than on one prediction',
  TripletMarginLoss:
    "it compares three embeddings per sample (anchor, positive and negative) through norms, so a sample's loss depends on several inputs at once",
});

/** The view of the loss called `name` (its Gluon class name), or undefined when it has none. */
export function lossView(name: string): LossView | undefined {
  return Object.hasOwn(lossViews, name) ? lossViews[name] : undefined;
}

/** Why the loss called `name` has no one-dimensional view, or undefined when it has one or is unknown. */
export function whyNoLossView(name: string): string | undefined {
  return Object.hasOwn(lossesWithoutView, name) ? lossesWithoutView[name] : undefined;
}

/** A readable name of a configured loss: `HuberLoss(rho=1)`, `L2Loss()`. */
export function describeLoss(name: string, options: LossOptionValues): string {
  const parts = Object.entries(options).map(([key, value]) => `${key}=${value}`);
  return `${name}(${parts.join(', ')})`;
}

/** The title of a loss view's chart, which names the label it was drawn at: `L2Loss(), label = 0`. */
export function lossViewTitle(view: LossView, options: LossOptionValues, label: number): string {
  return `${describeLoss(view.name, options)}, ${view.labelName} = ${label}`;
}

/** `points` evenly spaced values from `from` to `to`, both included: the predictions of a view. */
export function linspace(from: number, to: number, points: number): Float64Array {
  if (!Number.isFinite(from) || !Number.isFinite(to) || !(from < to)) {
    throw new ValueError(`linspace: need finite from < to, got from ${from}, to ${to}`);
  }
  if (!Number.isInteger(points) || points < 2)
    throw new ValueError(`linspace: points must be an integer >= 2, got ${points}`);
  const values = new Float64Array(points);
  for (let i = 0; i < points; i++) values[i] = from + ((to - from) * i) / (points - 1);
  return values;
}

/** A sampled loss view: ℓ(x) and dℓ/dx at each prediction x, with the label held fixed. */
export interface LossCurve {
  readonly x: ArrayLike<number>;
  readonly loss: ArrayLike<number>;
  readonly gradient: ArrayLike<number>;
}

/**
 * The chart of a loss curve: the loss solid, its gradient dashed, on shared axes. The title
 * should name the label the curve was drawn at ({@link lossViewTitle}). `size` defaults to the
 * line chart's.
 */
export function lossViewChart(
  curve: LossCurve,
  title: string,
  size?: { readonly width: number; readonly height: number },
): string {
  return lineChart(
    [
      { label: 'loss', x: curve.x, y: curve.loss },
      { label: 'gradient d loss / d pred', x: curve.x, y: curve.gradient, dashed: true },
    ],
    { title, xLabel: 'pred', yLabel: 'loss', ...size },
  );
}
