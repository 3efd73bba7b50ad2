import { allocate, type TypedArray } from '../ndarray/dtype.js';
import { ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { add, mul, relu, sub } from '../ops/elementwise.js';
import { reshape } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import { Loss, reshapeLike } from './_base/index.js';
import { classMatrix } from './_class-matrix.js';

/** Options of {@link MultiLabelMarginLoss}: only the common ones. */
export interface MultiLabelMarginLossOptions extends Loss.Options {}

/** Per call: C, and each sample's target list (its length, and which classes are targets). */
interface MultiLabelMarginExtra {
  readonly classes: number;
  /** Row n of `target` holds targets[n · C + t] for t < counts[n] (duplicates kept, as PyTorch). */
  readonly targets: Int32Array;
  readonly counts: Int32Array;
  /** 1 where class c is one of sample n's targets (at n · C + c). */
  readonly isTarget: Uint8Array;
}

/**
 * Multi-label hinge loss (PyTorch's `multilabel_margin_loss`): every target class of a sample
 * should beat every non-target class by 1. For sample n with target list T (its row of `target`
 * up to the first −1):
 *
 * $$
 * \ell_n = \frac{1}{C} \sum_{j \in T} \sum_{i \notin T} \max\bigl(0,\ 1 - (x_j - x_i)\bigr)
 * $$
 *
 * then `weight`.
 *
 * **Inputs**: `pred` `(N, C)` class scores; `target` the same number of elements (reshaped like
 * `pred`), int32 or float holding class indices: each row lists target classes and ends at its
 * first −1 (a row without −1 uses all C entries); the entries after that −1 are ignored, but as
 * in PyTorch every entry must be an integer in [−1, C): anything else (NaN included) is a
 * ValueError naming its position.
 *
 * **Output**: shape `(N,)`.
 *
 * **Options**: `weight` (default none), `batchAxis` (0 or −1: pred's rows are the samples).
 *
 * **Semantics**: PyTorch's `MultiLabelMarginLoss` with `reduction='none'`; the class axis is the
 * last, as PyTorch's dim 1 for a 2-D input (a 1-D PyTorch input `(C,)` is gloss's `(1, C)`).
 * A class listed twice counts twice, as in PyTorch.
 *
 * **Gradient**: each active pair (1 − x_j + x_i > 0) adds 1/C to ∂ℓ/∂x_i and −1/C to ∂ℓ/∂x_j; a
 * pair on the hinge (1 − x_j + x_i = 0) adds 0 (relu′(0) = 0, DECISIONS 10, as PyTorch's kernel).
 *
 * **Stability**: differences of scores in float64, taken before the 1 is added (two equal scores
 * of 1e30 leave a hinge of exactly 1, where 1 − x_target + x_i gives 0), no exponentials; O(C²)
 * per sample. A NaN score makes its own sample NaN.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.MultiLabelMarginLoss();
 * loss.forward(nd.array([[0.1, 0.2, 0.4, 0.8]]), nd.array([[3, 0, -1, 1]])); // [0.85]
 * ```
 */
export class MultiLabelMarginLoss extends Loss<MultiLabelMarginExtra> {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'MultiLabelMarginLoss';

  readonly inputNames: readonly string[] = ['pred', 'target'];

  constructor(options: MultiLabelMarginLossOptions = {}) {
    super(options, []);
  }

  /** Class indices get no gradient. */
  override get discreteInputs(): readonly string[] {
    return ['target'];
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<MultiLabelMarginExtra> {
    const pred = inputs[0]!;
    const { batch, classes, batchAxis } = classMatrix(this.name, pred, this.batchAxis);
    const target = reshapeLike(this.name, 'target', inputs[1]!, 'pred', pred).data;
    const targets = new Int32Array(batch * classes);
    const counts = new Int32Array(batch);
    const isTarget = new Uint8Array(batch * classes);
    for (let at = 0; at < target.length; at++) {
      // PyTorch checks every entry, used or not: an integer in [−1, C).
      const v = target[at]!;
      if (!Number.isInteger(v) || v < -1 || v >= classes) {
        throw new ValueError(
          `${this.name}: target at flat position ${at} is ${v}; every entry must be a class index in [0, ${classes}) ` +
            'or -1, which ends its row',
        );
      }
    }
    for (let n = 0; n < batch; n++) {
      let t = 0;
      for (; t < classes; t++) {
        const v = target[n * classes + t]!;
        if (v === -1) break;
        targets[n * classes + t] = v;
        isTarget[n * classes + v] = 1;
      }
      counts[n] = t;
    }
    const extra: MultiLabelMarginExtra = { classes, targets, counts, isTarget };
    return { arrays: [pred], sources: [0], lossShape: [batch], batchAxis, extra };
  }

  /**
   * Sample n's hinge terms Σ_t Σ_{i not a target} relu(1 − x_t + x_i) before the 1/C, its row
   * starting at `row`; with `slopes` (C zeros), the walk also adds g·∂/∂x of the row into them:
   * the forward and backward blocks walk the same hinges.
   */
  private walkRow(
    x: TypedArray,
    n: number,
    { classes, targets, counts, isTarget }: MultiLabelMarginExtra,
    g: number,
    slopes: Float64Array | null,
  ): number {
    const row = n * classes;
    let total = 0;
    for (let t = 0; t < counts[n]!; t++) {
      const target = targets[row + t]!;
      const truth = x[row + target]!;
      for (let i = 0; i < classes; i++) {
        if (isTarget[row + i]) continue;
        // (x_i − x_target) + 1, the difference first (as MultiMarginLoss: exact for float32
        // scores, so the hinge's sign is the true one).
        const hinge = x[row + i]! - truth + 1;
        // relu that lets a NaN through (`NaN > 0` is false).
        if (hinge > 0 || Number.isNaN(hinge)) total += hinge;
        if (slopes) {
          // 0 at and below the hinge; NaN for a NaN hinge.
          const slope = hinge > 0 ? g : Number.isNaN(hinge) ? hinge : 0;
          slopes[i]! += slope;
          slopes[target]! -= slope;
        }
      }
    }
    return total;
  }

  protected forwardBlock(call: Loss.ForwardBlockCall<MultiLabelMarginExtra, undefined>): void {
    const { prepared, begin, end, out } = call;
    const extra = prepared.extra!;
    const x = prepared.arrays[0]!.data;
    for (let n = begin, j = 0; n < end; n++, j++) out[j] = this.walkRow(x, n, extra, 0, null) / extra.classes;
  }

  // Each row of pred belongs to one sample: every element assigned (zeroed, then summed).
  protected override assignsGradient(): boolean {
    return true;
  }

  protected backwardBlock(call: Loss.BackwardBlockCall<MultiLabelMarginExtra, undefined>): void {
    const { prepared, begin, end, dLoss, grads } = call;
    const [dPred] = grads;
    if (!dPred) return;
    const extra = prepared.extra!;
    const { classes } = extra;
    const x = prepared.arrays[0]!.data;
    const slopes = new Float64Array(classes);
    for (let n = begin, j = 0; n < end; n++, j++) {
      slopes.fill(0);
      this.walkRow(x, n, extra, dLoss[j]! / classes, slopes);
      dPred.set(slopes, n * classes);
    }
  }

  twin({ arrays: [pred], extra }: Loss.Prepared<MultiLabelMarginExtra>): NDArray {
    const { classes, targets, counts, isTarget } = extra!;
    const x = pred!;
    const batch = counts.length;
    // pairs[n, j, i] = (times j is listed) · [i is no target] / C.
    const pairs = allocate(x.dtype, batch * classes * classes);
    for (let n = 0; n < batch; n++) {
      for (let t = 0; t < counts[n]!; t++) {
        const target = targets[n * classes + t]!;
        for (let i = 0; i < classes; i++) {
          if (!isTarget[n * classes + i]) pairs[(n * classes + target) * classes + i]! += 1 / classes;
        }
      }
    }
    const listed = reshape(x, [batch, classes, 1]);
    const others = reshape(x, [batch, 1, classes]);
    const hinge = add(sub(others, listed), 1);
    // relu′(0) = 0 and a NaN passes through, as in the block hooks.
    const active = relu(hinge);
    return sum(mul(active, new NDArray(pairs, [batch, classes, classes])), [1, 2]);
  }
}
