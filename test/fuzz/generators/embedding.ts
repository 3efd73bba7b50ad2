/**
 * Generators of the embedding (metric-learning) losses: CosineEmbedding, CosineSimilarity, Triplet,
 * TripletMargin, SDML and NTXent, whose inputs are vectors compared with each other.
 */
import type { DType } from '../../../src/ndarray/dtype.js';
import type { RandomGenerator } from '../../../src/ndarray/random.js';
import type { Draft, InputSpec } from './case.js';
import {
  badValue,
  batchAxisOption,
  batchSize,
  chance,
  count,
  dim,
  draw,
  floatOrInt,
  grown,
  innerOf,
  input,
  pick,
  resize,
  sameCount,
  shapeWith,
} from './draw.js';

export function cosine(g: RandomGenerator, dtype: DType): Draft {
  const options: Record<string, unknown> = {};
  if (chance(g, 0.4)) options.margin = pick(g, [-0.5, 0, 0.3, 0.9, 2]);
  const rank = g.nextInt(0, 4) + (chance(g, 0.9) ? 1 : 0);
  const shape = Array.from({ length: rank }, (_, i) => (i === 0 && rank > 1 ? batchSize(g) : dim(g)));
  const pairs = count(shape.slice(0, -1));
  // ℓ is (pairs, 1): batchAxis 1 (or -1) makes the whole batch one sample.
  // (Not for zero pairs: a mean over no elements is 0/0.)
  const lossAxis = pairs > 0 ? batchAxisOption(g, 2, options) : 0;
  const batch = lossAxis === 0 ? pairs : 1;
  const vector = shape[rank - 1] ?? 1;
  const layout = { inner: vector, batch: Math.max(batch, 1) };
  const input2 = input('input2', shape, dtype, 'real', draw(g, count(shape), 'real'), layout);
  const input1 = input('input1', sameCount(g, shape), dtype, 'real', draw(g, count(shape), 'real'), layout);
  const labels = new Float64Array(pairs).map(() => pick(g, [1, -1]));
  const label = input('label', [pairs], floatOrInt(g, dtype), 'discrete', labels, {
    inner: 1,
    batch: Math.max(batch, 1),
  });
  const draft: Draft = {
    options,
    inputs: [input1, input2, label],
    batch,
    lossRank: 2,
    lossShape: [pairs, 1],
    lossAxis,
    sampleWeightIndex: 3,
    breakShape:
      count(shape) > 0
        ? () => {
            resize(input1, grown(input1.shape), g);
            return 'input1';
          }
        : undefined,
    // DECISIONS 8: labels must be 1 or -1.
    breakValue:
      pairs > 0
        ? () => {
            label.values[g.nextInt(0, pairs)] = badValue(g, label, [0, 2, 0.5, Number.NaN]);
            return 'label';
          }
        : undefined,
  };
  if (rank === 0) draft.expected = { arguments: ['input2'], classes: ['ShapeError'], when: 'forward' };
  return draft;
}

/** pred and label with a vector axis; ℓ is pred's shape with size 1 along it. */
export function cosineSimilarity(g: RandomGenerator, dtype: DType): Draft {
  const options: Record<string, unknown> = {};
  const rank = g.nextInt(1, 5);
  const vectorAxis = chance(g, 0.6) ? rank - 1 : g.nextInt(0, rank);
  if (vectorAxis !== rank - 1 || chance(g, 0.3)) options.axis = vectorAxis - (chance(g, 0.5) ? rank : 0);
  const lossShape = (shape: number[]) => shape.map((d, i) => (i === vectorAxis ? 1 : d));
  const axis = batchAxisOption(g, rank, options);
  const batch = axis === vectorAxis ? 1 : batchSize(g);
  const shape = shapeWith(g, rank, axis, batch);
  const layout = { inner: innerOf(shape, axis), batch };
  const pred = input('pred', shape, dtype, 'real', draw(g, count(shape), 'real'), layout);
  const label = input('label', sameCount(g, shape), dtype, 'real', draw(g, count(shape), 'real'), layout);
  const draft: Draft = {
    options,
    inputs: [pred, label],
    batch,
    lossRank: rank,
    lossShape: lossShape(shape),
    lossAxis: axis,
    sampleWeightIndex: 2,
    breakShape:
      count(shape) > 0
        ? () => {
            resize(label, grown(label.shape), g);
            return 'label';
          }
        : undefined,
  };
  // The samples cannot lie along the vectors' axis.
  if (axis === vectorAxis)
    draft.expected = { arguments: ['batchAxis'], classes: ['ShapeError'], when: 'forward' };
  return draft;
}

