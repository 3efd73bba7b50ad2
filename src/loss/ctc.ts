import { allocate, type DType, floatOf, type TypedArray } from '../ndarray/dtype.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { normal, type RandomGenerator } from '../ndarray/random.js';
import { logSoftmax } from '../ops/activation.js';
import { add, neg, where } from '../ops/elementwise.js';
import {
  broadcastTo,
  concat,
  expandDims,
  pick,
  reshape,
  sliceAxis,
  stack,
  transpose,
} from '../ops/movement.js';
import { logSumExp } from '../ops/reduce.js';
import { isFloatArray, softmaxGradientRows, softmaxRowNormalizers } from '../wasm/index.js';
import { rowMaximumIndex, sumExpShifted } from './_class-rows.js';
import {
  checkBoolean,
  checkChoice,
  checkRank,
  Loss,
  type LossOptions,
  type Prepared,
} from './_base/index.js';

/** Options of {@link CTCLoss}. There is no `batchAxis`: the batch axis follows `labelLayout`. */
export interface CTCLossOptions extends Omit<LossOptions, 'batchAxis'> {
  /** Layout of `pred`: `'NTC'` (default) for (batch, time, classes) or `'TNC'` for (time, batch, classes). */
  layout?: 'NTC' | 'TNC';
  /** Layout of `label`: `'NT'` (default) for (batch, width) or `'TN'` for (width, batch). */
  labelLayout?: 'NT' | 'TN';
  /**
   * Which class is the blank: `'last'` (default, Gluon) makes it `C − 1`, real labels `0 … C−2`
   * and padding `-1`; `'first'` makes it `0`, real labels `1 … C−1` and padding `0`.
   */
  blankLabel?: 'last' | 'first';
  /**
   * What an impossible alignment gives: false (default) returns +Infinity (PyTorch), true returns 0
   * (MXNet). Its gradient is zero either way.
   */
  zeroInfinity?: boolean;
  /** Scalar multiplier applied after `sampleWeight`; null (the default) means none. */
  weight?: number | null;
}

/** Everything the kernels need, decoded and validated once by `prepare`. */
interface CTCSetup {
  readonly batch: number;
  readonly time: number;
  readonly classes: number;
  /** Padded label width L. */
  readonly width: number;
  /**
   * Frame rows: the frame (b, t) is row `b · batchRowStride + t · timeRowStride` of pred viewed
   * as (N·T, C), i.e. starts at `row · C` (classes are contiguous).
   */
  readonly batchRowStride: number;
  readonly timeRowStride: number;
  readonly blank: number;
  /** The used labels of sample b at `b * width …`, already checked against the alphabet. */
  readonly labels: Int32Array;
  readonly labelLengths: Int32Array;
  readonly predLengths: Int32Array;
  /** 1 where the label fits in the sample's frames (label length + adjacent repeats ≤ frames). */
  readonly feasible: Uint8Array;
  readonly zeroInfinity: boolean;
}

/** What the block kernels share within one call (created once per call, reused by every block). */
interface CTCState {
  /** The sizes the buffers were made for: N, T and the padded label width L. */
  readonly batch: number;
  readonly time: number;
  readonly width: number;
  /**
   * Log-softmax normalisers of every frame, by frame row (`row · C` is the frame's offset in
   * pred): log y_t(k) = (x_t(k) − shift) − logSum.
   */
  readonly shift: Float64Array;
  readonly logSum: Float64Array;
  /** Sample b's α_t(s) at `(b·T + t)·S + s`: rescaled α̂ (LINEAR) or log α (LOG_SPACE). */
  readonly alphas: Float64Array;
  /** log C_t at `b·T + t`, so that log α_t(s) = log α̂_t(s) + log C_t (LINEAR). */
  readonly alphaLogScales: Float64Array;
  /** y_t(blank), y_t(l₁) … y_t(l_L) of sample b at `(b·T + t)·(L + 1)` (LINEAR). */
  readonly emissions: Float64Array;
  /** 1 at `b·T + t` where an emission of that frame underflowed (see linearForward). */
  readonly emissionUnderflows: Uint8Array;
  /** log p(label | pred) per sample. */
  readonly logLikelihoods: Float64Array;
  /** ZERO_GRADIENT, LINEAR or LOG_SPACE per sample, set by the forward (and by a backward fallback). */
  readonly modes: Uint8Array;
  /** Scratch of one sample: its extended label and allowed jumps (see extendLabel). */
  readonly extended: Int32Array;
  readonly skip: Uint8Array;
  /** Scratch of the backward pass: two β rows, the emission-weighted β ahead, the occupancies. */
  readonly beta: Float64Array;
  readonly betaNext: Float64Array;
  readonly ahead: Float64Array;
  readonly occupancy: Float64Array;
  /** One sample's dℓ·γ_t(s) at `t·S + s`, subtracted from the softmax term once β succeeded. */
  readonly gammas: Float64Array;
  /** Per-row gradient scales of one frame across a block's samples (TNC layout). */
  readonly rowScales: Float64Array;
}

const CTC_OPTIONS = ['layout', 'labelLayout', 'blankLabel', 'zeroInfinity'] as const;

/**
 * The twin's stand-in for log 0. A finite value keeps every logSumExp gradient finite
 * (exp(−∞ − (−∞)) would be NaN), and it is so far below any real log-probability that
 * log(e^a + e^DEAD) rounds to exactly a.
 */
const DEAD = -1e30;

