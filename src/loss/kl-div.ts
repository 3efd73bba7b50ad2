import { formatShape, ShapeError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxis, sizeOf } from '../ndarray/shape.js';
import { logSoftmax } from '../ops/activation.js';
import { abs, add, equal, exp, log, mul, sub, where } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import {
  allocateNormalizers,
  type ClassLayout,
  type ClassRows,
  classLayout,
  type DenseLabel,
  denseSoftmaxGradient,
  labelOffset,
  logProbabilityAt,
  logSoftmaxRows,
  type RowNormalizers,
  Runs,
} from './_class-rows.js';
import {
  booleanOption,
  broadcastOffsets,
  checkBoolean,
  checkDomain,
  choiceOption,
  type Domain,
  integerOption,
  Loss,
  lossBatchAxis,
} from './_base/index.js';
import { BlockSum } from './_block-sum.js';
import { meanPredBackward, RowMass } from './_kl-div-row-mass.js';
import type { FloatArray } from '../kernels/_spans.js';
import { denseTargetTermSum, KL_EPSILON, klTerm } from '../kernels/dense-target.js';
import { denseTargetOnePass, denseTargetRowSums } from './_dense-target-one-pass.js';

/** How ℓ is reduced over the class axis before the per-sample mean. */
export type KLClassReduction = 'mean' | 'sum';

/** Options of {@link KLDivLoss}. */
export interface KLDivLossOptions extends Loss.Options {
  /** `pred` already holds log-probabilities (default true, as Gluon); false applies a log-softmax along `axis`. */
  fromLogits?: boolean;
  /** The class axis (default −1): used for the log-softmax and for `classReduction: 'sum'`. */
  axis?: number;
  /**
   * 'mean' (default, Gluon 2.x): ℓ is averaged over every non-batch axis, classes included, so a
   * `(N, C)` input gives KL / C. 'sum': ℓ is summed over the class `axis` first — the true KL
   * divergence per distribution — and only the remaining non-batch axes are averaged
   * (MXNet 1.9.x's value for 2-D inputs).
   */
  classReduction?: KLClassReduction;
  /**
   * `label` holds log-probabilities t instead of probabilities (default false; PyTorch's
   * `log_target`): each term is e^t · (t − pred), with no ε. A class with t = −∞ (probability 0)
   * contributes 0, where PyTorch returns NaN.
   */
  logTarget?: boolean;
}

/** The epsilon Gluon adds inside log(label + ε), kept so values match Gluon's. */
const EPSILON = KL_EPSILON;

/** Per-call settings the kernels read. */
interface KLExtra {
  /** The class axis, or −1 when neither the log-softmax nor the class sum needs it. */
  readonly axis: number;
  /** The layout around the class axis; when unused, the whole array as one row (one run per block). */
  readonly layout: ClassLayout;
  /** For each element of pred, the offset of its label value; null when the shapes are equal. */
  readonly labelIndex: Int32Array | null;
}

/** ∂/∂z of z · (log(z + ε) − log p): log(z + ε) + z / (z + ε) − log p. */
function klLabelDerivative(z: number, logProbability: number): number {
  return Math.log(z + EPSILON) + z / (z + EPSILON) - logProbability;
}

/**
 * The term with a log-probability label t (`logTarget`): e^t · (t − log p), PyTorch's
 * `log_target=True`. A label of probability 0 (e^t = 0, e.g. t = −∞) contributes 0 whatever log p
 * is, as klTerm's zero label (PyTorch returns NaN for t = −∞); a NaN still propagates.
 */
function klLogTargetTerm(t: number, logProbability: number): number {
  const z = Math.exp(t);
  if (z === 0) return Number.isNaN(logProbability) ? logProbability : 0;
  return z * (t - logProbability);
}

/** ∂/∂t of e^t · (t − log p): e^t · (t − log p + 1), 0 where e^t = 0 (see klLogTargetTerm). */
function klLogTargetDerivative(t: number, logProbability: number): number {
  const z = Math.exp(t);
  if (z === 0) return Number.isNaN(logProbability) ? logProbability : 0;
  return z * (t - logProbability + 1);
}

/** The probability labels Gluon's log(label + ε) has a value for (not with `logTarget`). */
const GLUON_TARGETS: Domain = {
  outside: (z) => z + KL_EPSILON < 0,
  rule: 'a probability label must be ≥ 0 (logTarget: true takes log-probabilities)',
};

