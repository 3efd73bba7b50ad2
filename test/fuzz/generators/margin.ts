/**
 * Generators of the (N, C) margin losses: MultiMargin (a class index per row), MultiLabelMargin
 * (a −1-terminated target list per row) and MultiLabelSoftMargin (soft labels per class).
 */
import type { DType } from '../../../src/ndarray/dtype.js';
import type { RandomGenerator } from '../../../src/ndarray/random.js';
import type { Draft, Generator, InputSpec } from './case.js';
import {
  badValue,
  batchSize,
  chance,
  classWeightOption,
  count,
  dim,
  draw,
  floatOrInt,
  input,
  pick,
} from './draw.js';

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

export const multiMargin = classMatrix(
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

export const multiLabelMargin = classMatrix(
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

export const multiLabelSoftMargin = classMatrix(
  (g, dtype, batch, classes) =>
    input('label', [batch, classes], dtype, 'probability', draw(g, batch * classes, 'probability'), {
      inner: classes,
      batch,
    }),
  // Any real label is accepted (soft labels, as SigmoidBCE): no invalid value.
  null,
  (g, options, classes) => classWeightOption(g, options, classes),
);