/**
 * Connectionist Temporal Classification loss (Graves et al. 2006; MXNet's `CTCLoss`): the
 * negative log-likelihood of a label sequence summed over every frame alignment.
 *
 * $$ \ell_b = -\log \sum_{\pi \in B^{-1}(l_b)} \prod_{t < T_b} \operatorname{softmax}(\text{pred}[b, t, \cdot])_{\pi_t} $$
 *
 * then weighting.
 *
 * B collapses repeated symbols and then removes blanks, so an alignment π of length T_b emits
 * the label l_b (e.g. `a a – b – –` → `a b`). The sum runs over the extended
 * label `– l₁ – l₂ … l_L –` (length S = 2L+1) with the forward (α) recursion.
 *
 * **Inputs**:
 * - `pred`: unnormalised activations (logits), real, shape (N, T, C) for `layout: 'NTC'` or
 *   (T, N, C) for `'TNC'`. The loss applies log-softmax over C itself. C counts the blank.
 * - `label`: integer class indices (int32 or a float array holding integers), shape (N, L) for
 *   `labelLayout: 'NT'` or (L, N) for `'TN'`, with L ≤ T. Without `labelLengths` a row ends at
 *   its first padding value (-1 with the blank last, 0 with the blank first) and everything after
 *   it is ignored.
 * - `predLengths` (optional, N integers in [0, T]): frames used per sample (default T).
 * - `labelLengths` (optional, N integers in [0, L]): labels used per sample; the rest of the row
 *   is ignored whatever it holds.
 * - `sampleWeight` (optional): (N,) or broadcastable to (N,) without enlarging it.
 *
 * **Output**: shape (N,): −log p(label | pred) in nats per sample, not normalised by T or L,
 * times `sampleWeight` and `weight`. An empty label gives −Σ_t log softmax(pred)[blank].
 *
 * **Options**: `layout` ('NTC'), `labelLayout` ('NT'), `blankLabel` ('last'), `zeroInfinity`
 * (false), `weight` (null). No `batchAxis`: the loss is always (N,).
 *
 * **Infeasible samples**: when a label cannot be aligned (its length plus its adjacent repeats
 * exceeds the sample's frames, or every alignment has probability 0) the loss is +Infinity, or 0
 * with `zeroInfinity`, and that sample's gradient is 0. Other samples are unaffected.
 *
 * **Gradient** (w.r.t. the activations): `dℓ · (softmax(pred[b,t]) − γ_t)`, where γ_t(k) is the
 * posterior probability that an alignment emits k at frame t; each row sums to 0, and frames
 * t ≥ predLengths[b] get 0. Labels and lengths get no gradient.
 *
 * **Errors**: `ShapeError` for a `pred` that is not 3-D, a `label` that is not 2-D, batch sizes
 * that differ, lengths without N elements, or L > T. `ValueError` for a used label outside the
 * alphabet (negative, the blank, ≥ C or not an integer), lengths outside their range or not
 * integers, and unknown option values.
 *
 * **Stability**: the frame softmax is shifted by the frame maximum; α and β run in linear space
 * rescaled every frame (log p is the sum of the log scales), which needs no exp or log per state,
 * and a sample whose rescaled recursion underflows where it could matter, sums to 0 or is not
 * finite (−∞ logits on every path, ±1e30 activations, NaN) runs in log space instead (log-sum-exp
 * with −∞ as identity). Either way logits of ±1e4 give finite losses and gradients; the cost is
 * O(T·(2L+1)) per sample plus two passes over the logits (the normalisers, and the softmax term
 * of the gradient).
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.CTCLoss();           // blank = class C − 1 = 3
 * const pred = nd.ones([2, 20, 4]);                // (N, T, C) logits
 * const label = nd.array([[1, 0, -1, -1], [2, 1, 1, -1]]);
 * loss.forward(pred, label);                       // [18.8282 16.5058]
 * ```
 */
export class CTCLoss extends Loss {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'CTCLoss';

  readonly inputNames: readonly string[] = ['pred', 'label', 'predLengths', 'labelLengths', 'sampleWeight'];
  /** Layout of `pred`. */
  readonly layout: 'NTC' | 'TNC';
  /** Layout of `label`. */
  readonly labelLayout: 'NT' | 'TN';
  /** Which class is the blank. */
  readonly blankLabel: 'last' | 'first';
  /** Whether an infeasible sample gives 0 instead of +Infinity. */
  readonly zeroInfinity: boolean;

  constructor(options: CTCLossOptions = {}) {
    const given: unknown = options;
    const isObject = typeof given === 'object' && given !== null;
    if (isObject && (given as { batchAxis?: unknown }).batchAxis !== undefined) {
      throw new ValueError('CTCLoss: there is no batchAxis option; the batch axis follows labelLayout');
    }
    // Gluon's batch_axis is the position of N in label_layout; the loss itself is always (N,).
    const batchAxis = isObject && (given as CTCLossOptions).labelLayout === 'TN' ? 1 : 0;
    super(isObject ? { ...options, batchAxis } : (given as LossOptions), CTC_OPTIONS);
    this.layout = checkChoice(this.name, 'layout', options.layout === undefined ? 'NTC' : options.layout, [
      'NTC',
      'TNC',
    ]);
    this.labelLayout = checkChoice(
      this.name,
      'labelLayout',
      options.labelLayout === undefined ? 'NT' : options.labelLayout,
      ['NT', 'TN'],
    );
    this.blankLabel = checkChoice(
      this.name,
      'blankLabel',
      options.blankLabel === undefined ? 'last' : options.blankLabel,
      ['last', 'first'],
    );
    this.zeroInfinity = checkBoolean(
      this.name,
      'zeroInfinity',
      options.zeroInfinity === undefined ? false : options.zeroInfinity,
    );
  }

  // ---- validation ------------------------------------------------------------------------

  protected prepare(inputs: readonly (NDArray | null)[]): Prepared {
    const where = this.name;
    const pred = inputs[0]!;
    const label = inputs[1]!;
    const predLengths = inputs[2] ?? null;
    const labelLengths = inputs[3] ?? null;
    checkRank(where, 'pred', pred, 3, this.layout === 'NTC' ? '(N, T, C)' : '(T, N, C)');
    checkRank(where, 'label', label, 2, this.labelLayout === 'NT' ? '(N, L)' : '(L, N)');
    const ntc = this.layout === 'NTC';
    const batch = pred.shape[ntc ? 0 : 1]!;
    const time = pred.shape[ntc ? 1 : 0]!;
    const classes = pred.shape[2]!;
    const nt = this.labelLayout === 'NT';
    const labelBatch = label.shape[nt ? 0 : 1]!;
    const width = label.shape[nt ? 1 : 0]!;
    if (classes < 1) {
      throw new ShapeError(
        `${where}: pred ${formatShape(pred.shape)} has no classes; C must count at least the blank`,
      );
    }
    if (labelBatch !== batch) {
      throw new ShapeError(
        `${where}: label ${formatShape(label.shape)} (${this.labelLayout}) holds ${labelBatch} sequences but pred ` +
          `${formatShape(pred.shape)} (${this.layout}) holds ${batch}`,
      );
    }
    if (width > time) {
      throw new ShapeError(
        `${where}: label width L = ${width} (label ${formatShape(label.shape)}) exceeds the sequence length ` +
          `T = ${time} (pred ${formatShape(pred.shape)}); CTC needs L <= T`,
      );
    }
    const frames = readLengths(where, 'predLengths', predLengths, batch, time, 'T');
    const used = readLengths(where, 'labelLengths', labelLengths, batch, width, 'L');

    const blank = this.blankLabel === 'last' ? classes - 1 : 0;
    const padding = this.blankLabel === 'last' ? -1 : 0;
    const lowest = this.blankLabel === 'last' ? 0 : 1;
    const highest = this.blankLabel === 'last' ? classes - 2 : classes - 1;
    const labels = new Int32Array(batch * width);
    const labelLengthsOut = new Int32Array(batch);
    const predLengthsOut = new Int32Array(batch);
    const feasible = new Uint8Array(batch);
    const values = label.data;
    for (let b = 0; b < batch; b++) {
      let length = 0;
      for (let j = 0; j < width; j++) {
        const value = values[nt ? b * width + j : j * batch + b]!;
        if (used) {
          if (j >= used[b]!) break;
        } else if (value === padding) {
          break;
        }
        if (!Number.isInteger(value) || value < lowest || value > highest) {
          throw new ValueError(
            `${where}: label value ${value} of sample ${b} at position ${j} is outside the alphabet; with ` +
              `blankLabel '${this.blankLabel}' and C = ${classes} the labels are integers in [${lowest}, ${highest}] ` +
              `(class ${blank} is the blank${used ? '' : `, ${padding} pads`})`,
          );
        }
        labels[b * width + j] = value;
        length++;
      }
      labelLengthsOut[b] = length;
      predLengthsOut[b] = frames ? frames[b]! : time;
      let repeats = 0;
      for (let j = 1; j < length; j++) if (labels[b * width + j] === labels[b * width + j - 1]) repeats++;
      feasible[b] = length + repeats <= predLengthsOut[b]! ? 1 : 0;
    }
    const setup: CTCSetup = {
      batch,
      time,
      classes,
      width,
      batchRowStride: ntc ? time : 1,
      timeRowStride: ntc ? 1 : batch,
      blank,
      labels,
      labelLengths: labelLengthsOut,
      predLengths: predLengthsOut,
      feasible,
      zeroInfinity: this.zeroInfinity,
    };
    const arrays = [pred, label];
    const sources = [0, 1];
    if (predLengths) {
      arrays.push(predLengths);
      sources.push(2);
    }
    if (labelLengths) {
      arrays.push(labelLengths);
      sources.push(3);
    }
    return { arrays, sources, lossShape: [batch], batchAxis: 0, extra: setup };
  }

