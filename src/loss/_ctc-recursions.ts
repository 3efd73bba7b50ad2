/**
 * The recursions of CTCLoss (ctc.ts): the frame normalisers, the rescaled linear-space α and β
 * recursions with their log-space fallback, the occupancies that make the gradient, the extended
 * label, and the layout of the per-call state they share. {@link forwardSamples} and
 * {@link backwardSamples} run a block of samples; everything else here is a step of theirs.
 *
 * The steps take what they read and write as one argument object (a block of samples, or one
 * sample), and nothing here holds state between calls: the state lives in the {@link CTCState}
 * that CTCLoss allocates per call.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { isFloatArray, softmaxGradientRows, softmaxRowNormalizers } from '../wasm/index.js';
import { rowMaximumIndex, sumExpShifted } from './_class-rows.js';

/** A float array: pred and its gradient in the backward. */
type FloatArray = Float32Array | Float64Array;

// ---- the setup and the state -------------------------------------------------------------

/** Everything the recursions need, decoded and validated once by CTCLoss's `prepare`. */
export interface CTCSetup {
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
export interface CTCState {
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

/** The CallMemory kind of a state for `batch` samples of `time` frames and labels of `width`. */
export function stateKind(batch: number, time: number, width: number): string {
  return `ctc-state ${batch}x${time}x${width}`;
}

/**
 * Fresh state buffers for `batch` samples of `time` frames and labels up to `width` long (the
 * buffers need not be zero: every element the recursions read is written first in the call).
 */
export function allocateState(batch: number, time: number, width: number): CTCState {
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

// ---- argument objects --------------------------------------------------------------------

/** A block of samples [begin, end) of one call: what every block-level step reads. */
export interface CTCBlock {
  readonly setup: CTCSetup;
  readonly state: CTCState;
  /** pred's data (the logits x), laid out as `setup` says. */
  readonly logits: TypedArray;
  readonly begin: number;
  readonly end: number;
}

/** What {@link forwardSamples} reads and writes besides the block. */
export interface CTCForwardBlock extends CTCBlock {
  /** ℓ of samples [begin, end) at `out[b − begin]`. */
  readonly out: Float64Array;
  /** Whether samples may take the rescaled linear-space recursion (false: all in log space). */
  readonly linearSpace: boolean;
}

/** What {@link backwardSamples} reads and writes besides the block. */
export interface CTCBackwardBlock extends CTCBlock {
  readonly logits: FloatArray;
  /** dℓ of samples [begin, end) at `dLoss[b − begin]`. */
  readonly dLoss: Float64Array;
  /** ∂(Σ dℓ·ℓ)/∂pred, written for every frame of the block's samples. */
  readonly gradient: FloatArray;
}

/** One sample b = `sample` of a call, with its extended label (S = `count` states) in the state's scratch. */
interface SampleContext {
  readonly setup: CTCSetup;
  readonly state: CTCState;
  readonly logits: TypedArray;
  readonly sample: number;
  readonly count: number;
}

/** A sample in the backward: its dℓ (possibly scaled down, see backwardSamples) and the gradient. */
interface BackwardSampleContext extends SampleContext {
  readonly scale: number;
  readonly gradient: FloatArray;
}

// ---- per-sample modes and windows --------------------------------------------------------

/** Per-sample mode: gradient 0 by definition (no alignment has non-zero probability). */
export const ZERO_GRADIENT = 0;
/** α (and β) in rescaled linear space. */
export const LINEAR = 1;
/** α (and β) in log space: the fallback for samples the rescaled recursion cannot carry. */
export const LOG_SPACE = 2;

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

// ---- forward ------------------------------------------------------------------------------

/**
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
 *
 * forwardSamples writes ℓ of samples [begin, end), their α and their modes (ZERO_GRADIENT for an
 * infeasible sample); the backward of the same call reads them.
 */
export function forwardSamples(block: CTCForwardBlock): void {
  const { setup, state, logits, begin, end, out, linearSpace } = block;
  frameNormalizers(block);
  for (let b = begin, j = 0; b < end; b++, j++) {
    state.modes[b] = ZERO_GRADIENT;
    if (!setup.feasible[b]) {
      out[j] = setup.zeroInfinity ? 0 : Number.POSITIVE_INFINITY;
      continue;
    }
    const count = extendLabel(setup, b, state.extended, state.skip);
    const context: SampleContext = { setup, state, logits, sample: b, count };
    let mode = LINEAR;
    let logP = linearSpace ? linearForward(context) : null;
    if (logP === null) {
      mode = LOG_SPACE;
      logP = logSpaceForward(context);
    }
    if (logP === Number.NEGATIVE_INFINITY) {
      // Feasible by length, but every alignment has probability 0 (−∞ logits): infeasible too.
      out[j] = setup.zeroInfinity ? 0 : Number.POSITIVE_INFINITY;
      continue;
    }
    state.modes[b] = mode;
    state.logLikelihoods[b] = logP;
    out[j] = -logP;
  }
}

/**
 * The log-softmax normalisers of every frame of samples [begin, end) into the state, by row
 * (row · C is the frame's offset in pred): one kernel call for the NTC layout (the samples'
 * frames are contiguous), one per frame for TNC. Integer activations use the same formulas in
 * TypeScript.
 */
function frameNormalizers(block: CTCBlock): void {
  const { setup, state, logits: x, begin, end } = block;
  const { batch, time, classes, timeRowStride } = setup;
  const { shift, logSum } = state;
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
 * The rescaled linear-space α recursion of sample b (see forwardSamples): writes α̂ and log C_t
 * into the state and returns log p, or null when the result cannot be trusted — a frame whose
 * values sum to 0, to less than the smallest normal float or to something not finite (−∞ or
 * huge logits, NaN), or underflow at frames whose scale is too far above p (underflowMargin).
 * Emissions are computed once per frame and class in float64 and kept for the backward.
 */
function linearForward(context: SampleContext): number | null {
  const { setup, state, logits: x, sample: b, count } = context;
  const frames = setup.predLengths[b]!;
  if (frames === 0) return 0; // no frames and (feasibility) no labels: the empty alignment
  const { time, width, classes, blank, labels, batchRowStride, timeRowStride } = setup;
  const { shift, logSum, alphas, alphaLogScales, emissions, emissionUnderflows, skip } = state;
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
function logSpaceForward(context: SampleContext): number {
  const { setup, state, logits: x, sample: b, count } = context;
  const frames = setup.predLengths[b]!;
  if (frames === 0) return 0;
  const { time, width, classes, blank, batchRowStride, timeRowStride } = setup;
  const { shift, logSum, alphas, extended, skip } = state;
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

// ---- backward -----------------------------------------------------------------------------

/**
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
 * sample's dℓ·γ terms are then subtracted (only S of them per frame). β runs in linear space
 * with two rescaled rows when the forward did, and falls back to log space (converting the sample's α) when the rescaled
 * β cannot be trusted. Every entry of pred belongs to one sample, so to one ℓ element.
 *
 * backwardSamples writes the gradient of samples [begin, end) from the α and modes the forward
 * of the same call left in the state (a sample that falls back to log space has its mode updated).
 */
export function backwardSamples(block: CTCBackwardBlock): void {
  const { setup, state, logits, begin, end, dLoss, gradient } = block;
  // The terms dℓ·y and dℓ·γ are stored (and subtracted) in the gradient's dtype. In float32 a dℓ
  // near 3.4e38 (huge weights) overflows dℓ·y although dℓ·(y − γ) fits: such samples run with dℓ
  // scaled down by a power of two, and their gradient is scaled back up at the end (exact).
  const scaled = gradient instanceof Float32Array ? largeScales(dLoss, end - begin) : null;
  const scales = scaled ?? dLoss;
  writeSoftmaxTerms({ setup, state, logits, begin, end, scales, gradient });
  for (let b = begin, j = 0; b < end; b++, j++) {
    if (state.modes[b] === ZERO_GRADIENT) continue;
    const count = extendLabel(setup, b, state.extended, state.skip);
    const scale = scales[j]!;
    const context: BackwardSampleContext = { setup, state, logits, sample: b, count, scale, gradient };
    if (state.modes[b] === LINEAR && !linearBackward(context)) {
      alphasToLogSpace(context);
      state.modes[b] = LOG_SPACE;
    }
    if (state.modes[b] === LOG_SPACE) logSpaceBackward(context);
    subtractOccupancies(context);
    if (scale !== dLoss[j]) rescaleSample(setup, b, gradient, dLoss[j]! / scale);
  }
}

/**
 * dℓ · softmax(x_t) into every frame of samples [begin, end) that has a gradient, in one kernel
 * call per sample (NTC: a sample's frames are contiguous rows) or per frame (TNC, with a
 * per-row scale, the rows without a gradient reset to 0 afterwards).
 */
function writeSoftmaxTerms(terms: {
  readonly setup: CTCSetup;
  readonly state: CTCState;
  readonly logits: FloatArray;
  readonly begin: number;
  readonly end: number;
  /** dℓ of samples [begin, end) (possibly scaled down, see backwardSamples). */
  readonly scales: Float64Array;
  readonly gradient: FloatArray;
}): void {
  const { setup, state, logits: x, begin, end, scales: dLoss, gradient: dPred } = terms;
  const { batch, time, classes, predLengths, timeRowStride } = setup;
  const { shift, logSum, modes, rowScales } = state;
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
function linearBackward(context: BackwardSampleContext): boolean {
  const { setup, state, sample: b, count, scale } = context;
  const frames = setup.predLengths[b]!;
  const { time, width } = setup;
  const { alphas, emissions, emissionUnderflows, skip, ahead, occupancy, gammas } = state;
  const states = 2 * width + 1;
  const emissionWidth = width + 1;
  let beta = state.beta;
  let betaNext = state.betaNext;
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
  return worst - state.logLikelihoods[b]! <= underflowMargin(frames, count);
}

/** Turns sample b's rescaled α̂ into log α (log α̂ + log C_t) for the log-space backward. */
function alphasToLogSpace(context: SampleContext): void {
  const { setup, state, sample: b, count } = context;
  const { time, width } = setup;
  const { alphas, alphaLogScales } = state;
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
function logSpaceBackward(context: BackwardSampleContext): void {
  const { setup, state, logits: x, sample: b, count, scale } = context;
  const frames = setup.predLengths[b]!;
  const { time, width, classes, batchRowStride, timeRowStride } = setup;
  const { shift, logSum, alphas, extended, skip, ahead, occupancy, gammas } = state;
  const states = 2 * width + 1;
  let beta = state.beta;
  let betaNext = state.betaNext;
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
function subtractOccupancies(context: BackwardSampleContext): void {
  const { setup, state, sample: b, count, gradient: dPred } = context;
  const frames = setup.predLengths[b]!;
  const { width, classes, batchRowStride, timeRowStride } = setup;
  const { extended, gammas } = state;
  const states = 2 * width + 1;
  for (let t = 0; t < frames; t++) {
    const base = (b * batchRowStride + t * timeRowStride) * classes;
    const high = windowHigh(count, t);
    for (let s = windowLow(count, frames, t); s <= high; s++)
      dPred[base + extended[s]!]! -= gammas[t * states + s]!;
  }
}

/** Above this |dℓ| a float32 gradient row may overflow in its terms (see backwardSamples). */
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
function rescaleSample(setup: CTCSetup, b: number, dPred: FloatArray, factor: number): void {
  const { classes, batchRowStride, timeRowStride } = setup;
  for (let t = 0; t < setup.predLengths[b]!; t++) {
    const base = (b * batchRowStride + t * timeRowStride) * classes;
    for (let k = base; k < base + classes; k++) dPred[k] = dPred[k]! * factor;
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
 * Writes sample b's extended label `– l₁ – l₂ … l_L –` into `extended` and, per state, whether
 * the jump from s − 2 is allowed (a label state whose label differs from the one two back).
 * Returns the number of states S = 2L + 1.
 */
export function extendLabel(setup: CTCSetup, b: number, extended: Int32Array, skip: Uint8Array): number {
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
