import type { TypedArray } from '../ndarray/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { mul, relu, square, sub } from '../ops/elementwise.js';
import { ElementwiseLoss } from './_elementwise.js';
import { checkFinite, type LossOptions, type Prepared } from './_base/index.js';

/** Options of {@link SquaredHingeLoss}. */
export interface SquaredHingeLossOptions extends LossOptions {
  /** The margin; a finite number (default 1). */
  margin?: number;
}

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
export class SquaredHingeLoss extends ElementwiseLoss {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'SquaredHingeLoss';

  /** The margin. */
  readonly margin: number;

  constructor(options: SquaredHingeLossOptions = {}) {
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
      // relu that lets a NaN gap through (`NaN > 0` is false), then the square.
      const active = gap > 0 || Number.isNaN(gap) ? gap : 0;
      out[j] = active * active;
    }
  }

  // d relu(gap)²/d gap = 2 · relu(gap): 0 on and beyond the hinge, NaN for a NaN gap; then
  // d gap/dpred = −label and d gap/dlabel = −pred. Each gradient entry depends on one ℓ element:
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
        const gap = margin - p[k]! * y[k]!;
        const active = gap > 0 || Number.isNaN(gap) ? gap : 0;
        dPred[k] = -2 * dLoss[j]! * active * y[k]!;
      }
    }
    if (dLabel) {
      for (let k = begin, j = 0; k < end; k++, j++) {
        const gap = margin - p[k]! * y[k]!;
        const active = gap > 0 || Number.isNaN(gap) ? gap : 0;
        dLabel[k] = -2 * dLoss[j]! * active * p[k]!;
      }
    }
  }

  twin({ arrays: [pred, label] }: Prepared): NDArray {
    return square(relu(sub(this.margin, mul(pred!, label!))));
  }
}
