/**
 * The base of the margin losses of pred · label (HingeLoss, SquaredHingeLoss): the `margin`
 * option and the loops, which are the kernel layer's (src/kernels/margin.ts, the only
 * TypeScript home of these formulas). Each loss states its kind, TSDoc and twin.
 * @module
 */
import {
  type MarginInputs,
  type MarginKind,
  marginLossGradient,
  marginSlopes,
  marginValues,
} from '../kernels/margin.js';
import { finiteOption, type Loss } from './_base/index.js';
import { type PairGradients, type PairOperands, PairElementwiseLoss } from './_elementwise.js';

/** Options of the margin losses. */
export interface MarginLossOptions extends Loss.Options {
  /** The margin; a finite number (default 1). */
  margin?: number;
}

/** An elementwise loss of the gap margin − pred · label. */
export abstract class MarginElementwiseLoss extends PairElementwiseLoss {
  /** The margin. */
  readonly margin: number;

  /** Which margin loss this is, for the kernels. */
  protected abstract readonly kind: MarginKind;

  constructor(options: MarginLossOptions = {}) {
    super(options, ['margin']);
    this.margin = finiteOption(this.name, 'margin', options.margin, 1);
  }

  protected values(operands: PairOperands, out: Float64Array): void {
    marginValues(this.inputs(operands), out);
  }

  protected slopes(operands: PairOperands, gradients: PairGradients): void {
    marginSlopes(this.inputs(operands), gradients);
  }

  // ℓ and pred's gradient in one pass, for recorded calls (see Loss.forwardGradient).
  protected override forwardGradient(call: Loss.ForwardGradientCall<undefined, undefined>): void {
    const { prepared, sampleSize, scales, sums, gradient } = call;
    const [pred, label] = prepared.arrays;
    marginLossGradient(this.inputs({ pred: pred!.data, label: label!.data }), {
      sampleSize,
      scales,
      sums,
      gradient,
    });
  }

  /** The kernels' inputs: this loss's kind and margin with the block's views. */
  private inputs({ pred, label }: PairOperands): MarginInputs {
    return { kind: this.kind, margin: this.margin, pred, label };
  }
}
