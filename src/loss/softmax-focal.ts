import type { TypedArray } from '../ndarray/dtype.js';
import { NDArray } from '../ndarray/ndarray.js';
import { logSoftmax } from '../ops/activation.js';
import { equal, expm1, mul, neg, pow, where } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import {
  allocateNormalizers,
  type ClassLayout,
  type ClassRows,
  checkPerClassLength,
  classAxisLoss,
  classEntry,
  logProbabilityAt,
  logSoftmaxRows,
  perClassOption,
  type RowNormalizers,
  Runs,
  sparseClassLabels,
} from './_class-rows.js';
import { booleanOption, integerOption, Loss, reshapeLike } from './_base/index.js';
import { focalAlpha, focalGamma } from './sigmoid-focal.js';

/** Options of {@link SoftmaxFocalLoss}. */
export interface SoftmaxFocalLossOptions extends Loss.Options {
  /**
   * Class weights a_j: one number for every class (default 0.25, as Keras), one per class (a
   * length-C array or NDArray), or null for none.
   */
  alpha?: number | readonly number[] | Float32Array | Float64Array | NDArray | null;
  /** Focusing exponent γ ≥ 0 (default 2; 0 gives a-weighted softmax cross-entropy). */
  gamma?: number;
  /** The class axis of `pred` (default −1, may be negative). */
  axis?: number;
  /** Labels are class indices (true, the default) or distributions shaped like `pred` (false). */
  sparseLabel?: boolean;
  /**
   * `pred` already holds log-probabilities (Gluon's meaning; default false: `pred` are raw
   * scores that the loss normalises with a log-softmax). The opposite of Keras's `from_logits`.
   */
  fromLogits?: boolean;
}

/** Per-call settings the block functions read. */
interface FocalExtra {
  readonly axis: number;
  readonly layout: ClassLayout;
  /** Each row's class (sparse labels), or null for dense labels. */
  readonly labels: Int32Array | null;
  /** a_c for every class c (1 with `alpha: null`). */
  readonly classAlpha: Float64Array;
}

/**
 * Softmax focal loss (Keras `CategoricalFocalCrossentropy`, Lin et al. 2017), along the class
 * `axis`, with log p = log softmax(pred) and y the one-hot (sparse) or given (dense) label:
 *
 * $$
 * \ell = -\sum_j a_j \, (1 - p_j)^{\gamma} \, y_j \log p_j
 * $$
 *
 * then `sampleWeight`, `weight` and the mean over the non-batch axes. ℓ keeps the class axis
 * with size 1 (against `(N, C)` it is `(N, 1)`).
 *
 * **Inputs**: `pred` any shape with a class axis of length C, raw scores (log-probabilities with
 * `fromLogits`); `label` — sparse: one class index per row (`pred`'s element count without the
 * class axis, any shape), int32 or float holding integers in [0, C), anything else a ValueError
 * naming the first bad position and value; dense: the same element count as `pred`, reshaped
 * like it (usually a distribution); `sampleWeight` optional, broadcastable to ℓ (a 1-D array of
 * batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `alpha` (default 0.25; a number in [0, 1], a length-C array of finite numbers, or
 * null), `gamma` (default 2, ≥ 0), `axis` (default −1), `sparseLabel` (default true),
 * `fromLogits` (default false), `weight` (default none), `batchAxis` (default 0).
 *
 * **From Keras**: `CategoricalFocalCrossentropy(alpha, gamma, from_logits=True, reduction=None)`
 * on logits is `new SoftmaxFocalLoss({ alpha, gamma, sparseLabel: false })` (or the default sparse
 * labels with class indices). Keras's default `from_logits=False` takes probabilities: give
 * `log(probabilities)` with `fromLogits: true`, since gloss's `fromLogits` means "already
 * log-probabilities" — the opposite of Keras's flag. Keras clips probabilities to
 * [1e-7, 1 − 1e-7]; gloss does not, so rows with a probability beyond that range differ (gloss
 * gives the exact value). Keras's default reduction is the batch mean of gloss's output.
 *
 * **Gradient**: with g_j = ∂ℓ/∂log p_j = −a_j y_j (1 − p_j)^γ (1 − γ p_j log p_j / (1 − p_j)),
 * ∂ℓ/∂pred_k = g_k − p_k Σ_j g_j (g_k alone with `fromLogits`); dense labels also get
 * ∂ℓ/∂y_j = −a_j (1 − p_j)^γ log p_j.
 *
 * **Stability**: log p comes from the row log-sum-exp shifted by the row maximum (as
 * SoftmaxCrossEntropyLoss), 1 − p_j = −expm1(log p_j) keeps its digits for a near-certain class,
 * and log p_j / (1 − p_j) is taken as its limit −1 where p_j = 1, so logits of any finite size
 * (±1e30 included) give finite losses and gradients. A zero label on an impossible class
 * (log p = −∞) contributes 0. Only two numbers per row are kept for the backward pass.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.SoftmaxFocalLoss({ alpha: null, gamma: 2 });
 * loss.forward(nd.array([[1, 2, 0.5]]), nd.array([1])); // [0.06407764]
 * ```
 */
