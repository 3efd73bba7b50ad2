import type { TypedArray } from '../ndarray/dtype.js';
import { ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { abs, greater, mul, square, sub, where } from '../ops/elementwise.js';
import { ElementwiseLoss, type OnePassTarget } from './_elementwise.js';
import { checkFinite, type LossOptions, type Prepared } from './_base/index.js';
import { type ResidualLoss, residualLossGradient } from '../kernels/residual.js';

/** Options of {@link HuberLoss}. */
export interface HuberLossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear; a finite number > 0 (default 1). */
  rho?: number;
}

/**
 * Base of HuberLoss and SmoothL1Loss (PyTorch's name for the same formula, whose β may be 0): the
 * Huber loss of a branch point ≥ 0, with every hook shared.
 */
export abstract class HuberShapedLoss extends ElementwiseLoss {
  /** Where the loss turns from quadratic to linear (ρ, or β); 0 gives the absolute residual. */
  protected abstract get branchPoint(): number;

  protected forwardBlock(
    { arrays: [pred, label] }: Prepared,
    _state: unknown,
    begin: number,
    end: number,
    out: Float64Array,
  ): void {
    huberForwardBlock(this.branchPoint, pred!.data, label!.data, begin, end, out);
  }

  // dℓ/dpred = clamp((pred − label)/ρ, −1, 1); see huberBackwardBlock.
  protected backwardBlock(
    { arrays: [pred, label] }: Prepared,
    _state: unknown,
    begin: number,
    end: number,
    dLoss: Float64Array,
    [dPred, dLabel]: readonly (TypedArray | null)[],
  ): void {
    huberBackwardBlock(
      this.branchPoint,
      pred!.data,
      label!.data,
      begin,
      end,
      dLoss,
      dPred ?? null,
      dLabel ?? null,
    );
  }

  // The same ℓ and gradient in one pass, for recorded calls (see Loss.forwardGradient).
  protected override forwardGradient(
    { arrays: [pred, label] }: Prepared,
    _state: unknown,
    sampleSize: number,
    scales: Float64Array,
    sums: Float64Array,
    gradient: TypedArray,
  ): void {
    huberOnePass(huberResidual(this.branchPoint), pred!.data, label!.data, {
      sampleSize,
      scales,
      sums,
      gradient,
    });
  }

  twin({ arrays: [pred, label] }: Prepared): NDArray {
    return huberTwin(this.branchPoint, pred!, label!);
  }
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
export class HuberLoss extends HuberShapedLoss {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'HuberLoss';

  /** The branch point ρ. */
  readonly rho: number;

  constructor(options: HuberLossOptions = {}) {
    super(options, ['rho']);
    const rho = checkFinite(this.name, 'rho', options.rho === undefined ? 1 : options.rho);
    if (rho <= 0) throw new ValueError(`${this.name}: option rho must be > 0, got ${rho}`);
    this.rho = rho;
  }

