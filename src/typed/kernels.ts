/**
 * gloss's one-pass losses on caller-owned typed arrays: per-sample loss and gradient in one call,
 * computed by the same code the loss classes run in a training step (their one-pass hook: the
 * WebAssembly SIMD kernels for float32, the float64 TypeScript loops otherwise).
 * @module
 */
import type { Loss } from '../loss/_base/loss.js';
import { HuberLoss, type HuberLossOptions } from '../loss/huber.js';
import { L1Loss, type L1LossOptions } from '../loss/l1.js';
import { L2Loss, type L2LossOptions } from '../loss/l2.js';
import { LogisticLoss, type LogisticLossOptions } from '../loss/logistic.js';
import {
  SigmoidBinaryCrossEntropyLoss,
  type SigmoidBinaryCrossEntropyLossOptions,
} from '../loss/sigmoid-bce.js';
import { TripletLoss, type TripletLossOptions } from '../loss/triplet.js';
import { ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { checkFloatArray, checkFloatOperands, OnePassRunner, requirePerSample } from './_one-pass.js';

/** The float arrays the kernels take: float32 or float64, one type per call. */
export type FloatArray = Float32Array | Float64Array;

/**
 * What every typed kernel call takes besides its inputs: the per-sample weights and the two
 * outputs, all owned by the caller. The samples are the entries of `loss`.
 */
export interface KernelOutputs<T extends FloatArray> {
  /**
   * Optional weight per sample (`loss.length` entries), as the class's 1-D `sampleWeight`: the
   * numbers as given, not rounded to pred's type (the class given a Float64Array sampleWeight).
   */
  readonly sampleWeight?: ArrayLike<number> | null;
  /**
   * Output, one entry per sample: each sample's loss as the class's `forward` gives it (the mean
   * of ℓ over the sample's elements, times `weight` and the sample's weight).
   */
  readonly loss: FloatArray;
  /** Output, laid out like `pred`, of its type: d(Σ loss)/d pred. */
  readonly gradient: T;
}

/** One call of a {@link LossKernel}: inputs and outputs, all owned by the caller. */
export interface LossKernelArguments<T extends FloatArray> extends KernelOutputs<T> {
  /**
   * Predictions: `samples × sampleSize` elements, each sample's elements consecutive
   * (row-major `(samples, …)`). `samples` is `loss.length`.
   */
  readonly pred: T;
  /** Labels (TripletLoss: the positives), laid out like `pred`, of its type. */
  readonly label: T;
  /** TripletLoss only: the negatives, laid out like `pred`, of its type. */
  readonly negative?: T;
}

/**
 * A loss on typed arrays: writes the per-sample losses and the gradient of their sum. Keeps two
 * float64 arrays of one entry per sample between calls (made again only when the sample count
 * changes), so a training loop with a fixed batch allocates no array after its first call.
 */
export type LossKernel = <T extends FloatArray>(args: LossKernelArguments<T>) => void;

/** The kinds of loss that have a one-pass kernel, and how many of their inputs it reads. */
function inputsOf(loss: Loss): 2 | 3 {
  if (loss instanceof TripletLoss) return 3;
  if (loss instanceof SigmoidBinaryCrossEntropyLoss) {
    if (loss.fromSigmoid) {
      throw new ValueError(
        'lossKernel: SigmoidBinaryCrossEntropyLoss with fromSigmoid has no one-pass kernel; pass logits',
      );
    }
    return 2;
  }
  if (
    loss instanceof L1Loss ||
    loss instanceof L2Loss ||
    loss instanceof HuberLoss ||
    loss instanceof LogisticLoss
  )
    return 2;
  throw new ValueError(
    `lossKernel: ${loss.name} has no typed-array kernel; these do: L1Loss, L2Loss, HuberLoss, SigmoidBinaryCrossEntropyLoss, LogisticLoss, TripletLoss (SoftmaxCrossEntropyLoss and CTCLoss: softmaxCEKernel and ctcKernel)`,
  );
}

/**
 * The typed-array kernel of a gloss loss object (L1Loss, L2Loss, HuberLoss, SigmoidBinaryCrossEntropyLoss
 * on logits, LogisticLoss, TripletLoss), with that object's options. Values and gradients equal
 * the class's: the same code computes them.
 *
 * @example
 * ```ts
 * const huber = lossKernel(new gluon.loss.HuberLoss({ rho: 0.5 }));
 * huber({ pred, label, loss: perSample, gradient });   // pred: Float32Array of batch × features
 * ```
 */
export function lossKernel(loss: Loss): LossKernel {
  const where = `lossKernel(${loss.name})`;
  const inputs = inputsOf(loss);
  requirePerSample(where, loss);
  if (loss.batchAxis !== 0) {
    throw new ValueError(
      `${where}: the typed-array layout has the batch first; the loss has batchAxis ${loss.batchAxis}`,
    );
  }
  const runner = new OnePassRunner(loss, where);
  return <T extends FloatArray>(args: LossKernelArguments<T>): void => {
    const { pred, label, negative, sampleWeight, loss: out, gradient } = args;
    checkFloatOperands(where, pred, out);
    const samples = out.length;
    const sampleSize = samples === 0 ? 0 : pred.length / samples;
    if (samples === 0 || !Number.isInteger(sampleSize) || sampleSize < 1) {
      throw new ShapeError(
        `${where}: pred has ${pred.length} elements, not a positive whole number per sample for ${samples} samples (loss.length)`,
      );
    }
    checkFloatArray(where, 'label', label, pred, pred.length);
    if (inputs === 3) checkFloatArray(where, 'negative', negative, pred, pred.length);
    else if (negative) throw new ValueError(`${where}: negative is for TripletLoss only`);
    checkFloatArray(where, 'gradient', gradient, pred, pred.length);
    const shape = [samples, sampleSize];
    const arrays = [new NDArray(pred, shape), new NDArray(label, shape)];
    if (negative) arrays.push(new NDArray(negative, shape));
    runner.run(runner.prepare(arrays), sampleWeight ?? null, out, gradient);
  };
}

/** L1Loss on typed arrays: ℓ = |pred − label|. */
export const l1Kernel = (options: L1LossOptions = {}): LossKernel => lossKernel(new L1Loss(options));
/** L2Loss on typed arrays: ℓ = (pred − label)²/2. */
export const l2Kernel = (options: L2LossOptions = {}): LossKernel => lossKernel(new L2Loss(options));
/** HuberLoss on typed arrays (option `rho`, default 1). */
export const huberKernel = (options: HuberLossOptions = {}): LossKernel => lossKernel(new HuberLoss(options));
/** SigmoidBinaryCrossEntropyLoss on logits (labels in [0, 1]) on typed arrays. */
export const sigmoidBCEKernel = (
  options: Omit<SigmoidBinaryCrossEntropyLossOptions, 'fromSigmoid'> = {},
): LossKernel => lossKernel(new SigmoidBinaryCrossEntropyLoss(options));
/** LogisticLoss on typed arrays (option `labelFormat`: 'signed' ±1 by default, or 'binary'). */
export const logisticKernel = (options: LogisticLossOptions = {}): LossKernel =>
  lossKernel(new LogisticLoss(options));
/** TripletLoss on typed arrays (`label` is the positive; option `margin`, default 1). */
export const tripletKernel = (options: TripletLossOptions = {}): LossKernel =>
  lossKernel(new TripletLoss(options));
