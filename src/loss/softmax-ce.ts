import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxis } from '../ndarray/shape.js';
import { logSoftmax } from '../ops/activation.js';
import { checkedIndexData } from '../ops/movement.js';
import { type FloatArray, isFloatArray } from '../kernels/_spans.js';
import {
  softmaxGradientRows,
  sparseSoftmaxCrossEntropyGradientOfCheckedRows,
  sparseSoftmaxCrossEntropyGradientOfOneChunk,
  sparseSoftmaxCrossEntropyRows,
} from '../kernels/softmax.js';
import { sparseTargetsOnePass } from './_softmax-one-pass-targets.js';
import { denseTargetOnePass, denseTargetRowSums } from './_dense-target-one-pass.js';
import {
  denseTargetTwin,
  denseTargetWeights,
  hasTargetOptions,
  rowWeight,
  type SoftmaxTargets,
  type SparseTargets,
  softmaxTargets,
  sparseTargetGradient,
  sparseTargetLabels,
  sparseTargetLosses,
  sparseTargetTwin,
  totalWeight,
} from './_softmax-targets.js';
import {
  giveBackNormalizers,
  takeNormalizers,
  type ClassLayout,
  type ClassRows,
  checkPerClassLength,
  IGNORED_ROW,
  denseSoftmaxGradient,
  logProbabilityAt,
  logSoftmaxRows,
  type RowNormalizers,
  Runs,
} from './_class-rows.js';
import { checkBoolean, Loss, lossBatchAxis, reshapeLike } from './_base/index.js';

/** Options of {@link SoftmaxCrossEntropyLoss}. */
export interface SoftmaxCrossEntropyLossOptions extends Loss.Options {
  /** The class axis of `pred` (default −1, may be negative). */
  axis?: number;
  /** Labels are class indices (true, the default) or distributions shaped like `pred` (false). */
  sparseLabel?: boolean;
  /** `pred` already holds log-probabilities (Gluon's name; default false: `pred` are logits). */
  fromLogits?: boolean;
  /** ε in [0, 1): the target becomes (1 − ε) · label + ε / C (default 0; PyTorch's `label_smoothing`). */
  labelSmoothing?: number;
  /** A label value whose rows give loss 0 and gradient 0 (any integer; sparse labels; default none). */
  ignoreIndex?: number | null;
  /** One non-negative weight per class (PyTorch's `weight`): a length-C array or 1-D NDArray; default none. */
  classWeight?: readonly number[] | Float32Array | Float64Array | NDArray | null;
}

