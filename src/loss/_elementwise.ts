import type { NDArray } from '../ndarray/ndarray.js';
import {
  type BackwardBlockCall,
  type ForwardBlockCall,
  Loss,
  lossBatchAxis,
  type Prepared,
  reshapeLike,
} from './_base/index.js';

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

/**
 * An elementwise loss whose ℓ at each element depends on that element's pred and label alone,
 * given as scalar functions: the block loops are shared. Each gradient entry depends on one ℓ
 * element, so it is assigned.
 */
export abstract class PointwiseLoss extends ElementwiseLoss {
  /** ℓ at one element. */
  protected abstract value(pred: number, label: number): number;
  /** ∂ℓ/∂pred at one element. */
  protected abstract predSlope(pred: number, label: number): number;
  /** ∂ℓ/∂label at one element. */
  protected abstract labelSlope(pred: number, label: number): number;

  protected forwardBlock({ prepared, begin, end, out }: ForwardBlockCall<unknown, unknown>): void {
    const [pred, label] = prepared.arrays;
    const p = pred!.data;
    const y = label!.data;
    for (let k = begin, j = 0; k < end; k++, j++) out[j] = this.value(p[k]!, y[k]!);
  }

  protected backwardBlock({ prepared, begin, end, dLoss, grads }: BackwardBlockCall<unknown, unknown>): void {
    const [pred, label] = prepared.arrays;
    const [dPred, dLabel] = grads;
    const p = pred!.data;
    const y = label!.data;
    if (dPred)
      for (let k = begin, j = 0; k < end; k++, j++) dPred[k] = dLoss[j]! * this.predSlope(p[k]!, y[k]!);
    if (dLabel)
      for (let k = begin, j = 0; k < end; k++, j++) dLabel[k] = dLoss[j]! * this.labelSlope(p[k]!, y[k]!);
  }
}
