/**
 * The base of the margin losses of pred · label (HingeLoss, SquaredHingeLoss): the `margin`
 * option and the loops, which are the kernel layer's (src/kernels/margin.ts, the only
 * TypeScript home of these formulas). Each loss states its kind, TSDoc and twin.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { type MarginKind, marginSlopes, marginValues } from '../kernels/margin.js';
import {
  type BackwardBlockCall,
  checkFinite,
  type ForwardBlockCall,
  type LossOptions,
} from './_base/index.js';
import { ElementwiseLoss } from './_elementwise.js';

/** Options of the margin losses. */
export interface MarginLossOptions extends LossOptions {
  /** The margin; a finite number (default 1). */
  margin?: number;
}

/** An elementwise loss of the gap margin − pred · label. */
export abstract class MarginElementwiseLoss extends ElementwiseLoss {
  /** The margin. */
  readonly margin: number;

  /** Which margin loss this is, for the kernels. */
  protected abstract readonly kind: MarginKind;

  protected constructor(options: MarginLossOptions) {
    super(options, ['margin']);
    this.margin = checkFinite(this.name, 'margin', options.margin === undefined ? 1 : options.margin);
  }

  protected forwardBlock({ prepared, begin, end, out }: ForwardBlockCall<unknown, unknown>): void {
    const [pred, label] = prepared.arrays;
    marginValues(this.operands(pred!, label!, begin, end), out.subarray(0, end - begin));
  }

  // Each gradient entry depends on one ℓ element: assigned.
  protected backwardBlock({ prepared, begin, end, dLoss, grads }: BackwardBlockCall<unknown, unknown>): void {
    const [pred, label] = prepared.arrays;
    const [dPred, dLabel] = grads;
    marginSlopes(this.operands(pred!, label!, begin, end), {
      dLoss: dLoss.subarray(0, end - begin),
      dPred: dPred ? dPred.subarray(begin, end) : null,
      dLabel: dLabel ? dLabel.subarray(begin, end) : null,
    });
  }

  private operands(pred: { data: TypedArray }, label: { data: TypedArray }, begin: number, end: number) {
    return {
      kind: this.kind,
      margin: this.margin,
      pred: pred.data.subarray(begin, end),
      label: label.data.subarray(begin, end),
    };
  }
}
