/**
 * The lattice CTCLoss's recursions walk (ctc.ts; the α recursion is in _ctc-forward.ts, β and the
 * gradient in _ctc-backward.ts): the setup they read, the per-call state they share and its
 * layout, the argument objects they take, the per-sample modes, the extended label and the window
 * of states that matter per frame, the checks of the blank and of the length inputs, the underflow bound both rescaled recursions check, and
 * log-sum-exp for their log-space fallbacks.
 *
 * The steps take what they read and write as one argument object (a block of samples, or one
 * sample), and nothing here holds state between calls: the state lives in the {@link CTCState}
 * that CTCLoss allocates per call.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';

/** A float array: pred and its gradient in the backward. */
export type FloatArray = Float32Array | Float64Array;

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
  /** 1 at `b·T + t` where an emission of that frame underflowed (see linearForward, _ctc-forward.ts). */
  readonly emissionUnderflows: Uint8Array;
  /** Scratch of one sample for the wasm α recursion: 1 at t where anything in frame t underflowed. */
  readonly frameUnderflows: Uint8Array;
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
  /**
   * The memory of the call's {@link CTCSetup} arrays (labels, lengths, feasibility), which
   * CTCLoss's prepare fills: read until the call's graph is freed, like the rest of the state.
   */
  readonly setupLabels: Int32Array;
  readonly setupLabelLengths: Int32Array;
  readonly setupPredLengths: Int32Array;
  readonly setupFeasible: Uint8Array;
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
    frameUnderflows: new Uint8Array(time),
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
    setupLabels: new Int32Array(batch * width),
    setupLabelLengths: new Int32Array(batch),
    setupPredLengths: new Int32Array(batch),
    setupFeasible: new Uint8Array(batch),
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

/** What forwardSamples (_ctc-forward.ts) reads and writes besides the block. */
export interface CTCForwardBlock extends CTCBlock {
  /** ℓ of samples [begin, end) at `out[b − begin]`. */
  readonly out: Float64Array;
  /** Whether samples may take the rescaled linear-space recursion (false: all in log space). */
  readonly linearSpace: boolean;
}

/** What backwardSamples (_ctc-backward.ts) reads and writes besides the block. */
export interface CTCBackwardBlock extends CTCBlock {
  readonly logits: FloatArray;
  /** dℓ of samples [begin, end) at `dLoss[b − begin]`. */
  readonly dLoss: Float64Array;
  /** ∂(Σ dℓ·ℓ)/∂pred, written for every frame of the block's samples. */
  readonly gradient: FloatArray;
}

/** One sample b = `sample` of a call, with its extended label (S = `count` states) in the state's scratch. */
export interface SampleContext {
  readonly setup: CTCSetup;
  readonly state: CTCState;
  readonly logits: TypedArray;
  readonly sample: number;
  readonly count: number;
}

// ---- per-sample modes and windows --------------------------------------------------------

/** Per-sample mode: gradient 0 by definition (no alignment has non-zero probability). */
export const ZERO_GRADIENT = 0;
/** α (and β) in rescaled linear space. */
export const LINEAR = 1;
/** α (and β) in log space: the fallback for samples the rescaled recursion cannot carry. */
export const LOG_SPACE = 2;

/** The smallest normal float64: a value below it has lost relative precision (or is 0). */
export const MIN_NORMAL = 2 ** -1022;

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
export function underflowMargin(frames: number, count: number): number {
  return 960 * Math.LN2 - Math.log(frames * (3 * count + 1));
}

// ---- the rescaling of the linear-space recursions ----------------------------------------

/**
 * Whether a frame's sum `total` can rescale it: at least the smallest normal float and finite.
 * 0, a subnormal, ∞ or NaN sends the sample to the log-space fallback.
 */
export function usableScale(total: number): boolean {
  return total >= MIN_NORMAL && total < Number.POSITIVE_INFINITY;
}

/**
 * Divides `values[offset + s]` for s in [low, high] by their sum `total` (a {@link usableScale}),
 * Rabiner's scaling. Returns whether a value underflowed in the division (became subnormal or 0
 * without being 0).
 */
