/**
 * The small synthetic problems `gloss train` fits, one per kind of loss: what the labels look
 * like, how many outputs the network needs, and how its raw output becomes the loss's
 * prediction. Every dataset is drawn from a seeded generator, so a run is reproducible.
 * @module
 */
import type { NDArray } from '../index.js';
import { nd } from '../index.js';
import { ValueError } from '../ndarray/errors.js';
import type { RandomGenerator } from '../ndarray/random.js';

/** The kinds of labels the supported losses expect. */
export type TaskKind = 'regression' | 'signed' | 'binary' | 'multiclass' | 'distribution' | 'counts';

/** Inputs (n × 2, uniform in [-1, 1]²) and labels for one split. */
export interface Dataset {
  readonly inputs: Float32Array;
  /** Labels, `labelWidth` per sample (int32 class ids for sparse multiclass labels). */
  readonly labels: Float32Array | Int32Array;
  readonly labelWidth: number;
  /** Class of each sample (classification tasks), to measure accuracy. */
  readonly classes: Int32Array | null;
  readonly size: number;
}

/** How to train a network for one loss. */
export interface TrainingTask {
  readonly kind: TaskKind;
  /** One line describing the data. */
  readonly description: string;
  /** Units of the network's last layer. */
  readonly outputs: number;
  /** Turns the network's output into the loss's `pred` (e.g. log-probabilities for KLDivLoss). */
  prediction(output: NDArray): NDArray;
  /** The class each output row predicts, for accuracy; null for tasks without classes. */
  predictedClass: ((output: NDArray) => Int32Array) | null;
  /** Draws `size` samples. */
  makeData(size: number, generator: RandomGenerator): Dataset;
}

/** Input features per sample. */
export const INPUT_FEATURES = 2;
const CLASSES = 3;

function drawInputs(size: number, generator: RandomGenerator): Float32Array {
  const inputs = new Float32Array(size * INPUT_FEATURES);
  for (let i = 0; i < inputs.length; i++) inputs[i] = generator.nextDouble() * 2 - 1;
  return inputs;
}

/** Inside the circle of radius √0.5 (about 39% of the square) is the positive class. */
function insideCircle(x0: number, x1: number): boolean {
  return x0 * x0 + x1 * x1 < 0.5;
}

/**
 * Three classes from three equal angular sectors around the origin, shifted by one inside the
 * disc x₀² + x₁² < 0.4, so no straight line separates a class.
 */
function sectorClass(x0: number, x1: number): number {
  const sector = Math.min(
    CLASSES - 1,
    Math.floor(((Math.atan2(x1, x0) + Math.PI) / (2 * Math.PI)) * CLASSES),
  );
  return (sector + (x0 * x0 + x1 * x1 < 0.4 ? 1 : 0)) % CLASSES;
}

/** A Poisson draw by inversion (fine for the small rates used here). */
function poisson(rate: number, generator: RandomGenerator): number {
  let count = 0;
  let probability = Math.exp(-rate);
  let cumulative = probability;
  const u = generator.nextDouble();
  while (u > cumulative && count < 1000) {
    count++;
    probability *= rate / count;
    cumulative += probability;
  }
  return count;
}

function dataset(
  size: number,
  generator: RandomGenerator,
  labelWidth: number,
  labelOf: (x0: number, x1: number, row: Float32Array | Int32Array, offset: number) => number | null,
  integerLabels = false,
): Dataset {
  const inputs = drawInputs(size, generator);
  const labels = integerLabels ? new Int32Array(size * labelWidth) : new Float32Array(size * labelWidth);
  const classes = new Int32Array(size);
  let hasClasses = false;
  for (let i = 0; i < size; i++) {
    const found = labelOf(inputs[2 * i]!, inputs[2 * i + 1]!, labels, i * labelWidth);
    if (found !== null) {
      classes[i] = found;
      hasClasses = true;
    }
  }
  return { inputs, labels, labelWidth, classes: hasClasses ? classes : null, size };
}

/** The class with the largest output in each row. */
function argmaxRows(output: NDArray): Int32Array {
  const width = output.shape[1] ?? 1;
  const rows = output.shape[0]!;
  const result = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < width; c++)
      if (output.data[r * width + c]! > output.data[r * width + best]!) best = c;
    result[r] = best;
  }
  return result;
}

/** Positive class where the single output is above `threshold`. */
function thresholdRows(output: NDArray, threshold: number): Int32Array {
  return Int32Array.from(output.data, (v) => (v > threshold ? 1 : 0));
}

const identity = (output: NDArray) => output;

/** The losses `gloss train` supports. */
export const TRAINABLE_LOSSES: readonly string[] = [
  'L1Loss',
  'L2Loss',
  'HuberLoss',
  'HingeLoss',
  'SquaredHingeLoss',
  'LogisticLoss',
  'SigmoidBinaryCrossEntropyLoss',
  'SoftmaxCrossEntropyLoss',
  'KLDivLoss',
  'PoissonNLLLoss',
];

/**
 * The task for loss `name` (a Gluon class name) with its options. A loss that needs
 * more than one prediction per label (Triplet, CTC, Cosine, SDML) is a ValueError.
 */
