import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { allocate, type TypedArray } from '../ndarray/dtype.js';
import { logSoftmax } from '../ops/activation.js';
import { abs, add, equal, log, mul, neg, square, sub, where } from '../ops/elementwise.js';
import { expandDims } from '../ops/movement.js';
import { mean, sum } from '../ops/reduce.js';
import { checkFinite, finiteOption, Loss } from './_base/index.js';
import { BlockSum } from './_block-sum.js';

/** Options of {@link SDMLLoss}. */
export interface SDMLLossOptions extends Loss.Options {
  /** Label smoothing s in [0, 1] (default 0.3): the positive pair gets 1 − s, each other pair s / (N − 1). */
  smoothingParameter?: number;
  /** Accepted (and checked to be finite) but never applied, as in Gluon. */
  weight?: number | null;
  /** Accepted but ignored: x1 and x2 are always (N, D) with the batch first. */
  batchAxis?: number;
}

/** The epsilon of the inner KLDivLoss's log(label + ε), kept for value parity. */
const EPSILON = 1e-12;

/** What the block kernels share within one call. */
interface SDMLState {
  /** Per row i: max_j (−d_ij) (0 when not finite) and log Σ_j exp(−d_ij − shift). */
  readonly shift: Float64Array;
  readonly logSum: Float64Array;
  /** Scratch: d_ij = |x1_i − x2_j|² of the row in progress. */
  readonly distances: Float64Array;
  /** Scratch: the gradient of the x1 row in progress, summed in float64. */
  readonly x1Row: Float64Array;
  /** The float64 sums of x2's gradient across the blocks. */
  readonly x2Sum: BlockSum;
}

/** d_ij = |x1_i − x2_j|² for every j, summed from differences (identical pairs give exactly 0). */
function rowDistances(
  a: TypedArray,
  b: TypedArray,
  i: number,
  batch: number,
  length: number,
  out: Float64Array,
): void {
  const rowA = i * length;
  for (let j = 0, rowB = 0; j < batch; j++, rowB += length) {
    let total = 0;
    for (let k = 0; k < length; k++) {
      const d = a[rowA + k]! - b[rowB + k]!;
      total += d * d;
    }
    out[j] = total;
  }
}

/**
 * Smoothed deep metric learning loss (Bonadiman et al., 2019): each x1_i should lie closer to its
 * own x2_i than to every other x2_j of the batch, which act as negatives.
 *
 * $$
 * d_{ij} = \lVert x1_i - x2_j \rVert^2, \qquad P_{ij} = \log \operatorname{softmax}_j(-d_{ij}), \qquad
 * L_{ij} = \begin{cases} 1 - s & i = j \\ \dfrac{s}{N - 1} & i \ne j \end{cases}
 * $$
 * $$ \ell_i = \frac{1}{N} \sum_j L_{ij} \bigl(\log(L_{ij} + 10^{-12}) - P_{ij}\bigr) $$
 *
 * i.e. Gluon's KLDivLoss (from logits, mean over the row) of P against the smoothed identity; no
 * weighting (MXNet 2.x's value: MXNet 1.9's divided by N).
 *
 * **Inputs**: `x1`, `x2` both of shape `(N, D)` (otherwise a ShapeError); row i of each forms the
 * positive pair. No `sampleWeight`.
 *
 * **Output**: shape `(N,)`.
 *
 * **Options**: `smoothingParameter` (default 0.3, in [0, 1], else a ValueError at construction;
 * at 1 the target puts all its mass on the negatives and is still a distribution). `weight` and
 * `batchAxis` are accepted and ignored, as in Gluon (a non-finite
 * `weight` is still a ValueError).
 *
 * **Gradient**: with g_ij = (L_ij − softmax(−d)_ij · Σ_k L_ik) / N = ∂ℓ_i/∂d_ij,
 * ∂/∂x1_i = Σ_j 2 g_ij (x1_i − x2_j) and ∂/∂x2_j = −Σ_i 2 g_ij (x1_i − x2_j). The backward pass
 * recomputes each row of distances instead of keeping the N × N matrix (O(N + D) extra memory,
 * plus float64 sums for a float32 x2 gradient, which every sample adds into).
 *
 * **Stability**: distances are summed from differences (no |a|² + |b|² − 2a·b cancellation, so
 * identical pairs give exactly 0), and the log-softmax is shifted by the row minimum distance, so
 * distances of any finite size work. A zero smoothed label (s = 0 or 1) contributes 0, never 0 · ∞. A
 * NaN in x1_i makes sample i NaN only; a NaN in x2_j is a negative for every sample, so it makes
 * every sample NaN (the formula couples them).
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.SDMLLoss();
 * loss.forward(nd.array([[0, 0], [3, 4]]), nd.array([[0, 0], [3, 4]])); // [3.444568 3.444568]
 * ```
 */
