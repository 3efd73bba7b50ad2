import type { DType } from '../ndarray/dtype.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { RandomGenerator } from '../ndarray/random.js';
import { normalizeAxis, sameShape, sizeOf, stridesOf } from '../ndarray/shape.js';
import { logSoftmax } from '../ops/activation.js';
import { abs, add, equal, log, mul, sub, where } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { type ClassLayout, classLayout, logSoftmaxRows, type RowNormalizers } from './_class-rows.js';
import {
  checkBoolean,
  checkChoice,
  type KernelForward,
  Loss,
  type LossOptions,
  lossBatchAxis,
  type Prepared,
  sumGradientToShape,
} from './_loss.js';
import { signedBandValues, toNDArray } from './_samples.js';

/** How ℓ is reduced over the class axis before the per-sample mean. */
export type KLClassReduction = 'mean' | 'sum';

/** Options of {@link KLDivLoss}. */
export interface KLDivLossOptions extends LossOptions {
  /** `pred` already holds log-probabilities (default true, as Gluon); false applies a log-softmax along `axis`. */
  fromLogits?: boolean;
  /** The class axis (default −1): used for the log-softmax and for `classReduction: 'sum'`. */
  axis?: number;
  /**
   * 'mean' (default, Gluon 2.x): ℓ is averaged over every non-batch axis, classes included, so a
   * `(N, C)` input gives KL / C. 'sum': ℓ is summed over the class `axis` first — the true KL
   * divergence per distribution — and only the remaining non-batch axes are averaged
   * (DECISIONS 3; MXNet 1.9.x's value for 2-D inputs).
   */
  classReduction?: KLClassReduction;
}

/** The epsilon Gluon adds inside log(label + ε), kept for value parity (DECISIONS 12). */
const EPSILON = 1e-12;

/** Per-call settings the kernels read. */
interface KLExtra {
  /** The class axis, or −1 when neither the log-softmax nor the class sum needs it. */
  readonly axis: number;
  /** The layout around the class axis (the whole array as one class of one row when unused). */
  readonly layout: ClassLayout;
  /** For each element of pred, the offset of its label value; null when the shapes are equal. */
  readonly labelIndex: Int32Array | null;
}

/**
 * One term z · (log(z + ε) − log p). A zero label contributes 0 whatever log p is (0 · log 0 = 0,
 * DECISIONS 12: an impossible class with no label mass is not an error), except that a NaN
 * prediction still propagates.
 */
function klTerm(z: number, logProbability: number): number {
  if (z === 0) return Number.isNaN(logProbability) ? logProbability : 0;
  return z * (Math.log(z + EPSILON) - logProbability);
}

/** ∂/∂z of z · (log(z + ε) − log p): log(z + ε) + z / (z + ε) − log p. */
function klLabelDerivative(z: number, logProbability: number): number {
  return Math.log(z + EPSILON) + z / (z + EPSILON) - logProbability;
}

/** For each element of `shape`, the offset of the element of `from` (broadcast to it) it reads. */
function broadcastIndex(shape: readonly number[], from: readonly number[]): Int32Array {
  const rank = shape.length;
  const aligned = [...new Array<number>(rank - from.length).fill(1), ...from];
  const own = stridesOf(aligned);
  const strides = aligned.map((d, i) => (d === 1 ? 0 : own[i]!));
  const size = sizeOf(shape);
  const index = new Int32Array(size);
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let k = 0; k < size; k++) {
    index[k] = offset;
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]!++;
      offset += strides[axis]!;
      if (counter[axis]! < shape[axis]!) break;
      offset -= strides[axis]! * shape[axis]!;
      counter[axis] = 0;
    }
  }
  return index;
}

