/**
 * The configurations extremes.test.ts runs: every registered loss, with the options that choose
 * different kernels, and the domain each continuous input is drawn from; and the inputs of one
 * run (sample shapes from the loss, values from the extreme pools of _extreme-runs.ts).
 */
import { sampleInputs } from './_sample-inputs.js';
import type { DType } from '../../src/ndarray/dtype.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import {
  ALL_LOSSES,
  HuberLoss,
  L1Loss,
  L2Loss,
  LogisticLoss,
  NLLLoss,
  NTXentLoss,
  PoissonNLLLoss,
  SigmoidBinaryCrossEntropyLoss,
  SigmoidFocalLoss,
  SoftmaxFocalLoss,
} from '../../src/loss/index.js';
import type { Loss } from '../../src/loss/_base/index.js';
import { type Domain, extremeValues, type InputSpec, type Scenario } from './_extreme-runs.js';

/** A loss with options, and the domain of each of its continuous inputs. */
export interface Configuration {
  readonly name: string;
  readonly make: () => Loss;
  /** Input name → domain; inputs not listed keep their sample values (discrete labels). */
  readonly domains: Readonly<Record<string, Domain>>;
}

export const CONFIGURATIONS: readonly Configuration[] = [
  { name: 'L2Loss', make: () => new L2Loss(), domains: { pred: 'real', label: 'real' } },
  { name: 'L1Loss', make: () => new L1Loss(), domains: { pred: 'real', label: 'real' } },
  { name: 'HuberLoss', make: () => new HuberLoss(), domains: { pred: 'real', label: 'real' } },
  { name: 'HingeLoss', make: () => new ALL_LOSSES.HingeLoss!(), domains: { pred: 'real', label: 'label' } },
  {
    name: 'SquaredHingeLoss',
    make: () => new ALL_LOSSES.SquaredHingeLoss!(),
    domains: { pred: 'real', label: 'label' },
  },
  { name: 'LogisticLoss', make: () => new LogisticLoss(), domains: { pred: 'real', label: 'label' } },
  {
    name: 'LogisticLoss(binary)',
    make: () => new LogisticLoss({ labelFormat: 'binary' }),
    domains: { pred: 'real', label: 'label' },
  },
  {
    name: 'SigmoidBinaryCrossEntropyLoss',
    make: () => new SigmoidBinaryCrossEntropyLoss(),
    domains: { pred: 'real', label: 'label' },
  },
  {
    name: 'SigmoidBinaryCrossEntropyLoss(posWeight)',
    make: () => new SigmoidBinaryCrossEntropyLoss(),
    domains: { pred: 'real', label: 'label', posWeight: 'weight' },
  },
  {
    name: 'SigmoidBinaryCrossEntropyLoss(fromSigmoid)',
    make: () => new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }),
    domains: { pred: 'probability', label: 'probability' },
  },
  {
    name: 'SigmoidBinaryCrossEntropyLoss(fromSigmoid, posWeight)',
    make: () => new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }),
    domains: { pred: 'probability', label: 'probability', posWeight: 'weight' },
  },
  {
    name: 'PoissonNLLLoss',
    make: () => new PoissonNLLLoss(),
    domains: { pred: 'real', target: 'nonNegative' },
  },
  {
    name: 'PoissonNLLLoss(rates, computeFull)',
    make: () => new PoissonNLLLoss({ fromLogits: false, computeFull: true }),
    domains: { pred: 'nonNegative', target: 'nonNegative' },
  },
  {
    name: 'SoftmaxCrossEntropyLoss',
    make: () => new ALL_LOSSES.SoftmaxCrossEntropyLoss!(),
    domains: { pred: 'real' },
  },
  {
    name: 'SoftmaxCrossEntropyLoss(labelSmoothing, classWeight, ignoreIndex)',
    make: () =>
      new ALL_LOSSES.SoftmaxCrossEntropyLoss!({
        labelSmoothing: 0.1,
        classWeight: [1, 2, 0.5, 3, 0.25],
        ignoreIndex: -1,
      }),
    domains: { pred: 'real' },
  },
  {
    name: 'SoftmaxCrossEntropyLoss(dense, labelSmoothing, classWeight)',
    make: () =>
      new ALL_LOSSES.SoftmaxCrossEntropyLoss!({
        sparseLabel: false,
        labelSmoothing: 0.2,
        classWeight: [1, 2, 0.5, 3, 0.25],
      }),
    domains: { pred: 'real', label: 'probability' },
  },
  {
    name: 'SoftmaxCrossEntropyLoss(dense)',
    make: () => new ALL_LOSSES.SoftmaxCrossEntropyLoss!({ sparseLabel: false }),
    domains: { pred: 'real', label: 'probability' },
  },
  {
    name: 'KLDivLoss',
    make: () => new ALL_LOSSES.KLDivLoss!(),
    domains: { pred: 'logProbability', label: 'probability' },
  },
  {
    name: 'KLDivLoss(logits, sum)',
    make: () => new ALL_LOSSES.KLDivLoss!({ fromLogits: false, classReduction: 'sum' }),
    domains: { pred: 'real', label: 'probability' },
  },
  {
    name: 'CosineEmbeddingLoss',
    make: () => new ALL_LOSSES.CosineEmbeddingLoss!(),
    domains: { input1: 'real', input2: 'real' },
  },
  {
    name: 'TripletLoss',
    make: () => new ALL_LOSSES.TripletLoss!(),
    domains: { pred: 'real', positive: 'real', negative: 'real' },
  },
  { name: 'SDMLLoss', make: () => new ALL_LOSSES.SDMLLoss!(), domains: { x1: 'real', x2: 'real' } },
  { name: 'CTCLoss', make: () => new ALL_LOSSES.CTCLoss!(), domains: { pred: 'real' } },
  {
    name: 'DiceLoss',
    make: () => new ALL_LOSSES.DiceLoss!(),
    domains: { pred: 'probability', label: 'probability' },
  },
  {
    name: 'DiceLoss(softmax)',
    make: () => new ALL_LOSSES.DiceLoss!({ activation: 'softmax' }),
    domains: { pred: 'real', label: 'probability' },
  },
  {
    name: 'TverskyLoss(sigmoid)',
    make: () => new ALL_LOSSES.TverskyLoss!({ activation: 'sigmoid', alpha: 0.3, beta: 0.7 }),
    domains: { pred: 'real', label: 'probability' },
  },
  { name: 'MultiMarginLoss', make: () => new ALL_LOSSES.MultiMarginLoss!(), domains: { pred: 'real' } },
  {
    name: 'MultiMarginLoss(p 2, classWeight)',
    make: () => new ALL_LOSSES.MultiMarginLoss!({ p: 2, classWeight: [1, 0.5, 2, 1, 3] }),
    domains: { pred: 'real' },
  },
  {
    name: 'MultiLabelMarginLoss',
    make: () => new ALL_LOSSES.MultiLabelMarginLoss!(),
    domains: { pred: 'real' },
  },
  {
    name: 'MultiLabelSoftMarginLoss',
    make: () => new ALL_LOSSES.MultiLabelSoftMarginLoss!({ classWeight: [1, 0.5, 2, 1, 3] }),
    domains: { pred: 'real', label: 'label' },
  },
  { name: 'NLLLoss', make: () => new NLLLoss(), domains: { logProb: 'logProbability' } },
  {
    name: 'NLLLoss(classWeight, ignoreIndex)',
    make: () => new NLLLoss({ classWeight: [1, 2, 0.5, 3, 0.25], ignoreIndex: -1 }),
    domains: { logProb: 'logProbability' },
  },
  {
    name: 'SigmoidFocalLoss',
    make: () => new SigmoidFocalLoss(),
    domains: { pred: 'real', label: 'probability' },
  },
  {
    name: 'SigmoidFocalLoss(alpha null, gamma 0.5)',
    make: () => new SigmoidFocalLoss({ alpha: null, gamma: 0.5 }),
    domains: { pred: 'real', label: 'probability' },
  },
  { name: 'SoftmaxFocalLoss', make: () => new SoftmaxFocalLoss(), domains: { pred: 'real' } },
  {
    name: 'SoftmaxFocalLoss(dense, per-class alpha, gamma 0.5)',
    make: () => new SoftmaxFocalLoss({ sparseLabel: false, alpha: [1, 0.5, 2, 0.25, 1], gamma: 0.5 }),
    domains: { pred: 'real', label: 'probability' },
  },
  { name: 'NTXentLoss', make: () => new NTXentLoss(), domains: { embeddings: 'real' } },
  {
    name: 'SmoothL1Loss',
    make: () => new ALL_LOSSES.SmoothL1Loss!(),
    domains: { pred: 'real', label: 'real' },
  },
  {
    name: 'SmoothL1Loss(beta 0)',
    make: () => new ALL_LOSSES.SmoothL1Loss!({ beta: 0 }),
    domains: { pred: 'real', label: 'real' },
  },
  { name: 'MSELoss', make: () => new ALL_LOSSES.MSELoss!(), domains: { pred: 'real', label: 'real' } },
  {
    name: 'LogCoshLoss',
    make: () => new ALL_LOSSES.LogCoshLoss!(),
    domains: { pred: 'real', label: 'real' },
  },
  {
    name: 'SoftMarginLoss',
    make: () => new ALL_LOSSES.SoftMarginLoss!(),
    domains: { pred: 'real', label: 'label' },
  },
  {
    name: 'MarginRankingLoss',
    make: () => new ALL_LOSSES.MarginRankingLoss!(),
    domains: { input1: 'real', input2: 'real', label: 'label' },
  },
  { name: 'HingeEmbeddingLoss', make: () => new ALL_LOSSES.HingeEmbeddingLoss!(), domains: { pred: 'real' } },
  {
    name: 'GaussianNLLLoss',
    make: () => new ALL_LOSSES.GaussianNLLLoss!(),
    domains: { pred: 'real', target: 'real', variance: 'nonNegative' },
  },
  {
    name: 'CosineSimilarityLoss',
    make: () => new ALL_LOSSES.CosineSimilarityLoss!(),
    domains: { pred: 'real', label: 'real' },
  },
  {
    name: 'TripletMarginLoss',
    make: () => new ALL_LOSSES.TripletMarginLoss!(),
    domains: { anchor: 'real', positive: 'real', negative: 'real' },
  },
  {
    name: 'TripletMarginLoss(p 1, swap)',
    make: () => new ALL_LOSSES.TripletMarginLoss!({ p: 1, swap: true }),
    domains: { anchor: 'real', positive: 'real', negative: 'real' },
  },
];