export function triplet(g: RandomGenerator, dtype: DType): Draft {
  const options: Record<string, unknown> = {};
  if (chance(g, 0.4)) options.margin = pick(g, [-1, 0, 0.5, 1, 3]);
  const rank = g.nextInt(0, 5);
  const axis = batchAxisOption(g, rank, options);
  const batch = rank === 0 ? 1 : batchSize(g);
  const shape = shapeWith(g, rank, axis, batch);
  const layout = { inner: innerOf(shape, axis), batch };
  const make = (name: string) =>
    input(name, sameCount(g, shape), dtype, 'real', draw(g, count(shape), 'real'), layout);
  const pred = input('pred', shape, dtype, 'real', draw(g, count(shape), 'real'), layout);
  const positive = make('positive');
  const draft: Draft = {
    options,
    inputs: [pred, positive, make('negative')],
    batch,
    lossRank: rank,
    lossShape: [batch],
    lossAxis: 0,
    sampleWeightIndex: 3,
    breakShape:
      count(shape) > 0
        ? () => {
            resize(positive, grown(positive.shape), g);
            return 'positive';
          }
        : undefined,
  };
  if (rank === 0) draft.expected = { arguments: ['pred'], classes: ['ShapeError'], when: 'forward' };
  return draft;
}

/** anchor, positive and negative of one shape; one loss value per sample. */
export function tripletMargin(g: RandomGenerator, dtype: DType): Draft {
  const draft = triplet(g, dtype);
  const options = draft.options;
  if (chance(g, 0.3)) options.p = pick(g, [1, 1.5, 2, 3]);
  if (chance(g, 0.3)) options.eps = pick(g, [0, 1e-6, 0.1]);
  if (chance(g, 0.3)) options.swap = chance(g, 0.5);
  const [pred, positive, negative] = draft.inputs as InputSpec[];
  const anchor = { ...pred!, name: 'anchor' };
  draft.inputs = [anchor, positive!, negative!];
  if (draft.expected) draft.expected = { ...draft.expected, arguments: ['anchor'] };
  return draft;
}

export function sdml(g: RandomGenerator, dtype: DType): Draft {
  const options: Record<string, unknown> = {};
  if (chance(g, 0.4)) options.smoothingParameter = pick(g, [0, 0.1, 0.3, 0.99, 1]);
  const batch = batchSize(g);
  const width = dim(g);
  const rank = chance(g, 0.9) ? 2 : pick(g, [1, 3]);
  const shape = rank === 2 ? [batch, width] : rank === 1 ? [batch] : [batch, width, 1];
  const x1 = input('x1', shape, dtype, 'real', draw(g, count(shape), 'real'), {
    inner: count(shape.slice(1)),
    batch,
  });
  // Every row of x2 enters every sample's softmax: its elements belong to no single sample.
  const x2 = input('x2', [...shape], dtype, 'real', draw(g, count(shape), 'real'), null);
  const draft: Draft = {
    options,
    inputs: [x1, x2],
    batch,
    lossRank: 1,
    sampleWeightIndex: -1,
    breakShape: () => {
      resize(x2, grown(shape), g);
      return 'x2';
    },
  };
  if (rank !== 2) draft.expected = { arguments: ['x1'], classes: ['ShapeError'], when: 'forward' };
  return draft;
}

/** NTXent: embeddings (N, D), shared by every sample's loss, and integer labels. */
export function ntxent(g: RandomGenerator, dtype: DType): Draft {
  const options: Record<string, unknown> = {};
  if (chance(g, 0.4)) options.temperature = pick(g, [0.07, 0.5, 1, 3]);
  batchAxisOption(g, 1, options);
  const batch = batchSize(g);
  const shape = [batch, dim(g)];
  const embeddings = input('embeddings', shape, dtype, 'real', draw(g, count(shape), 'real'), null);
  const values = new Float64Array(batch).map(() => g.nextInt(0, 3));
  const labels = input('labels', sameCount(g, [batch]), floatOrInt(g, dtype), 'discrete', values, {
    inner: 1,
    batch,
  });
  return {
    options,
    inputs: [embeddings, labels],
    batch,
    lossRank: 1,
    lossShape: [batch],
    lossAxis: 0,
    sampleWeightIndex: 2,
    breakShape: () => {
      resize(labels, [batch + 2], g);
      return 'labels';
    },
    // A label that is not an integer (only a float array can hold one) is a ValueError naming labels.
    breakValue:
      batch > 0 && labels.dtype !== 'int32'
        ? () => {
            labels.values[g.nextInt(0, batch)] = pick(g, [0.5, Number.NaN]);
            return 'labels';
          }
        : undefined,
  };
}
