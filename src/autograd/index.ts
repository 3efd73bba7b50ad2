/**
 * Recording and differentiation, mirroring `mxnet.autograd`: `record(fn)` is Python's
 * `with autograd.record():`, and `pause(fn)` is `with autograd.pause():`.
 * @module
 */
import { isFloat } from '../ndarray/dtype.js';
import { AutogradError, formatShape } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { backward as runBackward } from './backward.js';
import { isRecording, isTraining, withState } from './state.js';

export { isRecording, isTraining };
export type { GradReq } from './node.js';
export { defineOp as customOp } from '../ops/_define.js';
export type { BackwardContext, ForwardResult, Op, OpDefinition } from '../ops/_define.js';

/** Options of {@link record}. */
export interface RecordOptions {
  /** Training mode inside the scope (default true, as in MXNet). */
  trainMode?: boolean;
}

/** Runs `fn` with recording on, so ops on variables build a graph; returns what `fn` returns. */
export function record<T>(fn: () => T, options: RecordOptions = {}): T {
  return withState(true, options.trainMode ?? true, fn);
}

/** Runs `fn` with recording off (training mode off unless `trainMode` is set). */
export function pause<T>(fn: () => T, options: RecordOptions = {}): T {
  return withState(false, options.trainMode ?? false, fn);
}

/** Runs `fn` in training mode without changing recording. */
export function trainMode<T>(fn: () => T): T {
  return withState(isRecording(), true, fn);
}

/** Runs `fn` in prediction mode without changing recording. */
export function predictMode<T>(fn: () => T): T {
  return withState(isRecording(), false, fn);
}

function asList<T>(value: T | readonly T[]): T[] {
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

/** Options of {@link backward}. */
export interface AutogradBackwardOptions {
  retainGraph?: boolean;
}

/**
 * Back-propagates from one or several heads into the `.grad` of every variable they depend on.
 * Gradients from several heads add up. A missing head gradient means ones.
 */
export function backward(
  heads: NDArray | readonly NDArray[],
  headGrads?: NDArray | null | readonly (NDArray | null)[],
  options: AutogradBackwardOptions = {},
): void {
  const list = asList(heads);
  const grads = headGrads === undefined || headGrads === null ? [] : asList(headGrads);
  if (grads.length > 0 && grads.length !== list.length) {
    throw new AutogradError(`autograd.backward: ${list.length} heads but ${grads.length} head gradients`);
  }
  runBackward(list, grads, { retainGraph: options.retainGraph ?? false, createGraph: false });
}

/** Options of {@link grad}. */
export interface GradOptions {
  headGrads?: NDArray | null | readonly (NDArray | null)[];
  /** Keep the graph (defaults to `createGraph`). */
  retainGraph?: boolean;
  /** Record the gradient computation, so the returned gradients can be differentiated again. */
  createGraph?: boolean;
}

/**
 * Gradients of the heads with respect to `variables`, returned instead of written to `.grad`.
 * With `createGraph` the results are part of the graph: differentiate them for second derivatives.
 */
export function grad(
  heads: NDArray | readonly NDArray[],
  variables: NDArray | readonly NDArray[],
  options: GradOptions = {},
): NDArray[] {
  const list = asList(heads);
  const grads =
    options.headGrads === undefined || options.headGrads === null ? [] : asList(options.headGrads);
  if (grads.length > 0 && grads.length !== list.length) {
    throw new AutogradError(`autograd.grad: ${list.length} heads but ${grads.length} head gradients`);
  }
  const variableList = asList(variables);
  variableList.forEach((variable, index) => {
    // Only floating arrays can require gradients; an int32 one would silently get zeros.
    if (!isFloat(variable.dtype)) {
      throw new AutogradError(
        `autograd.grad: variable ${index} is an ${variable.dtype} array of shape ${formatShape(variable.shape)}, ` +
          `which cannot have a gradient; only float32 and float64 arrays can. Convert it before recording: ` +
          `x = x.astype('float32')`,
      );
    }
  });
  const createGraph = options.createGraph ?? false;
  const result = runBackward(list, grads, {
    retainGraph: options.retainGraph ?? createGraph,
    createGraph,
    variables: variableList,
  });
  return result!;
}
