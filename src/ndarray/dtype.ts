import { formatShape, ShapeError } from './errors.js';
import { carveSmallArray, isCarved } from './small-arrays.js';

/** Element types an NDArray can hold. float32 is the default, as in MXNet. */
export type DType = 'float32' | 'float64' | 'int32';

/** The typed array backing an NDArray of each dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array;

/** Every supported dtype. */
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

/**
 * The most elements one array may hold: 2^31 - 1. Positions are stored in int32 arrays (argmax,
 * pick and one-hot indices), so a larger array could not be indexed; engines also refuse typed
 * arrays much past this length.
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };

/**
 * Throws a ShapeError naming `where` and `shape` unless `size` is a whole number of elements in
 * [0, MAX_ELEMENTS]. Shapes are multiplied in doubles, so an impossible shape shows up here as a
 * huge (or infinite) size rather than wrapping around.
 */
export function checkElementCount(size: number, where: string, shape?: readonly number[]): void {
  if (size > MAX_ELEMENTS) {
    throw new ShapeError(
      `${where}: shape ${formatShape(shape ?? [size])} needs ${size} elements, more than the limit of ` +
        `${MAX_ELEMENTS} (2^31 - 1) elements per array`,
    );
  }
  if (!Number.isInteger(size) || size < 0) {
    throw new ShapeError(
      `${where}: shape ${formatShape(shape ?? [size])} gives ${size} elements; an array needs a whole number >= 0`,
    );
  }
}

/**
 * A zero-filled typed array of `size` elements for `dtype`: the one place arrays get their memory.
 * One of 65 to 1,024 bytes is a view on a block shared with other small arrays (see
 * small-arrays.ts): its `buffer` is not its own.
 * An impossible size, or one the engine cannot allocate, is a ShapeError naming `where` (the
 * function or op that asked) and `shape` (default `[size]`) instead of the engine's RangeError.
 */
export function allocate(
  dtype: DType,
  size: number,
  where = 'allocate',
  shape?: readonly number[],
): TypedArray {
  // (No default `[size]` for shape: it would be a new array on every call; only errors read it.)
  checkElementCount(size, where, shape);
  // Between V8's on-heap limit and 1 KiB an own backing store costs more than the array's use.
  const bytes = size * BYTES_PER_ELEMENT[dtype];
  if (isCarved(bytes)) return carveSmallArray(dtype, size, bytes);
  try {
    switch (dtype) {
      case 'float32':
        return new Float32Array(size);
      case 'float64':
        return new Float64Array(size);
      case 'int32':
        return new Int32Array(size);
    }
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ShapeError(
      `${where}: cannot allocate ${size} ${dtype} elements (${size * BYTES_PER_ELEMENT[dtype]} bytes) ` +
        `for shape ${formatShape(shape ?? [size])}: ${error.message}`,
    );
  }
}

/** The dtype stored in a typed array. */
export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'int32';
}

/** True for float32 and float64. */
export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}

/** numpy-style promotion between two array dtypes. */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  return 'float32';
}

/** The dtype a floating-point op produces from an input of `dtype` (int32 becomes float32). */
export function floatOf(dtype: DType): DType {
  return dtype === 'int32' ? 'float32' : dtype;
}
