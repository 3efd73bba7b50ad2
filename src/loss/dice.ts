import { type OverlapActivation, OverlapLoss, type OverlapLossOptions } from './_overlap.js';

/** Options of {@link DiceLoss}. */
export interface DiceLossOptions extends OverlapLossOptions {
  /** s, added to numerator and denominator; finite and > 0 (default 1e-5). */
  smooth?: number;
  /** `'none'` (the default: pred holds probabilities), `'sigmoid'` or `'softmax'` (pred holds logits). */
  activation?: OverlapActivation;
  /** The softmax's class axis (default −1, the last); must not be the batch axis. */
  axis?: number;
}

/**
 * Soft Dice loss (segmentation overlap), per sample over all its non-batch elements:
 *
 * $$
 * \ell = 1 - \frac{2 \sum p y + s}{\sum p + \sum y + s}
 *      = \frac{\mathrm{FP} + \mathrm{FN}}{2\,\mathrm{TP} + \mathrm{FP} + \mathrm{FN} + s}
 * $$
 *
 * with p = `pred` after the activation, y = `label`, TP = Σ p·y, FP = Σ p(1 − y), FN = Σ (1 − p)y,
 * then `sampleWeight` and `weight`. ℓ is one value per sample by nature, so the usual per-sample
 * mean leaves it as it is.
 *
 * **Inputs**: `pred` any shape with a batch axis, probabilities in [0, 1] (`activation: 'none'`)
 * or logits; `label` the same number of elements (reshaped like `pred`), each in [0, 1] (masks,
 * soft masks allowed; anything else is a ValueError naming the position and value, a NaN
 * propagates); `sampleWeight` optional, one weight per sample (shape `(N,)`).
 *
 * **Output**: shape `(N,)`, N the length of `pred`'s batch axis.
 *
 * **Options**: `smooth` s (default 1e-5, > 0: an empty mask predicted empty has loss 0, never
 * 0/0), `activation` (`'none'` default, `'sigmoid'`, or `'softmax'` along `axis`, default −1,
 * the last axis, which must not be the batch axis), `weight` (default none), `batchAxis` (default 0).
 *
 * **Semantics**: the soft Dice of MONAI's `DiceLoss` and segmentation_models_pytorch, with one
 * `smooth` in numerator and denominator and the sum over every non-batch axis, classes included
 * (MONAI's `batch=False`, then the mean over classes: for per-class Dice, call the loss on each
 * class's slice). From PyTorch code whose class axis is 1 (`[N, C, H, W]`), pass
 * `axis: 1` with `activation: 'softmax'`; gloss's class axis defaults to the last.
 *
 * **Gradient**: ∂ℓ/∂p = ((1 − y) − y)·B − 2y·E and ∂ℓ/∂y = ((1 − p) − p)·B − 2p·E with
 * B = (2TP + s)/D², E = (FP + FN)/D², D the denominator; then through the activation. No kinks.
 *
 * **Stability**: computed as (FP + FN)/D, whose terms are all ≥ 0 for p, y in [0, 1], so a
 * near-perfect overlap keeps its small loss; 1 − p is σ(−x) after the sigmoid and
 * −expm1(log p) after the (log-sum-exp) softmax, so logits of ±1e30 give exact probabilities and
 * finite gradients. Sums in float64.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.DiceLoss();
 * loss.forward(nd.array([[0.9, 0.1, 0.8]]), nd.array([[1, 0, 1]])); // [0.1052629]: (FP + FN)/(2TP + FP + FN + s) = 0.4/3.80001
 * ```
 */
export class DiceLoss extends OverlapLoss {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'DiceLoss';

  constructor(options: DiceLossOptions = {}) {
    super(options, [], () => ({ truePositive: 2, falsePositive: 1, falseNegative: 1 }));
  }
}
