/**
 * Optimizers (MXNet `mxnet.optimizer`) and the `Trainer` that applies them. Each optimizer lives
 * in its own file; `createOptimizer(name, options)` makes one by name.
 * @module
 */
export { Adam, type AdamOptions } from './adam.js';
export {
  clipValue,
  Optimizer,
  type OptimizerOptions,
  type OptimizerSnapshot,
  type OptimizerState,
  type UpdateContext,
} from './optimizer.js';
export { createOptimizer, type OptimizerName, type OptimizerOptionsByName } from './registry.js';
export { RMSProp, type RMSPropOptions } from './rmsprop.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Trainer, type TrainerParameters } from './trainer.js';
