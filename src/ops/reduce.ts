/**
 * Reductions along any axis or axes, with keepDims. Sums accumulate in float64 and round once on
 * store, whatever the storage dtype.
 * @module
 */
import { allocate, type DType, floatOf } from '../ndarray/dtype.js';
import { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxes, normalizeAxis, sizeOf } from '../ndarray/shape.js';
import type { TypedArray } from '../ndarray/dtype.js';
import { forEachRow } from './_kernels.js';
import { defineOp } from './_define.js';
import { cast, div, equal, exp, mul, sub } from './elementwise.js';
import { broadcastTo, reshape } from './movement.js';

type Axis = number | readonly number[] | null | undefined;

interface ReduceAttrs {
  axes: number[];
  keepDims: boolean;
}

function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((dim, i) => (axes.includes(i) ? 1 : dim));
}

function outputShape(shape: readonly number[], { axes, keepDims }: ReduceAttrs): number[] {
  return keepDims ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
}

enum Kind {
  Sum,
  Max,
  Min,
}

/** Reduces `data` into a float64 accumulator laid out like the kept shape. */
function reduceInto(
  kind: Kind,
  data: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
): Float64Array {
  const kept = keptShape(shape, axes);
  const acc = new Float64Array(sizeOf(kept));
  if (kind === Kind.Max) acc.fill(-Infinity);
  if (kind === Kind.Min) acc.fill(Infinity);
  forEachRow(shape, [shape, kept], (offsets, _outOffset, length, steps) => {
    let i = offsets[0]!;
    let o = offsets[1]!;
    const inStep = steps[0]!;
    const outStep = steps[1]!;
    if (kind === Kind.Sum) {
      if (outStep === 0) {
        let total = 0;
        for (let k = 0; k < length; k++, i += inStep) total += data[i]!;
        acc[o]! += total;
      } else {
        for (let k = 0; k < length; k++, i += inStep, o += outStep) acc[o]! += data[i]!;
      }
    } else if (kind === Kind.Max) {
      for (let k = 0; k < length; k++, i += inStep, o += outStep) {
        const v = data[i]!;
        if (v > acc[o]! || Number.isNaN(v)) acc[o] = v;
      }
    } else {
      for (let k = 0; k < length; k++, i += inStep, o += outStep) {
        const v = data[i]!;
        if (v < acc[o]! || Number.isNaN(v)) acc[o] = v;
      }
    }
  });
  return acc;
}

function store(acc: Float64Array, dtype: DType, shape: readonly number[]): NDArray {
  const data = allocate(dtype, acc.length);
  data.set(acc);
  return new NDArray(data, shape);
}

/** Spreads a reduced gradient back over the reduced axes. */
function expand(g: NDArray, inputShape: readonly number[], axes: readonly number[]): NDArray {
  return broadcastTo(reshape(g, keptShape(inputShape, axes)), inputShape);
}

const sumOp = defineOp<ReduceAttrs>({
  name: 'sum',
  forward: ([x], attrs) =>
    store(reduceInto(Kind.Sum, x!.data, x!.shape, attrs.axes), x!.dtype, outputShape(x!.shape, attrs)),
  backward: ({ inputs: [x], attrs, gradOutput }) => [expand(gradOutput, x!.shape, attrs.axes)],
});

const meanOp = defineOp<ReduceAttrs>({
  name: 'mean',
  forward: ([x], attrs) => {
    const acc = reduceInto(Kind.Sum, x!.data, x!.shape, attrs.axes);
    const count = x!.size / Math.max(acc.length, 1);
    for (let i = 0; i < acc.length; i++) acc[i]! /= count;
    return store(acc, floatOf(x!.dtype), outputShape(x!.shape, attrs));
  },
  backward: ({ inputs: [x], attrs, gradOutput }) => {
    const count = attrs.axes.reduce((p, a) => p * x!.shape[a]!, 1);
    return [div(expand(gradOutput, x!.shape, attrs.axes), count)];
  },
});

