import { ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { mul, neg, where } from '../ops/elementwise.js';
import { pick } from '../ops/movement.js';
import {
  type ClassLayout,
  checkPerClassLength,
  classAxisLoss,
  classEntry,
  IGNORED_ROW,
  perClassOption,
  sparseClassLabels,
} from './_class-rows.js';
import { integerOption, Loss } from './_base/index.js';

/** Options of {@link NLLLoss}. */
export interface NLLLossOptions extends Loss.Options {
  /** The class axis of `logProb` (default −1, may be negative; PyTorch's is 1). */
  axis?: number;
  /** One weight per class (PyTorch's `weight`): a length-C array or 1-D NDArray; default none. */
  classWeight?: readonly number[] | Float32Array | Float64Array | NDArray | null;
  /** A label value whose rows give loss 0 and gradient 0 (any integer, default none). */
  ignoreIndex?: number | null;
}

/** Per-call settings the block functions read. */
interface NLLExtra {
  readonly layout: ClassLayout;
  readonly axis: number;
  /** Each row's class, or IGNORED_ROW. */
  readonly labels: Int32Array;
  /** Each row's weight: classWeight[label] (1 without classWeight), 0 for an ignored row. */
  readonly rowWeights: Float64Array;
}

/**
 * Negative log-likelihood of given log-probabilities (PyTorch `nll_loss` / `NLLLoss`):
 *
 * $$
 * \ell_r = -w_{y_r} \, \text{logProb}_{r, y_r} \qquad (\ell_r = 0 \text{ where } y_r = \text{ignoreIndex})
 * $$
 *
 * for each row r along the class `axis`, with w the `classWeight` (1 without it); then
 * `sampleWeight`, `weight` and the mean over the non-batch axes. ℓ keeps the class axis with
 * size 1 (against `(N, C)` it is `(N, 1)`). Ignored rows count as 0 in that per-sample mean.
 *
 * **Inputs**: `logProb` any shape with a class axis of length C, log-probabilities (for example
 * the output of `logSoftmax`; any real is accepted and used as written); `label` one class index
 * per row (`logProb`'s element count without the class axis, any shape such as `(N,)`), int32
 * or float holding integers in [0, C) or equal to `ignoreIndex`; anything else is a ValueError
 * naming the first bad position and value; `sampleWeight` optional, broadcastable to ℓ (a 1-D
 * array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`; with `reduction: 'none'`, ℓ without its class axis (`(N, d…)` for
 * `(N, C, d…)` with `axis: 1`, as PyTorch's `reduction='none'`).
 *
 * **Options**: `axis` (default −1), `classWeight` (default none; a length-C array or NDArray of
 * finite numbers, ShapeError at the call when its length is not C), `ignoreIndex` (default none;
 * any integer, it may lie outside [0, C)), `weight` (default none), `batchAxis` (default 0).
 * For the `'mean'` reduction the sum is divided by Σ w_{y_r} over the counted rows, as PyTorch
 * does ({@link NLLLoss.meanDenominator}).
 *
 * **From PyTorch**: `F.nll_loss(x, y, weight=w, ignore_index=i, reduction='none')` on `(N, C, d…)`
 * equals `new NLLLoss({ axis: 1, classWeight: w, ignoreIndex: i })` before its per-sample mean
 * (for `(N, C)` the default axis −1 is PyTorch's axis 1). PyTorch's default `ignore_index` is
 * −100; gloss ignores nothing unless asked, so a −100 label is a ValueError rather than silently
 * skipped: pass `ignoreIndex: -100` to keep PyTorch's behaviour.
 *
 * **Gradient**: −w_{y_r} at each row's label entry, 0 elsewhere and on ignored rows. A recorded
 * call that differentiates only `logProb`, with the class axis last, computes it during the
 * forward (one pass; the backward hands it on).
 *
 * **Stability**: no exponentials or logarithms: the loss is exact. An ignored row gives 0 even
 * when its log-probabilities are NaN or −Infinity; a −Infinity at the label gives +Infinity.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.NLLLoss({ classWeight: [1, 2], ignoreIndex: -1 });
 * loss.forward(nd.array([[-0.5, -1], [-2, -0.1], [-1, -1]]), nd.array([1, 0, -1])); // [2 2 0]
 * ```
 */
export class NLLLoss extends Loss<NLLExtra, undefined> {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'NLLLoss';

  readonly inputNames: readonly string[] = ['logProb', 'label', 'sampleWeight'];
  /** The class axis as given (may be negative). */
  readonly axis: number;
  /** The per-class weights, or null. */
  readonly classWeight: Float64Array | null;
  /** The ignored label value, or null. */
  readonly ignoreIndex: number | null;

  constructor(options: NLLLossOptions = {}) {
    super(options, ['axis', 'classWeight', 'ignoreIndex']);
    this.axis = integerOption(this.name, 'axis', options.axis, -1);
    const { classWeight, ignoreIndex } = options;
    this.classWeight =
      classWeight === undefined || classWeight === null
        ? null
        : perClassOption(this.name, 'classWeight', classWeight);
    if (ignoreIndex !== undefined && ignoreIndex !== null && !Number.isSafeInteger(ignoreIndex))
      throw new ValueError(
        `${this.name}: option ignoreIndex must be an integer or null, got ${String(ignoreIndex)}`,
      );
    this.ignoreIndex = ignoreIndex ?? null;
  }

  /** Labels are class indices: they get no gradient. */
  override get discreteInputs(): readonly string[] {
    return ['label'];
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<NLLExtra> {
    const logProb = inputs[0]!;
    const { axis, layout, lossShape, batchAxis, squeezedAxes } = classAxisLoss(
      this.name,
      logProb,
      this.axis,
      this.batchAxis,
    );
    const named = { name: 'logProb', shape: logProb.shape, axis };
    const labels = sparseClassLabels(this.name, inputs[1]!, named, this.ignoreIndex);
    if (this.classWeight) checkPerClassLength(this.name, 'classWeight', this.classWeight, named);
    const rowWeights = new Float64Array(labels.length);
    for (let r = 0; r < labels.length; r++) {
      const y = labels[r]!;
      rowWeights[r] = y === IGNORED_ROW ? 0 : this.classWeight ? this.classWeight[y]! : 1;
    }
    const extra: NLLExtra = { layout, axis, labels, rowWeights };
    return { arrays: [logProb], sources: [0], lossShape, batchAxis, extra, squeezedAxes };
  }

  /**
   * The divisor of the `'mean'` reduction: Σ w_{y_r} over the rows that are not ignored (their
   * count without `classWeight`), as PyTorch's `reduction='mean'`. A batch with nothing counted
   * has 0 here; the reduction then gives 0, not NaN.
   */
  protected override meanDenominator(prepared: Loss.Prepared<NLLExtra>): number {
    let total = 0;
    for (const w of prepared.extra!.rowWeights) total += w;
    return total;
  }

  // ℓ has one element per row, so the block [begin, end) of ℓ is the rows [begin, end).
  protected forwardBlock({ prepared, begin, end, out }: Loss.ForwardBlockCall<NLLExtra, undefined>): void {
    const { layout, labels, rowWeights } = prepared.extra!;
    const x = prepared.arrays[0]!.data;
    for (let r = begin, j = 0; r < end; r++, j++) {
      const y = labels[r]!;
      out[j] = y === IGNORED_ROW ? 0 : -rowWeights[r]! * x[classEntry(layout, r, y)]!;
    }
  }

  /** The one-pass path needs each sample's rows contiguous: the class axis last. */
  protected override canFuseGradient(prepared: Loss.Prepared<NLLExtra>): boolean {
    return prepared.extra!.layout.inner === 1;
  }

  // The same ℓ and logProb's gradient in one pass, for recorded calls (see Loss.forwardGradient):
  // a sample holds sampleSize / C consecutive rows; each counted row adds forwardBlock's term to
  // its sample's sum and gets −w_y · scale at its label entry, every other entry 0.
  protected override forwardGradient(call: Loss.ForwardGradientCall<NLLExtra, undefined>): void {
    const { prepared, sampleSize, scales, sums, gradient } = call;
    const { layout, labels, rowWeights } = prepared.extra!;
    const x = prepared.arrays[0]!.data;
    const classes = layout.size;
    const rowsPerSample = sampleSize / classes;
    gradient.fill(0);
    for (let sample = 0, r = 0; sample < scales.length; sample++) {
      const scale = scales[sample]!;
      let total = 0;
      for (const end = r + rowsPerSample; r < end; r++) {
        const y = labels[r]!;
        if (y === IGNORED_ROW) continue;
        const at = r * classes + y;
        total += -rowWeights[r]! * x[at]!;
        gradient[at] = -rowWeights[r]! * scale;
      }
      sums[sample] = total;
    }
  }

  // Each label entry belongs to one row (assigned); the other entries keep their zero.
  protected backwardBlock(call: Loss.BackwardBlockCall<NLLExtra, undefined>): void {
    const { prepared, begin, end, dLoss, grads } = call;
    const [dLogProb] = grads;
    if (!dLogProb) return;
    const { layout, labels, rowWeights } = prepared.extra!;
    for (let r = begin, j = 0; r < end; r++, j++) {
      const y = labels[r]!;
      if (y !== IGNORED_ROW) dLogProb[classEntry(layout, r, y)] = -rowWeights[r]! * dLoss[j]!;
    }
  }

  twin(prepared: Loss.Prepared<NLLExtra>): NDArray {
    const { axis, labels, rowWeights } = prepared.extra!;
    const logProb = prepared.arrays[0]!;
    const { lossShape } = prepared;
    const safeLabels = new NDArray(
      labels.map((y) => (y === IGNORED_ROW ? 0 : y)),
      lossShape,
    );
    const ignored = new NDArray(
      Float64Array.from(labels, (y) => (y === IGNORED_ROW ? 1 : 0)),
      lossShape,
    );
    const weights = new NDArray(Float64Array.from(rowWeights), lossShape);
    const picked = pick(logProb, safeLabels, axis, true);
    return where(ignored, 0, mul(neg(picked), weights.astype(logProb.dtype)));
  }
}
