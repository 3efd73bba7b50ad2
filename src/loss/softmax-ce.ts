import type { TypedArray } from '../ndarray/dtype.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxis } from '../ndarray/shape.js';
import { logSoftmax } from '../ops/activation.js';
import { equal, mul, neg, where } from '../ops/elementwise.js';
import { checkIndices, pick } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import {
  type FloatArray,
  isFloatArray,
  softmaxGradientRows,
  sparseSoftmaxCrossEntropyGradientRows,
  sparseSoftmaxCrossEntropyRows,
} from '../kernels/index.js';
import {
  allocateNormalizers,
  type ClassLayout,
  type ClassRows,
  classLayout,
  crossEntropyTerm,
  denseSoftmaxGradient,
  logProbabilityAt,
  logSoftmaxRows,
  type RowNormalizers,
  Runs,
} from './_class-rows.js';
import {
  checkBoolean,
  Loss,
  type LossOptions,
  lossBatchAxis,
  type Prepared,
  reshapeLike,
} from './_base/index.js';

/** Options of {@link SoftmaxCrossEntropyLoss}. */
export interface SoftmaxCrossEntropyLossOptions extends LossOptions {
  /** The class axis of `pred` (default −1, may be negative). */
  axis?: number;
  /** Labels are class indices (true, the default) or distributions shaped like `pred` (false). */
  sparseLabel?: boolean;
  /** `pred` already holds log-probabilities (Gluon's name; default false: `pred` are logits). */
  fromLogits?: boolean;
}

/** Per-call settings the kernels read. */
interface SoftmaxExtra {
  readonly axis: number;
  readonly layout: ClassLayout;
  /** Validated class index of every row (sparse labels), or null for dense labels. */
  readonly labels: Int32Array | null;
}

/**
 * Softmax cross-entropy (categorical cross-entropy with a built-in, stable log-softmax):
 *
 * $$
 * \begin{aligned}
 * \ell &= -\log \operatorname{softmax}(\text{pred})_{\text{label}} && \text{(sparse labels, the default)} \\
 * \ell &= -\textstyle\sum_c \text{label}_c \log \operatorname{softmax}(\text{pred})_c && \text{(dense labels)}
 * \end{aligned}
 * $$
 *
 * along the class `axis`, then `sampleWeight`, `weight` and the mean over the non-batch axes.
 * ℓ keeps the class axis with size 1 (so against a `(N, C)` prediction it is `(N, 1)`).
 *
 * **Inputs**: `pred` any shape with a class axis of length C, real logits (log-probabilities with
 * `fromLogits`); `label` — sparse: one class index per row (the element count of `pred` without
 * its class axis, any shape, e.g. `(N,)` or `(N, 1)`), int32 or float holding integers in
 * [0, C), anything else is a ValueError naming the first bad position and value;
 * dense: the same element count as `pred`, reshaped like it, non-negative weights per class
 * (usually a distribution); `sampleWeight` optional, broadcastable to ℓ (a 1-D array of batch
 * length is per sample; a per-class `(N, C)` weight would enlarge ℓ and is a ShapeError).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `axis` (default −1), `sparseLabel` (default true), `fromLogits` (default false;
 * true means `pred` already holds log-probabilities, Gluon's misnomer), `weight` (default none),
 * `batchAxis` (default 0).
 *
 * **Gradient**: softmax(pred) − onehot(label) (sparse) or softmax(pred) · Σ_c label_c − label
 * (dense); −onehot(label) or −label with `fromLogits`. Dense labels also get the gradient
 * −log softmax(pred).
 *
 * **Stability**: the log-sum-exp is shifted by the row maximum, so logits of any finite size
 * (±1e30 included) give finite losses and gradients. Only two numbers per row are kept for the
 * backward pass (O(rows) memory; the softmax is recomputed), and a non-last class axis is walked
 * with strides, never copied. A NaN logit makes its sample's loss and its whole gradient row NaN
 * and touches nothing else; a −Infinity logit on a class that is not the label is a mask.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
 * loss.forward(nd.array([[1, 10], [8, 2]]), nd.array([0, 1])); // [9.000123 6.0024757]
 * ```
 */
export class SoftmaxCrossEntropyLoss extends Loss<SoftmaxExtra, RowNormalizers | null> {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'SoftmaxCrossEntropyLoss';

  readonly inputNames: readonly string[] = ['pred', 'label', 'sampleWeight'];
  /** The class axis as given (may be negative). */
  readonly axis: number;
  /** Whether labels are class indices. */
  readonly sparseLabel: boolean;
  /** Whether `pred` already holds log-probabilities. */
  readonly fromLogits: boolean;

  constructor(options: SoftmaxCrossEntropyLossOptions = {}) {
    super(options, ['axis', 'sparseLabel', 'fromLogits']);
    // Defaults apply to options left undefined (null is checked like any other value).
    const { axis = -1, sparseLabel = true, fromLogits = false } = options;
    if (!Number.isInteger(axis))
      throw new ValueError(`${this.name}: option axis must be an integer, got ${String(axis)}`);
    this.axis = axis;
    this.sparseLabel = checkBoolean(this.name, 'sparseLabel', sparseLabel);
    this.fromLogits = checkBoolean(this.name, 'fromLogits', fromLogits);
  }

