/**
 * gloss: MXNet Gluon's loss functions, NDArray and autograd in TypeScript.
 *
 * ```ts
 * import { nd, autograd, gluon } from 'gloss-ml';
 * const { nn, loss: gloss } = gluon;
 * ```
 *
 * This entry loads no other package (charts are in `gloss-ml/plot`, which uses d3; files, PNG and
 * threads in `gloss-ml/node`).
 * @module
 */
export * as nd from './ndarray/index.js';
export * as autograd from './autograd/index.js';
export { NDArray } from './ndarray/ndarray.js';
export { AutogradError, ShapeError, ValueError } from './ndarray/errors.js';
export type { DType } from './ndarray/dtype.js';
export { checkGradient, checkSecondGradient, numericGradient } from './testing/gradcheck.js';
export * as gluon from './gluon/index.js';
export * as init from './init/index.js';
export * as optimizer from './optim/index.js';
export {
  ensureWasm,
  fusedMultiplyAdd,
  kernelBackend,
  setKernelBackend,
  useFusedMultiplyAdd,
} from './kernels/index.js';
