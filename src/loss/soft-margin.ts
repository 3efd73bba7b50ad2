import type { NDArray } from '../ndarray/ndarray.js';
import { mul, neg, softplus } from '../ops/elementwise.js';
import { sigmoidScalar, softplusScalar } from '../kernels/elementwise.js';
import { PointwiseLoss } from './_elementwise.js';
import type { Loss } from './_base/index.js';

/** Options of {@link SoftMarginLoss}: `weight` and `batchAxis`. */
export type SoftMarginLossOptions = Loss.Options;

/**
 * Soft margin loss (PyTorch's `soft_margin_loss`), a two-class logistic loss on signed labels:
 *
 * $$ \ell = \log\bigl(1 + e^{-\text{label} \cdot \text{pred}}\bigr) = \operatorname{softplus}(-\text{label} \cdot \text{pred}) $$
 *
 * then `sampleWeight`, `weight` and the mean over the non-batch axes.
 *
 * **Inputs**: `pred` any shape, real scores; `label` the same number of elements (reshaped like
 * `pred`), documented as −1 or 1 but any finite real is used as written (as PyTorch);
 * `sampleWeight` optional, broadcastable to `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `weight` (default none), `batchAxis` (default 0).
 *
 * **Semantics**: PyTorch's `nn.SoftMarginLoss` with `reduction='none'`, then gloss's per-sample
 * mean (PyTorch's default `'mean'` is the mean of this output for `(N, ...)` inputs). For labels
 * ±1 it equals `LogisticLoss({ labelFormat: 'signed' })`; for other labels it does not (Logistic
 * maps the label to (label + 1)/2 first). PyTorch does not differentiate the label; gloss gives
 * its true gradient. PyTorch computes log(1 + exp(−y·x)), which overflows to ∞ once −y·x passes
 * ~709 (float64) or ~88 (float32); gloss returns the finite value.
 *
 * **Gradient**: −label · σ(−label · pred) with respect to `pred`, −pred · σ(−label · pred) with
 * respect to `label`.
 *
 * **Stability**: softplus(t) = max(t, 0) + log1p(e^(−|t|)) and σ with the exponential of −|t|, so
 * nothing overflows: a margin of −1e30 gives a loss of 1e30 and a gradient of ∓1.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.SoftMarginLoss();
 * loss.forward(nd.array([0, 100]), nd.array([1, -1])); // [0.6931472 100]
 * ```
 */
export class SoftMarginLoss extends PointwiseLoss {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'SoftMarginLoss';

  protected value(pred: number, label: number): number {
    return softplusScalar(-label * pred);
  }

  // With t = −label · pred: dℓ/dt = σ(t), dt/dpred = −label, dt/dlabel = −pred.
  protected predSlope(pred: number, label: number): number {
    return -label * sigmoidScalar(-label * pred);
  }

  protected labelSlope(pred: number, label: number): number {
    return -pred * sigmoidScalar(-label * pred);
  }

  twin({ arrays: [pred, label] }: Loss.Prepared): NDArray {
    return softplus(neg(mul(label!, pred!)));
  }
}
