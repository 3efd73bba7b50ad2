/**
 * CTCLoss's rescaled linear-space recursions in wasm (ctc.wat), one sample per call: the
 * emissions of every frame gathered from the float32 logits, normalised and exponentiated in bulk
 * (a float64 exp on two lanes, not a Math.exp per emission), and the α recursion in float64. The
 * float64 TypeScript recursion in src/loss/_ctc-forward.ts is the reference and the derivation;
 * it runs where this kernel does not (float64 logits, the `'js'` backend, the TNC layout, and
 * samples that fall back to log space, which the caller decides from what this returns).
 *
 * The kernel copies its inputs into the module's scratch, runs, and copies the results out into
 * the caller's views: nothing is kept between calls.
 * @module
 */
import { regionBytes, reserveScratch, SCRATCH_BASE, wasmScratch } from './runtime.js';

/** One sample's α recursion: inputs and the views its results go to (frames = shift.length). */
export interface CTCAlphaRecursion {
  /** The sample's frames, back to back: `frames · classes` float32 logits. */
  readonly logits: Float32Array;
  readonly classes: number;
  /** The frames' log-softmax normalisers: log y_t(k) = (x_t(k) − shift_t) − logSum_t. */
  readonly shift: Float64Array;
  readonly logSum: Float64Array;
  /** The blank's class and the sample's labels l₁ … l_L (L = labels.length). */
  readonly blank: number;
  readonly labels: Int32Array;
  /** Per state of the extended label (2L + 1 of them): 1 where the jump from s − 2 is allowed. */
  readonly skip: Uint8Array;
  /** Row strides of `alphas` (≥ 2L + 1) and `emissions` (≥ L + 1). */
  readonly states: number;
  readonly emissionWidth: number;
  /** Out: α̂_t(s) at `t·states + s` (0 outside the frame's window of states). */
  readonly alphas: Float64Array;
  /** Out: y_t(blank), y_t(l₁) … y_t(l_L) at `t·emissionWidth`. */
  readonly emissions: Float64Array;
  /** Out: c_t, the sum of frame t's α before rescaling (α̂_t = α_t / Π_{τ≤t} c_τ). */
  readonly totals: Float64Array;
  /** Out: 1 where an emission of frame t underflowed (below 2^−1022, not from a −∞ logit). */
  readonly emissionUnderflows: Uint8Array;
  /** Out: 1 where anything in frame t underflowed (emissions, α before or after rescaling). */
  readonly frameUnderflows: Uint8Array;
}

/**
 * Runs the rescaled α recursion of one sample in wasm (see _ctc-forward.ts for the recursion).
 * Returns the number of frames done: all of them, or the first frame whose c_t is below 2^−1022
 * or not finite (its outputs and later ones are not written: the caller falls back to log
 * space); null when the wasm kernels are not in use (the caller runs the reference).
 */
export function ctcAlphaLinear(args: CTCAlphaRecursion): number | null {
  const { logits, classes, shift, logSum, blank, labels, skip, states, emissionWidth } = args;
  const frames = shift.length;
  const count = 2 * labels.length + 1;
  const xAt = SCRATCH_BASE;
  const shiftAt = xAt + regionBytes(frames * classes * 4);
  const logSumAt = shiftAt + regionBytes(frames * 8);
  const classAt = logSumAt + regionBytes(frames * 8);
  const skipAt = classAt + regionBytes((labels.length + 2) * 4);
  const emissionsAt = skipAt + regionBytes((count + 4) * 8);
  // A frame's emissions are written in pairs: one lane past the last row.
  const alphasAt = emissionsAt + regionBytes(frames * emissionWidth * 8 + 16);
  // States go in pairs: the last row's last pair may reach one past the row.
  const totalsAt = alphasAt + regionBytes(frames * states * 8 + 16);
  const emissionFlagsAt = totalsAt + regionBytes(frames * 8);
  const frameFlagsAt = emissionFlagsAt + regionBytes(frames);
  const scratch = reserveScratch(wasmScratch(), frameFlagsAt + regionBytes(frames) - SCRATCH_BASE);
  if (!scratch) return null;
  const { f32, f64, i32, u8, kernels } = scratch;
  f32.set(logits.subarray(0, frames * classes), xAt >> 2);
  f64.set(shift, shiftAt >> 3);
  f64.set(logSum, logSumAt >> 3);
  const classOf = classAt >> 2;
  i32[classOf] = blank;
  i32.set(labels, classOf + 1);
  i32[classOf + labels.length + 1] = blank;
  writeJumpMasks(i32, skipAt, skip, count);
  const done = kernels.ctcAlphaLinear(
    xAt,
    classes,
    shiftAt,
    logSumAt,
    frames,
    classAt,
    skipAt,
    count,
    states,
    emissionsAt,
    emissionWidth,
    alphasAt,
    totalsAt,
    emissionFlagsAt,
    frameFlagsAt,
  );
  args.emissions.set(f64.subarray(emissionsAt >> 3, (emissionsAt >> 3) + done * emissionWidth));
  args.alphas.set(f64.subarray(alphasAt >> 3, (alphasAt >> 3) + done * states));
  args.totals.set(f64.subarray(totalsAt >> 3, (totalsAt >> 3) + Math.min(frames, done + 1)));
  args.emissionUnderflows.set(u8.subarray(emissionFlagsAt, emissionFlagsAt + done));
  args.frameUnderflows.set(u8.subarray(frameFlagsAt, frameFlagsAt + done));
  return done;
}

/**
 * The allowed jumps s − 2 → s as 64-bit lane masks (all ones where allowed) for states
 * [0, count + 4) at byte offset `at`, 0 past the label.
 */
