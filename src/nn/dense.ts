/**
 * The fully connected layer (Gluon's `nn.Dense`).
 * @module
 */
import type { InitializerLike } from '../init/initializer.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { sizeOf } from '../ndarray/shape.js';
import { Activation, type ActivationName, applyActivation, checkActivation } from './activations.js';
import { Block } from './block.js';
import { fullyConnected } from './fully-connected.js';
import { Parameter } from './parameter.js';

/** Options of {@link Dense}. */
export interface DenseOptions {
  /** Activation applied to the output; none (linear) by default. */
  activation?: ActivationName | null;
  /** Whether the layer has a bias (default true). */
  useBias?: boolean;
  /**
   * true (default): inputs are flattened to `(batch, features)`. false: the layer acts on the
   * last axis only, `(..., inUnits) → (..., units)`.
   */
  flatten?: boolean;
  /** Input size; 0 or absent means it is inferred from the first input (deferred initialization). */
  inUnits?: number;
  /** The weight's own initializer; absent means the one given to `initialize()`. */
  weightInitializer?: InitializerLike | null;
  /** The bias's own initializer (default 'zeros', as in Gluon). */
  biasInitializer?: InitializerLike;
  /** Parameter dtype (default 'float32'). */
  dtype?: 'float32' | 'float64';
}

const KNOWN_OPTIONS = [
  'activation',
  'useBias',
  'flatten',
  'inUnits',
  'weightInitializer',
  'biasInitializer',
  'dtype',
];

/**
 * A fully connected layer: `out = activation(x · Wᵀ + b)` with `weight` of shape
 * `[units, inUnits]` and `bias` of shape `[units]`.
 *
 * Without `inUnits` the input size is taken from the first input, so `initialize()` only
 * records the initializers and the arrays appear on the first forward; reading
 * `weight.data()` earlier throws a `DeferredInitializationError`.
 *
 * @example
 * ```ts
 * const net = new nn.Dense(1);
 * net.initialize();
 * const out = net.forward(nd.random.uniform(0, 1, [2, 4])); // shape [2, 1]
 * net.weight.data().shape; // [1, 4]
 * ```
 */
export class Dense extends Block {
  /** Output size. */
  readonly units: number;
  /** Activation applied to the output, or null for linear. */
  readonly activation: ActivationName | null;
  /** Whether inputs are flattened to (batch, features). */
  readonly flatten: boolean;
  /** The weight, shape `[units, inUnits]`. */
  readonly weight: Parameter;
  /** The bias, or null when `useBias` is false. */
  readonly bias: Parameter | null;

  constructor(units: number, options: DenseOptions = {}) {
    super();
    const where = 'Dense';
    if (!Number.isInteger(units) || units <= 0) {
      throw new ValueError(`${where}: units must be a positive integer, got ${String(units)}`);
    }
    for (const key of Object.keys(options)) {
      if (!KNOWN_OPTIONS.includes(key)) {
        throw new ValueError(`${where}: unknown option ${key}; the options are ${KNOWN_OPTIONS.join(', ')}`);
      }
    }
    const inUnits = options.inUnits ?? 0;
    if (!Number.isInteger(inUnits) || inUnits < 0) {
      throw new ValueError(`${where}: inUnits must be an integer >= 0 (0 = infer), got ${String(inUnits)}`);
    }
    this.units = units;
    this.activation =
      options.activation === undefined || options.activation === null
        ? null
        : checkActivation(where, options.activation);
    this.flatten = options.flatten ?? true;
    const dtype = options.dtype ?? 'float32';
    this.weight = this.registerParameter(
      new Parameter('weight', { shape: [units, inUnits], dtype, init: options.weightInitializer ?? null }),
    );
    this.bias =
      (options.useBias ?? true)
        ? this.registerParameter(
            new Parameter('bias', { shape: [units], dtype, init: options.biasInitializer ?? 'zeros' }),
          )
        : null;
  }

  /** The input size, or 0 while it is not known yet. */
  get inUnits(): number {
    return this.weight.shape[1]!;
  }

  forward(x: NDArray): NDArray {
    if (x.ndim === 0)
      throw new ShapeError(`Dense: input must have at least 1 axis, got ${formatShape(x.shape)}`);
    if (this.inUnits === 0) {
      const inferred = this.flatten ? sizeOf(x.shape.slice(1)) : x.shape[x.ndim - 1]!;
      this.weight.inferShape([this.units, inferred]);
    }
    const out = fullyConnected(x, this.weight.data(), this.bias ? this.bias.data() : null, {
      flatten: this.flatten,
    });
    return this.activation ? applyActivation(out, this.activation) : out;
  }

  /** Gluon's form: `Dense(None -> 1, linear)` before the input size is known, `Dense(4 -> 1, linear)` after. */
  override toString(): string {
    const input = this.inUnits === 0 ? 'None' : String(this.inUnits);
    const act = this.activation ? new Activation(this.activation).toString() : 'linear';
    return `Dense(${input} -> ${this.units}, ${act})`;
  }
}
