import type { NDArray } from '../ndarray/ndarray.js';
import { equal, relu, sub, where } from '../ops/elementwise.js';
import { reluPassingNaN } from '../kernels/margin.js';
import { assertSignLabels, finiteOption, type Loss } from './_base/index.js';
import { type PairGradients, type PairOperands, PairElementwiseLoss } from './_elementwise.js';

/** Options of {@link HingeEmbeddingLoss}. */
export interface HingeEmbeddingLossOptions extends Loss.Options {
  /** Distance below which a dissimilar (label −1) pair costs something; finite (default 1). */
  margin?: number;
}

/**
 * Hinge embedding loss (PyTorch's `hinge_embedding_loss`): `pred` is a distance (for example an
 * L1 distance between two embeddings) and `label` says whether the pair is similar (1) or not (−1):
 *
 * $$ \ell = \begin{cases} \text{pred} & \text{label} = 1 \\ \max(0,\ \text{margin} - \text{pred}) & \text{label} = -1 \end{cases} $$
 *
 * then `sampleWeight`, `weight` and the mean over the non-batch axes.
 *
 * **Inputs**: `pred` any shape, real; `label` the same number of elements (reshaped like `pred`),
 * each exactly 1 or −1 (anything else, NaN included, is a ValueError naming the position);
 * `sampleWeight` optional, broadcastable to `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `margin` (default 1, finite), `weight` (default none), `batchAxis` (default 0).
 *
 * **Semantics**: PyTorch's `nn.HingeEmbeddingLoss(margin)` with `reduction='none'`, then gloss's
 * per-sample mean (PyTorch's `'mean'` is the mean of this output for `(N, ...)` inputs). PyTorch
 * silently gives other label values a mix of both branches; gloss rejects them.
 *
 * **Gradient**: 1 where label = 1; −1 where label = −1 and margin − pred > 0; 0 elsewhere,
 * including on the hinge margin = pred (relu′(0) = 0, where PyTorch's clamp passes −1).
 *
 * **Stability**: one difference and a max per element; an infinite pred gives an infinite (label
 * 1) or zero (label −1) loss in its own sample.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.HingeEmbeddingLoss();
 * loss.forward(nd.array([0.3, 0.2, 1.5]), nd.array([1, -1, -1])); // [0.3 0.8 0]
 * ```
 */
export class HingeEmbeddingLoss extends PairElementwiseLoss {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'HingeEmbeddingLoss';

  /** The margin for dissimilar pairs. */
  readonly margin: number;

  constructor(options: HingeEmbeddingLossOptions = {}) {
    super(options, ['margin']);
    this.margin = finiteOption(this.name, 'margin', options.margin, 1);
  }

  /** The ±1 labels get no gradient. */
  override get discreteInputs(): readonly string[] {
    return ['label'];
  }

  // Elementwise, plus the labels checked to be ±1 (the blocks then read them from label itself).
  protected override prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<undefined> {
    const prepared = super.prepare(inputs);
    assertSignLabels(this.name, 'label', prepared.arrays[1]!);
    return prepared;
  }

  // ℓ at each element depends on that element's pred and label: the base hands over block views.
  protected values({ pred, label }: PairOperands, out: Float64Array): void {
    const margin = this.margin;
    for (let j = 0; j < pred.length; j++) out[j] = elementLoss(pred[j]!, label[j]!, margin);
  }

  // The labels get no gradient (discreteInputs).
  protected slopes({ pred, label }: PairOperands, { dLoss, dPred }: PairGradients): void {
    if (!dPred) return;
    const margin = this.margin;
    for (let j = 0; j < pred.length; j++) dPred[j] = scaledSlope(pred[j]!, label[j]!, margin, dLoss[j]!);
  }

  // ℓ and pred's gradient in one pass, for recorded calls (see Loss.forwardGradient).
  protected override forwardGradient(call: Loss.ForwardGradientCall<undefined, undefined>): void {
    const { prepared, sampleSize, scales, sums, gradient } = call;
    const [predArray, labelArray] = prepared.arrays;
    const pred = predArray!.data;
    const label = labelArray!.data;
    const margin = this.margin;
    for (let sample = 0, k = 0; sample < scales.length; sample++) {
      const scale = scales[sample]!;
      let total = 0;
      for (const end = k + sampleSize; k < end; k++) {
        total += elementLoss(pred[k]!, label[k]!, margin);
        gradient[k] = scaledSlope(pred[k]!, label[k]!, margin, scale);
      }
      sums[sample] = total;
    }
  }

  twin(prepared: Loss.Prepared<undefined>): NDArray {
    const [pred, label] = prepared.arrays;
    const gap = sub(this.margin, pred!);
    // relu′(0) = 0 and a NaN passes through, as in the block hooks.
    const hinge = relu(gap);
    return where(equal(label!, 1), pred!, hinge);
  }
}

/** ℓ of one element: pred for label 1, relu(margin − pred) for label −1 (a NaN gap passes). */
function elementLoss(pred: number, label: number, margin: number): number {
  if (label === 1) return pred;
  return reluPassingNaN(margin - pred);
}

/**
 * scale · dℓ/dpred of one element: scale for label 1; −scale strictly inside the hinge for label
 * −1, 0 on and beyond it, NaN for a NaN gap.
 */
function scaledSlope(pred: number, label: number, margin: number, scale: number): number {
  if (label === 1) return scale;
  const gap = margin - pred;
  return gap > 0 ? -scale : Number.isNaN(gap) ? gap : 0;
}