/**
 * Kullback–Leibler divergence of the prediction from the label distribution:
 *
 * $$ \ell = \text{label} \cdot \bigl(\log(\text{label} + 10^{-12}) - \text{pred}\bigr), \qquad \text{pred} = \text{log-probabilities} $$
 *
 * (with `fromLogits: false`, pred ← log_softmax(pred, axis) first), then `sampleWeight`, `weight`
 * and the mean over the non-batch axes — classes included, so the Gluon value for a `(N, C)`
 * input is KL / C (the Gluon tutorial's "about 0.02" is 0.0254242 = KL / 4). With
 * `classReduction: 'sum'` the class axis is summed instead, giving the true KL (0.1016968 there).
 * With `logTarget` the label is log-probabilities t and ℓ = e^t · (t − pred) (PyTorch's
 * `kl_div(pred, t, log_target=True)`, no ε).
 *
 * **Inputs**: `pred` any shape, log-probabilities (logits with `fromLogits: false`); `label`
 * probabilities (≥ 0; a zero gives a zero term; a finite label below −1e-12, where Gluon's
 * log(label + 1e-12) and PyTorch return NaN, is a ValueError naming its position; any real with
 * `logTarget`), NOT reshaped: it must broadcast to `pred`'s shape
 * without enlarging it, e.g. `(1, C)` against `(N, C)`, otherwise a ShapeError;
 * `sampleWeight` optional, broadcastable to ℓ (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `fromLogits` (default **true**: pred must already be log-probabilities), `axis`
 * (default −1), `classReduction` ('mean' default = Gluon, or 'sum' = true KL; with 'sum' the class
 * axis may not be the batch axis), `logTarget` (default false), `weight` (default none),
 * `batchAxis` (default 0).
 *
 * **Gradient**: −label with respect to `pred` (softmax(pred) · Σ label − label through the
 * log-softmax), log(label + ε) + label / (label + ε) − log p with respect to `label` (summed back
 * to the label's own shape when it was broadcast).
 *
 * **Stability**: the log-softmax is computed stably from per-row normalisers (no probability
 * buffer is stored); 0 · log 0 is 0, so labels of exactly 0 and impossible classes (log p = −∞)
 * give a zero term instead of NaN. A NaN stays in its own sample.
 *
 * **Training step**: a recorded call where only `pred` needs a gradient, with a label of pred's
 * shape (not `logTarget`) and, with `fromLogits: false`, the class axis last, computes ℓ's sums and
 * pred's gradient in one pass over cache-sized rows (see _dense-target-one-pass.ts), with the block
 * path's float64 normalisers and logarithms, so a training step reports the KL an evaluation of
 * the same inputs does. Other calls take the block path.
 *
 * @example
 * ```ts
 * const output = nd.array([[0.39056206, 1.3068528, 0.39056206, -0.30258512]]);
 * const target = nd.array([[0.3, 0.4, 0.1, 0.2]]);
 * new gluon.loss.KLDivLoss({ fromLogits: false }).forward(output, target); // [0.02542421]
 * new gluon.loss.KLDivLoss({ fromLogits: false, classReduction: 'sum' }).forward(output, target); // [0.10169686]
 * ```
 */
export class KLDivLoss extends Loss<KLExtra, KLState> {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'KLDivLoss';

  readonly inputNames: readonly string[] = ['pred', 'label', 'sampleWeight'];
  /** Whether `pred` already holds log-probabilities. */
  readonly fromLogits: boolean;
  /** The class axis as given (may be negative). */
  readonly axis: number;
  /** 'mean' (Gluon) or 'sum' (true KL) over the class axis. */
  readonly classReduction: KLClassReduction;
  /** Whether `label` holds log-probabilities. */
  readonly logTarget: boolean;

