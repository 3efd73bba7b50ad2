/**
 * `coefficient · log(argument)` composed from differentiable ops, with the convention
 * 0 · log 0 = 0 (a zero coefficient gives 0 whatever the logarithm) that the probability-form kernels use too.
 * @module
 */
import type { NDArray } from '../ndarray/ndarray.js';
import { equal, log, mul, where } from '../ops/elementwise.js';

/**
 * coefficient · log(argument), and exactly 0 (with zero gradients) where both the coefficient and
 * the argument are 0. Every other element is the plain product, so NaN and log of a negative
 * number still propagate.
 */
export function coefficientTimesLog(coefficient: NDArray, argument: NDArray): NDArray {
  const zeroTerm = mul(equal(coefficient, 0), equal(argument, 0));
  // The discarded branch must stay finite as well: log 0 there would send 0 · ∞ = NaN back
  // through `where`, so those elements take log 1 instead.
  const safeArgument = where(zeroTerm, 1, argument);
  return where(zeroTerm, 0, mul(coefficient, log(safeArgument)));
}