  // ---- fused kernels ---------------------------------------------------------------------

  /**
   * α for every sample (O(N·T·S), as the recursion needs), frame normalisers, and scratch rows.
   * A training loop calls the loss with the same sizes every step, and allocating these afresh
   * costs more than the recursion where fresh memory is slow to fault in, so the state of a
   * finished call is reused (see CallMemory: a call gives its state back only once nothing can
   * read it). Every element the kernels read is written first in the call.
   */
  protected override createState(prepared: Prepared): CTCState {
    const { batch, time, width } = prepared.extra as CTCSetup;
    return this.callMemory.take(stateKind(batch, time, width), () => allocateState(batch, time, width));
  }

  protected override releaseState(state: unknown): void {
    const { batch, time, width } = state as CTCState;
    this.callMemory.giveBack(stateKind(batch, time, width), state as CTCState);
  }

  /*
   * Forward, per sample b with T_b frames and extended label l' (S = 2L_b + 1 states):
   *   y_t(k) = softmax(x_t)(k),  log y_t(k) = (x_t(k) − shift_t) − logSum_t
   *   (the normalisers of every frame come from one kernel call)
   *   α_0(0) = y_0(blank),  α_0(1) = y_0(l'_1),  α_0(s > 1) = 0
   *   α_t(s) = y_t(l'_s) · (α_{t−1}(s) + α_{t−1}(s−1) + α_{t−1}(s−2) if l'_s ≠ blank and l'_s ≠ l'_{s−2})
   *   p = α_{T_b−1}(S−1) + α_{T_b−1}(S−2),  ℓ = −log p
   * α includes the emission at t. The recursion runs in linear space, rescaled every frame
   * (Rabiner's scaling): α̂_t = α_t / C_t with C_t = Π_{τ≤t} c_τ and c_t the sum of the frame's
   * unscaled values, so log p = Σ_t log c_t + log(α̂(S−1) + α̂(S−2)) — no exp or log per state.
   * Samples the rescaled recursion cannot carry (see linearForward) run the same recursion in log
   * space instead, combining by log-sum-exp with −∞ as the identity. α is kept whole (O(T·S) per
   * sample) in the state for the backward. ℓ is (N,): the block [begin, end) is the samples.
   */
  protected forwardBlock(
    prepared: Prepared,
    state: unknown,
    begin: number,
    end: number,
    out: Float64Array,
  ): void {
    const setup = prepared.extra as CTCSetup;
    const ctc = state as CTCState;
    const x = prepared.arrays[0]!.data;
    frameNormalizers(setup, ctc, x, begin, end);
    for (let b = begin, j = 0; b < end; b++, j++) {
      ctc.modes[b] = ZERO_GRADIENT;
      if (!setup.feasible[b]) {
        out[j] = setup.zeroInfinity ? 0 : Number.POSITIVE_INFINITY;
        continue;
      }
      const count = extendLabel(setup, b, ctc.extended, ctc.skip);
      let mode = LINEAR;
      let logP = this.linearSpace ? linearForward(setup, ctc, x, b, count) : null;
      if (logP === null) {
        mode = LOG_SPACE;
        logP = logSpaceForward(setup, ctc, x, b, count);
      }
      if (logP === Number.NEGATIVE_INFINITY) {
        // Feasible by length, but every alignment has probability 0 (−∞ logits): infeasible too.
        out[j] = setup.zeroInfinity ? 0 : Number.POSITIVE_INFINITY;
        continue;
      }
      ctc.modes[b] = mode;
      ctc.logLikelihoods[b] = logP;
      out[j] = -logP;
    }
    this.observeModes(ctc.modes, 'forward');
  }

  /**
   * Whether samples may take the rescaled linear-space recursion (true). A subclass may turn it
   * off to run every sample in log space: the tests compare both paths that way.
   */
  protected get linearSpace(): boolean {
    return true;
  }

  /**
   * Sees the call's per-sample recursion modes (0 gradient 0, 1 linear space, 2 log space) after
   * each forward and backward block; does nothing here. The tests override it to see which path ran.
   */
  protected observeModes(_modes: Uint8Array, _after: 'forward' | 'backward'): void {}

