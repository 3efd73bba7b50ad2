/**
 * Shape and data movement: reshape, transpose, broadcast, slice, concat, stack, pick and oneHot.
 * Arrays are always contiguous: everything but reshape copies.
 * @module
 */
import { allocate, type DType, type TypedArray } from '../ndarray/dtype.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { asArray } from '../ndarray/create.js';
import {
  broadcastShapes,
  normalizeAxis,
  normalizeShape,
  sameShape,
  sizeOf,
  stridesOf,
} from '../ndarray/shape.js';
import { coalesce, forEachRow } from './_kernels.js';
import { defineOp, type Op } from './_define.js';
import { sumToShape } from './elementwise.js';

/** Where one side of a {@link stridedCopy} lives: its data, the first element's index and the strides. */
interface StridedView {
  readonly data: TypedArray;
  readonly offset: number;
  readonly strides: readonly number[];
}

/**
 * Copies the elements of `shape` from `source` to `out`, each side read or written at its own
 * strides. Transpose and slice read strided and write contiguously; padSlice (slice's adjoint)
 * reads contiguously and writes strided. Axes along which both sides are contiguous are merged,
 * then the last merged axis is walked as a run per row.
 */
function stridedCopy(shape: readonly number[], source: StridedView, out: StridedView): void {
  const size = sizeOf(shape);
  if (size === 0) return;
  const merged = coalesce(shape, [source.strides, out.strides]);
  const dims = merged.shape;
  const from = merged.strides[0]!;
  const to = merged.strides[1]!;
  const rank = dims.length;
  const input = source.data;
  const output = out.data;
  if (rank === 0) {
    output[out.offset] = input[source.offset]!;
    return;
  }
  const rowLength = dims[rank - 1]!;
  const fromStep = from[rank - 1]!;
  const toStep = to[rank - 1]!;
  const counter = new Array<number>(rank).fill(0);
  let fromRow = source.offset;
  let toRow = out.offset;
  for (let row = 0; row < size / rowLength; row++) {
    for (let j = 0, i = fromRow, k = toRow; j < rowLength; j++, i += fromStep, k += toStep) {
      output[k] = input[i]!;
    }
    for (let axis = rank - 2; axis >= 0; axis--) {
      counter[axis]!++;
      fromRow += from[axis]!;
      toRow += to[axis]!;
      if (counter[axis]! < dims[axis]!) break;
      fromRow -= from[axis]! * dims[axis]!;
      toRow -= to[axis]! * dims[axis]!;
      counter[axis] = 0;
    }
  }
}

// ---- reshape --------------------------------------------------------------------------------

function resolveShape(x: NDArray, shape: readonly number[]): number[] {
  const dims = [...shape];
  const unknown = dims.indexOf(-1);
  if (dims.some((d, i) => !Number.isInteger(d) || d < -1 || (d === -1 && i !== unknown))) {
    throw new ShapeError(`reshape: shape ${formatShape(shape)} may hold non-negative integers and one -1`);
  }
  if (unknown >= 0) {
    const known = dims.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError(
        `reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`,
      );
    }
    dims[unknown] = x.size / known;
  }
  if (sizeOf(dims) !== x.size) {
    throw new ShapeError(
      `reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`,
    );
  }
  return dims;
}

const reshapeOp = defineOp<number[]>({
  name: 'reshape',
  forward: ([x], shape) => new NDArray(x!.data, shape),
  backward: ({ inputs: [x], gradOutput }) => [reshape(gradOutput, [...x!.shape])],
});

/** Same elements, new shape (one entry may be -1). Shares the data buffer, like MXNet's reshape. */
export function reshape(x: NDArray, shape: readonly number[]): NDArray {
  const dims = resolveShape(x, shape);
  if (sameShape(dims, x.shape)) return x;
  return reshapeOp([x], dims);
}

/** Inserts a size-1 axis at `axis` (which may be negative: -1 appends). Shares the data. */
export function expandDims(x: NDArray, axis: number): NDArray {
  const position = normalizeAxis(axis, x.ndim + 1, 'expandDims');
  const shape = [...x.shape];
  shape.splice(position, 0, 1);
  return reshape(x, shape);
}

/** Removes size-1 axes: all of them, or those named by `axis` (which must have size 1). */
export function squeeze(x: NDArray, axis?: number | readonly number[]): NDArray {
  const axes =
    axis === undefined
      ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      : (typeof axis === 'number' ? [axis] : axis).map((a) => normalizeAxis(a, x.ndim, 'squeeze'));
  for (const a of axes) {
    if (x.shape[a] !== 1)
      throw new ShapeError(`squeeze: axis ${a} of ${formatShape(x.shape)} has size ${x.shape[a]}, not 1`);
  }
  return reshape(
    x,
    x.shape.filter((_, i) => !axes.includes(i)),
  );
}

