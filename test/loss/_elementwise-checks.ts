/**
 * Checks shared by the elementwise loss tests (L1, Huber, Hinge, SquaredHinge, Logistic,
 * SigmoidBCE, PoissonNLL): conformance files, fused-vs-twin gradients, finite differences of
 * first and second derivatives.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { grad, record } from '../../src/autograd/index.js';
import { type CaseFile, runFile } from '../../src/conformance/run.js';
import { array } from '../../src/ndarray/create.js';
import type { DType } from '../../src/ndarray/dtype.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import type { Loss } from '../../src/loss/_base/index.js';
import { checkGradient, numericGradient } from '../../src/testing/gradcheck.js';

/**
 * Shared conformance data: under GLOSS_SHARED when set (as the other suites read it, so a git
 * worktree can point at the one shared folder), else relative to the repository root.
 */
export const CONFORMANCE = `${process.env.GLOSS_SHARED ?? '../shared'}/conformance`;

/** Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise; NaN and infinities must match exactly. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(e)) {
      assert.ok(
        Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)),
        `${what}[${i}]: got ${a}, expected ${e}`,
      );
      continue;
    }
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: got ${a}, expected ${e}`);
  }
}

/**
 * Runs the cases of a conformance file (only those of `lossName` when given) in `dtype` and
 * returns how many ran and the failures' messages.
 */
export function runConformance(
  path: string,
  dtype: DType,
  lossName?: string,
): { count: number; failures: string[] } {
  const file = JSON.parse(readFileSync(`${CONFORMANCE}/${path}`, 'utf8')) as CaseFile;
  const cases = lossName ? file.cases.filter((c) => (c.loss ?? file.loss) === lossName) : file.cases;
  const results = runFile({ ...file, cases }, dtype);
  return {
    count: results.length,
    failures: results.filter((r) => !r.passed).map((r) => `${r.loss} ${r.id}: ${r.message}`),
  };
}

/** Asserts that every case of `lossName` in the file passes in `dtype`, and that there are some. */
export function assertConformance(path: string, dtype: DType, lossName?: string): void {
  const { count, failures } = runConformance(path, dtype, lossName);
  assert.ok(count > 0, `${path} has cases for ${lossName ?? 'its loss'}`);
  assert.deepEqual(failures, [], `${path} (${dtype})`);
}

/** float64 array from nested numbers. */
export function f64(values: Parameters<typeof array>[0]): NDArray {
  return array(values, { dtype: 'float64' });
}

/** float32 array from nested numbers. */
export function f32(values: Parameters<typeof array>[0]): NDArray {
  return array(values, { dtype: 'float32' });
}

/** Calls `loss.forward` with `inputs` at the given positional slots (nulls elsewhere). */
export type LossCall = (...inputs: NDArray[]) => NDArray;

/**
 * The fused gradients (under a non-uniform head gradient) equal the twin pipeline's and float64
 * central differences, for every input.
 */
export function assertGradients(
  loss: Loss,
  inputs: readonly NDArray[],
  slots: readonly number[] = inputs.map((_, i) => i),
  tolerance: { rtol: number; atol: number } = { rtol: 1e-6, atol: 1e-8 },
): void {
  const positional = (xs: readonly NDArray[]) => {
    const args: (NDArray | null)[] = [];
    slots.forEach((slot, k) => {
      while (args.length < slot) args.push(null);
      args[slot] = xs[k]!;
    });
    return args;
  };
  const copies = inputs.map((x) => array(x, { dtype: 'float64' }));
  const probe = loss.forward(...positional(copies));
  const head = array(
    Array.from({ length: probe.size }, (_, i) => 0.75 + 0.5 * Math.sin(i + 1)),
    { dtype: 'float64' },
  );
  const check = checkGradient((...xs) => loss.forward(...positional(xs)), copies, {
    ...tolerance,
    headGrad: head,
  });
  assert.ok(check.ok, `${loss.name}: gradients vs finite differences, worst ${check.worst}`);
  const variables = copies.map((x) => array(x).attachGrad());
  const twinOut = record(() => loss.reference(...positional(variables)));
  const twin = grad(twinOut, variables, { headGrads: head });
  check.analytic.forEach((fused, k) => {
    assertClose(
      fused,
      twin[k]!.data,
      1e-9,
      1e-12,
      `${loss.name}: fused vs twin gradient of input ${slots[k]}`,
    );
  });
}

/**
 * Second derivatives: d/d(inputs[of]) ⟨∇_{inputs[wrt]} Σ head·ℓ, v⟩ by double backward
 * (`createGraph`), against central differences of the fused first derivative.
 */
export function assertSecondDerivative(
  loss: Loss,
  inputs: readonly NDArray[],
  slots: readonly number[],
  wrt: number,
  of: number,
  tolerance: { rtol: number; atol: number } = { rtol: 1e-5, atol: 1e-7 },
): void {
  const positional = (xs: readonly NDArray[]) => {
    const args: (NDArray | null)[] = [];
    slots.forEach((slot, k) => {
      while (args.length < slot) args.push(null);
      args[slot] = xs[k]!;
    });
    return args;
  };
  const copies = inputs.map((x) => array(x, { dtype: 'float64' }));
  const target = copies[wrt]!;
  const direction = array(
    Array.from({ length: target.size }, (_, i) => Math.cos(1.3 * i + 0.4)),
    { dtype: 'float64' },
  ).reshape(target.shape);
  const firstDerivative = (...xs: NDArray[]) => {
    const variable = xs[wrt]!;
    variable.attachGrad();
    const out = record(() => loss.forward(...positional(xs)));
    return grad(out, [variable])[0]!.mul(direction).sum();
  };
  const other = copies[of]!;
  target.attachGrad();
  if (of !== wrt) other.attachGrad();
  const analytic = record(() => {
    const out = loss.forward(...positional(copies));
    const [g] = grad(out, [target], { createGraph: true });
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

/** Loss values and gradients of `loss.forward(...inputs)` (every array input differentiated; numbers pass through). */
export function valueAndGradients(
  loss: Loss,
  inputs: readonly (NDArray | number | null)[],
): { loss: NDArray; grads: NDArray[] } {
  const variables = inputs
    .filter((x): x is NDArray => x !== null && typeof x !== 'number')
    .map((x) => x.attachGrad());
  const out = record(() => loss.forward(...inputs));
  return { loss: out, grads: grad(out, variables) };
}
