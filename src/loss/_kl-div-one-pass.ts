/**
 * KLDivLoss's one-pass training step (see KLDivLoss.forwardGradient): for a label of pred's shape
 * and, through the log-softmax, the class axis last, the per-sample sums of
 * ℓ = z · (log(z + ε) − log p) and pred's scaled gradient, a piece of cache-sized rows at a time.
 *
 * Per row, with s the sample's scale (weight · sampleWeight / M, the factor that tells Gluon's
 * class mean from classReduction 'sum'):
 * - `fromLogits` (pred = log p): ∂/∂x_j = −s · z_j;
 * - through the log-softmax: ∂/∂x_j = s · (p_j · Σ_c z_c − z_j), the first part from the softmax
 *   kernels (softmaxRowNormalizers, softmaxGradientRows with the per-row scale s · Σ_c z_c) into
 *   float64 scratch, so a float32 gradient is rounded once, as on the block path.
 *
 * log(z + ε) of a float32 label comes from the kernel layer's vectorised log (logInto: float32
 * wasm, ~2.5× faster than a Math.log loop at 4M elements), taken of z itself and corrected to
 * first order: z · log(z + ε) = z · log z + ε (the next term, ε² / 2z, is below 1e-19 for the
 * labels it is used on, z ≥ 2^−16). Its error is float32 rounding of log z: at most ~1.2e-7 ·
 * Σ z |log z| per row, so a float32 label's KL has an absolute error within float32 precision of
 * the label's entropy (the block path's Math.log is float64 throughout: the two agree to ~1e-7
 * relative on ordinary soft labels, see test/loss/kl-div-one-pass.test.ts). Smaller non-zero labels,
 * where ε is not negligible against float32 rounding, and float64 (or integer) labels take
 * Math.log(z + ε) in float64 as Gluon writes it. The zero-label rule is the block path's: a zero
 * label contributes 0 whatever log p is (0 · log 0 = 0, also beside log p = ±∞), except that a
 * NaN log p still propagates.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { logInto } from '../kernels/elementwise.js';
import { softmaxGradientRows, softmaxRowNormalizers } from '../kernels/softmax.js';
import type { FloatArray } from '../kernels/_spans.js';
import type { CallMemory } from './_call-memory.js';

/** The epsilon Gluon adds inside log(label + ε), kept so values match Gluon's. */
export const KL_EPSILON = 1e-12;

/** Elements per piece: the rows of a piece and their scratch stay in cache between the passes. */
const PIECE = 16384;

/**
 * The smallest float32 label whose log comes from the vectorised log of z itself (see the module
 * comment): above it ε / z < 6.6e-8, so log z + ε / z is log(z + ε) to far better than float32.
 */
const SMALL_LABEL = 2 ** -16;

/** One call of {@link klDivOnePass}: the fields of Loss.ForwardGradientCall, with pred and label as data. */
export interface KLOnePassCall {
  /** The loss's CallMemory: the scratch is taken from it and given back before the call returns. */
  readonly memory: CallMemory;
  /** pred: log-probabilities (`fromLogits`) or logits with the class axis last. */
  readonly x: FloatArray;
  /** The label, of pred's shape (probabilities). */
  readonly z: TypedArray;
  /** The class count (row length); read only through the log-softmax. */
  readonly classes: number;
  readonly fromLogits: boolean;
  readonly sampleSize: number;
  readonly scales: Float64Array;
  readonly sums: Float64Array;
  readonly gradient: FloatArray;
}

/** Writes `sums` and `gradient` as Loss.forwardGradient's contract asks (see the module comment). */
export function klDivOnePass(call: KLOnePassCall): void {
  const { memory, x, fromLogits, sampleSize } = call;
  // A row: a class row through the log-softmax; with fromLogits the terms are elementwise, so
  // pieces of PIECE elements whatever the sample size.
  const classes = fromLogits ? Math.min(sampleSize, PIECE) : call.classes;
  const rows = x.length / classes;
  const perPiece = Math.max(1, Math.min(rows, Math.floor(PIECE / classes)));
  const length = perPiece * classes;
  // Per row of a piece: the normalisers and the softmax scale; per element: log z and s · Σz · p.
  const scratch = memory.takeArray('float64', 3 * perPiece + (fromLogits ? 1 : 2) * length) as Float64Array;
  const pieces: Pieces = {
    classes,
    perPiece,
    logLabel: scratch.subarray(3 * perPiece, 3 * perPiece + length),
    shift: scratch.subarray(0, perPiece),
    logSum: scratch.subarray(perPiece, 2 * perPiece),
    rowScale: scratch.subarray(2 * perPiece, 3 * perPiece),
    scaled: scratch.subarray(3 * perPiece + length),
  };
  if (fromLogits) logProbabilityPieces(call, pieces);
  else logitPieces(call, pieces);
  memory.giveBackArray(scratch);
}

