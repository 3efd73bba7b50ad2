/**
 * Generators of the segmentation overlap losses, Dice and Tversky: ℓ is (batch,), summed over
 * every non-batch axis of pred, with an optional sigmoid or softmax activation.
 */
import type { RandomGenerator } from '../../../src/ndarray/random.js';
import type { Draft, Generator, Role } from './case.js';
import {
  batchAxisOption,
  batchSize,
  chance,
  count,
  draw,
  grown,
  innerOf,
  input,
  pick,
  resize,
  sameCount,
  shapeWith,
} from './draw.js';

/** DiceLoss and TverskyLoss: ℓ is (batch,), summed over every non-batch axis of pred. */
export function overlap(
  extraOptions: (g: RandomGenerator, options: Record<string, unknown>) => void,
): Generator {
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
