import type { NDArray } from '../ndarray/ndarray.js';
import { abs, sub } from '../ops/elementwise.js';
import { ResidualElementwiseLoss } from './_residual.js';
import type { Loss } from './_base/index.js';
import type { ResidualLoss } from '../kernels/residual.js';

/** Options of {@link L1Loss}. */
export interface L1LossOptions extends Loss.Options {
  /** Scalar weight; null (the default) means none. */
  weight?: number | null;
}

/**
 * Absolute error (mean absolute error):
 *
 * $$ \ell = \text{weight} \cdot \lvert \text{label} - \text{pred} \rvert $$
 *
 * averaged over the non-batch axes.
 *
 * **Inputs**: `pred` any shape, real; `label` the same number of elements (reshaped like `pred`);
 * `sampleWeight` optional, broadcastable to `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `weight` (default none), `batchAxis` (default 0).
 *
 * **Gradient**: weight · sign(pred − label) / M, with M the elements per sample; 0 where
 * pred = label (the derivative of |x| at 0 is taken as 0).
 *
 * **Stability**: a difference and an absolute value; an infinite `pred` gives an infinite loss in
 * its own sample and a finite gradient (±1/M).
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.L1Loss();
 * loss.forward(nd.array([[1, 2], [3, 4]]), nd.array([[1, 3], [5, 7]])); // [0.5 2.5]
 * ```
 */
export class L1Loss extends ResidualElementwiseLoss {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'L1Loss';

  protected readonly residual: ResidualLoss = { kind: 'absolute' };

  constructor(options: L1LossOptions = {}) {
    super(options, []);
  }

  twin({ arrays: [pred, label] }: Loss.Prepared): NDArray {
    return abs(sub(label!, pred!));
  }
}
