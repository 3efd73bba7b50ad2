import { NDArray } from '../ndarray/ndarray.js';
import { add, mul, neg, softplus, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import {
  type FloatArray,
  sigmoidBinaryCrossEntropyBackward,
  sigmoidBinaryCrossEntropyForward,
} from '../kernels/index.js';
import { asFloat, floatDTypeOf, Loss, reshapeLike } from './_base/index.js';
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
    // Integer inputs become the call's float dtype here, so the kernels read floats only (asFloat
    // returns a float input itself).
    const dtype = floatDTypeOf([pred, label]);
    const arrays = [asFloat(pred, dtype), asFloat(label, dtype)];
    return { arrays, sources: [0, 1], lossShape: [batch], batchAxis, extra: classes };
  }

  /** Sample n's logits and labels: the binary cross-entropy kernels' operands (z = label, p = 1). */
  private rowOperands({ arrays: [pred, label], extra }: Loss.Prepared<number>, n: number) {
    const classes = extra!;
    const row = <T extends FloatArray>(data: T) => data.subarray(n * classes, (n + 1) * classes) as T;
    return {
      logits: row(pred!.data as FloatArray),
      labels: row(label!.data as FloatArray),
      posWeight: null,
      labelScale: 1,
      labelShift: 0,
    };
  }

  // Each class's term is SigmoidBCE's on logits, y·s(−x) + (1 − y)·s(x) with s(x) = log(1 + e^x),
  // from the kernel layer (kernels/binary-cross-entropy.ts, where the stable form is derived).
  protected forwardBlock({ prepared, begin, end, out }: Loss.ForwardBlockCall<number, undefined>): void {
    const classes = prepared.extra!;
    const w = this.classWeight;
    const terms = this.callMemory.takeArray('float64', classes) as Float64Array;
    for (let n = begin, j = 0; n < end; n++, j++) {
      sigmoidBinaryCrossEntropyForward(this.rowOperands(prepared, n), terms);
      let total = 0;
      for (let c = 0; c < classes; c++) total += w ? w[c]! * terms[c]! : terms[c]!;
      out[j] = total / classes;
    }
    this.callMemory.giveBackArray(terms);
  }

  // Each element belongs to one sample: assigned.
  protected override assignsGradient(): boolean {
    return true;
  }

  protected backwardBlock(call: Loss.BackwardBlockCall<number, undefined>): void {
    const { prepared, begin, end, dLoss, grads } = call;
    const [dPred, dLabel] = grads;
    const classes = prepared.extra!;
    const w = this.classWeight;
    // Per class the scale g · w_c (g = dℓ/C): dpred = scale · (σ(x) − y), dlabel = −scale · x.
    const scales = this.callMemory.takeArray('float64', classes) as Float64Array;
    const row = (data: FloatArray | null, n: number) =>
      data ? data.subarray(n * classes, (n + 1) * classes) : null;
    for (let n = begin, j = 0; n < end; n++, j++) {
      const g = dLoss[j]! / classes;
      for (let c = 0; c < classes; c++) scales[c] = w ? g * w[c]! : g;
      sigmoidBinaryCrossEntropyBackward(this.rowOperands(prepared, n), {
        dLoss: scales,
        dPred: row(dPred as FloatArray | null, n),
        dLabels: row(dLabel as FloatArray | null, n),
        dPosWeight: null,
      });
    }
    this.callMemory.giveBackArray(scales);
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