export function taskFor(name: string, options: Readonly<Record<string, unknown>>): TrainingTask {
  switch (name) {
    case 'L1Loss':
    case 'L2Loss':
    case 'HuberLoss':
      return {
        kind: 'regression',
        description: 'regression: y = 0.8 sin(π x₀) + 0.5 x₁ + noise(σ = 0.05)',
        outputs: 1,
        prediction: identity,
        predictedClass: null,
        makeData: (size, generator) =>
          dataset(size, generator, 1, (x0, x1, row, offset) => {
            row[offset] = 0.8 * Math.sin(Math.PI * x0) + 0.5 * x1 + 0.05 * generator.nextNormal();
            return null;
          }),
      };
    case 'HingeLoss':
    case 'SquaredHingeLoss':
    case 'LogisticLoss':
    case 'SigmoidBinaryCrossEntropyLoss': {
      const binary = name === 'SigmoidBinaryCrossEntropyLoss' || options.labelFormat === 'binary';
      const fromSigmoid = name === 'SigmoidBinaryCrossEntropyLoss' && options.fromSigmoid === true;
      return {
        kind: binary ? 'binary' : 'signed',
        description: `binary classification: inside the circle x₀² + x₁² < 0.5 or not, labels ${binary ? '0/1' : '−1/+1'}`,
        outputs: 1,
        // fromSigmoid: the loss wants probabilities, so the network's score goes through a sigmoid.
        prediction: fromSigmoid ? (output) => output.sigmoid() : identity,
        predictedClass: (output) => thresholdRows(output, fromSigmoid ? 0.5 : 0),
        makeData: (size, generator) =>
          dataset(size, generator, 1, (x0, x1, row, offset) => {
            const positive = insideCircle(x0, x1);
            row[offset] = positive ? 1 : binary ? 0 : -1;
            return positive ? 1 : 0;
          }),
      };
    }
    case 'SoftmaxCrossEntropyLoss': {
      const sparse = options.sparseLabel !== false;
      return {
        kind: 'multiclass',
        description: `3 classes: the angular sector of (x₀, x₁), ${sparse ? 'class ids' : 'one-hot labels'}`,
        outputs: CLASSES,
        // fromLogits: the loss wants log-probabilities.
        prediction: options.fromLogits === true ? (output) => output.logSoftmax(-1) : identity,
        predictedClass: argmaxRows,
        makeData: (size, generator) =>
          dataset(
            size,
            generator,
            sparse ? 1 : CLASSES,
            (x0, x1, row, offset) => {
              const k = sectorClass(x0, x1);
              if (sparse) row[offset] = k;
              else row[offset + k] = 1;
              return k;
            },
            sparse,
          ),
      };
    }
    case 'KLDivLoss':
      return {
        kind: 'distribution',
        description:
          '3 classes (sectors, shifted inside a disc): target distributions 0.8 on the class, 0.1 on the others',
        outputs: CLASSES,
        // fromLogits (the default): the loss wants log-probabilities, so apply log-softmax here.
        prediction: options.fromLogits === false ? identity : (output) => output.logSoftmax(-1),
        predictedClass: argmaxRows,
        makeData: (size, generator) =>
          dataset(size, generator, CLASSES, (x0, x1, row, offset) => {
            const k = sectorClass(x0, x1);
            for (let c = 0; c < CLASSES; c++) row[offset + c] = c === k ? 0.8 : 0.1;
            return k;
          }),
      };
    case 'PoissonNLLLoss':
      return {
        kind: 'counts',
        description: 'counts: Poisson with rate exp(0.5 + x₀ − 0.5 x₁)',
        outputs: 1,
        // fromLogits (the default): the network predicts log(rate); otherwise the rate, kept positive by exp.
        prediction: options.fromLogits === false ? (output) => output.exp() : identity,
        predictedClass: null,
        makeData: (size, generator) =>
          dataset(size, generator, 1, (x0, x1, row, offset) => {
            row[offset] = poisson(Math.exp(0.5 + x0 - 0.5 * x1), generator);
            return null;
          }),
      };
    default:
      throw new ValueError(
        `${name} cannot be trained by gloss train (its inputs are not one prediction and one label per sample); ` +
          `the losses it trains are ${TRAINABLE_LOSSES.join(', ')}`,
      );
  }
}

/** Rows `indices` of `data` as NDArrays: inputs (b × 2) and labels (b × width, or b for class ids). */
export function batchOf(data: Dataset, indices: ArrayLike<number>): { inputs: NDArray; labels: NDArray } {
  const count = indices.length;
  const inputs = new Float32Array(count * INPUT_FEATURES);
  const width = data.labelWidth;
  const labels =
    data.labels instanceof Int32Array ? new Int32Array(count * width) : new Float32Array(count * width);
  for (let k = 0; k < count; k++) {
    const row = indices[k]!;
    inputs.set(data.inputs.subarray(row * INPUT_FEATURES, (row + 1) * INPUT_FEATURES), k * INPUT_FEATURES);
    labels.set(data.labels.subarray(row * width, (row + 1) * width), k * width);
  }
  return {
    inputs: nd.array(inputs).reshape([count, INPUT_FEATURES]),
    labels: nd.array(labels).reshape(width === 1 && labels instanceof Int32Array ? [count] : [count, width]),
  };
}
