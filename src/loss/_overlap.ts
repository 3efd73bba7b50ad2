/**
 * The base of the overlap losses of segmentation (DiceLoss, TverskyLoss). Both are, per sample,
 *
 *   ℓ = (α·FP + β·FN) / (κ·TP + α·FP + β·FN + s),
 *   TP = Σ p·y,  FP = Σ p·(1 − y),  FN = Σ (1 − p)·y  over the sample's elements,
 *
 * with p the prediction after the activation and y the label: Dice is κ = 2, α = β = 1 (then the
 * denominator is Σp + Σy + s), Tversky κ = 1 with its own α and β.
 *
 * Derivation of the stable form: 1 − (κ·TP + s)/(κ·TP + α·FP + β·FN + s) is, over the common
 * denominator, (α·FP + β·FN)/(…) exactly. For p, y in [0, 1] every term of FP and FN is ≥ 0, so
 * the numerator is a sum without cancellation and a near-perfect overlap keeps its small loss
 * instead of rounding 1 − (1 − ε) to 0. 1 − p is computed without subtracting: σ(−x) after a
 * sigmoid, −expm1(log p) after a softmax (log p from the log-softmax normalisers), so a saturated
 * logit (±1e30) gives exact 0s and 1s instead of NaN.
 *
 * Gradient, with D the denominator, A = α·FP + β·FN, B = (κ·TP + s)/D², E = κ·A/D²:
 * ∂ℓ/∂p = (α(1 − y) − β·y)·B − y·E,   ∂ℓ/∂y = (β(1 − p) − α·p)·B − p·E,
 * then through the activation: ·σ(x)σ(−x) for the sigmoid, p_k(g_k − Σ_c p_c g_c) along the
 * softmax axis. Sums accumulate in float64.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxis, sizeOf } from '../ndarray/shape.js';
import { softmax } from '../ops/activation.js';
import { add, div, mul, neg, sigmoid, sub } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { sigmoidScalar } from '../kernels/elementwise.js';
import { choiceOption, finiteOption, integerOption, Loss, reshapeLike } from './_base/index.js';
import {
  allocateNormalizers,
  type ClassLayout,
  classLayout,
  logProbabilityAt,
  logSoftmaxRows,
  type RowNormalizers,
} from './_class-rows.js';

/** How `pred` becomes probabilities: as given, through a sigmoid, or a softmax along `axis`. */
export type OverlapActivation = 'none' | 'sigmoid' | 'softmax';

/** Options every overlap loss takes. */
export interface OverlapLossOptions extends Loss.Options {
  /** s, added to numerator and denominator; finite and > 0 (default 1e-5). */
  smooth?: number;
  /** `'none'` (pred holds probabilities, the default), `'sigmoid'` or `'softmax'` (pred holds logits). */
  activation?: OverlapActivation;
  /** The class axis of the softmax (default −1, the last); must not be the batch axis. */
  axis?: number;
}

/** κ, α and β of ℓ = (α·FP + β·FN) / (κ·TP + α·FP + β·FN + s). */
export interface OverlapCoefficients {
  readonly truePositive: number;
  readonly falsePositive: number;
  readonly falseNegative: number;
}

/** pred viewed as (outer, batch, inner) around the batch axis, and the softmax's class layout. */
interface OverlapExtra {
  readonly outer: number;
  readonly batch: number;
  readonly inner: number;
  /** The layout around the softmax axis (null without a softmax). */
  readonly classes: ClassLayout | null;
}

/** Per call: each sample's TP, FP and FN, and the log-softmax normalisers of a softmax. */
interface OverlapState {
  readonly truePositive: Float64Array;
  readonly falsePositive: Float64Array;
  readonly falseNegative: Float64Array;
  readonly normalizers: RowNormalizers | null;
  /** Softmax backward scratch: ∂ℓ/∂p per element and Σ_c p_c·∂ℓ/∂p_c per row (made on first use). */
  slopes: Float64Array | null;
  rowDots: Float64Array | null;
}

