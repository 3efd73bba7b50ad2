/**
 * `gluon.loss`: every Gluon loss, one file each. Adding a loss is one file, one test file and one
 * line here; {@link ALL_LOSSES} is derived from these exports.
 * @module
 */
export * from './exports.js';
export { Loss } from './_base/index.js';
export type { LossConfig, LossInput, LossOptions, LossReduction } from './_base/index.js';
export { ALL_LOSSES, type LossClass } from './_registry.js';
export { fromConfig } from './_config.js';
export { functional, functionName, type LossFunction } from './_functional.js';
