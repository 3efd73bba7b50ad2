/**
 * Activation blocks (Gluon's `nn.Activation`, `nn.LeakyReLU`) and the activation names Dense
 * accepts.
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { greater, mul, relu, sigmoid, softplus, softsign, tanh, where } from '../ops/elementwise.js';
import { Block } from './block.js';

/** MXNet's `act_type` names: relu, sigmoid, tanh, softrelu (= softplus) and softsign. */
export type ActivationName = 'relu' | 'sigmoid' | 'tanh' | 'softrelu' | 'softsign';

const ACTIVATIONS: Record<ActivationName, (x: NDArray) => NDArray> = {
  relu,
  sigmoid,
  tanh,
  softrelu: softplus,
  softsign,
};

/** Throws a ValueError naming the allowed values unless `name` is an activation name. */
export function checkActivation(where: string, name: unknown): ActivationName {
  if (typeof name !== 'string' || !Object.hasOwn(ACTIVATIONS, name)) {
    throw new ValueError(
      `${where}: activation must be one of ${Object.keys(ACTIVATIONS)
        .map((a) => `'${a}'`)
        .join(', ')}, got ${JSON.stringify(name)}`,
    );
  }
  return name as ActivationName;
}

/** Applies the named activation elementwise (differentiable). */
export function applyActivation(x: NDArray, name: ActivationName): NDArray {
  return ACTIVATIONS[name](x);
}

/** An elementwise activation as a block: `new nn.Activation('relu')`. */
export class Activation extends Block {
  /** The activation applied. */
  readonly activation: ActivationName;

  constructor(activation: ActivationName) {
    super();
    this.activation = checkActivation('Activation', activation);
  }

  forward(x: NDArray): NDArray {
    return applyActivation(x, this.activation);
  }

  override toString(): string {
    return `Activation(${this.activation})`;
  }
}

/** `x` where x > 0, `alpha · x` elsewhere (Gluon `nn.LeakyReLU`). */
export class LeakyReLU extends Block {
  /** Slope for negative inputs. */
  readonly alpha: number;

  constructor(alpha: number) {
    super();
    if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0) {
      throw new ValueError(`LeakyReLU: alpha must be a finite number >= 0, got ${String(alpha)}`);
    }
    this.alpha = alpha;
  }

  forward(x: NDArray): NDArray {
    return where(greater(x, 0), x, mul(x, this.alpha));
  }

  override toString(): string {
    return `LeakyReLU(${this.alpha})`;
  }
}
