/**
 * Generators of the losses whose ℓ is shaped like pred, one term per element: L1, L2, Huber,
 * SmoothL1, MSE, LogCosh, Hinge, SquaredHinge, Logistic, SoftMargin, SigmoidBCE, SigmoidFocal and
 * PoissonNLL (`elementwise`: pred and a label), MarginRanking, HingeEmbedding and GaussianNLL
 * (`sameShapeInputs`: any number of inputs of pred's element count).
 */
import type { RandomGenerator } from '../../../src/ndarray/random.js';
import type { Draft, Generator, InputSpec, Role } from './case.js';
import {
  badValue,
  batchAxisOption,
  batchSize,
  chance,
  count,
  draw,
  floatOrInt,
  grown,
  innerOf,
  input,
  pick,
  resize,
  sameCount,
  shapeWith,
  signs,
} from './draw.js';

/** L1, L2, Huber, Hinge, SquaredHinge, Logistic, SigmoidBCE and PoissonNLL: ℓ shaped like pred. */
export function elementwise(
  extraOptions: (g: RandomGenerator, options: Record<string, unknown>) => void,
  roles: (options: Record<string, unknown>) => [pred: Role, label: Role, labelValues?: number[]],
  labelName = 'label',
  withPosWeight = false,
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
    if (withPosWeight && rank > 0 && chance(g, 0.3)) {
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

/**
 * Losses whose inputs all share pred's element count (reshaped like the first), with ℓ shaped
 * like the first (except those marked 'exact', which keep its shape, as GaussianNLLLoss's variance
 * must): `specs` names each input and its role; a 'discrete' input holds ±1 labels
 * (DECISIONS 8's rule: anything else is a ValueError naming it).
 */
export function sameShapeInputs(
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
