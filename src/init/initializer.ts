/**
 * Weight initializers, as in `mxnet.init`: each one makes a fresh array of a given shape. The
 * random ones draw from a {@link RandomGenerator} — by default the global one behind
 * `nd.random`, so `nd.random.seed(n)` makes initialization reproducible.
 * @module
 */
import { allocate, type DType } from '../ndarray/dtype.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { globalGenerator, normal, type RandomGenerator, uniform } from '../ndarray/random.js';
import { sizeOf } from '../ndarray/shape.js';

/** Base of every initializer: `create(shape, dtype, generator)` returns the initial values. */
export abstract class Initializer {
  /**
   * A new array of `shape` holding the initial values.
   * @param name The parameter being initialized, for error messages.
   */
  abstract create(
    shape: readonly number[],
    dtype?: DType,
    generator?: RandomGenerator,
    name?: string,
  ): NDArray;

  /** Gluon-like description, e.g. `Uniform(scale=0.07)`. */
  abstract toString(): string;
}

function checkPositive(where: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValueError(`${where}: ${option} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

/**
 * Base of the random initializers: i.i.d. draws, uniform in [−s, s] or normal with mean 0 and
 * deviation s, for the scale s that {@link scaleFor} gives a weight's shape.
 */
export abstract class RandomInitializer extends Initializer {
  /** Uniform draws in ±scale, or gaussian ones with deviation scale. */
  abstract readonly rndType: 'uniform' | 'gaussian';

  /** The half-width (uniform) or deviation (gaussian) used for a weight of `shape`. */
  abstract scaleFor(shape: readonly number[], name?: string): number;

  create(
    shape: readonly number[],
    dtype: DType = 'float32',
    generator: RandomGenerator = globalGenerator,
    name?: string,
  ): NDArray {
    const scale = this.scaleFor(shape, name);
    return this.rndType === 'uniform'
      ? uniform(-scale, scale, shape, { dtype, generator })
      : normal(0, scale, shape, { dtype, generator });
  }
}

/** Weights drawn i.i.d. uniform in [−scale, scale] (MXNet `init.Uniform`). */
export class Uniform extends RandomInitializer {
  readonly rndType = 'uniform';
  /** Half-width of the interval. */
  readonly scale: number;

  /** @param scale Half-width of the interval (default 0.07, MXNet's default). */
  constructor(scale = 0.07) {
    super();
    this.scale = checkPositive('init.Uniform', 'scale', scale);
  }

  scaleFor(): number {
    return this.scale;
  }

  toString(): string {
    return `Uniform(scale=${this.scale})`;
  }
}

/** Weights drawn i.i.d. from a normal distribution with mean 0 and deviation `sigma`. */
export class Normal extends RandomInitializer {
  readonly rndType = 'gaussian';
  /** Standard deviation. */
  readonly sigma: number;

  /** @param sigma Standard deviation (default 0.01, MXNet's default). */
  constructor(sigma = 0.01) {
    super();
    this.sigma = checkPositive('init.Normal', 'sigma', sigma);
  }

  scaleFor(): number {
    return this.sigma;
  }

  toString(): string {
    return `Normal(sigma=${this.sigma})`;
  }
}

/** Options of {@link Xavier}. */
export interface XavierOptions {
  /** 'uniform' (default) draws in ±scale; 'gaussian' draws normal with deviation scale. */
  rndType?: 'uniform' | 'gaussian';
  /** Which fan sets the scale: 'avg' (default) of fan-in and fan-out, 'in' or 'out'. */
  factorType?: 'avg' | 'in' | 'out';
  /** The numerator under the square root (default 3). */
  magnitude?: number;
}

/**
 * Glorot & Bengio's initialization (MXNet `init.Xavier`). For a weight of shape
 * `[out, in, ...rest]`, with `r = prod(rest)`, fan-in = in·r and fan-out = out·r, and
 *
 *     scale = sqrt(magnitude / factor),  factor = (fanIn + fanOut) / 2 | fanIn | fanOut.
 *
 * Uniform draws fall in [−scale, scale]; gaussian ones have deviation `scale`. Needs at least 2 axes.
 */
export class Xavier extends RandomInitializer {
  /** Uniform or gaussian draws. */
  readonly rndType: 'uniform' | 'gaussian';
  /** Which fan sets the scale. */
  readonly factorType: 'avg' | 'in' | 'out';
  /** Numerator under the square root. */
  readonly magnitude: number;

  constructor(options: XavierOptions = {}) {
    super();
    const rndType = options.rndType ?? 'uniform';
    if (rndType !== 'uniform' && rndType !== 'gaussian') {
      throw new ValueError(
        `init.Xavier: rndType must be 'uniform' or 'gaussian', got ${JSON.stringify(rndType)}`,
      );
    }
    const factorType = options.factorType ?? 'avg';
    if (factorType !== 'avg' && factorType !== 'in' && factorType !== 'out') {
      throw new ValueError(
        `init.Xavier: factorType must be 'avg', 'in' or 'out', got ${JSON.stringify(factorType)}`,
      );
    }
    this.rndType = rndType;
    this.factorType = factorType;
    this.magnitude = checkPositive('init.Xavier', 'magnitude', options.magnitude ?? 3);
  }

  scaleFor(shape: readonly number[], name = 'the parameter'): number {
    if (shape.length < 2) {
      throw new ShapeError(
        `init.Xavier: cannot initialize ${name} of shape ${formatShape(shape)}: Xavier needs at least 2 axes ` +
          '(give vectors such as biases their own initializer, e.g. init.Zero)',
      );
    }
    const receptive = sizeOf(shape.slice(2));
    const fanIn = shape[1]! * receptive;
    const fanOut = shape[0]! * receptive;
    const factor =
      this.factorType === 'avg' ? (fanIn + fanOut) / 2 : this.factorType === 'in' ? fanIn : fanOut;
    return Math.sqrt(this.magnitude / factor);
  }

  toString(): string {
    return `Xavier(rndType=${this.rndType}, factorType=${this.factorType}, magnitude=${this.magnitude})`;
  }
}

/** Every element set to `value` (MXNet `init.Constant`). */
export class Constant extends Initializer {
  /** The fill value. */
  readonly value: number;

  constructor(value: number) {
    super();
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new ValueError(`init.Constant: value must be a number, got ${String(value)}`);
    }
    this.value = value;
  }

  create(shape: readonly number[], dtype: DType = 'float32'): NDArray {
    const data = allocate(dtype, sizeOf(shape));
    if (this.value !== 0) data.fill(this.value);
    return new NDArray(data, shape);
  }

  toString(): string {
    return `Constant(value=${this.value})`;
  }
}

/** Every element 0 (MXNet `init.Zero`, the default for biases). */
export class Zero extends Constant {
  constructor() {
    super(0);
  }

  override toString(): string {
    return 'Zero()';
  }
}

/** Every element 1 (MXNet `init.One`). */
export class One extends Constant {
  constructor() {
    super(1);
  }

  override toString(): string {
    return 'One()';
  }
}

/** What layers accept as an initializer: an instance or one of MXNet's short names. */
export type InitializerLike = Initializer | 'zeros' | 'ones' | 'uniform' | 'normal' | 'xavier';

const NAMED: Record<string, () => Initializer> = {
  zeros: () => new Zero(),
  ones: () => new One(),
  uniform: () => new Uniform(),
  normal: () => new Normal(),
  xavier: () => new Xavier(),
};

/**
 * Turns an initializer or a short name (`'zeros'`, `'ones'`, `'uniform'`, `'normal'`, `'xavier'`,
 * as MXNet's `init.create`) into an initializer.
 */
export function create(init: InitializerLike): Initializer {
  if (init instanceof Initializer) return init;
  const make = typeof init === 'string' ? NAMED[init.toLowerCase()] : undefined;
  if (!make) {
    throw new ValueError(
      `init.create: unknown initializer ${JSON.stringify(init)}; use an init.* instance or one of ${Object.keys(
        NAMED,
      )
        .map((name) => `'${name}'`)
        .join(', ')}`,
    );
  }
  return make();
}
