/**
 * Random inputs for the contract suite, one recipe per registered loss: values placed away from
 * each loss's kinks, or with `extreme`, at that magnitude for the stability checks (null when the
 * loss has no input an extreme value makes sense for). Test fixtures, so they live with the tests
 * rather than in the loss files; {@link sampleInputs} fails for a loss that has no recipe.
 */
import type { DType } from '../../src/ndarray/dtype.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, type RandomGenerator } from '../../src/ndarray/random.js';
import { logSoftmax } from '../../src/ops/activation.js';
import type { Loss } from '../../src/loss/index.js';
import type {
  CosineEmbeddingLoss,
  DiceLoss,
  MultiMarginLoss,
  TverskyLoss,
  HingeLoss,
  HuberLoss,
  KLDivLoss,
  LogisticLoss,
  NLLLoss,
  PoissonNLLLoss,
  SigmoidFocalLoss,
  SoftmaxFocalLoss,
  SigmoidBinaryCrossEntropyLoss,
  SoftmaxCrossEntropyLoss,
  SquaredHingeLoss,
  TripletLoss,
} from '../../src/loss/index.js';
import type {
  CosineSimilarityLoss,
  GaussianNLLLoss,
  HingeEmbeddingLoss,
  MarginRankingLoss,
  SmoothL1Loss,
  TripletMarginLoss,
} from '../../src/loss/index.js';

import {
  type Band,
  band,
  type Inputs,
  marginInputs,
  realPairs,
  type Recipe,
  residualInputs,
  signedBandValues,
  toNDArray,
  uniformValues,
} from './_sample-draws.js';

const logisticInputs: Recipe<LogisticLoss | SigmoidBinaryCrossEntropyLoss> = (
  loss,
  generator,
  dtype,
  extreme,
) => {
  const shape = [4, 3];
  const fromSigmoid = 'fromSigmoid' in loss && loss.fromSigmoid;
  if (fromSigmoid && extreme !== undefined) return null;
  const pred = fromSigmoid
    ? uniformValues(generator, 12, 0.05, 0.95)
    : signedBandValues(generator, 12, [band([0.05, 3], extreme)]);
  const signed = 'labelFormat' in loss && loss.labelFormat === 'signed';
  const label = signed ? uniformValues(generator, 12, -1, 1) : uniformValues(generator, 12, 0, 1);
  return [toNDArray(pred, shape, dtype), toNDArray(label, shape, dtype)];
};

const poissonInputs: Recipe<PoissonNLLLoss> = (loss, generator, dtype, extreme) => {
  const shape = [4, 3];
  let pred: Float64Array;
  if (extreme !== undefined) {
    pred = uniformValues(generator, 12, 0.5 * extreme, extreme);
    if (loss.fromLogits) for (let i = 0; i < pred.length; i++) pred[i] = -pred[i]!;
  } else {
    pred = loss.fromLogits ? uniformValues(generator, 12, -2, 2) : uniformValues(generator, 12, 0.2, 3);
  }
  const target = signedBandValues(generator, 12, [
    [0.1, 0.8],
    [1.3, 5],
  ]);
  for (let i = 0; i < target.length; i++) target[i] = Math.abs(target[i]!);
  return [toNDArray(pred, shape, dtype), toNDArray(target, shape, dtype)];
};

/** Logits over 5 classes and integer labels (one-hot rows when the loss takes dense labels); row 3 ignored when the loss ignores a label. */
const softmaxInputs: Recipe<SoftmaxCrossEntropyLoss> = (loss, generator, dtype, extreme) => {
  const shape = [4, 5];
  const logits = signedBandValues(generator, 20, [band([0, 3], extreme)]);
  const labels = new Int32Array(4);
  for (let n = 0; n < 4; n++) labels[n] = generator.nextInt(0, 5);
  const pred = toNDArray(logits, shape, dtype);
  if (loss.ignoreIndex !== null) labels[3] = loss.ignoreIndex;
  if (loss.sparseLabel) return [pred, new NDArray(labels, [4])];
  const dense = new Float64Array(20);
  for (let n = 0; n < 4; n++) dense[n * 5 + labels[n]!] = 1;
  return [pred, toNDArray(dense, shape, dtype)];
};

