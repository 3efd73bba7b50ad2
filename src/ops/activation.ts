/**
 * Softmax and log-softmax along any axis, computed stably (the maximum is subtracted first), with
 * float64 accumulation and no copy of a non-last axis.
 * @module
 */
import { allocate, floatOf } from '../ndarray/dtype.js';
import { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxis, sizeOf } from '../ndarray/shape.js';
import { defineOp } from './_define.js';
import { exp, mul, sub } from './elementwise.js';
import { sum } from './reduce.js';

function softmaxKernel(x: NDArray, axis: number, log: boolean): NDArray {
  const shape = x.shape;
  const size = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const out = new NDArray(allocate(floatOf(x.dtype), x.size), shape);
  const source = x.data;
  const target = out.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let maximum = -Infinity;
      for (let c = 0, p = base; c < size; c++, p += inner) {
        const v = source[p]!;
        if (v > maximum || v !== v) maximum = v;
      }
      // All -Infinity (or NaN) rows have no finite shift; shifting by 0 gives the IEEE answer.
      const shift = Number.isFinite(maximum) ? maximum : 0;
      let total = 0;
      for (let c = 0, p = base; c < size; c++, p += inner) total += Math.exp(source[p]! - shift);
      if (log) {
        const logTotal = Math.log(total);
        for (let c = 0, p = base; c < size; c++, p += inner) target[p] = source[p]! - shift - logTotal;
      } else {
        for (let c = 0, p = base; c < size; c++, p += inner) target[p] = Math.exp(source[p]! - shift) / total;
      }
    }
  }
  return out;
}

const softmaxOp = defineOp<number>({
  name: 'softmax',
  forward: ([x], axis) => softmaxKernel(x!, axis, false),
  // d softmax: y ⊙ (g − Σ g⊙y)
  backward: ({ output, attrs: axis, gradOutput }) => [
    mul(output, sub(gradOutput, sum(mul(gradOutput, output), axis, true))),
  ],
});

const logSoftmaxOp = defineOp<number>({
  name: 'logSoftmax',
  forward: ([x], axis) => softmaxKernel(x!, axis, true),
  // d log-softmax: g − softmax ⊙ Σ g, with softmax = exp(output)
  backward: ({ output, attrs: axis, gradOutput }) => [sub(gradOutput, mul(exp(output), sum(gradOutput, axis, true)))],
});

/** exp(x) / Σ exp(x) along `axis` (default last). */
export function softmax(x: NDArray, axis = -1): NDArray {
  return softmaxOp([x], normalizeAxis(axis, x.ndim, 'softmax'));
}

/** x − log Σ exp(x) along `axis` (default last), without overflow. */
export function logSoftmax(x: NDArray, axis = -1): NDArray {
  return logSoftmaxOp([x], normalizeAxis(axis, x.ndim, 'logSoftmax'));
}