export class SoftmaxFocalLoss extends Loss<FocalExtra, RowNormalizers | null> {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'SoftmaxFocalLoss';

  readonly inputNames: readonly string[] = ['pred', 'label', 'sampleWeight'];
  /** One weight for every class, per-class weights, or null. */
  readonly alpha: number | Float64Array | null;
  /** The focusing exponent. */
  readonly gamma: number;
  /** The class axis as given (may be negative). */
  readonly axis: number;
  /** Whether labels are class indices. */
  readonly sparseLabel: boolean;
  /** Whether `pred` already holds log-probabilities. */
  readonly fromLogits: boolean;

  constructor(options: SoftmaxFocalLossOptions = {}) {
    super(options, ['alpha', 'gamma', 'axis', 'sparseLabel', 'fromLogits']);
    const { alpha } = options;
    this.alpha =
      typeof alpha === 'number' || alpha === undefined || alpha === null
        ? focalAlpha(this.name, alpha)
        : perClassOption(this.name, 'alpha', alpha);
    this.gamma = focalGamma(this.name, options.gamma);
    this.axis = integerOption(this.name, 'axis', options.axis, -1);
    this.sparseLabel = booleanOption(this.name, 'sparseLabel', options.sparseLabel, true);
    this.fromLogits = booleanOption(this.name, 'fromLogits', options.fromLogits, false);
  }

