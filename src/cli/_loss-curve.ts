/**
 * A loss and its derivative along a sweep of predictions with the label held fixed — the
 * numbers behind the tutorial's `show_regression_loss` / `show_classification_loss` plots. The
 * sweep and the chart are the plot module's (src/plot/loss-views.ts); this half needs autograd,
 * which the plot module does not load.
 * @module
 */
import { autograd, nd } from '../index.js';
import type { Loss } from '../loss/index.js';
import { formatShape, ValueError } from '../ndarray/errors.js';
import type { LossCurve } from '../plot/loss-views.js';

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
