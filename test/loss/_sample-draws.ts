/**
 * The drawing helpers of the contract suite's sample inputs (see _sample-inputs.ts): signed
 * magnitude bands, uniform values, residual and margin pairs, and the recipe type.
 */
import { allocate, type DType } from '../../src/ndarray/dtype.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, type RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { sizeOf } from '../../src/ndarray/shape.js';
import type { Loss } from '../../src/loss/index.js';

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

/** Positional inputs (sampleWeight excluded) for one call of a loss, or null. */
export type Inputs = (NDArray | null)[] | null;

/** A loss's recipe: its options (read from the loss object) shape the inputs. */
export type Recipe<L extends Loss = Loss> = (
  loss: L,
  generator: RandomGenerator,
  dtype: DType,
  extreme?: number,
) => Inputs;

/** Real-valued predictions and labels; with `extreme`, predictions of that magnitude. */
export function realPairs(_loss: Loss, generator: RandomGenerator, dtype: DType, extreme?: number): Inputs {
  const pred = normal(0, extreme ?? 1, [4, 3], { dtype, generator });
  const label = uniform(-1, 1, [4, 3], { dtype, generator });
  return [pred, label];
}

/** Logits (or predictions) of magnitude in [extreme/2, extreme), or in `ordinary` without extreme. */
export function band(ordinary: Band, extreme?: number): Band {
  return extreme === undefined ? ordinary : [0.5 * extreme, extreme];
}
