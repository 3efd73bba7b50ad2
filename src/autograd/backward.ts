/**
 * Reverse-mode differentiation over the recorded graph: an iterative topological sort (no
 * recursion, so long chains cannot overflow the stack), ones as the default head gradient,
 * accumulation by addition, and freeing of the graph unless it is retained.
 * @module
 */
import { AutogradError, formatShape, ShapeError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { sameShape } from '../ndarray/shape.js';
import { withRecording } from './state.js';
import { add, cast } from '../ops/elementwise.js';
import { onesLike, zerosLike } from '../ndarray/create.js';

export interface BackwardRunOptions {
  retainGraph: boolean;
  createGraph: boolean;
  /** When given, gradients are returned for these arrays instead of written to `.grad`. */
  variables?: readonly NDArray[];
  /**
   * Treat `variables` as leaves: do not differentiate past them. Gives partial derivatives with
   * respect to each variable as if they were independent (used by composed-twin backward).
   */
  stopAtVariables?: boolean;
}

/** Arrays reachable from the heads through recorded nodes, each after all its consumers. */
function reverseTopologicalOrder(heads: readonly NDArray[], stops: ReadonlySet<NDArray>): NDArray[] {
  const order: NDArray[] = [];
  const visited = new Set<NDArray>();
  const stack: { array: NDArray; expanded: boolean }[] = heads.map((array) => ({ array, expanded: false }));
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.expanded) {
      order.push(top.array);
      continue;
    }
    if (visited.has(top.array)) continue;
    visited.add(top.array);
    stack.push({ array: top.array, expanded: true });
    const node = stops.has(top.array) ? null : top.array._node;
    if (node) {
      for (let i = 0; i < node.inputs.length; i++) {
        const input = node.inputs[i]!;
        if (node.needsGrad[i] && !visited.has(input)) stack.push({ array: input, expanded: false });
      }
    }
  }
  return order.reverse();
}

export function backward(
  heads: readonly NDArray[],
  headGrads: readonly (NDArray | null | undefined)[],
  options: BackwardRunOptions,
): NDArray[] | undefined {
  const where = options.variables ? 'autograd.grad' : 'backward';
  const grads = new Map<NDArray, NDArray>();
  const accumulate = (array: NDArray, grad: NDArray) => {
    const existing = grads.get(array);
    grads.set(array, existing ? add(existing, grad) : grad);
  };
  heads.forEach((head, i) => {
    if (!head.requiresGrad) {
      throw new AutogradError(
        `${where}: head ${i} ${formatShape(head.shape)} is not part of a recorded graph; compute it inside ` +
          'autograd.record() from arrays that called attachGrad()',
      );
    }
    const given = headGrads[i];
    if (given && !sameShape(given.shape, head.shape)) {
      throw new ShapeError(
        `${where}: headGrad ${i} has shape ${formatShape(given.shape)} but its head has shape ${formatShape(head.shape)}`,
      );
    }
    accumulate(head, given ? cast(given, head.dtype) : onesLike(head));
  });

  const keep = new Set(options.variables ?? []);
  const order = reverseTopologicalOrder(heads, options.stopAtVariables ? keep : new Set());
  withRecording(options.createGraph, () => {
    for (const array of order) {
      const node = options.stopAtVariables && keep.has(array) ? null : array._node;
      const gradOutput = grads.get(array);
      if (!node || !gradOutput) continue;
      if (!node.backward) {
        throw new AutogradError(
          `${where}: the graph through '${node.op}' was freed by an earlier backward; ` +
            'pass {retainGraph: true} to the first backward to run it again',
        );
      }
      node.inputs.forEach((input, i) => {
        if (input._version !== node.versions[i]) {
          throw new AutogradError(
            `${where}: input ${i} of '${node.op}' ${formatShape(input.shape)} was written in place after it was recorded`,
          );
        }
      });
      const inputGrads = node.backward(gradOutput);
      for (let i = 0; i < node.inputs.length; i++) {
        const grad = inputGrads[i];
        if (!node.needsGrad[i] || !grad) continue;
        const input = node.inputs[i]!;
        if (!sameShape(grad.shape, input.shape)) {
          throw new ShapeError(
            `internal: backward of '${node.op}' returned ${formatShape(grad.shape)} for input ${i} ${formatShape(input.shape)}`,
          );
        }
        accumulate(input, grad);
      }
      if (array._gradReq === null && !keep.has(array)) grads.delete(array);
    }
  });

  if (!options.retainGraph) {
    for (const array of order) {
      if (array._node && !(options.stopAtVariables && keep.has(array))) array._node.backward = null;
    }
  }

  if (options.variables) {
    return options.variables.map((variable) => {
      const grad = grads.get(variable);
      if (grad) return options.createGraph ? grad : grad.detach();
      return zerosLike(variable);
    });
  }

  let wrote = false;
  for (const [array, grad] of grads) {
    if (array._gradReq === null || array._gradReq === 'null') continue;
    wrote = true;
    const value = options.createGraph ? grad : grad.detach();
    if (array._gradReq === 'add' && array.grad) {
      array.grad = withRecording(options.createGraph, () => add(array.grad!, value));
    } else {
      array.grad = value.dtype === array.dtype ? value : cast(value, array.dtype);
    }
  }
  if (!wrote) {
    throw new AutogradError(`${where}: there are no inputs in the computation graph that require gradients`);
  }
  return undefined;
}
