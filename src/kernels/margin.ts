/**
 * Margin losses of the score s = pred · label (HingeLoss, SquaredHingeLoss): with the gap
 * g = margin − s, ℓ = relu(g) or relu(g)², elementwise: the values and slopes of the block path,
 * and both in one pass for a recorded call (marginLossGradient). Float64 TypeScript for every dtype (a
 * product and a max per element: memory-bound, no transcendental to vectorise); this file is the
 * only TypeScript home of these formulas, one loop per loss so each stays monomorphic.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { checkSamples, type SampleGradients } from './_segments.js';

/** Which margin loss: relu(g) or relu(g)². */
export type MarginKind = 'hinge' | 'squaredHinge';

/** A margin loss's operands: the loss, its margin, and pred and label, views of equal length. */
export interface MarginInputs {
  readonly kind: MarginKind;
  readonly margin: number;
  readonly pred: TypedArray;
  readonly label: TypedArray;
}

/** Where the block backward writes, as views of the span's length (null when not wanted). */
export interface MarginGradients {
  readonly dLoss: Float64Array;
  readonly dPred: TypedArray | null;
  readonly dLabel: TypedArray | null;
}

/**
 * relu that lets a NaN gap through (`NaN > 0` is false), so a NaN input stays in its sample: the
 * margin losses' ℓ, and HingeEmbedding's and MarginRanking's hinge.
 */
export function reluPassingNaN(gap: number): number {
  return gap > 0 || Number.isNaN(gap) ? gap : 0;
}

/** `values[i] = ℓ(margin − pred[i] · label[i])` over the span. */
export function marginValues({ kind, margin, pred, label }: MarginInputs, values: Float64Array): void {
  const count = pred.length;
  if (kind === 'hinge') {
    for (let i = 0; i < count; i++) values[i] = reluPassingNaN(margin - pred[i]! * label[i]!);
  } else {
    for (let i = 0; i < count; i++) {
      const a = reluPassingNaN(margin - pred[i]! * label[i]!);
      values[i] = a * a;
    }
  }
}

/**
 * The gradients through g = margin − pred · label: dg/dpred = −label, dg/dlabel = −pred.
 * Hinge: relu′(g) is 1 only where g is strictly positive, so 0 on the hinge itself (and for a
 * NaN gap). Squared hinge: d relu(g)²/dg = 2 · relu(g), 0 on and beyond the hinge, NaN for a NaN
 * gap.
 */
export function marginSlopes(inputs: MarginInputs, { dLoss, dPred, dLabel }: MarginGradients): void {
  if (dPred) slopesInto(inputs, dLoss, inputs.label, dPred);
  if (dLabel) slopesInto(inputs, dLoss, inputs.pred, dLabel);
}

/** `out[i] = dLoss[i] · dℓ/dg · (−other[i])`: `other` is label for pred's gradient, pred for label's. */
function slopesInto(
  { kind, margin, pred, label }: MarginInputs,
  dLoss: Float64Array,
  other: TypedArray,
  out: TypedArray,
): void {
  const count = pred.length;
  if (kind === 'hinge') {
    for (let i = 0; i < count; i++) out[i] = margin - pred[i]! * label[i]! > 0 ? -dLoss[i]! * other[i]! : 0;
  } else {
    for (let i = 0; i < count; i++)
      out[i] = -2 * dLoss[i]! * reluPassingNaN(margin - pred[i]! * label[i]!) * other[i]!;
  }
}

/**
 * The one-pass step of a recorded call (Loss.forwardGradient): `sums[s]` = Σ ℓ over sample s's
 * elements and `gradient[k]` = scales[s] · ∂ℓ/∂pred[k], each element's value and slope the
 * expressions of {@link marginValues} and {@link marginSlopes} with dℓ = scales[s], in one pass
 * (the block path computes ℓ, then walks pred and label again for the slopes).
 */
export function marginLossGradient(inputs: MarginInputs, samples: SampleGradients): void {
  const { kind, margin, pred, label } = inputs;
  checkSamples('marginLossGradient', { pred, label }, samples);
  const { sampleSize, scales, sums, gradient } = samples;
  for (let sample = 0, k = 0; sample < scales.length; sample++) {
    const scale = scales[sample]!;
    let total = 0;
    const end = k + sampleSize;
    if (kind === 'hinge') {
      for (; k < end; k++) {
        const y = label[k]!;
        const gap = margin - pred[k]! * y;
        total += reluPassingNaN(gap);
        gradient[k] = gap > 0 ? -scale * y : 0;
      }
    } else {
      for (; k < end; k++) {
        const y = label[k]!;
        const a = reluPassingNaN(margin - pred[k]! * y);
        total += a * a;
        gradient[k] = -2 * scale * a * y;
      }
    }
    sums[sample] = total;
  }
}
