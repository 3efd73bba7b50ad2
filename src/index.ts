/**
 * gloss: MXNet Gluon's loss functions, NDArray and autograd in TypeScript.
 *
 * ```ts
 * import { nd, autograd, gluon } from 'gloss';
 * const { nn, loss: gloss } = gluon;
 * ```
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
export * as plot from './plot/index.js';
export { ensureWasm, kernelBackend, setKernelBackend } from './wasm/index.js';
