import { sub, square, mul } from '../ops/elementwise.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { ResidualElementwiseLoss } from './_residual.js';
import type { Loss } from './_base/index.js';
import type { ResidualLoss } from '../kernels/residual.js';

/** Options of {@link L2Loss}. */
export interface L2LossOptions extends Loss.Options {
  /** Scalar weight; defaults to 1 (Gluon), and the ½ of the formula is always applied. */
  weight?: number | null;
}

/**
 * Squared error (mean squared error with Gluon's ½):
 *
 * $$ \ell = \frac{\text{weight}}{2} \, (\text{label} - \text{pred})^2 $$
 *
 * averaged over the non-batch axes.
 *
 * **Inputs**: `pred` any shape, real; `label` the same number of elements (reshaped like `pred`);
 * `sampleWeight` optional, broadcastable to `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `weight` (default 1), `batchAxis` (default 0).
 *
 * **Gradient**: weight · (pred − label) / M, with M the elements per sample.
 *
 * **Stability**: a difference and a square; overflows only where the float type does (|d| > ~1.8e19
 * in float32).
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.L2Loss();
 * loss.forward(nd.ones([2]), nd.ones([2]).mul(2)); // [0.5 0.5]
 * ```
 */
export class L2Loss extends ResidualElementwiseLoss {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'L2Loss';

  protected readonly residual: ResidualLoss = { kind: 'squared' };

  constructor(options: L2LossOptions = {}) {
    super(options, [], 1);
  }

  twin({ arrays: [pred, label] }: Loss.Prepared): NDArray {
    return mul(square(sub(label!, pred!)), 0.5);
  }
}
