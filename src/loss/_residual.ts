/**
 * The base of the losses of a residual, ℓ(label − pred) (L2Loss, L1Loss, HuberLoss): each states
 * which residual loss it is and its twin; the loops are the kernel layer's
 * (src/kernels/residual.ts, the only TypeScript home of these formulas, one loop per loss so
 * each stays monomorphic).
 * @module
 */
import {
  type ResidualLoss,
  residualLossGradient,
  residualSlopes,
  residualValues,
} from '../kernels/residual.js';
import type { BackwardBlockCall, ForwardBlockCall, ForwardGradientCall } from './_base/index.js';
import { ElementwiseLoss } from './_elementwise.js';

/** An elementwise loss of the residual label − pred. */
export abstract class ResidualElementwiseLoss extends ElementwiseLoss {
  /** Which residual loss this is, for the kernels. */
  protected abstract readonly residual: ResidualLoss;

  protected forwardBlock({ prepared, begin, end, out }: ForwardBlockCall<unknown, unknown>): void {
    const [pred, label] = prepared.arrays;
    residualValues(
      { loss: this.residual, pred: pred!.data.subarray(begin, end), label: label!.data.subarray(begin, end) },
      out.subarray(0, end - begin),
    );
  }

  // ℓ depends on the residual only, so the label's gradient is the prediction's negated. Each
  // gradient entry depends on one ℓ element: assigned.
  protected backwardBlock({ prepared, begin, end, dLoss, grads }: BackwardBlockCall<unknown, unknown>): void {
    const [pred, label] = prepared.arrays;
    const [dPred, dLabel] = grads;
    residualSlopes(
      { loss: this.residual, pred: pred!.data.subarray(begin, end), label: label!.data.subarray(begin, end) },
      {
        dLoss: dLoss.subarray(0, end - begin),
        dPred: dPred ? dPred.subarray(begin, end) : null,
        dLabel: dLabel ? dLabel.subarray(begin, end) : null,
      },
    );
  }

  // The same ℓ and gradient in one pass, for recorded calls (see Loss.forwardGradient).
  protected override forwardGradient(call: ForwardGradientCall<unknown, unknown>): void {
    const { prepared, sampleSize, scales, sums, gradient } = call;
    const [pred, label] = prepared.arrays;
    residualLossGradient(
      { loss: this.residual, pred: pred!.data, label: label!.data },
      { sampleSize, scales, sums, gradient },
    );
  }
}
