import type { NDArray } from '../ndarray/ndarray.js';
import { abs, add, mul, softplus, sub } from '../ops/elementwise.js';
import { PointwiseLoss } from './_elementwise.js';
import type { Loss } from './_base/index.js';

/** Options of {@link LogCoshLoss}: `weight` and `batchAxis`. */
export type LogCoshLossOptions = Loss.Options;

/**
 * Log-cosh loss (Keras `LogCosh`, Optax `log_cosh`), with r = pred − label:
 *
 * $$ \ell = \log\cosh r $$
 *
 * then `sampleWeight`, `weight`, and the mean over the non-batch axes. It behaves like r²/2 for
 * small residuals and like |r| − log 2 for large ones.
 *
 * **Inputs**: `pred` any shape, real; `label` the same number of elements (reshaped like `pred`);
 * `sampleWeight` optional, broadcastable to `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `weight` (default none), `batchAxis` (default 0).
 *
 * **Semantics**: Keras's `keras.losses.LogCosh` (mean over the last axis; gloss averages over
 * every non-batch axis, the same for `(N, D)` inputs) and Optax's `optax.log_cosh(pred, target)`
 * (unreduced; take `mean` over the non-batch axes). PyTorch has no such loss.
 *
 * **Gradient**: tanh(pred − label) with respect to `pred`, its negation for `label`.
 *
 * **Stability**: cosh overflows past |r| ≈ 710, so the loss is never computed as log(cosh r).
 * For |r| ≥ 1 it is |r| + log1p(e^(−2|r|)) − log 2, exact up to r = ±∞. Below 1 that form would
 * cancel (|r| − log 2 + log 2 − |r| + r²/2), so it uses cosh r = 1 + 2 sinh²(r/2) instead:
 * log1p(2 sinh²(r/2)), accurate down to subnormal residuals (r²/2, not 0).
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.LogCoshLoss();
 * loss.forward(nd.array([0, 1000]), nd.array([0, 0])); // [0 999.3068528]
 * ```
 */
export class LogCoshLoss extends PointwiseLoss {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'LogCoshLoss';

  protected value(pred: number, label: number): number {
    return logCosh(pred - label);
  }

  // d log cosh r / dr = tanh r (Math.tanh saturates at ±1, never overflows; NaN stays NaN).
  protected predSlope(pred: number, label: number): number {
    return Math.tanh(pred - label);
  }

  protected labelSlope(pred: number, label: number): number {
    return -Math.tanh(pred - label);
  }

  // |r| + softplus(−2|r|) − log 2: the derivative sign(r) · (1 − 2σ(−2|r|)) = tanh r, 0 at r = 0
  // (|x|′(0) = 0), and its second derivative 1 − tanh² r; no cosh to overflow.
  twin({ arrays: [pred, label] }: Loss.Prepared): NDArray {
    const magnitude = abs(sub(pred!, label!));
    return sub(add(magnitude, softplus(mul(magnitude, -2))), Math.LN2);
  }
}

/**
 * log cosh r without overflow or cancellation. For |r| ≥ 1: log cosh r = log((e^|r| + e^−|r|)/2)
 * = |r| + log(1 + e^(−2|r|)) − log 2, where every term is finite for finite r and the sum has
 * no cancellation (|r| − log 2 ≥ 0.3). For |r| < 1: cosh r = 1 + 2 sinh²(r/2), so log cosh r =
 * log1p(2 sinh²(r/2)), whose argument carries r's full relative precision.
 */
export function logCosh(r: number): number {
  const a = Math.abs(r);
  if (a < 1) {
    const s = Math.sinh(0.5 * a);
    return Math.log1p(2 * s * s);
  }
  return a + Math.log1p(Math.exp(-2 * a)) - Math.LN2;
}
