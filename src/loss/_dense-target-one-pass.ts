/**
 * The one-pass training step of the losses of a dense target z against log p (see
 * Loss.forwardGradient): KLDivLoss, ℓ = z · (log(z + ε) − log p), and SoftmaxCrossEntropyLoss with
 * dense labels, ℓ = −z · log p (crossEntropyTerm). For a label of pred's shape and, through the
 * log-softmax, the class axis last: the per-sample sums of ℓ and pred's scaled gradient, the
 * same for both, a piece of cache-sized rows at a time.
 *
 * Per row, with s the sample's scale (weight · sampleWeight / M, the factor that tells Gluon's
 * class mean from classReduction 'sum'):
 * - `fromLogits` (pred = log p): ∂/∂x_j = −s · z_j;
 * - through the log-softmax: ∂/∂x_j = s · (p_j · Σ_c z_c − z_j), by the softmax kernels
 *   (softmaxRowNormalizersFloat64, then softmaxGradientRows with the per-row scale s · Σ_c z_c
 *   and the dense labels), the difference taken in float64 so a float32 gradient is rounded
 *   once, as on the block path. For cross-entropy on float32 logits a piece runs those kernels
 *   on one copy of its rows in wasm memory (kernels/dense-cross-entropy.ts), with the same bits.
 *
 * Accuracy against the float64 value (float32 [64, 1000], label = softmax(logits + noise), worst
 * relative error of a sample's KL; measured with the block path's Math.log, which gives at most
 * 5.7e-8, one float32 rounding, on every label below, zeros and 1e-40 included):
 * - log(z + ε) is Math.log's float64 value, as on the block path: the term sums are
 *   kernels/dense-target.ts's denseTargetTermSum, whose wasm kernel takes fdlibm's log (bit for
 *   bit Math.log) where the labels change at every entry and the reference reuses Math.log while
 *   a label repeats (one-hot and smoothed labels). The kernel layer's vectorised float32 log
 *   (logInto into a float32 scratch) was ~30% faster than Math.log at [4096, 1000] (29 vs 42 ms a
 *   step with fromLogits, on a busy machine) but its error, float32 rounding of log z
 *   (~1e-7 · Σ z |log z| per row), is large against a small KL: 5e-6 at KL ≈ 5e-3, 7.5e-4 at
 *   KL ≈ 5e-5, 16 (no digit) at KL ≈ 5e-9, so it was not taken.
 * - Through the log-softmax KL takes softmaxRowNormalizersFloat64's normalisers (Math.exp's
 *   float64 values, fdlibm's e^x in wasm where that pays), as on the block path. The float32
 *   softmax kernel's (float32 exponentials summed in float64, as SoftmaxCE's) was 40% faster (62
 *   against 102 ms a step at [4096, 1000]), but an error δ ≲ 2e-7 in a row's log-sum-exp shifts
 *   its KL by δ · Σ z: 2.2e-6 relative at KL ≈ 5e-3, 2.5e-4 at KL ≈ 5e-5, 11 at KL ≈ 5e-9. A
 *   training step would then report another KL than an evaluation of the same inputs (the block
 *   path) just where the model fits its targets, so the float64 normalisers it is (5.4e-8
 *   everywhere). Cross-entropy takes the kernel's (wasm for float32): its terms z · ((shift − x)
 *   + logSum) are all ≥ 0 (logSum ≥ 0 is the term of the row's maximum), so they keep the
 *   normalisers' relative accuracy, where KL is a small difference of large terms.
 *
 * The terms, and their zero-label rules, are the block paths' (klTerm and crossEntropyTerm of
 * kernels/dense-target.ts).
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import {
  softmaxGradientRows,
  softmaxRowNormalizers,
  softmaxRowNormalizersFloat64,
} from '../kernels/softmax.js';
import type { FloatArray } from '../kernels/_spans.js';
import { crossEntropyTerm, denseTargetTermSum, klTerm } from '../kernels/dense-target.js';
import { denseCrossEntropyPiece } from '../kernels/dense-cross-entropy.js';
import type { Loss } from './_base/index.js';
import type { CallMemory } from './_call-memory.js';
import { type ClassRows, logProbabilityAt, Runs } from './_class-rows.js';

/** Elements per piece: the rows of a piece and their scratch stay in cache between the passes. */
const PIECE = 16384;

