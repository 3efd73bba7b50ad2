/**
 * `gloss-ml/kernels`: gloss's losses for code that trains on plain typed arrays (hand-written
 * nets, WebGPU or ONNX pipelines): one call writes each sample's loss and the gradient with
 * respect to the predictions into arrays the caller owns, float32 or float64, with the class's
 * options and exactly the class's numbers (the same kernels run). The reduction is always per
 * sample: a loss object with another `reduction` is a ValueError (reduce `loss` yourself; the
 * gradient written is that of Σ loss).
 *
 * ```ts
 * import { l2Kernel } from 'gloss-ml/kernels';
 * const l2 = l2Kernel();
 * l2({ pred, label, loss: perSample, gradient });   // pred: batch × outputs, sample-major
 * ```
 *
 * Kernels exist for the losses with a one-pass kernel: L1, L2, Huber, SigmoidBCE (logits, no
 * posWeight), Logistic, Triplet and SoftmaxCE (sparse labels on logits), and, through the class's
 * block hooks, SoftmaxCE's other forms (dense labels, fromLogits, another class axis) and CTC.
 *
 * Memory: once the sizes are fixed no kernel allocates an array per call, with two exceptions of
 * one small array per block of rows: SoftmaxCE with dense labels (each row's label mass) and with
 * the class axis not last (the rows' running argmax). Working memory, row normalisers and CTC's
 * lattice state come back from the loss object's CallMemory, and the forms without a one-pass
 * hook (CTC; SoftmaxCE's dense, fromLogits and other-axis forms) run the class's block hooks
 * straight into the caller's arrays (no output array, no head gradient).
 * @module
 */
export {
  type FloatArray,
  huberKernel,
  type KernelOutputs,
  l1Kernel,
  l2Kernel,
  type LossKernel,
  type LossKernelArguments,
  logisticKernel,
  lossKernel,
  sigmoidBCEKernel,
  tripletKernel,
} from './kernels.js';
export { type CTCKernel, type CTCKernelArguments, ctcKernel } from './ctc.js';
export { type SoftmaxCEKernel, type SoftmaxCEKernelArguments, softmaxCEKernel } from './softmax-ce.js';
