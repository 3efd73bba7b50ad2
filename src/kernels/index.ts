/**
 * gloss's fast kernels: WebAssembly SIMD (hand-written WAT in this folder, built by
 * scripts/build-wasm.mjs into kernels.generated.ts) with a pure TypeScript twin of each kernel.
 *
 * Every kernel takes typed arrays (with offsets and counts, or, in the softmax family, one object
 * of subarray views), allocates little per call, and picks its implementation itself: the wasm
 * one for float32 data when the `'wasm'` backend is active (the default where WebAssembly SIMD
 * loads), the TypeScript one (float64 Math) otherwise. {@link setKernelBackend} switches
 * globally, for tests and for debugging; {@link ensureWasm} loads the module asynchronously where
 * synchronous compilation is not allowed (a browser's main thread).
 * @module
 */
export {
  sigmoidBinaryCrossEntropyBackward,
  sigmoidBinaryCrossEntropyForward,
  sigmoidBinaryCrossEntropyGradient,
} from './binary-cross-entropy.js';
export {
  expInto,
  log1pInto,
  logInto,
  sigmoidInto,
  sigmoidScalar,
  softplusInto,
  softplusScalar,
} from './elementwise.js';
export { type CTCAlphaRecursion, type CTCBetaRecursion, ctcAlphaLinear, ctcBetaLinear } from './ctc.js';
export { matmul } from './matmul.js';
export { type ResidualLoss, residualLossGradient } from './residual.js';
export {
  ensureWasm,
  fusedMultiplyAdd,
  type KernelBackend,
  type KernelBackendChoice,
  kernelBackend,
  setKernelBackend,
  useFusedMultiplyAdd,
} from './runtime.js';
export { type SGDUpdateArguments, sgdUpdate } from './sgd.js';
export { tripletLossGradient } from './triplet.js';
export type {
  RowNormalizers,
  SoftmaxGradientRows,
  SoftmaxRows,
  SparseCrossEntropyGradientRows,
  SparseCrossEntropyRows,
} from './_softmax-arguments.js';
export {
  softmaxGradientRows,
  softmaxRowNormalizers,
  softmaxRowNormalizersFloat64,
  sparseSoftmaxCrossEntropyGradientRows,
  sparseSoftmaxCrossEntropyRows,
} from './softmax.js';
export { type FloatArray, floatData, isFloatArray } from './_spans.js';
