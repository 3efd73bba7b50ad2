import { isFloat } from '../ndarray/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { add, mul, neg, softplus, sub } from '../ops/elementwise.js';
import { type PairGradients, type PairOperands, PairElementwiseLoss } from './_elementwise.js';
import { asFloat, choiceOption, floatDTypeOf, type Loss } from './_base/index.js';
import {
  floatData,
  sigmoidBinaryCrossEntropyBackward,
  sigmoidBinaryCrossEntropyForward,
  sigmoidBinaryCrossEntropyGradient,
} from '../kernels/index.js';
import type { LogitCrossEntropyInputs } from '../kernels/binary-cross-entropy.js';

/** How {@link LogisticLoss} reads its labels. */
export type LogisticLabelFormat = 'signed' | 'binary';

/** Options of {@link LogisticLoss}. */
export interface LogisticLossOptions extends Loss.Options {
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
export class LogisticLoss extends PairElementwiseLoss {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'LogisticLoss';

  /** How labels are read. */
  readonly labelFormat: LogisticLabelFormat;

  constructor(options: LogisticLossOptions = {}) {
    super(options, ['labelFormat']);
    this.labelFormat = choiceOption(
      this.name,
      'labelFormat',
      options.labelFormat,
      ['signed', 'binary'],
      'signed',
    );
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

  // Integer inputs are converted to the call's float dtype here, so the kernels read floats only.
  protected override prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<undefined> {
    const prepared = super.prepare(inputs);
    const [pred, label] = prepared.arrays;
    if (isFloat(pred!.dtype) && isFloat(label!.dtype)) return prepared;
    const dtype = floatDTypeOf(prepared.arrays);
    return { ...prepared, arrays: [asFloat(pred!, dtype), asFloat(label!, dtype)] };
  }

  /** The kernels' operands over a block's views: the logits form with z = scale · label + shift. */
  private operands({ pred, label }: PairOperands): LogitCrossEntropyInputs {
    return {
      logits: floatData(this.name, pred),
      labels: floatData(this.name, label),
      posWeight: null,
      labelScale: this.labelScale,
      labelShift: this.labelShift,
    };
  }

  // softplus(x) − x·z = (1 − z)·s(x) + z·s(−x) with s(x) = log(1 + e^x) and s(x) = x + s(−x):
  // the kernel layer's binary cross-entropy on logits (src/kernels/binary-cross-entropy.ts, where
  // the stable form is derived) with p = 1 and z = scale · label + shift.
  protected values(operands: PairOperands, out: Float64Array): void {
    sigmoidBinaryCrossEntropyForward(this.operands(operands), out);
  }

  // The same ℓ and gradient in one pass, for recorded calls (see Loss.forwardGradient).
  protected override forwardGradient(call: Loss.ForwardGradientCall<undefined, undefined>): void {
    const { prepared, sampleSize, scales, sums, gradient } = call;
    const [pred, label] = prepared.arrays;
    sigmoidBinaryCrossEntropyGradient(
      { logits: pred!.data, labels: label!.data, labelScale: this.labelScale, labelShift: this.labelShift },
      { sampleSize, scales, sums, gradient },
    );
  }

  // Each gradient entry depends on one ℓ element: assigned. dℓ/dlabel = −x · scale.
  protected slopes(operands: PairOperands, { dLoss, dPred, dLabel }: PairGradients): void {
    sigmoidBinaryCrossEntropyBackward(this.operands(operands), {
      dLoss,
      dPred: dPred ? floatData(this.name, dPred) : null,
      dLabels: dLabel ? floatData(this.name, dLabel) : null,
      dPosWeight: null,
    });
  }

  twin({ arrays: [pred, label] }: Loss.Prepared): NDArray {
    const z = this.labelFormat === 'signed' ? mul(add(label!, 1), 0.5) : label!;
    return add(mul(sub(1, z), softplus(pred!)), mul(z, softplus(neg(pred!))));
  }
}