/** Predictions (log-probabilities when `fromLogits`) and probability rows. */
const klInputs: Recipe<KLDivLoss> = (loss, generator, dtype, extreme) => {
  const shape = [4, 3];
  const logits = toNDArray(signedBandValues(generator, 12, [band([0, 3], extreme)]), shape, 'float64');
  const pred = loss.fromLogits ? logSoftmax(logits, -1) : logits;
  const label = toNDArray(signedBandValues(generator, 12, [[0, 1]]), shape, 'float64').softmax(-1);
  return [
    toNDArray(Float64Array.from(pred.data), shape, dtype),
    toNDArray(Float64Array.from(label.data), shape, dtype),
  ];
};

/** Logits [3, 6, 4] (batch, time, classes) and labels of random length padded with -1. */
const ctcInputs: Recipe = (_loss, generator, dtype, extreme) => {
  const batch = 3;
  const width = 3;
  const pred = normal(0, extreme ?? 1, [batch, 6, 4], { dtype, generator });
  const label = new NDArray(new Int32Array(batch * width).fill(-1), [batch, width]);
  for (let b = 0; b < batch; b++) {
    const length = generator.nextInt(0, width + 1);
    for (let j = 0; j < length; j++) label.data[b * width + j] = generator.nextInt(0, 3);
  }
  return [pred, label];
};

/**
 * Pairs of 3-vectors (magnitude up to 2, or [extreme/2, extreme) with `extreme`) and ±1 labels;
 * a pair gets −1 only when its cosine is clear of the margin's kinks.
 */
const cosineInputs: Recipe<CosineEmbeddingLoss> = (loss, generator, dtype, extreme) => {
  const pairs = 4;
  const length = 3;
  const pairBand = band([0.2, 2], extreme);
  const x1 = toNDArray(signedBandValues(generator, pairs * length, [pairBand]), [pairs, length], dtype);
  const x2 = toNDArray(signedBandValues(generator, pairs * length, [pairBand]), [pairs, length], dtype);
  const label = new Float64Array(pairs);
  for (let m = 0; m < pairs; m++) {
    let dot = 0;
    let square1 = 0;
    let square2 = 0;
    for (let j = m * length; j < (m + 1) * length; j++) {
      dot += x1.data[j]! * x2.data[j]!;
      square1 += x1.data[j]! ** 2;
      square2 += x2.data[j]! ** 2;
    }
    const shifted = dot / Math.sqrt(square1) / Math.sqrt(square2) - loss.margin;
    const clearOfKinks = Math.abs(shifted) > 0.1 && Math.abs(shifted - (1 - loss.margin)) > 0.1;
    label[m] = m % 2 === 1 && clearOfKinks ? -1 : 1;
  }
  return [x1, x2, toNDArray(label, [pairs], dtype)];
};

/** Anchors and positives, and negatives placed so that no sample sits on the hinge. */
const tripletInputs: Recipe<TripletLoss> = (loss, generator, dtype, extreme) => {
  const batch = 4;
  const length = 3;
  const size = batch * length;
  if (extreme !== undefined) {
    const extremeBand: Band[] = [[0.5 * extreme, extreme]];
    return [0, 1, 2].map(() =>
      toNDArray(signedBandValues(generator, size, extremeBand), [batch, length], dtype),
    );
  }
  const pred = toNDArray(signedBandValues(generator, size, [[0, 2]]), [batch, length], dtype);
  const positive = toNDArray(signedBandValues(generator, size, [[0, 2]]), [batch, length], dtype);
  const direction = signedBandValues(generator, size, [[0.5, 1]]);
  const gaps = signedBandValues(generator, batch, [[0.2, 1]]);
  const negative = new Float64Array(size);
  for (let n = 0; n < batch; n++) {
    let toPositive = 0;
    let norm = 0;
    for (let j = n * length; j < (n + 1) * length; j++) {
      toPositive += (positive.data[j]! - pred.data[j]!) ** 2;
      norm += direction[j]! ** 2;
    }
    // Want |negative − pred|² = toPositive + margin − gap; flip the gap's sign if that is not positive.
    let target = toPositive + loss.margin - gaps[n]!;
    if (target <= 0.05) target = toPositive + loss.margin + Math.abs(gaps[n]!);
    // A very negative margin leaves every sample inactive whatever the negative is.
    if (target < 0) target = 0;
    const scale = Math.sqrt(target / norm);
    for (let j = n * length; j < (n + 1) * length; j++) negative[j] = pred.data[j]! + scale * direction[j]!;
  }
  return [pred, positive, toNDArray(negative, [batch, length], dtype)];
};

