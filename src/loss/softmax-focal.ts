import { NDArray } from '../ndarray/ndarray.js';
import { logSoftmax } from '../ops/activation.js';
import { equal, expm1, mul, neg, pow, where } from '../ops/elementwise.js';
import { checkedIndexData } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import type { FloatArray } from '../kernels/_spans.js';
import {
  alphaOf,
  type FocalAlpha,
  focalSlope,
  focalTerm,
  normalizeRows,
  sparseFocalGradient,
  sparseFocalOnePass,
} from './_softmax-focal-rows.js';
import {
  giveBackNormalizers,
  takeNormalizers,
  type ClassLayout,
  type ClassRows,
  checkPerClassLength,
  classAxisLoss,
  classEntry,
  logProbabilityAt,
  perClassOption,
  type RowNormalizers,
  Runs,
  sparseClassLabels,
} from './_class-rows.js';
import { booleanOption, checkDomain, type Domain, integerOption, Loss, reshapeLike } from './_base/index.js';
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

/** Per-call settings the hooks read, the class weights a_c among them (see FocalAlpha). */
interface FocalExtra extends FocalAlpha {
  readonly axis: number;
  readonly layout: ClassLayout;
  /** Each row's class (sparse labels), or null for dense labels. */
  readonly labels: Int32Array | null;
}

/** What `pred` may hold with `fromLogits`: a log-probability above 0 is a p above 1. */
const LOG_PROBABILITIES: Domain = {
  outside: (value) => value > 0,
  rule: 'log-probabilities must be ≤ 0 (fromLogits: false takes raw scores)',
};

