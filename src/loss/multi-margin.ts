import { allocate, type TypedArray } from '../ndarray/dtype.js';
import { ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { add, mul, relu, square, sub } from '../ops/elementwise.js';
import { checkIndices, pick } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import { finiteOption, Loss } from './_base/index.js';
import {
  type ClassWeightOption,
  checkClassWeightLength,
  checkOnePerSample,
  classMatrix,
  readClassWeight,
} from './_class-matrix.js';

/** Options of {@link MultiMarginLoss}. */
export interface MultiMarginLossOptions extends Loss.Options {
  /** The exponent of the hinge: 1 or 2 (default 1). */
  p?: 1 | 2;
  /** The margin by which the true class must beat every other; finite (default 1). */
  margin?: number;
  /** One weight per class (PyTorch's `weight`), applied by the sample's true class; default none. */
  classWeight?: ClassWeightOption;
}

/** Per call: the classes C and each sample's true class. */
interface MultiMarginExtra {
  readonly classes: number;
  readonly labels: Int32Array;
}

/**
 * Multi-class hinge loss (PyTorch's `multi_margin_loss`), per sample n with true class y:
 *
 * $$
 * \ell_n = \frac{1}{C} \sum_{j \ne y} w_y \max(0,\ \text{margin} - x_y + x_j)^p
 * $$
 *
 * then `weight`.
 *
 * **Inputs**: `pred` `(N, C)` class scores; `label` N class indices (any shape with N elements),
 * int32 or float holding integers in [0, C) (anything else, NaN included, is a ValueError naming
 * the position and value).
 *
 * **Output**: shape `(N,)`.
 *
 * **Options**: `p` (1 or 2, default 1; anything else is a ValueError), `margin` (default 1),
 * `classWeight` (default none; C finite numbers), `weight` (default none), `batchAxis` (0 or −1:
 * pred's rows are the samples).
 *
 * **Semantics**: PyTorch's `MultiMarginLoss` with `reduction='none'` (PyTorch's default
 * `'mean'` is the mean of this output). The class axis is the last, as PyTorch's dim 1 for a
 * 2-D input; a 1-D PyTorch input `(C,)` is gloss's `(1, C)`.
 *
 * **Gradient**: for each j ≠ y with h_j = margin − x_y + x_j > 0, ∂ℓ/∂x_j = w_y·p·h_j^(p−1)/C and
 * the same is subtracted from ∂ℓ/∂x_y. At the hinge (h_j = 0) the term's gradient is 0 (relu′(0)
 * = 0, DECISIONS 10; PyTorch's kernel also tests h_j > 0).
 *
 * **Stability**: differences of scores in float64, taken before the margin is added (so two equal
 * scores of 1e30 leave a hinge of exactly `margin`, where PyTorch's margin − x_y + x_c gives 0);
 * no exponentials. A NaN score makes its own sample NaN. With p = 2 scores beyond ~1e19 overflow
 * a float32 result (the true loss is that large).
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.MultiMarginLoss();
 * loss.forward(nd.array([[0.1, 0.2, 0.4, 0.8]]), nd.array([3])); // [0.325]
 * ```
 */
export class MultiMarginLoss extends Loss<MultiMarginExtra> {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'MultiMarginLoss';

  readonly inputNames: readonly string[] = ['pred', 'label'];
  readonly p: 1 | 2;
  readonly margin: number;
  /** The per-class weights, or null. */
  readonly classWeight: Float64Array | null;

  constructor(options: MultiMarginLossOptions = {}) {
    super(options, ['p', 'margin', 'classWeight']);
    const p = options.p === undefined ? 1 : options.p;
    if (p !== 1 && p !== 2) throw new ValueError(`${this.name}: option p must be 1 or 2, got ${String(p)}`);
    this.p = p;
    this.margin = finiteOption(this.name, 'margin', options.margin, 1);
    this.classWeight = readClassWeight(this.name, options.classWeight);
  }

  /** Class indices get no gradient. */
  override get discreteInputs(): readonly string[] {
    return ['label'];
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<MultiMarginExtra> {
    const pred = inputs[0]!;
    const { batch, classes, batchAxis } = classMatrix(this.name, pred, this.batchAxis);
    checkClassWeightLength(this.name, this.classWeight, classes);
    const label = inputs[1]!;
    checkOnePerSample(this.name, 'label', label, pred);
    const labels = checkIndices(this.name, 'label', label, classes);
    return { arrays: [pred], sources: [0], lossShape: [batch], batchAxis, extra: { classes, labels } };
  }

  /** The weight of sample n's terms: w_y / C. */
  private scale(classes: number, label: number): number {
    return (this.classWeight ? this.classWeight[label]! : 1) / classes;
  }

  /**
   * Sample n's hinge terms Σ_{c≠y} relu(margin − x_y + x_c)^p before the scale w_y/C; with
   * `dPred`, the walk also assigns g·∂/∂x of the sample's row to it (g = dℓ·w_y/C): the forward and
   * backward blocks walk the same hinges.
   */
  private walkRow(
    x: TypedArray,
    n: number,
    { classes, labels }: MultiMarginExtra,
    g: number,
    dPred: TypedArray | null,
  ): number {
    const row = n * classes;
    const label = labels[n]!;
    const truth = x[row + label]!;
    let total = 0;
    let toLabel = 0;
    for (let c = 0; c < classes; c++) {
      if (c === label) continue;
      // (x_c − x_y) + margin: the difference of two float32 scores is exact in float64, so the
      // hinge is rounded once and its sign is the true one (margin − x_y first loses the margin
      // against large scores: x_c = x_y = 1e30 gave 0, inactive, for a true hinge of 1).
      const hinge = x[row + c]! - truth + this.margin;
      // relu that lets a NaN through (`NaN > 0` is false); 0 at and below the hinge.
      const active = hinge > 0 || Number.isNaN(hinge);
      if (active) total += this.p === 1 ? hinge : hinge * hinge;
      if (dPred) {
        const slope = active ? g * (this.p === 1 ? 1 : 2 * hinge) : 0;
        dPred[row + c] = slope;
        toLabel -= slope;
      }
    }
    if (dPred && classes > 0) dPred[row + label] = toLabel;
    return total;
  }

  protected forwardBlock(call: Loss.ForwardBlockCall<MultiMarginExtra, undefined>): void {
    const { prepared, begin, end, out } = call;
    const extra = prepared.extra!;
    const x = prepared.arrays[0]!.data;
    for (let n = begin, j = 0; n < end; n++, j++) {
      out[j] = this.walkRow(x, n, extra, 0, null) * this.scale(extra.classes, extra.labels[n]!);
    }
  }

  // Each row of pred belongs to one sample: every element assigned.
  protected override assignsGradient(): boolean {
    return true;
  }

  protected backwardBlock(call: Loss.BackwardBlockCall<MultiMarginExtra, undefined>): void {
    const { prepared, begin, end, dLoss, grads } = call;
    const [dPred] = grads;
    if (!dPred) return;
    const extra = prepared.extra!;
    const x = prepared.arrays[0]!.data;
    for (let n = begin, j = 0; n < end; n++, j++) {
      this.walkRow(x, n, extra, dLoss[j]! * this.scale(extra.classes, extra.labels[n]!), dPred);
    }
  }

  twin({ arrays: [pred], extra }: Loss.Prepared<MultiMarginExtra>): NDArray {
    const { classes, labels } = extra!;
    const x = pred!;
    const batch = labels.length;
    const rowScale = allocate(x.dtype, batch);
    const others = allocate(x.dtype, batch * classes);
    for (let n = 0; n < batch; n++) {
      rowScale[n] = this.scale(classes, labels[n]!);
      for (let c = 0; c < classes; c++) others[n * classes + c] = c === labels[n] ? 0 : 1;
    }
    const truth = pick(x, new NDArray(labels, [batch]), 1, true);
    const hinge = add(sub(x, truth), this.margin);
    // relu′(0) = 0 and a NaN passes through, as in the block hooks.
    const active = relu(hinge);
    const terms = mul(this.p === 1 ? active : square(active), new NDArray(others, [batch, classes]));
    return mul(sum(terms, 1), new NDArray(rowScale, [batch]));
  }
}
