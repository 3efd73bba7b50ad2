import type { NDArray } from '../ndarray/ndarray.js';
import { mul, relu, sub } from '../ops/elementwise.js';
import { type MarginLossOptions, MarginElementwiseLoss } from './_margin.js';
import type { Loss } from './_base/index.js';

/** Options of {@link HingeLoss}: `margin` (default 1), `weight`, `batchAxis`. */
export type HingeLossOptions = MarginLossOptions;

/**
 * Hinge loss (SVM):
 *
 * $$ \ell = \max(0,\ \text{margin} - \text{pred} \cdot \text{label}) $$
 *
 * then weight, averaged over the non-batch axes.
 *
 * **Inputs**: `pred` any shape, real scores; `label` the same number of elements (reshaped like
 * `pred`), documented as −1 or 1 but any finite real is accepted and used as written; `sampleWeight`
 * optional, broadcastable to `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `margin` (default 1; must be finite, else a ValueError), `weight` (default none),
 * `batchAxis` (default 0).
 *
 * **Gradient**: −label with respect to `pred` (−pred with respect to `label`) where
 * margin − pred · label > 0, and 0 elsewhere, including on the hinge itself.
 *
 * **Stability**: one product and a max; an overflowing product gives an infinite loss only in its
 * own sample.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.HingeLoss();
 * loss.forward(nd.array([0.5, 2, -1]), nd.array([1, 1, 1])); // [0.5 0 2]
 * ```
 */
export class HingeLoss extends MarginElementwiseLoss {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'HingeLoss';

  protected readonly kind = 'hinge';

  twin({ arrays: [pred, label] }: Loss.Prepared): NDArray {
    return relu(sub(this.margin, mul(pred!, label!)));
  }
}
