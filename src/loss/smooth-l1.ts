import { ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { ResidualLoss } from '../kernels/residual.js';
import { finiteOption, type Loss } from './_base/index.js';
import { ResidualElementwiseLoss } from './_residual.js';
import { huberTwin } from './huber.js';

/** Options of {@link SmoothL1Loss}. */
export interface SmoothL1LossOptions extends Loss.Options {
  /** Where the loss turns from quadratic to linear; a finite number ≥ 0 (default 1; 0 gives L1). */
  beta?: number;
}

/**
 * Smooth L1 loss (PyTorch's `smooth_l1_loss`), with d = |label − pred|:
 *
 * $$ \ell = \begin{cases} \dfrac{d^2}{2\beta} & \text{if } d < \beta \\[4pt] d - \dfrac{\beta}{2} & \text{otherwise} \end{cases} $$
 *
 * then `sampleWeight`, `weight`, and the mean over the non-batch axes. With `beta: 0` it is
 * exactly the absolute error |d| (L1Loss).
 *
 * **Inputs**: `pred` any shape, real; `label` the same number of elements (reshaped like `pred`);
 * `sampleWeight` optional, broadcastable to `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `beta` (default 1; finite and ≥ 0, else a ValueError), `weight` (default none),
 * `batchAxis` (default 0).
 *
 * **Semantics**: PyTorch's `nn.SmoothL1Loss(beta)` with `reduction='none'`, then gloss's
 * per-sample mean: `torch.nn.SmoothL1Loss(beta=b)(x, y)` (reduction `'mean'`) equals the mean of
 * this loss's output for inputs of shape `(N, ...)`. It is Gluon's HuberLoss with ρ = β (the two
 * formulas agree at d = β, so PyTorch's strict `<` and Huber's `≤` give the same values and
 * gradients), divided by nothing: note that PyTorch's `HuberLoss(delta)` is β times this loss.
 *
 * **Gradient**: (pred − label)/β where d ≤ β, sign(pred − label) beyond; with β = 0, sign(pred −
 * label), and 0 at d = 0 (|x|′(0) = 0, as L1Loss).
 *
 * **Stability**: the quadratic branch is only used for d ≤ β, so large residuals never square;
 * β = 0 takes no reciprocal of β. An infinite `pred` gives an infinite loss and a finite gradient.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.SmoothL1Loss({ beta: 1 });
 * loss.forward(nd.array([1, 2, 3, 4]), nd.array([1, 3, 5, 7])); // [0 0.5 1.5 2.5]
 * ```
 */
export class SmoothL1Loss extends ResidualElementwiseLoss {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'SmoothL1Loss';

  /** The branch point β (0: L1). */
  readonly beta: number;

  /** Huber's residual loss with ρ = β, or the absolute residual for β = 0. */
  protected readonly residual: ResidualLoss;

  constructor(options: SmoothL1LossOptions = {}) {
    super(options, ['beta']);
    const beta = finiteOption(this.name, 'beta', options.beta, 1);
    if (beta < 0) throw new ValueError(`${this.name}: option beta must be >= 0, got ${beta}`);
    this.beta = beta;
    this.residual = beta > 0 ? { kind: 'huber', rho: beta } : { kind: 'absolute' };
  }

  twin({ arrays: [pred, label] }: Loss.Prepared): NDArray {
    return huberTwin(this.beta, pred!, label!);
  }
}
