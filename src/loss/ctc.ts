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
import { rowMaximumIndex, sumExpShifted, writeScaledExp } from './_class-rows.js';
import { checkBoolean, checkChoice, checkRank, Loss, type LossOptions, type Prepared } from './_loss.js';

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
  /** Distance in `pred.data` between consecutive samples and consecutive frames (classes are contiguous). */
  readonly batchStride: number;
  readonly timeStride: number;
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
  /** log α_t(s) for sample b at `((b·T + t)·(2L+1) + s)`, written by the forward blocks. */
  readonly alphas: Float64Array;
  /** log Σ_k exp(x[b,t,k]) at `b·T + t`: the log-softmax normaliser of every used frame. */
  readonly logNormalizers: Float64Array;
  /** 1 where the sample's gradient is zero by definition (no alignment has non-zero probability). */
  readonly zeroGradient: Uint8Array;
  /** Scratch of one sample: its extended label and allowed jumps (see extendLabel). */
  readonly extended: Int32Array;
  readonly skip: Uint8Array;
  /** Scratch of the backward pass: two β rows, the emission-weighted β ahead, the occupancies. */
  readonly beta: Float64Array;
  readonly betaNext: Float64Array;
  readonly ahead: Float64Array;
  readonly occupancy: Float64Array;
  /** Scratch: one frame's gradient in float64, written to the gradient once (one rounding). */
  readonly frame: Float64Array;
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
 *     ℓ_b = −log Σ_{π ∈ B⁻¹(l_b)} Π_{t < T_b} softmax(pred[b, t, ·])[π_t],   then weighting.
 *
 * B collapses repeated symbols and then removes blanks, so an alignment π of length T_b emits
 * the label l_b (e.g. `a a – b – –` → `a b`). The sum runs in log space over the extended
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
 * **Stability**: everything runs in log space — log-softmax with the frame maximum subtracted,
 * α/β combined by log-sum-exp with −∞ as identity — so logits of ±1e4 give finite losses and
 * gradients; the cost is O(T·(2L+1)) per sample plus one pass over the logits.
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
    this.layout = checkChoice(this.name, 'layout', options.layout ?? 'NTC', ['NTC', 'TNC']);
    this.labelLayout = checkChoice(this.name, 'labelLayout', options.labelLayout ?? 'NT', ['NT', 'TN']);
    this.blankLabel = checkChoice(this.name, 'blankLabel', options.blankLabel ?? 'last', ['last', 'first']);
    this.zeroInfinity = checkBoolean(this.name, 'zeroInfinity', options.zeroInfinity ?? false);
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
      batchStride: ntc ? time * classes : classes,
      timeStride: ntc ? classes : batch * classes,
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

  /** α for every sample (O(N·T·S), as the recursion needs), frame normalisers, and scratch rows. */
  protected override createState(prepared: Prepared): CTCState {
    const { batch, time, classes, width } = prepared.extra as CTCSetup;
    const states = 2 * width + 1;
    return {
      alphas: new Float64Array(batch * time * states),
      logNormalizers: new Float64Array(batch * time),
      zeroGradient: new Uint8Array(batch),
      extended: new Int32Array(states),
      skip: new Uint8Array(states),
      beta: new Float64Array(states),
      betaNext: new Float64Array(states),
      ahead: new Float64Array(states + 2),
      occupancy: new Float64Array(states),
      frame: new Float64Array(classes),
    };
  }

  /*
   * Forward, per sample b with T_b frames and extended label l' (S = 2L_b + 1 states):
   *   log y_t(k) = x_t(k) − log Σ_j e^{x_t(j)}                         (log-softmax, max shifted)
   *   α_0(0) = log y_0(blank),  α_0(1) = log y_0(l'_1),  α_0(s > 1) = −∞
   *   α_t(s) = log y_t(l'_s) + lse(α_{t−1}(s), α_{t−1}(s−1), α_{t−1}(s−2) if l'_s ≠ blank and l'_s ≠ l'_{s−2})
   *   log p = lse(α_{T_b−1}(S−1), α_{T_b−1}(S−2)),  ℓ = −log p
   * α includes the emission at t. It is kept whole (O(T·S) per sample) in the state for the
   * backward. ℓ is (N,): the block [begin, end) is the samples [begin, end).
   */
  protected forwardBlock(
    prepared: Prepared,
    state: unknown,
    begin: number,
    end: number,
    out: Float64Array,
  ): void {
    const setup = prepared.extra as CTCSetup;
    const { time, classes, width, batchStride, timeStride, blank, predLengths, feasible } = setup;
    const { alphas, logNormalizers, zeroGradient, extended, skip } = state as CTCState;
    const x = prepared.arrays[0]!.data;
    const states = 2 * width + 1;
    for (let b = begin, j = 0; b < end; b++, j++) {
      zeroGradient[b] = 0;
      if (!feasible[b]) {
        out[j] = setup.zeroInfinity ? 0 : Number.POSITIVE_INFINITY;
        zeroGradient[b] = 1;
        continue;
      }
      const frames = predLengths[b]!;
      const count = extendLabel(setup, b, extended, skip);
      for (let t = 0; t < frames; t++) {
        logNormalizers[b * time + t] = frameLogNormalizer(x, b * batchStride + t * timeStride, classes);
      }
      let logP = 0; // no frames and (feasibility) no labels: the empty alignment, probability 1
      if (frames > 0) {
        const row0 = b * time * states;
        const base0 = b * batchStride;
        const norm0 = logNormalizers[b * time]!;
        alphas.fill(Number.NEGATIVE_INFINITY, row0, row0 + count);
        alphas[row0] = x[base0 + blank]! - norm0;
        if (count > 1) alphas[row0 + 1] = x[base0 + extended[1]!]! - norm0;
        for (let t = 1; t < frames; t++) {
          const previous = row0 + (t - 1) * states;
          const row = previous + states;
          const base = b * batchStride + t * timeStride;
          const norm = logNormalizers[b * time + t]!;
          // Only states reachable by t (s ≤ 2t+1) that can still reach the end in the frames
          // left (s ≥ S − 2(T_b − t)) matter; the others are −∞ or never used.
          const low = Math.max(0, count - 2 * (frames - t));
          const high = Math.min(count - 1, 2 * t + 1);
          alphas.fill(Number.NEGATIVE_INFINITY, row, row + count);
          for (let s = low; s <= high; s++) {
            const stay = alphas[previous + s]!;
            const advance = s > 0 ? alphas[previous + s - 1]! : Number.NEGATIVE_INFINITY;
            const paths = skip[s]
              ? logAddExp3(stay, advance, alphas[previous + s - 2]!)
              : logAddExp(stay, advance);
            alphas[row + s] = x[base + extended[s]!]! - norm + paths;
          }
        }
        const last = row0 + (frames - 1) * states;
        logP = count > 1 ? logAddExp(alphas[last + count - 1]!, alphas[last + count - 2]!) : alphas[last]!;
      }
      if (logP === Number.NEGATIVE_INFINITY) {
        // Feasible by length, but every alignment has probability 0 (−∞ logits): infeasible too.
        out[j] = setup.zeroInfinity ? 0 : Number.POSITIVE_INFINITY;
        zeroGradient[b] = 1;
      } else {
        out[j] = -logP;
      }
    }
  }

  /*
   * Backward, per sample: β_t(s) = log p(rest of the label after frame t | state s at t), the
   * mirror of α *without* the emission at t:
   *   β_{T_b−1}(S−1) = β_{T_b−1}(S−2) = 0, other states −∞
   *   β_t(s) = lse over s' ∈ {s, s+1, s+2 if that jump is allowed} of (log y_{t+1}(l'_{s'}) + β_{t+1}(s'))
   * so α_t(s) + β_t(s) is the log-probability of all alignments through state s at t. Every
   * alignment passes through exactly one state per frame, so Σ_s e^{α_t(s)+β_t(s)} = p at every t
   * and the posterior occupancy is
   *   γ_t(k) = Σ_{s : l'_s = k} e^{α_t(s)+β_t(s)} / Σ_s e^{α_t(s)+β_t(s)}.
   * Normalising per frame (instead of dividing by the forward p) is the same in exact arithmetic,
   * but keeps γ_t a distribution when α + β carries large rounding errors (logits near 1e30).
   * Since ℓ = −log p with log y = x − logsumexp(x), ∂ℓ/∂x_t(k) = y_t(k) − γ_t(k), and each row
   * sums to 0. Only two β rows are kept. Each frame's gradient is built in float64 and written
   * once; every entry of pred belongs to one sample, so to one ℓ element.
   */
  protected backwardBlock(
    prepared: Prepared,
    state: unknown,
    begin: number,
    end: number,
    dLoss: Float64Array,
    [dPred]: readonly (TypedArray | null)[],
  ): void {
    if (!dPred) return;
    const setup = prepared.extra as CTCSetup;
    const { time, classes, width, batchStride, timeStride, predLengths } = setup;
    const ctcState = state as CTCState;
    const { alphas, logNormalizers, zeroGradient, extended, skip, ahead, occupancy, frame } = ctcState;
    const x = prepared.arrays[0]!.data;
    const states = 2 * width + 1;
    let beta = ctcState.beta;
    let betaNext = ctcState.betaNext;
    for (let b = begin, j = 0; b < end; b++, j++) {
      if (zeroGradient[b]) continue;
      const frames = predLengths[b]!;
      const count = extendLabel(setup, b, extended, skip);
      const scale = dLoss[j]!;
      for (let s = 0; s < count; s++) beta[s] = s >= count - 2 ? 0 : Number.NEGATIVE_INFINITY;
      for (let t = frames - 1; t >= 0; t--) {
        // The same window as the forward: outside it α or β is −∞, so γ gets nothing from there.
        const low = Math.max(0, count - 2 * (frames - t));
        const high = Math.min(count - 1, 2 * t + 1);
        if (t < frames - 1) {
          // beta holds β_{t+1}; ahead(s') = log y_{t+1}(l'_{s'}) + β_{t+1}(s'), −∞ past the end.
          const base = b * batchStride + (t + 1) * timeStride;
          const norm = logNormalizers[b * time + t + 1]!;
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
        const base = b * batchStride + t * timeStride;
        // dℓ · y_t: the softmax of the frame, scaled.
        writeScaledExp(x, base, classes, logNormalizers[b * time + t]!, 0, scale, frame, 0);
        const row = (b * time + t) * states;
        let peak = Number.NEGATIVE_INFINITY;
        for (let s = low; s <= high; s++) {
          const joint = alphas[row + s]! + beta[s]!;
          occupancy[s] = joint;
          if (joint > peak) peak = joint;
        }
        if (peak !== Number.NEGATIVE_INFINITY) {
          let total = 0;
          for (let s = low; s <= high; s++) {
            const share = Math.exp(occupancy[s]! - peak);
            occupancy[s] = share;
            total += share;
          }
          const factor = scale / total;
          for (let s = low; s <= high; s++) frame[extended[s]!]! -= factor * occupancy[s]!;
        }
        dPred.set(frame, base);
      }
    }
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

// ---- helpers ---------------------------------------------------------------------------------

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
 * log Σ_k e^{x_t(k)} of the frame at `base` (classes contiguous) = m + log Σ_k e^{x_t(k) − m}
 * with m the frame maximum: nothing overflows. A frame whose maximum is not finite is shifted by
 * 0 (a NaN logit needs no special case: its exp makes the normaliser NaN).
 */
function frameLogNormalizer(x: TypedArray, base: number, classes: number): number {
  const maximum = x[base + rowMaximumIndex(x, base, classes)]!;
  const shift = Number.isFinite(maximum) ? maximum : 0;
  return shift + Math.log(sumExpShifted(x, base, classes, shift));
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