/** Pairs of nearby 3-vectors (the second is the first plus small noise). */
const sdmlInputs: Recipe = (_loss, generator, dtype, extreme) => {
  const size = 12;
  const scale = extreme ?? 2;
  const x1 = signedBandValues(generator, size, [[extreme === undefined ? 0 : 0.5 * scale, scale]]);
  const noise = signedBandValues(generator, size, [[0, 0.1 * scale]]);
  const x2 = x1.map((v, i) => v + noise[i]!);
  return [toNDArray(x1, [4, 3], dtype), toNDArray(x2, [4, 3], dtype)];
};

/**
 * Probabilities (or logits for a sigmoid or softmax) [4, 3] and soft masks in [0, 1]; no extreme
 * inputs for probabilities.
 */
const overlapInputs: Recipe<DiceLoss | TverskyLoss> = (loss, generator, dtype, extreme) => {
  const shape = [4, 3];
  if (loss.activation === 'none' && extreme !== undefined) return null;
  const pred =
    loss.activation === 'none'
      ? uniformValues(generator, 12, 0.05, 0.95)
      : signedBandValues(generator, 12, [band([0, 3], extreme)]);
  return [toNDArray(pred, shape, dtype), toNDArray(uniformValues(generator, 12, 0, 1), shape, dtype)];
};

/** Scores [4, 5] whose hinges margin − x_y + x_j all lie 0.1 to 1 from 0 (either side), and labels. */
const multiMarginInputs: Recipe<MultiMarginLoss> = (loss, generator, dtype, extreme) => {
  const [batch, classes] = [4, 5];
  const labels = new Int32Array(batch);
  for (let n = 0; n < batch; n++) labels[n] = generator.nextInt(0, classes);
  const scores =
    extreme !== undefined
      ? signedBandValues(generator, batch * classes, [[0.5 * extreme, extreme]])
      : signedBandValues(generator, batch * classes, [[0.1, 1]]);
  if (extreme === undefined) {
    for (let n = 0; n < batch; n++) {
      const offset = 2 * generator.nextDouble() - 1;
      const row = n * classes;
      // x_j = x_y − margin + gap_j puts the hinge of class j at gap_j.
      for (let c = 0; c < classes; c++) scores[row + c] = offset - loss.margin + scores[row + c]!;
      scores[row + labels[n]!] = offset;
    }
  }
  return [toNDArray(scores, [batch, classes], dtype), new NDArray(labels, [batch])];
};

/**
 * Scores [4, 5] and −1-terminated target rows of 1 to 3 distinct classes, redrawn until every
 * hinge 1 − x_j + x_i lies at least 0.05 from 0.
 */
