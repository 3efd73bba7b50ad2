import type { RandomGenerator } from '../ndarray/random.js';
import type { DType } from '../ndarray/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { abs, sub } from '../ops/elementwise.js';
import { ElementwiseLoss } from './_elementwise.js';
import type { KernelForward, LossOptions, Prepared } from './_loss.js';
import { residualInputs } from './_samples.js';

/** Options of {@link L1Loss}. */
export interface L1LossOptions extends LossOptions {
  /** Scalar weight; null (the default) means none. */
  weight?: number | null;
}

/**
 * Absolute error (mean absolute error):
 *
 *     ℓ = weight · |label − pred|,  averaged over the non-batch axes.
 *
 * **Inputs**: `pred` any shape, real; `label` the same number of elements (reshaped like `pred`);
 * `sampleWeight` optional, broadcastable to `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `weight` (default none), `batchAxis` (default 0).
 *
 * **Gradient**: weight · sign(pred − label) / M, with M the elements per sample; 0 where
 * pred = label (|x|′(0) = 0, DECISIONS 10).
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
export class L1Loss extends ElementwiseLoss {
  constructor(options: L1LossOptions = {}) {
    super(options, []);
  }

  protected forwardKernel({ arrays: [pred, label] }: Prepared): KernelForward {
    const p = pred!.data;
    const y = label!.data;
    const loss = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) loss[i] = Math.abs(y[i]! - p[i]!);
    return { loss };
  }

  protected backwardKernel(
    { arrays: [pred, label] }: Prepared,
    _forward: KernelForward,
    dLoss: Float64Array,
    needsGrad: readonly boolean[],
  ): (Float64Array | null)[] {
    const p = pred!.data;
    const y = label!.data;
    // d|label − pred|/dpred = sign(pred − label): 0 at a zero residual, NaN for a NaN one.
    const dPred = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const d = p[i]! - y[i]!;
      dPred[i] = dLoss[i]! * (d > 0 ? 1 : d < 0 ? -1 : d * 0);
    }
    let dLabel: Float64Array | null = null;
    if (needsGrad[1]) {
      dLabel = new Float64Array(p.length);
      for (let i = 0; i < p.length; i++) dLabel[i] = -dPred[i]!;
    }
    return [needsGrad[0] ? dPred : null, dLabel];
  }

  twin({ arrays: [pred, label] }: Prepared): NDArray {
    return abs(sub(label!, pred!));
  }

  /** Predictions with labels at least 0.1 away from them, so no residual sits on the kink at 0. */
  override sampleInputs(
    generator: RandomGenerator,
    dtype: DType,
    extreme?: number,
  ): (NDArray | null)[] | null {
    return residualInputs(generator, dtype, [4, 3], [[0.1, 1]], extreme);
  }
}
