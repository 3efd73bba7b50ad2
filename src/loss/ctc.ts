import { allocate, type DType, floatOf } from '../ndarray/dtype.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
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
import { isFloatArray } from '../kernels/index.js';
import { checkBoolean, checkChoice, checkRank, Loss } from './_base/index.js';
import { backwardSamples } from './_ctc-backward.js';
import { forwardSamples } from './_ctc-forward.js';
import {
  allocateState,
  blankLayout,
  type CTCSetup,
  type CTCState,
  extendLabel,
  readLengths,
  stateKind,
} from './_ctc-lattice.js';

/** Options of {@link CTCLoss}. There is no `batchAxis`: the batch axis follows `labelLayout`. */
export interface CTCLossOptions extends Omit<Loss.Options, 'batchAxis'> {
  /** Layout of `pred`: `'NTC'` (default) for (batch, time, classes) or `'TNC'` for (time, batch, classes). */
  layout?: 'NTC' | 'TNC';
  /** Layout of `label`: `'NT'` (default) for (batch, width) or `'TN'` for (width, batch). */
  labelLayout?: 'NT' | 'TN';
  /**
   * Which class is the blank: `'last'` (default, Gluon) makes it `C − 1`, real labels `0 … C−2`
   * and padding `-1`; `'first'` makes it `0`, real labels `1 … C−1` and padding `0`; an integer
   * k in [0, C) (PyTorch's `blank`) makes it class k, real labels every other class in [0, C),
   * and padding `-1`.
   */
  blankLabel?: 'last' | 'first' | number;
  /**
   * What an impossible alignment gives: false (default) returns +Infinity (PyTorch), true returns 0
   * (MXNet). Its gradient is zero either way.
   */
  zeroInfinity?: boolean;
  /** Scalar multiplier applied after `sampleWeight`; null (the default) means none. */
  weight?: number | null;
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
 * **Options**: `layout` ('NTC'), `labelLayout` ('NT'), `blankLabel` ('last', 'first', or a class
 * index in [0, C) as PyTorch's `blank`: a non-negative integer, else a ValueError, and an index
 * ≥ C is a ValueError at the call), `zeroInfinity` (false), `weight` (null). No `batchAxis`: the
 * loss is always (N,).
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
 * with −∞ as identity). With the wasm backend, float32 samples run the rescaled recursions in
 * float64 wasm (src/kernels/ctc.ts: emissions exponentiated in bulk, states two to a vector; α
 * for the NTC layout, β for both), with the same fallback decisions. Either way logits of ±1e4 give finite losses and gradients; the cost is
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
export class CTCLoss extends Loss<CTCCall, CTCState> {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'CTCLoss';
  /** batchAxis follows labelLayout: toConfig leaves it out. */
  static override readonly derivedOptions = ['batchAxis'];

  readonly inputNames: readonly string[] = ['pred', 'label', 'predLengths', 'labelLengths', 'sampleWeight'];
  /** Layout of `pred`. */
  readonly layout: 'NTC' | 'TNC';
  /** Layout of `label`. */
  readonly labelLayout: 'NT' | 'TN';
  /** Which class is the blank: 'last', 'first', or its index. */
  readonly blankLabel: 'last' | 'first' | number;
  /** Whether an infeasible sample gives 0 instead of +Infinity. */
  readonly zeroInfinity: boolean;

  /** pred and label; the lengths are optional. */
  protected override get requiredInputs(): number {
    return 2;
  }

  constructor(options: CTCLossOptions = {}) {
    const given: unknown = options;
    const isObject = typeof given === 'object' && given !== null;
    if (isObject && (given as { batchAxis?: unknown }).batchAxis !== undefined) {
      throw new ValueError('CTCLoss: there is no batchAxis option; the batch axis follows labelLayout');
    }
    // Gluon's batch_axis is the position of N in label_layout; the loss itself is always (N,).
    const batchAxis = isObject && (given as CTCLossOptions).labelLayout === 'TN' ? 1 : 0;
    super(isObject ? { ...options, batchAxis } : (given as Loss.Options), CTC_OPTIONS);
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
    const blankLabel = options.blankLabel === undefined ? 'last' : options.blankLabel;
    if (typeof blankLabel === 'number') {
      if (!Number.isInteger(blankLabel) || blankLabel < 0) {
        throw new ValueError(
          `${this.name}: option blankLabel must be 'last', 'first' or a class index (an integer >= 0), got ${blankLabel}`,
        );
      }
      this.blankLabel = blankLabel;
    } else
      this.blankLabel = checkChoice<'last' | 'first'>(this.name, 'blankLabel', blankLabel, ['last', 'first']);
    this.zeroInfinity = checkBoolean(
      this.name,
      'zeroInfinity',
      options.zeroInfinity === undefined ? false : options.zeroInfinity,
    );
  }