const multiLabelMarginInputs: Recipe = (_loss, generator, dtype, extreme) => {
  const [batch, classes] = [4, 5];
  const target = new Int32Array(batch * classes).fill(-1);
  const scores = new Float64Array(batch * classes);
  for (let n = 0; n < batch; n++) {
    const row = n * classes;
    const order = [0, 1, 2, 3, 4].sort(() => generator.nextDouble() - 0.5);
    const count = generator.nextInt(1, 4);
    for (let t = 0; t < count; t++) target[row + t] = order[t]!;
    for (let attempt = 0; attempt < 100; attempt++) {
      const drawn = signedBandValues(generator, classes, [band([0, 2], extreme)]);
      scores.set(drawn, row);
      const clear = order
        .slice(0, count)
        .every((j) => order.slice(count).every((i) => Math.abs(1 - drawn[j]! + drawn[i]!) > 0.05));
      if (clear || extreme !== undefined) break;
    }
  }
  return [toNDArray(scores, [batch, classes], dtype), new NDArray(target, [batch, classes])];
};

/** Logits [4, 5] and soft labels in [0, 1]. */
const multiLabelSoftMarginInputs: Recipe = (_loss, generator, dtype, extreme) => {
  const logits = signedBandValues(generator, 20, [band([0, 3], extreme)]);
  return [toNDArray(logits, [4, 5], dtype), toNDArray(uniformValues(generator, 20, 0, 1), [4, 5], dtype)];
};

/** Log-probabilities over 5 classes (log-softmax of logits) and class indices; row 1 ignored when the loss ignores a label. */
const nllInputs: Recipe<NLLLoss> = (loss, generator, dtype, extreme) => {
  const logits = toNDArray(signedBandValues(generator, 20, [band([0, 3], extreme)]), [4, 5], 'float64');
  const labels = new Int32Array(4);
  for (let n = 0; n < 4; n++) labels[n] = generator.nextInt(0, 5);
  // NLL reads only the label's entry: row 0 takes class 0, so a NaN put first reaches its loss.
  labels[0] = 0;
  if (loss.ignoreIndex !== null) labels[1] = loss.ignoreIndex;
  return [toNDArray(Float64Array.from(logSoftmax(logits, -1).data), [4, 5], dtype), new NDArray(labels, [4])];
};

/** Logits (or probabilities in [0.05, 0.95) with fromSigmoid, none at an extreme) and soft labels in [0, 1]. */
const sigmoidFocalInputs: Recipe<SigmoidFocalLoss> = (loss, generator, dtype, extreme) => {
  if (loss.fromSigmoid && extreme !== undefined) return null;
  const pred = loss.fromSigmoid
    ? uniformValues(generator, 12, 0.05, 0.95)
    : signedBandValues(generator, 12, [band([0.05, 3], extreme)]);
  return [toNDArray(pred, [4, 3], dtype), toNDArray(uniformValues(generator, 12, 0, 1), [4, 3], dtype)];
};

/** As SoftmaxCrossEntropyLoss's (log-probabilities with fromLogits), dense labels random distributions. */
const softmaxFocalInputs: Recipe<SoftmaxFocalLoss> = (loss, generator, dtype, extreme) => {
  const logits = toNDArray(signedBandValues(generator, 20, [band([0, 3], extreme)]), [4, 5], 'float64');
  const pred = toNDArray(
    Float64Array.from((loss.fromLogits ? logSoftmax(logits, -1) : logits).data),
    [4, 5],
    dtype,
  );
  if (!loss.sparseLabel) {
    const label = toNDArray(signedBandValues(generator, 20, [[0, 1]]), [4, 5], 'float64').softmax(-1);
    return [pred, toNDArray(Float64Array.from(label.data), [4, 5], dtype)];
  }
  const labels = new Int32Array(4);
  for (let n = 0; n < 4; n++) labels[n] = generator.nextInt(0, 5);
  return [pred, new NDArray(labels, [4])];
};

/** Seven 3-vectors (magnitude up to 2, or [extreme/2, extreme)): three label pairs and one row without a positive. */
const ntxentInputs: Recipe = (_loss, generator, dtype, extreme) => {
  const embeddings = signedBandValues(generator, 21, [band([0.1, 2], extreme)]);
  return [toNDArray(embeddings, [7, 3], dtype), new NDArray(Int32Array.of(0, 1, 2, 0, 1, 2, 3), [7])];
};

// ---- beyond Gluon: regression and ranking losses ------------------------------------------------

