/**
 * Argument checks shared by the kernel wrappers: a kernel reads or writes `count` elements of
 * an array from `offset` on, and a span that runs off the array would otherwise be clamped
 * silently by `subarray` or fail deep inside `set`.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { ValueError } from '../ndarray/errors.js';

/** Arrays of floats a kernel reads or writes. */
export type FloatArray = Float32Array | Float64Array;

/** Whether `data` is an array the kernels take (float32 or float64; not int32 and the like). */
export function isFloatArray(data: ArrayBufferView): data is FloatArray {
  return data instanceof Float32Array || data instanceof Float64Array;
}

/**
 * `data` as the float array it must be: a loss's prepare converted every input to float and
 * gradients take their input's dtype, so anything else is a bug in `where`, not bad input.
 */
export function floatData(where: string, data: TypedArray): FloatArray {
  if (!isFloatArray(data))
    throw new TypeError(`${where}: kernels read float arrays; prepare converts inputs to float`);
  return data;
}

/** Throws a ValueError unless `array[offset … offset + count)` exists and the numbers are integers ≥ 0. */
export function checkSpan(
  where: string,
  name: string,
  array: { readonly length: number },
  offset: number,
  count: number,
): void {
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(count) ||
    offset < 0 ||
    count < 0 ||
    offset + count > array.length
  ) {
    throw new ValueError(
      `${where}: ${name} needs elements [${offset}, ${offset + count}) but has length ${array.length}`,
    );
  }
}

/** Throws a ValueError unless `array` (a view a kernel reads or writes whole) has `length` elements. */
export function checkLength(
  where: string,
  name: string,
  array: { readonly length: number },
  length: number,
): void {
  if (array.length !== length)
    throw new ValueError(`${where}: ${name} must have ${length} elements, got ${array.length}`);
}

/** Throws a ValueError unless `value` is an integer ≥ 0. */
export function checkCount(where: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new ValueError(`${where}: ${name} must be an integer >= 0, got ${String(value)}`);
  }
}

/** Whether two views share a byte of memory (the same buffer, overlapping byte ranges, neither empty). */
export function viewsOverlap(first: ArrayBufferView, second: ArrayBufferView): boolean {
  return (
    first.buffer === second.buffer &&
    first.byteLength > 0 &&
    second.byteLength > 0 &&
    first.byteOffset < second.byteOffset + second.byteLength &&
    second.byteOffset < first.byteOffset + first.byteLength
  );
}