/** Per-call settings the kernels read. */
interface SoftmaxExtra {
  readonly axis: number;
  readonly layout: ClassLayout;
  /** Validated class index of every row (sparse labels; `sparse.ignored` for an ignored one), or null for dense labels. */
  readonly labels: Int32Array | null;
  /** Sparse labels and the options (their defaults when none is set); null for dense labels. */
  readonly sparse: SparseTargets | null;
  /** Dense labels with options: each element's weight of −log p, w_c · ((1 − ε) z + ε / C); else null. */
  readonly denseWeights: Float64Array | null;
  /** W = Σ_c w_c (C without class weights). */
  readonly total: number;
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
 * With PyTorch's options (C classes, w the `classWeight`, 1 without it, ε the `labelSmoothing`):
 *
 * $$
 * \ell = (1 - \varepsilon)\, w_y \,(-\log p_y) + \tfrac{\varepsilon}{C} \textstyle\sum_c w_c\,(-\log p_c)
 * \quad\text{(sparse; 0 where } y = \text{ignoreIndex)}, \qquad
 * \ell = -\textstyle\sum_c w_c \big((1 - \varepsilon)\,\text{label}_c + \tfrac{\varepsilon}{C}\big) \log p_c
 * \quad\text{(dense)}
 * $$
 *
 * **Inputs**: `pred` any shape with a class axis of length C, real logits (log-probabilities with
 * `fromLogits`); `label` — sparse: one class index per row (the element count of `pred` without
 * its class axis, any shape, e.g. `(N,)` or `(N, 1)`), int32 or float holding integers in
 * [0, C) or equal to `ignoreIndex`, anything else is a ValueError naming the first bad position
 * and value; dense: the same element count as `pred`, reshaped like it, non-negative weights per
 * class (usually a distribution); `sampleWeight` optional, broadcastable to ℓ (a 1-D array of
 * batch length is per sample; a per-class `(N, C)` weight would enlarge ℓ and is a ShapeError).
 *
 * **Output**: shape `(batch,)` (see `reduction` for the others).
 *
 * **Options**: `axis` (default −1), `sparseLabel` (default true), `fromLogits` (default false;
 * true means `pred` already holds log-probabilities, Gluon's misnomer), `labelSmoothing` ε
 * (default 0; in [0, 1), else a ValueError; the target becomes (1 − ε) · onehot + ε / C for
 * sparse and dense labels, on any class axis and rank), `ignoreIndex` (default none; any integer,
 * it may lie outside [0, C); those rows give loss 0 and gradient 0, count as 0 in the per-sample
 * mean and are not counted by `'mean'`; sparse labels only, a ValueError with
 * `sparseLabel: false`), `classWeight` (default none; a length-C array or 1-D NDArray of finite
 * numbers ≥ 0, else a ValueError, and a ShapeError at the call when its length is not C),
 * `weight` (default none), `batchAxis` (default 0), `reduction` (default `'perSample'`). With
 * sparse labels and `classWeight` or `ignoreIndex`, `'mean'` divides the sum by Σ w_y over the
 * rows not ignored (PyTorch's weighted mean; 0, not NaN, when nothing is counted); otherwise by
 * the number of rows (dense labels: the number of positions, as PyTorch).
 *
 * **From PyTorch**: `F.cross_entropy(x, y, weight=w, ignore_index=i, label_smoothing=ε,
 * reduction=r)` equals `new SoftmaxCrossEntropyLoss({ axis: 1, classWeight: w, ignoreIndex: i,
 * labelSmoothing: ε, reduction: r })` for r in `'none' | 'sum' | 'mean'` (PyTorch's class axis
 * is 1: for `(N, C)` the default −1 is the same axis, for `(N, C, d…)` pass `axis: 1`). The three
 * options combine as in PyTorch: with class weights the smoothing term is (ε / C) Σ_c w_c (−log p_c).
 * PyTorch's default `ignore_index` is −100; gloss ignores nothing unless asked, so a −100 label is
 * a ValueError: pass `ignoreIndex: -100` to keep PyTorch's behaviour. One difference: an all-ignored
 * batch's `'mean'` is 0 here, NaN in PyTorch. From TF.js / Keras: `labelSmoothing` is the same
 * ε as `tf.losses.softmaxCrossEntropy`'s and Keras's `label_smoothing`.
 *
 * **Gradient**: softmax(pred) − onehot(label) (sparse) or softmax(pred) · Σ_c label_c − label
 * (dense); −onehot(label) or −label with `fromLogits`. Dense labels also get the gradient
 * −log softmax(pred). With the options, with t the smoothed target: p_j · Σ_c w_c t_c − w_j t_j,
 * and ∂ℓ/∂label_c = −(1 − ε) w_c log p_c.
 *
 * **Stability**: the log-sum-exp is shifted by the row maximum, so logits of any finite size
 * (±1e30 included) give finite losses and gradients. Only two numbers per row are kept for the
 * backward pass (O(rows) memory; the softmax is recomputed), and a non-last class axis is walked
 * with strides, never copied. A NaN logit makes its sample's loss and its whole gradient row NaN
 * and touches nothing else (an ignored row stays 0); a −Infinity logit on a class that is not the
 * label is a mask (with ε > 0 it has target mass ε / C, so the loss is +Infinity, as in PyTorch).
 * The smoothing sum Σ_c w_c (−log p_c) adds non-negative float64 terms (see _softmax-targets.ts).
 * The options keep the one-pass kernel (class axis last, logits, a recorded call) and add one
 * pass over the row for ε > 0.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
 * loss.forward(nd.array([[1, 10], [8, 2]]), nd.array([0, 1])); // [9.000123 6.0024757]
 * // PyTorch's cross_entropy(x, y, weight=[1, 2], ignore_index=-1, label_smoothing=0.1, reduction='mean'):
 * const torchLike = new gluon.loss.SoftmaxCrossEntropyLoss({
 *   labelSmoothing: 0.1, ignoreIndex: -1, classWeight: [1, 2], reduction: 'mean',
 * });
 * torchLike.forward(nd.array([[1, 10], [8, 2], [0, 0]]), nd.array([0, 1, -1])); // 6.6516523 (0-d)
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
  /** ε of the label smoothing (0: none). */
  readonly labelSmoothing: number;
  /** The ignored label value, or null. */
  readonly ignoreIndex: number | null;
  /** The per-class weights (a validated copy), or null. */
  readonly classWeight: Float64Array | null;
  /** The three options above, validated, for the block functions of _softmax-targets.ts. */
  private readonly targets: SoftmaxTargets;
  /** Whether any of them is set (otherwise every call takes Gluon's paths unchanged). */
  private readonly hasTargets: boolean;

  constructor(options: SoftmaxCrossEntropyLossOptions = {}) {
    super(options, ['axis', 'sparseLabel', 'fromLogits', 'labelSmoothing', 'ignoreIndex', 'classWeight']);
    // Defaults apply to options left undefined (null is checked like any other value).
    const { axis = -1, sparseLabel = true, fromLogits = false } = options;
    if (!Number.isInteger(axis))
      throw new ValueError(`${this.name}: option axis must be an integer, got ${String(axis)}`);
    this.axis = axis;
    this.sparseLabel = checkBoolean(this.name, 'sparseLabel', sparseLabel);
    this.fromLogits = checkBoolean(this.name, 'fromLogits', fromLogits);
    this.targets = softmaxTargets(this.name, options, this.sparseLabel);
    this.labelSmoothing = this.targets.smoothing;
    this.ignoreIndex = this.targets.ignoreIndex;
    this.classWeight = this.targets.classWeight;
    this.hasTargets = hasTargetOptions(this.targets);
  }

  /** Sparse labels are class indices: they get no gradient. */
  override get discreteInputs(): readonly string[] {
    return this.sparseLabel ? ['label'] : [];
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<SoftmaxExtra> {
    const pred = inputs[0]!;
    const axis = normalizeAxis(this.axis, pred.ndim, this.name, 'axis');
    // classLayout's (outer, size, inner) and ℓ's shape in one loop (no slices: this runs every step).
    const shape = pred.shape;
    const lossShape: number[] = [];
    let outer = 1;
    let inner = 1;
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i]!;
      lossShape.push(i === axis ? 1 : d);
      if (i < axis) outer *= d;
      else if (i > axis) inner *= d;
    }
    const layout: ClassLayout = { outer, size: shape[axis]!, inner };
    const batchAxis = lossBatchAxis(this.name, this.batchAxis, lossShape);
    const named = { name: 'pred', shape: pred.shape, axis };
    const { targets, hasTargets } = this;
    if (targets.classWeight) checkPerClassLength(this.name, 'classWeight', targets.classWeight, named);
    const total = totalWeight(targets, layout.size);
    if (!this.sparseLabel) {
      const label = reshapeLike(this.name, 'label', inputs[1]!, 'pred', pred);
      // The call's own until its backward; gloss-ml/kernels gives it back when its call returns.
      const denseWeights = hasTargets
        ? denseTargetWeights(
            targets,
            label.data,
            layout,
            this.callMemory.takeArray('float64', label.size) as Float64Array,
          )
        : null;
      const extra: SoftmaxExtra = { axis, layout, labels: null, sparse: null, denseWeights, total };
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
    // Checked in place when they are int32 (no copy per call; an ignored row keeps its value).
    const { labels, ignored } =
      targets.ignoreIndex === null
        ? { labels: checkedIndexData(this.name, 'label', label, layout.size), ignored: IGNORED_ROW }
        : sparseTargetLabels(this.name, label, named, targets.ignoreIndex);
    const sparse = { targets, labels, ignored };
    const extra: SoftmaxExtra = { axis, layout, labels, sparse, denseWeights: null, total };
    return { arrays: [pred], sources: [0], lossShape, batchAxis, extra, squeezedAxes: [axis] };
  }

  /**
   * The per-row log-softmax normalisers (null with `fromLogits`): two numbers per row, filled by
   * the forward blocks (every row of ℓ is one row of pred) and read by the backward ones. Those
   * of a finished call come back from the loss's CallMemory (see releaseState).
   */
  protected override createState(prepared: Loss.Prepared<SoftmaxExtra>): RowNormalizers | null {
    if (this.fromLogits) return null;
    const { outer, inner } = prepared.extra!.layout;
    return takeNormalizers(this.callMemory, outer * inner);
  }

  /** Called once nothing reads the call's normalisers any more (see Loss.releaseState). */
  protected override releaseState(normalizers: RowNormalizers | null): void {
    giveBackNormalizers(this.callMemory, normalizers);
  }

  /** Dense labels with options: the target weights prepare took for the call go back. */
  protected override releasePrepared(prepared: Loss.Prepared<SoftmaxExtra>): void {
    const denseWeights = prepared.extra!.denseWeights;
    if (denseWeights) this.callMemory.giveBackArray(denseWeights);
  }

  /** Every gradient element is assigned (each entry of pred and label belongs to one row). */
  protected override assignsGradient(): boolean {
    return true;
  }

  /**
   * The divisor of the `'mean'` reduction: with sparse labels and `classWeight` or `ignoreIndex`,
   * Σ w_{y_r} over the rows that are not ignored (their count without `classWeight`), as PyTorch's
   * `cross_entropy(reduction='mean')`, label smoothing included; otherwise the number of rows
   * (dense labels: the number of positions, as PyTorch). Nothing counted gives 0, not NaN.
   */
  protected override meanDenominator(prepared: Loss.Prepared<SoftmaxExtra>): number {
    const sparse = prepared.extra!.sparse;
    if (!sparse || !this.hasTargets) return super.meanDenominator(prepared);
    let total = 0;
    for (let r = 0; r < sparse.labels.length; r++) total += rowWeight(sparse, r);
    return total;
  }

  // ℓ has one element per row (the class axis has size 1), so the block [begin, end) of ℓ is the
  // rows [begin, end) of pred. Sparse labels on logits with the class axis last (the common case)
  // are contiguous rows for the kernel layer; other layouts walk the Runs of _class-rows.ts.
  protected forwardBlock(call: Loss.ForwardBlockCall<SoftmaxExtra, RowNormalizers | null>): void {
    const { prepared, state: normalizers, begin, end, out } = call;
    const { layout, labels, sparse, denseWeights } = prepared.extra!;
    const loss = out.subarray(0, end - begin);
    const rows = classRows(prepared, normalizers, begin, end);
    if (labels && !this.hasTargets && normalizers && layout.inner === 1) {
      sparseSoftmaxCrossEntropyRows({
        ...contiguous(rows, normalizers),
        labels: labels.subarray(begin, end),
        loss,
      });
      return;
    }
    if (normalizers) logSoftmaxRows(rows.x, layout, begin, end, normalizers);
    if (sparse) {
      sparseTargetLosses(rows, sparse, loss);
      return;
    }
    // ℓ = Σ_c −z_c · log p_c in class order (see crossEntropyTerm).
    const z = denseWeights ?? prepared.arrays[1]!.data;
    denseTargetRowSums('crossEntropy', rows, z, loss);
  }

  /**
   * The one-pass kernel covers sparse labels (and dense ones without options: the loop of
   * _dense-target-one-pass.ts, KLDivLoss's) on logits with the class axis last, at any class
   * count (a row longer than a kernel chunk runs in pieces merged by the online softmax
   * recurrence: each logit read once, see softmax.ts). It keeps a gradient the size
   * of pred until the backward, as the block path's backward would hold one until the autograd
   * pass writes it into `.grad`, and takes each exponential once instead of twice.
   */
  protected override canFuseGradient(prepared: Loss.Prepared<SoftmaxExtra>): boolean {
    const { layout, labels } = prepared.extra!;
    return (labels !== null || !this.hasTargets) && !this.fromLogits && layout.inner === 1;
  }

  // The same ℓ and pred's gradient in one pass, for recorded calls (see Loss.forwardGradient).
  // A sample holds sampleSize / classes consecutive rows; with one row per sample and no options,
  // a small float32 call is one kernel call (sparseSoftmaxCrossEntropyGradientOfOneChunk).
  protected override forwardGradient(
    call: Loss.ForwardGradientCall<SoftmaxExtra, RowNormalizers | null>,
  ): void {
    const { prepared, sampleSize, scales, sums, gradient } = call;
    const { layout, labels, sparse, total } = prepared.extra!;
    const x = prepared.arrays[0]!.data as FloatArray;
    const classes = layout.size;
    const out = gradient as FloatArray;
    const memory = this.callMemory;
    if (!labels) {
      denseTargetOnePass({ term: 'crossEntropy', memory, classes, fromLogits: false }, call);
      return;
    }
    const small = { x, classes, labels: labels!, scales, loss: sums, out };
    const plain = !this.hasTargets;
    if (sampleSize === classes && plain && sparseSoftmaxCrossEntropyGradientOfOneChunk(small)) return;
    const perSample = sampleSize / classes;
    const rows = x.length / classes;
    // Working memory read by nothing after this call returns: from the loss's CallMemory and
    // back there at the end. Per row: its scale and loss (when a sample has several rows) and
    // the kernel's two normalisers.
    const scratch = this.callMemory.takeArray('float64', 4 * rows) as Float64Array;
    const normalizers = { shift: scratch.subarray(2 * rows, 3 * rows), logSum: scratch.subarray(3 * rows) };
    let rowScales = scales;
    if (perSample !== 1) {
      rowScales = scratch.subarray(0, rows);
      for (let row = 0; row < rows; row++) rowScales[row] = scales[Math.floor(row / perSample)]!;
    }
    const loss = perSample === 1 ? sums : scratch.subarray(rows, 2 * rows);
    // With options: the kernel for the label alone, then their fix-up (_softmax-one-pass-targets.ts).
    // Without: the kernel's entry that skips its checks (prepare validated the labels, and every
    // array here is sized from pred).
    if (!plain) {
      sparseTargetsOnePass({ memory, x, classes, sparse: sparse!, total, rowScales, loss, out, normalizers });
    } else
      sparseSoftmaxCrossEntropyGradientOfCheckedRows({
        x,
        classes,
        labels: labels!,
        scales: rowScales,
        loss,
        out,
        normalizers,
      });
    if (loss !== sums) {
      sums.fill(0);
      for (let row = 0; row < loss.length; row++) sums[Math.floor(row / perSample)]! += loss[row]!;
    }
    this.callMemory.giveBackArray(scratch);
  }

  // Every entry of pred and label belongs to one row, so one ℓ element: the gradients are assigned.
  // Sparse: ∂ℓ/∂x as sparseTargetGradient (softmax(x) − onehot(label) without options, the
  // label's entry p − 1 as expm1(log p)); dense: see denseSoftmaxGradient, and ∂ℓ/∂z_c = −log p_c.
  protected backwardBlock(call: Loss.BackwardBlockCall<SoftmaxExtra, RowNormalizers | null>): void {
    const { prepared, state: normalizers, begin, end, dLoss, grads } = call;
    const [dPred, dLabel] = grads;
    const { layout, labels, sparse, denseWeights, total } = prepared.extra!;
    const rows = classRows(prepared, normalizers, begin, end);
    const g = dLoss.subarray(0, end - begin);
    if (labels && !this.hasTargets && normalizers && layout.inner === 1 && dPred && isFloatArray(dPred)) {
      const out = dPred.subarray(begin * layout.size, end * layout.size);
      softmaxGradientRows({
        ...contiguous(rows, normalizers),
        scale: g,
        labels: labels.subarray(begin, end),
        out,
      });
      return;
    }
    if (sparse) {
      if (dPred) sparseTargetGradient(rows, sparse, total, g, dPred);
      return;
    }
    const z = denseWeights ?? prepared.arrays[1]!.data;
    if (dPred) denseSoftmaxGradient(rows, { z, labelIndex: null }, dLoss, dPred);
    // ∂ℓ/∂z_c = −(1 − ε) · w_c · log p_c (−log p_c without options).
    const { smoothing, classWeight } = this.targets;
    for (const run = new Runs(rows, true); dLabel && run.next(); ) {
      const { step, jStep, last } = run;
      let c = step === 0 ? 0 : Math.floor(run.k / layout.inner) % layout.size;
      for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep, c += 1 - step) {
        const scale = denseWeights ? (1 - smoothing) * (classWeight ? classWeight[c]! : 1) : 1;
        dLabel[k] = -g[j]! * scale * logProbabilityAt(rows.x, normalizers, k, r);
      }
    }
  }

  twin(prepared: Loss.Prepared<SoftmaxExtra>): NDArray {
    const { axis, sparse } = prepared.extra!;
    const pred = prepared.arrays[0]!;
    const logProbabilities = this.fromLogits ? pred : logSoftmax(pred, axis);
    if (sparse) return sparseTargetTwin(logProbabilities, sparse, axis, prepared.lossShape);
    return denseTargetTwin(logProbabilities, prepared.arrays[1]!, this.targets, axis);
  }
}

// ---- the rows of a block ---------------------------------------------------------------------

function classRows(
  prepared: Loss.Prepared<SoftmaxExtra>,
  normalizers: RowNormalizers | null,
  begin: number,
  end: number,
) {
  return { x: prepared.arrays[0]!.data, layout: prepared.extra!.layout, normalizers, begin, end };
}

/** Contiguous rows (the class axis last) of a block and their normalisers, as the kernels' views. */
function contiguous({ x, layout: { size }, begin, end }: ClassRows, { shift, logSum }: RowNormalizers) {
  const normalizers = { shift: shift.subarray(begin, end), logSum: logSum.subarray(begin, end) };
  return { x: x.subarray(begin * size, end * size), classes: size, ...normalizers };
}
