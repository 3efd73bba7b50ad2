import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { sameShape } from '../ndarray/shape.js';
import { add, div, lesser, log, mul, sub, where } from '../ops/elementwise.js';
import { reshape } from '../ops/movement.js';
import { BlockSum } from './_block-sum.js';
import { booleanOption, finiteOption, Loss, lossBatchAxis, reshapeLike } from './_base/index.js';

/** Options of {@link GaussianNLLLoss}. */
export interface GaussianNLLLossOptions extends Loss.Options {
  /** Add the constant ½·log(2π) to every element (default false, as PyTorch). */
  full?: boolean;
  /** Floor on the variance, a finite number > 0 (default 1e-6). */
  eps?: number;
}

/** Per-call settings: how many consecutive ℓ elements share one variance (1, or pred's last axis). */
interface GaussianExtra {
  readonly varianceRun: number;
}

/** ½·log(2π), the constant `full` adds. */
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Gaussian negative log-likelihood (PyTorch's `gaussian_nll_loss`): `pred` is the mean and
 * `variance` the variance of a normal distribution the `target` is scored under, with
 * v = max(variance, eps):
 *
 * $$ \ell = \tfrac12 \Bigl(\log v + \frac{(\text{pred} - \text{target})^2}{v}\Bigr) \ \bigl[+\ \tfrac12 \log 2\pi \text{ with } \texttt{full}\bigr] $$
 *
 * then `sampleWeight`, `weight`, and the mean over the non-batch axes.
 *
 * **Inputs**: `pred` any shape with at least one axis; `target` the same number of elements
 * (reshaped like `pred`); `variance` ≥ 0 (a negative entry is a ValueError naming it; NaN passes
 * through) in one of PyTorch's shapes: `pred`'s shape, `pred`'s shape without its last axis (one
 * variance per row), or that with a last axis of 1 — anything else is a ShapeError;
 * `sampleWeight` optional, broadcastable to `pred` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `full` (default false), `eps` (default 1e-6, finite and > 0), `weight` (default
 * none), `batchAxis` (default 0).
 *
 * **Semantics**: PyTorch's `nn.GaussianNLLLoss(full, eps)` with `reduction='none'`, then gloss's
 * per-sample mean (PyTorch's `'mean'` is the mean of this output for `(N, ...)` inputs). One
 * difference, in the gradient only: PyTorch clamps the variance under `no_grad`, so below eps it
 * still passes ∂/∂v at v = eps to the variance (a straight-through estimate); gloss gives the true
 * derivative of max(variance, eps), which is 0 there (at variance = eps exactly, the variance
 * gets it, as PyTorch's clamp does).
 *
 * **Gradient**: (pred − target)/v for `pred`, its negation for `target`, and
 * ½·(1/v − (pred − target)²/v²) for `variance` where variance ≥ eps (0 below; summed over the
 * last axis when one variance serves a row).
 *
 * **Stability**: eps keeps 1/v finite; the squared term is computed as d · (d/v), which does not
 * overflow while the result is finite; sums run in float64.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.GaussianNLLLoss();
 * loss.forward(nd.array([[0, 1]]), nd.array([[0, 0]]), nd.array([[1, 4]])); // [0.4090736]
 * ```
 */
export class GaussianNLLLoss extends Loss<GaussianExtra, BlockSum | null> {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'GaussianNLLLoss';

  readonly inputNames: readonly string[] = ['pred', 'target', 'variance', 'sampleWeight'];
  /** Whether the constant ½·log(2π) is added. */
  readonly full: boolean;
  /** The floor on the variance. */
  readonly eps: number;

  constructor(options: GaussianNLLLossOptions = {}) {
    super(options, ['full', 'eps']);
    this.full = booleanOption(this.name, 'full', options.full, false);
    const eps = finiteOption(this.name, 'eps', options.eps, 1e-6);
    if (eps <= 0) throw new ValueError(`${this.name}: option eps must be > 0, got ${eps}`);
    this.eps = eps;
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<GaussianExtra> {
    const pred = inputs[0]!;
    const target = reshapeLike(this.name, 'target', inputs[1]!, 'pred', pred);
    const variance = inputs[2]!;
    const varianceRun = this.varianceRun(pred, variance);
    const v = variance.data;
    for (let k = 0; k < v.length; k++) {
      if (v[k]! < 0) {
        throw new ValueError(
          `${this.name}: variance at flat position ${k} is ${v[k]}; variances must be >= 0`,
        );
      }
    }
    return {
      arrays: [pred, target, variance],
      sources: [0, 1, 2],
      lossShape: pred.shape,
      batchAxis: lossBatchAxis(this.name, this.batchAxis, pred.shape),
      extra: { varianceRun },
    };
  }

  /** PyTorch's variance shapes: 1 for pred's own shape, pred's last axis for one per row. */
  private varianceRun(pred: NDArray, variance: NDArray): number {
    const p = pred.shape;
    const s = variance.shape;
    if (sameShape(s, p)) return 1;
    const rows = p.slice(0, -1);
    if (p.length > 0 && (sameShape(s, rows) || sameShape(s, [...rows, 1]))) return p[p.length - 1]!;
    throw new ShapeError(
      `${this.name}: variance shape ${formatShape(s)} does not fit pred shape ${formatShape(p)}; give it ` +
        `pred's shape ${formatShape(p)}` +
        (p.length > 0 ? `, ${formatShape(rows)} or ${formatShape([...rows, 1])} (one variance per row)` : ''),
    );
  }

  /** The float64 sums of a per-row variance's gradient, which a row's ℓ elements all add into. */
  protected override createState(prepared: Loss.Prepared<GaussianExtra>): BlockSum | null {
    const variance = prepared.arrays[2]!;
    return prepared.extra!.varianceRun > 1 ? new BlockSum(variance.size, prepared.arrays[0]!.size) : null;
  }

  protected forwardBlock(call: Loss.ForwardBlockCall<GaussianExtra, BlockSum | null>): void {
    const { prepared, begin, end, out } = call;
    const [pred, target, variance] = prepared.arrays;
    const [p, t, s] = [pred!.data, target!.data, variance!.data];
    const run = prepared.extra!.varianceRun;
    const eps = this.eps;
    const constant = this.full ? HALF_LOG_TWO_PI : 0;
    for (let k = begin, j = 0; k < end; k++, j++) {
      const raw = s[run === 1 ? k : Math.floor(k / run)]!;
      // max(raw, eps); Math.max keeps a NaN variance NaN.
      const v = Math.max(raw, eps);
      const d = p[k]! - t[k]!;
      out[j] = 0.5 * (Math.log(v) + d * (d / v)) + constant;
    }
  }

  // ∂ℓ/∂pred = d/v, ∂ℓ/∂target = −d/v (assigned: one ℓ element each); ∂ℓ/∂variance =
  // ½(1/v − (d/v)²) where variance ≥ eps and 0 below (the floor is constant there): assigned when
  // the variance has pred's shape, else summed over its row in float64 (BlockSum).
  protected backwardBlock(call: Loss.BackwardBlockCall<GaussianExtra, BlockSum | null>): void {
    const { prepared, state: varianceSum, begin, end, dLoss, grads } = call;
    const [dPred, dTarget, dVariance] = grads;
    const [pred, target, variance] = prepared.arrays;
    const [p, t, s] = [pred!.data, target!.data, variance!.data];
    const run = prepared.extra!.varianceRun;
    const eps = this.eps;
    const sums = dVariance && varianceSum ? varianceSum.begin(dVariance) : dVariance;
    for (let k = begin, j = 0; k < end; k++, j++) {
      const at = run === 1 ? k : Math.floor(k / run);
      const raw = s[at]!;
      const v = Math.max(raw, eps);
      const ratio = (p[k]! - t[k]!) / v;
      const g = dLoss[j]!;
      if (dPred) dPred[k] = g * ratio;
      if (dTarget) dTarget[k] = -g * ratio;
      if (sums && !(raw < eps)) sums[at]! += 0.5 * g * (1 / v - ratio * ratio);
    }
    if (dVariance && varianceSum) varianceSum.done(end - begin, dVariance);
  }

  twin(prepared: Loss.Prepared<GaussianExtra>): NDArray {
    const [pred, target, variance] = prepared.arrays;
    const { varianceRun } = prepared.extra!;
    const aligned = varianceRun > 1 ? reshape(variance!, [...pred!.shape.slice(0, -1), 1]) : variance!;
    // max(variance, eps) whose gradient reaches the variance where variance ≥ eps; NaN stays NaN.
    const v = where(lesser(aligned, this.eps), this.eps, aligned);
    const d = sub(pred!, target!);
    const terms = mul(add(log(v), mul(d, div(d, v))), 0.5);
    return this.full ? add(terms, HALF_LOG_TWO_PI) : terms;
  }
}
