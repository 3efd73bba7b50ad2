/**
 * The scaled softmax of rows on the arena instance (softmax.wat's softmaxRowsScaled), the wasm
 * part of softmax.ts's softmaxGradientRows: out = scale_r · softmax(x_r), and with dense labels
 * out = scale_r · softmax(x_r) − s_r · z_r (dense-target.wat's subtractScaledLabelsF64 on the
 * kernel's float32 output, the difference in float64 rounded once), written in place when out
 * is a gradient region of the arena (with dense labels, or for every chunk but the last: the
 * kernel's lanes past a row land in the memory that follows it).
 * @module
 */
import { scaleFitsFloat32, scalesFitFloat32 } from './_scales.js';
import type { FloatArray } from './_spans.js';
import type { SoftmaxGradientRows } from './_softmax-arguments.js';
import {
  CHUNK,
  MAX_AT,
  OUT_AT,
  SCALES_AT,
  SCRATCH_BYTES,
  WEIGHTS_AT,
  writesInPlace,
  X_AT,
} from './_softmax-scratch.js';
import { arenaScratch, reserveScratch, type Scratch } from './runtime.js';

/** Row r's scale: one for every row, or one each. */
export function scaleOf(scale: number | Float64Array, r: number): number {
  return typeof scale === 'number' ? scale : scale[r]!;
}

/**
 * The factor of a row's scaled softmax, s · e^{−logSum}: s · e^{x − shift − logSum} is this times
 * e^{x − shift}, one multiply per element. The kernels take it as a float32 (rounded once).
 */
export function softmaxCoefficient(scale: number, logSum: number): number {
  return scale * Math.exp(-logSum);
}

/**
 * s · softmax(x) of every row by wasm (minus s_r · z with dense labels), when it may run: float32
 * logits, scales that keep their value in float32, float labels. Returns whether it did.
 */
export function scaledSoftmax(args: SoftmaxGradientRows): boolean {
  const { x, classes, shift, logSum, scale, out } = args;
  const dense = args.denseLabels ?? null;
  // The kernel takes float32 scales: one that would lose its value there runs the float64 loop.
  const fits = typeof scale === 'number' ? scaleFitsFloat32(scale) : scalesFitFloat32(scale);
  // With dense labels: float labels, and a float32 out (the difference is rounded into it).
  const floatLabels =
    !dense ||
    ((dense.z instanceof Float32Array || dense.z instanceof Float64Array) && out instanceof Float32Array);
  const scratch =
    fits && floatLabels && x instanceof Float32Array ? reserveScratch(arenaScratch(), SCRATCH_BYTES) : null;
  if (!scratch) return false;
  const { f32, kernels } = scratch;
  const inPlace = writesInPlace(scratch, out);
  // The one-pass kernel's layout: whole rows per call when they fit a chunk, else one piece of a
  // row per call (the formula is elementwise); per row the f32 shift and coefficient.
  const per = Math.max(1, Math.min(shift.length, Math.floor(CHUNK / classes)));
  for (let start = 0; start < shift.length; start += per) {
    const count = Math.min(per, shift.length - start);
    for (let r = 0; r < count; r++) {
      // s · e^{x − shift − logSum} = (s · e^{−logSum}) · e^{x − shift}: one multiply per element.
      f32[(MAX_AT >> 2) + r] = shift[start + r]!;
      f32[(SCALES_AT >> 2) + r] = softmaxCoefficient(scaleOf(scale, start + r), logSum[start + r]!);
    }
    for (let begin = start * classes, piece = 0; piece < classes; piece += CHUNK) {
      const length = Math.min(CHUNK, classes - piece);
      f32.set(x.subarray(begin + piece, begin + piece + count * length), X_AT >> 2);
      // In place, the kernel's lanes past a row land in the next row, or past the chunk's last row
      // in the next chunk, both written later: so all but the final chunk go straight into out.
      const final = start + count >= shift.length && piece + length >= classes;
      if (inPlace && !dense && !final) {
        kernels.softmaxRowsScaled(
          X_AT,
          count,
          length,
          MAX_AT,
          SCALES_AT,
          out.byteOffset + 4 * (begin + piece),
        );
        continue;
      }
      kernels.softmaxRowsScaled(X_AT, count, length, MAX_AT, SCALES_AT, OUT_AT);
      if (dense) {
        const chunk = { at: begin + piece, rows: count, length, firstRow: start };
        subtractLabels(scratch, args, chunk, inPlace);
        if (inPlace) continue;
      }
      out.set(f32.subarray(OUT_AT >> 2, (OUT_AT >> 2) + count * length), begin + piece);
    }
  }
  return true;
}

/**
 * The dense labels' part of one chunk, rows of `length` entries of out from `at`: z copied into
 * the scratch's label-smoothing weights (unused by this kernel), then subtractStagedLabels.
 */
function subtractLabels(
  scratch: Scratch,
  { denseLabels, out }: SoftmaxGradientRows,
  chunk: { readonly at: number; readonly rows: number; readonly length: number; readonly firstRow: number },
  inPlace: boolean,
): void {
  const { z, scales } = denseLabels!;
  const { at, rows, length, firstRow } = chunk;
  const zFloat32 = z instanceof Float32Array;
  (zFloat32 ? scratch.f32 : scratch.f64).set(
    z.subarray(at, at + rows * length),
    WEIGHTS_AT / (zFloat32 ? 4 : 8),
  );
  const scalesOfRows = scales.subarray(firstRow, firstRow + rows);
  subtractStagedLabels(scratch, { rows, length, zFloat32, scales: scalesOfRows, out, at, inPlace });
}

/** The rows subtractStagedLabels finishes, and where their labels and gradient are. */
export interface StagedLabelRows {
  readonly rows: number;
  readonly length: number;
  /** z at WEIGHTS_AT is float32 (else float64). */
  readonly zFloat32: boolean;
  /** s_r of each row. */
  readonly scales: Float64Array;
  /** The gradient; row r goes to its elements from at + r · length. */
  readonly out: FloatArray;
  readonly at: number;
  /** Write into out, an arena gradient region, rather than back over OUT_AT. */
  readonly inPlace: boolean;
}

/**
 * Per row r, the scaled softmax at OUT_AT less s_r · z (z staged at WEIGHTS_AT): the difference
 * in float64, rounded once into out in place or back over OUT_AT (dense-target.wat's
 * subtractScaledLabelsF64, which writes exactly `length` elements a row).
 */
export function subtractStagedLabels({ kernels }: Scratch, rows: StagedLabelRows): void {
  const { length, zFloat32, scales, out, at, inPlace } = rows;
  const zBytes = zFloat32 ? 4 : 8;
  for (let r = 0; r < rows.rows; r++) {
    const outAt = OUT_AT + 4 * r * length;
    const destination = inPlace ? out.byteOffset + 4 * (at + r * length) : outAt;
    const labelsAt = WEIGHTS_AT + zBytes * r * length;
    kernels.subtractScaledLabelsF64(outAt, 1, labelsAt, zFloat32 ? 1 : 0, length, scales[r]!, destination, 1);
  }
}
