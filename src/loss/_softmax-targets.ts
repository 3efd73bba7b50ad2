/**
 * SoftmaxCrossEntropyLoss's PyTorch options — `labelSmoothing` ε, `classWeight` w and
 * `ignoreIndex` — as the targets they make. With C classes and W = Σ_c w_c (w = 1 and W = C
 * without class weights), PyTorch's `cross_entropy(weight=w, ignore_index=i, label_smoothing=ε)`
 * is, per row r with sparse label y (0 where y = ignoreIndex):
 *
 *     ℓ_r = (1 − ε) · w_y · (−log p_y) + (ε / C) · Σ_c w_c · (−log p_c)
 *
 * and with a dense label z: ℓ_r = Σ_c w_c · t_c · (−log p_c), t_c = (1 − ε) · z_c + ε / C.
 *
 * Stable forms. With the row normalisers (log p_c = (x_c − shift) − logSum, shift the row
 * maximum) each −log p_c = logSum + (shift − x_c) is a sum of two non-negative numbers, so
 * S_r = Σ_c w_c · (−log p_c) adds non-negative terms in float64: no cancellation, whatever the
 * size of the logits (±1e30 included). The one-pass kernel returns nll_r = −log p_y but not the
 * normalisers; there −log p_c = nll_r + (x_y − x_c) (both sides are L − x_c, L the row's
 * log-sum-exp), so S_r = W · nll_r + Σ_c w_c · (x_y − x_c), each difference taken per element in
 * float64 (never W · x_y − Σ_c w_c x_c, which cancels for large offsets). Its terms may have
 * either sign, but |x_y − x_c| ≤ (L − x_y) + (L − x_c), so the rounding error stays within about
 * C · 2⁻⁵³ · (W · nll_r + S_r) ≤ C · 2⁻⁵³ · (1 + W / w_y) · S_r. A row where that factor
 * shows (W · nll_r > 2 S_r: a label logit far below the others with a small w_y) or whose nll is
 * not finite (a −Infinity label logit, NaN, +Infinity) is recomputed from its normalisers.
 *
 * Gradient: ∂ℓ_r/∂x_j = M_r · p_j − w_j t_j with M_r = Σ_c w_c t_c = (1 − ε) w_y + (ε / C) W; at the
 * label entry M_r · expm1(log p_y) + (ε / C)(W − w_y) where p_y > ½ (exact when p_y rounds to 1),
 * else M_r · p_y − w_y t_y (no cancellation when w_y ≪ W): labelSlope, for both paths.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { add, equal, mul, neg, where } from '../ops/elementwise.js';
import { pick } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import {
  type ClassLayout,
  type ClassRows,
  classEntry,
  IGNORED_ROW,
  logProbabilityAt,
  perClassOption,
  Runs,
  sparseClassLabels,
} from './_class-rows.js';
import { checkFinite } from './_base/index.js';

/** The validated options: ε, the class weights (null: all 1) and the ignored label (null: none). */
export interface SoftmaxTargets {
  readonly smoothing: number;
  readonly classWeight: Float64Array | null;
  readonly ignoreIndex: number | null;
}

/** Validates labelSmoothing, classWeight and ignoreIndex (ValueError naming the option and value). */
export function softmaxTargets(
  where: string,
  options: { labelSmoothing?: unknown; classWeight?: unknown; ignoreIndex?: unknown },
  sparseLabel: boolean,
): SoftmaxTargets {
  const smoothing = checkFinite(where, 'labelSmoothing', options.labelSmoothing ?? 0);
  if (!(smoothing >= 0 && smoothing < 1))
    throw new ValueError(`${where}: option labelSmoothing must be in [0, 1), got ${smoothing}`);
  const given = options.classWeight;
  const classWeight =
    given === undefined || given === null ? null : perClassOption(where, 'classWeight', given);
  const negative = classWeight ? classWeight.findIndex((w) => w < 0) : -1;
  if (negative >= 0)
    throw new ValueError(
      `${where}: option classWeight[${negative}] must be >= 0 (a class weight), got ${classWeight![negative]}`,
    );
  const ignoreIndex = options.ignoreIndex ?? null;
  if (ignoreIndex !== null && !Number.isSafeInteger(ignoreIndex))
    throw new ValueError(
      `${where}: option ignoreIndex must be an integer or null, got ${String(ignoreIndex)}`,
    );
  if (ignoreIndex !== null && !sparseLabel)
    throw new ValueError(
      `${where}: option ignoreIndex ${String(ignoreIndex)} needs sparse labels (class indices); with sparseLabel: false ` +
        'give the ignored positions a zero sampleWeight instead',
    );
  return { smoothing, classWeight, ignoreIndex: ignoreIndex as number | null };
}