// ---- transpose ------------------------------------------------------------------------------

const transposeOp: Op<number[]> = defineOp<number[]>({
  name: 'transpose',
  forward: ([x], axes) => {
    const shape = axes.map((a) => x!.shape[a]!);
    const own = stridesOf(x!.shape);
    const out = new NDArray(allocate(x!.dtype, x!.size), shape);
    stridedCopy(
      shape,
      { data: x!.data, offset: 0, strides: axes.map((a) => own[a]!) },
      { data: out.data, offset: 0, strides: stridesOf(shape) },
    );
    return out;
  },
  backward: ({ attrs: axes, gradOutput }) => {
    const inverse = new Array<number>(axes.length);
    axes.forEach((a, i) => {
      inverse[a] = i;
    });
    return [transposeOp([gradOutput], inverse)];
  },
});

/** Permutes the axes (reverses them by default). */
export function transpose(x: NDArray, axes?: readonly number[]): NDArray {
  const order = axes
    ? axes.map((a) => normalizeAxis(a, x.ndim, 'transpose', 'axes'))
    : x.shape.map((_, i) => x.ndim - 1 - i);
  if (order.length !== x.ndim || new Set(order).size !== x.ndim) {
    throw new ShapeError(`transpose: axes ${JSON.stringify(axes)} are not a permutation of ${x.ndim} axes`);
  }
  return transposeOp([x], order);
}

// ---- broadcastTo ----------------------------------------------------------------------------

const broadcastOp = defineOp<number[]>({
  name: 'broadcastTo',
  forward: ([x], shape) => {
    const out = new NDArray(allocate(x!.dtype, sizeOf(shape)), shape);
    const source = x!.data;
    const target = out.data;
    forEachRow(shape, [x!.shape], (offsets, outOffset, length, steps) => {
      let i = offsets[0]!;
      for (let k = outOffset; k < outOffset + length; k++, i += steps[0]!) target[k] = source[i]!;
    });
    return out;
  },
  backward: ({ inputs: [x], gradOutput }) => [sumToShape(gradOutput, x!.shape)],
});

/** Repeats size-1 (or missing leading) axes to reach `shape`. */
export function broadcastTo(x: NDArray, shape: readonly number[]): NDArray {
  normalizeShape(shape, 'broadcastTo');
  const target = broadcastShapes(x.shape, shape, 'broadcastTo', ['x', 'shape']);
  if (!sameShape(target, shape)) {
    throw new ShapeError(`broadcastTo: cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`);
  }
  if (sameShape(x.shape, shape)) return x;
  return broadcastOp([x], [...shape]);
}

// ---- slice ----------------------------------------------------------------------------------

interface SliceAttrs {
  begin: number[];
  shape: number[];
}

const sliceOp: Op<SliceAttrs> = defineOp<SliceAttrs>({
  name: 'slice',
  forward: ([x], { begin, shape }) => {
    const strides = stridesOf(x!.shape);
    const offset = begin.reduce((p, b, i) => p + b * strides[i]!, 0);
    const out = new NDArray(allocate(x!.dtype, sizeOf(shape)), shape);
    stridedCopy(
      shape,
      { data: x!.data, offset, strides },
      { data: out.data, offset: 0, strides: stridesOf(shape) },
    );
    return out;
  },
  backward: ({ inputs: [x], attrs, gradOutput }) => [
    padSliceOp([gradOutput], { ...attrs, shape: [...x!.shape] }),
  ],
});

/** Writes the gradient of a slice back into zeros of the input's shape (the adjoint of slice). */
const padSliceOp: Op<SliceAttrs> = defineOp<SliceAttrs>({
  name: 'padSlice',
  forward: ([g], { begin, shape }) => {
    const out = new NDArray(allocate(g!.dtype, sizeOf(shape)), shape);
    const strides = stridesOf(shape);
    const offset = begin.reduce((p, b, i) => p + b * strides[i]!, 0);
    stridedCopy(
      g!.shape,
      { data: g!.data, offset: 0, strides: stridesOf(g!.shape) },
      { data: out.data, offset, strides },
    );
    return out;
  },
  backward: ({ inputs: [g], attrs, gradOutput }) => [
    sliceOp([gradOutput], { begin: attrs.begin, shape: [...g!.shape] }),
  ],
});

