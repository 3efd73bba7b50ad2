/**
 * One definition per differentiable operation: the forward kernel and the backward rule side by
 * side (MXNet's `autograd.Function`, tfjs's `customGrad`). Primitive ops, losses and user ops are
 * all made this way, so the recording logic lives in exactly one place.
 *
 * Backward rules are written with NDArray ops. With `createGraph` they run while recording, so
 * the gradient they return is itself differentiable: second derivatives come for free.
 * @module
 */
import type { BackwardPass } from '../autograd/backward.js';
import type { GraphNode } from '../autograd/node.js';
import { isRecording, swapRecording } from '../autograd/state.js';
import { allocate, isFloat } from '../ndarray/dtype.js';
import { NDArray } from '../ndarray/ndarray.js';

/** What a backward rule receives. */
export interface BackwardContext<Attrs, Saved> {
  readonly inputs: readonly NDArray[];
  readonly output: NDArray;
  readonly attrs: Attrs;
  readonly saved: Saved;
  /**
   * Gradient of the final result with respect to `output`, shaped like it. When `unitHead` is
   * true it is ones, allocated on first read: a rule that checks `unitHead` first need not read it.
   */
  readonly gradOutput: NDArray;
  /**
   * True when the gradient of `output` is the implicit unit head (a backward without a head
   * gradient, without createGraph, of an op that declared `acceptsUnitHead`): every element of
   * gradOutput is 1. Always false for an op that did not declare it.
   */
  readonly unitHead: boolean;
  /** Which inputs need a gradient; a rule may return null for the others. */
  readonly needsGrad: readonly boolean[];
  /**
   * Whether the graph is kept after this pass (`retainGraph`), so the rule may run again; when
   * false this is the rule's last run and it may hand buffers in `saved` on.
   */
  readonly retainGraph: boolean;
  /**
   * Registers `callback` to run once the pass has succeeded, written every gradient and freed the
   * graph (never when the pass throws or the graph is retained). A rule that hands out memory it
   * wants back (a buffer reused by its loss's next call) takes it back there, when nothing can
   * read it any more. An array a rule receives (gradOutput) is valid only during the rule's run.
   */
  onGraphFreed(callback: () => void): void;
}

/** What a forward kernel returns: the output, or the output plus state saved for backward. */
export type ForwardResult<Saved> = NDArray | { readonly output: NDArray; readonly saved: Saved };

/**
 * An operation definition. Both halves are required: an op without a backward does not type-check.
 * The backward must return one entry per input, shaped like that input, or null for no gradient.
 */
export interface OpDefinition<Attrs, Saved> {
  readonly name: string;
  /**
   * Whether the backward checks `unitHead` before reading gradOutput (default false). The engine
   * then skips allocating the ones of an implicit head gradient for this op; gradOutput is still
   * ones if read. (A rule that returns gradOutput itself gains nothing: it is allocated then.)
   */
  readonly acceptsUnitHead?: boolean;
  forward(inputs: readonly NDArray[], attrs: Attrs): ForwardResult<Saved>;
  backward(context: BackwardContext<Attrs, Saved>): readonly (NDArray | null)[];
}

/** A defined op: call it with its inputs and attributes. */
export type Op<Attrs> = (inputs: readonly NDArray[], attrs: Attrs) => NDArray;

function isArrayResult<Saved>(result: ForwardResult<Saved>): result is NDArray {
  return result instanceof NDArray || ('shape' in result && 'data' in result);
}

/**
 * Turns a definition into a callable op. The forward runs with recording paused; when recording is
 * on, any input needs a gradient and the output is floating point, the output gets exactly one
 * graph node. An int32 output never gets one: only floating arrays can require gradients.
 */
export function defineOp<Attrs = undefined, Saved = undefined>(
  definition: OpDefinition<Attrs, Saved>,
): Op<Attrs> {
  return (inputs, attrs) => {
    // The forward runs with recording paused (withRecording's work, inlined: no closure per op).
    const previous = swapRecording(false);
    let result: ForwardResult<Saved>;
    try {
      result = definition.forward(inputs, attrs);
    } finally {
      swapRecording(previous);
    }
    let output = isArrayResult(result) ? result : result.output;
    // A forward that hands back one of its inputs (an identity) must not give that input this
    // node, or the input would become its own parent: give the output its own array object.
    if (inputs.includes(output)) output = new NDArray(output.data, output.shape);
    const saved = (isArrayResult(result) ? undefined : result.saved) as Saved;
    // Only floating arrays can require gradients (the rule attachGrad enforces): an int32 output,
    // such as argmax or a cast to int32, is a constant, so nothing flows back through it.
    if (!isRecording() || !isFloat(output.dtype)) return output;
    let any = false;
    const needsGrad: boolean[] = [];
    const versions: number[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      const needs = input.requiresGrad;
      any ||= needs;
      needsGrad.push(needs);
      versions.push(input._version);
    }
    if (!any) return output;
    const recorded = output;
    const node: GraphNode = {
      op: definition.name,
      inputs,
      needsGrad,
      versions,
      outputVersion: output._version,
      acceptsUnitHead: definition.acceptsUnitHead === true,
      backward: ruleOf(definition, inputs, recorded, attrs, saved, needsGrad),
    };
    output._node = node;
    return output;
  };
}

/**
 * The node's closure over its call, running `definition.backward`. Made here and returned, not
 * written inline in the node's literal: there esbuild's keepNames (tsx) would name each new
 * closure with a defineProperty call, on every recorded op call.
 */
function ruleOf<Attrs, Saved>(
  definition: OpDefinition<Attrs, Saved>,
  inputs: readonly NDArray[],
  output: NDArray,
  attrs: Attrs,
  saved: Saved,
  needsGrad: readonly boolean[],
): NonNullable<GraphNode['backward']> {
  return (gradOutput, pass) =>
    definition.backward(
      gradOutput
        ? {
            inputs,
            output,
            attrs,
            saved,
            gradOutput,
            unitHead: false,
            needsGrad,
            retainGraph: pass.retainGraph,
            onGraphFreed: pass.onGraphFreed,
          }
        : new UnitHeadContext(inputs, output, attrs, saved, needsGrad, pass),
    );
}

/**
 * The context of a rule run for the implicit unit head: gradOutput is ones, made on first read
 * (and the same array on later reads of this run), a new array for each run. A class, not an
 * object literal with a getter, which V8 builds slowly, in its runtime.
 */
class UnitHeadContext<Attrs, Saved> implements BackwardContext<Attrs, Saved> {
  readonly unitHead = true;
  readonly retainGraph: boolean;
  readonly onGraphFreed: (callback: () => void) => void;
  private ones: NDArray | null = null;

  constructor(
    readonly inputs: readonly NDArray[],
    readonly output: NDArray,
    readonly attrs: Attrs,
    readonly saved: Saved,
    readonly needsGrad: readonly boolean[],
    pass: BackwardPass,
  ) {
    this.retainGraph = pass.retainGraph;
    this.onGraphFreed = pass.onGraphFreed;
  }

  get gradOutput(): NDArray {
    this.ones ??= new NDArray(allocate(this.output.dtype, this.output.size).fill(1), this.output.shape);
    return this.ones;
  }
}