/** Whether any option differs from its default (the defaults keep the Gluon paths). */
export function hasTargetOptions({ smoothing, classWeight, ignoreIndex }: SoftmaxTargets): boolean {
  return smoothing !== 0 || classWeight !== null || ignoreIndex !== null;
}

/** w_c (1 without class weights). */
export function weightOf(classWeight: Float64Array | null, c: number): number {
  return classWeight ? classWeight[c]! : 1;
}

/**
 * M = Σ_c w_c t_c = (1 − ε) · w_y + (ε / C) · W for a row of label y: the weight its softmax
 * carries in the gradient M · p − w t (W = `total`, see totalWeight).
 */
export function targetMass(targets: SoftmaxTargets, y: number, classes: number, total: number): number {
  return (1 - targets.smoothing) * weightOf(targets.classWeight, y) + (targets.smoothing / classes) * total;
}

/**
 * ∂ℓ/∂x_y at the label (before the head gradient), from log p_y: M · p_y − t_y · w_y, with t_y =
 * (1 − ε) + ε / C the label's target and M = targetMass.
 *
 * Derivation: M · p − t · w = M · (p − 1) + (M − t · w), where M − t · w = (ε / C) · (W − w_y) ≥ 0.
 * Where p > ½, and always without smoothing (the second part is then 0), that sum with
 * p − 1 = expm1(log p): exact where p rounds to 1, and neither term exceeds M. Where p ≤ ½ with
 * smoothing, M · p − t · w directly: the sum would cancel M · (p − 1) ≈ −M against
 * (ε / C) · (W − w_y) when w_y ≪ W, leaving a label of class weight 0, whose entry is M · p, to the
 * rounding of M (float32: 70% off and of the wrong sign at p ≈ 1e-8).
 */
export function labelSlope(
  targets: SoftmaxTargets,
  y: number,
  classes: number,
  total: number,
  logProbability: number,
): number {
  const { smoothing, classWeight } = targets;
  const wy = weightOf(classWeight, y);
  const mass = targetMass(targets, y, classes, total);
  if (smoothing === 0 || logProbability > -Math.LN2)
    return mass * Math.expm1(logProbability) + (smoothing / classes) * (total - wy);
  return mass * Math.exp(logProbability) - (1 - smoothing + smoothing / classes) * wy;
}

/** W = Σ_c w_c (C without class weights), in float64. */
export function totalWeight(targets: SoftmaxTargets, classes: number): number {
  if (!targets.classWeight) return classes;
  let total = 0;
  for (const w of targets.classWeight) total += w;
  return total;
}

/** Row r's w_y: classWeight[label] (1 without it), 0 for an ignored row. */
export function rowWeight(sparse: SparseTargets, r: number): number {
  const y = sparse.labels[r]!;
  return y === sparse.ignored ? 0 : weightOf(sparse.targets.classWeight, y);
}

/**
 * A sparse-label call's validated class indices and the value that marks an ignored row in them.
 * Int32 labels are checked in place (each a class in [0, C) or the ignoreIndex, which then marks
 * the ignored rows itself); other labels, or int32 ones that fail the check, go through
 * sparseClassLabels, which copies them with IGNORED_ROW for the ignored rows or throws its
 * ValueError naming the first bad position.
 */
