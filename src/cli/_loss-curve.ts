/**
 * A loss and its derivative along a sweep of predictions with the label held fixed — the
 * numbers behind the tutorial's `show_regression_loss` / `show_classification_loss` plots.
 * @module
 */
import { autograd, nd } from '../index.js';
import type { Loss } from '../loss/index.js';
import { formatShape, ValueError } from '../ndarray/errors.js';

/** Sampled loss curve: ℓ(x) and dℓ/dx at each prediction x. */
export interface LossCurve {
  readonly x: Float64Array;
  readonly loss: Float64Array;
  readonly gradient: Float64Array;
}

/** `points` evenly spaced values from `from` to `to`, both included. */
export function linspace(from: number, to: number, points: number): Float64Array {
  if (!Number.isFinite(from) || !Number.isFinite(to) || !(from < to)) {
    throw new ValueError(`linspace: need finite from < to, got from ${from}, to ${to}`);
  }
  if (!Number.isInteger(points) || points < 2)
    throw new ValueError(`linspace: points must be an integer >= 2, got ${points}`);
  const values = new Float64Array(points);
  for (let i = 0; i < points; i++) values[i] = from + ((to - from) * i) / (points - 1);
  return values;
}

/**
 * Evaluates `loss` at every prediction in `x` against the constant `label`, and its gradient
 * with respect to each prediction. A 1-D input makes every element its own sample, so the
 * gradient of the summed loss is exactly the elementwise derivative dℓ/dx.
 */
export function lossCurve(loss: Loss, x: ArrayLike<number>, label: number): LossCurve {
  const pred = nd.array(Float64Array.from(x), { dtype: 'float64' });
  pred.attachGrad();
  const values = autograd.record(() => loss.forward(pred, nd.full(pred.shape, label, { dtype: 'float64' })));
  if (values.ndim !== 1 || values.size !== pred.size) {
    throw new ValueError(
      `lossCurve: ${loss.name} returned shape ${formatShape(values.shape)} for ${pred.size} predictions; it has no one-dimensional view`,
    );
  }
  values.backward();
  return {
    x: Float64Array.from(pred.data),
    loss: Float64Array.from(values.data),
    gradient: Float64Array.from(pred.grad!.data),
  };
}