  /** Sparse labels are class indices: they get no gradient. */
  override get discreteInputs(): readonly string[] {
    return this.sparseLabel ? ['label'] : [];
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Prepared<SoftmaxExtra> {
    const pred = inputs[0]!;
    const axis = normalizeAxis(this.axis, pred.ndim, this.name, 'axis');
    const layout = classLayout(pred.shape, axis);
    const lossShape = pred.shape.map((d, i) => (i === axis ? 1 : d));
    const batchAxis = lossBatchAxis(this.name, this.batchAxis, lossShape);
    if (!this.sparseLabel) {
      const label = reshapeLike(this.name, 'label', inputs[1]!, 'pred', pred);
      const extra: SoftmaxExtra = { axis, layout, labels: null };
      return { arrays: [pred, label], sources: [0, 1], lossShape, batchAxis, extra, squeezedAxes: [axis] };
    }
    const label = inputs[1]!;
    const rows = layout.outer * layout.inner;
    if (label.size !== rows) {
      const perRow = pred.shape.filter((_, i) => i !== axis);
      throw new ShapeError(
        `${this.name}: sparse label shape ${formatShape(label.shape)} (${label.size} elements) must hold one class index ` +
          `per row of pred ${formatShape(pred.shape)} along axis ${axis}: ${rows} elements, e.g. shape ${formatShape(perRow)}`,
      );
    }
    const labels = checkIndices(this.name, 'label', label, layout.size);
    const extra: SoftmaxExtra = { axis, layout, labels };
    return { arrays: [pred], sources: [0], lossShape, batchAxis, extra, squeezedAxes: [axis] };
  }

  /**
   * The per-row log-softmax normalisers (null with `fromLogits`): two numbers per row, filled by
   * the forward blocks (every row of ℓ is one row of pred) and read by the backward ones.
   */
  protected override createState(prepared: Prepared<SoftmaxExtra>): RowNormalizers | null {
    if (this.fromLogits) return null;
    const { outer, inner } = prepared.extra!.layout;
    return allocateNormalizers(outer * inner);
  }

  /**
   * Every gradient element is assigned, except with sparse labels and `fromLogits`, where only
   * the label's entry of each row is written (the others are 0).
   */
  protected override assignsGradient(): boolean {
    return !(this.sparseLabel && this.fromLogits);
  }

  // ℓ has one element per row (the class axis has size 1), so the block [begin, end) of ℓ is the
  // rows [begin, end) of pred. Sparse labels on logits with the class axis last (the common case)
  // are contiguous rows for the kernel layer; other layouts walk the Runs of _class-rows.ts.
  protected forwardBlock(
    prepared: Prepared<SoftmaxExtra>,
    normalizers: RowNormalizers | null,
    begin: number,
    end: number,
    out: Float64Array,
  ): void {
    const { layout, labels } = prepared.extra!;
    const loss = out.subarray(0, end - begin);
    const rows = classRows(prepared, normalizers, begin, end);
    if (labels && normalizers && layout.inner === 1) {
      sparseSoftmaxCrossEntropyRows({
        ...contiguous(rows, normalizers),
        labels: labels.subarray(begin, end),
        loss,
      });
      return;
    }
    if (normalizers) logSoftmaxRows(rows.x, layout, begin, end, normalizers);
    // Sparse: ℓ = −log p_label; dense: ℓ = Σ_c −z_c · log p_c in class order (see crossEntropyTerm).
    if (labels) {
      for (let r = begin; r < end; r++)
        loss[r - begin] = -logProbabilityAt(rows.x, normalizers, labelEntry(rows, r, labels), r);
      return;
    }
    const z = prepared.arrays[1]!.data;
    loss.fill(0);
    for (const run = new Runs(rows, true); run.next(); ) {
      const { step, jStep, last } = run;
      for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep)
        loss[j]! += crossEntropyTerm(z[k]!, logProbabilityAt(rows.x, normalizers, k, r));
    }
  }

  /**
   * The one-pass kernel covers sparse labels on logits with the class axis last, at any class
   * count (a row longer than a kernel chunk runs in pieces merged by the online softmax
   * recurrence: each logit read once, see softmax.ts). It keeps a gradient the size
   * of pred until the backward, as the block path's backward would hold one until the autograd
   * pass writes it into `.grad`, and takes each exponential once instead of twice.
   */
  protected override canFuseGradient(prepared: Prepared<SoftmaxExtra>): boolean {
    const { layout, labels } = prepared.extra!;
    return labels !== null && !this.fromLogits && layout.inner === 1;
  }

