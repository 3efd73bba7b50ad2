/**
 * Helpers of the gloss-ml/kernels tests: seeded inputs, the class's recorded path, and the
 * comparison (float64 exactly, float32 within two ulps).
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
    const weights = pred instanceof Float32Array ? Float32Array.from(sampleWeight) : sampleWeight;
    all[loss.sampleWeightIndex] = new NDArray(weights, [sampleWeight.length]);
  }
  const out = record(() => loss.forward(...all));
  out.backward();
  return { loss: Array.from(out.data), gradient: Array.from(variable.grad!.data) };
}

/** The spacing of float32 numbers at |x| (the smallest subnormal step below the normal range). */
function ulp32(x: number): number {
  const exponent = x === 0 ? -126 : Math.max(Math.floor(Math.log2(Math.abs(x))), -126);
  return 2 ** (exponent - 23);
}

/** float64: the same numbers; float32: each within two ulps (at the expected value). */
export function assertMatches(actual: FloatArray, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  if (actual instanceof Float64Array) {
    assert.deepEqual(Array.from(actual), expected, what);
    return;
  }
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = Object.is(a, e) || Math.abs(a - e) <= 2 * ulp32(e);
    assert.ok(ok, `${what}[${i}]: got ${a}, expected ${e}`);
  }
}
