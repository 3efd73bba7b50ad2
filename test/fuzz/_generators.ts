/**
 * Case generators for the loss fuzz test (losses.test.ts). A case is a pure description — options,
 * positional inputs as plain numbers with shapes and dtypes, the perturbation applied, and what
 * must happen — built from one seed, so any failure reproduces from the seed the test prints.
 *
 * Every per-loss generator draws *valid* inputs by construction (random rank, odd sizes, batch 0
 * and 1 included); the shared layer then applies one perturbation (a NaN or an infinity in one
 * sample, extreme or subnormal values, a wrong shape, an out-of-range label, a bad option, …) and
 * records the error it must cause, if any.
 */
import type { DType } from '../../src/ndarray/dtype.js';
import { RandomGenerator } from '../../src/ndarray/random.js';

/** What an input's values mean: decides which perturbations may touch it. */
export type Role = 'real' | 'probability' | 'nonnegative' | 'discrete';

/** How an input's elements map to samples: sample = floor(flat / inner) % batch. */
export interface SampleLayout {
  readonly inner: number;
  readonly batch: number;
}

export interface InputSpec {
  readonly name: string;
  shape: number[];
  dtype: DType;
  readonly role: Role;
  values: Float64Array;
  /** null when elements are shared by several samples (a broadcast posWeight, SDML's x2). */
  readonly layout: SampleLayout | null;
  /** Passed as a plain JS number instead of an NDArray (PoissonNLL's epsilon). */
  readonly scalar?: boolean;
  /** Passed as is instead of an array: something no loss accepts (a string, an object). */
  raw?: unknown;
}

export type ErrorClass = 'ShapeError' | 'ValueError';

/** The typed error a case must raise, and the argument (input or option) its message must name. */
export interface Expected {
  /** The message must name one of these (a case broken twice may report either). */
  readonly arguments: readonly string[];
  /** …and be one of these classes (DECISIONS 5-9b: shapes are ShapeErrors, values ValueErrors). */
  readonly classes: readonly ErrorClass[];
  readonly when: 'construct' | 'forward';
}

export interface FuzzCase {
  readonly lossName: string;
  readonly seed: number;
  readonly dtype: DType;
  options: Record<string, unknown>;
  inputs: (InputSpec | null)[];
  /** Expected output length (the batch axis of ℓ). */
  batch: number;
  perturbation: string;
  expected: Expected | null;
  /** Every input value finite: losses and gradients must then be finite (see the exceptions). */
  finite: boolean;
  /** The poisoned sample (NaN / ±Infinity cases), to compare the others with `clean`. */
  poisonedSample: number | null;
  clean: (InputSpec | null)[] | null;
  /** Samples whose loss is +Infinity by definition (CTC, infeasible alignments). */
  infiniteSamples: number[];
}

/** A loss generator's valid draw, plus ways to break it deliberately. */
interface Draft {
  options: Record<string, unknown>;
  inputs: (InputSpec | null)[];
  batch: number;
  expected?: Expected;
  /** Rank of ℓ (for an out-of-range batchAxis). */
  lossRank: number;
  /** ℓ's shape and batch axis, for sampleWeights that broadcast (none for SDML). */
  lossShape?: number[];
  lossAxis?: number;
  /** Makes one input's shape invalid; returns the input's name. */
  breakShape?: (() => string) | undefined;
  /** Puts an out-of-range value into a discrete input; returns the input's name. */
  breakValue?: (() => string) | undefined;
  infiniteSamples?: number[];
  sampleWeightIndex: number;
}

// ---- small drawing helpers ------------------------------------------------------------------

const pick = <T>(g: RandomGenerator, items: readonly T[]): T => items[g.nextInt(0, items.length)]!;
const chance = (g: RandomGenerator, p: number): boolean => g.nextDouble() < p;
/** One of `candidates` that `spec` can hold (an int32 array cannot hold NaN or 0.5). */
const badValue = (g: RandomGenerator, spec: InputSpec, candidates: number[]): number =>
  pick(g, spec.dtype === 'int32' ? candidates.filter(Number.isInteger) : candidates);
/** Odd and small sizes; 0 only where a generator asks for a batch. */
const dim = (g: RandomGenerator): number => pick(g, [1, 2, 3, 5, 7]);
const batchSize = (g: RandomGenerator): number => pick(g, [0, 1, 1, 2, 3, 5, 6]);
const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const innerOf = (shape: readonly number[], axis: number): number => count(shape.slice(axis + 1));

function draw(g: RandomGenerator, n: number, role: Role): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (role === 'real') out[i] = 3 * (2 * g.nextDouble() - 1);
    else if (role === 'probability') out[i] = g.nextDouble();
    else out[i] = 4 * g.nextDouble();
  }
  return out;
}

function input(
  name: string,
  shape: number[],
  dtype: DType,
  role: Role,
  values: Float64Array,
  layout: SampleLayout | null,
): InputSpec {
  return { name, shape, dtype, role, values, layout };
}

/** A shape of `rank` with `batch` at `axis` (when axis >= 0) and small odd sizes elsewhere. */
function shapeWith(g: RandomGenerator, rank: number, axis: number, batch: number): number[] {
  return Array.from({ length: rank }, (_, i) => (i === axis ? batch : dim(g)));
}

/** Same element count, maybe another shape (Gluon reshapes a label like pred). */
function sameCount(g: RandomGenerator, shape: number[]): number[] {
  if (shape.length === 0 || !chance(g, 0.3)) return [...shape];
  return chance(g, 0.5) ? [count(shape)] : [...shape].reverse();
}

/** A shape that cannot pass for `shape`: the last axis two longer (rank kept), or [2] for a scalar. */
function grown(shape: number[]): number[] {
  return shape.length === 0 ? [2] : [...shape.slice(0, -1), shape[shape.length - 1]! + 2];
}

function resize(spec: InputSpec, shape: number[], g: RandomGenerator): void {
  spec.shape = shape;
  spec.values = draw(g, count(shape), spec.role === 'discrete' ? 'nonnegative' : spec.role);
  if (spec.role === 'discrete') spec.values = spec.values.map(Math.floor);
}

