/**
 * Stochastic gradient descent with optional momentum (MXNet 1.x `SGD`, kernels `sgd_update`
 * and `sgd_mom_update`).
 * @module
 */
import { isFloatArray, sgdUpdate } from '../kernels/index.js';
import { checkNumber, clipValue, Optimizer, type OptimizerOptions, type UpdateContext } from './optimizer.js';

/** Options of {@link SGD}. */
export interface SGDOptions extends OptimizerOptions {
  /** Momentum factor in [0, 1) (default 0: plain SGD, no state). */
  momentum?: number;
}

/**
 * SGD. With `g = clip(rescaleGrad · grad)`:
 *
 *     without momentum:  w ← (1 − lr·wd) · w − lr · g
 *     with momentum:     m ← momentum · m − lr·wd · w − lr · g;   w ← w + m
 *
 * Weight decay is not clipped (MXNet's order). Default learning rate 0.01.
 */
export class SGD extends Optimizer {
  readonly name = 'sgd';
  /** Momentum factor (0: plain SGD). */
  momentum: number;

  constructor(options: SGDOptions = {}) {
    super(options, ['momentum']);
    this.momentum = checkNumber('SGD', 'momentum', options.momentum ?? 0, 0, 1);
  }

  stateNames(): readonly string[] {
    return this.momentum > 0 ? ['momentum'] : [];
  }

  hyperParameters(): Record<string, number | boolean | null> {
    return { ...this.baseHyperParameters(), momentum: this.momentum };
  }

  setHyperParameters(values: Record<string, unknown>): void {
    this.setBaseHyperParameters(values);
    if ('momentum' in values)
      this.momentum = checkNumber('SGD.setHyperParameters', 'momentum', values.momentum, 0, 1);
  }

  protected applyUpdate(update: UpdateContext): void {
    const { weight, grad, state, learningRate: lr, wd, rescaleGrad, clipGradient } = update;
    if (this.momentum > 0) {
      const momentumState = state.momentum!;
      for (let i = 0; i < weight.length; i++) {
        const g = clipValue(rescaleGrad * grad[i]!, clipGradient);
        const m = this.momentum * momentumState[i]! - lr * wd * weight[i]! - lr * g;
        momentumState[i] = m;
        weight[i] = weight[i]! + m;
      }
      return;
    }
    if (isFloatArray(weight) && isFloatArray(grad)) {
      // float32 weights: wasm SIMD in float64 lanes, the same bits as the loop below
      sgdUpdate({
        weight,
        grad,
        decay: 1 - lr * wd,
        learningRate: lr,
        rescale: rescaleGrad,
        bound: clipGradient,
      });
      return;
    }
    for (let i = 0; i < weight.length; i++) {
      const g = clipValue(rescaleGrad * grad[i]!, clipGradient);
      weight[i] = (1 - lr * wd) * weight[i]! - lr * g;
    }
  }
}