function extremum(name: string, kind: Kind) {
  return defineOp<ReduceAttrs>({
    name,
    forward: ([x], attrs) =>
      store(reduceInto(kind, x!.data, x!.shape, attrs.axes), x!.dtype, outputShape(x!.shape, attrs)),
    // The gradient is shared evenly among tied extrema.
    backward: ({ inputs: [x], output, attrs, gradOutput }) => {
      const hit = cast(equal(x!, expand(output, x!.shape, attrs.axes)), gradOutput.dtype);
      const ties = sumOp([hit], { axes: attrs.axes, keepDims: true });
      return [mul(expand(gradOutput, x!.shape, attrs.axes), div(hit, ties))];
    },
  });
}
const maxOp = extremum('max', Kind.Max);
const minOp = extremum('min', Kind.Min);

// log Σ e^x = m + log Σ e^(x - m) with m the maximum, so no term overflows; an infinite or NaN
// maximum is the answer itself.
const logSumExpOp = defineOp<ReduceAttrs>({
  name: 'logSumExp',
  forward: ([x], attrs) => {
    const { data, shape } = x!;
    const maxima = reduceInto(Kind.Max, data, shape, attrs.axes);
    const kept = keptShape(shape, attrs.axes);
    const acc = new Float64Array(maxima.length);
    forEachRow(shape, [shape, kept], (offsets, _o, length, steps) => {
      let i = offsets[0]!;
      let o = offsets[1]!;
      for (let k = 0; k < length; k++, i += steps[0]!, o += steps[1]!) {
        const m = maxima[o]!;
        if (Number.isFinite(m)) acc[o]! += Math.exp(data[i]! - m);
      }
    });
    for (let o = 0; o < acc.length; o++) {
      const m = maxima[o]!;
      acc[o] = Number.isFinite(m) ? m + Math.log(acc[o]!) : m;
    }
    return store(acc, floatOf(x!.dtype), outputShape(shape, attrs));
  },
  backward: ({ inputs: [x], output, attrs, gradOutput }) => [
    mul(expand(gradOutput, x!.shape, attrs.axes), exp(sub(x!, expand(output, x!.shape, attrs.axes)))),
  ],
});

function attrs(x: NDArray, axis: Axis, keepDims: boolean, where: string): ReduceAttrs {
  return { axes: normalizeAxes(axis, x.ndim, where), keepDims };
}

/** Sum over `axis` (all axes when omitted). */
export function sum(x: NDArray, axis?: Axis, keepDims = false): NDArray {
  return sumOp([x], attrs(x, axis, keepDims, 'sum'));
}
/** Mean over `axis` (all axes when omitted). */
export function mean(x: NDArray, axis?: Axis, keepDims = false): NDArray {
  return meanOp([x], attrs(x, axis, keepDims, 'mean'));
}
/** Maximum over `axis`; NaN propagates. */
export function max(x: NDArray, axis?: Axis, keepDims = false): NDArray {
  return maxOp([x], attrs(x, axis, keepDims, 'max'));
}
/** Minimum over `axis`; NaN propagates. */
export function min(x: NDArray, axis?: Axis, keepDims = false): NDArray {
  return minOp([x], attrs(x, axis, keepDims, 'min'));
}
/** log(Σ exp(x)) over `axis`, computed stably. */
export function logSumExp(x: NDArray, axis?: Axis, keepDims = false): NDArray {
  return logSumExpOp([x], attrs(x, axis, keepDims, 'logSumExp'));
}

const argmaxOp = defineOp<number>({
  name: 'argmax',
  forward: ([x], axis) => {
    const shape = x!.shape;
    const size = shape[axis]!;
    const inner = sizeOf(shape.slice(axis + 1));
    const outer = sizeOf(shape.slice(0, axis));
    const out = new Int32Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = -Infinity;
        let index = 0;
        for (let c = 0; c < size; c++) {
          const v = x!.data[(o * size + c) * inner + i]!;
          if (v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
            best = v;
            index = c;
          }
        }
        out[o * inner + i] = index;
      }
    }
    return new NDArray(
      out,
      shape.filter((_, k) => k !== axis),
    );
  },
  backward: () => [null],
});

/** Index of the largest element along `axis` (int32; the first NaN wins). */
export function argmax(x: NDArray, axis = -1): NDArray {
  return argmaxOp([x], normalizeAxis(axis, x.ndim, 'argmax'));
}