  constructor(options: KLDivLossOptions = {}) {
    super(options, ['fromLogits', 'axis', 'classReduction', 'logTarget']);
    this.logTarget = checkBoolean(this.name, 'logTarget', options.logTarget ?? false);
    this.fromLogits = booleanOption(this.name, 'fromLogits', options.fromLogits, true);
    this.axis = integerOption(this.name, 'axis', options.axis, -1);
    this.classReduction = choiceOption(
      this.name,
      'classReduction',
      options.classReduction,
      ['mean', 'sum'],
      'mean',
    );
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<KLExtra> {
    const pred = inputs[0]!;
    const label = inputs[1]!;
    const fits =
      label.ndim <= pred.ndim &&
      label.shape.every((d, j) => d === 1 || d === pred.shape[pred.ndim - label.ndim + j]);
    if (!fits) {
      throw new ShapeError(
        `${this.name}: label shape ${formatShape(label.shape)} must broadcast to pred shape ${formatShape(pred.shape)} ` +
          'without enlarging it (the label is not reshaped); give it the shape of pred or size-1 axes in its place',
      );
    }
    const summed = this.classReduction === 'sum';
    const needsAxis = summed || !this.fromLogits;
    const axis = needsAxis ? normalizeAxis(this.axis, pred.ndim, this.name, 'axis') : -1;
    const layout = needsAxis ? classLayout(pred.shape, axis) : { outer: 1, size: pred.size, inner: 1 };
    const lossShape = summed ? pred.shape.map((d, i) => (i === axis ? 1 : d)) : pred.shape;
    const batchAxis = lossBatchAxis(this.name, this.batchAxis, lossShape);
    if (summed && batchAxis === axis) {
      throw new ShapeError(
        `${this.name}: classReduction 'sum' sums over axis ${axis}, which is also the batch axis of pred ${formatShape(pred.shape)}`,
      );
    }
    const labelIndex = broadcastOffsets(pred.shape, label.shape);
    const extra: KLExtra = { axis, layout, labelIndex };
    const squeezedAxes = summed ? [axis] : [];
    return { arrays: [pred, label], sources: [0, 1], lossShape, batchAxis, extra, squeezedAxes };
  }

  // Gluon's log(label + ε) (ε = 1e-12) has a value down to −ε, kept (DECISIONS 12), and is NaN
  // exactly below: a finite label there has no divergence.
  protected override explainNaN(prepared: Loss.Prepared<KLExtra>): void {
    if (!this.logTarget) checkDomain(this.name, 'label', prepared.arrays[1]!, GLUON_TARGETS);
  }

  /**
   * The per-row log-softmax normalisers (computed here for every row: with the Gluon mean a block
   * of ℓ may cover part of a row, whose normaliser needs all of it), the float64 sums of a
   * broadcast label's gradient, and the per-row sums the mean mode's pred gradient needs.
   */
  protected override createState(prepared: Loss.Prepared<KLExtra>): KLState {
    const { layout, labelIndex } = prepared.extra!;
    const [pred, label] = prepared.arrays;
    const rows = layout.outer * layout.inner;
    let normalizers: RowNormalizers | null = null;
    if (!this.fromLogits) {
      normalizers = allocateNormalizers(rows);
      logSoftmaxRows(pred!.data, layout, 0, rows, normalizers);
    }
    const lossSize = sizeOf(prepared.lossShape);
    return {
      normalizers,
      // With logTarget the kernels' label mass is e^t, computed once per call.
      targetProbabilities: this.logTarget ? Float64Array.from(label!.data, Math.exp) : null,
      labelSum: labelIndex ? new BlockSum(label!.size, lossSize) : null,
      rowMass: normalizers && this.classReduction === 'mean' ? new RowMass(rows) : null,
    };
  }

  protected forwardBlock(call: Loss.ForwardBlockCall<KLExtra, KLState>): void {
    const { prepared, state, begin, end, out } = call;
    const { layout, labelIndex } = prepared.extra!;
    if (labelIndex === null && !this.logTarget && layout.inner === 1) {
      contiguousTerms(call, this.classReduction === 'sum');
      return;
    }
    const rows = classRows(prepared, state, begin, end);
    const label = denseLabel(prepared, state);
    // The label as given (t with logTarget, else the probabilities z themselves).
    const given = prepared.arrays[1]!.data;
    const { x, normalizers } = rows;
    // classReduction 'sum': ℓ_r = Σ_c z_c · (log(z_c + ε) − log p_c) over row r; the Gluon mean:
    // ℓ_k = z_k · (log(z_k + ε) − log p_k), elementwise without the log-softmax.
    const summed = this.classReduction === 'sum';
    if (summed) out.fill(0, 0, end - begin);
    for (const run = new Runs(rows, summed); run.next(); ) {
      const { step, jStep, last } = run;
      for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep) {
        const term = (this.logTarget ? klLogTargetTerm : klTerm)(
          given[labelOffset(label, k)]!,
          logProbabilityAt(x, normalizers, k, r),
        );
        if (summed) out[j]! += term;
        else out[j] = term;
      }
    }
  }

