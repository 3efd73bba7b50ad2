/**
 * The one-pass path of SoftmaxCrossEntropyLoss's PyTorch options (sparse labels on logits with
 * the class axis last): the softmax kernel computes ℓ and the gradient for the label alone,
 * scaled by M_r, and does label smoothing's uniform part where it can; {@link fixOnePass} then
 * turns that into the options' loss and gradient. The math and its stability are in
 * _softmax-targets.ts's module comment. The working memory of a call comes from the loss's
 * CallMemory and goes back when the call returns.
 * @module
 */
import type { FloatArray } from '../kernels/index.js';
import type { RowNormalizers, UniformTargetParts } from '../kernels/_softmax-arguments.js';
import { softmaxRowNormalizersFloat64, sparseSoftmaxCrossEntropyGradientRows } from '../kernels/softmax.js';
import type { CallMemory } from './_call-memory.js';
import { labelSlope, type SparseTargets, targetMass, weightOf } from './_softmax-targets.js';

/**
 * One call of the one-pass kernel on sparse labels with options, into `loss` (ℓ per row) and
 * `out` (the gradient scaled by each row's sample scale), with its working memory from `memory`
 * for the call.
 */
export function sparseTargetsOnePass(args: {
  readonly memory: CallMemory;
  readonly x: FloatArray;
  readonly classes: number;
  readonly sparse: SparseTargets;
  readonly total: number;
  /** s_r: the sample's scale of each row. */
  readonly rowScales: Float64Array;
  readonly loss: Float64Array;
  readonly out: FloatArray;
  readonly normalizers: RowNormalizers;
}): void {
  const { memory, x, classes, sparse, total, rowScales, loss, out, normalizers } = args;
  const rows = sparse.labels.length;
  const kind = onePassScratchKind(rows, classes);
  const scratch =
    (memory.takeFree(kind) as OnePassScratch | undefined) ?? allocateOnePassScratch(rows, classes);
  const { kernelLabels, scales, uniformParts } = onePassArguments(sparse, classes, total, rowScales, scratch);
  sparseSoftmaxCrossEntropyGradientRows({
    x,
    classes,
    labels: kernelLabels,
    scales,
    loss,
    out,
    normalizers,
    ...(uniformParts && { uniformParts }),
  });
  fixOnePass({
    x,
    classes,
    sparse,
    total,
    sampleScales: rowScales,
    loss,
    out,
    uniformParts,
    scratch,
    rowNormalizers: normalizers,
  });
  memory.giveBack(kind, scratch);
}

/**
 * The working memory of one one-pass call with options (see {@link onePassArguments} and
 * {@link fixOnePass}): taken from the loss's CallMemory for the call and given back when it
 * returns, since nothing reads it afterwards. Its contents are whatever the last call left.
 */
export interface OnePassScratch {
  /** The kernel's row scales, the rows' uniform parts and spreads (`rows` each), then 2C + 2 values. */
  readonly floats: Float64Array;
  /** The kernel's labels (ignored rows read as class 0). */
  readonly labels: Int32Array;
  /** The kernel's done flags. */
  readonly done: Uint8Array;
}

/** The CallMemory kind of a {@link OnePassScratch} for `rows` rows of `classes` classes. */
export function onePassScratchKind(rows: number, classes: number): string {
  return `softmax-targets ${rows}x${classes}`;
}

/** A new {@link OnePassScratch} for `rows` rows of `classes` classes. */
function allocateOnePassScratch(rows: number, classes: number): OnePassScratch {
  return {
    floats: new Float64Array(3 * rows + 2 * classes + 2),
    labels: new Int32Array(rows),
    done: new Uint8Array(rows),
  };
}

/**
 * The one-pass kernel's arguments for a call with options, in `scratch`: the labels with ignored
 * rows read as class 0, each row's gradient scale s_r · M_r (0 for an ignored row), and with
 * smoothing the uniform part for the kernel to do in cache (weights w_c, uniform s_r · ε / C; see
 * UniformTargetParts in kernels/softmax.ts), whose `spreads` fixOnePass then reads.
 */
