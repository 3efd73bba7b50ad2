/**
 * Helpers of the fuzz tests that compare a loss's calls with each other (live calls side by side,
 * a call split across kernel threads): one recorded call and its backward, and the first
 * difference between two calls' results, bit for bit.
 */
import { record } from '../../src/autograd/index.js';
import type { Loss } from '../../src/loss/_base/index.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { firstDifference } from '../typed/_compare.js';
import { build, variablesOf } from './_compare.js';
import type { FuzzCase, InputSpec } from './generators/index.js';

export type LossClass = new (options: object) => Loss;

/** One call's results: ℓ and the gradient of each differentiated input, or the error it threw. */
export type Result = { readonly loss: ArrayLike<number>; readonly grads: ArrayLike<number>[] } | Error;

/** The case's inputs with its prediction times `factor` (a new array each time). */
export function inputsOf(specs: readonly (InputSpec | null)[], factor: number): (NDArray | number | null)[] {
  const inputs = build(specs);
  const pred = inputs[0];
  if (pred instanceof NDArray && factor !== 1)
    inputs[0] = new NDArray(pred.data.map((v) => v * factor) as typeof pred.data, pred.shape);
  return inputs;
}

/** Marks the variables and returns them. */
export function attach(inputs: (NDArray | number | null)[], variables: readonly number[]): NDArray[] {
  return variables.map((i) => (inputs[i] as NDArray).attachGrad());
}

/** Copies of the variables' gradients (the memory behind `.grad` may be written again later). */
export const gradsOf = (variables: readonly NDArray[]) =>
  variables.map((v) => (v.grad ? Float64Array.from(v.grad.data) : new Float64Array(0)));

/** A call alone on a fresh loss object: recorded, then its backward. */
export function alone(make: LossClass, c: FuzzCase, factor: number): Result {
  const inputs = inputsOf(c.inputs, factor);
  const variables = attach(inputs, variablesOf(c));
  try {
    const out = record(() => new make(c.options).forward(...inputs));
    if (variables.length > 0) out.backward();
    return { loss: Float64Array.from(out.data), grads: gradsOf(variables) };
  } catch (error) {
    return error as Error;
  }
}

/**
 * Null when `actual` is `expected` bit for bit (or both threw the same error); else what differs,
 * with `how` naming the two calls (`{ actual: 'split across threads', expected: 'on one thread' }`).
 */
export function difference(
  what: string,
  actual: Result,
  expected: Result,
  how: { readonly actual: string; readonly expected: string },
): string | null {
  if (expected instanceof Error || actual instanceof Error) {
    if (expected instanceof Error && actual instanceof Error && expected.message === actual.message)
      return null;
    const describe = (r: Result) => (r instanceof Error ? `threw ${r.message}` : 'returned');
    return `${what}: ${how.expected} it ${describe(expected)}, ${how.actual} it ${describe(actual)}`;
  }
  const lossAt = firstDifference(actual.loss, expected.loss);
  if (lossAt >= 0)
    return `${what}: loss[${lossAt}] ${actual.loss[lossAt]} ${how.actual}, ${expected.loss[lossAt]} ${how.expected}`;
  for (let k = 0; k < expected.grads.length; k++) {
    const at = firstDifference(actual.grads[k]!, expected.grads[k]!);
    if (at >= 0)
      return `${what}: gradient ${k} [${at}] ${actual.grads[k]![at]} ${how.actual}, ${expected.grads[k]![at]} ${how.expected}`;
  }
  return null;
}
