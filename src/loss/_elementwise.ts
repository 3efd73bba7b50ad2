/**
 * Shared `prepare` for the elementwise losses (L1, L2, Huber, Hinge, SquaredHinge, Logistic,
 * SigmoidBCE, PoissonNLL): `pred` of any shape, `label` reshaped like it (Gluon `_reshape_like`),
 * ℓ shaped like `pred`.
 * @module
 */
import type { DType } from '../ndarray/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { normal, type RandomGenerator, uniform } from '../ndarray/random.js';
import { Loss, lossBatchAxis, type Prepared, reshapeLike } from './_base/index.js';

/**
 * Base of the elementwise losses. `Extra` and `State` are the loss's per-call settings and state
 * (see Loss); most elementwise losses have neither.
 */
export abstract class ElementwiseLoss<Extra = undefined, State = undefined> extends Loss<Extra, State> {
  readonly inputNames: readonly string[] = ['pred', 'label', 'sampleWeight'];

  protected prepare(inputs: readonly (NDArray | null)[]): Prepared<Extra> {
    const pred = inputs[0]!;
    const label = reshapeLike(this.name, 'label', inputs[1]!, 'pred', pred);
    return {
      arrays: [pred, label],
      sources: [0, 1],
      lossShape: pred.shape,
      batchAxis: lossBatchAxis(this.name, this.batchAxis, pred.shape),
    };
  }

  /** Real-valued predictions and labels; with `extreme`, predictions of that magnitude. */
  sampleInputs(generator: RandomGenerator, dtype: DType, extreme?: number): (NDArray | null)[] | null {
    const pred = normal(0, extreme ?? 1, [4, 3], { dtype, generator });
    const label = uniform(-1, 1, [4, 3], { dtype, generator });
    return [pred, label];
  }
}