/** Scores of magnitude in [0.05, 3) (or the extreme band) and real labels in [−1.5, 1.5). */
const softMarginInputs: Recipe = (_loss, generator, dtype, extreme) => {
  const pred = signedBandValues(generator, 12, [band([0.05, 3], extreme)]);
  return [toNDArray(pred, [4, 3], dtype), toNDArray(uniformValues(generator, 12, -1.5, 1.5), [4, 3], dtype)];
};

/** input1, input2 and ±1 labels with margin − label · (input1 − input2) of magnitude in [0.1, 1). */
const marginRankingInputs: Recipe<MarginRankingLoss> = (loss, generator, dtype, extreme) => {
  const [difference, label] = marginInputs(generator, 'float64', [4, 3], loss.margin, extreme);
  const input2 = signedBandValues(generator, 12, [band([0, 2], extreme)]);
  const input1 = input2.map((v, i) => v + difference!.data[i]!);
  return [
    toNDArray(input1, [4, 3], dtype),
    toNDArray(input2, [4, 3], dtype),
    toNDArray(label!.data as Float64Array, [4, 3], dtype),
  ];
};

/** Distances and ±1 labels; a −1 label's margin − pred is of magnitude in [0.1, 1) (off the hinge). */
const hingeEmbeddingInputs: Recipe<HingeEmbeddingLoss> = (loss, generator, dtype, extreme) => {
  const label = signedBandValues(generator, 12, [[1, 1]]);
  const pred = signedBandValues(generator, 12, [band([0.1, 1], extreme)]);
  if (extreme === undefined) for (let i = 0; i < 12; i++) pred[i] = loss.margin - pred[i]!;
  return [toNDArray(pred, [4, 3], dtype), toNDArray(label, [4, 3], dtype)];
};

/** Means, targets, and variances in [0.2, 2) of pred's shape. */
const gaussianInputs: Recipe<GaussianNLLLoss> = (_loss, generator, dtype, extreme) => {
  const [pred, target] = residualInputs(generator, dtype, [4, 3], [[0, 2]], extreme);
  return [pred!, target!, toNDArray(uniformValues(generator, 12, 0.2, 2), [4, 3], dtype)];
};

/** Pairs of 3-vectors of magnitude in [0.2, 2) (or the extreme band). */
const cosineSimilarityInputs: Recipe<CosineSimilarityLoss> = (_loss, generator, dtype, extreme) => {
  const vectors = () => toNDArray(signedBandValues(generator, 12, [band([0.2, 2], extreme)]), [4, 3], dtype);
  return [vectors(), vectors()];
};

/** ‖v‖_p of a row. */
function pNorm(values: ArrayLike<number>, p: number): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += Math.abs(values[i]!) ** p;
  return total ** (1 / p);
}

/** Anchors and positives, and negatives placed so that no sample sits on the hinge (without swap). */
const tripletMarginInputs: Recipe<TripletMarginLoss> = (loss, generator, dtype, extreme) => {
  const [batch, length] = [4, 3];
  if (extreme !== undefined) {
    return [0, 1, 2].map(() =>
      toNDArray(signedBandValues(generator, batch * length, [band([0, 1], extreme)]), [batch, length], dtype),
    );
  }
  const anchor = signedBandValues(generator, batch * length, [[0, 2]]);
  const positive = signedBandValues(generator, batch * length, [[0, 2]]);
  const negative = new Float64Array(batch * length);
  for (let n = 0; n < batch; n++) {
    const row = (x: Float64Array) => x.subarray(n * length, (n + 1) * length);
    const toPositive = pNorm(
      row(anchor).map((a, j) => a - row(positive)[j]! + loss.eps),
      loss.p,
    );
    const direction = signedBandValues(generator, length, [[0.5, 1]]);
    const gap = signedBandValues(generator, 1, [[0.2, 1]])[0]!;
    // d(anchor, negative) = toPositive + margin − gap puts ℓ at gap (or 0 when gap < 0).
    let target = toPositive + loss.margin - gap;
    if (target <= 0.05) target = toPositive + loss.margin + Math.abs(gap);
    if (target < 0) target = 0;
    const scale = target / pNorm(direction, loss.p);
    // anchor − negative + eps = scale · direction.
    for (let j = 0; j < length; j++)
      negative[n * length + j] = anchor[n * length + j]! + loss.eps - scale * direction[j]!;
  }
  return [anchor, positive, negative].map((x) => toNDArray(x, [batch, length], dtype));
};

