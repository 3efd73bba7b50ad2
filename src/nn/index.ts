/**
 * `gluon.nn`: layers and parameters. `Dense`, `Sequential`, `Activation`, the `Block` base for
 * your own layers, and `Parameter` with deferred initialization.
 * @module
 */
export { Activation, type ActivationName, LeakyReLU } from './activations.js';
export { Block, type LoadParametersOptions } from './block.js';
export { Dense, type DenseOptions } from './dense.js';
export { fullyConnected, type FullyConnectedOptions } from './fully-connected.js';
export {
  DeferredInitializationError,
  Parameter,
  type ParameterInitializeOptions,
  ParameterNotInitializedError,
  type ParameterOptions,
} from './parameter.js';
export { type InitializeOptions, ParameterDict } from './parameter-dict.js';
export { Sequential } from './sequential.js';
export { type DecodedArrays, decodeArrays, encodeArrays } from './serialization.js';
