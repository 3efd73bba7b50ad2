import type { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxis } from '../ndarray/shape.js';
import { add, mul, relu, sub } from '../ops/elementwise.js';
import { finiteOption, Loss } from './_base/index.js';
import {
  type SampleElements,
  type TripletInputs,
  tripletGap,
  tripletLossGradient,
  tripletLossGradientFloat64,
} from '../kernels/triplet.js';
import { reluPassingNaN } from '../kernels/margin.js';
import type { ClassLayout } from './_class-rows.js';
import { prepareTriplets, sumPerSample, tripletData } from './_triplets.js';

/** Options of {@link TripletLoss}. */
export interface TripletLossOptions extends Loss.Options {
  /** The margin by which the negative must be farther than the positive; finite (default 1). */
  margin?: number;
}

/** Per-call settings the kernels read: the inputs viewed as (outer, batch, inner) around the batch axis (`size` is the batch). */
type TripletExtra = ClassLayout;

/**
 * Triplet loss (metric learning with an anchor, a positive and a negative):
 *
 * $$
 * s_n = \sum_{\text{non-batch axes}} \bigl((\text{positive} - \text{pred})^2 - (\text{negative} - \text{pred})^2\bigr), \qquad
 * \ell_n = \max(0,\ s_n + \text{margin})
 * $$
 *
 * one value per sample — the squared distances are summed, not averaged — then `sampleWeight` and
 * `weight` (as MXNet 2.x).
 *
 * **Inputs**: `pred` (the anchors) any shape with at least one axis; `positive` and `negative` the
 * same number of elements (reshaped like `pred`); `sampleWeight` optional, one weight per sample
 * (shape `(N,)` or `(1,)`; `(N, 1)` would enlarge ℓ and is a ShapeError).
 *
 * **Output**: shape `(N,)`, N the length of `pred`'s batch axis.
 *
 * **Options**: `margin` (default 1, finite), `weight` (default none), `batchAxis` (default 0: the
 * batch axis of the inputs, normalised against `pred`'s rank; ℓ itself is 1-D).
 *
 * **Gradient**: 2 · (negative − positive) with respect to `pred`, 2 · (positive − pred) and
 * 2 · (pred − negative) for the others, in samples where s_n + margin > 0; 0 elsewhere,
 * including on the kink itself (where the derivative is taken as 0).
 *
 * **Stability**: each element's (p − a)² − (q − a)² is taken as (p − q) · (p + q − 2a), which
 * keeps its digits when the two distances nearly cancel (an anchor far from both, as 3e38 against
 * values near 0, gives the true ℓ, not rounding noise); terms are accumulated in float64; an
 * infinite input gives an infinite or NaN loss in its own sample only, and an inactive sample
 * (s_n + margin ≤ 0, even s_n = −∞) has an exactly zero gradient. Which side of the kink a sample
 * is on is never left to rounding: when terms cancel below their rounding errors (1e30 and 3.4e38
 * in one element, 3.4e38 and −1.6 in the next), a sample whose s_n + margin is within its error
 * bound of 0 is recomputed exactly, so every path and backend gives the same ℓ and branch.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.TripletLoss({ margin: 10 });
 * const label = nd.array([1, 3, 5, 7]);
 * loss.forward(nd.array([1, 2, 3, 4]), label, label.neg()); // [6 0 0 0]
 * ```
 */
export class TripletLoss extends Loss<TripletExtra, Float64Array> {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'TripletLoss';

  readonly inputNames: readonly string[] = ['pred', 'positive', 'negative', 'sampleWeight'];
  /** The margin. */
  readonly margin: number;