function onePassArguments(
  sparse: SparseTargets,
  classes: number,
  total: number,
  sampleScales: Float64Array,
  scratch: OnePassScratch,
): {
  readonly kernelLabels: Int32Array;
  readonly scales: Float64Array;
  readonly uniformParts: UniformTargetParts | null;
} {
  const { targets, labels, ignored } = sparse;
  const { smoothing, classWeight } = targets;
  const rows = labels.length;
  let kernelLabels = labels;
  if (targets.ignoreIndex !== null) {
    kernelLabels = scratch.labels;
    for (let r = 0; r < rows; r++) {
      const y = labels[r]!;
      kernelLabels[r] = y === ignored ? 0 : y;
    }
  }
  const scales = scratch.floats.subarray(0, rows);
  for (let r = 0; r < rows; r++) {
    const y = labels[r]!;
    scales[r] = y === ignored ? 0 : sampleScales[r]! * targetMass(targets, y, classes, total);
  }
  if (smoothing === 0) return { kernelLabels, scales, uniformParts: null };
  const perRow = scratch.floats.subarray(rows, 3 * rows + classes);
  const uniformPart = perRow.subarray(0, rows);
  for (let r = 0; r < rows; r++) uniformPart[r] = sampleScales[r]! * (smoothing / classes);
  const uniformParts = {
    weights: classWeight ?? perRow.subarray(2 * rows).fill(1),
    uniform: uniformPart,
    spreads: perRow.subarray(rows, 2 * rows).fill(0),
    done: scratch.done,
  };
  return { kernelLabels, scales, uniformParts };
}

/**
 * Turns the one-pass kernel's output for contiguous rows — `loss[r] = nll_r`, `out` the gradient
 * s_r · M_r · (p − onehot_y) — into the targets' loss and gradient: adds the uniform part's
 * −s_r (ε / C) w_j, writes the label's entry again from its normalisers (labelSlope), computes
 * ℓ_r, and zeroes ignored rows.
 * With `uniformParts` (smoothing), the rows whose spread the kernel wrote already have
 * −s_r (ε / C) w_j subtracted; the rows it did not take (done 0) get it here in float64 (uniformRowPart).
 */
