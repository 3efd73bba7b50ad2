/**
 * `gloss-ml/kernels`: gloss's losses for code that trains on plain typed arrays (hand-written
 * nets, WebGPU or ONNX pipelines): one call writes each sample's loss and the gradient with
 * respect to the predictions into arrays the caller owns, float32 or float64, with the class's
 * options and exactly the class's numbers (the same kernels run).
 *
 * ```ts
 * import { l2Kernel } from 'gloss-ml/kernels';
 * const l2 = l2Kernel();
 * l2({ pred, label, loss: perSample, gradient });   // pred: batch × outputs, sample-major
 * ```
 *
 * Kernels exist for the losses with a one-pass kernel: L1, L2, Huber, SigmoidBCE (logits, no
 * posWeight), Logistic, Triplet and SoftmaxCE (sparse labels on logits), and, through the class's
 * recorded call, SoftmaxCE's other forms (dense labels, fromLogits, another class axis) and CTC.
 *
 * Memory: L1, L2, Huber, SigmoidBCE, Logistic, Triplet, CTC and SoftmaxCE with sparse labels on
 * logits (with or without labelSmoothing, classWeight and ignoreIndex) allocate no array per call
 * once the sizes are fixed: working memory and CTC's lattice state come back from the loss
 * object's CallMemory. SoftmaxCE's other forms (dense labels, fromLogits, another class axis) run
 * the class's recorded call: nothing the size of `pred` per call, but its output and the autograd
 * engine's head gradient (one value per sample each).
 * @module
 */
export {
  type FloatArray,
  huberKernel,
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