  // The same ℓ and pred's gradient in one pass, for recorded calls (see Loss.forwardGradient).
  // A sample holds sampleSize / classes consecutive rows.
  protected override forwardGradient(
    prepared: Prepared<SoftmaxExtra>,
    _state: RowNormalizers | null,
    sampleSize: number,
    scales: Float64Array,
    sums: Float64Array,
    gradient: TypedArray,
  ): void {
    const { layout, labels } = prepared.extra!;
    const x = prepared.arrays[0]!.data as FloatArray;
    const classes = layout.size;
    const perSample = sampleSize / classes;
    const rowScales = new Float64Array(x.length / classes);
    for (let row = 0; row < rowScales.length; row++) rowScales[row] = scales[Math.floor(row / perSample)]!;
    const loss = perSample === 1 ? sums : new Float64Array(rowScales.length);
    const out = gradient as FloatArray;
    sparseSoftmaxCrossEntropyGradientRows({ x, classes, labels: labels!, scales: rowScales, loss, out });
    if (loss === sums) return;
    sums.fill(0);
    for (let row = 0; row < loss.length; row++) sums[Math.floor(row / perSample)]! += loss[row]!;
  }

  // Every entry of pred and label belongs to one row, so one ℓ element: the gradients are assigned.
  // Sparse: ∂ℓ/∂x = softmax(x) − onehot(label) (−onehot with fromLogits), the label's entry
  // p − 1 as expm1(log p); dense: see denseSoftmaxGradient, and ∂ℓ/∂z_c = −log p_c.
  protected backwardBlock(
    prepared: Prepared<SoftmaxExtra>,
    normalizers: RowNormalizers | null,
    begin: number,
    end: number,
    dLoss: Float64Array,
    [dPred, dLabel]: readonly (TypedArray | null)[],
  ): void {
    const { layout, labels } = prepared.extra!;
    const rows = classRows(prepared, normalizers, begin, end);
    const { x } = rows;
    const g = dLoss.subarray(0, end - begin);
    if (labels && normalizers && layout.inner === 1 && dPred && isFloatArray(dPred)) {
      const out = dPred.subarray(begin * layout.size, end * layout.size);
      softmaxGradientRows({
        ...contiguous(rows, normalizers),
        scale: g,
        labels: labels.subarray(begin, end),
        out,
      });
      return;
    }
    if (labels && dPred) {
      for (const run = new Runs(rows, true); normalizers && run.next(); ) {
        const { step, jStep, last } = run;
        for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep)
          dPred[k] = g[j]! * Math.exp(logProbabilityAt(x, normalizers, k, r));
      }
      for (let r = begin; r < end; r++) {
        const k = labelEntry(rows, r, labels);
        dPred[k] = normalizers
          ? g[r - begin]! * Math.expm1(logProbabilityAt(x, normalizers, k, r))
          : -g[r - begin]!;
      }
    }
    if (labels) return;
    if (dPred) denseSoftmaxGradient(rows, { z: prepared.arrays[1]!.data, labelIndex: null }, dLoss, dPred);
    for (const run = new Runs(rows, true); dLabel && run.next(); ) {
      const { step, jStep, last } = run;
      for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep)
        dLabel[k] = -g[j]! * logProbabilityAt(x, normalizers, k, r);
    }
  }

  twin(prepared: Prepared<SoftmaxExtra>): NDArray {
    const { axis, labels } = prepared.extra!;
    const pred = prepared.arrays[0]!;
    const logProbabilities = this.fromLogits ? pred : logSoftmax(pred, axis);
    if (labels) return neg(pick(logProbabilities, new NDArray(labels, prepared.lossShape), axis, true));
    const label = prepared.arrays[1]!;
    // A zero label on an impossible class is a mask (see crossEntropyTerm in _class-rows.ts): replace that log p by 0
    // before multiplying, so neither the value nor any gradient sees 0 · ∞.
    const masked = mul(equal(label, 0), equal(logProbabilities, Number.NEGATIVE_INFINITY));
    const safe = where(masked, 0, logProbabilities);
    return neg(sum(mul(label, safe), axis, true));
  }
}

// ---- the rows of a block ---------------------------------------------------------------------

function classRows(
  prepared: Prepared<SoftmaxExtra>,
  normalizers: RowNormalizers | null,
  begin: number,
  end: number,
) {
  return { x: prepared.arrays[0]!.data, layout: prepared.extra!.layout, normalizers, begin, end };
}

/** The offset in pred of the label's entry of row r. */
function labelEntry({ layout: { size, inner } }: ClassRows, r: number, labels: Int32Array): number {
  const o = Math.floor(r / inner);
  return (o * size + labels[r]!) * inner + (r - o * inner);
}

/** Contiguous rows (the class axis last) of a block and their normalisers, as the kernels' views. */
function contiguous({ x, layout: { size }, begin, end }: ClassRows, { shift, logSum }: RowNormalizers) {
  const normalizers = { shift: shift.subarray(begin, end), logSum: logSum.subarray(begin, end) };
  return { x: x.subarray(begin * size, end * size), classes: size, ...normalizers };
}
