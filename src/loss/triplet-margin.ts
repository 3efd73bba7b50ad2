import type { TypedArray } from '../ndarray/dtype.js';
import { ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxis } from '../ndarray/shape.js';
import { abs, add, lesserEqual, pow, relu, sub, where } from '../ops/elementwise.js';
import type { ClassLayout } from './_class-rows.js';
import { prepareTriplets, sumPerSample, tripletData } from './_triplets.js';
import { booleanOption, finiteOption, Loss } from './_base/index.js';

/** A call's anchors (a), positives (p) and negatives (q), laid out around the batch axis. */
interface Triplets {
  readonly a: TypedArray;
  readonly p: TypedArray;
  readonly q: TypedArray;
  readonly layout: ClassLayout;
}

/** Options of {@link TripletMarginLoss}. */
export interface TripletMarginLossOptions extends Loss.Options {
  /** How much farther the negative must be than the positive; finite (default 1). */
  margin?: number;
  /** The norm's order, a finite number ≥ 1 (default 2). */
  p?: number;
  /** Added to every component of each difference before the norm, finite (default 1e-6). */
  eps?: number;
  /** Use min(d(a, n), d(p, n)) as the negative distance (default false). */
  swap?: boolean;
}

/** Per-call settings: the inputs viewed as (outer, batch, inner) around the batch axis. */
type TripletMarginExtra = ClassLayout;

/** What the forward blocks keep for the backward ones, per sample. */
interface TripletMarginState {
  /** ℓ; 0 marks an inactive sample. */
  readonly loss: Float64Array;
  /** d(anchor, positive). */
  readonly positiveDistance: Float64Array;
  /** The negative distance used: d(anchor, negative), or d(positive, negative) where swapped. */
  readonly negativeDistance: Float64Array;
  /** 1 where the swap chose d(positive, negative). */
  readonly swapped: Uint8Array;
}

/**
 * Triplet margin loss (PyTorch's `triplet_margin_loss`), with PyTorch's `pairwise_distance`
 * d(x, y) = ‖x − y + eps‖_p over each sample's elements:
 *
 * $$ \ell = \max\bigl(0,\ d(\text{anchor}, \text{positive}) - d(\text{anchor}, \text{negative}) + \text{margin}\bigr) $$
 *
 * and with `swap`, d(anchor, negative) is replaced by min(d(anchor, negative), d(positive,
 * negative)); then `sampleWeight` and `weight`. One value per sample.
 *
 * **Inputs**: `anchor` with a batch axis; `positive` and `negative` the same number of elements
 * (reshaped like `anchor`); every element of a sample (all non-batch axes) belongs to its vector;
 * `sampleWeight` optional, one weight per sample (shape `(N,)` or `(1,)`).
 *
 * **Output**: shape `(N,)`, N the length of the batch axis.
 *
 * **Options**: `margin` (default 1, finite), `p` (default 2, finite, ≥ 1), `eps` (default 1e-6,
 * finite), `swap` (default false), `weight` (default none), `batchAxis` (default 0).
 *
 * **Semantics**: PyTorch's `nn.TripletMarginLoss(margin, p, eps, swap)` with `reduction='none'`
 * (its `'mean'` is the mean of this output). For `(N, D)` inputs the two agree exactly; gloss
 * also accepts more axes and takes the norm over all non-batch ones, and a 1-D input is N samples
 * of one element (PyTorch reads a 1-D input as one D-vector). Unlike gloss's `TripletLoss`
 * (Gluon's: squared distances, no root), this uses true p-norms.
 *
 * **Gradient**: with v = x − y + eps and u = ∇‖v‖_p = sign(v) · (|v|/‖v‖)^(p−1) (0 at v = 0), in
 * active samples (ℓ > 0): u_ap − u_an for `anchor`, −u_ap for `positive`, u_an for `negative`
 * (with a swap: −u_ap − u_pn for `positive`, u_pn for `negative`); 0 in inactive samples,
 * including the kink ℓ = 0 (relu′(0) = 0, where PyTorch's clamp passes the gradient). At a tie of
 * the swap, d(anchor, negative) is used.
 *
 * **Stability**: each norm is computed as m · (Σ (|v|/m)^p)^(1/p) with m = max |v|, in float64,
 * so it neither overflows nor underflows for any finite input and any p. For p = 2 the difference
 * of the two distances is (d₊² − d₋²) / (d₊ + d₋) with the numerator factored per element, which
 * keeps its digits when both distances are large and nearly equal (an anchor far from both points).
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.TripletMarginLoss({ eps: 0 });
 * loss.forward(nd.array([[0, 0]]), nd.array([[3, 4]]), nd.array([[1, 0]])); // [5]
 * ```
 */