const floatOrInt = (g: RandomGenerator, dtype: DType): DType => (chance(g, 0.5) ? 'int32' : dtype);

/** Random valid batchAxis for a loss of rank `rank` (default 0 half the time). */
function batchAxisOption(g: RandomGenerator, rank: number, options: Record<string, unknown>): number {
  if (rank === 0 || chance(g, 0.5)) return 0;
  const axis = g.nextInt(-rank, rank);
  options.batchAxis = axis;
  return axis < 0 ? axis + rank : axis;
}

// ---- per-loss generators --------------------------------------------------------------------

type Generator = (g: RandomGenerator, dtype: DType) => Draft;

/** L1, L2, Huber, Hinge, SquaredHinge, Logistic, SigmoidBCE and PoissonNLL: ℓ shaped like pred. */
function elementwise(
  extraOptions: (g: RandomGenerator, options: Record<string, unknown>) => void,
  roles: (options: Record<string, unknown>) => [pred: Role, label: Role, labelValues?: number[]],
  labelName = 'label',
): Generator {
  return (g, dtype) => {
    const options: Record<string, unknown> = {};
    extraOptions(g, options);
    const rank = g.nextInt(0, 5);
    const axis = batchAxisOption(g, rank, options);
    const batch = rank === 0 ? 1 : batchSize(g);
    const shape = shapeWith(g, rank, axis, batch);
    const layout = { inner: innerOf(shape, axis), batch };
    const [predRole, labelRole, labelValues] = roles(options);
    const pred = input('pred', shape, dtype, predRole, draw(g, count(shape), predRole), layout);
    const labelShape = sameCount(g, shape);
    const label = input(labelName, labelShape, dtype, labelRole, draw(g, count(shape), labelRole), layout);
    if (labelValues) label.values = label.values.map(() => pick(g, labelValues));
    const inputs: (InputSpec | null)[] = [pred, label];
    if (options.fromSigmoid !== undefined && rank > 0 && chance(g, 0.3)) {
      // SigmoidBCE's posWeight, broadcast along every axis but the last: shared by samples.
      const last = shape[rank - 1]!;
      inputs[2] = null;
      const posShape = rank >= 2 && chance(g, 0.5) ? [1, last] : [last];
      inputs[3] = input('posWeight', posShape, dtype, 'nonnegative', draw(g, last, 'nonnegative'), null);
    }
    // PoissonNLL's epsilon, a plain number after sampleWeight (used with rates only).
    const epsilon =
      labelName === 'target' && chance(g, 0.3)
        ? {
            ...input('epsilon', [], dtype, 'discrete', Float64Array.of(pick(g, [1e-8, 0.5, 0])), null),
            scalar: true,
          }
        : null;
    if (epsilon) inputs.push(null, epsilon);
    const draft: Draft = {
      options,
      inputs,
      batch,
      lossRank: rank,
      lossShape: shape,
      lossAxis: axis,
      // An epsilon that is not a finite number is a ValueError naming it.
      breakValue: epsilon
        ? () => {
            epsilon.values[0] = pick(g, [Number.NaN, Number.POSITIVE_INFINITY]);
            return 'epsilon';
          }
        : undefined,
      sampleWeightIndex: 2,
      breakShape:
        count(shape) > 0
          ? () => {
              resize(label, grown(labelShape), g);
              return labelName;
            }
          : undefined,
    };
    // A 0-d pred has no batch axis: DECISIONS 9b makes batchAxis 0 a ShapeError there.
    if (rank === 0) draft.expected = { arguments: ['batchAxis'], classes: ['ShapeError'], when: 'forward' };
    return draft;
  };
}

const boolOption = (key: string) => (g: RandomGenerator, options: Record<string, unknown>) => {
  if (chance(g, 0.7)) options[key] = chance(g, 0.5);
};

/** How a class-axis loss differs from SoftmaxCE's draw (see {@link classAxis}). */
interface ClassAxisLoss {
  /** Labels are always sparse (class indices), with this input name for the scores. */
  readonly sparseOnly?: { readonly predName: string };
  /** Draws the loss's own options once the class count is known. */
  readonly options?: (g: RandomGenerator, options: Record<string, unknown>, classes: number) => void;
}

/** SoftmaxCE, SoftmaxFocal and NLL: scores with a class axis, sparse or dense labels. */
function classAxis(loss: ClassAxisLoss = {}): Generator {
  return (g, dtype) => {
    const options: Record<string, unknown> = {};
    const sparse = loss.sparseOnly ? true : chance(g, 0.7);
    if (!loss.sparseOnly && (!sparse || chance(g, 0.3))) options.sparseLabel = sparse;
    if (!loss.sparseOnly && chance(g, 0.3)) options.fromLogits = chance(g, 0.5);
    const rank = g.nextInt(1, 5);
    const classAxis = chance(g, 0.5) ? rank - 1 : g.nextInt(0, rank);
    if (classAxis !== rank - 1 || chance(g, 0.3))
      options.axis = chance(g, 0.5) ? classAxis : classAxis - rank;
    const axis = batchAxisOption(g, rank, options);
    const classes = dim(g);
    loss.options?.(g, options, classes);
    const batch = axis === classAxis ? 1 : batchSize(g);
    const shape = shapeWith(g, rank, axis, batch).map((d, i) => (i === classAxis ? classes : d));
    const lossShape = shape.map((d, i) => (i === classAxis ? 1 : d));
    const predName = loss.sparseOnly?.predName ?? 'pred';
    const pred = input(predName, shape, dtype, 'real', draw(g, count(shape), 'real'), {
      inner: innerOf(shape, axis),
      batch,
    });
    const rows = count(lossShape);
    const rowLayout = { inner: innerOf(lossShape, axis), batch };
    let label: InputSpec;
    if (sparse) {
      const labelShape = pick(g, [shape.filter((_, i) => i !== classAxis), lossShape, [rows]]);
      const values = new Float64Array(rows).map(() => g.nextInt(0, classes));
      const ignored = options.ignoreIndex;
      if (typeof ignored === 'number') for (let r = 0; r < rows; r++) if (chance(g, 0.3)) values[r] = ignored;
      label = input('label', labelShape, floatOrInt(g, dtype), 'discrete', values, rowLayout);
    } else {
      label = input(
        'label',
        sameCount(g, shape),
        dtype,
        'probability',
        draw(g, count(shape), 'probability'),
        pred.layout,
      );
    }
    return {
      options,
      inputs: [pred, label],
      batch,
      lossRank: rank,
      lossShape,
      lossAxis: axis,
      sampleWeightIndex: 2,
      breakShape:
        count(shape) > 0
          ? () => {
              resize(label, grown(label.shape), g);
              return 'label';
            }
          : undefined,
      // DECISIONS 7: an index outside [0, C), a fraction or a NaN is a ValueError naming the label.
      breakValue:
        sparse && rows > 0
          ? () => {
              const bad = [classes, -1, 0.5, Number.NaN, 1e9].filter((v) => v !== options.ignoreIndex);
              label.values[g.nextInt(0, rows)] = badValue(g, label, bad);
              return 'label';
            }
          : undefined,
    };
  };
}