export function divideWindow(
  values: Float64Array,
  offset: number,
  low: number,
  high: number,
  total: number,
): boolean {
  const inverse = 1 / total;
  let underflow = false;
  for (let s = offset + low; s <= offset + high; s++) {
    const value = values[s]!;
    const scaled = value * inverse;
    values[s] = scaled;
    if (scaled < MIN_NORMAL && value !== 0) underflow = true;
  }
  return underflow;
}

/**
 * The scale of a rescaled recursion (α forward, β backward) as a sample's frames are walked: its
 * log, the product of every frame's sum so far, and the largest scale of a frame where something
 * underflowed, which decides whether the result can be trusted (see underflowMargin).
 */
export class ScaleTrack {
  /** log of the product of the frames' sums so far. */
  logScale = 0;
  /** The largest log scale, before or after, of a frame with an underflow (−∞: none). */
  worst = Number.NEGATIVE_INFINITY;

  /** Takes the next frame's sum (`underflow`: something in that frame underflowed); returns the new log scale. */
  advance(total: number, underflow: boolean): number {
    const next = this.logScale + Math.log(total);
    if (underflow) this.worst = Math.max(this.worst, this.logScale, next);
    this.logScale = next;
    return next;
  }

  /** Whether a sample of `frames` frames and `count` states with log p = `logP` is within the underflow bound. */
  trusted(logP: number, frames: number, count: number): boolean {
    return this.worst - logP <= underflowMargin(frames, count);
  }
}

/** Index in a frame's emissions (blank, l_1 … l_L) of extended-label state s. */
export function emissionIndex(s: number): number {
  return (s & 1) === 0 ? 0 : (s + 1) >> 1;
}

/** The states of frame t that matter: reachable by t (s ≤ 2t+1) and able to reach the end (s ≥ S − 2(T_b − t)). */
export function windowLow(count: number, frames: number, t: number): number {
  return Math.max(0, count - 2 * (frames - t));
}

export function windowHigh(count: number, t: number): number {
  return Math.min(count - 1, 2 * t + 1);
}

// ---- the extended label -------------------------------------------------------------------

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

// ---- log-sum-exp, for the log-space recursions --------------------------------------------

/**
 * log(e^a + e^b) = max + log1p(e^{min − max}): one exp and one log, nothing overflows. −∞ is the
 * identity and NaN propagates.
 */
export function logAddExp(a: number, b: number): number {
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
export function logAddExp3(a: number, b: number, c: number): number {
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

// ---- the checks of prepare ----------------------------------------------------------------

/**
 * Checks an optional per-sample length array, N integers in [0, limit], and returns its values
 * (the array's own data: prepare reads them right away, so no copy is made per call). ShapeError
 * for the wrong element count, ValueError for a value out of range, non-integer or NaN.
 */
export function readLengths(
  where: string,
  name: string,
  lengths: NDArray | null,
  batch: number,
  limit: number,
  limitName: string,
): ArrayLike<number> | null {
  if (!lengths) return null;
  if (lengths.size !== batch) {
    throw new ShapeError(
      `${where}: ${name} ${formatShape(lengths.shape)} must hold one length per sequence (${batch})`,
    );
  }
  const values = lengths.data;
  for (let b = 0; b < batch; b++) {
    const value = values[b]!;
    if (!Number.isInteger(value) || value < 0 || value > limit) {
      throw new ValueError(
        `${where}: ${name}[${b}] is ${value}; it must be an integer in [0, ${limitName}] = [0, ${limit}]`,
      );
    }
  }
  return values;
}

/**
 * The blank class, the padding value and the range of real labels for `blankLabel` with C
 * classes: 'last' (blank C − 1, labels [0, C − 2], padding −1), 'first' (blank 0, labels [1, C − 1],
 * padding 0) or an index k (blank k, labels [0, C − 1] except k, padding −1). An index ≥ C is a
 * ValueError.
 */
export function blankLayout(where: string, blankLabel: 'last' | 'first' | number, classes: number) {
  if (blankLabel === 'last') return { blank: classes - 1, padding: -1, lowest: 0, highest: classes - 2 };
  if (blankLabel === 'first') return { blank: 0, padding: 0, lowest: 1, highest: classes - 1 };
  if (blankLabel >= classes) {
    throw new ValueError(
      `${where}: blankLabel ${blankLabel} is not a class of pred, which has C = ${classes} classes; give an index in [0, ${classes})`,
    );
  }
  return { blank: blankLabel, padding: -1, lowest: 0, highest: classes - 1 };
}
