/**
 * Reverse-mode differentiation over the recorded graph: an iterative topological sort (no
 * recursion, so long chains cannot overflow the stack), ones as the default head gradient,
 * accumulation by addition, and freeing of the graph unless it is retained.
 * @module
 */
import { AutogradError, formatShape, ShapeError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { allocate, type DType, floatOf } from '../ndarray/dtype.js';
import { sameShape } from '../ndarray/shape.js';
import { withRecording } from './state.js';
import { add, cast } from '../ops/elementwise.js';
import { onesLike, zerosLike } from '../ndarray/create.js';
import type { GraphNode } from './node.js';

/** How one backward pass runs: see {@link backward}. */
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

/**
 * Runs one backward pass from `heads` (head gradients default to ones). With `variables` the
 * gradients are returned for them; otherwise they are stored in each variable's `.grad` according
 * to its gradReq. With `createGraph` the pass is itself recorded.
 */
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
  const offers =
    options.variables || options.createGraph ? null : gradientBufferOffers(order, heads, headGrads);
  const outerOffers = activeOffers;
  const outerNode = activeNode;
  activeOffers = offers;
  try {
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
        if (node.outputVersion !== undefined && array._version !== node.outputVersion) {
          throw new AutogradError(
            `${where}: the output of '${node.op}' ${formatShape(array.shape)} was written in place after it was recorded`,
          );
        }
        activeNode = node;
        const inputGrads = node.backward(gradOutput, options.retainGraph);
        activeNode = null;
        for (let i = 0; i < node.inputs.length; i++) {
          const grad = inputGrads[i];
          if (!node.needsGrad[i] || !grad) continue;
          const input = node.inputs[i]!;
          if (!sameShape(grad.shape, input.shape)) {
            throw new ShapeError(
              `${where}: the backward of '${node.op}' returned a gradient of shape ${formatShape(grad.shape)} ` +
                `for input ${i} of shape ${formatShape(input.shape)}; it must match the input`,
            );
          }
          accumulate(input, grad);
        }
        if (array._gradReq === null && !keep.has(array)) grads.delete(array);
      }
    });
  } finally {
    activeOffers = outerOffers;
    activeNode = outerNode;
  }

  if (!options.retainGraph) {
    for (const array of order) {
      if (array._node && !(options.stopAtVariables && keep.has(array))) array._node.backward = null;
    }
  }

  if (options.variables) {
    return options.variables.map((variable) => {
      const grad = grads.get(variable);
      // Without createGraph, hand out private copies: a gradient may share its buffer with
      // another one (add passes the same array to both operands) or with a head gradient.
      if (grad) return options.createGraph ? grad : privateCopy(grad, floatOf(variable.dtype));
      return zerosLike(variable);
    });
  }

  let wrote = false;
  for (const array of order) {
    const gradReq = array._gradReq;
    if (gradReq !== 'write' && gradReq !== 'add') continue;
    wrote = true;
    const grad = grads.get(array);
    if (options.createGraph) {
      if (!grad) {
        if (gradReq === 'write') array.grad = zerosLike(array.grad ?? array);
      } else if (gradReq === 'add' && array.grad) {
        const previous = array.grad;
        array.grad = withRecording(true, () => add(previous, grad));
      } else {
        array.grad = grad.dtype === floatOf(array.dtype) ? grad : cast(grad, floatOf(array.dtype));
      }
      continue;
    }
    writeGradient(array, grad ?? null, gradReq);
  }
  if (!wrote) {
    throw new AutogradError(`${where}: there are no inputs in the computation graph that require gradients`);
  }
  return undefined;
}

/** Gradient buffers allocated here or by attachGrad: the only ones written in place. */
const ownedBuffers = new WeakSet<NDArray>();

// ---- gradient buffers offered to the node that produces the gradient --------------------------
//
// Without an offer, a variable's gradient is computed into a fresh array and copied into its
// `.grad` buffer at the end of the pass: for a large input (a loss over logits of 16 MB) the
// fresh allocation (zeroed, then page-faulted in) and the copy cost as much as a fused kernel.
// A node may instead write the gradient straight into the `.grad` buffer when that gives exactly
// the same final state, which holds when all of these do:
// - the pass writes `.grad` (not autograd.grad's returned gradients, not createGraph);
// - the variable is a leaf with gradReq 'write' (the buffer is overwritten anyway) whose buffer
//   writeGradient would reuse (owned, the variable's shape and float dtype);
// - exactly one input slot of one node in the pass reads the variable, so no other gradient is
//   added to it and nothing else is written into the buffer;
// - nothing the pass reads shares the buffer's memory: no node input or output, no head, no
//   head gradient (so no backward rule can see the buffer change under it), and no other
//   variable of the pass has the same buffer.
// The node's backward returns an array over the buffer's memory, and writeGradient then has
// nothing to copy.

