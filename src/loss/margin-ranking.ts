import type { NDArray } from '../ndarray/ndarray.js';
import { add, greater, mul, sub, where } from '../ops/elementwise.js';
import { finiteOption, type Loss } from './_base/index.js';
import { ElementwiseLoss } from './_elementwise.js';
import { reluPassingNaN } from '../kernels/margin.js';

/** Options of {@link MarginRankingLoss}. */
export interface MarginRankingLossOptions extends Loss.Options {
  /** How far the preferred input must lead the other before the pair costs nothing (default 0). */
  margin?: number;
}

/**
 * Margin ranking loss (PyTorch's `margin_ranking_loss`): `label` 1 says `input1` should rank
 * higher than `input2`, −1 the opposite:
 *
 * $$ \ell = \max\bigl(0,\ -\text{label} \cdot (\text{input1} - \text{input2}) + \text{margin}\bigr) $$
 *
 * then `sampleWeight`, `weight` and the mean over the non-batch axes.
 *
 * **Inputs**: `input1` any shape, real scores; `input2` and `label` the same number of elements
 * (reshaped like `input1`). `label` is documented as 1 or −1; any finite real is used as written,
 * as PyTorch does; `sampleWeight` optional, broadcastable to `input1` (a 1-D array of batch
 * length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `margin` (default 0, finite), `weight` (default none), `batchAxis` (default 0).
 *
 * **Semantics**: PyTorch's `nn.MarginRankingLoss(margin)` with `reduction='none'`, then gloss's
 * per-sample mean (PyTorch's `'mean'` is the mean of this output for `(N, ...)` inputs). PyTorch
 * broadcasts the three inputs; gloss reshapes `input2` and `label` like `input1` (Gluon's rule),
 * so they must have its number of elements.
 *
 * **Gradient**: where the hinge is active (−label · (input1 − input2) + margin > 0): −label for
 * `input1`, label for `input2`, −(input1 − input2) for `label`; 0 elsewhere, including on the
 * hinge itself (relu′(0) = 0, where PyTorch's clamp passes the gradient).
 *
 * **Stability**: a difference, a product and a max; an overflowing product gives an infinite
 * loss only in its own sample.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.MarginRankingLoss({ margin: 0.5 });
 * loss.forward(nd.array([2, 1, 0]), nd.array([1, 1, 1]), nd.array([1, 1, -1])); // [0 0.5 0]
 * ```
 */
export class MarginRankingLoss extends ElementwiseLoss {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'MarginRankingLoss';

  override readonly inputNames: readonly string[] = ['input1', 'input2', 'label', 'sampleWeight'];
  /** The margin. */
  readonly margin: number;

  constructor(options: MarginRankingLossOptions = {}) {
    super(options, ['margin']);
    this.margin = finiteOption(this.name, 'margin', options.margin, 0);
  }

  protected forwardBlock({ prepared, begin, end, out }: Loss.ForwardBlockCall<undefined, undefined>): void {
    const [input1, input2, label] = prepared.arrays;
    const a = input1!.data;
    const b = input2!.data;
    const y = label!.data;
    const margin = this.margin;
    for (let k = begin, j = 0; k < end; k++, j++) {
      out[j] = reluPassingNaN(margin - y[k]! * (a[k]! - b[k]!));
    }
  }

  // relu′ is 1 only where the gap is strictly positive (NaN where it is NaN). Each gradient entry
  // depends on one ℓ element: assigned.
  protected backwardBlock(call: Loss.BackwardBlockCall<undefined, undefined>): void {
    const { prepared, begin, end, dLoss, grads } = call;
    const [input1, input2, label] = prepared.arrays;
    const [dInput1, dInput2, dLabel] = grads;
    const a = input1!.data;
    const b = input2!.data;
    const y = label!.data;
    const margin = this.margin;
    for (let k = begin, j = 0; k < end; k++, j++) {
      const difference = a[k]! - b[k]!;
      const gap = margin - y[k]! * difference;
      const slope = gap > 0 ? dLoss[j]! : Number.isNaN(gap) ? gap : 0;
      if (dInput1) dInput1[k] = -slope * y[k]!;
      if (dInput2) dInput2[k] = slope * y[k]!;
      if (dLabel) dLabel[k] = -slope * difference;
    }
  }

  twin({ arrays: [input1, input2, label] }: Loss.Prepared): NDArray {
    const gap = add(mul(mul(label!, sub(input1!, input2!)), -1), this.margin);
    // relu with relu′(0) = 0; `gap · 0` keeps a NaN (and gives no gradient).
    return where(greater(gap, 0), gap, mul(gap, 0));
  }
}
