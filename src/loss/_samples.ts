/**
 * Random inputs for the contract suite shared by several elementwise losses: values placed away from
 * each loss's kinks, or at an extreme magnitude for the stability checks.
 * @module
 */
import { allocate, type DType } from '../ndarray/dtype.js';
import { NDArray } from '../ndarray/ndarray.js';
import type { RandomGenerator } from '../ndarray/random.js';
import { sizeOf } from '../ndarray/shape.js';

/** A half-open range [low, high) of magnitudes. */
export type Band = readonly [low: number, high: number];

/** Magnitudes drawn from `bands` (each element picks a band at random), with random signs. */
export function signedBandValues(
  generator: RandomGenerator,
  size: number,
  bands: readonly Band[],
): Float64Array {
  const values = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const [low, high] = bands[generator.nextInt(0, bands.length)]!;
    const magnitude = low + (high - low) * generator.nextDouble();
    values[i] = generator.nextDouble() < 0.5 ? -magnitude : magnitude;
  }
  return values;
}

/** Uniform values in [low, high). */
export function uniformValues(
  generator: RandomGenerator,
  size: number,
  low: number,
  high: number,
): Float64Array {
  const values = new Float64Array(size);
  for (let i = 0; i < size; i++) values[i] = low + (high - low) * generator.nextDouble();
  return values;
}

/** Wraps float64 values as an array of `dtype` (rounding on store). */
export function toNDArray(values: Float64Array, shape: readonly number[], dtype: DType): NDArray {
  const data = allocate(dtype, values.length);
  data.set(values);
  return new NDArray(data, shape);
}

/**
 * `pred` and `label` whose residuals `label − pred` have magnitudes drawn from `bands` with random
 * signs (so no residual sits on a kink); with `extreme`, `pred` has magnitude in
 * [extreme/2, extreme) and `label` lies in [-1, 1).
 */
export function residualInputs(
  generator: RandomGenerator,
  dtype: DType,
  shape: readonly number[],
  bands: readonly Band[],
  extreme?: number,
): NDArray[] {
  const size = sizeOf(shape);
  if (extreme !== undefined) {
    const pred = signedBandValues(generator, size, [[0.5 * extreme, extreme]]);
    return [toNDArray(pred, shape, dtype), toNDArray(uniformValues(generator, size, -1, 1), shape, dtype)];
  }
  const pred = uniformValues(generator, size, -2, 2);
  const residual = signedBandValues(generator, size, bands);
  // Round pred first so that the residual is measured against the stored prediction.
  const stored = toNDArray(pred, shape, dtype);
  const label = new Float64Array(size);
  for (let i = 0; i < size; i++) label[i] = stored.data[i]! + residual[i]!;
  return [stored, toNDArray(label, shape, dtype)];
}

/**
 * `pred` and ±1 `label` for the margin losses, with `margin − pred · label` of magnitude in
 * [0.1, 1) and random sign (never on the hinge); with `extreme`, `pred` has magnitude in
 * [extreme/2, extreme).
 */
export function marginInputs(
  generator: RandomGenerator,
  dtype: DType,
  shape: readonly number[],
  margin: number,
  extreme?: number,
): NDArray[] {
  const size = sizeOf(shape);
  const label = signedBandValues(generator, size, [[1, 1]]);
  const pred =
    extreme !== undefined
      ? signedBandValues(generator, size, [[0.5 * extreme, extreme]])
      : signedBandValues(generator, size, [[0.1, 1]]);
  if (extreme === undefined) {
    // pred = label · (margin − gap) puts margin − pred · label at the drawn gap.
    for (let i = 0; i < size; i++) pred[i] = label[i]! * (margin - pred[i]!);
  }
  return [toNDArray(pred, shape, dtype), toNDArray(label, shape, dtype)];
}