  /*
   * Backward, per sample: β_t(s) = p(rest of the label after frame t | state s at t), the mirror
   * of α *without* the emission at t:
   *   β_{T_b−1}(S−1) = β_{T_b−1}(S−2) = 1, other states 0
   *   β_t(s) = Σ over s' ∈ {s, s+1, s+2 if that jump is allowed} of y_{t+1}(l'_{s'}) · β_{t+1}(s')
   * so α_t(s) · β_t(s) is the probability of all alignments through state s at t. Every
   * alignment passes through exactly one state per frame, so Σ_s α_t(s)·β_t(s) = p at every t
   * and the posterior occupancy is
   *   γ_t(k) = Σ_{s : l'_s = k} α_t(s)·β_t(s) / Σ_s α_t(s)·β_t(s).
   * Normalising per frame (instead of dividing by the forward p) is the same in exact arithmetic,
   * and makes the per-frame scales of α̂ and β̂ cancel. Since ℓ = −log p with
   * log y = x − logsumexp(x), ∂ℓ/∂x_t(k) = y_t(k) − γ_t(k), and each row sums to 0. The softmax
   * term dℓ·y_t is written by the kernel layer (one call per sample, or per frame for TNC); each
   * sample's dℓ·γ terms are then subtracted (only S of them per frame). β runs in linear space with two rescaled rows when the
   * forward did, and falls back to log space (converting the sample's α) when the rescaled
   * β cannot be trusted. Every entry of pred belongs to one sample, so to one ℓ element.
   */
  protected backwardBlock(
    prepared: Prepared,
    state: unknown,
    begin: number,
    end: number,
    dLoss: Float64Array,
    [dPred]: readonly (TypedArray | null)[],
  ): void {
    const x = prepared.arrays[0]!.data;
    if (!dPred || !isFloatArray(dPred) || !isFloatArray(x)) return;
    const setup = prepared.extra as CTCSetup;
    const ctc = state as CTCState;
    // The terms dℓ·y and dℓ·γ are stored (and subtracted) in dPred's dtype. In float32 a dℓ near
    // 3.4e38 (huge weights) overflows dℓ·y although dℓ·(y − γ) fits: such samples run with dℓ
    // scaled down by a power of two, and their gradient is scaled back up at the end (exact).
    const scaled = dPred instanceof Float32Array ? largeScales(dLoss, end - begin) : null;
    const scales = scaled ?? dLoss;
    writeSoftmaxTerms(setup, ctc, x, begin, end, scales, dPred);
    for (let b = begin, j = 0; b < end; b++, j++) {
      if (ctc.modes[b] === ZERO_GRADIENT) continue;
      const count = extendLabel(setup, b, ctc.extended, ctc.skip);
      const scale = scales[j]!;
      if (ctc.modes[b] === LINEAR && !linearBackward(setup, ctc, b, count, scale)) {
        alphasToLogSpace(setup, ctc, b, count);
        ctc.modes[b] = LOG_SPACE;
      }
      if (ctc.modes[b] === LOG_SPACE) logSpaceBackward(setup, ctc, x, b, count, scale);
      subtractOccupancies(setup, ctc, b, count, dPred);
      if (scale !== dLoss[j]) rescaleSample(setup, b, dPred, dLoss[j]! / scale);
    }
    this.observeModes(ctc.modes, 'backward');
  }

  // ---- the composed twin -----------------------------------------------------------------

  /**
   * The same α recursion built from differentiable ops (log-softmax, pick, concat, stack,
   * logSumExp, where), vectorised over the batch: one step per frame on an (S, N) state array
   * (states first, so every shift is a slice along the leading axis). log 0 is the finite
   * {@link DEAD}; a sample's states stop changing after its last frame. Infeasible samples (by
   * length) give +Infinity (or 0 with `zeroInfinity`) through a select, so their gradient is 0 as
   * in the fused kernel. A sample whose every alignment has probability exactly 0 (−∞ logits on
   * its path) gives about 1e30 here instead of +Infinity.
   */
  twin(prepared: Prepared): NDArray {
    const setup = prepared.extra as CTCSetup;
    const { batch, time, classes, blank, labelLengths, predLengths, feasible } = setup;
    const pred = prepared.arrays[0]!;
    const dtype = floatOf(pred.dtype);
    const logProbs = logSoftmax(this.layout === 'TNC' ? pred : transpose(pred, [1, 0, 2]), -1); // (T, N, C)
    let longest = 0;
    let frames = 0;
    for (let b = 0; b < batch; b++) {
      longest = Math.max(longest, labelLengths[b]!);
      frames = Math.max(frames, predLengths[b]!);
    }
    const states = 2 * longest + 1;
    const extended = new Int32Array(states);
    const skip = new Uint8Array(states);
    // Constant tables, (S, N): class of each state (blank past a sample's end), allowed jumps,
    // and the virtual frame before t = 0, which sits in state 0 with probability 1.
    const classOf = new Int32Array(states * batch).fill(blank);
    const jumpAllowed = constant(dtype, [states, batch], 0);
    const start = constant(dtype, [states, batch], DEAD);
    for (let b = 0; b < batch; b++) {
      const count = extendLabel(setup, b, extended, skip);
      for (let s = 0; s < count; s++) {
        classOf[s * batch + b] = extended[s]!;
        jumpAllowed.data[s * batch + b] = skip[s]!;
      }
      start.data[b] = 0;
    }
    // emissions[t, s, b] = log y_t(l'_s) of sample b: pick along C of the log-probs spread over S.
    const classIndex = new NDArray(new Int32Array(time * states * batch), [time, states, batch]);
    for (let t = 0; t < time; t++) classIndex.data.set(classOf, t * states * batch);
    const spread = broadcastTo(expandDims(logProbs, 1), [time, states, batch, classes]);
    const emissions = pick(spread, classIndex, 3);
    const deadRow = constant(dtype, [1, batch], DEAD);
    const deadRows = constant(dtype, [2, batch], DEAD);
    let alpha: NDArray = start;
    for (let t = 0; t < frames; t++) {
      const candidates = [alpha];
      candidates.push(states > 1 ? concat([deadRow, sliceAxis(alpha, 0, 0, states - 1)], 0) : deadRow);
      if (states > 2) {
        const shifted = concat([deadRows, sliceAxis(alpha, 0, 0, states - 2)], 0);
        candidates.push(where(jumpAllowed, shifted, DEAD));
      }
      const emission = reshape(sliceAxis(emissions, 0, t, t + 1), [states, batch]);
      const next = add(logSumExp(stack(candidates, 0), 0), emission);
      const active = constant(dtype, [1, batch], 0);
      let allActive = true;
      for (let b = 0; b < batch; b++) {
        active.data[b] = t < predLengths[b]! ? 1 : 0;
        allActive &&= t < predLengths[b]!;
      }
      alpha = allActive ? next : where(active, next, alpha);
    }
    // log p = lse(α(S_b − 1), α(S_b − 2)), the second only when the label is not empty.
    const lastState = new NDArray(new Int32Array(batch), [batch]);
    const beforeLast = new NDArray(new Int32Array(batch), [batch]);
    const hasLabel = constant(dtype, [batch], 0);
    for (let b = 0; b < batch; b++) {
      lastState.data[b] = 2 * labelLengths[b]!;
      beforeLast.data[b] = Math.max(0, 2 * labelLengths[b]! - 1);
      hasLabel.data[b] = labelLengths[b]! > 0 ? 1 : 0;
    }
    const ends = stack([pick(alpha, lastState, 0), where(hasLabel, pick(alpha, beforeLast, 0), DEAD)], 0);
    const loss = neg(logSumExp(ends, 0));
    if (feasible.every((f) => f === 1)) return loss;
    const feasibleMask = constant(dtype, [batch], 0);
    feasibleMask.data.set(feasible);
    return where(feasibleMask, loss, setup.zeroInfinity ? 0 : Number.POSITIVE_INFINITY);
  }

