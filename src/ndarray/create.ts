/**
 * Array creation: from nested arrays, typed arrays or numbers, and the constant and range makers.
 * @module
 */
import { allocate, type DType, dtypeOf, type TypedArray } from './dtype.js';
import { formatShape, ShapeError, ValueError } from './errors.js';
import { NDArray, type NestedArray } from './ndarray.js';
import { normalizeShape, sizeOf } from './shape.js';

/** Options accepted by the creation functions. */
export interface CreateOptions {
  /** Element type; float32 unless the source is a Float64Array or Int32Array. */
  dtype?: DType;
}

/** Anything `array()` accepts. */
export type ArrayInput = NDArray | NestedArray | readonly NestedArray[] | TypedArray | readonly number[];

function checkDType(dtype: DType, where: string): DType {
  if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') {
    throw new ValueError(`${where}: dtype must be 'float32', 'float64' or 'int32', got ${String(dtype)}`);
  }
  return dtype;
}

/**
 * The shape of nested input, read along the first element of each level (a loop, not recursion,
 * so deep nesting cannot overflow the stack). The rest is checked against it while flattening.
 */
function inferShape(value: unknown, where: string): number[] {
  const shape: number[] = [];
  let cursor = value;
  while (Array.isArray(cursor)) {
    shape.push(cursor.length);
    cursor = cursor[0];
  }
  if (cursor !== undefined && typeof cursor !== 'number' && typeof cursor !== 'boolean') {
    throw new ValueError(`${where}: elements must be numbers, got ${typeof cursor}`);
  }
  return shape;
}

function raggedError(
  where: string,
  shape: readonly number[],
  position: readonly number[],
  found: unknown,
): ShapeError {
  const what = Array.isArray(found) ? `an array of length ${found.length}` : `a ${typeof found}`;
  return new ShapeError(
    `${where}: nested input is ragged: the first elements give shape ${formatShape(shape)}, ` +
      `but element ${formatShape(position)} is ${what}`,
  );
}

/** The index of an element being checked: each parent's position already points one past it. */
function elementIndex(positions: readonly number[], depth: number, last: number): number[] {
  return [...positions.slice(0, depth).map((next) => next - 1), last];
}

/**
 * Copies nested input of the given shape into `out` in row-major order, checking every level.
 * The walk keeps its own stack of (array, next index) pairs instead of recursing, so input
 * nested 20,000 levels deep works like any other (JS recursion overflows around 10,000 frames).
 */
function flattenInto(source: unknown, shape: readonly number[], out: TypedArray, where: string): void {
  const rank = shape.length;
  if (!Array.isArray(source) || source.length !== shape[0]) throw raggedError(where, shape, [], source);
  const arrays: unknown[][] = [source];
  const positions: number[] = [0];
  let written = 0;
  while (arrays.length > 0) {
    const depth = arrays.length - 1;
    const current = arrays[depth]!;
    if (depth === rank - 1) {
      // The innermost level: copy the numbers in one loop, then return to the parent.
      for (let i = 0; i < current.length; i++) {
        const item = current[i];
        if (typeof item === 'number' || typeof item === 'boolean') out[written++] = Number(item);
        else if (Array.isArray(item))
          throw raggedError(where, shape, elementIndex(positions, depth, i), item);
        else
          throw new ValueError(
            `${where}: elements must be numbers, got ${typeof item} at ${formatShape(elementIndex(positions, depth, i))}`,
          );
      }
      arrays.pop();
      positions.pop();
      continue;
    }
    const position = positions[depth]!;
    if (position === current.length) {
      arrays.pop();
      positions.pop();
      continue;
    }
    const item = current[position];
    if (!Array.isArray(item) || item.length !== shape[depth + 1]) {
      throw raggedError(where, shape, elementIndex(positions, depth, position), item);
    }
    positions[depth] = position + 1;
    arrays.push(item);
    positions.push(0);
  }
}

/**
 * Makes an array from nested JS arrays, a typed array (1-D, copied), a number (0-d) or another
 * NDArray (copied). Defaults to float32, as `mx.nd.array` does. Nesting depth is not limited.
 */