  // ---- validation ------------------------------------------------------------------------

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<CTCCall> {
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

    const { blank, padding, lowest, highest } = blankLayout(where, this.blankLabel, classes);
    // The call's state (lattice buffers and these decoded arrays) from the loss's CallMemory: it
    // goes back when the call's graph is freed (see createState; a call that never gets that far
    // leaves it to the garbage collector). Unused label entries are 0, as in a fresh array.
    const state = this.callMemory.take(stateKind(batch, time, width), () =>
      allocateState(batch, time, width),
    );
    const {
      setupLabels: labels,
      setupLabelLengths: labelLengthsOut,
      setupPredLengths: predLengthsOut,
      setupFeasible: feasible,
    } = state;
    labels.fill(0);
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
        if (!Number.isInteger(value) || value < lowest || value > highest || value === blank) {
          throw new ValueError(
            `${where}: label value ${value} of sample ${b} at position ${j} is outside the alphabet; with ` +
              `blankLabel ${JSON.stringify(this.blankLabel)} and C = ${classes} the labels are integers in [${lowest}, ${highest}] ` +
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
    const setup: CTCCall = {
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
      state,
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
   * read it). Every element the kernels read is written first in the call. `prepare` takes the
   * state (it decodes the labels into it); this hands it to the pipeline.
   */
  protected override createState(prepared: Loss.Prepared<CTCCall>): CTCState {
    return prepared.extra!.state;
  }

  protected override releaseState(state: CTCState): void {
    const { batch, time, width } = state;
    this.callMemory.giveBack(stateKind(batch, time, width), state);
  }

  /**
   * ℓ of samples [begin, end) by the α recursion, rescaled in linear space with a log-space
   * fallback per sample (the derivation is at forwardSamples in _ctc-forward.ts); α and the
   * per-sample modes stay in the state for the backward.
   */
  protected forwardBlock(call: Loss.ForwardBlockCall<CTCCall, CTCState>): void {
    const { prepared, state, begin, end, out } = call;
    forwardSamples({
      setup: prepared.extra!,
      state,
      logits: prepared.arrays[0]!.data,
      begin,
      end,
      out,
      linearSpace: this.linearSpace,
    });
    this.observeModes(state.modes, 'forward');
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

  /**
   * dℓ · (softmax(x_t) − γ_t) for samples [begin, end), γ from the β recursion and the α the
   * forward kept (the derivation is at backwardSamples in _ctc-backward.ts).
   */
  protected backwardBlock(call: Loss.BackwardBlockCall<CTCCall, CTCState>): void {
    const { prepared, state, begin, end, dLoss, grads } = call;
    const [dPred] = grads;
    const x = prepared.arrays[0]!.data;
    if (!dPred || !isFloatArray(dPred) || !isFloatArray(x)) return;
    backwardSamples({
      setup: prepared.extra!,
      state,
      logits: x,
      begin,
      end,
      dLoss,
      gradient: dPred,
    });
    this.observeModes(state.modes, 'backward');
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
  twin(prepared: Loss.Prepared<CTCCall>): NDArray {
    const setup = prepared.extra!;
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
}

/** A call's setup and the state its arrays live in (taken by prepare, see createState). */
interface CTCCall extends CTCSetup {
  readonly state: CTCState;
}

/** A constant array of `shape` filled with `value` in the float type `dtype`. */
function constant(dtype: DType, shape: readonly number[], value: number): NDArray {
  const size = shape.reduce((p, d) => p * d, 1);
  const data = allocate(dtype, size);
  if (value !== 0) data.fill(value);
  return new NDArray(data, shape);
}
