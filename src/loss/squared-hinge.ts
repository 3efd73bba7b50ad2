import type { NDArray } from '../ndarray/ndarray.js';
import { mul, relu, square, sub } from '../ops/elementwise.js';
import { type MarginLossOptions, MarginElementwiseLoss } from './_margin.js';
import type { Loss } from './_base/index.js';

/** Options of {@link SquaredHingeLoss}: `margin` (default 1), `weight`, `batchAxis`. */
export type SquaredHingeLossOptions = MarginLossOptions;

/**
 * Squared hinge loss:
 *
 * $$ \ell = \max(0,\ \text{margin} - \text{pred} \cdot \text{label})^2 $$
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
 * **Gradient**: −2 · label · max(0, margin − pred · label) with respect to `pred` (−2 · pred · … with
 * respect to `label`): continuous, and 0 on the hinge.
 *
 * **Stability**: the gap is squared only where it is positive; a gap beyond ~1.3e154 (float64)
 * overflows to an infinite loss in its own sample.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.SquaredHingeLoss();
 * loss.forward(nd.array([0.5, 2, -1]), nd.array([1, 1, 1])); // [0.25 0 4]
 * ```
 */
export class SquaredHingeLoss extends MarginElementwiseLoss {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'SquaredHingeLoss';

  protected readonly kind = 'squaredHinge';

  twin({ arrays: [pred, label] }: Loss.Prepared): NDArray {
    return square(relu(sub(this.margin, mul(pred!, label!))));
  }
}
