/**
 * Shared by the losses that score a matrix of class scores per sample, PyTorch style
 * (MultiMarginLoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss): `pred` of shape `(N, C)`,
 * one loss value per sample, and an optional per-class weight (PyTorch's `weight`).
 * @module
 */
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { checkRank, lossBatchAxis } from './_base/index.js';

/** A per-class weight as the options take it: an array of C finite numbers, or an NDArray. */
export type ClassWeightOption = readonly number[] | Float32Array | Float64Array | NDArray | null;

/**
 * The `classWeight` option as float64 numbers (null when not given). Each entry must be a finite
 * number; the length is checked against C at forward ({@link checkClassWeightLength}).
 */
export function readClassWeight(where: string, value: unknown): Float64Array | null {
  if (value === undefined || value === null) return null;
  const values =
    value instanceof NDArray
      ? value.ndim === 1
        ? Array.from(value.data)
        : null
      : Array.isArray(value) || value instanceof Float32Array || value instanceof Float64Array
        ? Array.from(value as ArrayLike<unknown>)
        : null;
  if (!values) {
    throw new ValueError(
      `${where}: option classWeight must be a 1-D array of C finite numbers, got ${String(value)}`,
    );
  }
  values.forEach((v, c) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValueError(
        `${where}: option classWeight must hold finite numbers, got ${String(v)} at class ${c}`,
      );
    }
  });
  return Float64Array.from(values as number[]);
}

/** Throws a ShapeError unless the class weight has one entry per class. */
export function checkClassWeightLength(where: string, weights: Float64Array | null, classes: number): void {
  if (weights && weights.length !== classes) {
    throw new ShapeError(
      `${where}: option classWeight has ${weights.length} entries but pred has ${classes} classes; give one weight per class`,
    );
  }
}

/** `pred` as an `(N, C)` matrix: its batch size and class count, and ℓ's batch axis. */
export interface ClassMatrix {
  readonly batch: number;
  readonly classes: number;
  /** Always 0: ℓ is `(N,)`. */
  readonly batchAxis: number;
}

/**
 * Checks that `pred` is `(N, C)` (ShapeError naming the loss and the shape otherwise, with the
 * `(1, C)` hint for a single sample) and that `batchAxis` fits ℓ's shape `(N,)`: 0 or −1.
 */
export function classMatrix(where: string, pred: NDArray, batchAxis: number): ClassMatrix {
  checkRank(where, 'pred', pred, 2, '(N, C): batch, classes; give one sample the shape [1, C]');
  const batch = pred.shape[0]!;
  const classes = pred.shape[1]!;
  return { batch, classes, batchAxis: lossBatchAxis(where, batchAxis, [batch]) };
}

/** Throws a ShapeError unless `label` holds one value per sample. */
export function checkOnePerSample(where: string, name: string, label: NDArray, pred: NDArray): void {
  const batch = pred.shape[0]!;
  if (label.size !== batch) {
    throw new ShapeError(
      `${where}: ${name} shape ${formatShape(label.shape)} (${label.size} elements) must hold one class index per ` +
        `sample of pred ${formatShape(pred.shape)}: give ${name} the shape [${batch}]`,
    );
  }
}
