import { sub, square, mul } from '../ops/elementwise.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { ElementwiseLoss, type OnePassTarget } from './_elementwise.js';
import type { LossOptions, Prepared } from './_base/index.js';
import type { TypedArray } from '../ndarray/dtype.js';
import { type ResidualLoss, residualLossGradient } from '../kernels/residual.js';

const SQUARED: ResidualLoss = { kind: 'squared' };

/** Options of {@link L2Loss}. */
export interface L2LossOptions extends LossOptions {
  /** Scalar weight; defaults to 1 (Gluon), and the ½ of the formula is always applied. */
  weight?: number | null;
}

/**
 * Base of L2Loss (c = ½, Gluon) and MSELoss (c = 1, PyTorch): ℓ = c · (label − pred)², every hook
 * shared.
 */
export abstract class SquaredResidualLoss extends ElementwiseLoss {
  /** The factor c in front of the square: ½ or 1. */
  protected abstract get factor(): number;

  // ℓ = c(y − p)²; dℓ/dp = 2c(p − y). Each gradient entry depends on one ℓ element: assigned.
  protected forwardBlock(
    { arrays: [pred, label] }: Prepared,
    _state: unknown,
    begin: number,
    end: number,
    out: Float64Array,
  ): void {
    const p = pred!.data;
    const y = label!.data;
    const c = this.factor;
    for (let k = begin, j = 0; k < end; k++, j++) {
      const d = y[k]! - p[k]!;
      out[j] = c * d * d;
    }
  }

  protected backwardBlock(
    { arrays: [pred, label] }: Prepared,
    _state: unknown,
    begin: number,
    end: number,
    dLoss: Float64Array,
    [dPred, dLabel]: readonly (TypedArray | null)[],
  ): void {
    const p = pred!.data;
    const y = label!.data;
    const twice = 2 * this.factor;
    if (dPred) for (let k = begin, j = 0; k < end; k++, j++) dPred[k] = twice * dLoss[j]! * (p[k]! - y[k]!);
    if (dLabel) for (let k = begin, j = 0; k < end; k++, j++) dLabel[k] = twice * dLoss[j]! * (y[k]! - p[k]!);
  }

  // The same ℓ and gradient in one pass, for recorded calls (see Loss.forwardGradient): the ½d²
  // pass with the scales times 2c, then the sums times 2c. For MSE's 2c = 2 both factors are
  // powers of two, so the result is exactly d² and 2 · scale · d.
  protected override forwardGradient(
    { arrays: [pred, label] }: Prepared,
    _state: unknown,
    sampleSize: number,
    scales: Float64Array,
    sums: Float64Array,
    gradient: TypedArray,
  ): void {
    const twice = 2 * this.factor;
    const scaled = twice === 1 ? scales : scales.map((scale) => twice * scale);
    squaredOnePass(pred!.data, label!.data, { sampleSize, scales: scaled, sums, gradient });
    if (twice !== 1)
      for (let sample = 0; sample < sums.length; sample++) sums[sample] = twice * sums[sample]!;
  }

  twin({ arrays: [pred, label] }: Prepared): NDArray {
    return mul(square(sub(label!, pred!)), this.factor);
  }
}

/**
 * Squared error (mean squared error with Gluon's ½):
 *
 * $$ \ell = \frac{\text{weight}}{2} \, (\text{label} - \text{pred})^2 $$
 *
 * averaged over the non-batch axes.
 *
 * **Inputs**: `pred` any shape, real; `label` the same number of elements (reshaped like `pred`);
 * `sampleWeight` optional, broadcastable to `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `weight` (default 1), `batchAxis` (default 0).
 *
 * **Gradient**: weight · (pred − label) / M, with M the elements per sample.
 *
 * **Stability**: a difference and a square; overflows only where the float type does (|d| > ~1.8e19
 * in float32).
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.L2Loss();
 * loss.forward(nd.ones([2]), nd.ones([2]).mul(2)); // [0.5 0.5]
 * ```
 */
export class L2Loss extends SquaredResidualLoss {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'L2Loss';

  constructor(options: L2LossOptions = {}) {
    super(options, [], 1);
  }

  protected get factor(): number {
    return 0.5;
  }
}

/**
 * ½(pred − label)² summed per sample and `scale · (pred − label)` as pred's gradient, in one
 * pass. Two partial sums: one chain of dependent float64 adds would bound the loop.
 */
function squaredOnePass(
  p: TypedArray,
  y: TypedArray,
  { sampleSize, scales, sums, gradient }: OnePassTarget,
): void {
  // The wasm kernel reads label as float32: a float64 label would be rounded first (at a tiny
  // residual that flips L1's gradient sign). Mixed dtypes take the float64 loop below.
  if (
    p.constructor === y.constructor &&
    residualLossGradient(SQUARED, p, y, sampleSize, scales, sums, gradient)
  )
    return;
  for (let sample = 0, k = 0; sample < scales.length; sample++) {
    const scale = scales[sample]!;
    const end = k + sampleSize;
    let even = 0;
    let odd = 0;
    for (; k + 2 <= end; k += 2) {
      const d0 = p[k]! - y[k]!;
      const d1 = p[k + 1]! - y[k + 1]!;
      even += d0 * d0;
      odd += d1 * d1;
      gradient[k] = scale * d0;
      gradient[k + 1] = scale * d1;
    }
    if (k < end) {
      const d = p[k]! - y[k]!;
      even += d * d;
      gradient[k++] = scale * d;
    }
    sums[sample] = 0.5 * (even + odd);
  }
}
