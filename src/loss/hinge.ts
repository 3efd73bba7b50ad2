import type { TypedArray } from '../ndarray/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { mul, relu, sub } from '../ops/elementwise.js';
import { ElementwiseLoss } from './_elementwise.js';
import { checkFinite, type LossOptions, type Prepared } from './_base/index.js';

/** Options of {@link HingeLoss}. */
export interface HingeLossOptions extends LossOptions {
  /** The margin; a finite number (default 1). */
  margin?: number;
}

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
export class HingeLoss extends ElementwiseLoss {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'HingeLoss';

  /** The margin. */
  readonly margin: number;

  constructor(options: HingeLossOptions = {}) {
    super(options, ['margin']);
    this.margin = checkFinite(this.name, 'margin', options.margin === undefined ? 1 : options.margin);
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
    const margin = this.margin;
    for (let k = begin, j = 0; k < end; k++, j++) {
      const gap = margin - p[k]! * y[k]!;
      // relu that lets a NaN gap through (`NaN > 0` is false).
      out[j] = gap > 0 || Number.isNaN(gap) ? gap : 0;
    }
  }

  // relu′ is 1 only where the gap is strictly positive: 0 on the hinge (and for a NaN gap), so
  // dℓ/dpred = −label and dℓ/dlabel = −pred there. Each gradient entry depends on one ℓ element:
  // assigned.
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
    const margin = this.margin;
    if (dPred) {
      for (let k = begin, j = 0; k < end; k++, j++) {
        const labelValue = y[k]!;
        dPred[k] = margin - p[k]! * labelValue > 0 ? -dLoss[j]! * labelValue : 0;
      }
    }
    if (dLabel) {
      for (let k = begin, j = 0; k < end; k++, j++) {
        const predValue = p[k]!;
        dLabel[k] = margin - predValue * y[k]! > 0 ? -dLoss[j]! * predValue : 0;
      }
    }
  }

  twin({ arrays: [pred, label] }: Prepared): NDArray {
    return relu(sub(this.margin, mul(pred!, label!)));
  }
}