/** A gradient buffer offered to the one node that reads its variable. */
interface Offer {
  readonly node: GraphNode;
  readonly buffer: NDArray;
}

/** The offers of the pass in progress (null outside a pass, or in a pass that makes none). */
let activeOffers: ReadonlyMap<NDArray, Offer> | null = null;
/** The node whose backward is running. */
let activeNode: GraphNode | null = null;

/**
 * The `.grad` buffer of `input` when the node whose backward is running now may write `input`'s
 * gradient straight into it (see the conditions above), else null. A node that takes the offer
 * must write every element (the buffer holds the previous gradient) and return its gradient as
 * an array over that memory.
 */
export function offeredGradientBuffer(input: NDArray): NDArray | null {
  const offer = activeOffers?.get(input);
  return offer && offer.node === activeNode ? offer.buffer : null;
}

/** Whether writeGradient keeps `buffer` as `array`'s gradient (else it allocates a new one). */
function reusableBuffer(buffer: NDArray, array: NDArray): boolean {
  return (
    ownedBuffers.has(buffer) &&
    buffer._node === null &&
    sameShape(buffer.shape, array.shape) &&
    buffer.dtype === floatOf(array.dtype)
  );
}

/** The gradient buffers a pass over `order` may offer, keyed by variable (null when none). */
function gradientBufferOffers(
  order: readonly NDArray[],
  heads: readonly NDArray[],
  headGrads: readonly (NDArray | null | undefined)[],
): Map<NDArray, Offer> | null {
  const readers = new Map<NDArray, { node: GraphNode; slots: number }>();
  const memoryInUse = new Set<ArrayBufferLike>();
  for (const head of heads) memoryInUse.add(head.data.buffer);
  for (const given of headGrads) if (given) memoryInUse.add(given.data.buffer);
  for (const array of order) {
    memoryInUse.add(array.data.buffer);
    const node = array._node;
    if (!node) continue;
    for (const input of node.inputs) {
      memoryInUse.add(input.data.buffer);
      const seen = readers.get(input);
      if (seen) seen.slots++;
      else readers.set(input, { node, slots: 1 });
    }
  }
  const candidates: [NDArray, Offer][] = [];
  const buffersOfCandidates = new Map<ArrayBufferLike, number>();
  for (const [input, { node, slots }] of readers) {
    const buffer = input.grad;
    if (slots !== 1 || input._node !== null || input._gradReq !== 'write' || heads.includes(input)) continue;
    if (!buffer || !reusableBuffer(buffer, input) || memoryInUse.has(buffer.data.buffer)) continue;
    candidates.push([input, { node, buffer }]);
    buffersOfCandidates.set(buffer.data.buffer, (buffersOfCandidates.get(buffer.data.buffer) ?? 0) + 1);
  }
  const offers = candidates.filter(([, { buffer }]) => buffersOfCandidates.get(buffer.data.buffer) === 1);
  return offers.length > 0 ? new Map(offers) : null;
}

/** Whether two arrays are views of the same memory (a gradient written straight into its buffer). */
function sameMemory(first: ArrayBufferView, second: ArrayBufferView): boolean {
  return (
    first.buffer === second.buffer &&
    first.byteOffset === second.byteOffset &&
    first.byteLength === second.byteLength &&
    first.constructor === second.constructor
  );
}

/** Registers a freshly allocated gradient buffer (attachGrad) as safe to overwrite in place. */
export function adoptGradientBuffer(buffer: NDArray): void {
  ownedBuffers.add(buffer);
}

function privateCopy(source: NDArray, dtype: DType): NDArray {
  const data = allocate(dtype, source.size);
  data.set(source.data);
  return new NDArray(data, source.shape);
}

/**
 * Stores a gradient in `array.grad` as MXNet does: into the existing buffer ('write' overwrites,
 * 'add' accumulates), so a reference to `x.grad` stays valid across backward passes. A missing
 * gradient (no path from the heads) writes zeros.
 */
function writeGradient(array: NDArray, grad: NDArray | null, gradReq: 'write' | 'add'): void {
  const dtype = floatOf(array.dtype);
  let buffer = array.grad;
  if (!buffer || !reusableBuffer(buffer, array)) {
    const fresh = new NDArray(allocate(dtype, array.size), array.shape);
    if (buffer && gradReq === 'add' && buffer.size === fresh.size) fresh.data.set(buffer.data);
    ownedBuffers.add(fresh);
    array.grad = buffer = fresh;
  }
  buffer._version++;
  const target = buffer.data;
  if (grad === null) {
    if (gradReq === 'write') target.fill(0);
    return;
  }
  const source = grad.data;
  // A node that took the offered buffer wrote the gradient in place already.
  if (gradReq === 'write') {
    if (!sameMemory(source, target)) target.set(source);
  } else for (let i = 0; i < target.length; i++) target[i]! += source[i]!;
}
