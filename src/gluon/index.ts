/**
 * The `gluon` namespace: `gluon.loss` (every Gluon loss), `gluon.nn` (layers) and `gluon.Trainer`.
 * @module
 */
export * as loss from '../loss/index.js';
