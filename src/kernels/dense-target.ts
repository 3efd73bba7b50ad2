/**
 * The terms of a dense target z against log p = (x − shift) − logSum, summed over a run of
 * elements: KLDivLoss's z · (log(z + ε) − log p) ({@link klTerm}) and the cross-entropy
 * −z · log p of SoftmaxCrossEntropyLoss with dense labels ({@link crossEntropyTerm}). Each has
 * its float64 reference and the wasm driver (dense-target.wat), which give the same bits.
 *
 * The KL reference takes Math.log(z + ε) once per run of a repeated label (one-hot and smoothed
 * labels); the kernel takes fdlibm's log (bit for bit V8's Math.log, math-float64.wat) of every
 * label, about twice as fast where the labels differ from one entry to the next (soft targets,
 * distillation), so it runs where a sampled stretch of the labels mostly changes. The
 * cross-entropy kernel has no log to take and runs for any run of float labels.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import type { FloatArray } from './_spans.js';
import { regionBytes, reserveScratch, SCRATCH_BASE, type Scratch, wasmScratch } from './runtime.js';

/** The epsilon Gluon adds inside log(label + ε), kept so values match Gluon's. */
export const KL_EPSILON = 1e-12;

/**
 * One KL term z · (log(z + ε) − log p), kept inside one product (Gluon's rounding), with its
 * zero-label rule: a zero label contributes 0 whatever log p is (0 · log 0 = 0: an impossible
 * class with no label mass is not an error, nor is log p = +∞), except that a NaN prediction
 * still propagates.
 */
export function klTerm(z: number, logProbability: number): number {
  if (z === 0) return Number.isNaN(logProbability) ? logProbability : 0;
  return z * (Math.log(z + KL_EPSILON) - logProbability);
}

/**
 * The cross-entropy term −z · log p of a dense label, with a zero label on an impossible class
 * (log p = −∞) contributing 0 instead of 0 · ∞ = NaN: such a class is a mask. A NaN still
 * propagates.
 */
export function crossEntropyTerm(z: number, logProbability: number): number {
  return z === 0 && logProbability === Number.NEGATIVE_INFINITY ? 0 : -(z * logProbability);
}

/** Elements of z and of x copied into wasm memory per call. */
const CHUNK = 4096;
/** Labels sampled (from a run's start) to choose between the KL kernel and its reference. */
const SAMPLE = 64;
/** Below this many elements a run's wasm call costs more than it saves. */
const WASM_MINIMUM = 32;

/** The run of elements [begin, end) of the labels z and of pred x, and the row's normalisers. */
export interface DenseTargetTerms {
  /** Which term: KL's or the cross-entropy's. */
  readonly term: 'kl' | 'crossEntropy';
  readonly z: TypedArray;
  readonly x: FloatArray;
  readonly begin: number;
  readonly end: number;
  /** log p = (x − shift) − logSum: 0 and 0 when x holds log-probabilities. */
  readonly shift: number;
  readonly logSum: number;
  /**
   * When given, its first entry gets the label mass Σ z_k over the run, summed in index order
   * (what the gradient through the log-softmax scales p by), from the same pass.
   */
  readonly labelMass?: Float64Array;
  /**
   * When given, gets the gradient of the terms' sum with respect to log p, times a sample's scale
   * s: out[k] = −s · z_k over the run (the float64 product, rounded once into out), from the same
   * pass.
   */
  readonly gradient?: { readonly out: FloatArray; readonly scale: number };
  /**
   * When given (end − begin entries), gets each element's term, terms[k − begin] = term(z_k,
   * log p_k), the values the sum adds, from the same pass.
   */
  readonly terms?: Float64Array;
}

/**
 * Σ term(z_k, (x_k − shift) − logSum) over [begin, end), added in index order, with the term's
 * zero-label rule (see {@link klTerm}, {@link crossEntropyTerm}); a NaN or, for KL, a negative
 * label gives NaN.
 */
export function denseTargetTermSum(terms: DenseTargetTerms): number {
  const { z, begin, end } = terms;
  const float = z instanceof Float32Array || z instanceof Float64Array;
  const worthIt =
    terms.term === 'crossEntropy'
      ? end - begin >= WASM_MINIMUM
      : end - begin >= SAMPLE && changesOften(z, begin);
  const scratch =
    float && worthIt ? reserveScratch(wasmScratch(), 16 + 4 * regionBytes(CHUNK * 8 + 16)) : null;
  if (!scratch) return denseTargetTermSumReference(terms);
  const massAt = terms.labelMass ? SCRATCH_BASE : 0;
  if (massAt) scratch.f64[massAt >> 3] = 0;
  let total = 0;
  for (let from = begin; from < end; from += CHUNK) {
    const length = Math.min(CHUNK, end - from);
    const termsOut = terms.terms ? terms.terms.subarray(from - begin, from - begin + length) : null;
    const chunk = { ...terms, z: z as FloatArray, begin: from, end: from + length };
    total = chunkSum(scratch, chunk, total, termsOut);
  }
  if (terms.labelMass) terms.labelMass[0] = scratch.f64[massAt >> 3]!;
  return total;
}

