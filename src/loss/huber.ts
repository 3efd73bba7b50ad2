import { ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { abs, greater, mul, square, sub, where } from '../ops/elementwise.js';
import { ResidualElementwiseLoss } from './_residual.js';
import { finiteOption, type Loss } from './_base/index.js';
import type { ResidualLoss } from '../kernels/residual.js';

/** Options of {@link HuberLoss}. */
export interface HuberLossOptions extends Loss.Options {
  /** Where the loss turns from quadratic to linear; a finite number > 0 (default 1). */
  rho?: number;
}

/**
 * Huber loss (smoothed L1), with d = |label − pred|:
 *
 * $$ \ell = \begin{cases} \dfrac{d^2}{2\rho} & \text{if } d \le \rho \\[4pt] d - \dfrac{\rho}{2} & \text{if } d > \rho \end{cases} $$
 *
 * then weight, averaged over the non-batch axes.
 *
 * **Inputs**: `pred` any shape, real; `label` the same number of elements (reshaped like `pred`);
 * `sampleWeight` optional, broadcastable to `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `rho` (default 1; must be finite and > 0, else a ValueError), `weight` (default
 * none), `batchAxis` (default 0).
 *
 * **Gradient**: (pred − label)/ρ where d ≤ ρ, sign(pred − label) where d > ρ; both branches give ±1
 * at d = ρ, which takes the quadratic branch. For ρ → ∞ the loss tends to L2Loss/ρ.
 *
 * **Stability**: the quadratic branch is only used for d ≤ ρ, so large residuals never square;
 * an infinite `pred` gives an infinite loss and a finite gradient in its own sample.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.HuberLoss({ rho: 1 });
 * loss.forward(nd.array([1, 2, 3, 4]), nd.array([1, 3, 5, 7])); // [0 0.5 1.5 2.5]
 * ```
 */
export class HuberLoss extends ResidualElementwiseLoss {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'HuberLoss';

  /** The branch point ρ. */
  readonly rho: number;

  constructor(options: HuberLossOptions = {}) {
    super(options, ['rho']);
    const rho = finiteOption(this.name, 'rho', options.rho, 1);
    if (rho <= 0) throw new ValueError(`${this.name}: option rho must be > 0, got ${rho}`);
    this.rho = rho;
    this.residual = { kind: 'huber', rho };
  }

  protected readonly residual: ResidualLoss;

  twin({ arrays: [pred, label] }: Loss.Prepared): NDArray {
    return huberTwin(this.rho, pred!, label!);
  }
}

/**
 * Huber's ℓ of a branch point ρ ≥ 0 composed from differentiable ops (HuberLoss, and SmoothL1Loss
 * whose β may be 0: then the quadratic branch holds only d = 0, and its factor 1/(2ρ) is taken as
 * 0, so the twin is exactly |d|).
 */
export function huberTwin(rho: number, pred: NDArray, label: NDArray): NDArray {
  const residual = sub(label, pred);
  const magnitude = abs(residual);
  const outside = greater(magnitude, rho);
  const linear = sub(magnitude, 0.5 * rho);
  // The quadratic branch only sees residuals it keeps (0 elsewhere): squaring an infinite
  // residual there would send 0 · ∞ = NaN back through the branch `where` discards.
  const quadratic = mul(square(where(outside, 0, residual)), rho > 0 ? 0.5 / rho : 0);
  return where(outside, linear, quadratic);
}