/** Per-class values in [0, 2), or null half the time. */
const perClass = (g: RandomGenerator, classes: number) =>
  Array.from({ length: classes }, () => 2 * g.nextDouble());

// SoftmaxCE's PyTorch options, sometimes: ignoreIndex only with sparse labels (it needs class indices).
const softmaxCE = classAxis({
  options: (g, options, classes) => {
    if (chance(g, 0.3)) options.labelSmoothing = pick(g, [0, 0.1, 0.5, 0.99]);
    if (chance(g, 0.3)) options.classWeight = perClass(g, classes);
    if (options.sparseLabel !== false && chance(g, 0.3))
      options.ignoreIndex = pick(g, [-100, -1, 0, classes, 1e6]);
  },
});

const softmaxFocal = classAxis({
  options: (g, options, classes) => {
    if (chance(g, 0.5)) options.alpha = pick(g, [null, 0, 0.25, 1, perClass(g, classes)]);
    if (chance(g, 0.5)) options.gamma = pick(g, [0, 0.5, 1, 2, 3]);
  },
});

const nll = classAxis({
  sparseOnly: { predName: 'logProb' },
  options: (g, options, classes) => {
    if (chance(g, 0.4)) options.classWeight = perClass(g, classes);
    if (chance(g, 0.4)) options.ignoreIndex = pick(g, [-100, -1, 0, classes, 1e6]);
  },
});

