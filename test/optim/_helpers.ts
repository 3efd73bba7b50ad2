/** Shared helpers for the optimizer tests: float64 arrays and a closeness assertion. */
import assert from 'node:assert/strict';
import { NDArray } from '../../src/ndarray/ndarray.js';

/** A float64 vector, so updates are checked without float32 rounding. */
export function vector(values: readonly number[]): NDArray {
  return new NDArray(Float64Array.from(values), [values.length]);
}

/** Asserts |actual − expected| <= tolerance elementwise. */
export function assertCloseTo(
  actual: ArrayLike<number>,
  expected: readonly number[],
  tolerance = 1e-12,
  what = 'values',
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) <= tolerance,
      `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (tolerance ${tolerance})`,
    );
  }
}
