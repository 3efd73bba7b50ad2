import type { DType } from '../ndarray/dtype.js';
import { formatShape, ShapeError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { RandomGenerator } from '../ndarray/random.js';
import { broadcastStrides, sameShape, sizeOf } from '../ndarray/shape.js';
import { add, mul, neg, softplus, sub } from '../ops/elementwise.js';
import { ElementwiseLoss } from './_elementwise.js';
import {
  checkBoolean,
  type KernelForward,
  type LossOptions,
  lossBatchAxis,
  type Prepared,
  reshapeLike,
  sumGradientToShape,
} from './_loss.js';
import { signedBandValues, toNDArray, uniformValues } from './_samples.js';
import { coefficientTimesLog } from './_coefficient-times-log.js';

/** Gluon's epsilon inside the logarithms of the probability form (kept for value parity, DECISIONS 12). */
const PROBABILITY_EPSILON = 1e-12;

/** Options of {@link SigmoidBinaryCrossEntropyLoss}. */
export interface SigmoidBinaryCrossEntropyLossOptions extends LossOptions {
  /** `pred` holds probabilities (already through a sigmoid) instead of logits (default false). */
  fromSigmoid?: boolean;
}

/** What `prepare` passes to the kernels besides the arrays. */
interface BceExtra {
  /** Offset into posWeight for every element of pred, or null when they have the same layout. */
  readonly posWeightIndex: Int32Array | null;
}

/**
 * Binary cross-entropy with an optional weight p on the positive term, with x = pred, z = label:
 *
 *     logits (default):  ℓ = p·z·softplus(−x) + (1 − z)·softplus(x)
 *                          = x − x·z + (1 + (p − 1)·z)·softplus(−x)
 *     fromSigmoid:       ℓ = −( p·z·log(x + 1e-12) + (1 − z)·log(1 − x + 1e-12) )
 *
 * then weight, averaged over the non-batch axes. Without `posWeight`, p = 1.
 *
 * **Inputs** (positional, Gluon's order): `pred` any shape, real logits (or probabilities in
 * [0, 1] with `fromSigmoid`); `label` the same number of elements (reshaped like `pred`),
 * documented as 0/1, any finite real (a soft label) accepted (DECISIONS 8); `sampleWeight`
 * optional, broadcastable to `pred` (a 1-D array of batch length is per sample); `posWeight`
 * optional, broadcastable to `pred` without enlarging it (e.g. `[1, C]` against `[N, C]`).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `fromSigmoid` (default false), `weight` (default none), `batchAxis` (default 0).
 *
 * **Gradient** (logits): sigmoid(x) − z without posWeight, (1 − z)·sigmoid(x) − p·z·sigmoid(−x)
 * with it, everywhere including x = 0 (DECISIONS 10; MXNet returns −z there). `label` and
 * `posWeight` get gradients too (posWeight's summed over its broadcast axes).
 *
 * **Stability**: the logit form shares one log1p(exp(−|x|)) between softplus(x) and softplus(−x):
 * finite for every finite logit (±1e30 included), no cancellation for labels in [0, 1]. The
 * probability form keeps Gluon's 1e-12 (DECISIONS 12), so p = 0 or 1 gives a large finite loss;
 * a term whose coefficient and log argument are both 0 counts as 0 (0·log 0 = 0).
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.SigmoidBinaryCrossEntropyLoss();
 * loss.forward(nd.array([[0, 2]]), nd.array([[1, 0]])); // [1.410038]
 * ```
 */
export class SigmoidBinaryCrossEntropyLoss extends ElementwiseLoss {
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

  protected override prepare(inputs: readonly (NDArray | null)[]): Prepared {
    const pred = inputs[0]!;
    const label = reshapeLike(this.name, 'label', inputs[1]!, 'pred', pred);
    const batchAxis = lossBatchAxis(this.name, this.batchAxis, pred.shape);
    const posWeight = inputs[3] ?? null;
    if (!posWeight) return { arrays: [pred, label], sources: [0, 1], lossShape: pred.shape, batchAxis };
    const extra: BceExtra = { posWeightIndex: broadcastIndex(this.name, posWeight, pred) };
    return { arrays: [pred, label, posWeight], sources: [0, 1, 3], lossShape: pred.shape, batchAxis, extra };
  }

  protected forwardKernel(prepared: Prepared): KernelForward {
    const [pred, label, posWeight] = prepared.arrays;
    const x = pred!.data;
    const y = label!.data;
    const p = posWeight ? posWeight.data : null;
    const index = posWeight ? (prepared.extra as BceExtra).posWeightIndex : null;
    const loss = new Float64Array(x.length);
    if (this.fromSigmoid) {
      const epsilon = PROBABILITY_EPSILON;
      for (let i = 0; i < x.length; i++) {
        const z = y[i]!;
        const positive = (p ? p[index ? index[i]! : i]! : 1) * z;
        const negative = 1 - z;
        const argPositive = x[i]! + epsilon;
        const argNegative = 1 - x[i]! + epsilon;
        // 0·log 0 = 0 (DECISIONS 12); every other case is the product as written.
        const termPositive = positive === 0 && argPositive === 0 ? 0 : positive * Math.log(argPositive);
        const termNegative = negative === 0 && argNegative === 0 ? 0 : negative * Math.log(argNegative);
        loss[i] = -(termPositive + termNegative);
      }
      return { loss };
    }
    // softplus(x) = x + softplus(−x) turns Gluon's x − x·z + (1 + (p − 1)·z)·softplus(−x) into
    // p·z·softplus(−x) + (1 − z)·softplus(x); with softplus(±x) = max(±x, 0) + log1p(e^−|x|) one
    // exp and one log1p serve both terms, nothing overflows, and for z in [0, 1] and p ≥ 0 both
    // terms are non-negative, so there is no cancellation.
    for (let i = 0; i < x.length; i++) {
      const logit = x[i]!;
      const z = y[i]!;
      const positive = (p ? p[index ? index[i]! : i]! : 1) * z;
      const tail = Math.log1p(Math.exp(-Math.abs(logit)));
      const softplusPos = Math.max(logit, 0) + tail;
      const softplusNeg = Math.max(-logit, 0) + tail;
      loss[i] = positive * softplusNeg + (1 - z) * softplusPos;
    }
    return { loss };
  }

  protected backwardKernel(
    prepared: Prepared,
    _forward: KernelForward,
    dLoss: Float64Array,
    needsGrad: readonly boolean[],
  ): (Float64Array | null)[] {
    const [pred, label, posWeight] = prepared.arrays;
    const x = pred!.data;
    const y = label!.data;
    const p = posWeight ? posWeight.data : null;
    const index = posWeight ? (prepared.extra as BceExtra).posWeightIndex : null;
    const n = x.length;
    const dPred = needsGrad[0] ? new Float64Array(n) : null;
    const dLabel = needsGrad[1] ? new Float64Array(n) : null;
    // Per element of pred; summed down to posWeight's own shape at the end.
    const dPosWeight = posWeight && needsGrad[2] ? new Float64Array(n) : null;
    if (this.fromSigmoid) {
      const epsilon = PROBABILITY_EPSILON;
      for (let i = 0; i < n; i++) {
        const g = dLoss[i]!;
        const z = y[i]!;
        const weightPositive = p ? p[index ? index[i]! : i]! : 1;
        const positive = weightPositive * z;
        const negative = 1 - z;
        const argPositive = x[i]! + epsilon;
        const argNegative = 1 - x[i]! + epsilon;
        // A term at 0·log 0 is the constant 0: it passes no gradient to anything.
        const zeroPositive = positive === 0 && argPositive === 0;
        const zeroNegative = negative === 0 && argNegative === 0;
        const logPositive = zeroPositive ? 0 : Math.log(argPositive);
        const logNegative = zeroNegative ? 0 : Math.log(argNegative);
        if (dPred) {
          const slopePositive = zeroPositive ? 0 : positive / argPositive;
          const slopeNegative = zeroNegative ? 0 : negative / argNegative;
          dPred[i] = g * (slopeNegative - slopePositive);
        }
        if (dLabel) dLabel[i] = g * (logNegative - weightPositive * logPositive);
        if (dPosWeight) dPosWeight[i] = -g * z * logPositive;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const g = dLoss[i]!;
        const logit = x[i]!;
        const z = y[i]!;
        const e = Math.exp(-Math.abs(logit));
        // sigmoid(x) and sigmoid(−x), each on the side where the exponential cannot overflow.
        const large = 1 / (1 + e);
        const small = e / (1 + e);
        const sigmoidPos = logit >= 0 ? large : small;
        const sigmoidNeg = logit >= 0 ? small : large;
        const weightPositive = p ? p[index ? index[i]! : i]! : 1;
        // (1 − z)·sigmoid(x) − p·z·sigmoid(−x) (= sigmoid(x) − z for p = 1, but exact for z = 1
        // even where sigmoid(x) rounds to 1).
        if (dPred) dPred[i] = g * ((1 - z) * sigmoidPos - weightPositive * z * sigmoidNeg);
        if (p) {
          if (dLabel || dPosWeight) {
            const softplusNeg = Math.max(-logit, 0) + Math.log1p(e);
            // dℓ/dz = p·softplus(−x) − softplus(x) = (p − 1)·softplus(−x) − x.
            if (dLabel) dLabel[i] = g * ((weightPositive - 1) * softplusNeg - logit);
            if (dPosWeight) dPosWeight[i] = g * z * softplusNeg;
          }
        } else if (dLabel) {
          dLabel[i] = -g * logit;
        }
      }
    }
    // Same element count means the same layout (posWeight cannot enlarge pred): nothing to sum.
    const dPosWeightReduced =
      dPosWeight && posWeight!.size !== n
        ? sumGradientToShape(dPosWeight, pred!.shape, posWeight!.shape)
        : dPosWeight;
    return posWeight ? [dPred, dLabel, dPosWeightReduced] : [dPred, dLabel];
  }

  twin({ arrays: [pred, label, posWeight] }: Prepared): NDArray {
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

/**
 * For each element of `like`, the offset of the element of `x` it is paired with under numpy
 * broadcasting, or null when both have the same layout. `x` may not enlarge `like` (ShapeError).
 */
function broadcastIndex(where: string, x: NDArray, like: NDArray): Int32Array | null {
  const rank = like.ndim;
  const fits =
    x.ndim <= rank && x.shape.every((dim, i) => dim === like.shape[rank - x.ndim + i] || dim === 1);
  if (!fits) {
    throw new ShapeError(
      `${where}: posWeight shape ${formatShape(x.shape)} does not broadcast to pred shape ${formatShape(like.shape)} ` +
        'without enlarging it; give posWeight a shape such as [1, C] or [C] for pred [N, C]',
    );
  }
  if (x.size === like.size || sameShape(x.shape, like.shape)) return null;
  const strides = broadcastStrides(x.shape, like.shape);
  const size = sizeOf(like.shape);
  const index = new Int32Array(size);
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let k = 0; k < size; k++) {
    index[k] = offset;
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]!++;
      offset += strides[axis]!;
      if (counter[axis]! < like.shape[axis]!) break;
      offset -= strides[axis]! * like.shape[axis]!;
      counter[axis] = 0;
    }
  }
  return index;
}
