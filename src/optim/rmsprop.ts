/**
 * RMSProp (MXNet 1.x `RMSProp`, kernels `rmsprop_update` and, when centered, `rmspropalex_update`).
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import {
  checkNumber,
  checkOptionalBound,
  clipValue,
  Optimizer,
  type OptimizerOptions,
  type UpdateContext,
} from './optimizer.js';

/** Options of {@link RMSProp}. */
export interface RMSPropOptions extends OptimizerOptions {
  /** Decay of the squared-gradient average (default 0.9). */
  gamma1?: number;
  /** Momentum of the centered variant (default 0.9; unused unless `centered`). */
  gamma2?: number;
  /** Added under the square root (default 1e-8). */
  epsilon?: number;
  /** Graves' centered variant, which also tracks the mean gradient (default false). */
  centered?: boolean;
  /** Clips the updated weights into [−c, c]; null (default) means no clipping. */
  clipWeights?: number | null;
}

/**
 * RMSProp. With `g = clip(rescaleGrad · grad + wd · w)`:
 *
 *     plain (Tieleman & Hinton):  n ← (1 − γ1) · g² + γ1 · n;   w ← w − lr · g / √(n + ε)
 *     centered (Graves 2013):     n ← (1 − γ1) · g² + γ1 · n;   ḡ ← (1 − γ1) · g + γ1 · ḡ
 *                                 Δ ← γ2 · Δ − lr · g / √(n − ḡ² + ε);   w ← w + Δ
 *
 * then, with `clipWeights`, w ← clip(w). Default learning rate 0.001.
 */
export class RMSProp extends Optimizer {
  readonly name = 'rmsprop';
  /** Decay of the squared-gradient average. */
  gamma1: number;
  /** Momentum of the centered variant. */
  gamma2: number;
  /** Added under the square root. */
  epsilon: number;
  /** Whether the centered (Graves) variant is used. */
  centered: boolean;
  /** Weight clipping bound, or null for none. */
  clipWeights: number | null;

  constructor(options: RMSPropOptions = {}) {
    super(options, ['gamma1', 'gamma2', 'epsilon', 'centered', 'clipWeights'], 0.001);
    this.gamma1 = checkNumber('RMSProp', 'gamma1', options.gamma1 ?? 0.9, 0, 1);
    this.gamma2 = checkNumber('RMSProp', 'gamma2', options.gamma2 ?? 0.9, 0, 1);
    this.epsilon = checkNumber('RMSProp', 'epsilon', options.epsilon ?? 1e-8, 0);
    this.centered = checkCentered('RMSProp', options.centered ?? false);
    this.clipWeights = checkOptionalBound('RMSProp', 'clipWeights', options.clipWeights);
  }

  stateNames(): readonly string[] {
    return this.centered ? ['n', 'g', 'delta'] : ['n'];
  }

  hyperParameters(): Record<string, number | boolean | null> {
    return {
      ...this.baseHyperParameters(),
      gamma1: this.gamma1,
      gamma2: this.gamma2,
      epsilon: this.epsilon,
      centered: this.centered,
      clipWeights: this.clipWeights,
    };
  }

  setHyperParameters(values: Record<string, unknown>): void {
    const where = 'RMSProp.setHyperParameters';
    this.setBaseHyperParameters(values);
    if ('gamma1' in values) this.gamma1 = checkNumber(where, 'gamma1', values.gamma1, 0, 1);
    if ('gamma2' in values) this.gamma2 = checkNumber(where, 'gamma2', values.gamma2, 0, 1);
    if ('epsilon' in values) this.epsilon = checkNumber(where, 'epsilon', values.epsilon, 0);
    if ('centered' in values) this.centered = checkCentered(where, values.centered);
    if ('clipWeights' in values)
      this.clipWeights = checkOptionalBound(where, 'clipWeights', values.clipWeights);
  }

  protected applyUpdate(update: UpdateContext): void {
    const { weight, grad, state, learningRate: lr, wd, rescaleGrad, clipGradient } = update;
    const { gamma1, gamma2, epsilon } = this;
    const bound = this.clipWeights ?? Infinity;
    const n = state.n!;
    if (!this.centered) {
      for (let i = 0; i < weight.length; i++) {
        const g = clipValue(rescaleGrad * grad[i]! + wd * weight[i]!, clipGradient);
        const ni = (1 - gamma1) * g * g + gamma1 * n[i]!;
        n[i] = ni;
        weight[i] = clipValue(weight[i]! - (lr * g) / Math.sqrt(ni + epsilon), bound);
      }
      return;
    }
    const mean = state.g!;
    const delta = state.delta!;
    for (let i = 0; i < weight.length; i++) {
      const g = clipValue(rescaleGrad * grad[i]! + wd * weight[i]!, clipGradient);
      const ni = (1 - gamma1) * g * g + gamma1 * n[i]!;
      const gi = (1 - gamma1) * g + gamma1 * mean[i]!;
      const di = gamma2 * delta[i]! - (lr * g) / Math.sqrt(ni - gi * gi + epsilon);
      n[i] = ni;
      mean[i] = gi;
      delta[i] = di;
      weight[i] = clipValue(weight[i]! + di, bound);
    }
  }
}

function checkCentered(where: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new ValueError(`${where}: centered must be true or false, got ${String(value)}`);
  return value;
}
