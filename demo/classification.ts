/**
 * The training panel's classification task: two interleaving half-moons in 2-D, labels in the
 * form each classification loss expects, and the decision map (class-1 probability over the
 * input square, boundary and points) redrawn as the network trains.
 * @module
 */
import { type gluon, type NDArray, nd } from 'gloss-ml';
import { decisionMap } from 'gloss-ml/plot';

/** The classification losses the panel trains with. */
export const CLASSIFICATION_LOSSES = [
  'SoftmaxCrossEntropyLoss',
  'SigmoidBinaryCrossEntropyLoss',
  'HingeLoss',
  'LogisticLoss',
] as const;

export type ClassificationLoss = (typeof CLASSIFICATION_LOSSES)[number];

export function isClassificationLoss(name: string): name is ClassificationLoss {
  return (CLASSIFICATION_LOSSES as readonly string[]).includes(name);
}

/** Inputs (n × 2) and their classes (0 or 1). */
export interface ClassificationData {
  readonly inputs: Float32Array;
  readonly classes: Int32Array;
  readonly size: number;
}

/** Two half-moons (class 0 on top, class 1 below and shifted), with a little Gaussian noise. */
export function twoMoons(size: number, generator: nd.random.RandomGenerator): ClassificationData {
  const inputs = new Float32Array(size * 2);
  const classes = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const cls = i % 2;
    const angle = Math.PI * generator.nextDouble();
    const [x, y] =
      cls === 0 ? [Math.cos(angle), Math.sin(angle)] : [1 - Math.cos(angle), 0.5 - Math.sin(angle)];
    inputs[2 * i] = x + 0.1 * generator.nextNormal();
    inputs[2 * i + 1] = y + 0.1 * generator.nextNormal();
    classes[i] = cls;
  }
  return { inputs, classes, size };
}

/** Units of the network's last layer: one logit per class for softmax, one score otherwise. */
export function outputUnits(loss: ClassificationLoss): number {
  return loss === 'SoftmaxCrossEntropyLoss' ? 2 : 1;
}

/**
 * The labels of rows `start` to `end` as `loss` reads them: class indices for SoftmaxCE, 0/1 for
 * SigmoidBCE, −1/+1 for Hinge and Logistic (its default 'signed' format).
 */
export function labelsFor(
  loss: ClassificationLoss,
  classes: Int32Array,
  start: number,
  end: number,
): NDArray {
  const slice = Array.from(classes.subarray(start, end));
  if (loss === 'SoftmaxCrossEntropyLoss') return nd.array(slice);
  const values = loss === 'SigmoidBinaryCrossEntropyLoss' ? slice : slice.map((c) => 2 * c - 1);
  return nd.array(values).reshape([values.length, 1]);
}

/**
 * P(class 1) for each row of the network's output: the softmax of the two logits, or the
 * sigmoid of the single score (whose sign is the predicted class for Hinge and Logistic too).
 */
export function classOneProbability(loss: ClassificationLoss, output: NDArray): Float64Array {
  const data = output.data;
  const rows = output.shape[0]!;
  const probability = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const score = outputUnits(loss) === 2 ? data[2 * i + 1]! - data[2 * i]! : data[i]!;
    probability[i] = 1 / (1 + Math.exp(-score));
  }
  return probability;
}

/** The fraction of rows whose predicted class is their class. */
export function accuracy(probability: Float64Array, classes: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < classes.length; i++) if ((probability[i]! >= 0.5 ? 1 : 0) === classes[i]) correct++;
  return correct / classes.length;
}

const GRID = { xMin: -1.5, xMax: 2.5, yMin: -1.25, yMax: 1.75, columns: 40, rows: 30 };

/** The decision map of `net` over the data's square, with the training points. */
export function decisionMapChart(
  net: gluon.nn.Sequential,
  loss: ClassificationLoss,
  data: ClassificationData,
  title: string,
): string {
  const cells = new Float32Array(GRID.columns * GRID.rows * 2);
  for (let r = 0; r < GRID.rows; r++) {
    for (let c = 0; c < GRID.columns; c++) {
      const k = r * GRID.columns + c;
      cells[2 * k] = GRID.xMin + ((c + 0.5) / GRID.columns) * (GRID.xMax - GRID.xMin);
      cells[2 * k + 1] = GRID.yMin + ((r + 0.5) / GRID.rows) * (GRID.yMax - GRID.yMin);
    }
  }
  const output = net.forward(nd.array(cells).reshape([GRID.columns * GRID.rows, 2]));
  const scores = classOneProbability(loss, output);
  const xs = new Float32Array(data.size);
  const ys = new Float32Array(data.size);
  for (let i = 0; i < data.size; i++) {
    xs[i] = data.inputs[2 * i]!;
    ys[i] = data.inputs[2 * i + 1]!;
  }
  return decisionMap(
    { ...GRID, scores },
    { title, size: 340, points: { x: xs, y: ys, classes: data.classes } },
  );
}