function writeJumpMasks(i32: Int32Array, at: number, skip: Uint8Array, count: number): void {
  const first = at >> 2;
  for (let s = 0; s < count + 4; s++) {
    const mask = s < count && skip[s] ? -1 : 0;
    i32[first + 2 * s] = mask;
    i32[first + 2 * s + 1] = mask;
  }
}

/** One sample's β recursion, occupancies and gradient, from what {@link ctcAlphaLinear} left. */
export interface CTCBetaRecursion {
  /** The forward's emissions (row stride `emissionWidth`), α̂ (row stride `states`) and emission flags. */
  readonly emissions: Float64Array;
  readonly emissionWidth: number;
  readonly emissionUnderflows: Uint8Array;
  readonly alphas: Float64Array;
  readonly states: number;
  /** The extended label's classes and allowed jumps, and its state count S = 2L + 1. */
  readonly extended: Int32Array;
  readonly skip: Uint8Array;
  readonly count: number;
  /** The sample's frame count T_b. */
  readonly frames: number;
  /** dℓ, the factor of every occupancy. */
  readonly scale: number;
  /**
   * In and out: the sample's float32 gradient rows of `classes` (frame t at `t·frameStride`),
   * holding dℓ·softmax(x_t); dℓ·γ_t(s) is subtracted at class l'_s of every state s in frame t's
   * window, and only when the result is accepted (untouched otherwise).
   */
  readonly gradient: Float32Array;
  readonly classes: number;
  readonly frameStride: number;
  /** log p of the forward and the underflow bound: see the return value. */
  readonly logLikelihood: number;
  readonly underflowMargin: number;
}

/**
 * Runs the rescaled β recursion of one sample, its occupancies and its gradient in wasm (the
 * reference and the derivation: linearBackward in src/loss/_ctc-backward.ts). Returns true when
 * every frame's β and occupancy sums were usable and the underflow bound holds (the largest log
 * scale of a frame whose β step underflowed is at most `underflowMargin` above `logLikelihood`):
 * the gradient has its occupancies subtracted. False when the caller must fall back to log space
 * (the gradient is untouched), null without wasm.
 */
export function ctcBetaLinear(args: CTCBetaRecursion): boolean | null {
  const { emissions, emissionWidth, emissionUnderflows, alphas, states, extended, skip, count, scale } = args;
  const { frames, gradient, classes, frameStride } = args;
  const emissionsAt = SCRATCH_BASE;
  const flagsAt = emissionsAt + regionBytes(frames * emissionWidth * 8);
  const alphasAt = flagsAt + regionBytes(frames);
  // States go in pairs: a row's last pair may read one past it, ahead up to four past.
  const skipAt = alphasAt + regionBytes(frames * states * 8 + 16);
  const betaAt = skipAt + regionBytes((count + 4) * 8);
  const betaNextAt = betaAt + regionBytes((count + 2) * 8);
  const aheadAt = betaNextAt + regionBytes((count + 2) * 8);
  const gammasAt = aheadAt + regionBytes((count + 4) * 8);
  const totalsAt = gammasAt + regionBytes(frames * states * 8);
  const frameFlagsAt = totalsAt + regionBytes(frames * 8);
  const extendedAt = frameFlagsAt + regionBytes(frames);
  const gradientAt = extendedAt + regionBytes(count * 4);
  const end = gradientAt + regionBytes(frames * classes * 4);
  const scratch = reserveScratch(wasmScratch(), end - SCRATCH_BASE);
  if (!scratch) return null;
  const { f32, f64, i32, u8, kernels } = scratch;
  f64.set(emissions.subarray(0, frames * emissionWidth), emissionsAt >> 3);
  u8.set(emissionUnderflows.subarray(0, frames), flagsAt);
  f64.set(alphas.subarray(0, frames * states), alphasAt >> 3);
  writeJumpMasks(i32, skipAt, skip, count);
  i32.set(extended.subarray(0, count), extendedAt >> 2);
  const rows = gradientAt >> 2;
  if (frameStride === classes) f32.set(gradient.subarray(0, frames * classes), rows);
  else {
    for (let t = 0; t < frames; t++) {
      f32.set(gradient.subarray(t * frameStride, t * frameStride + classes), rows + t * classes);
    }
  }
  const ok = kernels.ctcBetaLinear(
    emissionsAt,
    emissionWidth,
    flagsAt,
    alphasAt,
    states,
    skipAt,
    count,
    frames,
    scale,
    betaAt,
    betaNextAt,
    aheadAt,
    gammasAt,
    totalsAt,
    frameFlagsAt,
    extendedAt,
    classes,
    gradientAt,
  );
  if (!ok) return false;
  // The underflow bound, from the β scales D_t = Π_{τ ≥ t} totals (log D_{T−1} = 0).
  let logScale = 0;
  let worst = Number.NEGATIVE_INFINITY;
  const totalsOf = totalsAt >> 3;
  for (let t = frames - 2; t >= 0; t--) {
    const nextScale = logScale + Math.log(f64[totalsOf + t]!);
    if (u8[frameFlagsAt + t]) worst = Math.max(worst, logScale, nextScale);
    logScale = nextScale;
  }
  if (!(worst - args.logLikelihood <= args.underflowMargin)) return false;
  if (frameStride === classes) gradient.set(f32.subarray(rows, rows + frames * classes));
  else {
    for (let t = 0; t < frames; t++) {
      gradient.set(f32.subarray(rows + t * classes, rows + (t + 1) * classes), t * frameStride);
    }
  }
  return true;
}