/** What {@link denseTargetOnePass} needs besides the hook's call: the loss and its settings. */
export interface DenseTarget {
  /** Which loss: KL's z · (log(z + ε) − log p) or cross-entropy's −z · log p. */
  readonly term: 'kl' | 'crossEntropy';
  /** The loss's CallMemory: the scratch is taken from it and given back before the call returns. */
  readonly memory: CallMemory;
  /** The class count (row length); read only through the log-softmax. */
  readonly classes: number;
  /** pred holds log-probabilities (KL only), else logits with the class axis last. */
  readonly fromLogits: boolean;
}

/** The hook's call flattened: pred (x) and the label (z, of pred's shape) as data. */
interface Rows extends DenseTarget {
  readonly x: FloatArray;
  readonly z: TypedArray;
  readonly sampleSize: number;
  readonly scales: Float64Array;
  readonly sums: Float64Array;
  readonly gradient: FloatArray;
}

/**
 * Writes `sums` and `gradient` of a forwardGradient call whose prepared arrays are [pred, label]
 * as Loss.forwardGradient's contract asks (see the module comment).
 */
export function denseTargetOnePass(
  target: DenseTarget,
  { prepared, sampleSize, scales, sums, gradient }: Loss.ForwardGradientCall<unknown, unknown>,
): void {
  const [pred, label] = prepared.arrays;
  const x = pred!.data as FloatArray;
  const rows: Rows = {
    ...target,
    x,
    z: label!.data,
    sampleSize,
    scales,
    sums,
    gradient: gradient as FloatArray,
  };
  // An empty class axis (classReduction 'sum' keeps samples of no elements): every sum is 0.
  if (x.length === 0) sums.fill(0);
  else if (target.fromLogits && target.term === 'kl') logProbabilityTerms(rows);
  else logitPieces(rows);
}

function logProbabilityTerms(call: Rows): void {
  const { x, z, sampleSize, scales, sums, gradient } = call;
  for (let sample = 0, k = 0; sample < scales.length; sample++, k += sampleSize) {
    // log p = x itself: x − 0 − 0 is x, bit for bit (−0 and NaN included).
    // ∂/∂x_j = −s · z_j, written by the same pass.
    const scale = scales[sample]!;
    sums[sample] = denseTargetTermSum({
      term: 'kl',
      z,
      x,
      begin: k,
      end: k + sampleSize,
      shift: 0,
      logSum: 0,
      gradient: { out: gradient, scale },
    });
  }
}

/**
 * pred holds logits, the class axis last: log p = (x − shift) − logSum from the softmax kernels'
 * normalisers, ∂/∂x_j = s · (p_j · Σ_c z_c − z_j) by softmaxGradientRows with dense labels.
 * A piece is the rows of at most PIECE elements (one row if longer), so each pass after the
 * first reads them from cache.
 */