  /**
   * Three sequences of 6 frames over 4 classes (blank last) with random labels of length 0–3,
   * padded with -1; with `extreme`, logits of that magnitude.
   */
  sampleInputs(generator: RandomGenerator, dtype: DType, extreme?: number): (NDArray | null)[] | null {
    const batch = 3;
    const width = 3;
    const pred = normal(0, extreme ?? 1, [batch, 6, 4], { dtype, generator });
    const label = new NDArray(new Int32Array(batch * width).fill(-1), [batch, width]);
    for (let b = 0; b < batch; b++) {
      const length = generator.nextInt(0, width + 1);
      for (let j = 0; j < length; j++) label.data[b * width + j] = generator.nextInt(0, 3);
    }
    return [pred, label];
  }
}

/** Fresh state buffers for `batch` samples of `time` frames and labels up to `width` long. */
/** The CallMemory kind of a state for `batch` samples of `time` frames and labels of `width`. */
function stateKind(batch: number, time: number, width: number): string {
  return `ctc-state ${batch}x${time}x${width}`;
}

function allocateState(batch: number, time: number, width: number): CTCState {
  const states = 2 * width + 1;
  return {
    batch,
    time,
    width,
    shift: new Float64Array(batch * time),
    logSum: new Float64Array(batch * time),
    alphas: new Float64Array(batch * time * states),
    alphaLogScales: new Float64Array(batch * time),
    emissions: new Float64Array(batch * time * (width + 1)),
    emissionUnderflows: new Uint8Array(batch * time),
    logLikelihoods: new Float64Array(batch),
    modes: new Uint8Array(batch),
    extended: new Int32Array(states),
    skip: new Uint8Array(states),
    beta: new Float64Array(states),
    betaNext: new Float64Array(states),
    ahead: new Float64Array(states + 2),
    occupancy: new Float64Array(states),
    gammas: new Float64Array(time * states),
    rowScales: new Float64Array(batch),
  };
}

// ---- CTC kernels ---------------------------------------------------------------------------

/** Per-sample mode: gradient 0 by definition (no alignment has non-zero probability). */
const ZERO_GRADIENT = 0;
/** α (and β) in rescaled linear space. */
const LINEAR = 1;
/** α (and β) in log space: the fallback for samples the rescaled recursion cannot carry. */
const LOG_SPACE = 2;

/** The smallest normal float64: a value below it has lost relative precision (or is 0). */
const MIN_NORMAL = 2 ** -1022;
/** Σ_s α̂_t(s)·β̂_t(s) must be at least this for the products' underflow to be negligible. */
const OCCUPANCY_FLOOR = 2 ** -960;

/**
 * How far the scale of a frame where the rescaled recursion underflowed may exceed p (both as
 * logs) for the linear-space result to be trusted.
 *
 * Derivation: every α_t(s) and β_t(s) is at most 1 (distinct state paths from one state emit
 * distinct class sequences, and the probabilities of all class sequences of a frame range sum
 * to 1), and p is linear in each α_t(s) with coefficient β_t(s) ≤ 1 (the same for β). A value
 * that underflowed (flushed to 0, subnormal, or a subnormal emission) is off by at most
 * 4 · 2^−1022 in the units of its frame, 4·2^−1022·e^{scale} absolutely, so with at most
 * frames·(3·count + 1) such values the relative error of p (and of γ) is at most
 * frames·(3·count + 1) · 2^−1020 · e^{worst − log p}. Requiring worst − log p ≤ 960·ln 2 −
 * log(frames·(3·count + 1)) keeps it below 2^−60. Without any underflow there is no bound to
 * check: sums and products of positive numbers lose only rounding.
 */
function underflowMargin(frames: number, count: number): number {
  return 960 * Math.LN2 - Math.log(frames * (3 * count + 1));
}

/** Index in a frame's emissions (blank, l_1 … l_L) of extended-label state s. */
function emissionIndex(s: number): number {
  return (s & 1) === 0 ? 0 : (s + 1) >> 1;
}

/** The states of frame t that matter: reachable by t (s ≤ 2t+1) and able to reach the end (s ≥ S − 2(T_b − t)). */
function windowLow(count: number, frames: number, t: number): number {
  return Math.max(0, count - 2 * (frames - t));
}

function windowHigh(count: number, t: number): number {
  return Math.min(count - 1, 2 * t + 1);
}

/**
 * The log-softmax normalisers of every frame of samples [begin, end) into the state, by row
 * (row · C is the frame's offset in pred): one kernel call for the NTC layout (the samples'
 * frames are contiguous), one per frame for TNC. Integer activations use the same formulas in
 * TypeScript.
 */
function frameNormalizers(setup: CTCSetup, ctc: CTCState, x: TypedArray, begin: number, end: number): void {
  const { batch, time, classes, timeRowStride } = setup;
  const { shift, logSum } = ctc;
  if (isFloatArray(x)) {
    if (timeRowStride === 1) {
      softmaxRowNormalizers(
        x,
        begin * time * classes,
        (end - begin) * time,
        classes,
        shift,
        logSum,
        begin * time,
      );
    } else {
      for (let t = 0; t < time; t++) {
        const row = t * batch + begin;
        softmaxRowNormalizers(x, row * classes, end - begin, classes, shift, logSum, row);
      }
    }
    return;
  }
  for (let b = begin; b < end; b++) {
    for (let t = 0; t < time; t++) {
      const row = b * setup.batchRowStride + t * timeRowStride;
      const base = row * classes;
      const at = rowMaximumIndex(x, base, classes);
      const maximum = x[base + at]!;
      if (maximum - maximum === 0) {
        shift[row] = maximum;
        logSum[row] = Math.log1p(sumExpShifted(x, base, classes, maximum, at));
      } else {
        shift[row] = 0;
        logSum[row] = Math.log(sumExpShifted(x, base, classes, 0));
      }
    }
  }
}

