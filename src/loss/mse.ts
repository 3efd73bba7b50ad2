import type { NDArray } from '../ndarray/ndarray.js';
import { square, sub } from '../ops/elementwise.js';
import type { ResidualLoss } from '../kernels/residual.js';
import type { Loss } from './_base/index.js';
import { ResidualElementwiseLoss } from './_residual.js';

/** Options of {@link MSELoss}: `weight` and `batchAxis`. */
export type MSELossOptions = Loss.Options;

/**
 * Mean squared error (PyTorch's `mse_loss`, without Gluon's ½):
 *
 * $$ \ell = (\text{label} - \text{pred})^2 $$
 *
 * then `sampleWeight`, `weight`, and the mean over the non-batch axes.
 *
 * **Inputs**: `pred` any shape, real; `label` the same number of elements (reshaped like `pred`);
 * `sampleWeight` optional, broadcastable to `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `weight` (default none), `batchAxis` (default 0).
 *
 * **Semantics**: PyTorch's `nn.MSELoss` with `reduction='none'`, then gloss's per-sample mean (the
 * mean of this output is PyTorch's default `'mean'` for inputs of shape `(N, ...)`); Keras's
 * `MeanSquaredError` per sample. MSE = 2 × L2Loss: Gluon's L2Loss has a ½ in front (and a default
 * weight of 1), so `new L2Loss({ weight: 2 })` gives the same numbers.
 *
 * **Gradient**: 2 · (pred − label) / M with respect to `pred`, M the elements per sample.
 *
 * **Stability**: a difference and a square in float64; overflows only where the float type does
 * (|d| > ~1.8e19 in float32).
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.MSELoss();
 * loss.forward(nd.array([[1, 2], [3, 4]]), nd.array([[1, 3], [5, 7]])); // [0.5 6.5]
 * ```
 */
export class MSELoss extends ResidualElementwiseLoss {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'MSELoss';

  protected readonly residual: ResidualLoss = { kind: 'squaredError' };

  constructor(options: MSELossOptions = {}) {
    super(options, []);
  }

  twin({ arrays: [pred, label] }: Loss.Prepared): NDArray {
    return square(sub(label!, pred!));
  }
}
