import type { TypedArray } from '../ndarray/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { abs, sub } from '../ops/elementwise.js';
import { ElementwiseLoss } from './_elementwise.js';
import type { LossOptions, Prepared } from './_base/index.js';
import { type ResidualLoss, residualLossGradient } from '../kernels/residual.js';

const ABSOLUTE: ResidualLoss = { kind: 'absolute' };

/** Options of {@link L1Loss}. */
export interface L1LossOptions extends LossOptions {
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
export class L1Loss extends ElementwiseLoss {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'L1Loss';

  constructor(options: L1LossOptions = {}) {
    super(options, []);
  }

  protected forwardBlock(
    { arrays: [pred, label] }: Prepared,
    _state: unknown,
    begin: number,
    end: number,
    out: Float64Array,
  ): void {
    const p = pred!.data;
    const y = label!.data;
    for (let k = begin, j = 0; k < end; k++, j++) out[j] = Math.abs(y[k]! - p[k]!);
  }

  // d|label − pred|/dpred = sign(pred − label): 0 at a zero residual, NaN for a NaN one (d · 0).
  // The label's gradient is its negation. Each gradient entry depends on one ℓ element: assigned.
  // The sign is taken as (d > 0) − (d < 0), which compiles without branches (random residual
  // signs made a `d > 0 ? 1 : d < 0 ? -1 : …` chain mispredict half the time, 3-4× slower);
  // `|| d · 0` then only runs for ±0 and NaN, keeping −0 and NaN exactly as before.
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
    if (dPred) {
      for (let k = begin, j = 0; k < end; k++, j++) {
        const d = p[k]! - y[k]!;
        dPred[k] = dLoss[j]! * (+(d > 0) - +(d < 0) || d * 0);
      }
    }
    if (dLabel) {
      for (let k = begin, j = 0; k < end; k++, j++) {
        const d = p[k]! - y[k]!;
        dLabel[k] = -(dLoss[j]! * (+(d > 0) - +(d < 0) || d * 0));
      }
    }
  }

  // The same ℓ and gradient in one pass, for recorded calls (see Loss.forwardGradient).
  protected override forwardGradient(
    { arrays: [pred, label] }: Prepared,
    _state: unknown,
    sampleSize: number,
    scales: Float64Array,
    sums: Float64Array,
    gradient: TypedArray,
  ): void {
    const p = pred!.data;
    const y = label!.data;
    // The wasm kernel reads label as float32: a float64 label would be rounded first (at a tiny
    // residual that flips L1's gradient sign). Mixed dtypes take the float64 loop below.
    if (
      p.constructor === y.constructor &&
      residualLossGradient({ loss: ABSOLUTE, pred: p, label: y }, { sampleSize, scales, sums, gradient })
    )
      return;
    for (let sample = 0, k = 0; sample < scales.length; sample++) {
      const scale = scales[sample]!;
      let sum = 0;
      for (const end = k + sampleSize; k < end; k++) {
        const d = p[k]! - y[k]!;
        sum += Math.abs(d);
        gradient[k] = scale * (+(d > 0) - +(d < 0) || d * 0);
      }
      sums[sample] = sum;
    }
  }

  twin({ arrays: [pred, label] }: Prepared): NDArray {
    return abs(sub(label!, pred!));
  }
}
