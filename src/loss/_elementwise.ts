import type { TypedArray } from '../ndarray/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';
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
}

/** Where a one-pass kernel writes: per-sample sums and the scaled gradient (see Loss.forwardGradient). */
export interface OnePassTarget {
  readonly sampleSize: number;
  readonly scales: Float64Array;
  readonly sums: Float64Array;
  readonly gradient: TypedArray;
}