export class SDMLLoss extends Loss<undefined, SDMLState> {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'SDMLLoss';

  readonly inputNames: readonly string[] = ['x1', 'x2'];
  /** The label smoothing s. */
  readonly smoothingParameter: number;

  constructor(options: SDMLLossOptions = {}) {
    if (
      options !== null &&
      typeof options === 'object' &&
      options.weight !== undefined &&
      options.weight !== null
    ) {
      checkFinite('SDMLLoss', 'weight', options.weight);
    }
    // Gluon stores the weight but never applies it: the base gets none.
    super(options === null || typeof options !== 'object' ? options : { ...options, weight: null }, [
      'smoothingParameter',
    ]);
    const smoothing = finiteOption(this.name, 'smoothingParameter', options.smoothingParameter, 0.3);
    if (smoothing < 0 || smoothing > 1) {
      throw new ValueError(`${this.name}: option smoothingParameter must lie in [0, 1], got ${smoothing}`);
    }
    this.smoothingParameter = smoothing;
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<undefined> {
    const [x1, x2] = inputs;
    if (x1!.ndim !== 2 || x2!.ndim !== 2 || x1!.shape[0] !== x2!.shape[0] || x1!.shape[1] !== x2!.shape[1]) {
      throw new ShapeError(
        `${this.name}: x1 and x2 must both have the same shape (N, D), got x1 ${formatShape(x1!.shape)} and x2 ${formatShape(x2!.shape)}`,
      );
    }
    return { arrays: [x1!, x2!], sources: [0, 1], lossShape: [x1!.shape[0]!], batchAxis: 0 };
  }

  /** The smoothed labels: on the diagonal and off it. */
  private labels(batch: number): { diagonal: number; offDiagonal: number } {
    const s = this.smoothingParameter;
    return { diagonal: 1 - s, offDiagonal: batch > 1 ? s / (batch - 1) : 0 };
  }

  /** Per-row normalisers and scratch rows (O(N + D)), and the float64 sums of x2's gradient. */
  protected override createState(prepared: Loss.Prepared<undefined>): SDMLState {
    const [batch, length] = prepared.arrays[0]!.shape as [number, number];
    return {
      shift: new Float64Array(batch),
      logSum: new Float64Array(batch),
      distances: new Float64Array(batch),
      x1Row: new Float64Array(length),
      x2Sum: new BlockSum(batch * length, batch),
    };
  }

  // ℓ is (N,): the block [begin, end) is the rows [begin, end) of x1, each against all of x2.
  protected forwardBlock(call: Loss.ForwardBlockCall<undefined, SDMLState>): void {
    const { prepared, state, begin, end, out } = call;
    const [x1, x2] = prepared.arrays;
    const a = x1!.data;
    const b = x2!.data;
    const [batch, length] = x1!.shape as [number, number];
    const { shift, logSum, distances } = state;
    const { diagonal, offDiagonal } = this.labels(batch);
    // Σ_j L_ij log(L_ij + ε) is the same for every row; 0 · log(0 + ε) is 0.
    const entropyTerm =
      diagonal * Math.log(diagonal + EPSILON) +
      (batch - 1) * (offDiagonal === 0 ? 0 : offDiagonal * Math.log(offDiagonal + EPSILON));
    for (let i = begin, at = 0; i < end; i++, at++) {
      rowDistances(a, b, i, batch, length, distances);
      // log_softmax(−d): shifted by max_j(−d_ij) = −min_j d_ij, NaN-propagating.
      let minimum = Number.POSITIVE_INFINITY;
      for (let j = 0; j < batch; j++) {
        const d = distances[j]!;
        if (d < minimum || Number.isNaN(d)) minimum = d;
      }
      const m = minimum - minimum === 0 ? -minimum : 0;
      let total = 0;
      for (let j = 0; j < batch; j++) total += Math.exp(-distances[j]! - m);
      const l = Math.log(total);
      shift[i] = m;
      logSum[i] = l;
      // Σ_j L_ij P_ij, with P_ij = (−d_ij − shift) − logSum; a zero label (the diagonal at s = 1,
      // the rest at s = 0) skips its P, which may be −∞.
      let weighted = diagonal === 0 ? 0 : diagonal * (-distances[i]! - m - l);
      if (offDiagonal !== 0) {
        let others = 0;
        for (let j = 0; j < batch; j++) if (j !== i) others += -distances[j]! - m - l;
        weighted += offDiagonal * others;
      }
      out[at] = (entropyTerm - weighted) / batch;
    }
  }

  // Row i of x1 gets contributions from ℓ_i only: summed in a float64 row, then assigned. Every
  // ℓ_i touches every row of x2: summed in float64 across the blocks (see BlockSum).
  protected backwardBlock(call: Loss.BackwardBlockCall<undefined, SDMLState>): void {
    const { prepared, state, begin, end, dLoss, grads } = call;
    const [dX1, dX2] = grads;
    const [x1, x2] = prepared.arrays;
    const a = x1!.data;
    const b = x2!.data;
    const [batch, length] = x1!.shape as [number, number];
    const { shift, logSum, distances, x1Row, x2Sum } = state;
    const { diagonal, offDiagonal } = this.labels(batch);
    const labelMass = diagonal + (batch - 1) * offDiagonal;
    const x2Sums = dX2 ? x2Sum.begin(dX2) : null;
    for (let i = begin, at = 0; i < end; i++, at++) {
      // The distances again (O(N) memory instead of keeping the N × N matrix).
      rowDistances(a, b, i, batch, length, distances);
      const rowA = i * length;
      const scale = dLoss[at]! / batch;
      x1Row.fill(0);
      for (let j = 0; j < batch; j++) {
        // ∂ℓ_i/∂d_ij = (L_ij − q_ij Σ_k L_ik) / N with q = softmax(−d_i·); times 2(x1_i − x2_j) for x1.
        const probability = Math.exp(-distances[j]! - shift[i]! - logSum[i]!);
        const slope = 2 * scale * ((i === j ? diagonal : offDiagonal) - probability * labelMass);
        const rowB = j * length;
        if (dX1) for (let k = 0; k < length; k++) x1Row[k]! += slope * (a[rowA + k]! - b[rowB + k]!);
        if (x2Sums)
          for (let k = 0; k < length; k++) x2Sums[rowB + k]! -= slope * (a[rowA + k]! - b[rowB + k]!);
      }
      if (dX1) for (let k = 0; k < length; k++) dX1[rowA + k] = x1Row[k]!;
    }
    if (dX2) x2Sum.done(end - begin, dX2);
  }

  twin(prepared: Loss.Prepared<undefined>): NDArray {
    const [x1, x2] = prepared.arrays;
    const batch = x1!.shape[0]!;
    const distances = sum(square(sub(expandDims(x1!, 1), expandDims(x2!, 0))), 2);
    const logProbabilities = logSoftmax(neg(distances), 1);
    const { diagonal, offDiagonal } = this.labels(batch);
    const labelData = allocate(x1!.dtype, batch * batch);
    for (let i = 0; i < batch; i++) {
      for (let j = 0; j < batch; j++) labelData[i * batch + j] = i === j ? diagonal : offDiagonal;
    }
    const labels = new NDArray(labelData, [batch, batch]);
    // A zero label beside an infinite log p contributes 0: replace that log p by 0 first.
    const masked = mul(equal(labels, 0), equal(abs(logProbabilities), Number.POSITIVE_INFINITY));
    const safe = where(masked, 0, logProbabilities);
    return mean(mul(labels, sub(log(add(labels, EPSILON)), safe)), 1);
  }
}