/**
 * The rescaled linear-space α recursion of sample b (see forwardBlock): writes α̂ and log C_t
 * into the state and returns log p, or null when the result cannot be trusted — a frame whose
 * values sum to 0, to less than the smallest normal float or to something not finite (−∞ or
 * huge logits, NaN), or underflow at frames whose scale is too far above p (underflowMargin).
 * Emissions are computed once per frame and class in float64 and kept for the backward.
 */
function linearForward(
  setup: CTCSetup,
  ctc: CTCState,
  x: TypedArray,
  b: number,
  count: number,
): number | null {
  const frames = setup.predLengths[b]!;
  if (frames === 0) return 0; // no frames and (feasibility) no labels: the empty alignment
  const { time, width, classes, blank, labels, batchRowStride, timeRowStride } = setup;
  const { shift, logSum, alphas, alphaLogScales, emissions, emissionUnderflows, skip } = ctc;
  const states = 2 * width + 1;
  const emissionWidth = width + 1;
  const labelCount = (count - 1) >> 1;
  const labelBase = b * width;
  let logScale = 0; // log C_{t−1}
  let worst = Number.NEGATIVE_INFINITY; // the largest scale of a frame with an underflow
  for (let t = 0; t < frames; t++) {
    const frameRow = b * batchRowStride + t * timeRowStride;
    const base = frameRow * classes;
    const frameShift = shift[frameRow]!;
    const frameLogSum = logSum[frameRow]!;
    const at = (b * time + t) * emissionWidth;
    let underflow = false;
    for (let k = 0; k <= labelCount; k++) {
      const logEmission =
        x[base + (k === 0 ? blank : labels[labelBase + k - 1]!)]! - frameShift - frameLogSum;
      const emission = Math.exp(logEmission);
      emissions[at + k] = emission;
      // A subnormal or flushed emission that is not an exact 0 (a −∞ logit).
      if (emission < MIN_NORMAL && logEmission !== Number.NEGATIVE_INFINITY) underflow = true;
    }
    emissionUnderflows[b * time + t] = underflow ? 1 : 0;
    const row = (b * time + t) * states;
    const low = windowLow(count, frames, t);
    const high = windowHigh(count, t);
    alphas.fill(0, row, row + count);
    let total = 0;
    if (t === 0) {
      for (let s = low; s <= high; s++) {
        const value = emissions[at + emissionIndex(s)]!;
        alphas[row + s] = value;
        total += value;
      }
    } else {
      const previous = row - states;
      for (let s = low; s <= high; s++) {
        let paths = alphas[previous + s]!;
        if (s > 0) paths += alphas[previous + s - 1]!;
        if (skip[s]) paths += alphas[previous + s - 2]!;
        const emission = emissions[at + emissionIndex(s)]!;
        const value = emission * paths;
        alphas[row + s] = value;
        total += value;
        if (value < MIN_NORMAL && paths !== 0 && emission !== 0) underflow = true;
      }
    }
    if (!(total >= MIN_NORMAL && total < Number.POSITIVE_INFINITY)) return null;
    const inverse = 1 / total;
    for (let s = low; s <= high; s++) {
      const value = alphas[row + s]!;
      const scaled = value * inverse;
      alphas[row + s] = scaled;
      if (scaled < MIN_NORMAL && value !== 0) underflow = true;
    }
    const nextScale = logScale + Math.log(total);
    if (underflow) worst = Math.max(worst, logScale, nextScale);
    alphaLogScales[b * time + t] = nextScale;
    logScale = nextScale;
  }
  const last = (b * time + frames - 1) * states;
  const ending = count > 1 ? alphas[last + count - 1]! + alphas[last + count - 2]! : alphas[last]!;
  if (!(ending > 0)) return null;
  const logP = logScale + Math.log(ending);
  return worst - logP <= underflowMargin(frames, count) ? logP : null;
}

/**
 * The log-space α recursion of sample b (the fallback, for any logits): writes log α into the
 * state and returns log p (−∞ when every alignment has probability 0, NaN for NaN logits).
 */
function logSpaceForward(setup: CTCSetup, ctc: CTCState, x: TypedArray, b: number, count: number): number {
  const frames = setup.predLengths[b]!;
  if (frames === 0) return 0;
  const { time, width, classes, blank, batchRowStride, timeRowStride } = setup;
  const { shift, logSum, alphas, extended, skip } = ctc;
  const states = 2 * width + 1;
  const row0 = b * time * states;
  const frameRow0 = b * batchRowStride;
  const base0 = frameRow0 * classes;
  const norm0 = logSum[frameRow0]!;
  const shift0 = shift[frameRow0]!;
  alphas.fill(Number.NEGATIVE_INFINITY, row0, row0 + count);
  alphas[row0] = x[base0 + blank]! - shift0 - norm0;
  if (count > 1) alphas[row0 + 1] = x[base0 + extended[1]!]! - shift0 - norm0;
  for (let t = 1; t < frames; t++) {
    const previous = row0 + (t - 1) * states;
    const row = previous + states;
    const frameRow = b * batchRowStride + t * timeRowStride;
    const base = frameRow * classes;
    const frameShift = shift[frameRow]!;
    const frameLogSum = logSum[frameRow]!;
    const low = windowLow(count, frames, t);
    const high = windowHigh(count, t);
    alphas.fill(Number.NEGATIVE_INFINITY, row, row + count);
    for (let s = low; s <= high; s++) {
      const stay = alphas[previous + s]!;
      const advance = s > 0 ? alphas[previous + s - 1]! : Number.NEGATIVE_INFINITY;
      const paths = skip[s] ? logAddExp3(stay, advance, alphas[previous + s - 2]!) : logAddExp(stay, advance);
      alphas[row + s] = x[base + extended[s]!]! - frameShift - frameLogSum + paths;
    }
  }
  const last = row0 + (frames - 1) * states;
  return count > 1 ? logAddExp(alphas[last + count - 1]!, alphas[last + count - 2]!) : alphas[last]!;
}

/**
 * dℓ · softmax(x_t) into every frame of samples [begin, end) that has a gradient, in one kernel
 * call per sample (NTC: a sample's frames are contiguous rows) or per frame (TNC, with a
 * per-row scale, the rows without a gradient reset to 0 afterwards).
 */
