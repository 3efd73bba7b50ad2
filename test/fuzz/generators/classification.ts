/**
 * Generators of the losses with a class axis: SoftmaxCE, SoftmaxFocal and NLL (scores with sparse
 * or dense labels, `classAxis`) and KLDiv (a label that broadcasts, never reshaped).
 */
import type { DType } from '../../../src/ndarray/dtype.js';
import type { RandomGenerator } from '../../../src/ndarray/random.js';
import type { Draft, Generator, InputSpec } from './case.js';
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
  perClass,
  pick,
  resize,
  sameCount,
  shapeWith,
} from './draw.js';

/** How a class-axis loss differs from SoftmaxCE's draw (see {@link classAxis}). */
interface ClassAxisLoss {
  /** Labels are always sparse (class indices), with this input name for the scores. */
  readonly sparseOnly?: { readonly predName: string };
  /** Draws the loss's own options once the class count is known. */
  readonly options?: (g: RandomGenerator, options: Record<string, unknown>, classes: number) => void;
  /** Whether the scores are log-probabilities the loss checks to be ≤ 0 (drawn as −|v|). */
  readonly nonPositiveScores?: (options: Record<string, unknown>) => boolean;
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
    const drawn = draw(g, count(shape), 'real');
    const scores = loss.nonPositiveScores?.(options) ? drawn.map((v) => -Math.abs(v)) : drawn;
    const pred = input(predName, shape, dtype, 'real', scores, { inner: innerOf(shape, axis), batch });
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

// SoftmaxCE's PyTorch options, sometimes: ignoreIndex only with sparse labels (it needs class indices).
export const softmaxCE = classAxis({
  options: (g, options, classes) => {
    if (chance(g, 0.3)) options.labelSmoothing = pick(g, [0, 0.1, 0.5, 0.99]);
    if (chance(g, 0.3)) options.classWeight = perClass(g, classes);
    if (options.sparseLabel !== false && chance(g, 0.3))
      options.ignoreIndex = pick(g, [-100, -1, 0, classes, 1e6]);
  },
});

export const softmaxFocal = classAxis({
  options: (g, options, classes) => {
    if (chance(g, 0.5)) options.alpha = pick(g, [null, 0, 0.25, 1, perClass(g, classes)]);
    if (chance(g, 0.5)) options.gamma = pick(g, [0, 0.5, 1, 2, 3]);
  },
  // With fromLogits, pred holds log-probabilities: one above 0 is a ValueError (its p exceeds 1).
  nonPositiveScores: (options) => options.fromLogits === true,
});

export const nll = classAxis({
  sparseOnly: { predName: 'logProb' },
  options: (g, options, classes) => {
    if (chance(g, 0.4)) options.classWeight = perClass(g, classes);
    if (chance(g, 0.4)) options.ignoreIndex = pick(g, [-100, -1, 0, classes, 1e6]);
  },
});

export function klDiv(g: RandomGenerator, dtype: DType): Draft {
  const options: Record<string, unknown> = {};
  if (chance(g, 0.5)) options.fromLogits = chance(g, 0.5);
  const summed = chance(g, 0.3);
  if (summed || chance(g, 0.2)) options.classReduction = summed ? 'sum' : 'mean';
  // PyTorch's log_target: the label holds log-probabilities, any real (e^t is its mass).
  const logTarget = chance(g, 0.25);
  if (logTarget) options.logTarget = true;
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
    logTarget ? 'real' : 'probability',
    draw(g, count(labelShape), logTarget ? 'real' : 'probability'),
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
