/**
 * Gradient checking by central finite differences in float64. Public so users can check their own
 * custom ops; the test suite uses it for every op and loss.
 * @module
 */
import { grad, record } from '../autograd/index.js';
import { array, zerosLike } from '../ndarray/create.js';
import { concat } from '../ops/movement.js';
import { NDArray } from '../ndarray/ndarray.js';
import { ValueError } from '../ndarray/errors.js';

/**
 * Central-difference gradient of `Σ headGrad · f(inputs)` with respect to `inputs[index]`.
 * `f` receives float64 copies of the inputs and must return an NDArray.
 */
export function numericGradient(
  f: (...inputs: NDArray[]) => NDArray,
  inputs: readonly NDArray[],
  index: number,
  options: { step?: number; headGrad?: NDArray } = {},
): Float64Array {
  const step = options.step ?? 1e-6;
  const copies = inputs.map((x) => (x.dtype === 'int32' ? x : array(x, { dtype: 'float64' })));
  const target = copies[index]!;
  const weights = options.headGrad?.data;
  const result = new Float64Array(target.size);
  const evaluate = () => {
    const out = f(...copies);
    let total = 0;
    for (let i = 0; i < out.size; i++) total += (weights ? weights[i]! : 1) * out.data[i]!;
    return total;
  };
  for (let i = 0; i < target.size; i++) {
    const original = target.data[i]!;
    target.data[i] = original + step;
    const plus = evaluate();
    target.data[i] = original - step;
    const minus = evaluate();
    target.data[i] = original;
    result[i] = (plus - minus) / (2 * step);
  }
  return result;
}

/** Result of {@link checkGradient}: the worst mismatch found, per input. */
export interface GradientCheckResult {
  ok: boolean;
  /** Largest |analytic − numeric| / (atol + rtol·|numeric|) over all checked inputs; ≤ 1 passes. */
  worst: number;
  analytic: Float64Array[];
  numeric: Float64Array[];
}

/** Options of {@link checkGradient}. */
export interface GradientCheckOptions {
  /** Finite-difference step (default 1e-6). */
  step?: number;
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-7). */
  atol?: number;
  /** Weights of the output elements: the check is on ∂(Σ headGrad · f)/∂x (default ones). */
  headGrad?: NDArray;
}

/**
 * Compares autograd's gradient of `Σ headGrad · f(inputs)` with central finite differences, in
 * float64, for every float input (int32 inputs are passed through unchanged). `f` receives float64
 * copies, so the caller's arrays are never modified or attached.
 */
export function checkGradient(
  f: (...inputs: NDArray[]) => NDArray,
  inputs: readonly (NDArray | number[] | number[][])[],
  options: GradientCheckOptions = {},
): GradientCheckResult {
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-7;
  const arrays = inputs.map((x) => {
    const a = x instanceof NDArray ? x : array(x, { dtype: 'float64' });
    return a.dtype === 'int32' ? a : array(a, { dtype: 'float64' });
  });
  const variables = arrays.filter((a) => a.dtype !== 'int32');
  if (variables.length === 0) throw new ValueError('checkGradient: needs at least one float input');
  for (const v of variables) v.attachGrad();
  const { grads: analyticArrays, headGrad } = recordedGradients(f, arrays, variables, options.headGrad);
  let worst = 0;
  const analytic: Float64Array[] = [];
  const numeric: Float64Array[] = [];
  variables.forEach((v, k) => {
    const index = arrays.indexOf(v);
    const approx = numericGradient(f, arrays, index, {
      ...(options.step !== undefined ? { step: options.step } : {}),
      ...(headGrad ? { headGrad } : {}),
    });
    const exact = Float64Array.from(analyticArrays[k]!.data);
    for (let i = 0; i < exact.length; i++) {
      const error = Math.abs(exact[i]! - approx[i]!) / (atol + rtol * Math.abs(approx[i]!));
      worst = Math.max(worst, Number.isNaN(error) ? Infinity : error);
    }
    analytic.push(exact);
    numeric.push(approx);
  });
  return { ok: worst <= 1, worst, analytic, numeric };
}

/**
 * Records `f(...inputs)` and takes autograd's gradient of `Σ headGrad · f` with respect to each of
 * `variables` (with `createGraph`, differentiable again); zeros when the output does not depend on
 * the inputs at all. Returns the gradients and headGrad as used, in the output's dtype.
 */
function recordedGradients(
  f: (...inputs: NDArray[]) => NDArray,
  inputs: readonly NDArray[],
  variables: readonly NDArray[],
  headGrad: NDArray | undefined,
  createGraph = false,
): { grads: NDArray[]; headGrad: NDArray | undefined } {
  const out = record(() => f(...inputs));
  const weights = headGrad ? array(headGrad, { dtype: out.dtype }) : undefined;
  const grads = out.requiresGrad
    ? grad(out, variables, {
        ...(createGraph ? { createGraph } : {}),
        ...(weights ? { headGrads: weights } : {}),
      })
    : variables.map((v) => zerosLike(v));
  return { grads, headGrad: weights };
}

/** Options of {@link checkSecondGradient}. */
export interface SecondGradientCheckOptions extends GradientCheckOptions {
  /** Weights `v` of the first differentiation: the first gradient is ∂(Σ v·f)/∂x (default ones). */
  headGrad?: NDArray;
  /**
   * Weights `w` of the second differentiation, one per element of all first gradients laid end to
   * end (default ones).
   */
  gradHeadGrad?: NDArray;
}

/**
 * Checks second derivatives. The first gradient `g(x) = ∂(Σ v·f(x))/∂x` comes from
 * `autograd.grad(..., {createGraph: true})`; autograd then differentiates `Σ w·g(x)` again, and the
 * result is compared with central finite differences of `g` itself (float64). With several float
 * inputs, `g` is every input's gradient flattened and laid end to end.
 */
export function checkSecondGradient(
  f: (...inputs: NDArray[]) => NDArray,
  inputs: readonly (NDArray | number[] | number[][])[],
  options: SecondGradientCheckOptions = {},
): GradientCheckResult {
  const { gradHeadGrad, headGrad, ...tolerances } = options;
  const firstGradient = (...xs: NDArray[]): NDArray => {
    // Numeric evaluations pass plain copies: make them variables (sharing the perturbed data).
    const variables = xs.map((x) => (x.dtype === 'int32' || x.requiresGrad ? x : x.detach().attachGrad()));
    const floats = variables.filter((x) => x.dtype !== 'int32');
    const { grads } = recordedGradients(f, variables, floats, headGrad, true);
    return record(() =>
      concat(
        grads.map((g) => g.reshape(-1)),
        0,
      ),
    );
  };
  return checkGradient(firstGradient, inputs, {
    ...tolerances,
    ...(gradHeadGrad ? { headGrad: gradHeadGrad } : {}),
  });
}
