/**
 * What the two triplet losses (TripletLoss, Gluon's squared distances, and TripletMarginLoss,
 * PyTorch's p-norms) share: three inputs of one shape with a batch axis (the anchor, then the
 * positive and negative reshaped like it), a sample being every element at one batch index, and
 * ℓ with one element per sample.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { formatShape, ShapeError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { normalizeAxis } from '../ndarray/shape.js';
import { sum } from '../ops/reduce.js';
import { type Loss, reshapeLike } from './_base/index.js';
import { type ClassLayout, classLayout } from './_class-rows.js';

/**
 * The validated inputs of a triplet loss named `where`, whose inputs are called `names` (anchor,
 * positive, negative): the anchor needs a batch axis (the `batchAxis` option, normalised against
 * its rank), the others are reshaped like it. `extra` is the (outer, batch, inner) layout around
 * the batch axis (`size` is the batch), and ℓ is `(N,)`.
 */
export function prepareTriplets(
  where: string,
  names: readonly string[],
  batchAxis: number,
  inputs: readonly (NDArray | null)[],
): Loss.Prepared<ClassLayout> {
  const [anchorName, positiveName, negativeName] = names as [string, string, string];
  const anchor = inputs[0]!;
  if (anchor.ndim === 0) {
    throw new ShapeError(
      `${where}: ${anchorName} must have a batch axis, got shape ${formatShape(anchor.shape)}`,
    );
  }
  const positive = reshapeLike(where, positiveName, inputs[1]!, anchorName, anchor);
  const negative = reshapeLike(where, negativeName, inputs[2]!, anchorName, anchor);
  const layout = classLayout(anchor.shape, normalizeAxis(batchAxis, anchor.ndim, where, 'batchAxis'));
  return {
    arrays: [anchor, positive, negative],
    sources: [0, 1, 2],
    lossShape: [layout.size],
    batchAxis: 0,
    extra: layout,
  };
}

/** The data of the anchor, positive and negative of a prepared triplet call. */
export function tripletData({ arrays }: Loss.Prepared<ClassLayout>): [TypedArray, TypedArray, TypedArray] {
  return [arrays[0]!.data, arrays[1]!.data, arrays[2]!.data];
}

/** Σ of `terms` over every axis but the batch axis `axis` (for the twins): one value per sample. */
export function sumPerSample(terms: NDArray, axis: number): NDArray {
  const others = terms.shape.map((_, i) => i).filter((i) => i !== axis);
  return others.length > 0 ? sum(terms, others) : terms;
}