export function sparseTargetLabels(
  where: string,
  label: NDArray,
  pred: { readonly name: string; readonly shape: readonly number[]; readonly axis: number },
  ignoreIndex: number,
): { readonly labels: Int32Array; readonly ignored: number } {
  const data = label.data;
  const classes = pred.shape[pred.axis]!;
  if (data instanceof Int32Array) {
    let valid = true;
    for (let p = 0; p < data.length && valid; p++) {
      const v = data[p]!;
      valid = v === ignoreIndex || (v >= 0 && v < classes);
    }
    if (valid) return { labels: data, ignored: ignoreIndex };
  }
  return { labels: sparseClassLabels(where, label, pred, ignoreIndex), ignored: IGNORED_ROW };
}

/** A dense label's per-element weights w_c · ((1 − ε) z + ε / C), the weights of −log p, into `out`. */
export function denseTargetWeights(
  targets: SoftmaxTargets,
  z: TypedArray,
  layout: ClassLayout,
  out: Float64Array,
): Float64Array {
  const { size, inner } = layout;
  const { smoothing, classWeight } = targets;
  const uniform = smoothing / size;
  for (let k = 0; k < z.length; k++) {
    const c = Math.floor(k / inner) % size;
    out[k] = weightOf(classWeight, c) * ((1 - smoothing) * z[k]! + uniform);
  }
  return out;
}

/**
 * A sparse-label call's targets: the options and each row's class, or `ignored` for an ignored
 * row (IGNORED_ROW, or the ignoreIndex itself when the labels were checked in place; a value no
 * row holds without an ignoreIndex). Row r's w_y is {@link rowWeight}.
 */
export interface SparseTargets {
  readonly targets: SoftmaxTargets;
  readonly labels: Int32Array;
  readonly ignored: number;
}

/**
 * S_r = Σ_c w_c · (−log p_c) of the rows of a block, from the normalisers (or log-probabilities),
 * added into `out` (indexed by r − begin): non-negative terms, see the module comment.
 */
function smoothingSums(rows: ClassRows, classWeight: Float64Array | null, out: Float64Array): void {
  const { x, normalizers, layout } = rows;
  for (const run = new Runs(rows, true); run.next(); ) {
    const { step, jStep, last } = run;
    // A contiguous row (step 0) walks its classes; a run across rows (step 1) is one class.
    let c = step === 0 ? 0 : Math.floor(run.k / layout.inner) % layout.size;
    for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep, c += 1 - step)
      out[j]! -= weightOf(classWeight, c) * logProbabilityAt(x, normalizers, k, r);
  }
}

/** ℓ of the rows [begin, end) of a block with sparse labels (the normalisers already computed). */
export function sparseTargetLosses(rows: ClassRows, sparse: SparseTargets, loss: Float64Array): void {
  const { x, normalizers, layout, begin, end } = rows;
  const { targets, labels, ignored } = sparse;
  const { smoothing, classWeight } = targets;
  loss.fill(0, 0, end - begin);
  if (smoothing !== 0) smoothingSums(rows, classWeight, loss);
  const uniform = smoothing / layout.size;
  for (let r = begin, j = 0; r < end; r++, j++) {
    const y = labels[r]!;
    if (y === ignored) {
      loss[j] = 0;
      continue;
    }
    const nll = -logProbabilityAt(x, normalizers, classEntry(layout, r, y), r);
    loss[j] = (1 - smoothing) * weightOf(classWeight, y) * nll + (smoothing === 0 ? 0 : uniform * loss[j]!);
  }
}