/** The recipe of every registered loss, by its Gluon name. */
const RECIPES: Readonly<Record<string, Recipe<never>>> = {
  L2Loss: realPairs,
  L1Loss: (_loss, generator, dtype, extreme) => residualInputs(generator, dtype, [4, 3], [[0.1, 1]], extreme),
  HuberLoss: (loss: HuberLoss, generator, dtype, extreme) =>
    residualInputs(
      generator,
      dtype,
      [4, 3],
      [
        [0.1 * loss.rho, 0.8 * loss.rho],
        [1.2 * loss.rho, 3 * loss.rho],
      ],
      extreme,
    ),
  HingeLoss: (loss: HingeLoss, generator, dtype, extreme) =>
    marginInputs(generator, dtype, [4, 3], loss.margin, extreme),
  SquaredHingeLoss: (loss: SquaredHingeLoss, generator, dtype, extreme) =>
    marginInputs(generator, dtype, [4, 3], loss.margin, extreme),
  LogisticLoss: logisticInputs,
  SigmoidBinaryCrossEntropyLoss: logisticInputs,
  PoissonNLLLoss: poissonInputs,
  SoftmaxCrossEntropyLoss: softmaxInputs,
  KLDivLoss: klInputs,
  CTCLoss: ctcInputs,
  CosineEmbeddingLoss: cosineInputs,
  TripletLoss: tripletInputs,
  SDMLLoss: sdmlInputs,
  DiceLoss: overlapInputs,
  TverskyLoss: overlapInputs,
  MultiMarginLoss: multiMarginInputs,
  MultiLabelMarginLoss: multiLabelMarginInputs,
  MultiLabelSoftMarginLoss: multiLabelSoftMarginInputs,
  NLLLoss: nllInputs,
  SigmoidFocalLoss: sigmoidFocalInputs,
  SoftmaxFocalLoss: softmaxFocalInputs,
  NTXentLoss: ntxentInputs,
  SmoothL1Loss: (loss: SmoothL1Loss, generator, dtype, extreme) =>
    residualInputs(
      generator,
      dtype,
      [4, 3],
      loss.beta > 0
        ? [
            [0.1 * loss.beta, 0.8 * loss.beta],
            [1.2 * loss.beta, 3 * loss.beta],
          ]
        : [[0.1, 1]],
      extreme,
    ),
  MSELoss: realPairs,
  LogCoshLoss: realPairs,
  SoftMarginLoss: softMarginInputs,
  MarginRankingLoss: marginRankingInputs,
  HingeEmbeddingLoss: hingeEmbeddingInputs,
  GaussianNLLLoss: gaussianInputs,
  CosineSimilarityLoss: cosineSimilarityInputs,
  TripletMarginLoss: tripletMarginInputs,
};

/** Whether the contract suite has sample inputs for the loss named `name`. */
export function hasSampleInputs(name: string): boolean {
  return Object.hasOwn(RECIPES, name);
}

/**
 * Random inputs for `loss` (its options shape them), as positional inputs (sampleWeight
 * excluded). With `extreme`, the logits or predictions have magnitude around `extreme`; null when
 * the loss has no such input.
 */
export function sampleInputs(loss: Loss, generator: RandomGenerator, dtype: DType, extreme?: number): Inputs {
  const recipe = RECIPES[loss.name] as Recipe | undefined;
  if (!recipe)
    throw new Error(`no sample inputs for ${loss.name}: add a recipe to test/loss/_sample-inputs.ts`);
  return recipe(loss, generator, dtype, extreme);
}
