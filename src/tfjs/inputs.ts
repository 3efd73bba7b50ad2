/**
 * How the adapter turns TF.js data into a gloss loss's inputs: which inputs are integers (class
 * labels, lengths) and must be cast, and the layout that packs a loss's extra inputs into `yTrue`
 * so that they travel through `model.fit`, which passes exactly one target tensor per output.
 * @module
 */
import { ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import type { Loss } from '../loss/index.js';
import { CTCLoss } from '../loss/ctc.js';
import { SoftmaxCrossEntropyLoss } from '../loss/softmax-ce.js';

/**
 * Where each of a loss's inputs after `pred` sits inside a packed `yTrue`: input name → shape of
 * that input for one sample (`[]` for one number per sample), in packing order. Each sample's
 * row of `yTrue` (all its elements after the batch axis, row-major) holds the inputs one after
 * another from its first element; elements left over are ignored.
 *
 * ```ts
 * // CTC: labels padded to 4 with -1, then the label length, then a sample weight
 * const layout = { label: [4], labelLengths: [], sampleWeight: [] };
 * ```
 */
export type TargetLayout = Readonly<Record<string, readonly number[]>>;

/** Names of the inputs of `loss` that are integers: class indices and lengths. */
export function integerInputs(loss: Loss): ReadonlySet<string> {
  const names = new Set<string>();
  if (loss instanceof CTCLoss) for (const name of ['label', 'predLengths', 'labelLengths']) names.add(name);
  if (loss instanceof SoftmaxCrossEntropyLoss && loss.sparseLabel) names.add('label');
  return names;
}

/** Elements per sample of one layout entry. */
function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Checks a layout against the loss's input names; returns the entries in packing order. */
export function checkLayout(
  where: string,
  loss: Loss,
  layout: TargetLayout,
): readonly (readonly [string, readonly number[]])[] {
  const accepted = loss.inputNames.slice(1);
  const entries = Object.entries(layout);
  if (entries.length === 0)
    throw new ValueError(`${where}: targets names no input; ${loss.name} takes ${accepted.join(', ')}`);
  for (const [name, shape] of entries) {
    if (!accepted.includes(name)) {
      throw new ValueError(
        `${where}: targets names '${name}', which ${loss.name} does not take; its inputs after ${loss.inputNames[0]} are ${accepted.join(', ')}`,
      );
    }
    if (!Array.isArray(shape) || shape.some((dim) => !Number.isInteger(dim) || dim < 0)) {
      throw new ValueError(
        `${where}: targets.${name} must be a per-sample shape of non-negative integers, got ${JSON.stringify(shape)}`,
      );
    }
  }
  return entries;
}

/** Row-major elements of one packed sample that the layout uses. */
export function layoutSize(layout: TargetLayout): number {
  return Object.values(layout).reduce((total, shape) => total + sizeOf(shape), 0);
}

/**
 * Copies a float array into int32, checking that every value is an integer (class labels and
 * lengths arrive from TF.js as float32).
 */
export function toIntegers(where: string, name: string, values: ArrayLike<number>): Int32Array {
  if (values instanceof Int32Array) return values;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isInteger(value)) {
      throw new ValueError(
        `${where}: ${name}[${i}] is ${value}; ${name} holds integers (class indices or lengths)`,
      );
    }
    out[i] = value;
  }
  return out;
}

/** One input as gloss receives it: floats as float32, integer inputs cast (validated) to int32. */
export function asLossInput(
  where: string,
  name: string,
  integers: ReadonlySet<string>,
  values: Float32Array | Int32Array,
  shape: readonly number[],
): NDArray {
  if (integers.has(name)) return new NDArray(toIntegers(where, name, values), shape);
  return new NDArray(values instanceof Float32Array ? values : Float32Array.from(values), shape);
}

/**
 * Splits a packed `yTrue` (its data and shape, batch first) into the inputs the layout names,
 * each of shape `[batch, ...layout[name]]`.
 */
export function unpackTargets(
  where: string,
  loss: Loss,
  layout: TargetLayout,
  data: Float32Array | Int32Array,
  shape: readonly number[],
): Map<string, NDArray> {
  const entries = checkLayout(where, loss, layout);
  const batch = shape[0] ?? 1;
  const row = batch === 0 ? 0 : data.length / batch;
  const needed = layoutSize(layout);
  if (shape.length < 1 || row < needed) {
    throw new ShapeError(
      `${where}: yTrue of shape [${shape.join(',')}] has ${row} elements per sample but targets ${JSON.stringify(layout)} needs ${needed}; ` +
        'pack it with packTargets, or pass the extra inputs to trainStep',
    );
  }
  const integers = integerInputs(loss);
  const inputs = new Map<string, NDArray>();
  let offset = 0;
  for (const [name, sampleShape] of entries) {
    const size = sizeOf(sampleShape);
    const values = integers.has(name) ? new Int32Array(batch * size) : new Float32Array(batch * size);
    for (let b = 0; b < batch; b++) {
      for (let k = 0; k < size; k++) {
        const value = data[b * row + offset + k]!;
        if (integers.has(name) && !Number.isInteger(value)) {
          throw new ValueError(
            `${where}: ${name} of sample ${b} holds ${value} at position ${k}; ${name} holds integers (class indices or lengths)`,
          );
        }
        values[b * size + k] = value;
      }
    }
    inputs.set(name, new NDArray(values, [batch, ...sampleShape]));
    offset += size;
  }
  return inputs;
}

/**
 * Packs a loss's inputs after `pred` into one float32 array of `batch` rows of `rowSize`
 * elements, in layout order, zero-padded (the data of the tensor {@link packTargets} makes).
 */
export function packRows(
  where: string,
  layout: TargetLayout,
  values: ReadonlyMap<string, ArrayLike<number>>,
  rowSize: number,
): { data: Float32Array; batch: number } {
  let batch = -1;
  for (const [name, shape] of Object.entries(layout)) {
    const given = values.get(name);
    if (!given) throw new ValueError(`${where}: no value for '${name}', which the layout names`);
    const size = sizeOf(shape);
    const rows = size === 0 ? 0 : given.length / size;
    if (!Number.isInteger(rows) || (batch >= 0 && rows !== batch)) {
      throw new ShapeError(
        `${where}: '${name}' has ${given.length} elements, not ${batch >= 0 ? batch : 'a whole number of'} samples of shape [${shape.join(',')}]`,
      );
    }
    batch = rows;
  }
  for (const name of values.keys()) {
    if (!(name in layout))
      throw new ValueError(`${where}: '${name}' is not in the layout ${JSON.stringify(layout)}`);
  }
  const needed = layoutSize(layout);
  if (needed > rowSize) {
    throw new ShapeError(
      `${where}: the layout needs ${needed} elements per sample but the model's output has ${rowSize}; ` +
        'fit cannot carry these inputs, use trainStep',
    );
  }
  const count = Math.max(batch, 0);
  const data = new Float32Array(count * rowSize);
  let offset = 0;
  for (const [name, shape] of Object.entries(layout)) {
    const given = values.get(name)!;
    const size = sizeOf(shape);
    for (let b = 0; b < count; b++) {
      for (let k = 0; k < size; k++) data[b * rowSize + offset + k] = given[b * size + k]!;
    }
    offset += size;
  }
  return { data, batch: count };
}
