/**
 * Helpers of the gloss-ml/kernels tests: seeded inputs, the class's recorded path, and the
 * comparison (the same numbers, float32 included).
 */
import assert from 'node:assert/strict';
import { record } from '../../src/autograd/index.js';
import type { Loss } from '../../src/loss/index.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import type { FloatArray } from '../../src/typed/index.js';

/** `count` seeded values in [low, high) in an array of `Type`. */
export function values(
  Type: typeof Float32Array | typeof Float64Array,
  count: number,
  seed: number,
  low = -2,
  high = 2,
): FloatArray {
  const generator = new RandomGenerator(seed);
  const out = new Type(count);
  for (let i = 0; i < count; i++) out[i] = low + (high - low) * generator.nextDouble();
  return out;
}

/**
 * The class's path: `record(() => loss.forward(pred, …inputs, sampleWeight))`, `backward()`; the
 * per-sample losses and d(Σ loss)/d pred. `inputs` follow pred in the loss's positional order.
 */
export function classPath(
  loss: Loss,
  pred: FloatArray,
  predShape: readonly number[],
  inputs: readonly (NDArray | null)[],
  sampleWeight: Float64Array | null,
): { loss: number[]; gradient: number[] } {
  const variable = new NDArray(pred.slice(), predShape).attachGrad();
  const all: (NDArray | null)[] = [variable, ...inputs];
  if (sampleWeight) {
    while (all.length < loss.sampleWeightIndex) all.push(null);
    // float64, as the kernels read the numbers they are given (not rounded to pred's type)
    all[loss.sampleWeightIndex] = new NDArray(sampleWeight, [sampleWeight.length]);
  }
  const out = record(() => loss.forward(...all));
  out.backward();
  return { loss: Array.from(out.data), gradient: Array.from(variable.grad!.data) };
}

/**
 * The same numbers, float32 included: the typed call runs the class's own code on the same
 * arrays, so not even the rounding may differ (stronger than the ulp or two the brief allows).
 */
export function assertMatches(actual: FloatArray, expected: readonly number[], what: string): void {
  const values = Array.from(actual);
  if (firstDifference(values, expected) >= 0) assert.deepEqual(values, expected, what);
}

/**
 * The first index where `actual` and `expected` differ, bit for bit except that +0 and −0 count as
 * the same number (0 for different lengths), or −1. A sample of weight 0 gets the label entry
 * s · (p − 1) from the wasm kernel as s·p − s = +0 on one path and as s · expm1(…) = −0 on the
 * other, depending on where the gradient lives (in place in an arena region or not).
 */
export function firstDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    if (!(Object.is(a, b) || (a === 0 && b === 0))) return i;
  }
  return -1;
}

/**
 * Calls `kernel(args)` twice into the same arrays and asserts both times that `args.loss` and
 * `args.gradient` hold `expected` (see assertMatches): the second call proves nothing is carried
 * over from the first (the gradient is poisoned with NaN in between).
 */
export function assertKernelMatches<A extends { readonly loss: FloatArray; readonly gradient: FloatArray }>(
  kernel: (args: A) => void,
  args: A,
  expected: { loss: readonly number[]; gradient: readonly number[] },
): void {
  kernel(args);
  assertMatches(args.loss, expected.loss, 'per-sample loss');
  assertMatches(args.gradient, expected.gradient, 'gradient');
  // A second call on the same kernel (its kept per-sample arrays hold the first call's values).
  args.gradient.fill(Number.NaN);
  args.loss.fill(Number.NaN);
  kernel(args);
  assertMatches(args.loss, expected.loss, 'per-sample loss, second call');
  assertMatches(args.gradient, expected.gradient, 'gradient, second call');
}
