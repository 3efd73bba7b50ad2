/**
 * The `gluon` namespace: `gluon.loss` (every Gluon loss), `gluon.nn` (layers) and `gluon.Trainer`.
 * @module
 */
export * as loss from '../loss/index.js';
export * as nn from '../nn/index.js';
export { Trainer } from '../optim/trainer.js';