function logitPieces(call: Rows): void {
  const { memory, x, z, classes, sampleSize, scales, sums, gradient } = call;
  const kl = call.term === 'kl';
  const rows = x.length / classes;
  const perPiece = Math.max(1, Math.min(rows, Math.floor(PIECE / classes)));
  const rowsPerSample = sampleSize / classes;
  // Per row of a piece: the normalisers, the softmax's scale s · Σz, the labels' s and the term
  // sum; then one entry for a row's label mass (the term sums give it from the same pass).
  const scratchLength = 5 * perPiece;
  const scratch = memory.takeArray('float64', scratchLength + 1) as Float64Array;
  const labelMass = scratch.subarray(scratchLength);
  sums.fill(0);
  for (let first = 0; first < rows; first += perPiece) {
    const count = Math.min(perPiece, rows - first);
    const begin = first * classes;
    const end = begin + count * classes;
    const pieceRows = {
      x: x.subarray(begin, end),
      classes,
      shift: scratch.subarray(0, count),
      logSum: scratch.subarray(perPiece, perPiece + count),
    };
    const { shift, logSum } = pieceRows;
    const rowScale = scratch.subarray(2 * perPiece, 2 * perPiece + count);
    const labelScale = scratch.subarray(3 * perPiece, 3 * perPiece + count);
    if (!kl) {
      const totals = scratch.subarray(4 * perPiece, 4 * perPiece + count);
      for (let r = 0; r < count; r++) labelScale[r] = scales[Math.floor((first + r) / rowsPerSample)]!;
      const out = gradient.subarray(begin, end);
      const piece = {
        ...pieceRows,
        z: z.subarray(begin, end),
        sampleScales: labelScale,
        totals,
        rowScales: rowScale,
        out,
      };
      // The same kernels on one copy of the piece (kernels/dense-cross-entropy.ts), when it runs.
      if (denseCrossEntropyPiece(piece)) {
        for (let r = 0; r < count; r++) sums[Math.floor((first + r) / rowsPerSample)]! += totals[r]!;
        continue;
      }
    }
    if (kl) softmaxRowNormalizersFloat64(pieceRows);
    else softmaxRowNormalizers(pieceRows);
    for (let r = 0, k = begin; r < count; r++) {
      const sample = Math.floor((first + r) / rowsPerSample);
      const m = shift[r]!;
      const l = logSum[r]!;
      const stop = k + classes;
      const total = denseTargetTermSum({
        term: call.term,
        z,
        x,
        begin: k,
        end: stop,
        shift: m,
        logSum: l,
        labelMass,
      });
      const mass = labelMass[0]!;
      k = stop;
      sums[sample]! += total;
      rowScale[r] = scales[sample]! * mass;
      labelScale[r] = scales[sample]!;
    }
    // s · Σz · p − s · z, in float64 and rounded once into the gradient (in place when it is an
    // arena region)
    softmaxGradientRows({
      ...pieceRows,
      scale: rowScale,
      labels: null,
      out: gradient.subarray(begin, end),
      denseLabels: { z: z.subarray(begin, end), scales: labelScale },
    });
  }
  memory.giveBackArray(scratch);
}

/**
 * The block path's losses of a dense target over the rows [begin, end) of `rows` (the class axis
 * anywhere): loss[r − begin] = Σ_c term(z_c, log p_c) in class order from 0. Contiguous rows (the
 * class axis last) by the kernel layer's denseTargetTermSum, others through the runs; x − 0 − 0
 * is x bit for bit without normalisers, so both give logProbabilityAt's terms.
 */
export function denseTargetRowSums(
  term: 'kl' | 'crossEntropy',
  rows: ClassRows,
  z: TypedArray,
  loss: Float64Array,
): void {
  const { x, layout, normalizers, begin, end } = rows;
  if (layout.inner === 1) {
    const size = layout.size;
    for (let r = begin; r < end; r++) {
      const shift = normalizers ? normalizers.shift[r]! : 0;
      const logSum = normalizers ? normalizers.logSum[r]! : 0;
      const row = { z, x: x as FloatArray, begin: r * size, end: (r + 1) * size, shift, logSum };
      loss[r - begin] = denseTargetTermSum({ term, ...row });
    }
    return;
  }
  const termOf = term === 'kl' ? klTerm : crossEntropyTerm;
  loss.fill(0, 0, end - begin);
  for (const run = new Runs(rows, true); run.next(); ) {
    const { step, jStep, last } = run;
    for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep)
      loss[j]! += termOf(z[k]!, logProbabilityAt(x, normalizers, k, r));
  }
}
