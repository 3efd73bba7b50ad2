import { formatShape, ShapeError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { sizeOf } from '../ndarray/shape.js';
import { allocate } from '../ndarray/dtype.js';
import { div, greater, maximum, mul, relu, sqrt, square, sub, where } from '../ops/elementwise.js';
import { reshape } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import { checkSignLabels, finiteOption, Loss, lossBatchAxis, reshapeLike } from './_base/index.js';

/** Options of {@link CosineEmbeddingLoss}. */
export interface CosineEmbeddingLossOptions extends Loss.Options {
  /** Similarity below which a dissimilar (label −1) pair costs nothing; finite (default 0). */
  margin?: number;
}

/** Gluon's floor on the product of the two norms. */
const NORM_FLOOR = 1e-12;

/** Per-call settings the kernels read. */
interface CosineExtra {
  /** Length D of each vector (the last axis). */
  readonly length: number;
  /** The ±1 label of each of the M pairs. */
  readonly labels: Int8Array;
}

/** What the forward blocks keep for the backward ones: four numbers per pair. */
interface CosineState {
  /** dℓ/dcos of each pair (see forwardBlock). */
  readonly slope: Float64Array;
  /** 1 / max(‖x1‖ · ‖x2‖, 1e-12). */
  readonly inverseDenominator: Float64Array;
  /** cos / ‖x1‖², or 0 where the floor is active (then the denominator is a constant). */
  readonly cosineOverSquare1: Float64Array;
  /** cos / ‖x2‖², or 0 where the floor is active. */
  readonly cosineOverSquare2: Float64Array;
}

/**
 * Cosine embedding loss (pairs that should be similar or dissimilar):
 *
 * $$
 * \cos = \frac{x_1 \cdot x_2}{\max(\lVert x_1 \rVert \, \lVert x_2 \rVert,\ 10^{-12})} \ \text{(along the last axis)}, \qquad
 * \ell = \begin{cases} 1 - \cos & \text{label} = 1 \\ \operatorname{clip}(\cos - \text{margin},\ 0,\ 1 - \text{margin}) & \text{label} = -1 \end{cases}
 * $$
 *
 * then `sampleWeight`, `weight` and the mean over each sample, one value per sample (as MXNet 2.x).
 *
 * **Inputs**: `input1` with as many elements as `input2` (reshaped like it); `input2` of shape
 * `(..., D)`: every vector along the last axis is one item, so there are M = product of the
 * leading dimensions pairs (1 for 1-D inputs); `label` M values, each exactly 1 or −1 (any shape;
 * anything else, NaN included, is a ValueError naming the position);
 * `sampleWeight` optional, broadcastable to ℓ `(M, 1)` (a 1-D array of length M is per pair).
 *
 * **Output**: shape `(M,)` — or `(1,)` with `batchAxis: 1`, which averages the `(M, 1)` column.
 *
 * **Options**: `margin` (default 0, finite; above 1 no dissimilar pair costs anything, as in
 * MXNet and PyTorch), `weight` (default none), `batchAxis` (default 0,
 * normalised against the rank 2 of ℓ).
 *
 * **Gradient**: ∂cos/∂x1 = x2 / (‖x1‖‖x2‖) − cos · x1 / ‖x1‖² (symmetrically for x2), times −1
 * for label 1 and 1 for label −1 where 0 < cos − margin ≤ 1 − margin; 0 at cos − margin = 0
 * (the lower clip acts as a relu, whose derivative at 0 is taken as 0) and above the upper bound.
 * Where the floor is active (‖x1‖‖x2‖ < 1e-12, e.g. an all-zero vector) cos = x1 · x2 / 1e-12 and
 * its true derivative x2 / 1e-12 is used (MXNet returns NaN there); the other vector's gradient is
 * then 0 · 1e12 = 0 when the zero vector is exactly zero.
 *
 * **Stability**: the labels and the floor keep every finite input finite; a NaN or infinite
 * component makes only its own pair NaN.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.CosineEmbeddingLoss();
 * loss.forward(nd.array([[1, 0], [1, 1]]), nd.array([[1, 0], [1, -1]]), nd.array([1, -1])); // [0 0]
 * ```
 */
export class CosineEmbeddingLoss extends Loss<CosineExtra, CosineState> {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'CosineEmbeddingLoss';

  readonly inputNames: readonly string[] = ['input1', 'input2', 'label', 'sampleWeight'];
  /** The margin for dissimilar pairs. */
  readonly margin: number;

  constructor(options: CosineEmbeddingLossOptions = {}) {
    super(options, ['margin']);
    this.margin = finiteOption(this.name, 'margin', options.margin, 0);
  }

  /** The ±1 labels get no gradient. */
  override get discreteInputs(): readonly string[] {
    return ['label'];
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<CosineExtra> {
    const input2 = inputs[1]!;
    if (input2.ndim === 0) {
      throw new ShapeError(
        `${this.name}: input2 must have at least one axis (the vector axis), got shape ${formatShape(input2.shape)}`,
      );
    }
    const input1 = reshapeLike(this.name, 'input1', inputs[0]!, 'input2', input2);
    const length = input2.shape[input2.ndim - 1]!;
    const pairs = sizeOf(input2.shape.slice(0, -1));
    const label = inputs[2]!;
    if (label.size !== pairs) {
      throw new ShapeError(
        `${this.name}: label shape ${formatShape(label.shape)} (${label.size} elements) must hold one label per vector pair: ` +
          `input2 ${formatShape(input2.shape)} has ${pairs} vectors along its last axis, so give label the shape [${pairs}]`,
      );
    }
    const labels = checkSignLabels(this.name, 'label', label);
    const lossShape = [pairs, 1];
    const extra: CosineExtra = { length, labels };
    return {
      arrays: [input1, input2],
      sources: [0, 1],
      lossShape,
      batchAxis: lossBatchAxis(this.name, this.batchAxis, lossShape),
      extra,
      squeezedAxes: [1],
    };
  }

  /** Four numbers per pair (see CosineState), filled by the forward blocks. */
  protected override createState(prepared: Loss.Prepared<CosineExtra>): CosineState {
    const pairs = prepared.extra!.labels.length;
    return {
      slope: new Float64Array(pairs),
      inverseDenominator: new Float64Array(pairs),
      cosineOverSquare1: new Float64Array(pairs),
      cosineOverSquare2: new Float64Array(pairs),
    };
  }

  // ℓ is (M, 1): the block [begin, end) is the pairs [begin, end).
  protected forwardBlock(call: Loss.ForwardBlockCall<CosineExtra, CosineState>): void {
    const { prepared, state, begin, end, out } = call;
    const { length, labels } = prepared.extra!;
    const { slope, inverseDenominator, cosineOverSquare1, cosineOverSquare2 } = state;
    const a = prepared.arrays[0]!.data;
    const b = prepared.arrays[1]!.data;
    const margin = this.margin;
    const cap = 1 - margin;
    for (let m = begin, j = 0, base = begin * length; m < end; m++, j++, base += length) {
      let dot = 0;
      let square1 = 0;
      let square2 = 0;
      for (let k = base; k < base + length; k++) {
        const u = a[k]!;
        const v = b[k]!;
        dot += u * v;
        square1 += u * u;
        square2 += v * v;
      }
      const normProduct = Math.sqrt(square1) * Math.sqrt(square2);
      // `<` (not `>=`) so that a NaN product stays NaN instead of taking the floor.
      const floored = normProduct < NORM_FLOOR;
      const denominator = floored ? NORM_FLOOR : normProduct;
      const cos = dot / denominator;
      inverseDenominator[m] = 1 / denominator;
      cosineOverSquare1[m] = floored ? 0 : cos / square1;
      cosineOverSquare2[m] = floored ? 0 : cos / square2;
      if (labels[m] === 1) {
        // |cos| <= 1 by Cauchy–Schwarz, but rounding can push it an ulp past 1 (identical vectors
        // gave 1 − cos = −2.2e-16); capping keeps the loss of a perfect match exactly 0, as
        // MXNet prints it. The floored case is a different formula and is left alone.
        out[j] = 1 - (floored ? cos : Math.min(cos, 1));
        slope[m] = -1;
      } else {
        // clip(v, 0, cap) as max(min(v, cap), 0), with NaN passed through; its slope is 1 strictly
        // inside (0, cap], 0 on the lower kink and beyond the upper bound, NaN for NaN. The lower
        // bound is applied last: with margin > 1 the bounds cross (cap < 0), and the hinge is 0
        // there, as MXNet's clip (which tests v > cap first, then v < 0) and PyTorch's
        // max(0, cos − margin) give it; numpy's min(max(v, 0), cap) would give 1 − margin < 0.
        const shifted = cos - margin;
        const upper = Math.min(shifted, cap);
        out[j] = upper > 0 ? upper : Number.isNaN(upper) ? upper : 0;
        slope[m] = shifted > 0 && shifted <= cap ? 1 : Number.isNaN(shifted) ? shifted : 0;
      }
    }
  }

  // Each entry of input1 and input2 belongs to one pair, so to one ℓ element: assigned.
  protected backwardBlock(call: Loss.BackwardBlockCall<CosineExtra, CosineState>): void {
    const { prepared, state, begin, end, dLoss, grads } = call;
    const [dInput1, dInput2] = grads;
    const { length } = prepared.extra!;
    const { slope, inverseDenominator, cosineOverSquare1, cosineOverSquare2 } = state;
    const a = prepared.arrays[0]!.data;
    const b = prepared.arrays[1]!.data;
    for (let m = begin, j = 0, base = begin * length; m < end; m++, j++, base += length) {
      // dℓ/dcos, from the forward: a pair on the clip's kinks or flat parts gets no gradient.
      if (slope[m] === 0) continue;
      const g = dLoss[j]! * slope[m]!;
      const inverse = inverseDenominator[m]!;
      if (dInput1) {
        const c1 = cosineOverSquare1[m]!;
        for (let k = base; k < base + length; k++) dInput1[k] = g * (b[k]! * inverse - c1 * a[k]!);
      }
      if (dInput2) {
        const c2 = cosineOverSquare2[m]!;
        for (let k = base; k < base + length; k++) dInput2[k] = g * (a[k]! * inverse - c2 * b[k]!);
      }
    }
  }

  twin(prepared: Loss.Prepared<CosineExtra>): NDArray {
    const { labels } = prepared.extra!;
    const [input1, input2] = prepared.arrays;
    const column = [labels.length, 1];
    const dot = reshape(sum(mul(input1!, input2!), -1), column);
    const square1 = reshape(sum(square(input1!), -1), column);
    const square2 = reshape(sum(square(input2!), -1), column);
    // max(‖x1‖‖x2‖, 1e-12) = sqrt(max(‖x1‖²‖x2‖², 1e-24)): the same value, but the square root
    // never sees 0, so a zero vector gets the floored formula's finite derivative, not 0 · ∞.
    const denominator = sqrt(maximum(mul(square1, square2), NORM_FLOOR * NORM_FLOOR));
    const cos = div(dot, denominator);
    const shifted = sub(cos, this.margin);
    const cap = 1 - this.margin;
    // The upper bound first, then relu (relu′(0) = 0, a NaN passes through), as the block hooks.
    const dissimilar = relu(where(greater(shifted, cap), cap, shifted));
    const isSimilar = allocate(input2!.dtype, labels.length);
    for (let m = 0; m < labels.length; m++) isSimilar[m] = labels[m] === 1 ? 1 : 0;
    return where(new NDArray(isSimilar, column), sub(1, cos), dissimilar);
  }
}
