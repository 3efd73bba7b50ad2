import type { TypedArray } from '../ndarray/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { Loss, lossBatchAxis, reshapeLike } from './_base/index.js';

/**
 * Base of the elementwise losses: ℓ has the shape of the first input, and the other required
 * inputs are reshaped like it. `Extra` and `State` are the loss's per-call settings and state
 * (see Loss); most elementwise losses have neither.
 */
export abstract class ElementwiseLoss<Extra = undefined, State = undefined> extends Loss<Extra, State> {
  readonly inputNames: readonly string[] = ['pred', 'label', 'sampleWeight'];

  /**
   * The required inputs (pred and label, or as `inputNames` calls them), each after the first
   * reshaped like it; ℓ has the first one's shape.
   */
  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<Extra> {
    const first = inputs[0]!;
    const names = this.inputNames;
    const arrays = [first];
    const sources = [0];
    for (let i = 1; i < this.requiredInputs; i++) {
      arrays.push(reshapeLike(this.name, names[i]!, inputs[i]!, names[0]!, first));
      sources.push(i);
    }
    return {
      arrays,
      sources,
      lossShape: first.shape,
      batchAxis: lossBatchAxis(this.name, this.batchAxis, first.shape),
    };
  }
}

/** Views of one block [begin, end) of pred and label. */
export interface PairOperands {
  readonly pred: TypedArray;
  readonly label: TypedArray;
}

/** One block's dℓ and the views of pred's and label's gradients over it (null where none is needed). */
export interface PairGradients {
  readonly dLoss: Float64Array;
  readonly dPred: TypedArray | null;
  readonly dLabel: TypedArray | null;
}

/**
 * An elementwise loss whose ℓ at each element depends on that element's pred and label alone:
 * the block hooks take views of the block [begin, end) and hand them to `values` and `slopes`,
 * which a loss (or its family base) writes once, as loops or kernel calls. Each gradient entry
 * depends on one ℓ element, so `slopes` assigns it.
 */
export abstract class PairElementwiseLoss extends ElementwiseLoss {
  /** Writes ℓ of each element of the views into `out` (as long as the views). */
  protected abstract values(operands: PairOperands, out: Float64Array): void;
  /** Assigns dℓ · ∂ℓ/∂pred and dℓ · ∂ℓ/∂label of each element to the gradient views given. */
  protected abstract slopes(operands: PairOperands, gradients: PairGradients): void;

  protected forwardBlock({ prepared, begin, end, out }: Loss.ForwardBlockCall<undefined, undefined>): void {
    this.values(pairOperands(prepared, begin, end), out.subarray(0, end - begin));
  }

  protected backwardBlock(call: Loss.BackwardBlockCall<undefined, undefined>): void {
    const { prepared, begin, end, dLoss, grads } = call;
    const [dPred, dLabel] = grads;
    this.slopes(pairOperands(prepared, begin, end), {
      dLoss: dLoss.subarray(0, end - begin),
      dPred: dPred ? dPred.subarray(begin, end) : null,
      dLabel: dLabel ? dLabel.subarray(begin, end) : null,
    });
  }
}

/** Views of [begin, end) of the prepared pred and label. */
function pairOperands({ arrays: [pred, label] }: Loss.Prepared, begin: number, end: number): PairOperands {
  return { pred: pred!.data.subarray(begin, end), label: label!.data.subarray(begin, end) };
}

/**
 * A pair elementwise loss given as scalar functions of one element's pred and label: the loops
 * over a block are shared.
 */
export abstract class PointwiseLoss extends PairElementwiseLoss {
  /** The pointwise losses take the base options only. */
  constructor(options: Loss.Options = {}) {
    super(options, []);
  }

  /** ℓ at one element. */
  protected abstract value(pred: number, label: number): number;
  /** ∂ℓ/∂pred at one element. */
  protected abstract predSlope(pred: number, label: number): number;
  /** ∂ℓ/∂label at one element. */
  protected abstract labelSlope(pred: number, label: number): number;

  protected values({ pred, label }: PairOperands, out: Float64Array): void {
    for (let j = 0; j < pred.length; j++) out[j] = this.value(pred[j]!, label[j]!);
  }

  protected slopes({ pred, label }: PairOperands, { dLoss, dPred, dLabel }: PairGradients): void {
    if (dPred)
      for (let j = 0; j < pred.length; j++) dPred[j] = dLoss[j]! * this.predSlope(pred[j]!, label[j]!);
    if (dLabel)
      for (let j = 0; j < pred.length; j++) dLabel[j] = dLoss[j]! * this.labelSlope(pred[j]!, label[j]!);
  }

  // ℓ and pred's gradient in one pass, for recorded calls (see Loss.forwardGradient): each
  // element's value and scaled slope as the block hooks compute them, without the block
  // pipeline's second walk over pred and label.
  protected override forwardGradient(call: Loss.ForwardGradientCall<undefined, undefined>): void {
    const { prepared, sampleSize, scales, sums, gradient } = call;
    const [predArray, labelArray] = prepared.arrays;
    const pred = predArray!.data;
    const label = labelArray!.data;
    for (let sample = 0, k = 0; sample < scales.length; sample++) {
      const scale = scales[sample]!;
      let total = 0;
      for (const end = k + sampleSize; k < end; k++) {
        total += this.value(pred[k]!, label[k]!);
        gradient[k] = scale * this.predSlope(pred[k]!, label[k]!);
      }
      sums[sample] = total;
    }
  }
}
