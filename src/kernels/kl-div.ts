/**
 * The sum of KLDivLoss's terms z · (log(z + ε) − log p) over a run of elements, with log p =
 * (x − shift) − logSum: its float64 reference and its wasm driver (kl-div.wat), which give the
 * same bits. The reference takes Math.log(z + ε) once per run of a repeated label (one-hot and
 * smoothed labels); the kernel takes fdlibm's log (bit for bit V8's Math.log, math-float64.wat)
 * of every label, about twice as fast where the labels differ from one entry to the next (soft
 * targets, distillation), so it runs where a sampled stretch of the labels mostly changes.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import type { FloatArray } from './_spans.js';
import { regionBytes, reserveScratch, SCRATCH_BASE, type Scratch, wasmScratch } from './runtime.js';

/** The epsilon Gluon adds inside log(label + ε), kept so values match Gluon's. */
export const KL_EPSILON = 1e-12;

/** Elements of z and of x copied into wasm memory per call. */
const CHUNK = 4096;
/** Labels sampled (from a run's start) to choose between the kernel and the reference. */
const SAMPLE = 64;

/** The run of elements [begin, end) of the labels z and of pred x, and the row's normalisers. */
export interface KLTerms {
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
}

/**
 * Σ z_k · (log(z_k + ε) − ((x_k − shift) − logSum)) over [begin, end), added in index order.
 * A zero label adds nothing (0 · log 0 = 0, whatever log p is), except that a NaN log p makes the
 * sum NaN; a NaN or negative label gives NaN.
 */
export function klTermSum(terms: KLTerms): number {
  const { z, begin, end } = terms;
  const scratch =
    end - begin >= SAMPLE &&
    (z instanceof Float32Array || z instanceof Float64Array) &&
    changesOften(z, begin)
      ? reserveScratch(wasmScratch(), 16 + 3 * regionBytes(CHUNK * 8 + 16))
      : null;
  if (!scratch) return klTermSumReference(terms);
  const massAt = terms.labelMass ? SCRATCH_BASE : 0;
  if (massAt) scratch.f64[massAt >> 3] = 0;
  let total = 0;
  for (let from = begin; from < end; from += CHUNK) {
    const length = Math.min(CHUNK, end - from);
    total = chunkSum(scratch, { ...terms, z: z as FloatArray, begin: from, end: from + length }, total);
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

/** The float64 reference of {@link klTermSum}: Math.log(z + ε) once per run of a repeated label. */
export function klTermSumReference({
  z,
  x,
  begin,
  end,
  shift,
  logSum,
  labelMass,
  gradient,
}: KLTerms): number {
  if (gradient) {
    const { out, scale } = gradient;
    const factor = -scale;
    for (let k = begin; k < end; k++) out[k] = factor * z[k]!;
  }
  let total = 0;
  let mass = 0;
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
  if (labelMass) labelMass[0] = mass;
  return total;
}

/** `total` plus the sum of one chunk, z and x copied into scratch as they are. */
function chunkSum(
  scratch: Scratch,
  { z, x, begin, end, shift, logSum, labelMass, gradient }: KLTerms & { readonly z: FloatArray },
  total: number,
): number {
  const length = end - begin;
  // The label mass at SCRATCH_BASE (read and added to by each chunk), then z, x and the gradient.
  const zAt = SCRATCH_BASE + 16;
  const xAt = zAt + regionBytes(CHUNK * 8 + 16);
  const gradientAt = gradient ? xAt + regionBytes(CHUNK * 8 + 16) : 0;
  const gradientFloat32 = gradient?.out instanceof Float32Array;
  const zFloat32 = z instanceof Float32Array;
  const xFloat32 = x instanceof Float32Array;
  (zFloat32 ? scratch.f32 : scratch.f64).set(z.subarray(begin, end), zAt / (zFloat32 ? 4 : 8));
  (xFloat32 ? scratch.f32 : scratch.f64).set(x.subarray(begin, end), xAt / (xFloat32 ? 4 : 8));
  const sum = scratch.kernels.klTermSumF64(
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
  );
  if (gradient) {
    const view = gradientFloat32 ? scratch.f32 : scratch.f64;
    const at = gradientAt / view.BYTES_PER_ELEMENT;
    gradient.out.set(view.subarray(at, at + length), begin);
  }
  return sum;
}
