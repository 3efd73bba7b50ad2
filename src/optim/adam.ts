/**
 * Adam (MXNet 1.x `Adam`, kernel `adam_update`).
 * @module
 */
import { checkNumber, clipValue, Optimizer, type OptimizerOptions, type UpdateContext } from './optimizer.js';

/** Options of {@link Adam}. */
export interface AdamOptions extends OptimizerOptions {
  /** Decay of the first-moment estimate (default 0.9). */
  beta1?: number;
  /** Decay of the second-moment estimate (default 0.999). */
  beta2?: number;
  /** Added to the root of the second moment (default 1e-8). */
  epsilon?: number;
}

/**
 * Adam (Kingma & Ba), in MXNet's form. At the t-th update of a weight, with
 * `g = clip(rescaleGrad · grad + wd · w)` (here weight decay *is* clipped, as in MXNet):
 *
 *     m ← β1 · m + (1 − β1) · g
 *     v ← β2 · v + (1 − β2) · g²
 *     w ← w − lr_t · m / (√v + ε),   lr_t = lr · √(1 − β2^t) / (1 − β1^t)
 *
 * The bias correction is folded into the learning rate, so ε is not corrected (MXNet's choice).
 * Default learning rate 0.001.
 */
export class Adam extends Optimizer {
  readonly name = 'adam';
  /** Decay of the first moment. */
  beta1: number;
  /** Decay of the second moment. */
  beta2: number;
  /** Added to √v. */
  epsilon: number;

  constructor(options: AdamOptions = {}) {
    super(options, ['beta1', 'beta2', 'epsilon'], 0.001);
    this.beta1 = checkNumber('Adam', 'beta1', options.beta1 ?? 0.9, 0, 1);
    this.beta2 = checkNumber('Adam', 'beta2', options.beta2 ?? 0.999, 0, 1);
    this.epsilon = checkNumber('Adam', 'epsilon', options.epsilon ?? 1e-8, 0);
  }

  stateNames(): readonly string[] {
    return ['mean', 'variance'];
  }

  hyperParameters(): Record<string, number | boolean | null> {
    return { ...this.baseHyperParameters(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  setHyperParameters(values: Record<string, unknown>): void {
    const where = 'Adam.setHyperParameters';
    this.setBaseHyperParameters(values);
    if ('beta1' in values) this.beta1 = checkNumber(where, 'beta1', values.beta1, 0, 1);
    if ('beta2' in values) this.beta2 = checkNumber(where, 'beta2', values.beta2, 0, 1);
    if ('epsilon' in values) this.epsilon = checkNumber(where, 'epsilon', values.epsilon, 0);
  }

  protected applyUpdate(update: UpdateContext): void {
    const { weight, grad, state, wd, rescaleGrad, clipGradient, count } = update;
    const { beta1, beta2, epsilon } = this;
    const learningRate = (update.learningRate * Math.sqrt(1 - beta2 ** count)) / (1 - beta1 ** count);
    const mean = state.mean!;
    const variance = state.variance!;
    for (let i = 0; i < weight.length; i++) {
      const g = clipValue(rescaleGrad * grad[i]! + wd * weight[i]!, clipGradient);
      const m = beta1 * mean[i]! + (1 - beta1) * g;
      const v = beta2 * variance[i]! + (1 - beta2) * g * g;
      mean[i] = m;
      variance[i] = v;
      weight[i] = weight[i]! - (learningRate * m) / (Math.sqrt(v) + epsilon);
    }
  }
}