export function array(source: ArrayInput, options: CreateOptions = {}): NDArray {
  const where = 'nd.array';
  if (source instanceof NDArray) {
    const dtype = checkDType(options.dtype ?? source.dtype, where);
    const data = allocate(dtype, source.size, where, source.shape);
    data.set(source.data);
    return new NDArray(data, source.shape);
  }
  if (ArrayBuffer.isView(source)) {
    const typed = source as TypedArray;
    const dtype = checkDType(options.dtype ?? dtypeOf(typed), where);
    const data = allocate(dtype, typed.length, where);
    data.set(typed);
    return new NDArray(data, [typed.length]);
  }
  const dtype = checkDType(options.dtype ?? 'float32', where);
  if (typeof source === 'number' || typeof source === 'boolean') {
    const data = allocate(dtype, 1, where);
    data[0] = Number(source);
    return new NDArray(data, []);
  }
  if (!Array.isArray(source)) {
    throw new ValueError(
      `${where}: source must be a number, nested arrays of numbers, a typed array or an NDArray, got ${typeof source}`,
    );
  }
  const shape = inferShape(source, where);
  const data = allocate(dtype, sizeOf(shape), where, shape);
  flattenInto(source, shape, data, where);
  return new NDArray(data, shape);
}

/** A filled array, with errors naming the public function `where`. */
function filled(
  shape: number | readonly number[],
  value: number,
  options: CreateOptions,
  where: string,
): NDArray {
  const dims = normalizeShape(shape, where);
  const data = allocate(checkDType(options.dtype ?? 'float32', where), sizeOf(dims), where, dims);
  if (value !== 0) data.fill(value);
  return new NDArray(data, dims);
}

/** An array of `shape` filled with `value`. */
export function full(shape: number | readonly number[], value: number, options: CreateOptions = {}): NDArray {
  return filled(shape, value, options, 'nd.full');
}

/** An array of `shape` filled with 0 (float32 unless `dtype` says otherwise). */
export function zeros(shape: number | readonly number[], options: CreateOptions = {}): NDArray {
  return filled(shape, 0, options, 'nd.zeros');
}

/** An array of `shape` filled with 1 (float32 unless `dtype` says otherwise). */
export function ones(shape: number | readonly number[], options: CreateOptions = {}): NDArray {
  return filled(shape, 1, options, 'nd.ones');
}

/** Zeros with the shape and dtype of `like`. */
export function zerosLike(like: NDArray): NDArray {
  return full(like.shape, 0, { dtype: like.dtype });
}

/** Ones with the shape and dtype of `like`. */
export function onesLike(like: NDArray): NDArray {
  return full(like.shape, 1, { dtype: like.dtype });
}

/** An array with the shape and dtype of `like`, filled with `value`. */
export function fullLike(like: NDArray, value: number): NDArray {
  return full(like.shape, value, { dtype: like.dtype });
}

/**
 * Evenly spaced values in [start, stop): `ceil((stop - start) / step)` of them, each computed as
 * `start + i * step` in the array's own precision, as MXNet's kernel does. In float32 that is
 * `f32(f32(start) + f32(i * f32(step)))`, so `arange(-5, 5, 0.1)` ends with 4.9000006, not 4.9.
 * With one argument the range is [0, start).
 */
export function arange(start: number, stop?: number, step = 1, options: CreateOptions = {}): NDArray {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (!Number.isFinite(start) || !Number.isFinite(stop) || !Number.isFinite(step) || step === 0) {
    throw new ValueError(
      `nd.arange: start ${start}, stop ${stop} and step ${step} must be finite, step non-zero`,
    );
  }
  const count = Math.max(0, Math.ceil((stop - start) / step));
  const dtype = checkDType(options.dtype ?? 'float32', 'nd.arange');
  const data = allocate(dtype, count, 'nd.arange', [count]);
  if (dtype === 'float32') {
    const first = Math.fround(start);
    const stride = Math.fround(step);
    for (let i = 0; i < count; i++) data[i] = first + Math.fround(i * stride);
  } else {
    for (let i = 0; i < count; i++) data[i] = start + i * step;
  }
  return new NDArray(data, [count]);
}

/** Converts an operand to an NDArray (nested arrays and typed arrays are copied). */
export function asArray(value: ArrayInput, dtype?: DType): NDArray {
  if (value instanceof NDArray) return value;
  return array(value, dtype ? { dtype } : {});
}