  /**
   * The one-pass kernel (see _dense-target-one-pass.ts) covers a label of pred's shape (no broadcast),
   * probabilities (not `logTarget`), each sample's elements contiguous in pred (no axis longer
   * than 1 before the batch axis) and, through the log-softmax, class rows that are contiguous
   * (the class axis last) and inside one sample (not the batch axis); both classReductions (they
   * differ only in the per-sample scale). Other calls take the block path.
   */
  protected override canFuseGradient(prepared: Loss.Prepared<KLExtra>): boolean {
    const { axis, layout, labelIndex } = prepared.extra!;
    if (labelIndex !== null || this.logTarget) return false;
    const { shape } = prepared.arrays[0]!;
    for (let i = 0; i < prepared.batchAxis; i++) if (shape[i] !== 1) return false;
    return this.fromLogits || (layout.inner === 1 && axis !== prepared.batchAxis);
  }

  // The same ℓ and pred's gradient in one pass, for recorded calls (see Loss.forwardGradient):
  // per row s · (p · Σ z − z) through the log-softmax, −s · z with fromLogits.
  protected override forwardGradient(call: Loss.ForwardGradientCall<KLExtra, KLState>): void {
    const classes = call.prepared.extra!.layout.size;
    denseTargetOnePass({ term: 'kl', memory: this.callMemory, classes, fromLogits: this.fromLogits }, call);
  }

  // pred's gradient: assigned per element, except that through the log-softmax of the Gluon mean
  // every ℓ element of a row touches the whole row (see RowMass). label's gradient: each entry
  // gets one term (added onto its zero), or, when the label was broadcast, the terms are summed
  // in float64 over the broadcast axes (see BlockSum).
  protected backwardBlock(call: Loss.BackwardBlockCall<KLExtra, KLState>): void {
    const { prepared, state, begin, end, dLoss, grads } = call;
    const [dPred, dLabel] = grads;
    const rows = classRows(prepared, state, begin, end);
    const label = denseLabel(prepared, state);
    // The label as given (t with logTarget, else the probabilities z themselves).
    const given = prepared.arrays[1]!.data;
    const summed = this.classReduction === 'sum';
    if (dPred) {
      // classReduction 'sum' is −Σ_c z_c log p_c plus terms without pred, per row.
      if (summed) denseSoftmaxGradient(rows, label, dLoss, dPred);
      else if (state.rowMass) meanPredBackward(rows, label, state.rowMass, dLoss, dPred);
      else {
        // Elementwise: ∂ℓ_k/∂x_k = −z_k.
        const { z } = label;
        for (let k = begin, j = 0; k < end; k++, j++) dPred[k] = -dLoss[j]! * z[labelOffset(label, k)]!;
      }
    }
    if (dLabel) {
      // ∂ℓ/∂z_c = g · (log(z_c + ε) + z_c / (z_c + ε) − log p_c) (with logTarget ∂ℓ/∂t_c =
      // g · e^t_c · (t_c − log p_c + 1)), added at the label's own offset.
      const target = state.labelSum ? state.labelSum.begin(dLabel) : dLabel;
      const { x, normalizers } = rows;
      const derivative = this.logTarget ? klLogTargetDerivative : klLabelDerivative;
      for (const run = new Runs(rows, summed); run.next(); ) {
        const { step, jStep, last } = run;
        for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep) {
          const offset = labelOffset(label, k);
          target[offset]! += dLoss[j]! * derivative(given[offset]!, logProbabilityAt(x, normalizers, k, r));
        }
      }
      state.labelSum?.done(end - begin, dLabel);
    }
  }

  twin(prepared: Loss.Prepared<KLExtra>): NDArray {
    const { axis } = prepared.extra!;
    const [pred, label] = prepared.arrays;
    const logProbabilities = this.fromLogits ? pred! : logSoftmax(pred!, axis);
    // A zero label beside an infinite log p contributes 0 (see klTerm): replace that log p by 0
    // before multiplying, so neither the value nor any gradient sees 0 · ∞.
    const masked = mul(equal(label!, 0), equal(abs(logProbabilities), Number.POSITIVE_INFINITY));
    const safe = where(masked, 0, logProbabilities);
    const terms = this.logTarget
      ? logTargetTerms(label!, logProbabilities)
      : mul(label!, sub(log(add(label!, EPSILON)), safe));
    return this.classReduction === 'sum' ? sum(terms, axis, true) : terms;
  }
}

