/**
 * CTCLoss on caller-owned typed arrays. CTC has no one-pass hook: each call runs the class's own
 * block hooks (its α/β recursions and gradient kernels) as its block pipeline does, but writes
 * the per-sample losses and the gradient straight into the caller's arrays, with no graph node.
 * The lattice state comes from the loss object's CallMemory and goes back when the call returns,
 * so a loop at fixed sizes allocates nothing after its first call.
 * @module
 */
import { blockKernel } from '../loss/_base/loss.js';
import { CTCLoss, type CTCLossOptions } from '../loss/ctc.js';
import { ShapeError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { runBlocks } from './_block.js';
import {
  checkFloatArray,
  checkFloatOperands,
  checkInt32Array,
  checkSampleWeight,
  checkShape,
  naming,
  requirePerSample,
} from './_one-pass.js';
import type { FloatArray, KernelOutputs } from './kernels.js';

/** One call of a {@link CTCKernel}: inputs and outputs, all owned by the caller. */
export interface CTCKernelArguments<T extends FloatArray> extends KernelOutputs<T> {
  /** Activations (logits), row-major of `predShape`. */
  readonly pred: T;
  /** pred's shape: (N, T, C) with `layout: 'NTC'` (default), (T, N, C) with `'TNC'`. */
  readonly predShape: readonly [number, number, number];
  /** Class indices, padded as the loss's `blankLabel` says (−1 with the blank last). */
  readonly label: Int32Array;
  /**
   * label's shape: (N, L) with `labelLayout: 'NT'` (default), (L, N) with `'TN'`; default L =
   * label.length / N.
   */
  readonly labelShape?: readonly [number, number];
  /** Optional frames used per sample (N entries in [0, T]). */
  readonly predLengths?: Int32Array | null;
  /** Optional labels used per sample (N entries in [0, L]). */
  readonly labelLengths?: Int32Array | null;
}

/** CTCLoss on typed arrays: writes the per-sample losses and their gradient. */
export type CTCKernel = <T extends FloatArray>(args: CTCKernelArguments<T>) => void;

/**
 * CTCLoss on typed arrays, with the class's options (`layout`, `labelLayout`, `blankLabel`,
 * `zeroInfinity`, `weight`; the reduction is per sample). Values and gradients are the class's
 * recorded call's, bit for bit:
 * the same hooks run with the same per-sample scaling. At fixed sizes nothing is allocated after
 * the first call: the lattice state (decoded labels included) and the working memory come back
 * from the loss object's CallMemory, and the outputs are the caller's.
 *
 * @example
 * ```ts
 * const ctc = ctcKernel();
 * ctc({ pred, predShape: [N, T, C], label, loss: perSample, gradient });   // label: Int32Array(N × L), −1 padded
 * ```
 */
export function ctcKernel(options: CTCLossOptions = {}): CTCKernel {
  const where = 'ctcKernel';
  const loss = naming(where, () => new CTCLoss(options));
  requirePerSample(where, loss);
  const blocks = blockKernel(loss);
  return <T extends FloatArray>(args: CTCKernelArguments<T>): void => {
    const { pred, predShape, label, predLengths, labelLengths, sampleWeight, loss: out, gradient } = args;
    checkFloatOperands(where, pred, out);
    const samples = out.length;
    const batchFirst = loss.layout === 'NTC';
    checkShape(where, 'predShape', predShape, pred.length);
    if (predShape.length !== 3 || predShape[batchFirst ? 0 : 1] !== samples) {
      throw new ShapeError(
        `${where}: predShape [${predShape.join(', ')}] must be ${batchFirst ? '(N, T, C)' : '(T, N, C)'} with N = loss.length = ${samples}`,
      );
    }
    checkFloatArray(where, 'gradient', gradient, pred, pred.length);
    const labelsFirst = loss.labelLayout === 'NT';
    const width = samples === 0 ? 0 : label.length / samples;
    const labelShape = args.labelShape ?? (labelsFirst ? [samples, width] : [width, samples]);
    checkInt32Array(where, 'label', label, label.length, 'class indices');
    if (
      labelShape.length !== 2 ||
      labelShape[labelsFirst ? 0 : 1] !== samples ||
      labelShape[0]! * labelShape[1]! !== label.length ||
      !Number.isInteger(labelShape[labelsFirst ? 1 : 0])
    ) {
      throw new ShapeError(
        `${where}: label has ${label.length} elements, not ${labelsFirst ? '(N, L)' : '(L, N)'} with N = loss.length = ${samples} (labelShape [${labelShape.join(', ')}])`,
      );
    }
    if (predLengths) checkInt32Array(where, 'predLengths', predLengths, samples, 'one per sample');
    if (labelLengths) checkInt32Array(where, 'labelLengths', labelLengths, samples, 'one per sample');
    checkSampleWeight(where, sampleWeight, samples);
    const inputs = [
      new NDArray(label, labelShape),
      predLengths ? new NDArray(predLengths, [samples]) : null,
      labelLengths ? new NDArray(labelLengths, [samples]) : null,
    ];
    const arrays = [new NDArray(pred, predShape), ...inputs];
    const run = { weight: loss.weight, sampleWeight: sampleWeight ?? null, out, gradient };
    naming(where, () => runBlocks(blocks, arrays, run));
  };
}