/** Whether most of the SAMPLE labels from `begin` differ from the one before. */
function changesOften(z: TypedArray, begin: number): boolean {
  let changes = 0;
  for (let k = begin + 1; k < begin + SAMPLE; k++) if (z[k] !== z[k - 1]) changes++;
  return 2 * changes >= SAMPLE;
}

/**
 * The float64 reference of {@link denseTargetTermSum}: for KL, Math.log(z + ε) once per run of a
 * repeated label.
 */
export function denseTargetTermSumReference(terms: DenseTargetTerms): number {
  const { z, x, begin, end, shift, logSum, labelMass, gradient } = terms;
  if (gradient) {
    const { out, scale } = gradient;
    const factor = -scale;
    for (let k = begin; k < end; k++) out[k] = factor * z[k]!;
  }
  let total = 0;
  let mass = 0;
  const each = terms.terms;
  if (each || terms.term === 'crossEntropy') {
    // Term by term, each written where asked and added: a zero label's KL term of 0 adds nothing
    // and a NaN one makes the sum NaN, as in the loop below.
    const termOf = terms.term === 'kl' ? klTerm : crossEntropyTerm;
    for (let k = begin; k < end; k++) {
      const value = termOf(z[k]!, x[k]! - shift - logSum);
      if (each) each[k - begin] = value;
      mass += z[k]!;
      total += value;
    }
  } else {
    // KL's sum alone: log(z + ε) taken once per run of a repeated label.
    let repeated = Number.NaN;
    let logLabel = Number.NaN;
    for (let k = begin; k < end; k++) {
      const v = z[k]!;
      mass += v;
      // (x − shift) − logSum, as the block path's logProbabilityAt.
      const logProbability = x[k]! - shift - logSum;
      if (v !== 0) {
        if (v !== repeated) {
          repeated = v;
          logLabel = Math.log(v + KL_EPSILON);
        }
        total += v * (logLabel - logProbability);
      } else if (Number.isNaN(logProbability)) total = Number.NaN;
    }
  }
  if (labelMass) labelMass[0] = mass;
  return total;
}

/** `total` plus the sum of one chunk, z and x copied into scratch as they are. */
function chunkSum(
  scratch: Scratch,
  {
    term,
    z,
    x,
    begin,
    end,
    shift,
    logSum,
    labelMass,
    gradient,
  }: DenseTargetTerms & { readonly z: FloatArray },
  total: number,
  terms: Float64Array | null,
): number {
  const length = end - begin;
  // The label mass at SCRATCH_BASE (read and added to by each chunk), then z, x and the gradient.
  const zAt = SCRATCH_BASE + 16;
  const xAt = zAt + regionBytes(CHUNK * 8 + 16);
  const gradientAt = gradient ? xAt + regionBytes(CHUNK * 8 + 16) : 0;
  const termsAt = terms ? xAt + 2 * regionBytes(CHUNK * 8 + 16) : 0;
  const gradientFloat32 = gradient?.out instanceof Float32Array;
  const zFloat32 = z instanceof Float32Array;
  const xFloat32 = x instanceof Float32Array;
  (zFloat32 ? scratch.f32 : scratch.f64).set(z.subarray(begin, end), zAt / (zFloat32 ? 4 : 8));
  (xFloat32 ? scratch.f32 : scratch.f64).set(x.subarray(begin, end), xAt / (xFloat32 ? 4 : 8));
  const sum = scratch.kernels.denseTargetTermSumF64(
    term === 'kl' ? 1 : 0,
    zAt,
    zFloat32 ? 1 : 0,
    xAt,
    xFloat32 ? 1 : 0,
    length,
    shift,
    logSum,
    KL_EPSILON,
    total,
    labelMass ? SCRATCH_BASE : 0,
    gradientAt,
    gradientFloat32 ? 1 : 0,
    gradient ? -gradient.scale : 0,
    termsAt,
  );
  if (terms) terms.set(scratch.f64.subarray(termsAt >> 3, (termsAt >> 3) + length));
  if (gradient) {
    const view = gradientFloat32 ? scratch.f32 : scratch.f64;
    const at = gradientAt / view.BYTES_PER_ELEMENT;
    gradient.out.set(view.subarray(at, at + length), begin);
  }
  return sum;
}