function writeSoftmaxTerms(
  setup: CTCSetup,
  ctc: CTCState,
  x: Float32Array | Float64Array,
  begin: number,
  end: number,
  dLoss: Float64Array,
  dPred: Float32Array | Float64Array,
): void {
  const { batch, time, classes, predLengths, timeRowStride } = setup;
  const { shift, logSum, modes, rowScales } = ctc;
  if (timeRowStride === 1) {
    for (let b = begin, j = 0; b < end; b++, j++) {
      const frames = predLengths[b]!;
      if (modes[b] === ZERO_GRADIENT || frames === 0) continue;
      const row = b * time;
      softmaxGradientRows(
        x,
        row * classes,
        frames,
        classes,
        shift,
        logSum,
        row,
        dLoss[j]!,
        0,
        null,
        0,
        dPred,
        row * classes,
      );
    }
    return;
  }
  for (let t = 0; t < time; t++) {
    let any = false;
    for (let b = begin, j = 0; b < end; b++, j++) {
      const active = modes[b] !== ZERO_GRADIENT && t < predLengths[b]!;
      rowScales[j] = active ? dLoss[j]! : 0;
      any ||= active;
    }
    if (!any) continue;
    const row = t * batch + begin;
    softmaxGradientRows(
      x,
      row * classes,
      end - begin,
      classes,
      shift,
      logSum,
      row,
      rowScales,
      0,
      null,
      0,
      dPred,
      row * classes,
    );
    for (let b = begin; b < end; b++) {
      if (modes[b] === ZERO_GRADIENT || t >= predLengths[b]!) {
        const base = (t * batch + b) * classes;
        dPred.fill(0, base, base + classes);
      }
    }
  }
}

/**
 * The rescaled linear-space β recursion of sample b and its occupancies: writes
 * dℓ·γ_t(s) (0 outside each frame's window) into the state's `gammas`. Returns false, leaving
 * the caller to redo the sample in log space, when a frame's β or occupancy sum is 0, too small
 * or not finite, or underflow happened at frames whose scale is too far above p.
 */
function linearBackward(setup: CTCSetup, ctc: CTCState, b: number, count: number, scale: number): boolean {
  const frames = setup.predLengths[b]!;
  const { time, width } = setup;
  const { alphas, emissions, emissionUnderflows, skip, ahead, occupancy, gammas } = ctc;
  const states = 2 * width + 1;
  const emissionWidth = width + 1;
  let beta = ctc.beta;
  let betaNext = ctc.betaNext;
  beta.fill(0, 0, count);
  for (let s = Math.max(0, count - 2); s < count; s++) beta[s] = 1;
  let logScale = 0; // log D_{t+1}: β_{t+1} = β̂_{t+1} · D_{t+1}
  let worst = Number.NEGATIVE_INFINITY;
  for (let t = frames - 1; t >= 0; t--) {
    const low = windowLow(count, frames, t);
    const high = windowHigh(count, t);
    if (t < frames - 1) {
      // beta holds β̂_{t+1}; ahead(s') = y_{t+1}(l'_{s'}) · β̂_{t+1}(s'), 0 past the end.
      const at = (b * time + t + 1) * emissionWidth;
      let underflow = emissionUnderflows[b * time + t + 1] === 1;
      const aheadEnd = Math.min(count - 1, high + 2);
      for (let s = low; s <= aheadEnd; s++) {
        const emission = emissions[at + emissionIndex(s)]!;
        const next = beta[s]!;
        const value = emission * next;
        ahead[s] = value;
        if (value < MIN_NORMAL && emission !== 0 && next !== 0) underflow = true;
      }
      ahead[aheadEnd + 1] = 0;
      ahead[aheadEnd + 2] = 0;
      betaNext.fill(0, 0, count);
      let total = 0;
      for (let s = low; s <= high; s++) {
        let value = ahead[s]! + ahead[s + 1]!;
        if (s + 2 < count && skip[s + 2]) value += ahead[s + 2]!;
        betaNext[s] = value;
        total += value;
      }
      if (!(total >= MIN_NORMAL && total < Number.POSITIVE_INFINITY)) return false;
      const inverse = 1 / total;
      for (let s = low; s <= high; s++) {
        const value = betaNext[s]!;
        const scaled = value * inverse;
        betaNext[s] = scaled;
        if (scaled < MIN_NORMAL && value !== 0) underflow = true;
      }
      const nextScale = logScale + Math.log(total);
      if (underflow) worst = Math.max(worst, logScale, nextScale);
      logScale = nextScale;
      const swap = beta;
      beta = betaNext;
      betaNext = swap;
    }
    const row = (b * time + t) * states;
    let total = 0;
    for (let s = low; s <= high; s++) {
      const joint = alphas[row + s]! * beta[s]!;
      occupancy[s] = joint;
      total += joint;
    }
    if (!(total >= OCCUPANCY_FLOOR && total < Number.POSITIVE_INFINITY)) return false;
    const factor = scale / total;
    for (let s = low; s <= high; s++) gammas[t * states + s] = factor * occupancy[s]!;
  }
  return worst - ctc.logLikelihoods[b]! <= underflowMargin(frames, count);
}

/** Turns sample b's rescaled α̂ into log α (log α̂ + log C_t) for the log-space backward. */
function alphasToLogSpace(setup: CTCSetup, ctc: CTCState, b: number, count: number): void {
  const { time, width } = setup;
  const { alphas, alphaLogScales } = ctc;
  const states = 2 * width + 1;
  for (let t = 0; t < setup.predLengths[b]!; t++) {
    const row = (b * time + t) * states;
    const logScale = alphaLogScales[b * time + t]!;
    for (let s = 0; s < count; s++) alphas[row + s] = Math.log(alphas[row + s]!) + logScale;
  }
}

/**
 * The log-space β recursion of sample b and its occupancies (the fallback): writes dℓ·γ_t(s) into
 * the state's `gammas`, 0 in a frame where every α + β is −∞ (or NaN).
 */