/** pred's gradient over the rows [begin, end) of a block with sparse labels, every entry assigned. */
export function sparseTargetGradient(
  rows: ClassRows,
  sparse: SparseTargets,
  total: number,
  dLoss: Float64Array,
  dPred: TypedArray,
): void {
  const { x, normalizers, layout, begin } = rows;
  const { targets, labels, ignored } = sparse;
  const { smoothing, classWeight } = targets;
  const uniform = smoothing / layout.size;
  for (const run = new Runs(rows, true); run.next(); ) {
    const { step, jStep, last } = run;
    let c = step === 0 ? 0 : Math.floor(run.k / layout.inner) % layout.size;
    for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j += jStep, c += 1 - step) {
      const y = labels[r]!;
      if (y === ignored) {
        dPred[k] = 0;
        continue;
      }
      const g = dLoss[j]!;
      const own = uniform * weightOf(classWeight, c);
      const mass = targetMass(targets, y, layout.size, total);
      // g · (M · p − w_c t_c), the difference first: an infinite g (sampleWeight) then keeps the
      // sign of each entry where g · M · p − g · w_c t_c would be ∞ − ∞. With log-probabilities
      // an entry of target 0 is 0, for any g (ℓ does not depend on it).
      dPred[k] = normalizers
        ? g * (mass * Math.exp(logProbabilityAt(x, normalizers, k, r)) - own)
        : own === 0
          ? 0
          : -g * own;
    }
  }
  for (let r = begin; r < rows.end; r++) {
    const y = labels[r]!;
    if (y === ignored) continue;
    const k = classEntry(layout, r, y);
    const g = dLoss[r - begin]!;
    const wy = weightOf(classWeight, y);
    dPred[k] = normalizers
      ? g * labelSlope(targets, y, layout.size, total, logProbabilityAt(x, normalizers, k, r))
      : -g * ((1 - smoothing) * wy + uniform * wy);
  }
}

// ---- the composed twin ---------------------------------------------------------------------

/** The class weights as an array broadcast along `axis` of a rank-`ndim` array, in `dtype`. */
function weightsAlong(
  targets: SoftmaxTargets,
  classes: number,
  axis: number,
  ndim: number,
  like: NDArray,
): NDArray {
  const shape = Array.from({ length: ndim }, (_, i) => (i === axis ? classes : 1));
  const values = targets.classWeight
    ? Float64Array.from(targets.classWeight)
    : new Float64Array(classes).fill(1);
  return new NDArray(values, shape).astype(like.dtype);
}

/** The twin of sparse labels with options, from log p (composed ops). */
export function sparseTargetTwin(
  logProbabilities: NDArray,
  sparse: SparseTargets,
  axis: number,
  lossShape: readonly number[],
): NDArray {
  const { targets, labels } = sparse;
  const { smoothing } = targets;
  const dtype = logProbabilities.dtype;
  const classes = logProbabilities.shape[axis]!;
  const safe = new NDArray(
    labels.map((y) => (y === sparse.ignored ? 0 : y)),
    lossShape,
  );
  const ignored = new NDArray(
    Float64Array.from(labels, (y) => (y === sparse.ignored ? 1 : 0)),
    lossShape,
  ).astype(dtype);
  const scaled = new NDArray(
    Float64Array.from(labels, (_, r) => (1 - smoothing) * rowWeight(sparse, r)),
    lossShape,
  ).astype(dtype);
  let loss = mul(neg(pick(logProbabilities, safe, axis, true)), scaled);
  if (smoothing !== 0) {
    const along = weightsAlong(targets, classes, axis, logProbabilities.ndim, logProbabilities);
    const spread = neg(sum(mul(logProbabilities, along), axis, true));
    loss = add(loss, mul(spread, smoothing / classes));
  }
  return where(ignored, 0, loss);
}

/** The twin of dense labels with options, from log p (a zero target on an impossible class is a mask). */
export function denseTargetTwin(
  logProbabilities: NDArray,
  label: NDArray,
  targets: SoftmaxTargets,
  axis: number,
): NDArray {
  const classes = logProbabilities.shape[axis]!;
  const { smoothing } = targets;
  let t = smoothing === 0 ? label : add(mul(label, 1 - smoothing), smoothing / classes);
  if (targets.classWeight) t = mul(t, weightsAlong(targets, classes, axis, logProbabilities.ndim, label));
  const masked = mul(equal(t, 0), equal(logProbabilities, Number.NEGATIVE_INFINITY));
  const safe = where(masked, 0, logProbabilities);
  return neg(sum(mul(t, safe), axis, true));
}