/**
 * Kullback–Leibler divergence of the prediction from the label distribution:
 *
 *     ℓ = label · (log(label + 1e-12) − pred),   pred = log-probabilities
 *
 * (with `fromLogits: false`, pred ← log_softmax(pred, axis) first), then `sampleWeight`, `weight`
 * and the mean over the non-batch axes — classes included, so the Gluon value for a `(N, C)`
 * input is KL / C (the seed tutorial's "about 0.02" is 0.0254242, DECISIONS 3). With
 * `classReduction: 'sum'` the class axis is summed instead, giving the true KL (0.1016968 there).
 *
 * **Inputs**: `pred` any shape, log-probabilities (logits with `fromLogits: false`); `label`
 * probabilities (≥ 0; a zero gives a zero term), NOT reshaped: it must broadcast to `pred`'s shape
 * without enlarging it, e.g. `(1, C)` against `(N, C)`, otherwise a ShapeError (DECISIONS 9a);
 * `sampleWeight` optional, broadcastable to ℓ (a 1-D array of batch length is per sample).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `fromLogits` (default **true**: pred must already be log-probabilities), `axis`
 * (default −1), `classReduction` ('mean' default = Gluon, or 'sum' = true KL; with 'sum' the class
 * axis may not be the batch axis), `weight` (default none), `batchAxis` (default 0).
 *
 * **Gradient**: −label with respect to `pred` (softmax(pred) · Σ label − label through the
 * log-softmax), log(label + ε) + label / (label + ε) − log p with respect to `label` (summed back
 * to the label's own shape when it was broadcast).
 *
 * **Stability**: the log-softmax is computed stably from per-row normalisers (no probability
 * buffer is stored); 0 · log 0 is 0, so labels of exactly 0 and impossible classes (log p = −∞)
 * give a zero term instead of NaN. A NaN stays in its own sample.
 *
 * @example
 * ```ts
 * const output = nd.array([[0.39056206, 1.3068528, 0.39056206, -0.30258512]]);
 * const target = nd.array([[0.3, 0.4, 0.1, 0.2]]);
 * new gluon.loss.KLDivLoss({ fromLogits: false }).forward(output, target); // [0.02542421]
 * new gluon.loss.KLDivLoss({ fromLogits: false, classReduction: 'sum' }).forward(output, target); // [0.10169686]
 * ```
 */
export class KLDivLoss extends Loss {
  readonly inputNames: readonly string[] = ['pred', 'label', 'sampleWeight'];
  /** Whether `pred` already holds log-probabilities. */
  readonly fromLogits: boolean;
  /** The class axis as given (may be negative). */
  readonly axis: number;
  /** 'mean' (Gluon) or 'sum' (true KL) over the class axis. */
  readonly classReduction: KLClassReduction;

