/**
 * `tfjsLoss`: any gloss loss as a TF.js loss function, with gloss computing the value and the
 * gradient (through `tf.customGrad`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/index.js';
import type { LossInput } from '../loss/index.js';
import type { Loss } from '../loss/index.js';
import { ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { asLossInput, checkLayout, integerInputs, type TargetLayout, unpackTargets } from './inputs.js';

/** Options of {@link tfjsLoss}. */
export interface TfjsLossOptions {
  /**
   * How `yTrue` carries the loss's inputs after `pred`. Default (undefined): `yTrue` is the
   * loss's second input as it is (the label, or TripletLoss's `positive` …), of the shape the loss
   * expects. With a layout, `yTrue` is packed (see {@link TargetLayout} and {@link packTargets}):
   * the form that reaches `model.fit`, which checks that targets have the rank and the non-batch
   * sizes of the model's output and passes one target tensor per output.
   */
  targets?: TargetLayout;
  /**
   * Inputs that are the same in every call, by name (e.g. SigmoidBCE's `posWeight` per class,
   * CTC's `predLengths`): anything a gloss loss accepts as an input.
   */
  constants?: Readonly<Record<string, LossInput>>;
}

/** A TF.js loss function: what `model.compile({ loss })` and `tf.variableGrads` take. */
export type TfjsLossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

/** A loss's positional inputs after `pred`, from named ones (null for those not given). */
function positional(loss: Loss, named: ReadonlyMap<string, LossInput | null>): (LossInput | null)[] {
  const inputs = loss.inputNames.slice(1).map((name) => named.get(name) ?? null);
  while (inputs.length > 0 && inputs[inputs.length - 1] === null) inputs.pop();
  return inputs;
}

/** The batch mean of a gloss loss and, on demand, its gradient with respect to `pred`. */
export interface GlossEvaluation {
  /** Mean of the per-sample losses (accumulated in float64). */
  readonly value: number;
  /** Number of samples averaged. */
  readonly count: number;
  /**
   * d value/d pred as float32 in pred's layout: computed by one backward on the first call, the
   * same array on later calls.
   */
  gradient(): Float32Array;
}

/**
 * Runs `loss` on `pred` (float32, wrapped without copying: gloss only reads it) and the other
 * inputs by name, recording, so that the gradient is one backward away (the one-pass losses
 * compute it during this forward).
 */
export function evaluateGlossLoss(
  loss: Loss,
  pred: { data: Float32Array; shape: readonly number[] },
  named: ReadonlyMap<string, LossInput | null>,
): GlossEvaluation {
  const predArray = new NDArray(pred.data, pred.shape).attachGrad();
  const perSample = record(() => loss.forward(predArray, ...positional(loss, named)));
  let sum = 0;
  for (let i = 0; i < perSample.size; i++) sum += perSample.data[i]!;
  const count = perSample.size;
  let gradient: Float32Array | null = null;
  return {
    value: sum / count,
    count,
    gradient(): Float32Array {
      if (gradient) return gradient;
      const head = new NDArray(
        perSample.dtype === 'float64' ? new Float64Array(count) : new Float32Array(count),
        perSample.shape,
      ).fill(1 / count);
      perSample.backward(head);
      gradient = predArray.grad!.data as Float32Array;
      return gradient;
    },
  };
}

/** Reads a tensor's data on the CPU (synchronous: on webgl/webgpu this waits for the GPU). */
export function readTensor(tensor: tf.Tensor): Float32Array | Int32Array {
  const data = tensor.dataSync();
  if (data instanceof Float32Array || data instanceof Int32Array) return data;
  return Float32Array.from(data as ArrayLike<number>);
}

/** The loss's inputs after `pred` from `yTrue` (as is or packed) and the constants. */
function inputsFromTargets(
  where: string,
  loss: Loss,
  yTrue: tf.Tensor,
  options: TfjsLossOptions,
): Map<string, LossInput | null> {
  const named = new Map<string, LossInput | null>();
  const data = readTensor(yTrue);
  if (options.targets) {
    for (const [name, array] of unpackTargets(where, loss, options.targets, data, yTrue.shape))
      named.set(name, array);
  } else {
    const name = loss.inputNames[1]!;
    named.set(name, asLossInput(where, name, integerInputs(loss), data, yTrue.shape));
  }
  for (const [name, value] of Object.entries(options.constants ?? {})) named.set(name, value);
  return named;
}