  /** Sparse labels are class indices: they get no gradient. */
  override get discreteInputs(): readonly string[] {
    return this.sparseLabel ? ['label'] : [];
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<FocalExtra> {
    const pred = inputs[0]!;
    const { axis, layout, lossShape, batchAxis } = classAxisLoss(this.name, pred, this.axis, this.batchAxis);
    const named = { name: 'pred', shape: pred.shape, axis };
    let classAlpha: Float64Array;
    if (this.alpha instanceof Float64Array) {
      checkPerClassLength(this.name, 'alpha', this.alpha, named);
      classAlpha = this.alpha;
    } else {
      classAlpha = new Float64Array(layout.size).fill(this.alpha ?? 1);
    }
    if (!this.sparseLabel) {
      const label = reshapeLike(this.name, 'label', inputs[1]!, 'pred', pred);
      const extra: FocalExtra = { axis, layout, labels: null, classAlpha };
      return { arrays: [pred, label], sources: [0, 1], lossShape, batchAxis, extra };
    }
    const labels = sparseClassLabels(this.name, inputs[1]!, named);
    const extra: FocalExtra = { axis, layout, labels, classAlpha };
    return { arrays: [pred], sources: [0], lossShape, batchAxis, extra };
  }

  /** The row normalisers of the log-softmax (null with `fromLogits`), two numbers per row. */
  protected override createState(prepared: Loss.Prepared<FocalExtra>): RowNormalizers | null {
    if (this.fromLogits) return null;
    const { outer, inner } = prepared.extra!.layout;
    return allocateNormalizers(outer * inner);
  }

  /** Every gradient element is assigned, except sparse labels with `fromLogits` (one entry per row). */
  protected override assignsGradient(): boolean {
    return !(this.sparseLabel && this.fromLogits);
  }

  // ℓ has one element per row: the block [begin, end) of ℓ is the rows [begin, end) of pred.
  protected forwardBlock(call: Loss.ForwardBlockCall<FocalExtra, RowNormalizers | null>): void {
    const { prepared, state, begin, end, out } = call;
    const { layout, labels, classAlpha } = prepared.extra!;
    const x = prepared.arrays[0]!.data;
    if (state) logSoftmaxRows(x, layout, begin, end, state);
    if (labels) {
      for (let r = begin, j = 0; r < end; r++, j++) {
        const c = labels[r]!;
        out[j] = focalTerm(
          logProbabilityAt(x, state, classEntry(layout, r, c), r),
          1,
          classAlpha[c]!,
          this.gamma,
        );
      }
      return;
    }
    const rows = classRows(prepared, state, begin, end);
    const z = prepared.arrays[1]!.data;
    out.fill(0, 0, end - begin);
    for (const run = new Runs(rows, true); run.next(); ) {
      const { step, jStep, last } = run;
      for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep) {
        const a = classAlpha[classOf(layout, k)]!;
        out[j]! += focalTerm(logProbabilityAt(x, state, k, r), z[k]!, a, this.gamma);
      }
    }
  }

  protected backwardBlock(call: Loss.BackwardBlockCall<FocalExtra, RowNormalizers | null>): void {
    const { prepared, state, begin, end, dLoss, grads } = call;
    const [dPred, dLabel] = grads;
    const { layout, labels, classAlpha } = prepared.extra!;
    const x = prepared.arrays[0]!.data;
    const rows = classRows(prepared, state, begin, end);
    const { gamma } = this;
    if (labels) {
      if (dPred) sparseBackward(rows, labels, classAlpha, gamma, dLoss, dPred);
      return;
    }
    const z = prepared.arrays[1]!.data;
    // Pass 1: Σ_j g_j per row (only through the log-softmax).
    const rowSums = new Float64Array(end - begin);
    if (state && dPred) {
      for (const run = new Runs(rows, true); run.next(); ) {
        const { step, jStep, last } = run;
        for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep) {
          const a = classAlpha[classOf(layout, k)]!;
          rowSums[j]! += dLoss[j]! * focalSlope(logProbabilityAt(x, state, k, r), z[k]!, a, gamma);
        }
      }
    }
    // Pass 2: g_k − p_k Σ_j g_j, and the label's gradient −a (1 − p)^γ log p.
    for (const run = new Runs(rows, true); run.next(); ) {
      const { step, jStep, last } = run;
      for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep) {
        const a = classAlpha[classOf(layout, k)]!;
        const logP = logProbabilityAt(x, state, k, r);
        if (dPred) {
          const slope = dLoss[j]! * focalSlope(logP, z[k]!, a, gamma);
          dPred[k] = state ? slope - Math.exp(logP) * rowSums[j]! : slope;
        }
        if (dLabel) dLabel[k] = dLoss[j]! * focalTerm(logP, 1, a, gamma);
      }
    }
  }

  twin(prepared: Loss.Prepared<FocalExtra>): NDArray {
    const { axis, labels, classAlpha, layout } = prepared.extra!;
    const pred = prepared.arrays[0]!;
    const logP = this.fromLogits ? pred : logSoftmax(pred, axis);
    const modulation = pow(neg(expm1(logP)), this.gamma);
    let label: NDArray;
    if (labels) {
      const oneHot = new Float64Array(pred.size);
      labels.forEach((c, r) => {
        oneHot[classEntry(layout, r, c)] = 1;
      });
      label = new NDArray(oneHot, pred.shape).astype(pred.dtype);
    } else {
      label = prepared.arrays[1]!;
    }
    const alphaShape = pred.shape.map((d, i) => (i === axis ? d : 1));
    const alpha = new NDArray(Float64Array.from(classAlpha), alphaShape).astype(pred.dtype);
    // A zero label on an impossible class is a mask: that log p is replaced by 0 first, so
    // neither the value nor a gradient sees 0 · ∞.
    const masked = mul(equal(label, 0), equal(logP, Number.NEGATIVE_INFINITY));
    const safe = where(masked, 0, logP);
    return neg(sum(mul(mul(alpha, label), mul(modulation, safe)), axis, true));
  }
}

