/**
 * The forward of CTCLoss (ctc.ts): the frame normalisers and the α recursion, in rescaled linear
 * space with a log-space fallback, over the lattice of _ctc-lattice.ts. {@link forwardSamples}
 * runs a block of samples; everything else here is a step of it. The backward of the same call
 * (_ctc-backward.ts) reads the α, modes and normalisers it leaves in the state.
 * @module
 */
import { ctcAlphaLinear, softmaxRowNormalizers } from '../kernels/index.js';
import {
  type CTCBlock,
  type CTCForwardBlock,
  divideWindow,
  emissionIndex,
  extendLabel,
  LINEAR,
  LOG_SPACE,
  logAddExp,
  logAddExp3,
  MIN_NORMAL,
  type SampleContext,
  ScaleTrack,
  usableScale,
  windowHigh,
  windowLow,
  ZERO_GRADIENT,
} from './_ctc-lattice.js';

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
 * frames are contiguous), one per frame for TNC.
 */
function frameNormalizers(block: CTCBlock): void {
  const { setup, state, logits: x, begin, end } = block;
  const { batch, time, classes, timeRowStride } = setup;
  // Rows [first, first + count) of pred.
  const rows = (first: number, count: number) =>
    softmaxRowNormalizers({
      x: x.subarray(first * classes, (first + count) * classes),
      classes,
      shift: state.shift.subarray(first, first + count),
      logSum: state.logSum.subarray(first, first + count),
    });
  if (timeRowStride === 1) rows(begin * time, (end - begin) * time);
  else for (let t = 0; t < time; t++) rows(t * batch + begin, end - begin);
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
  if (x instanceof Float32Array && setup.timeRowStride === 1) {
    const logP = wasmLinearForward(context, x);
    if (logP !== undefined) return logP;
  }
  const { time, width, classes, blank, labels, batchRowStride, timeRowStride } = setup;
  const { shift, logSum, alphas, alphaLogScales, emissions, emissionUnderflows, skip } = state;
  const states = 2 * width + 1;
  const emissionWidth = width + 1;
  const labelCount = (count - 1) >> 1;
  const labelBase = b * width;
  const scales = new ScaleTrack(); // log C_{t−1}, and the underflows' worst scale
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
    if (!usableScale(total)) return null;
    if (divideWindow(alphas, row, low, high, total)) underflow = true;
    alphaLogScales[b * time + t] = scales.advance(total, underflow);
  }
  return linearLogLikelihood(context, scales);
}

/**
 * linearForward by the wasm kernel (NTC float32 logits: the sample's frames are contiguous rows):
 * the same α̂, emissions and flags, then the log scales, the underflow bound and log p here.
 * Returns undefined when the wasm kernels are not in use.
 */
function wasmLinearForward(context: SampleContext, x: Float32Array): number | null | undefined {
  const { setup, state, sample: b, count } = context;
  const frames = setup.predLengths[b]!;
  const { time, width, classes } = setup;
  const { alphas, alphaLogScales, frameUnderflows } = state;
  const states = 2 * width + 1;
  const emissionWidth = width + 1;
  const first = b * time; // NTC: frame (b, t) is row b·T + t
  const done = ctcAlphaLinear({
    logits: x.subarray(first * classes, (first + frames) * classes),
    classes,
    shift: state.shift.subarray(first, first + frames),
    logSum: state.logSum.subarray(first, first + frames),
    blank: setup.blank,
    labels: setup.labels.subarray(b * width, b * width + ((count - 1) >> 1)),
    skip: state.skip,
    states,
    emissionWidth,
    alphas: alphas.subarray(first * states, (first + frames) * states),
    emissions: state.emissions.subarray(first * emissionWidth, (first + frames) * emissionWidth),
    totals: alphaLogScales.subarray(first, first + frames),
    emissionUnderflows: state.emissionUnderflows.subarray(first, first + frames),
    frameUnderflows,
  });
  if (done === null) return undefined;
  if (done < frames) return null;
  // The kernel leaves each frame's sum where its log scale goes.
  const scales = new ScaleTrack();
  for (let t = 0; t < frames; t++) {
    alphaLogScales[first + t] = scales.advance(alphaLogScales[first + t]!, frameUnderflows[t] === 1);
  }
  return linearLogLikelihood(context, scales);
}

/**
 * log p of sample b from its last frame's rescaled α̂ (α̂(S−1) + α̂(S−2), or α̂(0) for an empty
 * label) and the recursion's scale, or null when that is 0 or NaN or the underflow bound fails.
 */
function linearLogLikelihood(context: SampleContext, scales: ScaleTrack): number | null {
  const { setup, state, sample: b, count } = context;
  const frames = setup.predLengths[b]!;
  const states = 2 * setup.width + 1;
  const alphas = state.alphas;
  const last = (b * setup.time + frames - 1) * states;
  const ending = count > 1 ? alphas[last + count - 1]! + alphas[last + count - 2]! : alphas[last]!;
  if (!(ending > 0)) return null;
  const logP = scales.logScale + Math.log(ending);
  return scales.trusted(logP, frames, count) ? logP : null;
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
