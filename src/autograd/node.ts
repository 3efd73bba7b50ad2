import type { NDArray } from '../ndarray/ndarray.js';
import type { BackwardPass } from './backward.js';

/** How a backward pass writes a variable's gradient buffer. */
export type GradReq = 'write' | 'add' | 'null';

/**
 * One recorded operation: the arrays it read and a closure that maps the gradient of its output
 * to gradients of its inputs. The closure is dropped when the graph is freed.
 */
export interface GraphNode {
  readonly op: string;
  readonly inputs: readonly NDArray[];
  /** Which inputs need a gradient (recorded variables or outputs of recorded ops). */
  readonly needsGrad: readonly boolean[];
  /** Input versions at record time: an input written in place afterwards makes backward throw. */
  readonly versions: readonly number[];
  /** Version of the output at record time (backward rules may read the output, e.g. exp). */
  readonly outputVersion?: number;
  /**
   * Whether the rule accepts the implicit unit head gradient without an array of ones: the
   * engine then passes gradOutput null for it (see {@link GraphNode.backward}).
   */
  readonly acceptsUnitHead: boolean;
  /**
   * The backward rule, told about the pass that runs it; null once the graph is freed.
   * `gradOutput` is null only for a node that accepts the unit head, when its output is a head of
   * a pass without createGraph whose head gradient was not given and nothing else adds to it: a
   * gradient of ones that the engine did not allocate. Every other node always gets an array.
   */
  backward: ((gradOutput: NDArray | null, pass: BackwardPass) => readonly (NDArray | null)[]) | null;
}
