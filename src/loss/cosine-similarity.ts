import { formatShape, ShapeError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxis } from '../ndarray/shape.js';
import { div, lesser, mul, neg, sqrt, square, where } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { type ClassLayout, classAxisLoss } from './_class-rows.js';
import { integerOption, Loss, reshapeLike } from './_base/index.js';

/** Options of {@link CosineSimilarityLoss}. */
export interface CosineSimilarityLossOptions extends Loss.Options {
  /** The axis the vectors lie along (default −1, may be negative). */
  axis?: number;
}

/** Keras's floor on a vector's squared norm (`l2_normalize`'s epsilon): norms below 1e-6 count as 1e-6. */
const SQUARED_NORM_FLOOR = 1e-12;

/** Per-call settings: the `(outer, size, inner)` view of pred around the vector axis. */
type CosineSimilarityExtra = ClassLayout;

/** What the forward blocks keep for the backward ones, per vector pair (row). */
interface CosineSimilarityState {
  /** 1 / max(‖pred‖, 1e-6) and 1 / max(‖label‖, 1e-6). */
  readonly inversePredNorm: Float64Array;
  readonly inverseLabelNorm: Float64Array;
  /** cos / max(‖pred‖, 1e-6), or 0 where pred's floor is active (its norm is then a constant). */
  readonly cosineOverPredNorm: Float64Array;
  /** cos / max(‖label‖, 1e-6), or 0 where label's floor is active. */
  readonly cosineOverLabelNorm: Float64Array;
}

/**
 * Cosine similarity loss (Keras's `CosineSimilarity`): the negated cosine between each pred
 * vector and its label vector along `axis`, each vector normalised as Keras's `l2_normalize`:
 *
 * $$ \hat x = \frac{x}{\sqrt{\max(\sum x^2,\ 10^{-12})}}, \qquad \ell = -\sum_{\text{axis}} \hat{\text{pred}} \cdot \hat{\text{label}} $$
 *
 * in [−1, 1] (−1 for vectors pointing the same way), then `sampleWeight`, `weight`, and the mean
 * over the non-batch axes.
 *
 * **Inputs**: `pred` with at least two axes (the batch axis and the vector axis `axis`); `label`
 * the same number of elements (reshaped like `pred`); `sampleWeight` optional, broadcastable to ℓ,
 * which has `pred`'s shape with size 1 along `axis` (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`; with `reduction: 'none'`, one value per vector: `pred`'s shape
 * without `axis` (as Keras's `CosineSimilarity(axis, reduction='none')`).
 *
 * **Options**: `axis` (default −1), `weight` (default none), `batchAxis` (default 0; it may not
 * be `axis`, a ShapeError).
 *
 * **Semantics**: Keras's `keras.losses.CosineSimilarity(axis)` per sample (Keras's loss is the
 * same −cos; its default reduction averages these over the batch). A zero (or tiny) vector is
 * handled as Keras does: its norm counts as 1e-6, so it normalises to 0 and the loss is 0, with a
 * finite gradient. PyTorch's `1 − F.cosine_similarity` is this loss plus 1 except for tiny
 * vectors (PyTorch floors each norm at 1e-8 instead).
 *
 * **Gradient**: −(ŷ − cos · p̂)/‖p‖ with respect to `pred` (symmetrically for `label`), where
 * cos = p̂ · ŷ; where the floor is active (‖p‖² < 1e-12) −ŷ / 1e-6, the derivative of the floored
 * formula.
 *
 * **Stability**: dot products and squared norms are summed in float64, where squares of any
 * float32 value are finite; the floor keeps every finite input finite.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.CosineSimilarityLoss();
 * loss.forward(nd.array([[1, 0], [1, 1]]), nd.array([[2, 0], [-1, -1]])); // [-1 1]
 * ```
 */
export class CosineSimilarityLoss extends Loss<CosineSimilarityExtra, CosineSimilarityState> {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'CosineSimilarityLoss';

  readonly inputNames: readonly string[] = ['pred', 'label', 'sampleWeight'];
  /** The vector axis as given (may be negative). */
  readonly axis: number;

