/**
 * SoftmaxCrossEntropyLoss on caller-owned typed arrays, sparse (Int32Array class indices) or
 * dense (float rows) labels. Logits with the class axis last and sparse labels, or dense ones
 * without options, run the class's one-pass hook (its training-step kernel); every other form
 * runs its block hooks as its block pipeline does (typed/_block.ts), into the caller's arrays.
 * @module
 */
import { blockKernel } from '../loss/_base/loss.js';
import { SoftmaxCrossEntropyLoss, type SoftmaxCrossEntropyLossOptions } from '../loss/softmax-ce.js';
import { ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxis } from '../ndarray/shape.js';
import { runBlocks } from './_block.js';
import {
  checkFloatArray,
  checkFloatOperands,
  checkInt32Array,
  checkSampleWeight,
  checkShape,
  naming,
  OnePassRunner,
  requirePerSample,
} from './_one-pass.js';
import type { FloatArray, KernelOutputs } from './kernels.js';

/** One call of a {@link SoftmaxCEKernel}: inputs and outputs, all owned by the caller. */
export interface SoftmaxCEKernelArguments<T extends FloatArray> extends KernelOutputs<T> {
  /** Logits (log-probabilities with `fromLogits`), row-major of `predShape`, batch first. */
  readonly pred: T;
  /** pred's shape, batch first; default `[loss.length, pred.length / loss.length]`, i.e. (N, C). */
  readonly predShape?: readonly number[];
  /**
   * Sparse labels (the default): an Int32Array of one class index per row (pred's elements
   * without the class axis, row-major). Dense labels (`sparseLabel: false`): laid out like `pred`,
   * of its type.
   */
  readonly label: Int32Array | T;
}

/** SoftmaxCrossEntropyLoss on typed arrays: writes the per-sample losses and their gradient. */
export type SoftmaxCEKernel = <T extends FloatArray>(args: SoftmaxCEKernelArguments<T>) => void;

/**
 * SoftmaxCrossEntropyLoss on typed arrays, with the class's options (`axis` −1, `sparseLabel`
 * true, `fromLogits` false, `labelSmoothing`, `classWeight`, `ignoreIndex`, `weight`). Values
 * and gradients are the class's, bit for bit: logits with the class axis last and sparse labels,
 * or dense ones without options, run its one-pass hook, the other forms its block hooks. Once the sizes are fixed nothing is
 * allocated after the first call (int32 labels are checked in place; working memory, row
 * normalisers and dense target weights are the loss object's, reused from call to call).
 *
 * @example
 * ```ts
 * const ce = softmaxCEKernel();
 * ce({ pred: logits, label: classes, loss: perSample, gradient });   // logits: N × C, classes: Int32Array(N)
 * ```
 */
export function softmaxCEKernel(options: SoftmaxCrossEntropyLossOptions = {}): SoftmaxCEKernel {
  const where = 'softmaxCEKernel';
  const loss = naming(where, () => new SoftmaxCrossEntropyLoss(options));
  if (loss.batchAxis !== 0) {
    throw new ValueError(
      `${where}: the typed-array layout has the batch first; batchAxis is ${loss.batchAxis}`,
    );
  }
  requirePerSample(where, loss);
  const onePass = new OnePassRunner(loss, where);
  // The other forms run the class's block hooks into the caller's arrays (typed/_block.ts).
  const blocks = blockKernel(loss);
  return <T extends FloatArray>(args: SoftmaxCEKernelArguments<T>): void => {
    const { pred, label, sampleWeight, loss: out, gradient } = args;
    checkFloatOperands(where, pred, out);
    const samples = out.length;
    if (!args.predShape && (samples === 0 || pred.length % samples !== 0)) {
      throw new ShapeError(
        `${where}: pred has ${pred.length} elements, not a whole number per sample for ${samples} samples (loss.length); pass predShape`,
      );
    }
    const shape = args.predShape ?? [samples, pred.length / samples];
    checkShape(where, 'predShape', shape, pred.length);
    if (shape.length < 2 || shape[0] !== samples || samples === 0) {
      throw new ShapeError(
        `${where}: predShape [${shape.join(', ')}] must be (samples, …, classes) with samples = loss.length = ${samples}`,
      );
    }
    const axis = normalizeAxis(loss.axis, shape.length, where, 'axis');
    const classes = shape[axis]!;
    const rowShape = shape.filter((_, i) => i !== axis);
    const rows = classes === 0 ? 0 : pred.length / classes;
    let labelArray: NDArray;
    if (loss.sparseLabel) {
      checkInt32Array(where, 'label', label, rows, `one class index per row of pred along axis ${axis}`);
      labelArray = new NDArray(label, rowShape);
    } else {
      checkFloatArray(where, 'label', label, pred, pred.length);
      labelArray = new NDArray(label, shape);
    }
    checkFloatArray(where, 'gradient', gradient, pred, pred.length);
    checkSampleWeight(where, sampleWeight, samples);
    if (!loss.fromLogits) {
      const prepared = onePass.prepare([new NDArray(pred, shape), labelArray]);
      if (onePass.covers(prepared)) {
        onePass.run(prepared, sampleWeight ?? null, out, gradient);
        return;
      }
      onePass.release(prepared);
    }
    const run = { weight: loss.weight, sampleWeight: sampleWeight ?? null, out, gradient };
    naming(where, () => runBlocks(blocks, [new NDArray(pred, shape), labelArray], run));
  };
}