/**
 * Elements with `begin[i] <= index < end[i]` along each axis; null means the whole axis and
 * negative values count from the end. Missing trailing axes are taken whole.
 */
export function slice(
  x: NDArray,
  begin: readonly (number | null)[],
  end: readonly (number | null)[],
): NDArray {
  if (begin.length > x.ndim || end.length > x.ndim) {
    throw new ShapeError(
      `slice: begin/end of length ${begin.length}/${end.length} exceed the rank ${x.ndim} of ${formatShape(x.shape)}`,
    );
  }
  const starts: number[] = [];
  const shape: number[] = [];
  x.shape.forEach((dim, axis) => {
    const clamp = (v: number | null | undefined, fallback: number) => {
      if (v === null || v === undefined) return fallback;
      if (!Number.isInteger(v))
        throw new ValueError(`slice: bounds must be integers, got ${v} on axis ${axis}`);
      const resolved = v < 0 ? v + dim : v;
      return Math.min(Math.max(resolved, 0), dim);
    };
    const b = clamp(begin[axis], 0);
    const e = clamp(end[axis], dim);
    starts.push(b);
    shape.push(Math.max(0, e - b));
  });
  return sliceOp([x], { begin: starts, shape });
}

/** Elements `begin <= index < end` along one axis (null = to the end; negatives count from the end). */
export function sliceAxis(x: NDArray, axis: number, begin: number, end: number | null): NDArray {
  const a = normalizeAxis(axis, x.ndim, 'sliceAxis');
  const begins = x.shape.map((_, i) => (i === a ? begin : null));
  const ends = x.shape.map((_, i) => (i === a ? end : null));
  return slice(x, begins, ends);
}

// ---- concat and stack -------------------------------------------------------------------------

const concatOp = defineOp<number>({
  name: 'concat',
  forward: (inputs, axis) => {
    const first = inputs[0]!;
    const shape = [...first.shape];
    shape[axis] = inputs.reduce((p, x) => p + x.shape[axis]!, 0);
    const out = new NDArray(allocate(first.dtype, sizeOf(shape)), shape);
    const outer = sizeOf(shape.slice(0, axis));
    const outBlock = sizeOf(shape.slice(axis));
    let position = 0;
    for (const x of inputs) {
      const block = sizeOf(x.shape.slice(axis));
      for (let o = 0; o < outer; o++) {
        out.data.set(x.data.subarray(o * block, (o + 1) * block), o * outBlock + position);
      }
      position += block;
    }
    return out;
  },
  backward: ({ inputs, attrs: axis, gradOutput }) => {
    let start = 0;
    return inputs.map((x) => {
      const piece = sliceAxis(gradOutput, axis, start, start + x.shape[axis]!);
      start += x.shape[axis]!;
      return piece;
    });
  },
});

/** Joins arrays along an existing axis; the other dimensions must agree. */
export function concat(arrays: readonly NDArray[], axis = 0): NDArray {
  if (arrays.length === 0) throw new ValueError('concat: needs at least one array');
  const first = arrays[0]!;
  const a = normalizeAxis(axis, first.ndim, 'concat');
  arrays.forEach((x, i) => {
    if (
      x.ndim !== first.ndim ||
      x.shape.some((d, k) => k !== a && d !== first.shape[k]) ||
      x.dtype !== first.dtype
    ) {
      throw new ShapeError(
        `concat: array ${i} ${formatShape(x.shape)} (${x.dtype}) does not fit array 0 ${formatShape(first.shape)} (${first.dtype}) outside axis ${a}`,
      );
    }
  });
  return concatOp(arrays, a);
}

/** Joins same-shaped arrays along a new axis. */
export function stack(arrays: readonly NDArray[], axis = 0): NDArray {
  if (arrays.length === 0) throw new ValueError('stack: needs at least one array');
  const first = arrays[0]!;
  const a = normalizeAxis(axis, first.ndim + 1, 'stack');
  arrays.forEach((x, i) => {
    if (!sameShape(x.shape, first.shape)) {
      throw new ShapeError(
        `stack: array ${i} ${formatShape(x.shape)} differs from array 0 ${formatShape(first.shape)}`,
      );
    }
  });
  return concat(
    arrays.map((x) => expandDims(x, a)),
    a,
  );
}

// ---- pick and oneHot --------------------------------------------------------------------------

interface PickAttrs {
  axis: number;
  keepDims: boolean;
  /** Validated integer indices, one per output position. */
  indices: Int32Array;
}

