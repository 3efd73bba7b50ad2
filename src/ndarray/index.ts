/**
 * The `nd` namespace: array creation, random numbers and every array op as a function.
 * @module
 */
export { NDArray } from './ndarray.js';
export type { BackwardOptions, NestedArray, Operand } from './ndarray.js';
export type { DType, TypedArray } from './dtype.js';
export { array, arange, full, fullLike, ones, onesLike, zeros, zerosLike } from './create.js';
export type { ArrayInput, CreateOptions } from './create.js';
export * as random from './random-namespace.js';
export {
  abs,
  add,
  cast,
  clip,
  cos,
  div,
  equal,
  exp,
  expm1,
  greater,
  greaterEqual,
  lesser,
  lesserEqual,
  log,
  log1p,
  logSigmoid,
  maximum,
  minimum,
  mul,
  neg,
  notEqual,
  pow,
  reciprocal,
  relu,
  sigmoid,
  sign,
  sin,
  softplus,
  softsign,
  sqrt,
  square,
  sub,
  sumToShape,
  tanh,
  where,
} from '../ops/elementwise.js';
export { argmax, logSumExp, max, mean, min, sum } from '../ops/reduce.js';
export {
  broadcastTo,
  concat,
  expandDims,
  oneHot,
  pick,
  reshape,
  slice,
  sliceAxis,
  squeeze,
  stack,
  transpose,
} from '../ops/movement.js';
export { dot, matmul } from '../ops/linalg.js';
export { logSoftmax, softmax } from '../ops/activation.js';