/** NTXent: embeddings (N, D), shared by every sample's loss, and integer labels. */
function ntxent(g: RandomGenerator, dtype: DType): Draft {
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

function klDiv(g: RandomGenerator, dtype: DType): Draft {
  const options: Record<string, unknown> = {};
  if (chance(g, 0.5)) options.fromLogits = chance(g, 0.5);
  const summed = chance(g, 0.3);
  if (summed || chance(g, 0.2)) options.classReduction = summed ? 'sum' : 'mean';
  const rank = g.nextInt(1, 5);
  const classAxis = g.nextInt(0, rank);
  if (classAxis !== rank - 1 || chance(g, 0.3)) options.axis = classAxis - (chance(g, 0.5) ? rank : 0);
  const axis = batchAxisOption(g, rank, options);
  const batch = batchSize(g);
  const shape = shapeWith(g, rank, axis, batch);
  const softmaxAcrossSamples = options.fromLogits === false && classAxis === axis;
  const layout = softmaxAcrossSamples ? null : { inner: innerOf(shape, axis), batch };
  const pred = input('pred', shape, dtype, 'real', draw(g, count(shape), 'real'), layout);
  // The label is not reshaped (DECISIONS 9a): pred's shape, or size 1 on some axes (then shared).
  const broadcast = chance(g, 0.2);
  // (breakShape grows pred's last axis: a grown broadcast label could still broadcast.)
  const labelShape = broadcast ? shape.map((d, i) => (i === axis ? d : 1)) : [...shape];
  const label = input(
    'label',
    labelShape,
    dtype,
    'probability',
    draw(g, count(labelShape), 'probability'),
    broadcast ? null : layout,
  );
  const draft: Draft = {
    options,
    inputs: [pred, label],
    batch: summed && classAxis === axis ? 1 : batch,
    lossRank: rank,
    lossShape: summed ? shape.map((d, k) => (k === classAxis ? 1 : d)) : shape,
    lossAxis: axis,
    sampleWeightIndex: 2,
    breakShape:
      count(shape) > 0
        ? () => {
            resize(label, grown(shape), g);
            return 'label';
          }
        : undefined,
  };
  if (summed && classAxis === axis)
    draft.expected = { arguments: ['classReduction'], classes: ['ShapeError'], when: 'forward' };
  return draft;
}

function cosine(g: RandomGenerator, dtype: DType): Draft {
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

function triplet(g: RandomGenerator, dtype: DType): Draft {
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

function ctc(g: RandomGenerator, dtype: DType): Draft {
  const options: Record<string, unknown> = {};
  const ntc = chance(g, 0.6);
  const nt = chance(g, 0.6);
  const last = chance(g, 0.7);
  if (!ntc || chance(g, 0.2)) options.layout = ntc ? 'NTC' : 'TNC';
  if (!nt || chance(g, 0.2)) options.labelLayout = nt ? 'NT' : 'TN';
  if (!last || chance(g, 0.2)) options.blankLabel = last ? 'last' : 'first';
  const zeroInfinity = chance(g, 0.3);
  if (zeroInfinity) options.zeroInfinity = true;
  const batch = batchSize(g);
  const time = pick(g, [1, 2, 3, 5, 8]);
  const classes = pick(g, [1, 2, 3, 5]);
  const width = g.nextInt(0, time + 1);
  const predShape = ntc ? [batch, time, classes] : [time, batch, classes];
  const pred = input('pred', predShape, dtype, 'real', draw(g, count(predShape), 'real'), {
    inner: ntc ? time * classes : classes,
    batch,
  });
  const [lowest, highest, padding] = last ? [0, classes - 2, -1] : [1, classes - 1, 0];
  const withLabelLengths = chance(g, 0.3);
  const withPredLengths = chance(g, 0.3);
  const lengths = Array.from({ length: batch }, () => (highest < lowest ? 0 : g.nextInt(0, width + 1)));
  const frames = Array.from({ length: batch }, () => (withPredLengths ? g.nextInt(0, time + 1) : time));
  const labels = new Float64Array(batch * width);
  const infiniteSamples: number[] = [];
  for (let b = 0; b < batch; b++) {
    let repeats = 0;
    for (let j = 0; j < width; j++) {
      const used = j < lengths[b]!;
      const value = used || withLabelLengths ? g.nextInt(lowest, Math.max(highest, lowest) + 1) : padding;
      labels[nt ? b * width + j : j * batch + b] = used || highest >= lowest ? value : padding;
      if (used && j > 0 && labels[nt ? b * width + j - 1 : (j - 1) * batch + b] === value) repeats++;
    }
    if (lengths[b]! + repeats > frames[b]!) infiniteSamples.push(b);
  }
  const labelShape = nt ? [batch, width] : [width, batch];
  const label = input('label', labelShape, floatOrInt(g, dtype), 'discrete', labels, {
    inner: nt ? width : 1,
    batch,
  });
  const lengthInput = (name: string, values: number[]) =>
    input(name, [batch], floatOrInt(g, dtype), 'discrete', Float64Array.from(values), { inner: 1, batch });
  const inputs: (InputSpec | null)[] = [
    pred,
    label,
    withPredLengths ? lengthInput('predLengths', frames) : null,
  ];
  if (withLabelLengths) inputs[3] = lengthInput('labelLengths', lengths);
  const usedSample = lengths.findIndex((n) => n > 0);
  return {
    options,
    inputs,
    batch,
    lossRank: 1,
    lossShape: [batch],
    lossAxis: 0,
    sampleWeightIndex: 4,
    infiniteSamples: zeroInfinity ? [] : infiniteSamples,
    breakShape: () => {
      label.shape = [...labelShape, 1];
      return 'label';
    },
    // DECISIONS 13a: a used label outside the alphabet (or the blank, or a fraction), or a length
    // outside its range, is a ValueError naming that input.
    breakValue:
      batch === 0
        ? undefined
        : () => {
            if (usedSample >= 0 && chance(g, 0.6)) {
              // With blankLabel 'first' the blank 0 is also the padding, valid unless labelLengths is given.
              const blank = last || withLabelLengths ? [last ? classes - 1 : 0] : [];
              const at = nt ? usedSample * width : usedSample;
              label.values[at] = badValue(g, label, [classes, ...blank, 0.5, Number.NaN, -3]);
              return 'label';
            }
            const which = inputs[3] && chance(g, 0.5) ? 3 : 2;
            const bound = which === 3 ? width : time;
            const spec = inputs[which] ?? (inputs[2] = lengthInput('predLengths', frames));
            spec.values = Float64Array.from({ length: spec.shape[0]! }, () =>
              badValue(g, spec, [bound + 1, -1, 0.5, Number.NaN]),
            );
            return spec.name;
          },
  };
}

function sdml(g: RandomGenerator, dtype: DType): Draft {
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

/** DiceLoss and TverskyLoss: ℓ is (batch,), summed over every non-batch axis of pred. */
function overlap(extraOptions: (g: RandomGenerator, options: Record<string, unknown>) => void): Generator {
  return (g, dtype) => {
    const options: Record<string, unknown> = {};
    extraOptions(g, options);
    if (chance(g, 0.3)) options.smooth = pick(g, [1e-5, 0.5, 2, 1e-12]);
    const activation = pick(g, ['none', 'sigmoid', 'softmax', undefined]);
    if (activation) options.activation = activation;
    const rank = g.nextInt(1, 5);
    const axis = batchAxisOption(g, rank, options);
    const batch = batchSize(g);
    const shape = shapeWith(g, rank, axis, batch);
    const layout = { inner: innerOf(shape, axis), batch };
    const predRole: Role = activation === 'sigmoid' || activation === 'softmax' ? 'real' : 'probability';
    const pred = input('pred', shape, dtype, predRole, draw(g, count(shape), predRole), layout);
    // Masks in [0, 1]: discrete here, since a value outside (a perturbation's ±Infinity or −1e-40) is a ValueError.
    const label = input(
      'label',
      sameCount(g, shape),
      dtype,
      'discrete',
      draw(g, count(shape), 'probability'),
      layout,
    );
    if (activation === 'softmax' && rank > 1 && axis === rank - 1) options.axis = g.nextInt(0, rank - 1);
    const draft: Draft = {
      options,
      inputs: [pred, label],
      batch,
      lossRank: rank,
      lossShape: [batch],
      lossAxis: 0,
      sampleWeightIndex: 2,
      breakShape:
        count(shape) > 0
          ? () => {
              resize(label, grown(label.shape), g);
              return 'label';
            }
          : undefined,
      breakValue:
        count(shape) > 0
          ? () => {
              label.values[g.nextInt(0, label.values.length)] = pick(g, [
                1.5,
                -0.5,
                Number.POSITIVE_INFINITY,
              ]);
              return 'label';
            }
          : undefined,
    };
    // A softmax over the only axis would be over the batch axis.
    if (activation === 'softmax' && rank === 1)
      draft.expected = { arguments: ['axis'], classes: ['ShapeError'], when: 'forward' };
    return draft;
  };
}

/** C finite non-negative class weights, sometimes. */
function classWeightOption(g: RandomGenerator, options: Record<string, unknown>, classes: number): void {
  if (chance(g, 0.3)) options.classWeight = Array.from(draw(g, classes, 'nonnegative'));
}

/** The (N, C) margin losses: pred (N, C), and a label or target built by `second`; ℓ is (N,). */
function classMatrix(
  second: (g: RandomGenerator, dtype: DType, batch: number, classes: number) => InputSpec,
  breakValue: ((g: RandomGenerator, spec: InputSpec, classes: number) => void) | null,
  extraOptions: (g: RandomGenerator, options: Record<string, unknown>, classes: number) => void,
): Generator {
  return (g, dtype) => {
    const options: Record<string, unknown> = {};
    const batch = batchSize(g);
    const classes = dim(g);
    extraOptions(g, options, classes);
    const rank = chance(g, 0.9) ? 2 : pick(g, [1, 3]);
    const shape = rank === 2 ? [batch, classes] : rank === 1 ? [batch] : [batch, classes, 1];
    const pred = input('pred', shape, dtype, 'real', draw(g, count(shape), 'real'), {
      inner: count(shape.slice(1)),
      batch,
    });
    const other = second(g, dtype, batch, classes);
    const draft: Draft = {
      options,
      inputs: [pred, other],
      batch,
      lossRank: 1,
      lossShape: [batch],
      lossAxis: 0,
      sampleWeightIndex: -1,
      // Grown along the last axis (an empty batch stays empty, so it needs a sample).
      breakShape:
        batch === 0
          ? undefined
          : () => {
              other.shape = [...other.shape.slice(0, -1), other.shape[other.shape.length - 1]! + 2];
              other.values = Float64Array.from({ length: count(other.shape) }, () =>
                other.role === 'discrete' ? 0 : 0.5,
              );
              return other.name;
            },
      breakValue:
        batch > 0 && breakValue
          ? () => {
              breakValue(g, other, classes);
              return other.name;
            }
          : undefined,
    };
    if (rank !== 2) draft.expected = { arguments: ['pred'], classes: ['ShapeError'], when: 'forward' };
    return draft;
  };
}

const multiMargin = classMatrix(
  (g, dtype, batch, classes) =>
    input(
      'label',
      [batch],
      floatOrInt(g, dtype),
      'discrete',
      Float64Array.from({ length: batch }, () => g.nextInt(0, classes)),
      { inner: 1, batch },
    ),
  (g, spec, classes) => {
    spec.values[g.nextInt(0, spec.values.length)] = badValue(g, spec, [classes, -1, 0.5, Number.NaN]);
  },
  (g, options, classes) => {
    if (chance(g, 0.5)) options.p = pick(g, [1, 2]);
    if (chance(g, 0.4)) options.margin = pick(g, [-1, 0, 1, 3]);
    classWeightOption(g, options, classes);
  },
);

const multiLabelMargin = classMatrix(
  (g, dtype, batch, classes) => {
    // Each row: distinct targets, a −1, then anything in [−1, C) (ignored, but checked).
    const values = new Float64Array(batch * classes);
    for (let n = 0; n < batch; n++) {
      const listed = g.nextInt(0, classes + 1);
      for (let t = 0; t < classes; t++) {
        values[n * classes + t] =
          t < listed ? (n + 2 * t) % classes : t === listed ? -1 : g.nextInt(-1, classes);
      }
    }
    return input('target', [batch, classes], floatOrInt(g, dtype), 'discrete', values, {
      inner: classes,
      batch,
    });
  },
  (g, spec, classes) => {
    spec.values[g.nextInt(0, spec.values.length)] = badValue(g, spec, [classes, -2, 0.5, Number.NaN]);
  },
  () => {},
);

const multiLabelSoftMargin = classMatrix(
  (g, dtype, batch, classes) =>
    input('label', [batch, classes], dtype, 'probability', draw(g, batch * classes, 'probability'), {
      inner: classes,
      batch,
    }),
  // Any real label is accepted (soft labels, as SigmoidBCE): no invalid value.
  null,
  (g, options, classes) => classWeightOption(g, options, classes),
);

const signs = [-1, 1];
/** Real predictions and labels without options of their own. */
const realPairs = elementwise(
  () => {},
  () => ['real', 'real'],
);
export const GENERATORS: Readonly<Record<string, Generator>> = {
  L1Loss: elementwise(
    () => {},
    () => ['real', 'real'],
  ),
  L2Loss: elementwise(
    () => {},
    () => ['real', 'real'],
  ),
  HuberLoss: elementwise(
    (g, o) => chance(g, 0.5) && (o.rho = pick(g, [0.1, 1, 2.5, 1e6])),
    () => ['real', 'real'],
  ),
  HingeLoss: elementwise(
    (g, o) => chance(g, 0.4) && (o.margin = pick(g, [-1, 0, 1, 3])),
    () => ['real', 'real', signs],
  ),
  SquaredHingeLoss: elementwise(
    (g, o) => chance(g, 0.4) && (o.margin = pick(g, [-1, 0, 1, 3])),
    () => ['real', 'real', signs],
  ),
  LogisticLoss: elementwise(
    (g, o) => chance(g, 0.6) && (o.labelFormat = pick(g, ['signed', 'binary'])),
    (o) => (o.labelFormat === 'binary' ? ['real', 'probability', [0, 1]] : ['real', 'real', signs]),
  ),
  SigmoidBinaryCrossEntropyLoss: elementwise(
    (g, o) => (o.fromSigmoid = chance(g, 0.3)),
    (o) => [o.fromSigmoid ? 'probability' : 'real', 'probability'],
  ),
  PoissonNLLLoss: elementwise(
    (g, o) => {
      boolOption('fromLogits')(g, o);
      boolOption('computeFull')(g, o);
    },
    (o) => [o.fromLogits === false ? 'nonnegative' : 'real', 'nonnegative'],
    'target',
  ),
  SoftmaxCrossEntropyLoss: softmaxCE,
  NLLLoss: nll,
  SoftmaxFocalLoss: softmaxFocal,
  NTXentLoss: ntxent,
  SigmoidFocalLoss: elementwise(
    (g, options) => {
      if (chance(g, 0.5)) options.alpha = pick(g, [null, 0, 0.25, 1]);
      if (chance(g, 0.5)) options.gamma = pick(g, [0, 0.5, 1, 2, 3]);
    },
    () => ['real', 'probability'],
  ),
  KLDivLoss: klDiv,
  CosineEmbeddingLoss: cosine,
  TripletLoss: triplet,
  CTCLoss: ctc,
  SDMLLoss: sdml,
  DiceLoss: overlap(() => {}),
  TverskyLoss: overlap((g, o) => {
    if (chance(g, 0.5)) o.alpha = pick(g, [0, 0.3, 0.5, 1]);
    if (chance(g, 0.5)) o.beta = pick(g, [0, 0.7, 0.5, 1]);
  }),
  MultiMarginLoss: multiMargin,
  MultiLabelMarginLoss: multiLabelMargin,
  MultiLabelSoftMarginLoss: multiLabelSoftMargin,
  SmoothL1Loss: elementwise(
    (g, o) => chance(g, 0.5) && (o.beta = pick(g, [0, 0.1, 1, 2.5, 1e6])),
    () => ['real', 'real'],
  ),
  MSELoss: realPairs,
  LogCoshLoss: realPairs,
  SoftMarginLoss: realPairs,
  MarginRankingLoss: sameShapeInputs(
    (g, o) => chance(g, 0.4) && (o.margin = pick(g, [-1, 0, 0.5, 2])),
    [
      ['input1', 'real'],
      ['input2', 'real'],
      ['label', 'real'],
    ],
    3,
  ),
  HingeEmbeddingLoss: sameShapeInputs(
    (g, o) => chance(g, 0.4) && (o.margin = pick(g, [-1, 0, 1, 3])),
    [
      ['pred', 'real'],
      ['label', 'discrete'],
    ],
    2,
  ),
  GaussianNLLLoss: sameShapeInputs(
    (g, o) => {
      boolOption('full')(g, o);
      if (chance(g, 0.3)) o.eps = pick(g, [1e-6, 1e-3, 0.5]);
    },
    [
      ['pred', 'real'],
      ['target', 'real'],
      ['variance', 'nonnegative', 'exact'],
    ],
    3,
  ),
  CosineSimilarityLoss: cosineSimilarity,
  TripletMarginLoss: tripletMargin,
};

/** Invalid values of each option (DECISIONS 9b), and option names every loss must reject. */
const BAD_OPTIONS: Readonly<Record<string, readonly unknown[]>> = {
  weight: [Number.NaN, Number.POSITIVE_INFINITY, '2', true],
  // null is "none" only for weight; for every other option it is a mistake, not the default.
  batchAxis: [1.5, Number.NaN, '0', null],
  rho: [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1', null],
  margin: [Number.NaN, Number.NEGATIVE_INFINITY, '1', null],
  labelFormat: ['Signed', 'sign', 1, null],
  fromSigmoid: [1, 'true', null],
  fromLogits: [0, 'false', null],
  computeFull: [1, 'yes', null],
  sparseLabel: [1, 'true', null],
  axis: [0.5, Number.NaN, '1', null],
  classReduction: ['Sum', 'batchmean', 3, null],
  layout: ['ntc', 'NCT', 0, null],
  labelLayout: ['nt', 'NTC', null],
  blankLabel: ['Last', -1, 1.5, 'middle', null],
  zeroInfinity: [1, 'false', null],
  smoothingParameter: [1.0001, -0.1, Number.NaN, 2, '0.3', null],
  smooth: [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1', null],
  activation: ['Sigmoid', 'relu', 1, null],
  // Bad for every loss with the option: Tversky takes any α ≥ 0, the focal losses α in [0, 1] or null.
  alpha: [-0.5, Number.NaN, Number.POSITIVE_INFINITY, '0.5'],
  beta: [-0.5, Number.NaN, Number.POSITIVE_INFINITY, '0.5', null],
  // Bad for both: MultiMarginLoss takes p = 1 or 2, TripletMarginLoss any p ≥ 1.
  p: [0.5, 0, Number.NaN, Number.POSITIVE_INFINITY, '1', null],
  classWeight: [[1, Number.NaN], 'abc', 3, [1, '2'], 'x', [[1, 2]]],
  gamma: [-1, Number.NaN, Number.POSITIVE_INFINITY, '2', null],
  ignoreIndex: [0.5, Number.NaN, '1'],
  labelSmoothing: [1, -0.1, Number.NaN, Number.POSITIVE_INFINITY, '0.1'],
  temperature: [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '0.1', null],
  full: [1, 'true', null],
  eps: [Number.NaN, Number.POSITIVE_INFINITY, '1e-6', null],
  swap: [1, 'false', null],
};
const LOSS_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  HuberLoss: ['rho'],
  HingeLoss: ['margin'],
  SquaredHingeLoss: ['margin'],
  LogisticLoss: ['labelFormat'],
  SigmoidBinaryCrossEntropyLoss: ['fromSigmoid'],
  PoissonNLLLoss: ['fromLogits', 'computeFull'],
  SoftmaxCrossEntropyLoss: [
    'axis',
    'sparseLabel',
    'fromLogits',
    'labelSmoothing',
    'ignoreIndex',
    'classWeight',
  ],
  KLDivLoss: ['fromLogits', 'axis', 'classReduction'],
  CosineEmbeddingLoss: ['margin'],
  TripletLoss: ['margin'],
  CTCLoss: ['layout', 'labelLayout', 'blankLabel', 'zeroInfinity'],
  SDMLLoss: ['smoothingParameter'],
  DiceLoss: ['smooth', 'activation', 'axis'],
  TverskyLoss: ['smooth', 'activation', 'axis', 'alpha', 'beta'],
  MultiMarginLoss: ['p', 'margin', 'classWeight'],
  MultiLabelMarginLoss: [],
  MultiLabelSoftMarginLoss: ['classWeight'],
  NLLLoss: ['axis', 'classWeight', 'ignoreIndex'],
  SigmoidFocalLoss: ['alpha', 'gamma', 'fromSigmoid'],
  SoftmaxFocalLoss: ['alpha', 'gamma', 'axis', 'sparseLabel', 'fromLogits'],
  NTXentLoss: ['temperature'],
  SmoothL1Loss: ['beta'],
  MarginRankingLoss: ['margin'],
  HingeEmbeddingLoss: ['margin'],
  GaussianNLLLoss: ['full', 'eps'],
  CosineSimilarityLoss: ['axis'],
  TripletMarginLoss: ['margin', 'p', 'eps', 'swap'],
};

/** Largest finite float32, and values whose products or exponentials overflow. */
export const FLOAT32_MAX = 3.4028234663852886e38;
const EXTREMES = [3.4e38, -3.4e38, FLOAT32_MAX, 1e30, -88.8, 100];
const SUBNORMALS = [1e-40, -1e-40, 1.4e-45, 5e-324, -0];

const PERTURBATIONS: readonly [string, number][] = [
  ['clean', 14],
  ['nan', 14],
  ['infinity', 10],
  ['extreme', 14],
  ['subnormal', 8],
  ['int32', 5],
  ['badOption', 8],
  ['unknownOption', 3],
  ['batchAxisOutOfRange', 3],
  ['wrongShape', 7],
  ['outOfRangeLabel', 8],
  ['badSampleWeight', 4],
  ['badInput', 4],
];

function weighted(g: RandomGenerator): string {
  const total = PERTURBATIONS.reduce((s, [, w]) => s + w, 0);
  let r = g.nextDouble() * total;
  for (const [name, w] of PERTURBATIONS) if ((r -= w) < 0) return name;
  return 'clean';
}

const cloneInputs = (inputs: (InputSpec | null)[]) =>
  inputs.map((x) => (x ? { ...x, shape: [...x.shape], values: x.values.slice() } : null));

/** Element `flat` of a spec belongs to this sample (layouts are never null here). */
export const sampleOf = (layout: SampleLayout, flat: number): number =>
  layout.batch === 0 ? -1 : Math.floor(flat / layout.inner) % layout.batch;

/** Builds the case of `seed` for `lossName`: a valid draft, then one perturbation. */
export function makeCase(lossName: string, seed: number): FuzzCase {
  const g = new RandomGenerator(seed);
  const dtype: DType = chance(g, 0.6) ? 'float32' : 'float64';
  const draft = GENERATORS[lossName]!(g, dtype);
  const options = draft.options;
  if (chance(g, 0.3)) options.weight = pick(g, [null, 0, 0.5, 2, -1.5]);
  const c: FuzzCase = {
    lossName,
    seed,
    dtype,
    options,
    inputs: draft.inputs,
    batch: draft.batch,
    perturbation: weighted(g),
    expected: draft.expected ?? null,
    finite: true,
    poisonedSample: null,
    clean: null,
    infiniteSamples: draft.infiniteSamples ?? [],
  };
  const swIndex = draft.sampleWeightIndex;
  if (swIndex >= 0 && chance(g, 0.35)) {
    // One weight per sample (DECISIONS 6); shared by nothing else. Not 'real': a weight of
    // 3.4e38 would only amplify float32 rounding of ℓ past any tolerance.
    // DECISIONS 6 shapes: [batch], one per element of ℓ, or ℓ's shape with 1 off the batch axis.
    while (c.inputs.length < swIndex) c.inputs.push(null);
    const lossShape = draft.lossShape ?? [draft.batch];
    const lossAxis = draft.lossAxis ?? 0;
    const shape = pick(g, [[draft.batch], lossShape, lossShape.map((d, i) => (i === lossAxis ? d : 1))]);
    const layout = { inner: innerOf(shape, lossAxis), batch: draft.batch };
    const values = draw(g, count(shape), 'nonnegative');
    c.inputs[swIndex] = input(
      'sampleWeight',
      shape,
      dtype,
      'nonnegative',
      values,
      shape.length === 1 ? { inner: 1, batch: draft.batch } : layout,
    );
  }
  // Discrete inputs stay integers; one float input may come in the other float dtype.
  const floats = c.inputs.filter((x): x is InputSpec => x !== null && x.role !== 'discrete');
  if (floats.length > 1 && chance(g, 0.1)) {
    const other = pick(g, floats.slice(1));
    other.dtype = other.dtype === 'float32' ? 'float64' : 'float32';
  }
  applyPerturbation(g, c, draft);
  return c;
}

function applyPerturbation(g: RandomGenerator, c: FuzzCase, draft: Draft): void {
  const present = c.inputs.filter((x): x is InputSpec => x !== null && x.values.length > 0);
  const continuous = present.filter((x) => x.role !== 'discrete' && !x.scalar);
  // A case the draft already made invalid (a 0-d pred, …) may report either problem first.
  const expectForward = (argument: string, kind: ErrorClass) => {
    const previous = c.expected ?? { arguments: [], classes: [] };
    c.expected = {
      arguments: [...previous.arguments, argument],
      classes: [...previous.classes, kind],
      when: 'forward',
    };
  };
  switch (c.perturbation) {
    case 'nan':
    case 'infinity': {
      // One element of one sample: the other samples' losses and gradients must not change.
      const target = continuous.filter((x) => x.layout !== null);
      if (target.length === 0) break;
      const spec = pick(g, target);
      const at = g.nextInt(0, spec.values.length);
      c.clean = cloneInputs(c.inputs);
      c.poisonedSample = sampleOf(spec.layout!, at);
      // A non-negative input (a variance, a rate, a weight) is poisoned with +Infinity only: −Infinity
      // there is an invalid value (GaussianNLLLoss's variance < 0 is a ValueError), not a poison.
      const sign = c.perturbation === 'nan' ? 1 : pick(g, [1, -1]);
      spec.values[at] =
        c.perturbation === 'nan'
          ? Number.NaN
          : (spec.role === 'nonnegative' ? 1 : sign) * Number.POSITIVE_INFINITY;
      c.finite = false;
      c.perturbation += ` in ${spec.name}[${at}] (sample ${c.poisonedSample})`;
      break;
    }
    case 'extreme':
    case 'subnormal': {
      const real = c.perturbation === 'extreme';
      const targets = real ? continuous.filter((x) => x.role === 'real') : continuous;
      for (const spec of targets) {
        for (let i = 0; i < spec.values.length; i++) {
          if (!chance(g, 0.4)) continue;
          const value = pick(g, real ? EXTREMES : SUBNORMALS);
          // A non-negative input (a variance, a rate, a weight) stays non-negative.
          spec.values[i] = spec.role === 'nonnegative' ? Math.abs(value) : value;
        }
      }
      break;
    }
    case 'int32': {
      const real = continuous.filter((x) => x.role === 'real');
      if (real.length === 0) break;
      const spec = pick(g, real);
      spec.dtype = 'int32';
      spec.values = spec.values.map(Math.round);
      c.perturbation += ` ${spec.name}`;
      break;
    }
    case 'badOption':
    case 'unknownOption': {
      const known = [
        ...(LOSS_OPTIONS[c.lossName] ?? []),
        'weight',
        ...(c.lossName === 'CTCLoss' ? [] : ['batchAxis']),
      ];
      const key =
        c.perturbation === 'unknownOption'
          ? pick(g, ['notAnOption', 'Weight', 'batch_axis', 'reduction'])
          : pick(g, known);
      c.options[key] = c.perturbation === 'unknownOption' ? 1 : pick(g, BAD_OPTIONS[key]!);
      c.expected = { arguments: [key], classes: ['ValueError'], when: 'construct' };
      c.perturbation += ` ${key}=${String(c.options[key])}`;
      break;
    }
    case 'batchAxisOutOfRange':
      if (c.lossName === 'CTCLoss') {
        // CTC has no batchAxis option at all.
        c.options.batchAxis = 0;
        c.expected = { arguments: ['batchAxis'], classes: ['ValueError'], when: 'construct' };
      } else if (c.lossName !== 'SDMLLoss') {
        c.options.batchAxis = pick(g, [draft.lossRank, -draft.lossRank - 1, 9]);
        expectForward('batchAxis', 'ShapeError');
      }
      break;
    case 'wrongShape':
      if (draft.breakShape) expectForward(draft.breakShape(), 'ShapeError');
      break;
    case 'outOfRangeLabel':
      if (draft.breakValue) expectForward(draft.breakValue(), 'ValueError');
      break;
    case 'badInput': {
      // A required input left out, or something that is no array at all: a ValueError naming it.
      const spec = pick(g, present.length > 0 ? present : [null]);
      if (!spec || spec.scalar) break;
      const slot = c.inputs.indexOf(spec);
      spec.raw = slot === 1 && chance(g, 0.4) ? null : pick(g, ['abc', {}, true, [[1], [2, 3]]]);
      // A ragged nested array is a shape problem (nd.array's ShapeError).
      expectForward(spec.name, Array.isArray(spec.raw) ? 'ShapeError' : 'ValueError');
      c.perturbation += ` ${spec.name}`;
      break;
    }
    case 'badSampleWeight':
      if (draft.sampleWeightIndex >= 0) {
        // Rank 6 is above every loss's rank: it can only enlarge ℓ (DECISIONS 6).
        while (c.inputs.length < draft.sampleWeightIndex) c.inputs.push(null);
        const shape = [2, 1, 1, 1, 1, 3];
        c.inputs[draft.sampleWeightIndex] = input(
          'sampleWeight',
          shape,
          c.dtype,
          'real',
          draw(g, 6, 'real'),
          null,
        );
        expectForward('sampleWeight', 'ShapeError');
      }
      break;
  }
  c.finite = c.inputs.every((x) => !x || x.values.every(Number.isFinite));
}

// ---- beyond Gluon: regression and ranking losses ---------------------------------------------

/**
 * Losses whose inputs all share pred's element count (reshaped like the first), with ℓ shaped
 * like the first (except those marked 'exact', which keep its shape, as GaussianNLLLoss's variance
 * must): `specs` names each input and its role; a 'discrete' input holds ±1 labels
 * (DECISIONS 8's rule: anything else is a ValueError naming it).
 */
function sameShapeInputs(
  extraOptions: (g: RandomGenerator, options: Record<string, unknown>) => void,
  specs: readonly (readonly [name: string, role: Role, shape?: 'exact'])[],
  sampleWeightIndex: number,
): Generator {
  return (g, dtype) => {
    const options: Record<string, unknown> = {};
    extraOptions(g, options);
    const rank = g.nextInt(0, 5);
    const axis = batchAxisOption(g, rank, options);
    const batch = rank === 0 ? 1 : batchSize(g);
    const shape = shapeWith(g, rank, axis, batch);
    const layout = { inner: innerOf(shape, axis), batch };
    const inputs = specs.map(([name, role, exact], i) => {
      const discrete = role === 'discrete';
      const spec = input(
        name,
        i === 0 || exact ? [...shape] : sameCount(g, shape),
        discrete ? floatOrInt(g, dtype) : dtype,
        role,
        draw(g, count(shape), discrete ? 'real' : role),
        layout,
      );
      if (discrete) spec.values = spec.values.map(() => pick(g, signs));
      return spec;
    });
    const second = inputs[1]!;
    const labels = inputs.find((x) => x.role === 'discrete');
    const draft: Draft = {
      options,
      inputs,
      batch,
      lossRank: rank,
      lossShape: shape,
      lossAxis: axis,
      sampleWeightIndex,
      breakShape:
        count(shape) > 0
          ? () => {
              resize(second, grown(second.shape), g);
              return second.name;
            }
          : undefined,
      breakValue:
        labels && count(shape) > 0
          ? () => {
              labels.values[g.nextInt(0, labels.values.length)] = badValue(g, labels, [
                0,
                2,
                0.5,
                Number.NaN,
              ]);
              return labels.name;
            }
          : undefined,
    };
    // A 0-d input has no batch axis: batchAxis 0 is a ShapeError there.
    if (rank === 0) draft.expected = { arguments: ['batchAxis'], classes: ['ShapeError'], when: 'forward' };
    return draft;
  };
}

/** pred and label with a vector axis; ℓ is pred's shape with size 1 along it. */
function cosineSimilarity(g: RandomGenerator, dtype: DType): Draft {
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

/** anchor, positive and negative of one shape; one loss value per sample. */
function tripletMargin(g: RandomGenerator, dtype: DType): Draft {
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