function logSpaceBackward(
  setup: CTCSetup,
  ctc: CTCState,
  x: TypedArray,
  b: number,
  count: number,
  scale: number,
): void {
  const frames = setup.predLengths[b]!;
  const { time, width, classes, batchRowStride, timeRowStride } = setup;
  const { shift, logSum, alphas, extended, skip, ahead, occupancy, gammas } = ctc;
  const states = 2 * width + 1;
  let beta = ctc.beta;
  let betaNext = ctc.betaNext;
  for (let s = 0; s < count; s++) beta[s] = s >= count - 2 ? 0 : Number.NEGATIVE_INFINITY;
  for (let t = frames - 1; t >= 0; t--) {
    const low = windowLow(count, frames, t);
    const high = windowHigh(count, t);
    if (t < frames - 1) {
      // beta holds β_{t+1}; ahead(s') = log y_{t+1}(l'_{s'}) + β_{t+1}(s'), −∞ past the end.
      const frameRow = b * batchRowStride + (t + 1) * timeRowStride;
      const base = frameRow * classes;
      const norm = shift[frameRow]! + logSum[frameRow]!;
      const aheadEnd = Math.min(count - 1, high + 2);
      for (let s = low; s <= aheadEnd; s++) ahead[s] = x[base + extended[s]!]! - norm + beta[s]!;
      ahead[aheadEnd + 1] = Number.NEGATIVE_INFINITY;
      ahead[aheadEnd + 2] = Number.NEGATIVE_INFINITY;
      betaNext.fill(Number.NEGATIVE_INFINITY, 0, count);
      for (let s = low; s <= high; s++) {
        betaNext[s] =
          s + 2 < count && skip[s + 2]
            ? logAddExp3(ahead[s]!, ahead[s + 1]!, ahead[s + 2]!)
            : logAddExp(ahead[s]!, ahead[s + 1]!);
      }
      const swap = beta;
      beta = betaNext;
      betaNext = swap;
    }
    const row = (b * time + t) * states;
    let peak = Number.NEGATIVE_INFINITY;
    for (let s = low; s <= high; s++) {
      const joint = alphas[row + s]! + beta[s]!;
      occupancy[s] = joint;
      if (joint > peak) peak = joint;
    }
    if (peak === Number.NEGATIVE_INFINITY) {
      gammas.fill(0, t * states + low, t * states + high + 1);
      continue;
    }
    let total = 0;
    for (let s = low; s <= high; s++) {
      const share = Math.exp(occupancy[s]! - peak);
      occupancy[s] = share;
      total += share;
    }
    const factor = scale / total;
    for (let s = low; s <= high; s++) gammas[t * states + s] = factor * occupancy[s]!;
  }
}

/** Subtracts sample b's dℓ·γ terms (the state's `gammas`) from its frames of the gradient. */
function subtractOccupancies(
  setup: CTCSetup,
  ctc: CTCState,
  b: number,
  count: number,
  dPred: Float32Array | Float64Array,
): void {
  const frames = setup.predLengths[b]!;
  const { width, classes, batchRowStride, timeRowStride } = setup;
  const { extended, gammas } = ctc;
  const states = 2 * width + 1;
  for (let t = 0; t < frames; t++) {
    const base = (b * batchRowStride + t * timeRowStride) * classes;
    const high = windowHigh(count, t);
    for (let s = windowLow(count, frames, t); s <= high; s++)
      dPred[base + extended[s]!]! -= gammas[t * states + s]!;
  }
}

// ---- helpers ---------------------------------------------------------------------------------

/** Above this |dℓ| a float32 gradient row may overflow in its terms (see backwardBlock). */
const LARGE_SCALE = 2 ** 100;

/**
 * A copy of `dLoss[0 … length)` with every magnitude above LARGE_SCALE divided by 2^100 (exact),
 * or null when there is none (the usual case: no copy).
 */
function largeScales(dLoss: Float64Array, length: number): Float64Array | null {
  let out: Float64Array | null = null;
  for (let j = 0; j < length; j++) {
    if (Math.abs(dLoss[j]!) <= LARGE_SCALE) continue;
    out ??= dLoss.slice(0, length);
    out[j] = dLoss[j]! / LARGE_SCALE;
  }
  return out;
}

/** Multiplies sample b's gradient rows (its first predLengths[b] frames) by `factor`. */
function rescaleSample(setup: CTCSetup, b: number, dPred: Float32Array | Float64Array, factor: number): void {
  const { classes, batchRowStride, timeRowStride } = setup;
  for (let t = 0; t < setup.predLengths[b]!; t++) {
    const base = (b * batchRowStride + t * timeRowStride) * classes;
    for (let k = base; k < base + classes; k++) dPred[k] = dPred[k]! * factor;
  }
}

/**
 * log(e^a + e^b) = max + log1p(e^{min − max}): one exp and one log, nothing overflows. −∞ is the
 * identity and NaN propagates.
 */
function logAddExp(a: number, b: number): number {
  if (a < b) {
    const larger = b;
    b = a;
    a = larger;
  }
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a + Math.log1p(Math.exp(b - a));
}

/**
 * log(e^a + e^b + e^c) with the largest term factored out (two exps, one log). −∞ is the
 * identity; when every term is −∞ or NaN, a + b + c is −∞ or NaN as appropriate.
 */
function logAddExp3(a: number, b: number, c: number): number {
  if (b > a) {
    const larger = b;
    b = a;
    a = larger;
  }
  if (c > a) {
    const larger = c;
    c = a;
    a = larger;
  }
  if (a === Number.NEGATIVE_INFINITY) return a + b + c;
  return a + Math.log1p(Math.exp(b - a) + Math.exp(c - a));
}

/**
 * Writes sample b's extended label `– l₁ – l₂ … l_L –` into `extended` and, per state, whether
 * the jump from s − 2 is allowed (a label state whose label differs from the one two back).
 * Returns the number of states S = 2L + 1.
 */
function extendLabel(setup: CTCSetup, b: number, extended: Int32Array, skip: Uint8Array): number {
  const length = setup.labelLengths[b]!;
  const count = 2 * length + 1;
  const offset = b * setup.width;
  for (let s = 0; s < count; s++) {
    const isLabel = (s & 1) === 1;
    extended[s] = isLabel ? setup.labels[offset + ((s - 1) >> 1)]! : setup.blank;
    skip[s] = isLabel && s >= 3 && extended[s] !== extended[s - 2] ? 1 : 0;
  }
  return count;
}

/**
 * Reads an optional per-sample length array: N integers in [0, limit]. ShapeError for the wrong
 * element count, ValueError for a value out of range, non-integer or NaN.
 */
function readLengths(
  where: string,
  name: string,
  lengths: NDArray | null,
  batch: number,
  limit: number,
  limitName: string,
): Int32Array | null {
  if (!lengths) return null;
  if (lengths.size !== batch) {
    throw new ShapeError(
      `${where}: ${name} ${formatShape(lengths.shape)} must hold one length per sequence (${batch})`,
    );
  }
  const out = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const value = lengths.data[b]!;
    if (!Number.isInteger(value) || value < 0 || value > limit) {
      throw new ValueError(
        `${where}: ${name}[${b}] is ${value}; it must be an integer in [0, ${limitName}] = [0, ${limit}]`,
      );
    }
    out[b] = value;
  }
  return out;
}

/** A constant array of `shape` filled with `value` in the float type `dtype`. */
function constant(dtype: DType, shape: readonly number[], value: number): NDArray {
  const size = shape.reduce((p, d) => p * d, 1);
  const data = allocate(dtype, size);
  if (value !== 0) data.fill(value);
  return new NDArray(data, shape);
}