  protected get branchPoint(): number {
    return this.rho;
  }
}

// ---- the Huber formulas of a branch point ρ ≥ 0 (SmoothL1Loss's β may be 0: L1) ---------------
//
// With ρ = 0 the quadratic branch only holds d = 0, where ℓ = 0 and ℓ′ = 0: the reciprocals of ρ
// are then taken as 0 (not ∞), so the same loops give |d| and sign(d) exactly.

/** 1/ρ, or 0 for ρ = 0 (see above). */
function reciprocal(rho: number): number {
  return rho > 0 ? 1 / rho : 0;
}

/** The wasm kernel's description of the Huber loss of ρ ≥ 0 (ρ = 0 is the absolute residual). */
function huberResidual(rho: number): ResidualLoss {
  return rho > 0 ? { kind: 'huber', rho } : { kind: 'absolute' };
}

/** `out[k − begin] = ℓ(|label[k] − pred[k]|)` for `begin <= k < end`. */
function huberForwardBlock(
  rho: number,
  p: TypedArray,
  y: TypedArray,
  begin: number,
  end: number,
  out: Float64Array,
): void {
  const halfOverRho = 0.5 * reciprocal(rho);
  const halfRho = 0.5 * rho;
  for (let k = begin, j = 0; k < end; k++, j++)
    out[j] = huberValue(Math.abs(y[k]! - p[k]!), rho, halfRho, halfOverRho);
}

/**
 * dℓ/dpred = clamp((pred − label)/ρ, −1, 1), written with the branches of the forward so that
 * d = ±ρ takes the quadratic one; the label's gradient is its negation. Each gradient entry
 * depends on one ℓ element: assigned.
 */
function huberBackwardBlock(
  rho: number,
  p: TypedArray,
  y: TypedArray,
  begin: number,
  end: number,
  dLoss: Float64Array,
  dPred: TypedArray | null,
  dLabel: TypedArray | null,
): void {
  const inverseRho = reciprocal(rho);
  if (dPred) {
    for (let k = begin, j = 0; k < end; k++, j++)
      dPred[k] = dLoss[j]! * clampedSlope(p[k]! - y[k]!, rho, inverseRho);
  }
  if (dLabel) {
    for (let k = begin, j = 0; k < end; k++, j++)
      dLabel[k] = -(dLoss[j]! * clampedSlope(p[k]! - y[k]!, rho, inverseRho));
  }
}

/** The Huber ℓ and pred's gradient in one pass, for recorded calls (see Loss.forwardGradient). */
function huberOnePass(
  residual: ResidualLoss,
  p: TypedArray,
  y: TypedArray,
  { sampleSize, scales, sums, gradient }: OnePassTarget,
): void {
  // The wasm kernel reads label as float32: a float64 label would be rounded first (at a tiny
  // residual that flips L1's gradient sign). Mixed dtypes take the float64 loop below.
  if (
    p.constructor === y.constructor &&
    residualLossGradient(residual, p, y, sampleSize, scales, sums, gradient)
  )
    return;
  const rho = residual.kind === 'huber' ? residual.rho : 0;
  const halfOverRho = 0.5 * reciprocal(rho);
  const halfRho = 0.5 * rho;
  const inverseRho = reciprocal(rho);
  for (let sample = 0, k = 0; sample < scales.length; sample++) {
    const scale = scales[sample]!;
    let sum = 0;
    for (const end = k + sampleSize; k < end; k++) {
      const d = p[k]! - y[k]!;
      sum += huberValue(Math.abs(d), rho, halfRho, halfOverRho);
      gradient[k] = scale * clampedSlope(d, rho, inverseRho);
    }
    sums[sample] = sum;
  }
}

/** The Huber ℓ of ρ ≥ 0 composed from differentiable ops. */
function huberTwin(rho: number, pred: NDArray, label: NDArray): NDArray {
  const residual = sub(label, pred);
  const magnitude = abs(residual);
  const outside = greater(magnitude, rho);
  const linear = sub(magnitude, 0.5 * rho);
  // The quadratic branch only sees residuals it keeps (0 elsewhere): squaring an infinite
  // residual there would send 0 · ∞ = NaN back through the branch `where` discards.
  const quadratic = mul(square(where(outside, 0, residual)), 0.5 * reciprocal(rho));
  return where(outside, linear, quadratic);
}

/**
 * ℓ of a residual magnitude d ≥ 0: d²/(2ρ) up to ρ, d − ρ/2 beyond. The branch is taken about
 * half the time on real residuals and mispredicts, so it is a select: with q ∈ {0, 1},
 * q·a + (1 − q)·b is exactly a or b (0·x + b = b). Only an infinite (or overflowing) residual
 * makes 0·∞ = NaN; that rare case takes the exact branch. A NaN d fails `d > rho` and takes the
 * quadratic branch, which keeps it NaN.
 */
function huberValue(d: number, rho: number, halfRho: number, halfOverRho: number): number {
  const outside = +(d > rho);
  const value = outside * (d - halfRho) + (1 - outside) * (halfOverRho * d * d);
  if (Number.isNaN(value) && !Number.isNaN(d)) return d > rho ? d - halfRho : halfOverRho * d * d;
  return value;
}

/**
 * dℓ/dd = clamp(d/ρ, −1, 1) with the quadratic branch at |d| = ρ, as a branch-free select (see
 * forwardBlock): exactly 1, −1 or d/ρ. Only an infinite d makes 0·∞ = NaN; it takes the exact
 * branch. A NaN d stays NaN.
 */
function clampedSlope(d: number, rho: number, inverseRho: number): number {
  const above = +(d > rho);
  const below = +(d < -rho);
  const slope = above - below + (1 - above - below) * (d * inverseRho);
  if (Number.isNaN(slope) && !Number.isNaN(d)) return d > 0 ? 1 : -1;
  return slope;
}