/** Checks the options once, when the adapter is made. */
function checkOptions(where: string, loss: Loss, options: TfjsLossOptions): void {
  if (options === null || typeof options !== 'object')
    throw new ValueError(`${where}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (key !== 'targets' && key !== 'constants') {
      throw new ValueError(`${where}: unknown option '${key}'; the options are targets and constants`);
    }
  }
  if (options.targets && loss.batchAxis !== 0) {
    throw new ValueError(
      `${where}: packed targets need the batch on axis 0 (TF.js's), but the loss has batchAxis ${loss.batchAxis}`,
    );
  }
  const packed = options.targets
    ? checkLayout(where, loss, options.targets).map(([name]) => name)
    : [loss.inputNames[1]];
  for (const name of Object.keys(options.constants ?? {})) {
    if (!loss.inputNames.slice(1).includes(name)) {
      throw new ValueError(
        `${where}: constants names '${name}', which ${loss.name} does not take (${loss.inputNames.join(', ')})`,
      );
    }
    if (packed.includes(name))
      throw new ValueError(`${where}: '${name}' is given both in yTrue and in constants`);
  }
}

/**
 * Turns a gloss loss (with its options) into a TF.js loss function `(yTrue, yPred) => tf.Scalar`
 * for `model.compile({ loss })`, `model.fit`, `tf.variableGrads` and `optimizer.minimize`.
 *
 * - **Value and gradient are gloss's**: the function reads `yPred` and `yTrue`, runs the gloss loss
 *   on them (its kernels, its validation and error messages) and hands TF.js the gradient gloss
 *   computed, through `tf.customGrad`. The gradient flows to `yPred` only; `yTrue` and the other
 *   inputs are data.
 * - **Reduction**: the result is the **mean over the batch** of gloss's per-sample losses (each of
 *   which is already the mean over the sample's non-batch elements, as in Gluon), which is what a
 *   TF.js `LayersModel` reports and minimises for its own losses. Multiply by the batch size for
 *   the sum.
 * - **Labels**: class indices and lengths arrive from TF.js as float32; they are checked to be
 *   integers and cast to int32 (a ValueError names the input, sample and value otherwise). Which
 *   inputs are integers follows the loss (sparse SoftmaxCE labels, CTC labels and lengths).
 * - **Extra inputs** (sampleWeight, CTC lengths, posWeight, Triplet's `negative`): packed into
 *   `yTrue` with `options.targets` (use {@link packTargets} to build it), which works in
 *   `model.fit`; or constant with `options.constants`; or passed per step to {@link trainStep}.
 *   `fit`'s own `sampleWeight` argument still throws in TF.js 4.x; a packed sampleWeight replaces it.
 * - **Backends**: the data are read with `dataSync`. On `cpu` and `wasm` that is a copy in memory
 *   (none at all for `yPred` on `cpu`); on `webgl`/`webgpu` `yPred` and `yTrue` move to the CPU and
 *   the gradient back to the GPU once per step, which also waits for the GPU to finish the forward.
 *
 * @example
 * ```ts
 * import { gluon } from 'gloss-ml';
 * import { packTargets, tfjsLoss } from 'gloss-ml/tfjs';
 * const ctc = new gluon.loss.CTCLoss();
 * const targets = { label: [4], labelLengths: [] };
 * model.compile({ optimizer: tf.train.adam(0.01), loss: tfjsLoss(ctc, { targets }) });
 * await model.fit(frames, packTargets(targets, { label, labelLengths }, [T, C]), { epochs: 10 });
 * ```
 */
export function tfjsLoss(loss: Loss, options: TfjsLossOptions = {}): TfjsLossFunction {
  const where = `tfjsLoss(${loss.name})`;
  checkOptions(where, loss, options);
  return (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar => {
    if (yPred.dtype !== 'float32')
      throw new ValueError(`${where}: yPred must be float32, got ${yPred.dtype}`);
    const named = inputsFromTargets(where, loss, yTrue, options);
    return lossOnPrediction(loss, yPred, named);
  };
}

/** The gloss loss of `yPred` with the other inputs given, as a TF.js scalar with gloss's gradient. */
export function lossOnPrediction(
  loss: Loss,
  yPred: tf.Tensor,
  named: ReadonlyMap<string, LossInput | null>,
  onValue?: (value: number) => void,
): tf.Scalar {
  const adapted = tf.customGrad((pred: tf.Tensor | tf.GradSaveFunc) => {
    const input = pred as tf.Tensor;
    const evaluation = evaluateGlossLoss(
      loss,
      { data: readTensor(input) as Float32Array, shape: input.shape },
      named,
    );
    onValue?.(evaluation.value);
    let handedOver = false;
    return {
      value: tf.scalar(evaluation.value, 'float32'),
      gradFunc: (dy: tf.Tensor) => {
        const scale = dy.dataSync()[0]!;
        const unit = evaluation.gradient();
        // The usual head (1) takes gloss's array as it is, once; TF.js then owns it.
        if (scale === 1 && !handedOver) {
          handedOver = true;
          return tf.tensor(unit, input.shape, 'float32');
        }
        const scaled = new Float32Array(unit.length);
        for (let i = 0; i < unit.length; i++) scaled[i] = unit[i]! * scale;
        return tf.tensor(scaled, input.shape, 'float32');
      },
    };
  });
  return adapted(yPred) as tf.Scalar;
}
