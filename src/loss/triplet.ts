import type { TypedArray } from '../ndarray/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxis } from '../ndarray/shape.js';
import { add, mul, relu, sub } from '../ops/elementwise.js';
import { finiteOption, Loss } from './_base/index.js';
import { tripletLossGradient } from '../kernels/triplet.js';
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
 * (s_n + margin ≤ 0, even s_n = −∞) has an exactly zero gradient.
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
    const [a, p, q] = tripletData(prepared);
    for (let n = begin, j = 0; n < end; n++, j++) {
      let distance = 0;
      for (let o = 0; o < outer; o++) {
        let total = 0;
        for (let k = (o * batch + n) * inner, last = k + inner; k < last; k++)
          total += distanceTerm(a[k]!, p[k]!, q[k]!);
        distance += total;
      }
      const gap = distance + this.margin;
      // relu that lets a NaN gap through (`NaN > 0` is false).
      const loss = gap > 0 || Number.isNaN(gap) ? gap : 0;
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
    const [a, p, q] = tripletData(prepared);
    // The wasm kernel reads every input as float32: a float64 positive or negative would be
    // rounded first. Mixed dtypes take the float64 loop.
    const sameType = p.constructor === a.constructor && q.constructor === a.constructor;
    if (
      !sameType ||
      !tripletLossGradient(
        { anchor: a, positive: p, negative: q, margin: this.margin },
        { sampleSize, scales, sums, gradient },
      )
    ) {
      tripletOnePass(a, p, q, this.margin, sampleSize, scales, sums, gradient);
    }
  }

  twin(prepared: Loss.Prepared<TripletExtra>): NDArray {
    const [pred, positive, negative] = prepared.arrays;
    const axis = normalizeAxis(this.batchAxis, pred!.ndim, this.name, 'batchAxis');
    // The factored term of distanceTerm: (p − q) · (p + q − 2a), whose gradients are the same
    // 2(q − p), 2(p − a) and 2(a − q).
    const terms = mul(sub(positive!, negative!), sub(add(positive!, negative!), add(pred!, pred!)));
    const gap = add(sumPerSample(terms, axis), this.margin);
    // relu′(0) = 0 and a NaN passes through, as in the block hooks.
    return relu(gap);
  }
}

/**
 * One element's (p − a)² − (q − a)², the same in float64 as the wasm kernels' (triplet.wat).
 *
 * Derivation: (p − a)² − (q − a)² = ((p − a) − (q − a)) · ((p − a) + (q − a)) = (p − q) · (p + q − 2a).
 * The difference of squares cancels whenever p and q are about equally far from a, and loses
 * every digit when a is far from both (a = 3e38 with p, q near 0: both squares round to a², and
 * the true term 2a · (q − p) ≈ 1e38 vanishes, so the sample's ℓ is rounding noise); the product
 * of the two factors is within a few ulps of the true term whatever the inputs.
 */
function distanceTerm(a: number, p: number, q: number): number {
  return (p - q) * (p + q - (a + a));
}

/** TripletLoss.forwardGradient's loops, on rows of `sampleSize` contiguous elements. */
function tripletOnePass(
  a: TypedArray,
  p: TypedArray,
  q: TypedArray,
  margin: number,
  sampleSize: number,
  scales: Float64Array,
  sums: Float64Array,
  gradient: TypedArray,
): void {
  for (let n = 0; n < scales.length; n++) {
    const first = n * sampleSize;
    const last = first + sampleSize;
    let distance = 0;
    for (let k = first; k < last; k++) distance += distanceTerm(a[k]!, p[k]!, q[k]!);
    const gap = distance + margin;
    // relu that lets a NaN gap through (`NaN > 0` is false); an inactive sample has slope 0.
    const loss = gap > 0 || Number.isNaN(gap) ? gap : 0;
    sums[n] = loss;
    if (loss === 0) {
      gradient.fill(0, first, last);
      continue;
    }
    const g = 2 * scales[n]! * (Number.isNaN(loss) ? loss : 1);
    for (let k = first; k < last; k++) gradient[k] = g * (q[k]! - p[k]!);
  }
}
