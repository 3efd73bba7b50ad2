import type { TypedArray } from '../ndarray/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { add, mul, neg, softplus, sub } from '../ops/elementwise.js';
import { ElementwiseLoss } from './_elementwise.js';
import { checkChoice, type LossOptions, type Prepared } from './_base/index.js';
import {
  isFloatArray,
  sigmoidBinaryCrossEntropyBackward,
  sigmoidBinaryCrossEntropyForward,
  sigmoidBinaryCrossEntropyGradient,
} from '../kernels/index.js';

/** How {@link LogisticLoss} reads its labels. */
export type LogisticLabelFormat = 'signed' | 'binary';

/** Options of {@link LogisticLoss}. */
export interface LogisticLossOptions extends LossOptions {
  /** `'signed'` (labels −1/1, the default) or `'binary'` (labels 0/1); case-sensitive. */
  labelFormat?: LogisticLabelFormat;
}

/**
 * Logistic loss: binary cross-entropy on logits, with z the label as a probability of class 1
 * (z = (label + 1)/2 for `'signed'` labels, z = label for `'binary'` ones):
 *
 * $$ \ell = \operatorname{softplus}(\text{pred}) - \text{pred} \cdot z = \log\bigl(1 + e^{-\text{pred} \cdot \text{label}}\bigr) \quad \text{for signed labels } \pm 1, $$
 *
 * then weight, averaged over the non-batch axes.
 *
 * **Inputs**: `pred` any shape, real logits; `label` the same number of elements (reshaped like
 * `pred`): documented as −1/1 (`'signed'`) or 0/1 (`'binary'`), but any finite real, e.g. a soft
 * label, is accepted and used as written; `sampleWeight` optional, broadcastable to
 * `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `labelFormat` (`'signed'` by default, or `'binary'`; anything else is a ValueError),
 * `weight` (default none), `batchAxis` (default 0).
 *
 * **Gradient**: sigmoid(pred) − z everywhere, including pred = 0 (MXNet returns −z
 * there); with respect to the label −pred (binary) or −pred/2 (signed).
 *
 * **Stability**: computed as (1 − z)·softplus(pred) + z·softplus(−pred) with one shared
 * log1p(exp(−|pred|)): no overflow for any finite logit (±1e30 included) and no cancellation
 * for labels in [0, 1].
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.LogisticLoss();
 * loss.forward(nd.array([0, 2]), nd.array([1, -1])); // [0.6931472 2.126928]
 * ```
 */
export class LogisticLoss extends ElementwiseLoss {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'LogisticLoss';

  /** How labels are read. */
  readonly labelFormat: LogisticLabelFormat;

  constructor(options: LogisticLossOptions = {}) {
    super(options, ['labelFormat']);
    const labelFormat = options.labelFormat === undefined ? 'signed' : options.labelFormat;
    this.labelFormat = checkChoice(this.name, 'labelFormat', labelFormat, ['signed', 'binary']);
  }

  /** z = scale · label + shift: (label + 1)/2 for signed labels, the label itself for binary ones. */
  private get labelScale(): number {
    return this.labelFormat === 'signed' ? 0.5 : 1;
  }

  /** The shift of {@link labelScale}'s affine map. */
  private get labelShift(): number {
    return this.labelFormat === 'signed' ? 0.5 : 0;
  }

  /** Each gradient element belongs to one ℓ element and is assigned. */
  protected override assignsGradient(): boolean {
    return true;
  }

  // With s(x) = log(1 + e^x) and s(x) = x + s(−x):
  //   softplus(x) − x·z = (1 − z)·s(x) + z·s(−x),
  // and s(±x) = max(±x, 0) + log1p(e^−|x|), so one exp and one log1p serve both terms, nothing
  // overflows, and for z in [0, 1] both terms are non-negative (no cancellation).
  protected forwardBlock(
    { arrays: [pred, label] }: Prepared,
    _state: unknown,
    begin: number,
    end: number,
    out: Float64Array,
  ): void {
    const x = pred!.data;
    const y = label!.data;
    const scale = this.labelScale;
    const shift = this.labelShift;
    if (isFloatArray(x) && isFloatArray(y)) {
      // The kernel layer's fused BCE with z = scale · label + shift (wasm SIMD for float32, the
      // formulas below in float64 otherwise).
      sigmoidBinaryCrossEntropyForward(x, y, begin, end - begin, null, 0, scale, shift, out, 0);
      return;
    }
    for (let k = begin, j = 0; k < end; k++, j++) {
      const logit = x[k]!;
      const z = scale * y[k]! + shift;
      const tail = Math.log1p(Math.exp(-Math.abs(logit)));
      const softplusPos = Math.max(logit, 0) + tail;
      const softplusNeg = Math.max(-logit, 0) + tail;
      out[j] = (1 - z) * softplusPos + z * softplusNeg;
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
    sigmoidBinaryCrossEntropyGradient(
      pred!.data,
      label!.data,
      this.labelScale,
      this.labelShift,
      sampleSize,
      scales,
      sums,
      gradient,
    );
  }

  // Each gradient entry depends on one ℓ element: assigned.
  protected backwardBlock(
    { arrays: [pred, label] }: Prepared,
    _state: unknown,
    begin: number,
    end: number,
    dLoss: Float64Array,
    [dPred, dLabel]: readonly (TypedArray | null)[],
  ): void {
    const x = pred!.data;
    const y = label!.data;
    const scale = this.labelScale;
    const shift = this.labelShift;
    if (
      isFloatArray(x) &&
      isFloatArray(y) &&
      (!dPred || isFloatArray(dPred)) &&
      (!dLabel || isFloatArray(dLabel))
    ) {
      const n = end - begin;
      sigmoidBinaryCrossEntropyBackward(
        x,
        y,
        begin,
        n,
        null,
        0,
        scale,
        shift,
        dLoss,
        0,
        dPred ?? null,
        dLabel ?? null,
        begin,
        null,
        0,
      );
      return;
    }
    if (dPred) {
      for (let k = begin, j = 0; k < end; k++, j++) {
        const logit = x[k]!;
        const z = scale * y[k]! + shift;
        // sigmoid(x) − z = (1 − z)·sigmoid(x) − z·sigmoid(−x): exact for z = 1 even where
        // sigmoid(x) rounds to 1. Each sigmoid is taken on the side where the exponential cannot
        // overflow (0.5 at 0, NaN for NaN).
        const e = Math.exp(-Math.abs(logit));
        const large = 1 / (1 + e);
        const small = e / (1 + e);
        const sigmoidPos = logit >= 0 ? large : small;
        const sigmoidNeg = logit >= 0 ? small : large;
        dPred[k] = dLoss[j]! * ((1 - z) * sigmoidPos - z * sigmoidNeg);
      }
    }
    if (dLabel) {
      // dℓ/dz = s(−x) − s(x) = −x, and dz/dlabel = scale.
      for (let k = begin, j = 0; k < end; k++, j++) dLabel[k] = -dLoss[j]! * scale * x[k]!;
    }
  }

  twin({ arrays: [pred, label] }: Prepared): NDArray {
    const z = this.labelFormat === 'signed' ? mul(add(label!, 1), 0.5) : label!;
    return add(mul(sub(1, z), softplus(pred!)), mul(z, softplus(neg(pred!))));
  }
}
