import { ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { add, mul, neg, pow, sigmoid, softplus, sub } from '../ops/elementwise.js';
import { type PairGradients, type PairOperands, PairElementwiseLoss } from './_elementwise.js';
import {
  booleanOption,
  checkDomain,
  type Domain,
  finiteOption,
  type Loss,
  PROBABILITIES,
} from './_base/index.js';
import { coefficientTimesLog } from './_coefficient-times-log.js';

/** Targets: 0/1 or soft labels in [0, 1] (1 − p_t ≥ 0 there, so (1 − p_t)^γ has a value). */
const LABELS: Domain = { outside: (t) => t < 0 || t > 1, rule: 'labels must lie in [0, 1]' };

/** Options of {@link SigmoidFocalLoss}. */
export interface SigmoidFocalLossOptions extends Loss.Options {
  /** Weight α of the positive class, 1 − α of the negative one, in [0, 1]; null: no weighting (default 0.25). */
  alpha?: number | null;
  /** Focusing exponent γ ≥ 0 (default 2; 0 gives binary cross-entropy). */
  gamma?: number;
  /** `pred` holds probabilities (already through a sigmoid) instead of logits (default false). */
  fromSigmoid?: boolean;
}

/**
 * One element's BCE, q = 1 − p_t and their partial derivatives by the prediction and the label,
 * then ℓ and its derivatives (see {@link combine}). A block makes one and reuses it for each of
 * its elements, so no object is allocated per element.
 */
interface FocalTerms {
  crossEntropy: number;
  q: number;
  dCrossEntropyPred: number;
  dCrossEntropyLabel: number;
  dQPred: number;
  dQLabel: number;
  loss: number;
  dPred: number;
  dLabel: number;
}

const newTerms = (): FocalTerms => ({
  crossEntropy: 0,
  q: 0,
  dCrossEntropyPred: 0,
  dCrossEntropyLabel: 0,
  dQPred: 0,
  dQLabel: 0,
  loss: 0,
  dPred: 0,
  dLabel: 0,
});

/**
 * Sigmoid focal loss (torchvision `ops.sigmoid_focal_loss`, Lin et al. 2017), elementwise with
 * x = pred, t = label, p = sigmoid(x):
 *
 * $$
 * \begin{aligned}
 * \ell &= a_t \, (1 - p_t)^{\gamma} \, \mathrm{BCE}(x, t), \qquad p_t = p t + (1 - p)(1 - t), \\
 * a_t &= \alpha t + (1 - \alpha)(1 - t), \qquad \mathrm{BCE} = t \operatorname{softplus}(-x) + (1 - t) \operatorname{softplus}(x)
 * \end{aligned}
 * $$
 *
 * (a_t = 1 with `alpha: null`), then `sampleWeight`, `weight` and the mean over the non-batch axes.
 *
 * **Inputs**: `pred` any shape, real logits (with `fromSigmoid`, probabilities in [0, 1]: a finite
 * value outside is a ValueError naming its position, as in PyTorch's BCELoss); `label`
 * the same number of elements (reshaped like `pred`), 0/1 targets or soft labels in [0, 1]; a
 * finite label outside [0, 1] is a ValueError naming its position (unlike SigmoidBCE, which uses
 * any finite label as written: here 1 − p_t can be negative there, and a power γ of it NaN);
 * `sampleWeight` optional, broadcastable to `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `alpha` (default 0.25; a number in [0, 1] or null), `gamma` (default 2, ≥ 0),
 * `fromSigmoid` (default false), `weight` (default none), `batchAxis` (default 0).
 *
 * **From torchvision**: `sigmoid_focal_loss(x, t, alpha, gamma, reduction='none')` is ℓ before
 * the per-sample mean; torchvision's default `'none'` output is gloss's `reduction: 'none'`, and
 * its `'mean'` the mean of gloss's per-sample output when every sample has the same size.
 * torchvision switches the weighting off with a negative alpha; gloss takes `alpha: null` and
 * rejects negative values. `fromSigmoid` is gloss's addition (Gluon's name from SigmoidBCE).
 *
 * **Gradient**: ∂ℓ/∂x = a_t (1 − p_t)^γ (p − t + γ · BCE · (1 − 2t) p (1 − p) / (1 − p_t)),
 * and ∂ℓ/∂t likewise; both are the true derivatives of ℓ.
 *
 * **Stability**: everything is computed from the logit: log p = −softplus(−x) and
 * log(1 − p) = −softplus(x); 1 − p_t = t·sigmoid(−x) + (1 − t)·sigmoid(x), a sum of two
 * non-negative terms for t in [0, 1], so there is no cancellation (1 − p_t for a confident
 * correct logit keeps its digits instead of rounding to 0), and the derivative of (1 − p_t)^γ is
 * taken as γ · (1 − p_t)^γ · (BCE / (1 − p_t)), whose last factor stays bounded, so logits of any
 * finite size (±1e30 included) give finite losses and gradients. With `fromSigmoid`, logs are
 * exact (no epsilon): p = 0 with t = 1 gives +Infinity, and 0 · log 0 is 0.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.SigmoidFocalLoss();
 * loss.forward(nd.array([[2, -1]]), nd.array([[1, 0]])); // [0.00872222]
 * ```
 */
export class SigmoidFocalLoss extends PairElementwiseLoss {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'SigmoidFocalLoss';

  /** Weight of the positive class, or null for none. */
  readonly alpha: number | null;
  /** The focusing exponent. */
  readonly gamma: number;
  /** Whether `pred` holds probabilities rather than logits. */
  readonly fromSigmoid: boolean;

  constructor(options: SigmoidFocalLossOptions = {}) {
    super(options, ['alpha', 'gamma', 'fromSigmoid']);
    this.alpha = focalAlpha(this.name, options.alpha);
    this.gamma = focalGamma(this.name, options.gamma);
    this.fromSigmoid = booleanOption(this.name, 'fromSigmoid', options.fromSigmoid, false);
  }

  // Elementwise; the label checked to lie in [0, 1] (outside, 1 − p_t can be negative and a
  // fractional power of it NaN), and with fromSigmoid pred too (log p of a p below 0, or
  // log(1 − p) above 1, is NaN): a finite value outside is a ValueError naming its position, as
  // PyTorch's BCELoss has it for probabilities.
  protected override prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<undefined> {
    const prepared = super.prepare(inputs);
    const [pred, label] = prepared.arrays;
    if (this.fromSigmoid) checkDomain(this.name, 'pred', pred!, PROBABILITIES);
    checkDomain(this.name, 'label', label!, LABELS);
    return prepared;
  }

  // Every element of ℓ is one element of pred and label: the base hands over views of a block.
  protected values({ pred, label }: PairOperands, out: Float64Array): void {
    const terms = this.fromSigmoid ? probabilityTerms : logitTerms;
    const at = newTerms();
    for (let j = 0; j < pred.length; j++) {
      terms(pred[j]!, label[j]!, at);
      out[j] = combine(at, label[j]!, this.alpha, this.gamma).loss;
    }
  }

  protected override assignsGradient(): boolean {
    return true;
  }

  protected slopes({ pred, label }: PairOperands, { dLoss, dPred, dLabel }: PairGradients): void {
    const terms = this.fromSigmoid ? probabilityTerms : logitTerms;
    const at = newTerms();
    for (let j = 0; j < pred.length; j++) {
      terms(pred[j]!, label[j]!, at);
      combine(at, label[j]!, this.alpha, this.gamma);
      if (dPred) dPred[j] = dLoss[j]! * at.dPred;
      if (dLabel) dLabel[j] = dLoss[j]! * at.dLabel;
    }
  }

  // ℓ and pred's gradient in one pass, for recorded calls (see Loss.forwardGradient): each
  // element's terms are taken once (one exponential and one log1p on logits) for both, where the
  // block path takes them again for the slopes.
  protected override forwardGradient(call: Loss.ForwardGradientCall<undefined, undefined>): void {
    const { prepared, sampleSize, scales, sums, gradient } = call;
    const [predArray, labelArray] = prepared.arrays;
    const pred = predArray!.data;
    const label = labelArray!.data;
    const terms = this.fromSigmoid ? probabilityTerms : logitTerms;
    const at = newTerms();
    for (let sample = 0, k = 0; sample < scales.length; sample++) {
      const scale = scales[sample]!;
      let total = 0;
      for (const end = k + sampleSize; k < end; k++) {
        terms(pred[k]!, label[k]!, at);
        combine(at, label[k]!, this.alpha, this.gamma);
        total += at.loss;
        gradient[k] = scale * at.dPred;
      }
      sums[sample] = total;
    }
  }

  twin({ arrays: [pred, label] }: Loss.Prepared): NDArray {
    const x = pred!;
    const t = label!;
    const negative = sub(1, t);
    let crossEntropy: NDArray;
    let complement: NDArray; // 1 − p_t
    if (this.fromSigmoid) {
      crossEntropy = neg(add(coefficientTimesLog(t, x), coefficientTimesLog(negative, sub(1, x))));
      complement = add(mul(t, sub(1, x)), mul(negative, x));
    } else {
      crossEntropy = add(mul(t, softplus(neg(x))), mul(negative, softplus(x)));
      complement = add(mul(t, sigmoid(neg(x))), mul(negative, sigmoid(x)));
    }
    const focal = mul(pow(complement, this.gamma), crossEntropy);
    if (this.alpha === null) return focal;
    return mul(add(mul(t, this.alpha), mul(negative, 1 - this.alpha)), focal);
  }
}

/** The `alpha` option of the focal losses: a number in [0, 1] or null (default 0.25). */
export function focalAlpha(where: string, alpha: unknown): number | null {
  if (alpha === null) return null;
  const value = finiteOption(where, 'alpha', alpha, 0.25);
  if (value < 0 || value > 1)
    throw new ValueError(
      `${where}: option alpha must lie in [0, 1] (or be null for no weighting), got ${value}`,
    );
  return value;
}

/** The `gamma` option of the focal losses: a finite number ≥ 0 (default 2). */
export function focalGamma(where: string, gamma: unknown): number {
  const value = finiteOption(where, 'gamma', gamma, 2);
  if (value < 0) throw new ValueError(`${where}: option gamma must be >= 0, got ${value}`);
  return value;
}

// Derivation (logits). With s⁺ = softplus(x) = −log(1 − p) and s⁻ = softplus(−x) = −log p,
// BCE = t·s⁻ + (1 − t)·s⁺ and q = 1 − p_t = t·(1 − p) + (1 − t)·p, where p = e^{−s⁻} and
// 1 − p = e^{−s⁺} are each computed without subtracting from 1. Then
//   ∂BCE/∂x = p − t = (1 − t)·p − t·(1 − p) (no cancellation for t in {0, 1}),  ∂q/∂x = (1 − 2t)·p(1 − p),  ∂BCE/∂t = s⁻ − s⁺ = −x,  ∂q/∂t = (1 − p) − p,
// and ∂(q^γ · BCE) = q^γ · (∂BCE + γ · r · ∂q) with r = BCE / q, which stays bounded (about
// max(1, |x|) for t in [0, 1]) where q^{γ−1} alone would overflow; q = 0 only when BCE is 0 as
// well (a certain, correct prediction), and then r is 0.
function logitTerms(x: number, t: number, into: FocalTerms): void {
  // One exponential and one log1p serve all four: with e = e^{−|x|}, softplus(±x) =
  // max(±x, 0) + log1p(e) and sigmoid(±x) is 1/(1 + e) or e/(1 + e) (as softplusScalar and
  // sigmoidScalar compute them); a NaN logit makes every term NaN.
  const e = Math.exp(-Math.abs(x));
  const shared = Math.log1p(e);
  const reciprocal = 1 / (1 + e);
  const p = x >= 0 ? reciprocal : e * reciprocal;
  const complementP = x >= 0 ? e * reciprocal : reciprocal;
  into.crossEntropy = t * (Math.max(-x, 0) + shared) + (1 - t) * (Math.max(x, 0) + shared);
  into.q = t * complementP + (1 - t) * p;
  into.dCrossEntropyPred = (1 - t) * p - t * complementP;
  into.dCrossEntropyLabel = -x;
  into.dQPred = (1 - 2 * t) * p * complementP;
  into.dQLabel = complementP - p;
}

// Derivation (probabilities p = pred). BCE = −(t·log p + (1 − t)·log(1 − p)), with log(1 − p) as
// log1p(−p) and 0 · log 0 = 0; q = t(1 − p) + (1 − t)p. ∂BCE/∂p = −t/p + (1 − t)/(1 − p) (a 0/0
// term is 0, as 0 · log 0), ∂q/∂p = 1 − 2t, ∂BCE/∂t = log(1 − p) − log p, where a term that is
// 0 · log 0 contributes 0 (its coefficient and argument are both 0: a zero term has zero
// gradients, as in coefficientTimesLog), ∂q/∂t = 1 − 2p; then as for logits.
function probabilityTerms(p: number, t: number, into: FocalTerms): void {
  const logP = Math.log(p);
  const log1mP = Math.log1p(-p);
  into.crossEntropy = -(timesLog(t, p, logP) + timesLog(1 - t, 1 - p, log1mP));
  into.q = t * (1 - p) + (1 - t) * p;
  into.dCrossEntropyPred = -ratio(t, p) + ratio(1 - t, 1 - p);
  into.dCrossEntropyLabel = -logUnlessZero(t, p, logP) + logUnlessZero(1 - t, 1 - p, log1mP);
  into.dQPred = 1 - 2 * t;
  into.dQLabel = 1 - 2 * p;
}

/** ℓ = a_t · q^γ · BCE and its derivatives by pred and label, from BCE's and q's (see above), into `at`. */
function combine(at: FocalTerms, t: number, alpha: number | null, gamma: number): FocalTerms {
  const { crossEntropy, q } = at;
  const modulation = gamma === 2 ? q * q : q ** gamma;
  const a = alpha === null ? 1 : alpha * t + (1 - alpha) * (1 - t);
  const dA = alpha === null ? 0 : 2 * alpha - 1;
  const r = gamma === 0 || q === 0 ? 0 : crossEntropy / q;
  const scaled = a * modulation;
  at.loss = scaled * crossEntropy;
  // A zero slope of q (t = ½ for pred, p = ½ for the label) makes its focusing term 0, also where
  // r is +Infinity (a probability of 0 or 1 under a soft label), rather than 0 · ∞ = NaN.
  const focusPred = at.dQPred === 0 ? 0 : gamma * r * at.dQPred;
  const focusLabel = at.dQLabel === 0 ? 0 : gamma * r * at.dQLabel;
  at.dPred = scaled * (at.dCrossEntropyPred + focusPred);
  // a_t's own slope dA is 0 without alpha (and at alpha ½): its term is then the constant 0, not
  // 0 · BCE, which is NaN where BCE is +Infinity (a probability of 0 under a positive label).
  const weightSlope = dA === 0 ? 0 : dA * modulation * crossEntropy;
  at.dLabel = weightSlope + scaled * (at.dCrossEntropyLabel + focusLabel);
  return at;
}

/** c · log v (log v given), 0 when c and v are both 0. */
function timesLog(c: number, v: number, logV: number): number {
  return c === 0 && v === 0 ? 0 : c * logV;
}

/** ∂(c · log v)/∂c = log v (given), 0 when c and v are both 0 (a zero term has zero gradients). */
function logUnlessZero(c: number, v: number, logV: number): number {
  return c === 0 && v === 0 ? 0 : logV;
}

/** c / v, 0 when c and v are both 0 (the derivative of c · log v under the same convention). */
function ratio(c: number, v: number): number {
  return c === 0 && v === 0 ? 0 : c / v;
}
