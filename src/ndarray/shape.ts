/**
 * Shape arithmetic shared by the ops: sizes, strides, numpy broadcasting and axis normalisation.
 * @module
 */
import { checkElementCount } from './dtype.js';
import { formatShape, ShapeError } from './errors.js';

/** Number of elements of an array of this shape (1 for a 0-d array). */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** Row-major strides, in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }
  return strides;
}

/** True when both shapes have the same dimensions. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Validates and normalises a shape given as a number or an array of non-negative integers whose
 * product is at most MAX_ELEMENTS; anything else is a ShapeError naming `where`.
 */
export function normalizeShape(shape: number | readonly number[], where: string): number[] {
  if (typeof shape !== 'number' && !Array.isArray(shape)) {
    throw new ShapeError(`${where}: shape must be a number or an array of numbers, got ${String(shape)}`);
  }
  const dims: number[] = typeof shape === 'number' ? [shape] : [...shape];
  dims.forEach((dim, axis) => {
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0) {
      throw new ShapeError(
        `${where}: shape ${formatShape(dims)} must hold non-negative integers; axis ${axis} is ${String(dim)}`,
      );
    }
  });
  checkElementCount(sizeOf(dims), where, dims);
  return dims;
}

/**
 * Broadcast shape of two operands (numpy rules), or a ShapeError naming `where` and the operands
 * (`names`, default `a` and `b`).
 */
export function broadcastShapes(
  a: readonly number[],
  b: readonly number[],
  where: string,
  names: readonly [string, string] = ['a', 'b'],
): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${where}: shapes of ${names[0]} ${formatShape(a)} and ${names[1]} ${formatShape(b)} do not broadcast ` +
          `(axis ${i - rank} has ${da} and ${db}; each must be equal or 1)`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Maps a possibly negative axis into [0, rank), or throws a ShapeError naming `where` and `argument`. */
export function normalizeAxis(axis: number, rank: number, where: string, argument = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 0) || (rank === 0 && axis !== 0)) {
    throw new ShapeError(`${where}: ${argument} ${axis} is out of range for an array of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalises `axis` (undefined = all axes) into a sorted list of distinct axes. */
export function normalizeAxes(
  axis: number | readonly number[] | undefined | null,
  rank: number,
  where: string,
): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  const axes = list.map((a) => normalizeAxis(a, rank, where));
  if (new Set(axes).size !== axes.length) {
    throw new ShapeError(`${where}: axis ${JSON.stringify(list)} repeats an axis`);
  }
  return axes.sort((x, y) => x - y);
}

/**
 * Axes along which `inShape` was broadcast to reach `outShape`: the axes a gradient of shape
 * `outShape` must be summed over to get back to `inShape`.
 */
export function reductionAxes(inShape: readonly number[], outShape: readonly number[]): number[] {
  const axes: number[] = [];
  const offset = outShape.length - inShape.length;
  for (let i = 0; i < outShape.length; i++) {
    const dimIn = i < offset ? 1 : inShape[i - offset]!;
    if (dimIn === 1 && (outShape[i] !== 1 || i < offset)) axes.push(i);
  }
  return axes;
}

/** Strides of `shape` viewed inside the broadcast `outShape` (0 along broadcast axes). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, i) => (i < offset || shape[i - offset] === 1 ? 0 : own[i - offset]!));
}