const ACTIVATIONS: readonly OverlapActivation[] = ['none', 'sigmoid', 'softmax'];

/** The base of DiceLoss and TverskyLoss (see the module comment for the formula and its derivation). */
export abstract class OverlapLoss extends Loss<OverlapExtra, OverlapState> {
  readonly inputNames: readonly string[] = ['pred', 'label', 'sampleWeight'];
  /** s. */
  readonly smooth: number;
  readonly activation: OverlapActivation;
  /** The softmax axis as given (may be negative). */
  readonly axis: number;
  private readonly coefficients: OverlapCoefficients;

  protected constructor(
    options: OverlapLossOptions,
    known: readonly string[],
    coefficients: (where: string) => OverlapCoefficients,
  ) {
    super(options, ['smooth', 'activation', 'axis', ...known]);
    const smooth = finiteOption(this.name, 'smooth', options.smooth, 1e-5);
    if (!(smooth > 0)) {
      throw new ValueError(
        `${this.name}: option smooth must be > 0 (it keeps an empty mask at loss 0 instead of 0/0), got ${smooth}`,
      );
    }
    this.smooth = smooth;
    this.activation = choiceOption(this.name, 'activation', options.activation, ACTIVATIONS, 'none');
    this.axis = integerOption(this.name, 'axis', options.axis, -1);
    this.coefficients = coefficients(this.name);
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<OverlapExtra> {
    const pred = inputs[0]!;
    if (pred.ndim === 0) {
      throw new ShapeError(`${this.name}: pred must have a batch axis, got shape ${formatShape(pred.shape)}`);
    }
    const label = reshapeLike(this.name, 'label', inputs[1]!, 'pred', pred);
    checkLabels(this.name, label);
    const batchAxis = normalizeAxis(this.batchAxis, pred.ndim, this.name, 'batchAxis');
    let classes: ClassLayout | null = null;
    if (this.activation === 'softmax') {
      const axis = normalizeAxis(this.axis, pred.ndim, this.name, 'axis');
      if (axis === batchAxis) {
        throw new ShapeError(
          `${this.name}: the softmax axis ${this.axis} is the batch axis of pred ${formatShape(pred.shape)}; ` +
            'give pred a class axis of its own, e.g. [N, C] or [N, H, W, C]',
        );
      }
      classes = classLayout(pred.shape, axis);
    }
    const batch = pred.shape[batchAxis]!;
    const extra: OverlapExtra = {
      outer: sizeOf(pred.shape.slice(0, batchAxis)),
      batch,
      inner: sizeOf(pred.shape.slice(batchAxis + 1)),
      classes,
    };
    return { arrays: [pred, label], sources: [0, 1], lossShape: [batch], batchAxis: 0, extra };
  }

  /** Every sample's TP, FP and FN, summed once per call (the forward blocks only divide). */
  protected override createState(prepared: Loss.Prepared<OverlapExtra>): OverlapState {
    const extra = prepared.extra!;
    const x = prepared.arrays[0]!.data;
    const y = prepared.arrays[1]!.data;
    let normalizers: RowNormalizers | null = null;
    if (extra.classes) {
      const rows = extra.classes.outer * extra.classes.inner;
      normalizers = allocateNormalizers(rows);
      logSoftmaxRows(x, extra.classes, 0, rows, normalizers);
    }
    const state: OverlapState = {
      truePositive: new Float64Array(extra.batch),
      falsePositive: new Float64Array(extra.batch),
      falseNegative: new Float64Array(extra.batch),
      normalizers,
      slopes: null,
      rowDots: null,
    };
    const probabilities = this.probabilities(x, extra, normalizers);
    const { outer, batch, inner } = extra;
    for (let n = 0; n < batch; n++) {
      let tp = 0;
      let fp = 0;
      let fn = 0;
      for (let o = 0; o < outer; o++) {
        for (let k = (o * batch + n) * inner, last = k + inner; k < last; k++) {
          probabilities.read(k);
          const label = y[k]!;
          tp += probabilities.p * label;
          fp += probabilities.p * (1 - label);
          fn += probabilities.q * label;
        }
      }
      state.truePositive[n] = tp;
      state.falsePositive[n] = fp;
      state.falseNegative[n] = fn;
    }
    return state;
  }

  /** A reader of each element's p and 1 − p for this call's activation (see {@link Probabilities}). */
  private probabilities(
    x: TypedArray,
    extra: OverlapExtra,
    normalizers: RowNormalizers | null,
  ): Probabilities {
    if (this.activation === 'sigmoid') return new SigmoidProbabilities(x);
    if (extra.classes && normalizers) return new SoftmaxProbabilities(x, extra.classes, normalizers);
    return new GivenProbabilities(x);
  }

  protected forwardBlock(call: Loss.ForwardBlockCall<OverlapExtra, OverlapState>): void {
    const { state, begin, end, out } = call;
    const { truePositive: kappa, falsePositive: alpha, falseNegative: beta } = this.coefficients;
    for (let n = begin, j = 0; n < end; n++, j++) {
      const mismatch = alpha * state.falsePositive[n]! + beta * state.falseNegative[n]!;
      out[j] = mismatch / (kappa * state.truePositive[n]! + mismatch + this.smooth);
    }
  }

  // Each element belongs to one sample, so to one ℓ element: assigned.
  protected override assignsGradient(): boolean {
    return true;
  }

  protected backwardBlock(call: Loss.BackwardBlockCall<OverlapExtra, OverlapState>): void {
    const { prepared, state, begin, end, dLoss, grads } = call;
    const [dPred, dLabel] = grads;
    const extra = prepared.extra!;
    const { outer, batch, inner, classes } = extra;
    const x = prepared.arrays[0]!.data;
    const y = prepared.arrays[1]!.data;
    const { truePositive: kappa, falsePositive: alpha, falseNegative: beta } = this.coefficients;
    const probabilities = this.probabilities(x, extra, state.normalizers);
    const throughSigmoid = this.activation === 'sigmoid';
    if (classes && dPred) {
      state.slopes ??= new Float64Array(x.length);
      state.rowDots ??= new Float64Array(classes.outer * classes.inner);
    }
    const slopes = state.slopes;
    for (let n = begin, j = 0; n < end; n++, j++) {
      const tp = state.truePositive[n]!;
      const mismatch = alpha * state.falsePositive[n]! + beta * state.falseNegative[n]!;
      const denominator = kappa * tp + mismatch + this.smooth;
      const square = denominator * denominator;
      const b = (dLoss[j]! * (kappa * tp + this.smooth)) / square;
      const e = (dLoss[j]! * kappa * mismatch) / square;
      for (let o = 0; o < outer; o++) {
        for (let k = (o * batch + n) * inner, last = k + inner; k < last; k++) {
          probabilities.read(k);
          const { p, q } = probabilities;
          const label = y[k]!;
          if (dLabel) dLabel[k] = (beta * q - alpha * p) * b - p * e;
          if (!dPred) continue;
          const slope = (alpha * (1 - label) - beta * label) * b - label * e;
          if (slopes) slopes[k] = slope;
          else dPred[k] = throughSigmoid ? slope * p * q : slope;
        }
      }
      if (slopes && dPred) softmaxBackward(state, extra, n, probabilities as SoftmaxProbabilities, dPred);
    }
  }

  twin({ arrays: [pred, label] }: Loss.Prepared<OverlapExtra>): NDArray {
    const x = pred!;
    const y = label!;
    let p = x;
    let q = sub(1, x);
    if (this.activation === 'sigmoid') {
      p = sigmoid(x);
      q = sigmoid(neg(x));
    } else if (this.activation === 'softmax') {
      p = softmax(x, normalizeAxis(this.axis, x.ndim, this.name, 'axis'));
      q = sub(1, p);
    }
    const batchAxis = normalizeAxis(this.batchAxis, x.ndim, this.name, 'batchAxis');
    const axes = x.shape.map((_, i) => i).filter((i) => i !== batchAxis);
    const total = (t: NDArray) => (axes.length > 0 ? sum(t, axes) : t);
    const { truePositive: kappa, falsePositive: alpha, falseNegative: beta } = this.coefficients;
    const mismatch = add(mul(total(mul(p, sub(1, y))), alpha), mul(total(mul(q, y)), beta));
    return div(mismatch, add(add(mul(total(mul(p, y)), kappa), mismatch), this.smooth));
  }
}

/**
 * Reads element k's probability p and 1 − p (computed without subtracting) into `p` and `q`: one
 * reader per call, so no allocation per element and nothing shared between calls.
 */
abstract class Probabilities {
  p = 0;
  q = 0;
  constructor(protected readonly x: TypedArray) {}
  abstract read(k: number): void;
}

/** pred holds probabilities. */
class GivenProbabilities extends Probabilities {
  read(k: number): void {
    this.p = this.x[k]!;
    this.q = 1 - this.p;
  }
}

/** p = σ(x) and 1 − p = σ(−x), each through the overflow-free form of kernels/elementwise.ts. */
class SigmoidProbabilities extends Probabilities {
  read(k: number): void {
    const x = this.x[k]!;
    this.p = sigmoidScalar(x);
    this.q = sigmoidScalar(-x);
  }
}

/** p = exp(log p) and 1 − p = −expm1(log p), log p from the row's log-softmax normalisers. */
class SoftmaxProbabilities extends Probabilities {
  private readonly span: number;
  constructor(
    x: TypedArray,
    private readonly classes: ClassLayout,
    private readonly normalizers: RowNormalizers,
  ) {
    super(x);
    this.span = classes.size * classes.inner;
  }

