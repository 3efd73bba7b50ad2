import { NDArray } from '../ndarray/ndarray.js';
import { add, mul, neg, softplus, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { sigmoidScalar, softplusScalar } from '../kernels/elementwise.js';
import { Loss, reshapeLike } from './_base/index.js';
import {
  type ClassWeightOption,
  checkClassWeightLength,
  classMatrix,
  readClassWeight,
} from './_class-matrix.js';

/** Options of {@link MultiLabelSoftMarginLoss}. */
export interface MultiLabelSoftMarginLossOptions extends Loss.Options {
  /** One weight per class (PyTorch's `weight`); default none. */
  classWeight?: ClassWeightOption;
}

/**
 * Multi-label one-versus-all logistic loss (PyTorch's `multilabel_soft_margin_loss`), per sample
 * the mean over the C classes:
 *
 * $$
 * \ell_n = -\frac{1}{C} \sum_c w_c \bigl[y_c \log \sigma(x_c) + (1 - y_c) \log \sigma(-x_c)\bigr]
 *        = \frac{1}{C} \sum_c w_c \bigl[y_c \operatorname{softplus}(-x_c) + (1 - y_c) \operatorname{softplus}(x_c)\bigr]
 * $$
 *
 * then `weight`.
 *
 * **Inputs**: `pred` `(N, C)` logits; `label` the same number of elements (reshaped like
 * `pred`), documented as 0/1 per class, but any finite real (a soft label) is accepted and used as
 * written (as SigmoidBinaryCrossEntropyLoss, DECISIONS 8).
 *
 * **Output**: shape `(N,)`.
 *
 * **Options**: `classWeight` (default none; C finite numbers), `weight` (default none),
 * `batchAxis` (0 or −1: pred's rows are the samples).
 *
 * **Semantics**: PyTorch's `MultiLabelSoftMarginLoss` with `reduction='none'` (its default
 * `'mean'` is the mean of this output); the class axis is the last, as PyTorch's dim 1. It is
 * `SigmoidBinaryCrossEntropyLoss` weighted per class and averaged over the classes.
 *
 * **Gradient**: ∂ℓ/∂x_c = w_c (σ(x_c) − y_c)/C, ∂ℓ/∂y_c = −w_c x_c/C (softplus(−x) − softplus(x) = −x).
 * No kinks.
 *
 * **Stability**: derivation: log σ(x) = −softplus(−x) and log σ(−x) = −softplus(x), and
 * softplus(x) = max(x, 0) + log1p(e^−|x|) never overflows, so each bracket is a sum of two
 * non-negative terms for y in [0, 1] (no softplus(x) − x·y cancellation): logits of ±1e30 give a
 * finite loss, σ is evaluated where its exponential cannot overflow. Sums in float64.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.MultiLabelSoftMarginLoss();
 * loss.forward(nd.array([[0, 2]]), nd.array([[1, 0]])); // [1.410038]: (softplus(0) + softplus(2)) / 2
 * ```
 */
export class MultiLabelSoftMarginLoss extends Loss<number> {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'MultiLabelSoftMarginLoss';

  readonly inputNames: readonly string[] = ['pred', 'label'];
  /** The per-class weights, or null. */
  readonly classWeight: Float64Array | null;

  constructor(options: MultiLabelSoftMarginLossOptions = {}) {
    super(options, ['classWeight']);
    this.classWeight = readClassWeight(this.name, options.classWeight);
  }

  // extra is C.
  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<number> {
    const pred = inputs[0]!;
    const { batch, classes, batchAxis } = classMatrix(this.name, pred, this.batchAxis);
    checkClassWeightLength(this.name, this.classWeight, classes);
    const label = reshapeLike(this.name, 'label', inputs[1]!, 'pred', pred);
    return { arrays: [pred, label], sources: [0, 1], lossShape: [batch], batchAxis, extra: classes };
  }

  protected forwardBlock({ prepared, begin, end, out }: Loss.ForwardBlockCall<number, undefined>): void {
    const [pred, label] = prepared.arrays;
    const classes = prepared.extra!;
    const x = pred!.data;
    const y = label!.data;
    const w = this.classWeight;
    for (let n = begin, j = 0; n < end; n++, j++) {
      let total = 0;
      for (let c = 0, k = n * classes; c < classes; c++, k++) {
        const term = y[k]! * softplusScalar(-x[k]!) + (1 - y[k]!) * softplusScalar(x[k]!);
        total += w ? w[c]! * term : term;
      }
      out[j] = total / classes;
    }
  }

  // Each element belongs to one sample: assigned.
  protected override assignsGradient(): boolean {
    return true;
  }

  protected backwardBlock(call: Loss.BackwardBlockCall<number, undefined>): void {
    const { prepared, begin, end, dLoss, grads } = call;
    const [pred, label] = prepared.arrays;
    const [dPred, dLabel] = grads;
    const classes = prepared.extra!;
    const x = pred!.data;
    const y = label!.data;
    const w = this.classWeight;
    for (let n = begin, j = 0; n < end; n++, j++) {
      const g = dLoss[j]! / classes;
      for (let c = 0, k = n * classes; c < classes; c++, k++) {
        const scale = w ? g * w[c]! : g;
        if (dPred) dPred[k] = scale * (sigmoidScalar(x[k]!) - y[k]!);
        if (dLabel) dLabel[k] = -scale * x[k]!;
      }
    }
  }

  twin({ arrays: [pred, label], extra }: Loss.Prepared<number>): NDArray {
    const x = pred!;
    const y = label!;
    const terms = add(mul(y, softplus(neg(x))), mul(sub(1, y), softplus(x)));
    const weighted = this.classWeight
      ? mul(terms, new NDArray(Float64Array.from(this.classWeight), [extra!]).astype(x.dtype))
      : terms;
    return mean(weighted, 1);
  }
}