  constructor(options: TripletLossOptions = {}) {
    super(options, ['margin']);
    this.margin = finiteOption(this.name, 'margin', options.margin, 1);
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<TripletExtra> {
    return prepareTriplets(this.name, this.inputNames, this.batchAxis, inputs);
  }

  /** ℓ of every sample, kept by the forward blocks: its sign is the backward pass's switch. */
  protected override createState(prepared: Loss.Prepared<TripletExtra>): Float64Array {
    return new Float64Array(prepared.extra!.size);
  }

  // ℓ is (N,): the block [begin, end) is the samples [begin, end), each spread over `outer`
  // runs of `inner` contiguous elements.
  protected forwardBlock(call: Loss.ForwardBlockCall<TripletExtra, Float64Array>): void {
    const { prepared, state: losses, begin, end, out } = call;
    const { outer, size: batch, inner } = prepared.extra!;
    const inputs = tripletInputs(prepared, this.margin);
    const sample: SampleElements = { first: 0, runs: outer, stride: batch * inner, length: inner };
    for (let n = begin, j = 0; n < end; n++, j++) {
      sample.first = n * inner;
      const loss = reluPassingNaN(tripletGap(inputs, sample));
      losses[n] = loss;
      out[j] = loss;
    }
  }

  // Each entry belongs to one sample, so to one ℓ element: assigned.
  protected backwardBlock(call: Loss.BackwardBlockCall<TripletExtra, Float64Array>): void {
    const { prepared, state: losses, begin, end, dLoss, grads } = call;
    const [dPred, dPositive, dNegative] = grads;
    const { outer, size: batch, inner } = prepared.extra!;
    const [a, p, q] = tripletData(prepared);
    for (let n = begin, j = 0; n < end; n++, j++) {
      // ℓ > 0 exactly where the sample is active (s + margin > 0); a NaN ℓ makes the slope NaN.
      const value = losses[n]!;
      if (value === 0) continue;
      const g = 2 * dLoss[j]! * (Number.isNaN(value) ? value : 1);
      for (let o = 0; o < outer; o++) {
        const first = (o * batch + n) * inner;
        const last = first + inner;
        if (dPred) for (let k = first; k < last; k++) dPred[k] = g * (q[k]! - p[k]!);
        if (dPositive) for (let k = first; k < last; k++) dPositive[k] = g * (p[k]! - a[k]!);
        if (dNegative) for (let k = first; k < last; k++) dNegative[k] = g * (a[k]! - q[k]!);
      }
    }
  }

  /** One pass needs each sample's row of pred contiguous: the batch axis leads. */
  protected override canFuseGradient(prepared: Loss.Prepared<TripletExtra>): boolean {
    return prepared.extra!.outer === 1;
  }

  // The same ℓ and pred's gradient in one pass, for recorded calls (see Loss.forwardGradient):
  // each row is read twice while it is in cache, once for its distance and, when the sample is
  // active, once for 2·scale·(negative − positive).
  protected override forwardGradient(call: Loss.ForwardGradientCall<TripletExtra, Float64Array>): void {
    const { prepared, sampleSize, scales, sums, gradient } = call;
    const inputs = tripletInputs(prepared, this.margin);
    const samples = { sampleSize, scales, sums, gradient };
    // The wasm kernel declines what is not all float32 (mixed dtypes included): the float64 loop.
    if (!tripletLossGradient(inputs, samples)) tripletLossGradientFloat64(inputs, samples);
  }

  twin(prepared: Loss.Prepared<TripletExtra>): NDArray {
    const [pred, positive, negative] = prepared.arrays;
    const axis = normalizeAxis(this.batchAxis, pred!.ndim, this.name, 'batchAxis');
    // The factored term of tripletGap (kernels/triplet.ts): (p − q) · (p + q − 2a), whose
    // gradients are the same 2(q − p), 2(p − a) and 2(a − q).
    const terms = mul(sub(positive!, negative!), sub(add(positive!, negative!), add(pred!, pred!)));
    const gap = add(sumPerSample(terms, axis), this.margin);
    // relu′(0) = 0 and a NaN passes through, as in the block hooks.
    return relu(gap);
  }
}

/** The anchor, positive and negative of a prepared call with the loss's margin, as the kernels take them. */
function tripletInputs(prepared: Loss.Prepared<TripletExtra>, margin: number): TripletInputs {
  const [anchor, positive, negative] = tripletData(prepared);
  return { anchor, positive, negative, margin };
}