export class TripletMarginLoss extends Loss<TripletMarginExtra, TripletMarginState> {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'TripletMarginLoss';

  readonly inputNames: readonly string[] = ['anchor', 'positive', 'negative', 'sampleWeight'];
  /** The margin. */
  readonly margin: number;
  /** The norm's order. */
  readonly p: number;
  /** The constant added inside the norm. */
  readonly eps: number;
  /** Whether the positive–negative distance may replace the anchor–negative one. */
  readonly swap: boolean;

  constructor(options: TripletMarginLossOptions = {}) {
    super(options, ['margin', 'p', 'eps', 'swap']);
    this.margin = finiteOption(this.name, 'margin', options.margin, 1);
    const p = finiteOption(this.name, 'p', options.p, 2);
    if (p < 1) throw new ValueError(`${this.name}: option p must be >= 1 (a norm), got ${p}`);
    this.p = p;
    this.eps = finiteOption(this.name, 'eps', options.eps, 1e-6);
    this.swap = booleanOption(this.name, 'swap', options.swap, false);
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<TripletMarginExtra> {
    return prepareTriplets(this.name, this.inputNames, this.batchAxis, inputs);
  }

  protected override createState(prepared: Loss.Prepared<TripletMarginExtra>): TripletMarginState {
    const batch = prepared.extra!.size;
    return {
      loss: new Float64Array(batch),
      positiveDistance: new Float64Array(batch),
      negativeDistance: new Float64Array(batch),
      swapped: new Uint8Array(batch),
    };
  }

  // ℓ is (N,): the block [begin, end) is the samples [begin, end).
  protected forwardBlock(call: Loss.ForwardBlockCall<TripletMarginExtra, TripletMarginState>): void {
    const { prepared, state, begin, end, out } = call;
    const layout = prepared.extra!;
    const [a, p, q] = tripletData(prepared);
    const triplets: Triplets = { a, p, q, layout };
    for (let n = begin, j = 0; n < end; n++, j++) {
      const toPositive = this.distance(a, p, layout, n);
      let toNegative = this.distance(a, q, layout, n);
      let swapped = 0;
      if (this.swap) {
        const positiveToNegative = this.distance(p, q, layout, n);
        if (positiveToNegative < toNegative) {
          toNegative = positiveToNegative;
          swapped = 1;
        }
      }
      const gap = this.distanceGap(triplets, n, toPositive, toNegative, swapped === 1) + this.margin;
      // relu that lets a NaN gap through (`NaN > 0` is false).
      const loss = gap > 0 || Number.isNaN(gap) ? gap : 0;
      state.loss[n] = loss;
      state.positiveDistance[n] = toPositive;
      state.negativeDistance[n] = toNegative;
      state.swapped[n] = swapped;
      out[j] = loss;
    }
  }

  // In an active sample: ∂d(x, y)/∂x = u(x − y + eps), ∂d(x, y)/∂y = −u, ℓ = d_ap − d_neg + m.
  // Each entry belongs to one sample, so to one ℓ element: assigned.
  protected backwardBlock(call: Loss.BackwardBlockCall<TripletMarginExtra, TripletMarginState>): void {
    const { prepared, state, begin, end, dLoss, grads } = call;
    const [dAnchor, dPositive, dNegative] = grads;
    const { outer, size: batch, inner } = prepared.extra!;
    const [a, p, q] = tripletData(prepared);
    for (let n = begin, j = 0; n < end; n++, j++) {
      const value = state.loss[n]!;
      if (value === 0) continue;
      // A NaN ℓ makes the whole sample's gradient NaN.
      const g = dLoss[j]! * (Number.isNaN(value) ? value : 1);
      const positiveNorm = state.positiveDistance[n]!;
      const negativeNorm = state.negativeDistance[n]!;
      const swapped = state.swapped[n] === 1;
      for (let o = 0; o < outer; o++) {
        for (let k = (o * batch + n) * inner, last = k + inner; k < last; k++) {
          const towardPositive = g * this.normSlope(a[k]! - p[k]! + this.eps, positiveNorm);
          const towardNegative =
            g * this.normSlope(swapped ? p[k]! - q[k]! + this.eps : a[k]! - q[k]! + this.eps, negativeNorm);
          if (dAnchor) dAnchor[k] = towardPositive - (swapped ? 0 : towardNegative);
          if (dPositive) dPositive[k] = -towardPositive - (swapped ? towardNegative : 0);
          if (dNegative) dNegative[k] = towardNegative;
        }
      }
    }
  }

  /**
   * ‖x − y + eps‖_p over sample n's elements. Derivation: ‖v‖_p = m · ‖v/m‖_p for m = max|v| > 0,
   * and every |v_k|/m lies in [0, 1], so the sum of powers lies in [1, count]: no overflow or
   * underflow for any finite input. m = ∞ gives ∞; a NaN component gives NaN (Math.max).
   */
  private distance(
    x: TypedArray,
    y: TypedArray,
    { outer, size: batch, inner }: ClassLayout,
    n: number,
  ): number {
    const eps = this.eps;
    let largest = 0;
    for (let o = 0; o < outer; o++) {
      for (let k = (o * batch + n) * inner, last = k + inner; k < last; k++)
        largest = Math.max(largest, Math.abs(x[k]! - y[k]! + eps));
    }
    if (largest === 0 || !Number.isFinite(largest)) return largest;
    const p = this.p;
    let total = 0;
    for (let o = 0; o < outer; o++) {
      for (let k = (o * batch + n) * inner, last = k + inner; k < last; k++) {
        const ratio = Math.abs(x[k]! - y[k]! + eps) / largest;
        total += p === 2 ? ratio * ratio : p === 1 ? ratio : ratio ** p;
      }
    }
    return largest * (p === 2 ? Math.sqrt(total) : p === 1 ? total : total ** (1 / p));
  }

  /**
   * d(a, p) − d_neg, sample n's distances given. For p = 2 it is taken as
   * (d(a, p)² − d_neg²) / (d(a, p) + d_neg), with the numerator summed from the inputs in factored
   * form: with u = a + eps, (u − p)² − (u − q)² = (q − p) · (2u − p − q), or, swapped (d_neg =
   * d(p, q)), (u − p)² − (p − q + eps)² = (a + q − 2p) · (a − q + 2 · eps). Subtracting the two
   * distances themselves loses every digit when both are large and nearly equal (an anchor at 1e30
   * against points near 0: both round to 1e30, where the true gap is about 2); each factor here
   * keeps its digits. The plain difference stays for other p, for two zero distances, and where
   * the numerator overflows.
   */
  private distanceGap(
    { a, p, q, layout: { outer, size: batch, inner } }: Triplets,
    n: number,
    toPositive: number,
    toNegative: number,
    swapped: boolean,
  ): number {
    const difference = toPositive - toNegative;
    const denominator = toPositive + toNegative;
    if (this.p !== 2 || denominator === 0 || !Number.isFinite(denominator)) return difference;
    const eps = this.eps;
    let numerator = 0;
    for (let o = 0; o < outer; o++) {
      for (let k = (o * batch + n) * inner, last = k + inner; k < last; k++) {
        const anchor = a[k]!;
        const positive = p[k]!;
        const negative = q[k]!;
        numerator += swapped
          ? (anchor + negative - 2 * positive) * (anchor - negative + 2 * eps)
          : (negative - positive) * (2 * (anchor + eps) - positive - negative);
      }
    }
    return Number.isFinite(numerator) ? numerator / denominator : difference;
  }

  /** ∂‖v‖_p/∂v_k = sign(v_k) · (|v_k|/‖v‖)^(p−1), 0 for a zero norm; a ratio, so nothing overflows. */
  private normSlope(v: number, norm: number): number {
    if (norm === 0) return 0;
    const p = this.p;
    if (p === 1) return +(v > 0) - +(v < 0) || v * 0;
    const ratio = v / norm;
    return p === 2 ? ratio : Math.sign(ratio) * Math.abs(ratio) ** (p - 1);
  }

  twin(prepared: Loss.Prepared<TripletMarginExtra>): NDArray {
    const [anchor, positive, negative] = prepared.arrays;
    const axis = normalizeAxis(this.batchAxis, anchor!.ndim, this.name, 'batchAxis');
    const toPositive = this.twinDistance(anchor!, positive!, axis);
    let toNegative = this.twinDistance(anchor!, negative!, axis);
    if (this.swap) {
      const positiveToNegative = this.twinDistance(positive!, negative!, axis);
      toNegative = where(lesserEqual(toNegative, positiveToNegative), toNegative, positiveToNegative);
    }
    const gap = add(sub(toPositive, toNegative), this.margin);
    // relu′(0) = 0 and a NaN passes through, as in the block hooks.
    return relu(gap);
  }

  /** (Σ |x − y + eps|^p)^(1/p) over the non-batch axes, composed (not rescaled: for the tests). */
  private twinDistance(x: NDArray, y: NDArray, axis: number): NDArray {
    return pow(sumPerSample(pow(abs(add(sub(x, y), this.eps)), this.p), axis), 1 / this.p);
  }
}
