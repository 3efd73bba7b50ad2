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
import type { Loss } from './_base/index.js';
import { type PairGradients, type PairOperands, PairElementwiseLoss } from './_elementwise.js';

/** An elementwise loss of the residual label − pred. */
export abstract class ResidualElementwiseLoss extends PairElementwiseLoss {
  /** Which residual loss this is, for the kernels. */
  protected abstract readonly residual: ResidualLoss;

  protected values({ pred, label }: PairOperands, out: Float64Array): void {
    residualValues({ loss: this.residual, pred, label }, out);
  }

  // ℓ depends on the residual only, so the label's gradient is the prediction's negated.
  protected slopes({ pred, label }: PairOperands, gradients: PairGradients): void {
    residualSlopes({ loss: this.residual, pred, label }, gradients);
  }

  // The same ℓ and gradient in one pass, for recorded calls (see Loss.forwardGradient).
  protected override forwardGradient(call: Loss.ForwardGradientCall<undefined, undefined>): void {
    const { prepared, sampleSize, scales, sums, gradient } = call;
    const [pred, label] = prepared.arrays;
    residualLossGradient(
      { loss: this.residual, pred: pred!.data, label: label!.data },
      { sampleSize, scales, sums, gradient },
    );
  }
}
