import type { DType, TypedArray } from '../ndarray/dtype.js';
import { formatShape, ShapeError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { RandomGenerator } from '../ndarray/random.js';
import { add, mul, neg, softplus, sub } from '../ops/elementwise.js';
import { ElementwiseLoss } from './_elementwise.js';
import { checkBoolean, type LossOptions, lossBatchAxis, type Prepared, reshapeLike } from './_base/index.js';
import { signedBandValues, toNDArray, uniformValues } from './_samples.js';
import { coefficientTimesLog } from './_coefficient-times-log.js';
import { BlockSum } from './_block-sum.js';
import {
  isFloatArray,
  sigmoidBinaryCrossEntropyBackward,
  sigmoidBinaryCrossEntropyForward,
  sigmoidBinaryCrossEntropyGradient,
} from '../wasm/index.js';

/** Gluon's epsilon inside the logarithms of the probability form (kept so values match Gluon's). */
const PROBABILITY_EPSILON = 1e-12;

/** Options of {@link SigmoidBinaryCrossEntropyLoss}. */
export interface SigmoidBinaryCrossEntropyLossOptions extends LossOptions {
  /** `pred` holds probabilities (already through a sigmoid) instead of logits (default false). */
  fromSigmoid?: boolean;
}

/** What `prepare` passes to the kernels besides the arrays. */
interface BceExtra {
  /** How posWeight's elements pair with pred's. */
  readonly posWeightLayout: PosWeightLayout;
}

/** Per-call scratch shared by the forward and backward blocks (only with posWeight). */
interface BceState {
  /** posWeight offset of each element of the current block. */
  offsets: Int32Array;
  /** Per-element values of the current block shared by two gradient loops. */
  values: Float64Array;
  /** posWeight's gradient while it is summed over its broadcast axes; null when it has pred's layout. */
  readonly posWeightGradient: BlockSum | null;
  /** A broadcast posWeight gathered for the current block (one value per element), for the kernel layer. */
  gathered: Float64Array;
  /** The kernel layer's per-element posWeight gradient of the current block, before it is summed. */
  blockGradient: Float64Array;
}

/**
 * Binary cross-entropy with an optional weight p on the positive term, with x = pred, z = label:
 *
 * $$
 * \begin{aligned}
 * \text{logits (default):} \quad \ell &= p z \operatorname{softplus}(-x) + (1 - z) \operatorname{softplus}(x) \\
 * &= x - x z + \bigl(1 + (p - 1) z\bigr) \operatorname{softplus}(-x) \\
 * \text{fromSigmoid:} \quad \ell &= -\bigl(p z \log(x + 10^{-12}) + (1 - z) \log(1 - x + 10^{-12})\bigr)
 * \end{aligned}
 * $$
 *
 * then weight, averaged over the non-batch axes. Without `posWeight`, p = 1.
 *
 * **Inputs** (positional, Gluon's order): `pred` any shape, real logits (or probabilities in
 * [0, 1] with `fromSigmoid`); `label` the same number of elements (reshaped like `pred`),
 * documented as 0/1, but any finite real (a soft label) is accepted and used as written; `sampleWeight`
 * optional, broadcastable to `pred` (a 1-D array of batch length is per sample); `posWeight`
 * optional, broadcastable to `pred` without enlarging it (e.g. `[1, C]` against `[N, C]`).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `fromSigmoid` (default false), `weight` (default none), `batchAxis` (default 0).
 *
 * **Gradient** (logits): sigmoid(x) − z without posWeight, (1 − z)·sigmoid(x) − p·z·sigmoid(−x)
 * with it, everywhere including x = 0 (MXNet returns −z there). `label` and
 * `posWeight` get gradients too (posWeight's summed over its broadcast axes).
 *
 * **Stability**: the logit form shares one log1p(exp(−|x|)) between softplus(x) and softplus(−x):
 * finite for every finite logit (±1e30 included), no cancellation for labels in [0, 1]. The
 * probability form keeps Gluon's 1e-12, so p = 0 or 1 gives a large finite loss;
 * a term whose coefficient and log argument are both 0 counts as 0 (0·log 0 = 0).
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.SigmoidBinaryCrossEntropyLoss();
 * loss.forward(nd.array([[0, 2]]), nd.array([[1, 0]])); // [1.410038]
 * ```
 */
export class SigmoidBinaryCrossEntropyLoss extends ElementwiseLoss<BceExtra, BceState | undefined> {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'SigmoidBinaryCrossEntropyLoss';

  override readonly inputNames: readonly string[] = ['pred', 'label', 'sampleWeight', 'posWeight'];
  /** Whether `pred` holds probabilities rather than logits. */
  readonly fromSigmoid: boolean;

  constructor(options: SigmoidBinaryCrossEntropyLossOptions = {}) {
    super(options, ['fromSigmoid']);
    this.fromSigmoid = checkBoolean(
      this.name,
      'fromSigmoid',
      options.fromSigmoid === undefined ? false : options.fromSigmoid,
    );
  }

  protected override prepare(inputs: readonly (NDArray | null)[]): Prepared<BceExtra> {
    const pred = inputs[0]!;
    const label = reshapeLike(this.name, 'label', inputs[1]!, 'pred', pred);
    const batchAxis = lossBatchAxis(this.name, this.batchAxis, pred.shape);
    const posWeight = inputs[3] ?? null;
    if (!posWeight) return { arrays: [pred, label], sources: [0, 1], lossShape: pred.shape, batchAxis };
    const extra: BceExtra = { posWeightLayout: new PosWeightLayout(this.name, posWeight, pred) };
    return { arrays: [pred, label, posWeight], sources: [0, 1, 3], lossShape: pred.shape, batchAxis, extra };
  }

  protected override createState(prepared: Prepared<BceExtra>): BceState | undefined {
    const pred = prepared.arrays[0]!;
    const posWeight = prepared.arrays[2];
    if (!posWeight) return undefined;
    return {
      offsets: new Int32Array(0),
      values: new Float64Array(0),
      gathered: new Float64Array(0),
      blockGradient: new Float64Array(0),
      posWeightGradient: posWeight.size === pred.size ? null : new BlockSum(posWeight.size, pred.size),
    };
  }

  // Every element of pred's and label's gradients belongs to one ℓ element and is assigned; so is
  // posWeight's when it has pred's layout (a broadcast one is summed through BlockSum).
  protected override assignsGradient(prepared: Prepared<BceExtra>, index: number): boolean {
    return index < 2 || prepared.arrays[2]!.size === prepared.arrays[0]!.size;
  }

  protected forwardBlock(
    prepared: Prepared<BceExtra>,
    state: BceState | undefined,
    begin: number,
    end: number,
    out: Float64Array,
  ): void {
    const [pred, label, posWeight] = prepared.arrays;
    const x = pred!.data;
    const y = label!.data;
    if (!this.fromSigmoid && isFloatArray(x) && isFloatArray(y)) {
      // Logits: the kernel layer's fused BCE (wasm SIMD for float32, these loops' float64
      // formulas otherwise).
      const [p, pOffset] = posWeightOperand(prepared, state, begin, end);
      sigmoidBinaryCrossEntropyForward(x, y, begin, end - begin, p, pOffset, 1, 0, out, 0);
      return;
    }
    if (!posWeight) {
      if (this.fromSigmoid) forwardProbabilities(x, y, begin, end, out);
      else forwardLogits(x, y, begin, end, out);
      return;
    }
    const offsets = blockOffsets(prepared, state!, begin, end);
    if (this.fromSigmoid) forwardProbabilitiesWeighted(x, y, posWeight.data, offsets, begin, end, out);
    else forwardLogitsWeighted(x, y, posWeight.data, offsets, begin, end, out);
  }

  /** The one-pass kernel covers logits without posWeight. */
  protected override canFuseGradient(prepared: Prepared<BceExtra>): boolean {
    return !this.fromSigmoid && prepared.arrays.length === 2;
  }

  // The same ℓ and gradient in one pass, for recorded calls on logits without posWeight (see
  // Loss.forwardGradient).
  protected override forwardGradient(
    { arrays: [pred, label] }: Prepared<BceExtra>,
    _state: BceState | undefined,
    sampleSize: number,
    scales: Float64Array,
    sums: Float64Array,
    gradient: TypedArray,
  ): void {
    sigmoidBinaryCrossEntropyGradient(pred!.data, label!.data, 1, 0, sampleSize, scales, sums, gradient);
  }

  // Gradients of pred and label depend on one ℓ element each: assigned. posWeight's is summed
  // over its broadcast axes (see BlockSum).
  protected backwardBlock(
    prepared: Prepared<BceExtra>,
    state: BceState | undefined,
    begin: number,
    end: number,
    dLoss: Float64Array,
    [dPred, dLabel, dPosWeight]: readonly (TypedArray | null)[],
  ): void {
    const [pred, label, posWeight] = prepared.arrays;
    const x = pred!.data;
    const y = label!.data;
    if (
      !this.fromSigmoid &&
      isFloatArray(x) &&
      isFloatArray(y) &&
      (!dPred || isFloatArray(dPred)) &&
      (!dLabel || isFloatArray(dLabel)) &&
      (!dPosWeight || isFloatArray(dPosWeight))
    ) {
      backwardLogitsKernel(prepared, state, begin, end, dLoss, [
        dPred ?? null,
        dLabel ?? null,
        dPosWeight ?? null,
      ]);
      return;
    }
    if (!posWeight) {
      if (this.fromSigmoid) backwardProbabilities(x, y, begin, end, dLoss, dPred ?? null, dLabel ?? null);
      else backwardLogits(x, y, begin, end, dLoss, dPred ?? null, dLabel ?? null);
      return;
    }
    const bceState = state!;
    const offsets = blockOffsets(prepared, bceState, begin, end);
    const p = posWeight.data;
    // The label's and posWeight's gradients share one transcendental per element: softplus(−x)
    // for logits, log(x + 1e-12) (0 at 0·log 0) for probabilities, computed once into the block
    // scratch.
    let shared: Float64Array | null = null;
    if (dLabel || dPosWeight) {
      if (bceState.values.length < end - begin) bceState.values = new Float64Array(end - begin);
      shared = bceState.values;
    }
    if (this.fromSigmoid) {
      if (dPred) backwardProbabilitiesWeightedPred(x, y, p, offsets, begin, end, dLoss, dPred);
      if (shared) sharedLogPositive(x, y, p, offsets, begin, end, shared);
      if (dLabel && shared) {
        backwardProbabilitiesWeightedLabel(x, y, p, offsets, shared, begin, end, dLoss, dLabel);
      }
    } else {
      // pred's gradient needs e^−|x| too: one exp serves both when both are wanted.
      if (dPred && shared) {
        backwardLogitsWeightedPredSharing(x, y, p, offsets, begin, end, dLoss, dPred, shared);
      } else if (dPred) {
        backwardLogitsWeightedPred(x, y, p, offsets, begin, end, dLoss, dPred);
      } else if (shared) {
        sharedSoftplusNegative(x, begin, end, shared);
      }
      if (dLabel && shared) backwardLogitsWeightedLabel(x, p, offsets, shared, begin, end, dLoss, dLabel);
    }
    if (dPosWeight && shared) {
      // dℓ/dp = z·softplus(−x) for logits, −z·log(x + 1e-12) for probabilities.
      const sign = this.fromSigmoid ? -1 : 1;
      const sum = bceState.posWeightGradient;
      if (sum === null) {
        // Same layout as pred: one ℓ element per entry, assigned.
        for (let k = begin, j = 0; k < end; k++, j++) dPosWeight[k] = sign * dLoss[j]! * y[k]! * shared[j]!;
      } else {
        const target = sum.begin(dPosWeight);
        for (let k = begin, j = 0; k < end; k++, j++) {
          target[offsets[j]!]! += sign * dLoss[j]! * y[k]! * shared[j]!;
        }
        sum.done(end - begin, dPosWeight);
      }
    }
  }

  twin({ arrays: [pred, label, posWeight] }: Prepared<BceExtra>): NDArray {
    const x = pred!;
    const z = label!;
    const positive = posWeight ? mul(posWeight, z) : z;
    const negative = sub(1, z);
    if (this.fromSigmoid) {
      const logPositive = coefficientTimesLog(positive, add(x, PROBABILITY_EPSILON));
      const logNegative = coefficientTimesLog(negative, add(sub(1, x), PROBABILITY_EPSILON));
      return neg(add(logPositive, logNegative));
    }
    return add(mul(positive, softplus(neg(x))), mul(negative, softplus(x)));
  }

  /**
   * Logits (or probabilities in [0.05, 0.95) with `fromSigmoid`) and soft labels in [0, 1); with
   * `extreme`, logits of that magnitude (null with `fromSigmoid`: probabilities have no extreme
   * magnitude). No posWeight: the contract suite's finite differences take no null input in the
   * sampleWeight slot; test/loss/sigmoid-bce.test.ts checks posWeight's gradients instead.
   */
  override sampleInputs(
    generator: RandomGenerator,
    dtype: DType,
    extreme?: number,
  ): (NDArray | null)[] | null {
    if (this.fromSigmoid && extreme !== undefined) return null;
    const shape = [4, 3];
    const pred = this.fromSigmoid
      ? uniformValues(generator, 12, 0.05, 0.95)
      : signedBandValues(generator, 12, extreme === undefined ? [[0.05, 3]] : [[0.5 * extreme, extreme]]);
    const label = uniformValues(generator, 12, 0, 1);
    return [toNDArray(pred, shape, dtype), toNDArray(label, shape, dtype)];
  }
}

// ---- kernels -------------------------------------------------------------------------------
//
// softplus(x) = x + softplus(−x) turns Gluon's x − x·z + (1 + (p − 1)·z)·softplus(−x) into
// p·z·softplus(−x) + (1 − z)·softplus(x); with softplus(±x) = max(±x, 0) + log1p(e^−|x|) one exp
// and one log1p serve both terms, nothing overflows, and for z in [0, 1] and p ≥ 0 both terms are
// non-negative, so there is no cancellation. Without posWeight, p = 1 and p·z is z exactly.
//
// The gradient with respect to x is (1 − z)·sigmoid(x) − p·z·sigmoid(−x) (= sigmoid(x) − z for
// p = 1, but exact for z = 1 even where sigmoid(x) rounds to 1), each sigmoid taken on the side
// where the exponential cannot overflow. With respect to z it is p·softplus(−x) − softplus(x) =
// (p − 1)·softplus(−x) − x, so −x without posWeight.
//
// The probability form is −(p·z·log(x + ε) + (1 − z)·log(1 − x + ε)) with 0·log 0 = 0: such a
// term is the constant 0 and passes no gradient to anything. Separate loops for each
// option combination keep the option branches out of the element loops.

function forwardLogits(x: TypedArray, y: TypedArray, begin: number, end: number, out: Float64Array): void {
  for (let k = begin, j = 0; k < end; k++, j++) {
    const logit = x[k]!;
    const z = y[k]!;
    const tail = Math.log1p(Math.exp(-Math.abs(logit)));
    const softplusPos = Math.max(logit, 0) + tail;
    const softplusNeg = Math.max(-logit, 0) + tail;
    out[j] = z * softplusNeg + (1 - z) * softplusPos;
  }
}

function forwardLogitsWeighted(
  x: TypedArray,
  y: TypedArray,
  p: TypedArray,
  offsets: Int32Array,
  begin: number,
  end: number,
  out: Float64Array,
): void {
  for (let k = begin, j = 0; k < end; k++, j++) {
    const logit = x[k]!;
    const z = y[k]!;
    const positive = p[offsets[j]!]! * z;
    const tail = Math.log1p(Math.exp(-Math.abs(logit)));
    const softplusPos = Math.max(logit, 0) + tail;
    const softplusNeg = Math.max(-logit, 0) + tail;
    out[j] = positive * softplusNeg + (1 - z) * softplusPos;
  }
}

function forwardProbabilities(
  x: TypedArray,
  y: TypedArray,
  begin: number,
  end: number,
  out: Float64Array,
): void {
  const epsilon = PROBABILITY_EPSILON;
  for (let k = begin, j = 0; k < end; k++, j++) {
    const positive = y[k]!;
    const negative = 1 - positive;
    const argPositive = x[k]! + epsilon;
    const argNegative = 1 - x[k]! + epsilon;
    const termPositive = positive === 0 && argPositive === 0 ? 0 : positive * Math.log(argPositive);
    const termNegative = negative === 0 && argNegative === 0 ? 0 : negative * Math.log(argNegative);
    out[j] = -(termPositive + termNegative);
  }
}

function forwardProbabilitiesWeighted(
  x: TypedArray,
  y: TypedArray,
  p: TypedArray,
  offsets: Int32Array,
  begin: number,
  end: number,
  out: Float64Array,
): void {
  const epsilon = PROBABILITY_EPSILON;
  for (let k = begin, j = 0; k < end; k++, j++) {
    const z = y[k]!;
    const positive = p[offsets[j]!]! * z;
    const negative = 1 - z;
    const argPositive = x[k]! + epsilon;
    const argNegative = 1 - x[k]! + epsilon;
    const termPositive = positive === 0 && argPositive === 0 ? 0 : positive * Math.log(argPositive);
    const termNegative = negative === 0 && argNegative === 0 ? 0 : negative * Math.log(argNegative);
    out[j] = -(termPositive + termNegative);
  }
}

function backwardLogits(
  x: TypedArray,
  y: TypedArray,
  begin: number,
  end: number,
  dLoss: Float64Array,
  dPred: TypedArray | null,
  dLabel: TypedArray | null,
): void {
  if (dPred) {
    for (let k = begin, j = 0; k < end; k++, j++) {
      const logit = x[k]!;
      const z = y[k]!;
      const e = Math.exp(-Math.abs(logit));
      const large = 1 / (1 + e);
      const small = e / (1 + e);
      const sigmoidPos = logit >= 0 ? large : small;
      const sigmoidNeg = logit >= 0 ? small : large;
      dPred[k] = dLoss[j]! * ((1 - z) * sigmoidPos - z * sigmoidNeg);
    }
  }
  if (dLabel) for (let k = begin, j = 0; k < end; k++, j++) dLabel[k] = -dLoss[j]! * x[k]!;
}

function backwardLogitsWeightedPred(
  x: TypedArray,
  y: TypedArray,
  p: TypedArray,
  offsets: Int32Array,
  begin: number,
  end: number,
  dLoss: Float64Array,
  dPred: TypedArray,
): void {
  for (let k = begin, j = 0; k < end; k++, j++) {
    const logit = x[k]!;
    const z = y[k]!;
    const e = Math.exp(-Math.abs(logit));
    const large = 1 / (1 + e);
    const small = e / (1 + e);
    const sigmoidPos = logit >= 0 ? large : small;
    const sigmoidNeg = logit >= 0 ? small : large;
    dPred[k] = dLoss[j]! * ((1 - z) * sigmoidPos - p[offsets[j]!]! * z * sigmoidNeg);
  }
}

/** {@link backwardLogitsWeightedPred} that also writes softplus(−x) into `softplusNeg`. */
function backwardLogitsWeightedPredSharing(
  x: TypedArray,
  y: TypedArray,
  p: TypedArray,
  offsets: Int32Array,
  begin: number,
  end: number,
  dLoss: Float64Array,
  dPred: TypedArray,
  softplusNeg: Float64Array,
): void {
  for (let k = begin, j = 0; k < end; k++, j++) {
    const logit = x[k]!;
    const z = y[k]!;
    const e = Math.exp(-Math.abs(logit));
    const large = 1 / (1 + e);
    const small = e / (1 + e);
    const sigmoidPos = logit >= 0 ? large : small;
    const sigmoidNeg = logit >= 0 ? small : large;
    dPred[k] = dLoss[j]! * ((1 - z) * sigmoidPos - p[offsets[j]!]! * z * sigmoidNeg);
    softplusNeg[j] = Math.max(-logit, 0) + Math.log1p(e);
  }
}

/** softplus(−x) = max(−x, 0) + log1p(e^−|x|) for each element of the block. */
function sharedSoftplusNegative(x: TypedArray, begin: number, end: number, out: Float64Array): void {
  for (let k = begin, j = 0; k < end; k++, j++) {
    const logit = x[k]!;
    out[j] = Math.max(-logit, 0) + Math.log1p(Math.exp(-Math.abs(logit)));
  }
}

function backwardLogitsWeightedLabel(
  x: TypedArray,
  p: TypedArray,
  offsets: Int32Array,
  softplusNeg: Float64Array,
  begin: number,
  end: number,
  dLoss: Float64Array,
  dLabel: TypedArray,
): void {
  for (let k = begin, j = 0; k < end; k++, j++) {
    dLabel[k] = dLoss[j]! * ((p[offsets[j]!]! - 1) * softplusNeg[j]! - x[k]!);
  }
}

function backwardProbabilities(
  x: TypedArray,
  y: TypedArray,
  begin: number,
  end: number,
  dLoss: Float64Array,
  dPred: TypedArray | null,
  dLabel: TypedArray | null,
): void {
  const epsilon = PROBABILITY_EPSILON;
  if (dPred) {
    for (let k = begin, j = 0; k < end; k++, j++) {
      const positive = y[k]!;
      const negative = 1 - positive;
      const argPositive = x[k]! + epsilon;
      const argNegative = 1 - x[k]! + epsilon;
      const slopePositive = positive === 0 && argPositive === 0 ? 0 : positive / argPositive;
      const slopeNegative = negative === 0 && argNegative === 0 ? 0 : negative / argNegative;
      dPred[k] = dLoss[j]! * (slopeNegative - slopePositive);
    }
  }
  if (dLabel) {
    for (let k = begin, j = 0; k < end; k++, j++) {
      const positive = y[k]!;
      const negative = 1 - positive;
      const argPositive = x[k]! + epsilon;
      const argNegative = 1 - x[k]! + epsilon;
      const logPositive = positive === 0 && argPositive === 0 ? 0 : Math.log(argPositive);
      const logNegative = negative === 0 && argNegative === 0 ? 0 : Math.log(argNegative);
      dLabel[k] = dLoss[j]! * (logNegative - logPositive);
    }
  }
}

function backwardProbabilitiesWeightedPred(
  x: TypedArray,
  y: TypedArray,
  p: TypedArray,
  offsets: Int32Array,
  begin: number,
  end: number,
  dLoss: Float64Array,
  dPred: TypedArray,
): void {
  const epsilon = PROBABILITY_EPSILON;
  for (let k = begin, j = 0; k < end; k++, j++) {
    const z = y[k]!;
    const positive = p[offsets[j]!]! * z;
    const negative = 1 - z;
    const argPositive = x[k]! + epsilon;
    const argNegative = 1 - x[k]! + epsilon;
    const slopePositive = positive === 0 && argPositive === 0 ? 0 : positive / argPositive;
    const slopeNegative = negative === 0 && argNegative === 0 ? 0 : negative / argNegative;
    dPred[k] = dLoss[j]! * (slopeNegative - slopePositive);
  }
}

/** log(x + ε) for each element of the block, 0 where the positive term is 0·log 0. */
function sharedLogPositive(
  x: TypedArray,
  y: TypedArray,
  p: TypedArray,
  offsets: Int32Array,
  begin: number,
  end: number,
  out: Float64Array,
): void {
  const epsilon = PROBABILITY_EPSILON;
  for (let k = begin, j = 0; k < end; k++, j++) {
    const positive = p[offsets[j]!]! * y[k]!;
    const argPositive = x[k]! + epsilon;
    out[j] = positive === 0 && argPositive === 0 ? 0 : Math.log(argPositive);
  }
}

function backwardProbabilitiesWeightedLabel(
  x: TypedArray,
  y: TypedArray,
  p: TypedArray,
  offsets: Int32Array,
  logPositive: Float64Array,
  begin: number,
  end: number,
  dLoss: Float64Array,
  dLabel: TypedArray,
): void {
  const epsilon = PROBABILITY_EPSILON;
  for (let k = begin, j = 0; k < end; k++, j++) {
    const negative = 1 - y[k]!;
    const argNegative = 1 - x[k]! + epsilon;
    const logNegative = negative === 0 && argNegative === 0 ? 0 : Math.log(argNegative);
    dLabel[k] = dLoss[j]! * (logNegative - p[offsets[j]!]! * logPositive[j]!);
  }
}

// ---- the kernel layer's path (logits) ------------------------------------------------------

/**
 * posWeight as the kernel layer reads it for elements [begin, end): null (p = 1), posWeight's own
 * data at offset `begin` when it has pred's layout, or the block's values gathered into the
 * state's scratch (offset 0) when it is broadcast.
 */
function posWeightOperand(
  prepared: Prepared<BceExtra>,
  state: BceState | undefined,
  begin: number,
  end: number,
): [Float32Array | Float64Array | null, number] {
  const posWeight = prepared.arrays[2];
  if (!posWeight || !state) return [null, 0];
  const p = posWeight.data;
  if (state.posWeightGradient === null && isFloatArray(p)) return [p, begin];
  const length = end - begin;
  const offsets = blockOffsets(prepared, state, begin, end);
  if (state.gathered.length < length) state.gathered = new Float64Array(length);
  const gathered = state.gathered;
  for (let j = 0; j < length; j++) gathered[j] = p[offsets[j]!]!;
  return [gathered, 0];
}

/**
 * Backward of the logits form through the kernel layer. pred's and label's gradients (and
 * posWeight's when it has pred's layout) are assigned by the kernel; a broadcast posWeight's
 * per-element gradient lands in the block scratch first and is summed into its BlockSum.
 */
function backwardLogitsKernel(
  prepared: Prepared<BceExtra>,
  state: BceState | undefined,
  begin: number,
  end: number,
  dLoss: Float64Array,
  [dPred, dLabel, dPosWeight]: readonly (Float32Array | Float64Array | null)[],
): void {
  const x = prepared.arrays[0]!.data as Float32Array | Float64Array;
  const y = prepared.arrays[1]!.data as Float32Array | Float64Array;
  const length = end - begin;
  const [p, pOffset] = posWeightOperand(prepared, state, begin, end);
  const sum = state?.posWeightGradient ?? null;
  if (!dPosWeight || !state || sum === null) {
    sigmoidBinaryCrossEntropyBackward(
      x,
      y,
      begin,
      length,
      p,
      pOffset,
      1,
      0,
      dLoss,
      0,
      dPred ?? null,
      dLabel ?? null,
      begin,
      dPosWeight ?? null,
      begin,
    );
    return;
  }
  if (state.blockGradient.length < length) state.blockGradient = new Float64Array(length);
  const blockGradient = state.blockGradient;
  sigmoidBinaryCrossEntropyBackward(
    x,
    y,
    begin,
    length,
    p,
    pOffset,
    1,
    0,
    dLoss,
    0,
    dPred ?? null,
    dLabel ?? null,
    begin,
    blockGradient,
    0,
  );
  // posWeightOperand filled the state's offsets for this block.
  const offsets = state.offsets;
  const target = sum.begin(dPosWeight);
  for (let j = 0; j < length; j++) target[offsets[j]!]! += blockGradient[j]!;
  sum.done(length, dPosWeight);
}

// ---- posWeight broadcasting --------------------------------------------------------------

/** The posWeight offsets of the block's elements, in the state's scratch array. */
function blockOffsets(prepared: Prepared<BceExtra>, state: BceState, begin: number, end: number): Int32Array {
  if (state.offsets.length < end - begin) state.offsets = new Int32Array(end - begin);
  prepared.extra!.posWeightLayout.fill(begin, end - begin, state.offsets);
  return state.offsets;
}

/**
 * How posWeight's elements pair with pred's under numpy broadcasting, without a table of pred's
 * size. Axes of pred are grouped into runs that posWeight either follows ("kept") or repeats over
 * ("broadcast"); axes where pred has length 1 belong to neither. The common patterns — the same
 * layout, one value, [C] or [1, C] against [N, C], [N, 1] against [N, C] — all have at most one
 * kept run, where pred element k pairs with posWeight offset ⌊k / repeat⌋ mod period (repeat: the
 * length of the broadcast run after the kept one, period: the kept run's length). Anything else
 * (e.g. [N, 1, C] against [N, H, C]) walks an odometer over the runs.
 */
class PosWeightLayout {
  /** Length of the broadcast run after the kept one (1 if none). */
  private readonly repeat: number;
  /** Length of the kept run: posWeight's element count. */
  private readonly period: number;
  /** General pattern: the runs' lengths and posWeight strides (0 on broadcast runs), else null. */
  private readonly runs: {
    readonly lengths: Int32Array;
    readonly strides: Int32Array;
    readonly counter: Int32Array;
  } | null;

  /** Throws a ShapeError unless posWeight broadcasts to pred without enlarging it. */
  constructor(where: string, posWeight: NDArray, pred: NDArray) {
    const rank = pred.ndim;
    const lead = rank - posWeight.ndim;
    const fits = lead >= 0 && posWeight.shape.every((dim, i) => dim === pred.shape[lead + i] || dim === 1);
    if (!fits) {
      throw new ShapeError(
        `${where}: posWeight shape ${formatShape(posWeight.shape)} does not broadcast to pred shape ${formatShape(pred.shape)} ` +
          'without enlarging it; give posWeight a shape such as [1, C] or [C] for pred [N, C]',
      );
    }
    // Runs of consecutive axes of the same kind, outermost first.
    const kinds: boolean[] = [];
    const lengths: number[] = [];
    for (let axis = 0; axis < rank; axis++) {
      const length = pred.shape[axis]!;
      if (length === 1) continue;
      const kept = axis >= lead && posWeight.shape[axis - lead] === length;
      if (kinds.length > 0 && kinds[kinds.length - 1] === kept) lengths[lengths.length - 1]! *= length;
      else {
        kinds.push(kept);
        lengths.push(length);
      }
    }
    const keptRuns = kinds.filter((kept) => kept).length;
    this.period = posWeight.size;
    if (keptRuns <= 1) {
      const last = kinds.length - 1;
      this.repeat = last >= 0 && !kinds[last] && keptRuns === 1 ? lengths[last]! : 1;
      this.runs = null;
      return;
    }
    this.repeat = 1;
    const strides = new Int32Array(lengths.length);
    let stride = 1;
    for (let run = lengths.length - 1; run >= 0; run--) {
      if (kinds[run]) {
        strides[run] = stride;
        stride *= lengths[run]!;
      }
    }
    this.runs = { lengths: Int32Array.from(lengths), strides, counter: new Int32Array(lengths.length) };
  }

  /** Fills `out[j]` with the posWeight offset of pred element `begin + j`. */
  fill(begin: number, length: number, out: Int32Array): void {
    if (this.runs === null) {
      const { repeat, period } = this;
      if (period === 1) {
        out.fill(0, 0, length);
        return;
      }
      let within = begin % repeat;
      let offset = Math.floor(begin / repeat) % period;
      for (let j = 0; j < length; j++) {
        out[j] = offset;
        if (++within === repeat) {
          within = 0;
          if (++offset === period) offset = 0;
        }
      }
      return;
    }
    const { lengths, strides, counter } = this.runs;
    const last = lengths.length - 1;
    let offset = 0;
    let rest = begin;
    for (let run = last; run >= 0; run--) {
      counter[run] = rest % lengths[run]!;
      rest = Math.floor(rest / lengths[run]!);
      offset += counter[run]! * strides[run]!;
    }
    for (let j = 0; j < length; j++) {
      out[j] = offset;
      // Odometer step: the innermost run advances; a run that wraps carries into the next one out.
      for (let run = last; run >= 0; run--) {
        offset += strides[run]!;
        if (++counter[run]! < lengths[run]!) break;
        offset -= strides[run]! * lengths[run]!;
        counter[run] = 0;
      }
    }
  }
}