  /** The row (along the class axis) that element k belongs to. */
  rowOf(k: number): number {
    return Math.floor(k / this.span) * this.classes.inner + (k % this.classes.inner);
  }

  read(k: number): void {
    const logP = logProbabilityAt(this.x, this.normalizers, k, this.rowOf(k));
    this.p = Math.exp(logP);
    this.q = -Math.expm1(logP);
  }
}

/**
 * pred's gradient through the softmax for sample n, from the slopes ∂ℓ/∂p already in
 * `state.slopes`: dx_k = p_k (g_k − Σ_c p_c g_c) along each row of the class axis. A row lies in
 * one sample (the softmax axis is not the batch axis), so the sample's own elements suffice.
 */
function softmaxBackward(
  state: OverlapState,
  { outer, batch, inner }: OverlapExtra,
  n: number,
  probabilities: SoftmaxProbabilities,
  dPred: TypedArray,
): void {
  const slopes = state.slopes!;
  const rowDots = state.rowDots!;
  for (let o = 0; o < outer; o++) {
    for (let k = (o * batch + n) * inner, last = k + inner; k < last; k++)
      rowDots[probabilities.rowOf(k)] = 0;
  }
  for (let o = 0; o < outer; o++) {
    for (let k = (o * batch + n) * inner, last = k + inner; k < last; k++) {
      probabilities.read(k);
      rowDots[probabilities.rowOf(k)]! += probabilities.p * slopes[k]!;
    }
  }
  for (let o = 0; o < outer; o++) {
    for (let k = (o * batch + n) * inner, last = k + inner; k < last; k++) {
      probabilities.read(k);
      dPred[k] = probabilities.p * (slopes[k]! - rowDots[probabilities.rowOf(k)]!);
    }
  }
}

/** Labels are masks: each value in [0, 1] (soft labels allowed); a NaN propagates (DECISIONS 9). */
function checkLabels(where: string, label: NDArray): void {
  const y = label.data;
  for (let k = 0; k < y.length; k++) {
    const v = y[k]!;
    if (v < 0 || v > 1) {
      throw new ValueError(`${where}: label at flat position ${k} is ${v}; labels must lie in [0, 1]`);
    }
  }
}
