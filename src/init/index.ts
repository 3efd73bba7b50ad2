/**
 * The `init` namespace (MXNet `mxnet.init`): `Uniform`, `Normal`, `Xavier`, `Zero`, `One`,
 * `Constant`, and `create` for MXNet's short names.
 *
 * ```ts
 * net.initialize(new init.Xavier({ magnitude: 2 }));
 * ```
 * @module
 */
export {
  Constant,
  create,
  Initializer,
  type InitializerLike,
  Normal,
  One,
  RandomInitializer,
  Uniform,
  Xavier,
  type XavierOptions,
  Zero,
} from './initializer.js';