  constructor(options: CosineSimilarityLossOptions = {}) {
    super(options, ['axis']);
    this.axis = integerOption(this.name, 'axis', options.axis, -1);
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<CosineSimilarityExtra> {
    const pred = inputs[0]!;
    const label = reshapeLike(this.name, 'label', inputs[1]!, 'pred', pred);
    const { axis, layout, lossShape, batchAxis, squeezedAxes } = classAxisLoss(
      this.name,
      pred,
      this.axis,
      this.batchAxis,
    );
    if (batchAxis === axis) {
      throw new ShapeError(
        `${this.name}: batchAxis and axis are both axis ${axis} of pred ${formatShape(pred.shape)}; the vectors must lie along another axis than the samples`,
      );
    }
    return {
      arrays: [pred, label],
      sources: [0, 1],
      lossShape,
      batchAxis,
      extra: layout,
      squeezedAxes,
    };
  }

  protected override createState(prepared: Loss.Prepared<CosineSimilarityExtra>): CosineSimilarityState {
    const { outer, inner } = prepared.extra!;
    const rows = outer * inner;
    return {
      inversePredNorm: new Float64Array(rows),
      inverseLabelNorm: new Float64Array(rows),
      cosineOverPredNorm: new Float64Array(rows),
      cosineOverLabelNorm: new Float64Array(rows),
    };
  }

  // ℓ has one element per row r = o · inner + i; the row's elements sit at (o · size + c) · inner + i.
  protected forwardBlock(call: Loss.ForwardBlockCall<CosineSimilarityExtra, CosineSimilarityState>): void {
    const { prepared, state, begin, end, out } = call;
    const { size, inner } = prepared.extra!;
    const p = prepared.arrays[0]!.data;
    const y = prepared.arrays[1]!.data;
    for (let r = begin, j = 0; r < end; r++, j++) {
      const first = (r - (r % inner)) * size + (r % inner);
      let dot = 0;
      let predSquare = 0;
      let labelSquare = 0;
      for (let c = 0, k = first; c < size; c++, k += inner) {
        dot += p[k]! * y[k]!;
        predSquare += p[k]! * p[k]!;
        labelSquare += y[k]! * y[k]!;
      }
      // `<` so that a NaN squared norm stays NaN instead of taking the floor.
      const predFloored = predSquare < SQUARED_NORM_FLOOR;
      const labelFloored = labelSquare < SQUARED_NORM_FLOOR;
      const inversePred = 1 / Math.sqrt(predFloored ? SQUARED_NORM_FLOOR : predSquare);
      const inverseLabel = 1 / Math.sqrt(labelFloored ? SQUARED_NORM_FLOOR : labelSquare);
      const cos = dot * inversePred * inverseLabel;
      state.inversePredNorm[r] = inversePred;
      state.inverseLabelNorm[r] = inverseLabel;
      state.cosineOverPredNorm[r] = predFloored ? 0 : cos * inversePred;
      state.cosineOverLabelNorm[r] = labelFloored ? 0 : cos * inverseLabel;
      out[j] = -cos;
    }
  }

  // With ip = 1/‖p‖ (floored), cos = (p · y) · ip · iy and ∂ip/∂p_c = −p_c · ip³ off the floor
  // (0 on it): ∂cos/∂p_c = ip · (iy · y_c − (cos · ip) · p_c), and symmetrically for y. ℓ = −cos.
  // Each entry belongs to one row, so to one ℓ element: assigned.
  protected backwardBlock(call: Loss.BackwardBlockCall<CosineSimilarityExtra, CosineSimilarityState>): void {
    const { prepared, state, begin, end, dLoss, grads } = call;
    const [dPred, dLabel] = grads;
    const { size, inner } = prepared.extra!;
    const p = prepared.arrays[0]!.data;
    const y = prepared.arrays[1]!.data;
    for (let r = begin, j = 0; r < end; r++, j++) {
      const first = (r - (r % inner)) * size + (r % inner);
      const g = -dLoss[j]!;
      const ip = state.inversePredNorm[r]!;
      const iy = state.inverseLabelNorm[r]!;
      const cp = state.cosineOverPredNorm[r]!;
      const cy = state.cosineOverLabelNorm[r]!;
      for (let c = 0, k = first; c < size; c++, k += inner) {
        if (dPred) dPred[k] = g * ip * (iy * y[k]! - cp * p[k]!);
        if (dLabel) dLabel[k] = g * iy * (ip * p[k]! - cy * y[k]!);
      }
    }
  }

  twin(prepared: Loss.Prepared<CosineSimilarityExtra>): NDArray {
    const [pred, label] = prepared.arrays;
    const axis = normalizeAxis(this.axis, pred!.ndim, this.name, 'axis');
    return neg(sum(mul(this.normalized(pred!, axis), this.normalized(label!, axis)), axis, true));
  }

  /** x / sqrt(max(Σ x², 1e-12)) along `axis`, the floor's gradient going to Σ x² at a tie (as Keras's maximum). */
  private normalized(x: NDArray, axis: number): NDArray {
    const squares = sum(square(x), axis, true);
    return div(x, sqrt(where(lesser(squares, SQUARED_NORM_FLOOR), SQUARED_NORM_FLOOR, squares)));
  }
}
