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

function flattenInto(
  value: unknown,
  shape: readonly number[],
  depth: number,
  out: TypedArray,
  offset: { i: number },
  where: string,
): void {
  if (depth === shape.length) {
    if (typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ShapeError(`${where}: nested input is ragged (expected shape ${formatShape(shape)})`);
    }
    out[offset.i++] = Number(value);
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[depth]) {
    throw new ShapeError(`${where}: nested input is ragged (expected shape ${formatShape(shape)})`);
  }
  for (const item of value) flattenInto(item, shape, depth + 1, out, offset, where);
}

/**
 * Makes an array from nested JS arrays, a typed array (1-D, copied), a number (0-d) or another
 * NDArray (copied). Defaults to float32, as `mx.nd.array` does.
 */
export function array(source: ArrayInput, options: CreateOptions = {}): NDArray {
  const where = 'nd.array';
  if (source instanceof NDArray) {
    const dtype = checkDType(options.dtype ?? source.dtype, where);
    const data = allocate(dtype, source.size);
    data.set(source.data);
    return new NDArray(data, source.shape);
  }
  if (ArrayBuffer.isView(source)) {
    const typed = source as TypedArray;
    const dtype = checkDType(options.dtype ?? dtypeOf(typed), where);
    const data = allocate(dtype, typed.length);
    data.set(typed);
    return new NDArray(data, [typed.length]);
  }
  const dtype = checkDType(options.dtype ?? 'float32', where);
  if (typeof source === 'number' || typeof source === 'boolean') {
    const data = allocate(dtype, 1);
    data[0] = Number(source);
    return new NDArray(data, []);
  }
  const shape = inferShape(source, where);
  const data = allocate(dtype, sizeOf(shape));
  flattenInto(source, shape, 0, data, { i: 0 }, where);
  return new NDArray(data, shape);
}

/** An array of `shape` filled with `value`. */
export function full(shape: number | readonly number[], value: number, options: CreateOptions = {}): NDArray {
  const dims = normalizeShape(shape, 'nd.full');
  const data = allocate(checkDType(options.dtype ?? 'float32', 'nd.full'), sizeOf(dims));
  if (value !== 0) data.fill(value);
  return new NDArray(data, dims);
}

/** An array of `shape` filled with 0 (float32 unless `dtype` says otherwise). */
export function zeros(shape: number | readonly number[], options: CreateOptions = {}): NDArray {
  return full(shape, 0, options);
}

/** An array of `shape` filled with 1 (float32 unless `dtype` says otherwise). */
export function ones(shape: number | readonly number[], options: CreateOptions = {}): NDArray {
  return full(shape, 1, options);
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
  const data = allocate(dtype, count);
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