export function fixOnePass(args: {
  readonly x: FloatArray;
  readonly classes: number;
  readonly sparse: SparseTargets;
  readonly total: number;
  /** s_r: the sample's scale of each row (without M_r). */
  readonly sampleScales: Float64Array;
  readonly loss: Float64Array;
  readonly out: FloatArray;
  /** The kernel's part of the smoothing (onePassArguments' uniformParts, after the kernel ran). */
  readonly uniformParts: UniformTargetParts | null;
  /** The call's working memory, as onePassArguments had it. */
  readonly scratch: OnePassScratch;
  /** The rows' normalisers, as the kernel wrote them. */
  readonly rowNormalizers: RowNormalizers;
}): void {
  const { x, classes, sparse, total, sampleScales, loss, out, scratch, rowNormalizers } = args;
  const { targets, labels, ignored } = sparse;
  const { smoothing, classWeight } = targets;
  const uniform = smoothing / classes;
  const rows = labels.length;
  // The kernel's spreads (the rows it did not take are filled in below).
  const spreads = smoothing === 0 ? null : scratch.floats.subarray(2 * rows, 3 * rows);
  const done = args.uniformParts?.done ?? null;
  const extra = scratch.floats.subarray(3 * rows + classes);
  const bias = spreads && classWeight ? { values: extra.subarray(0, classes), scale: Number.NaN } : null;
  const normalizers = extra.subarray(classes);
  for (let r = 0, row = 0; r < rows; r++, row += classes) {
    const y = labels[r]!;
    if (y === ignored) {
      loss[r] = 0;
      out.fill(0, row, row + classes);
      continue;
    }
    const nll = loss[r]!;
    if (!spreads) {
      loss[r] = weightOf(classWeight, y) * nll;
      continue;
    }
    if (!done?.[r])
      spreads[r] = uniformRowPart({
        x,
        out,
        row,
        y,
        classes,
        scale: sampleScales[r]! * uniform,
        classWeight,
        bias,
      });
    // The label's entry from its log-probability, in float64 and rounded once: the kernel's
    // s · M · (p − 1) plus s · (ε / C) · (W − w_y) cancels where w_y ≪ W (see labelSlope).
    const logProbability = x[row + y]! - rowNormalizers.shift[r]! - rowNormalizers.logSum[r]!;
    out[row + y] = sampleScales[r]! * labelSlope(targets, y, classes, total, logProbability);
    // S = W · nll + Σ_c w_c (x_y − x_c), whose two parts cancel where the label's logit lies far
    // below the others' and w_y is small (W · nll ≤ (W / w_y) · S): its rounding error, about
    // C · 2⁻⁵³ · (W · nll + |S − W · nll|), then exceeds that of the non-negative terms
    // Σ_c w_c · (−log p_c) by up to W / w_y. Past W · nll > 2S (at most five times theirs), and
    // where nll is not finite, S is summed again from the row's float64 normalisers.
    let smoothingSum = total * nll + spreads[r]!;
    if (nll - nll !== 0 || total * nll > 2 * smoothingSum)
      smoothingSum = rowSmoothingSum(x.subarray(row, row + classes), classWeight, normalizers);
    loss[r] = (1 - smoothing) * weightOf(classWeight, y) * nll + uniform * smoothingSum;
  }
}

/**
 * The per-element part of the one-pass fix-up for one row the kernel did not take (the float64
 * reference of softmaxRowStatistics' smoothing): subtracts the uniform target's gradient s_r · (ε / C) · w_c
 * from out and returns Σ_c w_c · (x_y − x_c) in float64. `bias` (with class weights) is scratch
 * for the vector s · (ε / C) · w_c, rebuilt only when the scale changes (a new sample weight).
 */
function uniformRowPart(args: {
  readonly x: FloatArray;
  readonly out: FloatArray;
  readonly row: number;
  readonly y: number;
  readonly classes: number;
  readonly scale: number;
  readonly classWeight: Float64Array | null;
  readonly bias: { readonly values: Float64Array; scale: number } | null;
}): number {
  const { x, out, row, y, classes, scale, classWeight, bias } = args;
  const xy = x[row + y]!;
  let spread = 0;
  if (classWeight && bias) {
    if (bias.scale !== scale) {
      for (let c = 0; c < classes; c++) bias.values[c] = scale * classWeight[c]!;
      bias.scale = scale;
    }
    for (let c = 0, k = row; c < classes; c++, k++) {
      spread += classWeight[c]! * (xy - x[k]!);
      out[k] = out[k]! - bias.values[c]!;
    }
  } else {
    for (let k = row, end = row + classes; k < end; k++) {
      spread += xy - x[k]!;
      out[k] = out[k]! - scale;
    }
  }
  return spread;
}

/**
 * S of one contiguous row from its float64 normalisers (the rows the one-pass form cannot take),
 * computed into `scratch` (2 values).
 */
function rowSmoothingSum(x: FloatArray, classWeight: Float64Array | null, scratch: Float64Array): number {
  const shift = scratch.subarray(0, 1);
  const logSum = scratch.subarray(1, 2);
  softmaxRowNormalizersFloat64({ x, classes: x.length, shift, logSum });
  let total = 0;
  for (let c = 0; c < x.length; c++) total -= weightOf(classWeight, c) * (x[c]! - shift[0]! - logSum[0]!);
  return total;
}