  constructor(options: KLDivLossOptions = {}) {
    super(options, ['fromLogits', 'axis', 'classReduction']);
    this.fromLogits = checkBoolean(this.name, 'fromLogits', options.fromLogits ?? true);
    const axis = options.axis ?? -1;
    if (!Number.isInteger(axis))
      throw new ValueError(`${this.name}: option axis must be an integer, got ${String(axis)}`);
    this.axis = axis;
    this.classReduction = checkChoice(this.name, 'classReduction', options.classReduction ?? 'mean', [
      'mean',
      'sum',
    ]);
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Prepared {
    const pred = inputs[0]!;
    const label = inputs[1]!;
    const fits =
      label.ndim <= pred.ndim &&
      label.shape.every((d, j) => d === 1 || d === pred.shape[pred.ndim - label.ndim + j]);
    if (!fits) {
      throw new ShapeError(
        `${this.name}: label shape ${formatShape(label.shape)} must broadcast to pred shape ${formatShape(pred.shape)} ` +
          'without enlarging it (the label is not reshaped); give it the shape of pred or size-1 axes in its place',
      );
    }
    const summed = this.classReduction === 'sum';
    const needsAxis = summed || !this.fromLogits;
    const axis = needsAxis ? normalizeAxis(this.axis, pred.ndim, this.name, 'axis') : -1;
    const layout = needsAxis ? classLayout(pred.shape, axis) : { outer: pred.size, size: 1, inner: 1 };
    const lossShape = summed ? pred.shape.map((d, i) => (i === axis ? 1 : d)) : pred.shape;
    const batchAxis = lossBatchAxis(this.name, this.batchAxis, lossShape);
    if (summed && batchAxis === axis) {
      throw new ShapeError(
        `${this.name}: classReduction 'sum' sums over axis ${axis}, which is also the batch axis of pred ${formatShape(pred.shape)}`,
      );
    }
    const labelIndex = sameShape(label.shape, pred.shape) ? null : broadcastIndex(pred.shape, label.shape);
    const extra: KLExtra = { axis, layout, labelIndex };
    return { arrays: [pred, label], sources: [0, 1], lossShape, batchAxis, extra };
  }

  protected forwardKernel(prepared: Prepared): KernelForward {
    const { layout, labelIndex } = prepared.extra as KLExtra;
    const x = prepared.arrays[0]!.data;
    const z = prepared.arrays[1]!.data;
    const summed = this.classReduction === 'sum';
    if (this.fromLogits && !summed) {
      // Gluon's default: purely elementwise.
      const loss = new Float64Array(x.length);
      if (labelIndex) for (let k = 0; k < x.length; k++) loss[k] = klTerm(z[labelIndex[k]!]!, x[k]!);
      else for (let k = 0; k < x.length; k++) loss[k] = klTerm(z[k]!, x[k]!);
      return { loss };
    }
    const { outer, size, inner } = layout;
    const normalizers = this.fromLogits ? null : logSoftmaxRows(x, layout);
    const loss = new Float64Array(summed ? outer * inner : x.length);
    for (let o = 0, k = 0; o < outer; o++) {
      for (let c = 0; c < size; c++) {
        for (let i = 0, r = o * inner; i < inner; i++, r++, k++) {
          // log p = (x − shift) − logSum: the log-softmax from the row normalisers.
          const logProbability = normalizers ? x[k]! - normalizers.shift[r]! - normalizers.logSum[r]! : x[k]!;
          const term = klTerm(z[labelIndex ? labelIndex[k]! : k]!, logProbability);
          if (summed) loss[r]! += term;
          else loss[k] = term;
        }
      }
    }
    return { loss, saved: normalizers };
  }

  protected backwardKernel(
    prepared: Prepared,
    forward: KernelForward,
    dLoss: Float64Array,
    needsGrad: readonly boolean[],
  ): (Float64Array | null)[] {
    const { layout, labelIndex } = prepared.extra as KLExtra;
    const pred = prepared.arrays[0]!;
    const label = prepared.arrays[1]!;
    const x = pred.data;
    const z = label.data;
    const { outer, size, inner } = layout;
    const summed = this.classReduction === 'sum';
    const normalizers = forward.saved as RowNormalizers | undefined;
    const rows = outer * inner;
    // g_k = ∂/∂ℓ for element k: per element (mean) or per class row (sum).
    let dPred: Float64Array | null = null;
    if (needsGrad[0]) {
      dPred = new Float64Array(x.length);
      // ∂ℓ/∂log p_k = −g_k · z_k; through the log-softmax ∂/∂x_j = −g_j z_j + p_j · Σ_c g_c z_c.
      const rowMass = normalizers ? new Float64Array(rows) : null;
      for (let o = 0, k = 0; o < outer; o++) {
        for (let c = 0; c < size; c++) {
          for (let i = 0, r = o * inner; i < inner; i++, r++, k++) {
            const weighted = (summed ? dLoss[r]! : dLoss[k]!) * z[labelIndex ? labelIndex[k]! : k]!;
            dPred[k] = -weighted;
            if (rowMass) rowMass[r]! += weighted;
          }
        }
      }
      if (normalizers && rowMass) {
        const { shift, logSum } = normalizers;
        for (let o = 0, k = 0; o < outer; o++) {
          for (let c = 0; c < size; c++) {
            for (let i = 0, r = o * inner; i < inner; i++, r++, k++) {
              dPred[k]! += Math.exp(x[k]! - shift[r]! - logSum[r]!) * rowMass[r]!;
            }
          }
        }
      }
    }
    let dLabel: Float64Array | null = null;
    if (needsGrad[1]) {
      const full = new Float64Array(x.length);
      for (let o = 0, k = 0; o < outer; o++) {
        for (let c = 0; c < size; c++) {
          for (let i = 0, r = o * inner; i < inner; i++, r++, k++) {
            const logProbability = normalizers
              ? x[k]! - normalizers.shift[r]! - normalizers.logSum[r]!
              : x[k]!;
            full[k] =
              (summed ? dLoss[r]! : dLoss[k]!) *
              klLabelDerivative(z[labelIndex ? labelIndex[k]! : k]!, logProbability);
          }
        }
      }
      dLabel = labelIndex ? sumGradientToShape(full, pred.shape, label.shape) : full;
    }
    return [dPred, dLabel];
  }

  twin(prepared: Prepared): NDArray {
    const { axis } = prepared.extra as KLExtra;
    const [pred, label] = prepared.arrays;
    const logProbabilities = this.fromLogits ? pred! : logSoftmax(pred!, axis);
    // A zero label beside an infinite log p contributes 0 (see klTerm): replace that log p by 0
    // before multiplying, so neither the value nor any gradient sees 0 · ∞.
    const masked = mul(equal(label!, 0), equal(abs(logProbabilities), Number.POSITIVE_INFINITY));
    const safe = where(masked, 0, logProbabilities);
    const terms = mul(label!, sub(log(add(label!, EPSILON)), safe));
    return this.classReduction === 'sum' ? sum(terms, axis, true) : terms;
  }

  /**
   * Label distributions of shape (4, 3) bounded away from 0, and predictions: log-probabilities
   * (logits with `fromLogits: false`) from logits of magnitude up to 3, or in
   * [extreme/2, extreme) with `extreme`.
   */
  sampleInputs(generator: RandomGenerator, dtype: DType, extreme?: number): (NDArray | null)[] | null {
    const shape = [4, 3];
    const logits = toNDArray(
      signedBandValues(generator, 12, [extreme === undefined ? [0, 3] : [0.5 * extreme, extreme]]),
      shape,
      'float64',
    );
    const pred = this.fromLogits ? logSoftmax(logits, -1) : logits;
    const label = toNDArray(signedBandValues(generator, 12, [[0, 1]]), shape, 'float64').softmax(-1);
    return [
      toNDArray(Float64Array.from(pred.data), shape, dtype),
      toNDArray(Float64Array.from(label.data), shape, dtype),
    ];
  }
}
