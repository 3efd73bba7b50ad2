/**
 * The backward of CTCLoss (ctc.ts): the β recursion, in rescaled linear space with a log-space
 * fallback, the occupancies γ and the gradient dℓ·(y − γ), with the rescaling that keeps float32
 * gradients of huge dℓ finite. {@link backwardSamples} runs a block of samples from what the
 * forward (_ctc-forward.ts) left in the state; everything else here is a step of it.
 * @module
 */
import { ctcBetaLinear, softmaxGradientRows } from '../kernels/index.js';
import {
  type CTCBackwardBlock,
  type CTCSetup,
  type CTCState,
  divideWindow,
  emissionIndex,
  extendLabel,
  type FloatArray,
  LINEAR,
  LOG_SPACE,
  logAddExp,
  logAddExp3,
  MIN_NORMAL,
  type SampleContext,
  ScaleTrack,
  underflowMargin,
  usableScale,
  windowHigh,
  windowLow,
  ZERO_GRADIENT,
} from './_ctc-lattice.js';

/** A sample in the backward: its dℓ (possibly scaled down, see backwardSamples) and the gradient. */
interface BackwardSampleContext extends SampleContext {
  readonly scale: number;
  readonly gradient: FloatArray;
}

/** Σ_s α̂_t(s)·β̂_t(s) must be at least this for the products' underflow to be negligible. */
const OCCUPANCY_FLOOR = 2 ** -960;

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
    if (state.modes[b] === LOG_SPACE) {
      logSpaceBackward(context);
      subtractOccupancies(context);
    }
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
  // dℓ · softmax(x) into rows [first, first + count) of pred.
  const softmaxTerms = (first: number, count: number, scale: number | Float64Array) => {
    const [from, to] = [first * classes, (first + count) * classes];
    const [rowShift, rowLogSum] = [
      shift.subarray(first, first + count),
      logSum.subarray(first, first + count),
    ];
    const out = dPred.subarray(from, to);
    softmaxGradientRows({
      x: x.subarray(from, to),
      classes,
      shift: rowShift,
      logSum: rowLogSum,
      scale,
      labels: null,
      out,
    });
  };
  if (timeRowStride === 1) {
    for (let b = begin, j = 0; b < end; b++, j++) {
      const frames = predLengths[b]!;
      if (modes[b] === ZERO_GRADIENT || frames === 0) continue;
      softmaxTerms(b * time, frames, dLoss[j]!);
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
    softmaxTerms(t * batch + begin, end - begin, rowScales.subarray(0, end - begin));
    for (let b = begin; b < end; b++) {
      if (modes[b] === ZERO_GRADIENT || t >= predLengths[b]!) {
        const base = (t * batch + b) * classes;
        dPred.fill(0, base, base + classes);
      }
    }
  }
}

/**
 * The rescaled linear-space β recursion of sample b, its occupancies and their part of the
 * gradient: subtracts dℓ·γ_t(s) from the gradient (see subtractOccupancies). Returns false,
 * leaving the gradient's softmax terms untouched for the caller to redo the sample in log space,
 * when a frame's β or occupancy sum is 0, too small or not finite, or underflow happened at
 * frames whose scale is too far above p.
 */
function linearBackward(context: BackwardSampleContext): boolean {
  const { setup, state, sample: b, count, scale } = context;
  const frames = setup.predLengths[b]!;
  if (context.logits instanceof Float32Array && context.gradient instanceof Float32Array) {
    const done = wasmLinearBackward(context, context.gradient);
    if (done !== null) return done;
  }
  const { time, width } = setup;
  const { alphas, emissions, emissionUnderflows, skip, ahead, occupancy, gammas } = state;
  const states = 2 * width + 1;
  const emissionWidth = width + 1;
  let beta = state.beta;
  let betaNext = state.betaNext;
  beta.fill(0, 0, count);
  for (let s = Math.max(0, count - 2); s < count; s++) beta[s] = 1;
  const scales = new ScaleTrack(); // log D_{t+1}: β_{t+1} = β̂_{t+1} · D_{t+1}
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
      if (!usableScale(total)) return false;
      if (divideWindow(betaNext, 0, low, high, total)) underflow = true;
      scales.advance(total, underflow);
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
  if (!scales.trusted(state.logLikelihoods[b]!, frames, count)) return false;
  subtractOccupancies(context);
  return true;
}

/**
 * linearBackward by the wasm kernel (float32 logits and gradient): the same β̂, dℓ·γ and
 * gradient, the underflow bound checked by the kernel's driver. Returns null when the wasm
 * kernels are not in use.
 */
function wasmLinearBackward(context: BackwardSampleContext, gradient: Float32Array): boolean | null {
  const { setup, state, sample: b, count, scale } = context;
  const frames = setup.predLengths[b]!;
  const { time, width, classes, batchRowStride, timeRowStride } = setup;
  const states = 2 * width + 1;
  const emissionWidth = width + 1;
  const first = b * time;
  return ctcBetaLinear({
    emissions: state.emissions.subarray(first * emissionWidth, (first + frames) * emissionWidth),
    emissionWidth,
    emissionUnderflows: state.emissionUnderflows.subarray(first, first + frames),
    alphas: state.alphas.subarray(first * states, (first + frames) * states),
    states,
    extended: state.extended,
    skip: state.skip,
    count,
    frames,
    scale,
    gradient: gradient.subarray(b * batchRowStride * classes),
    classes,
    frameStride: timeRowStride * classes,
    logLikelihood: state.logLikelihoods[b]!,
    underflowMargin: underflowMargin(frames, count),
  });
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

/**
 * Subtracts sample b's dℓ·γ terms (the state's `gammas`) from its frames of the gradient. Per
 * frame, the blank's terms (its every other state) are summed in float64 first and subtracted
 * once; then each label state's term is subtracted in order of s (a class repeated in the label
 * gets its states' terms one by one). The wasm kernel (ctcBetaLinear in ctc.wat) does the same
 * in the same order, so both give the same bits.
 */
function subtractOccupancies(context: BackwardSampleContext): void {
  const { setup, state, sample: b, count, gradient: dPred } = context;
  const frames = setup.predLengths[b]!;
  const { width, classes, blank, batchRowStride, timeRowStride } = setup;
  const { extended, gammas } = state;
  const states = 2 * width + 1;
  for (let t = 0; t < frames; t++) {
    const base = (b * batchRowStride + t * timeRowStride) * classes;
    const row = t * states;
    const low = windowLow(count, frames, t);
    const high = windowHigh(count, t);
    let blankTerms = 0;
    for (let s = low + (low & 1); s <= high; s += 2) blankTerms += gammas[row + s]!;
    dPred[base + blank]! -= blankTerms;
    for (let s = low | 1; s <= high; s += 2) dPred[base + extended[s]!]! -= gammas[row + s]!;
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
