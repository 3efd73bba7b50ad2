/**
 * `packTargets` (a loss's extra inputs packed into the one `yTrue` that `model.fit` passes) and
 * `trainStep` (one optimiser step with the extra inputs given per step, for custom loops).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Loss, LossInput } from '../loss/index.js';
import { ShapeError, ValueError } from '../ndarray/errors.js';
import { asLossInput, integerInputs, packRows, type TargetLayout } from './inputs.js';
import { lossOnPrediction, readTensor } from './loss.js';

/** A value for one packed input: a tensor, a typed array or (nested) numbers, batch first. */
export type PackedValue = tf.Tensor | ArrayLike<number> | readonly (readonly number[])[];

function flatten(value: PackedValue): ArrayLike<number> {
  if (value instanceof tf.Tensor) return readTensor(value);
  if (ArrayBuffer.isView(value)) return value as ArrayLike<number>;
  return (value as readonly unknown[]).flat(Number.POSITIVE_INFINITY) as number[];
}

/**
 * Builds the `yTrue` tensor for {@link tfjsLoss} with `options.targets = layout`: shape
 * `[batch, ...outputShape]`, where `outputShape` is the model output's shape without the batch
 * axis (what `model.fit` checks targets against), each sample's row holding the layout's inputs
 * one after another, then zeros. A ShapeError when the inputs do not fit in a row (TripletLoss's
 * `positive` and `negative` together need twice the output: use {@link trainStep}).
 *
 * @example
 * ```ts
 * const targets = { label: [], sampleWeight: [] };       // sparse label, weight per sample
 * const yTrue = packTargets(targets, { label: [3, 1], sampleWeight: [1, 0] }, [10]); // [2, 10]
 * ```
 */
export function packTargets(
  layout: TargetLayout,
  values: Readonly<Record<string, PackedValue>>,
  outputShape: readonly number[],
): tf.Tensor {
  const where = 'packTargets';
  if (outputShape.some((dim) => !Number.isInteger(dim) || dim < 0)) {
    throw new ValueError(
      `${where}: outputShape must be the model output's sizes after the batch axis (no nulls), got [${outputShape.join(',')}]`,
    );
  }
  const rowSize = outputShape.reduce((product, dim) => product * dim, 1);
  const flat = new Map(Object.entries(values).map(([name, value]) => [name, flatten(value)] as const));
  const { data, batch } = packRows(where, layout, flat, rowSize);
  return tf.tensor(data, [batch, ...outputShape], 'float32');
}

/** A model for {@link trainStep}: a TF.js LayersModel, or a function from inputs to predictions. */
export type TrainableModel =
  | {
      // biome-ignore lint/suspicious/noExplicitAny: LayersModel.apply's own parameter types
      apply(inputs: any, kwargs?: any): unknown;
      // LayerVariable.read() is typed as a Tensor but returns the layer's tf.Variable.
      readonly trainableWeights?: readonly { read(): tf.Tensor }[];
    }
  | ((inputs: tf.Tensor | tf.Tensor[]) => tf.Tensor);

/** What {@link trainStep} needs for one step. */
export interface TrainStepArguments {
  /** The model; a LayersModel is applied in training mode and its trainable weights are updated. */
  model: TrainableModel;
  /** A TF.js optimizer (`tf.train.adam(0.01)` …). */
  optimizer: tf.Optimizer;
  /** Any gloss loss. */
  loss: Loss;
  /** The model's input(s). */
  inputs: tf.Tensor | tf.Tensor[];
  /** The loss's second input (label, target, Triplet's `positive` …), of the shape the loss expects. */
  labels: tf.Tensor | LossInput;
  /** The loss's other inputs by name: `sampleWeight`, `labelLengths`, `posWeight`, `negative` … */
  extras?: Readonly<Record<string, tf.Tensor | LossInput>>;
  /** Variables to update (default: the model's trainable weights, or every trainable variable). */
  variables?: tf.Variable[];
}

function asInput(where: string, loss: Loss, name: string, value: tf.Tensor | LossInput): LossInput {
  if (value instanceof tf.Tensor)
    return asLossInput(where, name, integerInputs(loss), readTensor(value), value.shape);
  return value;
}

/**
 * One optimiser step: runs the model, evaluates the gloss loss (batch mean, gradient by gloss)
 * on its prediction with the labels and extra inputs given, and applies the optimizer to the
 * model's trainable weights. Returns the loss value before the step. The form for inputs that do
 * not fit in a packed `yTrue` (TripletLoss) or that change shape per batch.
 *
 * @example
 * ```ts
 * const value = trainStep({ model, optimizer, loss: new gluon.loss.TripletLoss(),
 *   inputs: anchors, labels: positives, extras: { negative: negatives } });
 * ```
 */
export function trainStep(args: TrainStepArguments): number {
  const { model, optimizer, loss } = args;
  const where = `trainStep(${loss.name})`;
  const named = new Map<string, LossInput | null>();
  named.set(loss.inputNames[1]!, asInput(where, loss, loss.inputNames[1]!, args.labels));
  for (const [name, value] of Object.entries(args.extras ?? {})) {
    if (!loss.inputNames.slice(2).includes(name)) {
      throw new ValueError(
        `${where}: extras names '${name}', which ${loss.name} does not take after its first two inputs (${loss.inputNames.join(', ')})`,
      );
    }
    named.set(name, asInput(where, loss, name, value));
  }
  const variables =
    args.variables ??
    (typeof model === 'function'
      ? undefined
      : (model.trainableWeights?.map((weight) => weight.read()) as tf.Variable[] | undefined));
  let value = Number.NaN;
  optimizer.minimize(
    () => {
      const output =
        typeof model === 'function' ? model(args.inputs) : model.apply(args.inputs, { training: true });
      if (!(output instanceof tf.Tensor)) {
        throw new ShapeError(
          `${where}: the model must give one tensor, got ${Array.isArray(output) ? `${output.length} tensors` : String(output)}`,
        );
      }
      return lossOnPrediction(loss, output, named, (v) => {
        value = v;
      });
    },
    false,
    variables,
  );
  return value;
}
