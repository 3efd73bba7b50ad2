/**
 * Assertions shared by the NDArray, op and autograd tests: elementwise closeness with NaN and
 * infinities compared exactly, and first- and second-order gradient checks against central finite
 * differences in float64.
 */
import assert from 'node:assert/strict';
import type { NDArray, NestedArray } from '../../src/ndarray/ndarray.js';
import { RandomGenerator, normal, uniform } from '../../src/ndarray/random.js';
import { checkGradient, checkSecondGradient } from '../../src/testing/gradcheck.js';

export interface CloseOptions {
  rtol?: number;
  atol?: number;
  message?: string;
}

function flatten(value: NestedArray | readonly NestedArray[] | ArrayLike<number>): number[] {
  if (typeof value === 'number') return [value];
  const out: number[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === 'number') out.push(v);
    else for (const item of Array.from(v as ArrayLike<unknown>)) visit(item);
  };
  visit(value);
  return out;
}

function shapeOf(value: NestedArray | readonly NestedArray[]): number[] {
  const shape: number[] = [];
  let cursor: unknown = value;
  while (Array.isArray(cursor)) {
    shape.push(cursor.length);
    cursor = cursor[0];
  }
  return shape;
}

function isArray(value: unknown): value is NDArray {
  return typeof value === 'object' && value !== null && 'shape' in value && 'data' in value;
}

/**
 * Asserts that `actual` matches `expected` elementwise within `atol + rtol·|expected|`; NaN must
 * meet NaN and infinities must match exactly. A nested-array expectation also fixes the shape.
 */
export function assertClose(
  actual: NDArray | NestedArray | ArrayLike<number>,
  expected: NDArray | NestedArray | readonly NestedArray[] | ArrayLike<number>,
  options: CloseOptions = {},
): void {
  const { rtol = 1e-6, atol = 1e-7, message = '' } = options;
  if (isArray(actual) && Array.isArray(expected)) {
    assert.deepEqual([...actual.shape], shapeOf(expected as NestedArray[]), `${message} shape`);
  }
  if (isArray(actual) && typeof expected === 'number') {
    assert.equal(actual.size, 1, `${message} expected one element, got shape [${actual.shape}]`);
  }
  if (isArray(actual) && isArray(expected)) {
    assert.deepEqual([...actual.shape], [...expected.shape], `${message} shape`);
  }
  const got = isArray(actual) ? Array.from(actual.data) : flatten(actual);
  const want = isArray(expected) ? Array.from(expected.data) : flatten(expected as NestedArray);
  assert.equal(got.length, want.length, `${message} element count`);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!;
    const e = want[i]!;
    const where = `${message} element ${i}: got ${a}, expected ${e}`;
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), where);
    else if (!Number.isFinite(e)) assert.equal(a, e, where);
    else assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), where);
  }
}

/** Options of the gradient assertions: tolerances plus the seed of the random head gradients. */
export interface GradientAssertOptions {
  rtol?: number;
  atol?: number;
  step?: number;
  seed?: number;
}

/**
 * Asserts that autograd's gradient of `Σ v·f(inputs)` (v random, seeded) matches central finite
 * differences in float64 for every float input.
 */
export function assertGradient(
  name: string,
  f: (...inputs: NDArray[]) => NDArray,
  inputs: readonly NDArray[],
  options: GradientAssertOptions = {},
): void {
  const generator = new RandomGenerator(options.seed ?? 7);
  const sample = f(...inputs);
  const headGrad = uniform(0.5, 1.5, [...sample.shape], { dtype: 'float64', generator });
  const result = checkGradient(f, inputs, { ...tolerances(options), headGrad });
  assert.ok(result.ok, `${name}: first derivative off by ${result.worst.toFixed(3)}× the tolerance`);
}

/**
 * Asserts that the gradient returned by `autograd.grad(…, {createGraph: true})`, differentiated
 * again by autograd, matches finite differences of that first gradient (random seeded weights on
 * both differentiations).
 */
export function assertSecondGradient(
  name: string,
  f: (...inputs: NDArray[]) => NDArray,
  inputs: readonly NDArray[],
  options: GradientAssertOptions = {},
): void {
  const generator = new RandomGenerator(options.seed ?? 11);
  const sample = f(...inputs);
  const headGrad = uniform(0.5, 1.5, [...sample.shape], { dtype: 'float64', generator });
  const floatCount = inputs.filter((x) => x.dtype !== 'int32').reduce((total, x) => total + x.size, 0);
  const gradHeadGrad = uniform(0.5, 1.5, [floatCount], { dtype: 'float64', generator });
  const result = checkSecondGradient(f, inputs, { ...tolerances(options), headGrad, gradHeadGrad });
  assert.ok(result.ok, `${name}: second derivative off by ${result.worst.toFixed(3)}× the tolerance`);
}

/** Both checks. */
export function assertGradients(
  name: string,
  f: (...inputs: NDArray[]) => NDArray,
  inputs: readonly NDArray[],
  options: GradientAssertOptions = {},
): void {
  assertGradient(name, f, inputs, options);
  assertSecondGradient(name, f, inputs, options);
}

function tolerances(options: GradientAssertOptions): { rtol?: number; atol?: number; step?: number } {
  return {
    ...(options.rtol !== undefined ? { rtol: options.rtol } : {}),
    ...(options.atol !== undefined ? { atol: options.atol } : {}),
    ...(options.step !== undefined ? { step: options.step } : {}),
  };
}

/** Seeded float64 normal draws (mean 0, sd `scale`). */
export function randn(shape: readonly number[], seed: number, scale = 1): NDArray {
  return normal(0, scale, [...shape], { dtype: 'float64', generator: new RandomGenerator(seed) });
}

/** Seeded float64 uniform draws in [low, high). */
export function randu(shape: readonly number[], seed: number, low: number, high: number): NDArray {
  return uniform(low, high, [...shape], { dtype: 'float64', generator: new RandomGenerator(seed) });
}

/** Seeded float64 draws with |x| in [low, high) and a random sign: keeps inputs away from kinks. */
export function awayFromZero(shape: readonly number[], seed: number, low = 0.2, high = 2): NDArray {
  const generator = new RandomGenerator(seed);
  const x = uniform(low, high, [...shape], { dtype: 'float64', generator });
  for (let i = 0; i < x.size; i++) if (generator.nextDouble() < 0.5) x.data[i] = -x.data[i]!;
  return x;
}

/** Asserts that `fn` throws `type` with a message containing every fragment. */
export function assertThrowsWith(
  fn: () => unknown,
  type: new (...args: never[]) => Error,
  ...fragments: string[]
): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    for (const fragment of fragments) {
      assert.ok(error.message.includes(fragment), `message "${error.message}" lacks "${fragment}"`);
    }
    return true;
  });
}
