/**
 * What a loss call starts from: the inputs a loss accepts, their conversion to NDArrays, and
 * `Prepared`, what a loss's `prepare` hands to its kernels.
 * @module
 */
import { asArray, array as makeArray } from '../../ndarray/create.js';
import { type DType, isFloat, type TypedArray } from '../../ndarray/dtype.js';
import { ShapeError, ValueError } from '../../ndarray/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';

/** Anything a loss accepts as an input: an NDArray, nested JS arrays, a typed array or a number. */
export type LossInput = NDArray | number | readonly unknown[] | TypedArray;

/** What a loss's `prepare` step hands to its kernels. */
export interface Prepared<Extra = unknown> {
  /**
   * The differentiable (or discrete) arrays the kernels read, in a fixed order chosen by the loss.
   * Gradients are reported for float arrays that need them.
   */
  readonly arrays: readonly NDArray[];
  /**
   * For each entry of `arrays`, the position of the user's positional input it came from (so
   * gradients can be reshaped back), or -1 for an internal array.
   */
  readonly sources: readonly number[];
  /** Shape of the unreduced loss ℓ. */
  readonly lossShape: readonly number[];
  /** Batch axis of ℓ, already normalised against `lossShape`. */
  readonly batchAxis: number;
  /** Scalars and other per-call settings the kernels need (e.g. Poisson's epsilon). */
  readonly extra?: Extra | undefined;
  /**
   * Axes of `lossShape` the loss has already reduced to length 1 (SoftmaxCE's class axis):
   * `reduction: 'none'` leaves them out of its result.
   */
  readonly squeezedAxes?: readonly number[] | undefined;
}

/**
 * `prepared` as an object of one hidden class whatever the loss (every property present, in one
 * order), so the pipelines' and kernels' reads of it stay monomorphic when many losses run in one
 * process; each loss's `prepare` builds its literal its own way.
 */
export function uniformPrepared<Extra>(prepared: Prepared<Extra>): Prepared<Extra> {
  return {
    arrays: prepared.arrays,
    sources: prepared.sources,
    lossShape: prepared.lossShape,
    batchAxis: prepared.batchAxis,
    extra: prepared.extra,
    squeezedAxes: prepared.squeezedAxes,
  };
}

/** The floats-of-input dtype for converting nested-array inputs. */
function floatDType(reference: NDArray | null): DType {
  return reference && isFloat(reference.dtype) ? reference.dtype : 'float32';
}

/**
 * A call's positional inputs as NDArrays (null where an optional one is not given): nested arrays
 * and numbers become arrays of the first input's float dtype (float32 if it has none), typed
 * arrays are wrapped; anything else, too many inputs or a missing required one is a ValueError
 * naming the loss (`where`) and the input.
 */
export function convertInputs(
  where: string,
  names: readonly string[],
  requiredInputs: number,
  raw: readonly (LossInput | null | undefined)[],
): (NDArray | null)[] {
  if (raw.length > names.length) {
    throw new ValueError(
      `${where}: takes at most ${names.length} inputs (${names.join(', ')}), got ${raw.length}`,
    );
  }
  const first = raw[0] instanceof NDArray ? raw[0] : null;
  // A plain loop (no closure per call); every input name gets a slot, null where not given.
  const converted: (NDArray | null)[] = [];
  for (let i = 0; i < names.length; i++)
    converted.push(convertInput(where, names[i]!, i < requiredInputs, raw[i], first));
  return converted;
}

/** One positional input as an NDArray (null when optional and not given), or a typed error. */
function convertInput(
  where: string,
  name: string,
  required: boolean,
  value: LossInput | null | undefined,
  first: NDArray | null,
): NDArray | null {
  if (value === undefined || value === null) {
    if (required) throw new ValueError(`${where}: input ${name} is required`);
    return null;
  }
  if (value instanceof NDArray) return value;
  if (typeof value !== 'number' && !Array.isArray(value) && !ArrayBuffer.isView(value)) {
    throw new ValueError(`${where}: input ${name} must be an NDArray, nested array, typed array or number`);
  }
  if (ArrayBuffer.isView(value)) return asArray(value as TypedArray);
  try {
    return makeArray(value as number, { dtype: floatDType(first) });
  } catch (error) {
    // Name the loss and the input: nd.array's own message names neither.
    if (error instanceof ShapeError || error instanceof ValueError) {
      const Type = error.constructor as new (message: string) => Error;
      throw new Type(`${where}: input ${name}: ${error.message}`);
    }
    throw error;
  }
}
