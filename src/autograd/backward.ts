/**
 * Reverse-mode differentiation over the recorded graph: an iterative topological sort (no
 * recursion, so long chains cannot overflow the stack), ones as the default head gradient (no
 * array of them for a node that accepts the unit head, see GraphNode.backward),
 * accumulation by addition, gradients staged until the whole pass has succeeded, and freeing of
 * the graph unless it is retained. The engine keeps no state between passes or in module
 * variables: what a rule needs to know about its pass arrives as an argument (BackwardPass).
 * @module
 */
import { AutogradError, formatShape, ShapeError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { allocate, type DType, floatOf } from '../ndarray/dtype.js';
import { sameShape } from '../ndarray/shape.js';
import { swapRecording, withRecording } from './state.js';
import { add, cast } from '../ops/elementwise.js';
import { zerosLike } from '../ndarray/create.js';
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
function reverseTopologicalOrder(heads: readonly NDArray[], stops: ReadonlySet<NDArray> | null): NDArray[] {
  const order: NDArray[] = [];
  const visited = new Set<NDArray>();
  // Two parallel stacks (the array, and whether its inputs were pushed) rather than an object
  // per entry: this runs on every backward pass, however small the graph.
  const stack: NDArray[] = [];
  const expanded: boolean[] = [];
  for (const head of heads) {
    stack.push(head);
    expanded.push(false);
  }
  while (stack.length > 0) {
    const array = stack.pop()!;
    if (expanded.pop()) {
      order.push(array);
      continue;
    }
    if (visited.has(array)) continue;
    visited.add(array);
    stack.push(array);
    expanded.push(true);
    const node = stops?.has(array) ? null : array._node;
    if (node) {
      for (let i = 0; i < node.inputs.length; i++) {
        const input = node.inputs[i]!;
        if (node.needsGrad[i] && !visited.has(input)) {
          stack.push(input);
          expanded.push(false);
        }
      }
    }
  }
  return order.reverse();
}

/**
 * Runs one backward pass from `heads` (head gradients default to ones). With `variables` the
 * gradients are returned for them; otherwise they are stored in each variable's `.grad` according
 * to its gradReq. With `createGraph` the pass is itself recorded.
 *
 * The pass is all-or-nothing: every gradient is computed into arrays of the pass's own (staged)
 * and written into the `.grad` buffers only after every backward rule has run; a rule or a check
 * that throws leaves every `.grad` and the graph exactly as they were, so the pass can be run again.
 */
export function backward(
  heads: readonly NDArray[],
  headGrads: readonly (NDArray | null | undefined)[],
  options: BackwardRunOptions,
): NDArray[] | undefined {
  const where = options.variables ? 'autograd.grad' : 'backward';
  if (heads.length === 1 && leafNodePass(where, heads[0]!, headGrads[0], options)) return undefined;
  // Each array's staged gradient; null for a head whose gradient is the implicit ones and whose
  // node accepts that without an array (see acceptsUnitHead), until something adds to it.
  const grads = new Map<NDArray, NDArray | null>();
  // The arrays whose gradients are returned (null for a pass that writes .grad), and the ones
  // the pass does not differentiate past.
  const keep = options.variables ? new Set(options.variables) : null;
  const stops = options.stopAtVariables ? keep : null;
  for (let i = 0; i < heads.length; i++) {
    const head = heads[i]!;
    if (!head.requiresGrad) {
      throw new AutogradError(
        `${where}: head ${i} ${formatShape(head.shape)} is not part of a recorded graph; compute it inside ` +
          'autograd.record() from arrays that called attachGrad()',
      );
    }
    const given = headGrads[i];
    if (given) checkHeadShape(where, i, given, head);
    if (given) accumulate(grads, head, cast(given, head.dtype));
    else if (!grads.has(head) && acceptsUnitHead(head, options, keep, stops)) grads.set(head, null);
    // (The same head twice adds ones to its unit head: an array of twos, see accumulate.)
    else accumulate(grads, head, ones(head));
  }

  const order = reverseTopologicalOrder(heads, stops);
  // Every check that does not need a rule to run comes first, so most failures throw before any
  // rule has run at all.
  for (const array of order) {
    const node = nodeOf(array, stops);
    if (node) checkRunnable(where, node, array);
  }
  const graphFreed: (() => void)[] = [];
  const pass: BackwardPass = {
    retainGraph: options.retainGraph,
    // A retained graph is never freed by this pass: its callbacks are dropped.
    onGraphFreed: options.retainGraph
      ? ignoreCallback
      : (callback) => {
          graphFreed.push(callback);
        },
  };
  // Recording as createGraph says while the rules run (withRecording's work, without its closure).
  const previousRecording = swapRecording(options.createGraph);
  try {
    for (const array of order) {
      const node = nodeOf(array, stops);
      if (!node) continue;
      // null: the implicit unit head of a node that accepts it (see GraphNode.backward).
      const gradOutput = grads.get(array);
      if (gradOutput === undefined) continue;
      // Again, now: a rule that ran before this one may have written one of this node's inputs
      // in place (a customOp's backward), which the check before the pass could not see.
      checkRunnable(where, node, array);
      const inputGrads = node.backward!(gradOutput, pass);
      for (let i = 0; i < node.inputs.length; i++) {
        const grad = inputGrads[i];
        if (!node.needsGrad[i] || !grad) continue;
        const input = node.inputs[i]!;
        checkGradientShape(where, node, i, grad);
        // (A unit head that is also an input of another head's node: its ones become an array
        // in the sum, see accumulate; its own rule runs later, in topological order.)
        accumulate(grads, input, grad);
      }
      if (array._gradReq === null && !keep?.has(array)) grads.delete(array);
    }
  } finally {
    swapRecording(previousRecording);
  }

  let result: NDArray[] | undefined;
  if (options.variables) {
    result = options.variables.map((variable) => {
      const grad = grads.get(variable);
      // Without createGraph, hand out private copies: a gradient may share its buffer with
      // another one (add passes the same array to both operands), with a head gradient, or with
      // memory a rule gets back once the graph is freed.
      if (grad) return options.createGraph ? grad : privateCopy(grad, floatOf(variable.dtype));
      return zerosLike(variable);
    });
  } else {
    const writes = plannedWrites(where, order, grads, options.createGraph);
    // Nothing has been written yet: from here on nothing can fail.
    for (const write of writes) write();
  }

  if (!options.retainGraph) {
    for (const array of order) {
      const node = nodeOf(array, stops);
      if (node) node.backward = null;
    }
    // The graph can never run again and every gradient of the pass has been copied out: rules
    // may now take back memory they handed out during the pass.
    for (const callback of graphFreed) callback();
  }
  return result;
}

/**
 * The usual training step's pass, without the general pass's maps and sort: one head that is not
 * a variable, whose node's inputs that need a gradient are all leaves (variables), written into
 * `.grad` without createGraph. The same checks, errors and effects in the same order as the
 * general pass, which takes every other pass (returns false, having done nothing, for those).
 */
function leafNodePass(
  where: string,
  head: NDArray,
  given: NDArray | null | undefined,
  options: BackwardRunOptions,
): boolean {
  const node = head._node;
  if (node === null || head._gradReq !== null || options.variables || options.createGraph) return false;
  const { inputs, needsGrad } = node;
  for (let i = 0; i < inputs.length; i++) if (needsGrad[i] && inputs[i]!._node !== null) return false;
  if (given) checkHeadShape(where, 0, given, head);
  // The head's gradient (null: the implicit ones of a node that accepts them, see acceptsUnitHead).
  const gradOutput = given ? cast(given, head.dtype) : node.acceptsUnitHead ? null : ones(head);
  checkRunnable(where, node, head);
  const graphFreed: (() => void)[] = [];
  const pass: BackwardPass = {
    retainGraph: options.retainGraph,
    onGraphFreed: options.retainGraph ? ignoreCallback : (callback) => graphFreed.push(callback),
  };
  // Each input's gradient, summed at the input's first position when it appears more than once.
  const staged: (NDArray | null)[] = [];
  const previousRecording = swapRecording(false);
  try {
    const inputGrads = node.backward!(gradOutput, pass);
    for (let i = 0; i < inputs.length; i++) {
      staged.push(null);
      const grad = inputGrads[i];
      if (!needsGrad[i] || !grad) continue;
      checkGradientShape(where, node, i, grad);
      const first = inputs.indexOf(inputs[i]!);
      const existing = staged[first];
      staged[first] = existing ? add(existing, grad) : grad;
    }
  } finally {
    swapRecording(previousRecording);
  }
  // Every write prepared before any runs (see plannedWrites).
  const writes: (() => void)[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const gradReq = input._gradReq;
    if (!needsGrad[i] || inputs.indexOf(input) !== i || (gradReq !== 'write' && gradReq !== 'add')) continue;
    writes.push(gradientWrite(input, staged[i] ?? null, gradReq));
  }
  if (writes.length === 0) throw noVariables(where);
  for (const write of writes) write();
  if (!options.retainGraph) {
    node.backward = null;
    for (const callback of graphFreed) callback();
  }
  return true;
}

/** ShapeError unless head gradient `i` has its head's shape. */
function checkHeadShape(where: string, i: number, given: NDArray, head: NDArray): void {
  if (!sameShape(given.shape, head.shape)) {
    throw new ShapeError(
      `${where}: headGrad ${i} has shape ${formatShape(given.shape)} but its head has shape ${formatShape(head.shape)}`,
    );
  }
}

/** ShapeError unless the gradient a rule returned for input `i` of `node` has that input's shape. */
function checkGradientShape(where: string, node: GraphNode, i: number, grad: NDArray): void {
  const input = node.inputs[i]!;
  if (!sameShape(grad.shape, input.shape)) {
    throw new ShapeError(
      `${where}: the backward of '${node.op}' returned a gradient of shape ${formatShape(grad.shape)} ` +
        `for input ${i} of shape ${formatShape(input.shape)}; it must match the input`,
    );
  }
}

/** The error of a pass with no variable to write. */
function noVariables(where: string): AutogradError {
  return new AutogradError(`${where}: there are no inputs in the computation graph that require gradients`);
}

/** BackwardPass.onGraphFreed of a pass that retains the graph: it never frees it. */
function ignoreCallback(_callback: () => void): void {}

/** The node whose rule the pass runs for `array`: none past a stop. */
function nodeOf(array: NDArray, stops: ReadonlySet<NDArray> | null): GraphNode | null {
  return stops?.has(array) ? null : array._node;
}

/** What a backward rule is told about the pass running it. */
export interface BackwardPass {
  /** Whether the graph is kept after this pass, so the rule may run again. */
  readonly retainGraph: boolean;
  /**
   * Registers `callback` to run once this pass has succeeded, written every gradient and freed
   * the graph (never when it throws, never when the graph is retained). By then no array the
   * rule returned is read any more, so the rule may take back memory it handed out.
   */
  onGraphFreed(callback: () => void): void;
}

/** Throws unless `node` can run its backward rule now (graph not freed, nothing written in place). */
function checkRunnable(where: string, node: GraphNode, array: NDArray): void {
  if (!node.backward) {
    throw new AutogradError(
      `${where}: the graph through '${node.op}' was freed by an earlier backward; ` +
        'pass {retainGraph: true} to the first backward to run it again',
    );
  }
  for (let i = 0; i < node.inputs.length; i++) {
    const input = node.inputs[i]!;
    if (input._version !== node.versions[i]) {
      throw new AutogradError(
        `${where}: input ${i} of '${node.op}' ${formatShape(input.shape)} was written in place after it was recorded`,
      );
    }
  }
  if (node.outputVersion !== undefined && array._version !== node.outputVersion) {
    throw new AutogradError(
      `${where}: the output of '${node.op}' ${formatShape(array.shape)} was written in place after it was recorded`,
    );
  }
}

/**
 * The writes of a pass into the variables' `.grad`, prepared so that running them cannot fail:
 * every computation that may throw (casts, the recorded additions of createGraph, allocating a
 * new buffer) happens here, before any `.grad` changes.
 */
function plannedWrites(
  where: string,
  order: readonly NDArray[],
  grads: ReadonlyMap<NDArray, NDArray | null>,
  createGraph: boolean,
): (() => void)[] {
  const writes: (() => void)[] = [];
  let variables = 0;
  for (const array of order) {
    const gradReq = array._gradReq;
    if (gradReq !== 'write' && gradReq !== 'add') continue;
    variables++;
    const grad = grads.get(array) ?? null;
    if (createGraph) {
      let next: NDArray;
      if (!grad) {
        if (gradReq === 'add' && array.grad) continue;
        next = zerosLike(array.grad ?? array);
      } else if (gradReq === 'add' && array.grad) {
        const previous = array.grad;
        next = withRecording(true, () => add(previous, grad));
      } else {
        next = grad.dtype === floatOf(array.dtype) ? grad : cast(grad, floatOf(array.dtype));
      }
      writes.push(() => {
        array.grad = next;
      });
      continue;
    }
    writes.push(gradientWrite(array, grad, gradReq));
  }
  if (variables === 0) throw noVariables(where);
  return writes;
}

/** Adds `grad` to the gradient of `array` staged in `grads`. */
function accumulate(grads: Map<NDArray, NDArray | null>, array: NDArray, grad: NDArray): void {
  const existing = grads.get(array);
  // null: the implicit ones of a unit head (never a variable's), made an array now.
  if (existing === undefined) grads.set(array, grad);
  else grads.set(array, add(existing ?? ones(array), grad));
}

/**
 * Whether the implicit unit head gradient of `head` may go to its node without an array of ones:
 * only when its node declares it accepts that (GraphNode.acceptsUnitHead), the pass does not
 * record (under createGraph the ones are part of the recorded gradient) and the head's own
 * gradient is never read (it is not a variable, not returned, not a stop).
 */
function acceptsUnitHead(
  head: NDArray,
  options: BackwardRunOptions,
  keep: ReadonlySet<NDArray> | null,
  stops: ReadonlySet<NDArray> | null,
): boolean {
  return (
    head._node?.acceptsUnitHead === true &&
    !options.createGraph &&
    head._gradReq === null &&
    !keep?.has(head) &&
    !stops?.has(head)
  );
}

/** The default head gradient: ones shaped and typed like `head`. */
function ones(head: NDArray): NDArray {
  return new NDArray(allocate(head.dtype, head.size).fill(1), head.shape);
}

function privateCopy(source: NDArray, dtype: DType): NDArray {
  const data = allocate(dtype, source.size);
  data.set(source.data);
  return new NDArray(data, source.shape);
}

/**
 * How a gradient is stored in `array.grad`, as MXNet does: into the existing buffer ('write'
 * overwrites, 'add' accumulates), so a reference to `x.grad` stays valid across backward passes.
 * A missing gradient (no path from the heads) writes zeros. The buffer is reused only when this
 * engine allocated it for `array` (see NDArray._ownedGrad): an array the user assigned to `.grad`
 * is replaced, never written into. Any new buffer is allocated now; the returned write cannot fail.
 */
function gradientWrite(array: NDArray, grad: NDArray | null, gradReq: 'write' | 'add'): () => void {
  const dtype = floatOf(array.dtype);
  const current = array.grad;
  const reusable =
    current !== null &&
    current === array._ownedGrad &&
    current._node === null &&
    sameShape(current.shape, array.shape) &&
    current.dtype === dtype;
  const buffer = reusable ? current : new NDArray(allocate(dtype, array.size), array.shape);
  const previous = !reusable && current && gradReq === 'add' && current.size === buffer.size ? current : null;
  return () => {
    if (buffer !== current) {
      if (previous) buffer.data.set(previous.data);
      array.grad = buffer;
      array._ownedGrad = buffer;
    }
    buffer._version++;
    const target = buffer.data;
    if (grad === null) {
      if (gradReq === 'write') target.fill(0);
      return;
    }
    const source = grad.data;
    if (gradReq === 'write') target.set(source);
    else for (let i = 0; i < target.length; i++) target[i]! += source[i]!;
  };
}