/** The flat position in pred of each row's label entry (rows as `labels`, see ClassLayout). */
function labelEntries(layout: ClassLayout, labels: Int32Array): Int32Array {
  return labels.map((label, row) => classEntry(layout, row, label));
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
 * **Inputs**: `pred` any shape with a class axis of length C, raw scores (log-probabilities ≤ 0
 * with `fromLogits`: a finite positive value where the loss reads it, each row's label entry
 * with sparse labels, is a ValueError naming its position, since 1 − p would be negative and a
 * power γ of it NaN); `label` — sparse: one class index per row (`pred`'s element count without the
 * class axis, any shape), int32 or float holding integers in [0, C), anything else a ValueError
 * naming the first bad position and value; dense: the same element count as `pred`, reshaped
 * like it (usually a distribution); `sampleWeight` optional, broadcastable to ℓ (a 1-D array of
 * batch length is per sample).
 *
 * **Output**: shape `(batch,)`; with `reduction: 'none'`, ℓ without its class axis (as
 * SoftmaxCrossEntropyLoss).
 *
 * **Options**: `alpha` (default 0.25; a number in [0, 1], a length-C array of finite numbers, or
 * null), `gamma` (default 2, ≥ 0), `axis` (default −1), `sparseLabel` (default true),
 * `fromLogits` (default false), `weight` (default none), `batchAxis` (default 0), `reduction`
 * (default `'perSample'`).
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
 * (log p = −∞) contributes 0. Only two numbers per row are kept for the backward pass. A NaN
 * logit makes its row's loss and gradient NaN and touches no other row.
 *
 * **Paths**: a recorded call with sparse labels and the class axis last, where only `pred`
 * needs a gradient (SoftmaxCrossEntropyLoss's conditions), computes ℓ and the gradient in one
 * call: with g_y as above, a row's gradient is (−g_y)·(softmax(pred) − onehot(label)), so the
 * softmax kernels compute the row normalisers (wasm for float32) and then that gradient with a
 * scale per row, the label's entry as −g_y·expm1(log p_y). Other calls (dense labels, another
 * class axis, an unrecorded forward, a sampleWeight that needs a gradient, `reduction: 'none'`)
 * take the block path, which uses the same kernels where the class axis is last.
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
    const { axis, layout, lossShape, batchAxis, squeezedAxes } = classAxisLoss(
      this.name,
      pred,
      this.axis,
      this.batchAxis,
    );
    const named = { name: 'pred', shape: pred.shape, axis };
    const { alpha } = this;
    const classAlpha = alpha instanceof Float64Array ? alpha : null;
    if (classAlpha) checkPerClassLength(this.name, 'alpha', classAlpha, named);
    const uniformAlpha = classAlpha ? 1 : ((alpha as number | null) ?? 1);
    if (!this.sparseLabel) {
      const label = reshapeLike(this.name, 'label', inputs[1]!, 'pred', pred);
      if (this.fromLogits) checkDomain(this.name, 'pred', pred, LOG_PROBABILITIES);
      const extra: FocalExtra = { axis, layout, labels: null, classAlpha, uniformAlpha };
      return { arrays: [pred, label], sources: [0, 1], lossShape, batchAxis, extra, squeezedAxes };
    }
    // int32 labels of the right count are checked in place (no copy per call), as SoftmaxCE's.
    const label = inputs[1]!;
    const labels =
      label.data instanceof Int32Array && label.size === layout.outer * layout.inner
        ? checkedIndexData(this.name, 'label', label, layout.size)
        : sparseClassLabels(this.name, label, named);
    // 1 − p < 0 where a log-probability is above 0, and (1 − p)^γ NaN for a fractional γ: checked
    // where the loss reads pred, each row's label entry with sparse labels (all of it when dense).
    if (this.fromLogits)
      checkDomain(this.name, 'pred', pred, LOG_PROBABILITIES, labelEntries(layout, labels));
    const extra: FocalExtra = { axis, layout, labels, classAlpha, uniformAlpha };
    return { arrays: [pred], sources: [0], lossShape, batchAxis, extra, squeezedAxes };
  }

  /**
   * The row normalisers of the log-softmax (null with `fromLogits`), two numbers per row, filled
   * by the forward blocks and read by the backward ones; those of a finished call come back from
   * the loss's CallMemory (see releaseState).
   */
  protected override createState(prepared: Loss.Prepared<FocalExtra>): RowNormalizers | null {
    if (this.fromLogits) return null;
    const { outer, inner } = prepared.extra!.layout;
    return takeNormalizers(this.callMemory, outer * inner);
  }

  /** Called once nothing reads the call's normalisers any more (see Loss.releaseState). */
  protected override releaseState(normalizers: RowNormalizers | null): void {
    giveBackNormalizers(this.callMemory, normalizers);
  }

  /** Every gradient element is assigned, except sparse labels with `fromLogits` (one entry per row). */
  protected override assignsGradient(): boolean {
    return !(this.sparseLabel && this.fromLogits);
  }

  // ℓ has one element per row: the block [begin, end) of ℓ is the rows [begin, end) of pred.
  protected forwardBlock(call: Loss.ForwardBlockCall<FocalExtra, RowNormalizers | null>): void {
    const { prepared, state, begin, end, out } = call;
    const extra = prepared.extra!;
    const { layout, labels } = extra;
    const x = prepared.arrays[0]!.data;
    if (state) normalizeRows(x, layout, begin, end, state);
    if (labels) {
      for (let r = begin, j = 0; r < end; r++, j++) {
        const c = labels[r]!;
        const logP = logProbabilityAt(x, state, classEntry(layout, r, c), r);
        out[j] = focalTerm(logP, 1, alphaOf(extra, c), this.gamma);
      }
      return;
    }
    const rows = classRows(prepared, state, begin, end);
    const z = prepared.arrays[1]!.data;
    out.fill(0, 0, end - begin);
    for (const run = new Runs(rows, true); run.next(); ) {
      const { step, jStep, last } = run;
      for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep) {
        const a = alphaOf(extra, classOf(layout, k));
        out[j]! += focalTerm(logProbabilityAt(x, state, k, r), z[k]!, a, this.gamma);
      }
    }
  }

  /**
   * The one-pass hook covers sparse labels with the class axis last, on logits or (`fromLogits`)
   * log-probabilities; dense labels and another class axis take the block path.
   */
  protected override canFuseGradient(prepared: Loss.Prepared<FocalExtra>): boolean {
    const { layout, labels } = prepared.extra!;
    return labels !== null && layout.inner === 1;
  }

  // ℓ and pred's gradient in one call, for recorded calls (see Loss.forwardGradient): the row
  // normalisers, then per row ℓ and its coefficient, then the scaled softmax gradient
  // (sparseFocalOnePass). A sample holds sampleSize / classes consecutive rows.
  protected override forwardGradient(
    call: Loss.ForwardGradientCall<FocalExtra, RowNormalizers | null>,
  ): void {
    const { prepared, scales, sums, gradient } = call;
    const extra = prepared.extra!;
    sparseFocalOnePass({
      x: prepared.arrays[0]!.data as FloatArray,
      classes: extra.layout.size,
      labels: extra.labels!,
      alpha: extra,
      gamma: this.gamma,
      fromLogits: this.fromLogits,
      scales,
      sums,
      out: gradient as FloatArray,
      memory: this.callMemory,
    });
  }

  protected backwardBlock(call: Loss.BackwardBlockCall<FocalExtra, RowNormalizers | null>): void {
    const { prepared, state, begin, end, dLoss, grads } = call;
    const [dPred, dLabel] = grads;
    const extra = prepared.extra!;
    const { layout, labels } = extra;
    const x = prepared.arrays[0]!.data;
    const rows = classRows(prepared, state, begin, end);
    const { gamma } = this;
    if (labels) {
      if (dPred) sparseFocalGradient({ rows, labels, alpha: extra, gamma, dLoss, dPred });
      return;
    }
    const z = prepared.arrays[1]!.data;
    // Pass 1: Σ_j g_j per row (only through the log-softmax).
    const rowSums = new Float64Array(end - begin);
    if (state && dPred) {
      for (const run = new Runs(rows, true); run.next(); ) {
        const { step, jStep, last } = run;
        for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep) {
          const a = alphaOf(extra, classOf(layout, k));
          rowSums[j]! += dLoss[j]! * focalSlope(logProbabilityAt(x, state, k, r), z[k]!, a, gamma);
        }
      }
    }
    // Pass 2: g_k − p_k Σ_j g_j, and the label's gradient −a (1 − p)^γ log p.
    for (const run = new Runs(rows, true); run.next(); ) {
      const { step, jStep, last } = run;
      for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep) {
        const a = alphaOf(extra, classOf(layout, k));
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
    const { axis, labels, classAlpha, uniformAlpha, layout } = prepared.extra!;
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
    const alpha = classAlpha
      ? new NDArray(Float64Array.from(classAlpha), alphaShape).astype(pred.dtype)
      : uniformAlpha;
    // A zero label on an impossible class is a mask: that log p is replaced by 0 first, so
    // neither the value nor a gradient sees 0 · ∞.
    const masked = mul(equal(label, 0), equal(logP, Number.NEGATIVE_INFINITY));
    const safe = where(masked, 0, logP);
    return neg(sum(mul(mul(alpha, label), mul(modulation, safe)), axis, true));
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