// Derivation. With L = log p (from the shifted log-sum-exp) and u = 1 − p = −expm1(L), the term
// of a class is T = −a·y·u^γ·L, so ∂T/∂y = −a·u^γ·L (focalTerm with y = 1) and, since
// ∂u/∂L = −p, ∂T/∂L = −a·y·u^γ·(1 − γ·p·L/u). L/u → −1 as p → 1 (L ≈ −u), so it is taken as −1
// where u = 0; p·L/u is 0 where p = 0 (L = −∞). Through the log-softmax, ∂/∂x_k = g_k − p_k Σ_j g_j.

/** The term −a·y·(1 − p)^γ·log p of one class; 0 for a zero label (even where log p = −∞). */
function focalTerm(logP: number, y: number, a: number, gamma: number): number {
  if (y === 0) return 0;
  return -a * y * (-Math.expm1(logP)) ** gamma * logP;
}

/** ∂(focalTerm)/∂log p: −a·y·(1 − p)^γ·(1 − γ·p·log p/(1 − p)); 0 for a zero label. */
function focalSlope(logP: number, y: number, a: number, gamma: number): number {
  if (y === 0) return 0;
  if (gamma === 0) return -a * y;
  const complement = -Math.expm1(logP);
  const p = Math.exp(logP);
  const pTimesRatio = p === 0 ? 0 : complement === 0 ? -p : (p * logP) / complement;
  return -a * y * complement ** gamma * (1 - gamma * pTimesRatio);
}

/**
 * Sparse labels: only the label's class has a term, so ∂ℓ/∂x_k = −p_k·g for k ≠ label and
 * (1 − p)·g at the label (g alone at the label, 0 elsewhere, with fromLogits).
 */
function sparseBackward(
  rows: ClassRows,
  labels: Int32Array,
  classAlpha: Float64Array,
  gamma: number,
  dLoss: Float64Array,
  dPred: TypedArray,
): void {
  const { x, layout, normalizers, begin, end } = rows;
  const slopes = new Float64Array(end - begin);
  for (let r = begin, j = 0; r < end; r++, j++) {
    const c = labels[r]!;
    const logP = logProbabilityAt(x, normalizers, classEntry(layout, r, c), r);
    slopes[j] = dLoss[j]! * focalSlope(logP, 1, classAlpha[c]!, gamma);
  }
  if (normalizers) {
    for (const run = new Runs(rows, true); run.next(); ) {
      const { step, jStep, last } = run;
      for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep)
        dPred[k] = -slopes[j]! * Math.exp(logProbabilityAt(x, normalizers, k, r));
    }
  }
  for (let r = begin, j = 0; r < end; r++, j++) {
    const k = classEntry(layout, r, labels[r]!);
    dPred[k] = normalizers ? -slopes[j]! * Math.expm1(logProbabilityAt(x, normalizers, k, r)) : slopes[j]!;
  }
}

function classRows(
  prepared: Loss.Prepared<FocalExtra>,
  state: RowNormalizers | null,
  begin: number,
  end: number,
): ClassRows {
  return { x: prepared.arrays[0]!.data, layout: prepared.extra!.layout, normalizers: state, begin, end };
}

/** The class of element k of pred in this layout. */
function classOf({ size, inner }: ClassLayout, k: number): number {
  return Math.floor(k / inner) % size;
}