const pickOp: Op<PickAttrs> = defineOp<PickAttrs>({
  name: 'pick',
  forward: ([x], { axis, keepDims, indices }) => {
    const size = x!.shape[axis]!;
    const inner = sizeOf(x!.shape.slice(axis + 1));
    const shape = keepDims
      ? x!.shape.map((d, i) => (i === axis ? 1 : d))
      : x!.shape.filter((_, i) => i !== axis);
    const out = new NDArray(allocate(x!.dtype, indices.length), shape);
    const source = x!.data;
    const target = out.data;
    const outer = indices.length / Math.max(inner, 1);
    for (let o = 0, p = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++, p++) target[p] = source[(o * size + indices[p]!) * inner + i]!;
    }
    return out;
  },
  backward: ({ inputs: [x], attrs, gradOutput }) => [
    scatterOp([gradOutput], { ...attrs, shape: [...x!.shape] }),
  ],
});

/** The adjoint of pick: places each gradient at its picked position in zeros of the input's shape. */
const scatterOp: Op<PickAttrs & { shape: number[] }> = defineOp<PickAttrs & { shape: number[] }>({
  name: 'pickScatter',
  forward: ([g], { axis, indices, shape }) => {
    const size = shape[axis]!;
    const inner = sizeOf(shape.slice(axis + 1));
    const out = new NDArray(allocate(g!.dtype, sizeOf(shape)), shape);
    const source = g!.data;
    const target = out.data;
    const outer = indices.length / Math.max(inner, 1);
    for (let o = 0, p = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++, p++) target[(o * size + indices[p]!) * inner + i]! += source[p]!;
    }
    return out;
  },
  backward: ({ attrs, gradOutput }) => [pickOp([gradOutput], attrs)],
});

/** Validates class indices: integers in [0, size). Returns them as an Int32Array. */
export function checkIndices(where: string, argument: string, index: NDArray, size: number): Int32Array {
  const out = new Int32Array(index.size);
  for (let p = 0; p < index.size; p++) {
    const v = index.data[p]!;
    if (!Number.isInteger(v) || v < 0 || v >= size) {
      throw new ValueError(
        `${where}: ${argument} at flat position ${p} is ${v}; it must be an integer in [0, ${size})`,
      );
    }
    out[p] = v;
  }
  return out;
}

/**
 * {@link checkIndices} without the copy when `index` already holds int32 data: that data itself
 * once every entry is checked (the result aliases `index`, as an op's inputs do), else the
 * checked copy. For a caller that only reads the indices during the call's life.
 */
export function checkedIndexData(where: string, argument: string, index: NDArray, size: number): Int32Array {
  const data = index.data;
  if (!(data instanceof Int32Array)) return checkIndices(where, argument, index, size);
  for (let p = 0; p < data.length; p++) {
    const v = data[p]!;
    if (v < 0 || v >= size) {
      throw new ValueError(
        `${where}: ${argument} at flat position ${p} is ${v}; it must be an integer in [0, ${size})`,
      );
    }
  }
  return data;
}

/**
 * Gathers `x` along `axis` at `index` (MXNet `pick`). `index` has x's shape without `axis` (or
 * with size 1 there). Indices must be integers in range: out-of-range values throw instead of
 * being clipped.
 */
export function pick(x: NDArray, index: NDArray | ArrayLike<number>, axis = -1, keepDims = false): NDArray {
  const a = normalizeAxis(axis, x.ndim, 'pick');
  const idx = index instanceof NDArray ? index : asArray(Array.from(index));
  const expected = x.shape.filter((_, i) => i !== a);
  const expectedKept = x.shape.map((d, i) => (i === a ? 1 : d));
  if (!sameShape(idx.shape, expected) && !sameShape(idx.shape, expectedKept)) {
    throw new ShapeError(
      `pick: index shape ${formatShape(idx.shape)} must be ${formatShape(expected)} or ${formatShape(expectedKept)} for data ${formatShape(x.shape)} along axis ${a}`,
    );
  }
  return pickOp([x], { axis: a, keepDims, indices: checkIndices('pick', 'index', idx, x.shape[a]!) });
}

/** One-hot encoding: a new last axis of length `depth` with 1 at each index. */
export function oneHot(indices: NDArray, depth: number, dtype: DType = 'float32'): NDArray {
  if (!Number.isInteger(depth) || depth <= 0)
    throw new ValueError(`oneHot: depth must be a positive integer, got ${depth}`);
  const checked = checkIndices('oneHot', 'indices', indices, depth);
  const shape = [...indices.shape, depth];
  const out = new NDArray(allocate(dtype, indices.size * depth, 'oneHot', shape), shape);
  for (let p = 0; p < checked.length; p++) out.data[p * depth + checked[p]!] = 1;
  return out;
}
