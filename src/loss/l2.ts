import { sub, square, mul } from '../ops/elementwise.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { ElementwiseLoss } from './_elementwise.js';
import type { KernelForward, LossOptions, Prepared } from './_loss.js';

/** Options of {@link L2Loss}. */
export interface L2LossOptions extends LossOptions {
  /** Scalar weight; defaults to 1 (Gluon), and the ½ of the formula is always applied. */
  weight?: number | null;
}

/**
 * Squared error (mean squared error with Gluon's ½):
 *
 *     ℓ = weight / 2 · (label − pred)²,  averaged over the non-batch axes.
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
export class L2Loss extends ElementwiseLoss {
  constructor(options: L2LossOptions = {}) {
    super(options, [], 1);
  }

  protected forwardKernel({ arrays: [pred, label] }: Prepared): KernelForward {
    const p = pred!.data;
    const y = label!.data;
    const loss = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const d = y[i]! - p[i]!;
      loss[i] = 0.5 * d * d;
    }
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
    const dPred = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) dPred[i] = dLoss[i]! * (p[i]! - y[i]!);
    let dLabel: Float64Array | null = null;
    if (needsGrad[1]) {
      dLabel = new Float64Array(p.length);
      for (let i = 0; i < p.length; i++) dLabel[i] = -dPred[i]!;
    }
    return [dPred, dLabel];
  }

  twin({ arrays: [pred, label] }: Prepared): NDArray {
    return mul(square(sub(label!, pred!)), 0.5);
  }
}