/**
 * The inputs of one run: the loss's sample inputs (for shapes and discrete labels), continuous
 * ones replaced by extreme values of their domain (float32-representable, so both dtypes see
 * the same numbers), a per-sample sampleWeight and a posWeight where configured; and the indices
 * of the inputs that get gradients.
 */
export function inputsFor(config: Configuration, loss: Loss, dtype: DType, scenario: Scenario, seed: number) {
  const sample = sampleInputs(loss, new RandomGenerator(seed), dtype)!;
  const names = loss.inputNames;
  const specs: (InputSpec | null)[] = names.map(() => null);
  const differentiable: number[] = [];
  sample.forEach((x, i) => {
    if (!x) return;
    const domain = config.domains[names[i]!];
    const values = domain
      ? extremeValues(domain, scenario, x.size, seed * 7 + i).map(Math.fround)
      : Array.from(x.data);
    specs[i] = { values, shape: x.shape, dtype: x.dtype };
    if (domain) differentiable.push(i);
  });
  const batch = sample[0]!.shape[0]!;
  const sw = loss.sampleWeightIndex;
  if (sw >= 0) {
    const values = extremeValues('weight', scenario, batch, seed + 11).map(Math.fround);
    specs[sw] = { values, shape: [batch], dtype };
    differentiable.push(sw);
  }
  const pw = names.indexOf('posWeight');
  if (pw >= 0 && config.domains.posWeight) {
    const pred = specs[0]!;
    specs[pw] = {
      values: extremeValues(config.domains.posWeight, scenario, pred.values.length, seed + 13).map(
        Math.fround,
      ),
      shape: pred.shape,
      dtype,
    };
    differentiable.push(pw);
  }
  return { specs, differentiable };
}
