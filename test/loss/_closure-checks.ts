/**
 * Gradient checks for losses whose calls mix differentiated inputs with constants (class indices,
 * ±1 labels, fixed labels or weights): `build` places the variables among the constant inputs,
 * so only the variables are perturbed by the finite differences. Used by the SoftmaxCE, KLDiv,
 * CosineEmbedding, Triplet and SDML tests.
 */
import assert from 'node:assert/strict';
import { grad, record } from '../../src/autograd/index.js';
import { array } from '../../src/ndarray/create.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import type { Loss } from '../../src/loss/_base/index.js';
import { checkGradient, numericGradient } from '../../src/testing/gradcheck.js';
import { assertClose } from './_elementwise-checks.js';

/** Maps the differentiated variables to the loss's full positional inputs. */
export type Build = (variables: readonly NDArray[]) => (NDArray | null)[];

/** A head gradient that weights every output differently (so a mix-up of samples shows). */
export function unevenHead(size: number): NDArray {
  return array(
    Array.from({ length: size }, (_, i) => 0.75 + 0.5 * Math.sin(i + 1)),
    { dtype: 'float64' },
  );
}

/**
 * The fused gradients of Σ head · loss equal float64 central differences and the gradients of the
 * composed twin pipeline (`loss.reference`), for every variable.
 */
export function assertFusedGradients(
  loss: Loss,
  build: Build,
  variables: readonly NDArray[],
  tolerance: { rtol: number; atol: number } = { rtol: 1e-6, atol: 1e-8 },
): void {
  const copies = variables.map((x) => array(x, { dtype: 'float64' }));
  const head = unevenHead(loss.forward(...build(copies)).size);
  const check = checkGradient((...xs) => loss.forward(...build(xs)), copies, {
    ...tolerance,
    headGrad: head,
  });
  assert.ok(check.ok, `${loss.name}: gradients vs finite differences, worst ${check.worst}`);
  const twinVariables = copies.map((x) => array(x).attachGrad());
  const twinOut = record(() => loss.reference(...build(twinVariables)));
  const twin = grad(twinOut, twinVariables, { headGrads: head });
  check.analytic.forEach((fused, k) => {
    assertClose(fused, twin[k]!.data, 1e-9, 1e-12, `${loss.name}: fused vs twin gradient of variable ${k}`);
  });
}

/**
 * Second derivatives: d/d(variables[of]) ⟨∇_{variables[wrt]} Σ head · ℓ, v⟩ by double backward
 * (`autograd.grad` with `createGraph`), against central differences of the fused first derivative.
 */
export function assertSecondDerivative(
  loss: Loss,
  build: Build,
  variables: readonly NDArray[],
  wrt: number,
  of: number,
  tolerance: { rtol: number; atol: number } = { rtol: 1e-5, atol: 1e-7 },
): void {
  const copies = variables.map((x) => array(x, { dtype: 'float64' }));
  const target = copies[wrt]!;
  const head = unevenHead(loss.forward(...build(copies)).size);
  const direction = array(
    Array.from({ length: target.size }, (_, i) => Math.cos(1.3 * i + 0.4)),
    { dtype: 'float64' },
  ).reshape(target.shape);
  const firstDerivative = (...xs: NDArray[]) => {
    const variable = xs[wrt]!;
    variable.attachGrad();
    const out = record(() => loss.forward(...build(xs)));
    return grad(out, [variable], { headGrads: head })[0]!.mul(direction).sum();
  };
  const other = copies[of]!;
  target.attachGrad();
  if (of !== wrt) other.attachGrad();
  const analytic = record(() => {
    const out = loss.forward(...build(copies));
    const [g] = grad(out, [target], { createGraph: true, headGrads: head });
    return grad(g!.mul(direction).sum(), [other])[0]!;
  });
  const numeric = numericGradient(firstDerivative, copies, of, { step: 1e-5 });
  assertClose(
    analytic.data,
    numeric,
    tolerance.rtol,
    tolerance.atol,
    `${loss.name}: second derivative d/d${of} d/d${wrt}`,
  );
}

/** The loss and the gradients of Σ loss (or Σ head · loss) with respect to `variables`. */
export function lossAndGradients(
  loss: Loss,
  build: Build,
  variables: readonly NDArray[],
  head?: NDArray,
): { loss: NDArray; grads: NDArray[] } {
  const attached = variables.map((x) => x.attachGrad());
  const out = record(() => loss.forward(...build(attached)));
  return { loss: out, grads: grad(out, attached, head ? { headGrads: head } : {}) };
}