/**
 * e^t · (t − log p) composed, 0 (with zero gradients) where e^t = 0 (see klLogTargetTerm): t and
 * log p are replaced by 0 there before the product, so no 0 · ∞ reaches the value or a gradient.
 */
function logTargetTerms(t: NDArray, logProbabilities: NDArray): NDArray {
  const vanishing = equal(exp(t), 0);
  const safeT = where(vanishing, 0, t);
  const safeLogProbabilities = where(vanishing, 0, logProbabilities);
  return where(vanishing, 0, mul(exp(safeT), sub(safeT, safeLogProbabilities)));
}

// ---- block kernels ---------------------------------------------------------------------------
//
// With the Gluon mean, ℓ is laid out like pred and a block [begin, end) is a range of elements
// k = (o · size + c) · inner + i, walked with counters that track its row r = o · inner + i. With
// classReduction 'sum', ℓ has one element per row and the block is the rows [begin, end), which
// form segments [first, last) of outer blocks o, walked class by class.

/** What the block kernels share within one call. */
interface KLState {
  /** log-softmax normalisers of every row, or null with `fromLogits`. */
  readonly normalizers: RowNormalizers | null;
  /** Sums of a broadcast label's gradient, or null when label has pred's shape. */
  readonly labelSum: BlockSum | null;
  /** e^t of a log-probability label (`logTarget`), or null. */
  readonly targetProbabilities: Float64Array | null;
  /** Per-row sums for pred's gradient (Gluon mean through the log-softmax only). */
  readonly rowMass: RowMass | null;
}

/**
 * forwardBlock for a label of pred's shape (probabilities) and rows contiguous along the class
 * axis (or no log-softmax and no class sum, where the whole array is one row): the same terms in
 * the same order as the runs, in plain loops (no per-element label offset or term selection).
 * The block is the rows [begin, end) when `summed`, else the elements [begin, end).
 */
function contiguousTerms(call: Loss.ForwardBlockCall<KLExtra, KLState>, summed: boolean): void {
  const { prepared, state, begin, end, out } = call;
  const x = prepared.arrays[0]!.data as FloatArray;
  const z = prepared.arrays[1]!.data;
  const size = prepared.extra!.layout.size;
  const normalizers = state.normalizers;
  if (summed) {
    denseTargetRowSums('kl', classRows(prepared, state, begin, end), z, out);
    return;
  }
  for (let k = begin; k < end; ) {
    const r = Math.floor(k / size);
    const stop = Math.min(end, (r + 1) * size);
    // log p = (x − shift) − logSum as logProbabilityAt (x itself with fromLogits); each element's
    // klTerm into ℓ by the kernel layer (fdlibm's log in wasm where the labels change).
    const shift = normalizers ? normalizers.shift[r]! : 0;
    const logSum = normalizers ? normalizers.logSum[r]! : 0;
    const terms = out.subarray(k - begin, stop - begin);
    denseTargetTermSum({ term: 'kl', z, x, begin: k, end: stop, shift, logSum, terms });
    k = stop;
  }
}

/** The block [begin, end) of pred's rows (or elements, with the Gluon mean) as the runs read it. */
function classRows(prepared: Loss.Prepared<KLExtra>, state: KLState, begin: number, end: number): ClassRows {
  const { layout } = prepared.extra!;
  return { x: prepared.arrays[0]!.data, layout, normalizers: state.normalizers, begin, end };
}

function denseLabel(prepared: Loss.Prepared<KLExtra>, state: KLState): DenseLabel {
  return { z: state.targetProbabilities ?? prepared.arrays[1]!.data, labelIndex: prepared.extra!.labelIndex };
}
