/**
 * The log-softmax normalisers of rows in float64 (`shift` and `logSum`, so that log softmax(x)_c
 * = (x_c − shift) − logSum), of any array: the float64 reference of the softmax kernels
 * (softmax.ts falls back to it for rows the float32 kernel cannot take) and the normalisers of
 * the losses that need float64 ones (KLDivLoss, whose small sums are differences of large terms).
 *
 * Both paths give the same bits. The TypeScript loop takes Math.exp per element; on the wasm
 * backend, rows of float32 or float64 logits of at least WASM_MINIMUM_CLASSES classes take the
 * exponentials in float64-rows.wat's `expSumF64`, which is fdlibm's e^x (bit for bit V8's
 * Math.exp) summed in the same order, about twice as fast.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import type { SoftmaxRows } from './_softmax-arguments.js';
import type { FloatArray } from './_spans.js';
import { regionBytes, reserveScratch, SCRATCH_BASE, type Scratch, wasmScratch } from './runtime.js';

/** Below this many classes a row's wasm call costs more than its Math.exp calls save. */
const WASM_MINIMUM_CLASSES = 32;
/** Logits copied into wasm memory per call: 32 KiB as float64. */
const CHUNK = 4096;

/**
 * Where a row's finite maximum is (the first one), or base − 1 when its maximum is not finite
 * (a NaN wins; +Infinity, or every entry −Infinity). The row's shift is that maximum, else 0,
 * and its sum skips the maximum's own term, exactly 1, which log1p adds back.
 */
function finiteMaximumAt(x: TypedArray, base: number, classes: number): number {
  let maximum = Number.NEGATIVE_INFINITY;
  let at = base - 1;
  for (let k = base; k < base + classes; k++) {
    const v = x[k]!;
    if (v > maximum || Number.isNaN(v)) {
      maximum = v;
      at = k;
    }
  }
  // m − m is 0 only for finite m
  return maximum - maximum === 0 ? at : base - 1;
}

/** Stores row r's normalisers from its sum of e^{x − shift} without the skipped entry. */
function store({ shift, logSum }: SoftmaxRows, r: number, s: number, total: number, finite: boolean): void {
  shift[r] = s;
  logSum[r] = finite ? Math.log1p(total) : Math.log(total);
}

/** The float64 reference for rows [begin, end): Math.exp per entry, summed in index order. */
export function referenceNormalizers(rows: SoftmaxRows, begin: number, end: number): void {
  const { x, classes } = rows;
  for (let r = begin; r < end; r++) {
    const base = r * classes;
    const skip = finiteMaximumAt(x, base, classes);
    const s = skip < base ? 0 : (x[skip] as number);
    let total = 0;
    for (let k = base; k < skip; k++) total += Math.exp(x[k]! - s);
    for (let k = skip + 1; k < base + classes; k++) total += Math.exp(x[k]! - s);
    store(rows, r, s, total, skip >= base);
  }
}

/** The normalisers of every row, in float64, with the wasm exponentials where they pay. */
export function float64Normalizers(rows: SoftmaxRows): void {
  const { x, classes } = rows;
  const count = rows.shift.length;
  const float = x instanceof Float32Array || x instanceof Float64Array;
  const scratch =
    float && classes >= WASM_MINIMUM_CLASSES
      ? reserveScratch(wasmScratch(), regionBytes(Math.min(classes, CHUNK) * 8 + 16))
      : null;
  if (!scratch) {
    referenceNormalizers(rows, 0, count);
    return;
  }
  const floats = x as Float32Array | Float64Array;
  const float32 = x instanceof Float32Array;
  const view = float32 ? scratch.f32 : scratch.f64;
  const at = SCRATCH_BASE / view.BYTES_PER_ELEMENT;
  for (let r = 0; r < count; r++) {
    const base = r * classes;
    if (classes > CHUNK) {
      const skip = finiteMaximumAt(x, base, classes);
      const s = skip < base ? 0 : x[skip]!;
      store(rows, r, s, exponentialSum(scratch, { x: floats, base, classes }, s, skip), skip >= base);
      continue;
    }
    // A row of one chunk: copied in once, its maximum found and its exponentials summed there.
    view.set(floats.subarray(base, base + classes), at);
    const found = scratch.kernels.finiteMaximumAtF64(SCRATCH_BASE, float32 ? 1 : 0, classes);
    const s = found < 0 ? 0 : x[base + found]!;
    const total = scratch.kernels.expSumF64(SCRATCH_BASE, float32 ? 1 : 0, classes, s, found, 0);
    store(rows, r, s, total, found >= 0);
  }
}

/** Σ e^{x_k − s} over a long row at base, k ≠ skip, in index order, CHUNK entries per wasm call. */
function exponentialSum(
  scratch: Scratch,
  {
    x,
    base,
    classes,
  }: { readonly x: Float32Array | Float64Array; readonly base: number; readonly classes: number },
  s: number,
  skip: number,
): number {
  const float32 = x instanceof Float32Array;
  const view = float32 ? scratch.f32 : scratch.f64;
  const at = SCRATCH_BASE / view.BYTES_PER_ELEMENT;
  let total = 0;
  for (let begin = base; begin < base + classes; begin += CHUNK) {
    const length = Math.min(CHUNK, base + classes - begin);
    view.set(x.subarray(begin, begin + length), at);
    total = scratch.kernels.expSumF64(SCRATCH_BASE, float32 ? 1 : 0, length, s, skip - begin, total);
  }
  return total;
}

/** One row's part of the softmax gradient, from its normalisers. */
export interface ScaledExponentialRow {
  readonly x: TypedArray;
  readonly begin: number;
  readonly end: number;
  readonly shift: number;
  readonly logSum: number;
  readonly scale: number;
  /** Written over [begin, end). */
  readonly out: FloatArray;
}

/**
 * out[k] = scale · e^{(x_k − shift) − logSum} over [begin, end): the float64 value (Math.exp's
 * bits), rounded once into out; fdlibm's e^x in wasm (float64-rows.wat's scaledExpF64) for float
 * rows of at least WASM_MINIMUM_CLASSES entries.
 */
export function scaledExponentials(row: ScaledExponentialRow): void {
  const { x, begin, end, shift, logSum, scale, out } = row;
  const float = x instanceof Float32Array || x instanceof Float64Array;
  const scratch =
    float && end - begin >= WASM_MINIMUM_CLASSES
      ? reserveScratch(wasmScratch(), 2 * regionBytes(CHUNK * 8 + 16))
      : null;
  if (!scratch) {
    // (x − shift) − logSum, in that order: x − shift is exact near the maximum of huge logits.
    for (let k = begin; k < end; k++) out[k] = scale * Math.exp(x[k]! - shift - logSum);
    return;
  }
  const float32 = x instanceof Float32Array;
  const outFloat32 = out instanceof Float32Array;
  const source = float32 ? scratch.f32 : scratch.f64;
  const destination = outFloat32 ? scratch.f32 : scratch.f64;
  const outAt = SCRATCH_BASE + regionBytes(CHUNK * 8 + 16);
  for (let from = begin; from < end; from += CHUNK) {
    const length = Math.min(CHUNK, end - from);
    source.set((x as FloatArray).subarray(from, from + length), SCRATCH_BASE / source.BYTES_PER_ELEMENT);
    scratch.kernels.scaledExpF64(
      SCRATCH_BASE,
      float32 ? 1 : 0,
      length,
      shift,
      logSum,
      scale,
      outAt,
      outFloat32 ? 1 : 0,
    );
    const at = outAt / destination.BYTES_PER_ELEMENT;
    out.set(destination.subarray(at, at + length), from);
  }
}
