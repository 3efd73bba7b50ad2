import type { TypedArray } from '../ndarray/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { square, sub } from '../ops/elementwise.js';
import { ElementwiseLoss } from './_elementwise.js';
import type { LossOptions, Prepared } from './_base/index.js';
import { squaredOnePass } from './l2.js';

/** Options of {@link MSELoss}. */
export interface MSELossOptions extends LossOptions {
  /** Scalar weight; null (the default) means none. */
  weight?: number | null;
}

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
export class MSELoss extends ElementwiseLoss {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'MSELoss';

  constructor(options: MSELossOptions = {}) {
    super(options, []);
  }

  // ℓ = d², d = label − pred; dℓ/dpred = 2(pred − label), dℓ/dlabel its negation. Each gradient
  // entry depends on one ℓ element: assigned.
  protected forwardBlock(
    { arrays: [pred, label] }: Prepared,
    _state: unknown,
    begin: number,
    end: number,
    out: Float64Array,
  ): void {
    const p = pred!.data;
    const y = label!.data;
    for (let k = begin, j = 0; k < end; k++, j++) {
      const d = y[k]! - p[k]!;
      out[j] = d * d;
    }
  }

  protected backwardBlock(
    { arrays: [pred, label] }: Prepared,
    _state: unknown,
    begin: number,
    end: number,
    dLoss: Float64Array,
    [dPred, dLabel]: readonly (TypedArray | null)[],
  ): void {
    const p = pred!.data;
    const y = label!.data;
    if (dPred) for (let k = begin, j = 0; k < end; k++, j++) dPred[k] = 2 * dLoss[j]! * (p[k]! - y[k]!);
    if (dLabel) for (let k = begin, j = 0; k < end; k++, j++) dLabel[k] = 2 * dLoss[j]! * (y[k]! - p[k]!);
  }

  // L2Loss's one pass (½d² and scale · d) with the scales doubled, then the sums doubled: both
  // factors are powers of two, so the result is exactly d² and 2 · scale · d.
  protected override forwardGradient(
    { arrays: [pred, label] }: Prepared,
    _state: unknown,
    sampleSize: number,
    scales: Float64Array,
    sums: Float64Array,
    gradient: TypedArray,
  ): void {
    const doubled = scales.map((scale) => 2 * scale);
    squaredOnePass(pred!.data, label!.data, { sampleSize, scales: doubled, sums, gradient });
    for (let sample = 0; sample < sums.length; sample++) sums[sample] = 2 * sums[sample]!;
  }

  twin({ arrays: [pred, label] }: Prepared): NDArray {
    return square(sub(label!, pred!));
  }
}