/** The scratch views of one call, each for one piece of `perPiece` rows of `classes` elements. */
interface Pieces {
  readonly classes: number;
  readonly perPiece: number;
  /** log z of the piece's elements (float32 labels at least 2^−16: log z, see labelLogs). */
  readonly logLabel: Float64Array;
  readonly shift: Float64Array;
  readonly logSum: Float64Array;
  /** s · Σ_c z_c per row. */
  readonly rowScale: Float64Array;
  /** s · Σ_c z_c · p_j per element. */
  readonly scaled: Float64Array;
}

/**
 * One term z · (log(z + ε) − log p) from z, the piece's log z (or log(z + ε) for a non-float32
 * label) and log p: the block path's klTerm, with log z + ε / z for log(z + ε) where z ≥ 2^−16.
 */
function term(z: number, logLabel: number, logProbability: number, float32: boolean): number {
  // log(z + ε) = log z + (fl(z + ε) − z) / z to first order, with z + ε rounded in float64 as
  // the block path rounds it (the difference is exact): a loss made only of ε (a perfect
  // prediction of a one-hot label) keeps the block path's value.
  if (z >= SMALL_LABEL)
    return float32 ? z * (logLabel - logProbability) + (z + KL_EPSILON - z) : z * (logLabel - logProbability);
  if (z === 0) return Number.isNaN(logProbability) ? logProbability : 0;
  return z * (Math.log(z + KL_EPSILON) - logProbability);
}

/** log z (float32 labels, by the vectorised log) or log(z + ε) (others) of z[begin, end) into `out`. */
function labelLogs(z: TypedArray, begin: number, end: number, out: Float64Array): void {
  if (z instanceof Float32Array) {
    logInto(z.subarray(begin, end), out.subarray(0, end - begin));
    return;
  }
  for (let k = begin, i = 0; k < end; k++, i++) out[i] = Math.log(z[k]! + KL_EPSILON);
}

/** pred holds log-probabilities: ℓ_k = z_k · (log(z_k + ε) − x_k), ∂/∂x_k = −s · z_k. */
function logProbabilityPieces(call: KLOnePassCall, pieces: Pieces): void {
  const { x, z, sampleSize, scales, sums, gradient } = call;
  const { logLabel } = pieces;
  const float32 = z instanceof Float32Array;
  const step = pieces.perPiece * pieces.classes;
  for (let begin = 0; begin < x.length; begin += step) {
    const end = Math.min(x.length, begin + step);
    labelLogs(z, begin, end, logLabel);
    // The piece's part of each sample it meets.
    for (let k = begin; k < end; ) {
      const sample = Math.floor(k / sampleSize);
      const stop = Math.min(end, (sample + 1) * sampleSize);
      const s = scales[sample]!;
      let total = 0;
      for (; k < stop; k++) {
        const v = z[k]!;
        total += term(v, logLabel[k - begin]!, x[k]!, float32);
        gradient[k] = -s * v;
      }
      sums[sample]! += total;
    }
  }
}

/**
 * pred holds logits, the class axis last: log p = (x − shift) − logSum from the softmax kernels'
 * normalisers, ∂/∂x_j = s · (p_j · Σ_c z_c − z_j) with its first part by softmaxGradientRows.
 */
function logitPieces(call: KLOnePassCall, pieces: Pieces): void {
  const { x, z, sampleSize, scales, sums, gradient } = call;
  const { classes, perPiece, logLabel, scaled } = pieces;
  const float32 = z instanceof Float32Array;
  const rows = x.length / classes;
  const rowsPerSample = sampleSize / classes;
  for (let first = 0; first < rows; first += perPiece) {
    const count = Math.min(perPiece, rows - first);
    const begin = first * classes;
    const end = begin + count * classes;
    const rowsOfPiece = {
      x: x.subarray(begin, end),
      classes,
      shift: pieces.shift.subarray(0, count),
      logSum: pieces.logSum.subarray(0, count),
    };
    const { shift, logSum } = rowsOfPiece;
    const rowScale = pieces.rowScale.subarray(0, count);
    softmaxRowNormalizers(rowsOfPiece);
    labelLogs(z, begin, end, logLabel);
    for (let r = 0, k = begin; r < count; r++) {
      const sample = Math.floor((first + r) / rowsPerSample);
      const m = shift[r]!;
      const l = logSum[r]!;
      let total = 0;
      let mass = 0;
      for (const stop = k + classes; k < stop; k++) {
        const v = z[k]!;
        mass += v;
        // (x − shift) − logSum, as the block path's logProbabilityAt.
        total += term(v, logLabel[k - begin]!, x[k]! - m - l, float32);
      }
      sums[sample]! += total;
      rowScale[r] = scales[sample]! * mass;
    }
    const out = scaled.subarray(0, end - begin);
    softmaxGradientRows({ ...rowsOfPiece, scale: rowScale, labels: null, out });
    for (let r = 0, k = begin; r < count; r++) {
      const s = scales[Math.floor((first + r) / rowsPerSample)]!;
      for (const stop = k + classes; k < stop; k++) gradient[k] = out[k - begin]! - s * z[k]!;
    }
  }
}
