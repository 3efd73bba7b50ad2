import { ValueError } from '../ndarray/errors.js';
import { checkFinite } from './_base/index.js';
import { type OverlapActivation, OverlapLoss, type OverlapLossOptions } from './_overlap.js';

/** Options of {@link TverskyLoss}. */
export interface TverskyLossOptions extends OverlapLossOptions {
  /** α, the weight of the false positives; finite and ≥ 0 (default 0.5). */
  alpha?: number;
  /** β, the weight of the false negatives; finite and ≥ 0 (default 0.5). */
  beta?: number;
  /** s, added to numerator and denominator; finite and > 0 (default 1e-5). */
  smooth?: number;
  /** `'none'` (the default: pred holds probabilities), `'sigmoid'` or `'softmax'` (pred holds logits). */
  activation?: OverlapActivation;
  /** The softmax's class axis (default −1, the last); must not be the batch axis. */
  axis?: number;
}

/**
 * Tversky loss (segmentation overlap that weighs false positives and false negatives apart), per
 * sample over all its non-batch elements:
 *
 * $$
 * \ell = 1 - \frac{\mathrm{TP} + s}{\mathrm{TP} + \alpha\,\mathrm{FP} + \beta\,\mathrm{FN} + s}
 *      = \frac{\alpha\,\mathrm{FP} + \beta\,\mathrm{FN}}{\mathrm{TP} + \alpha\,\mathrm{FP} + \beta\,\mathrm{FN} + s}
 * $$
 *
 * with p = `pred` after the activation, y = `label`, TP = Σ p·y, FP = Σ p(1 − y),
 * FN = Σ (1 − p)y, then `sampleWeight` and `weight`. With α = β = 0.5 it is the Dice loss
 * with smooth 2s; with α = β = 1 the Jaccard (IoU) loss.
 *
 * **Inputs**: `pred` any shape with a batch axis, probabilities in [0, 1] (`activation: 'none'`)
 * or logits; `label` the same number of elements (reshaped like `pred`), each in [0, 1] (a
 * ValueError names any other value; a NaN propagates); `sampleWeight` optional, one weight per
 * sample (shape `(N,)`).
 *
 * **Output**: shape `(N,)`, N the length of `pred`'s batch axis.
 *
 * **Options**: `alpha` (default 0.5) and `beta` (default 0.5), finite and ≥ 0; `smooth` s
 * (default 1e-5, > 0); `activation` (`'none'` default, `'sigmoid'`, or `'softmax'` along `axis`,
 * default −1, the last axis, which must not be the batch axis); `weight`; `batchAxis` (default 0).
 *
 * **Semantics**: Salehi et al. 2017, as in MONAI's `TverskyLoss` (α on false positives, β on
 * false negatives, one `smooth` in numerator and denominator), summed over every non-batch axis.
 * From PyTorch code whose class axis is 1, pass `axis: 1` with `activation: 'softmax'`.
 *
 * **Gradient**: with A = αFP + βFN, D the denominator, B = (TP + s)/D², E = A/D²:
 * ∂ℓ/∂p = (α(1 − y) − βy)·B − y·E, ∂ℓ/∂y = (β(1 − p) − αp)·B − p·E; then through the activation.
 *
 * **Stability**: computed as A/D, whose terms are all ≥ 0 for p, y in [0, 1] (no 1 − (1 − ε)
 * cancellation); 1 − p is σ(−x) after the sigmoid and −expm1(log p) after the softmax; sums in
 * float64.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.TverskyLoss({ alpha: 0.3, beta: 0.7 });
 * loss.forward(nd.array([[0.9, 0.1, 0.8]]), nd.array([[1, 0, 1]])); // [0.1237107]: (0.3·0.1 + 0.7·0.3)/(1.7 + 0.24 + s)
 * ```
 */
export class TverskyLoss extends OverlapLoss {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'TverskyLoss';
  /** Weights of the false positives and false negatives. */
  readonly alpha: number;
  readonly beta: number;

  constructor(options: TverskyLossOptions = {}) {
    const alpha = options.alpha === undefined ? 0.5 : options.alpha;
    const beta = options.beta === undefined ? 0.5 : options.beta;
    super(options, ['alpha', 'beta'], (where) => ({
      truePositive: 1,
      falsePositive: nonNegative(where, 'alpha', alpha),
      falseNegative: nonNegative(where, 'beta', beta),
    }));
    this.alpha = alpha;
    this.beta = beta;
  }
}

function nonNegative(where: string, option: string, value: unknown): number {
  const v = checkFinite(where, option, value);
  if (v < 0) throw new ValueError(`${where}: option ${option} must be >= 0, got ${v}`);
  return v;
}
