/**
 * The softmax kernels' scratch (softmax.ts): the fixed layout of their region of the arena
 * instance's memory, and the views of their arguments they copy in and out.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import type { FloatArray } from './_spans.js';
import { ARENA_SCRATCH_BYTES, regionBytes, SCRATCH_BASE, type Scratch } from './runtime.js';

/** Floats of logits per call of the one-pass kernel (64 KiB): whole rows when they fit, else pieces of one. */
export const CHUNK = 16384;
// The one-pass kernel's scratch in the arena instance (fixed offsets; x and out padded by 16
// bytes: a row's last partial vector is read whole), then per row of a chunk: the float32
// maximum, scale and label, and the float64 rest (scaledSoftmax: the float32 shift and
// coefficient in the first two).
export const X_AT = SCRATCH_BASE;
export const OUT_AT = X_AT + regionBytes(CHUNK * 4 + 16);
export const MAX_AT = OUT_AT + regionBytes(CHUNK * 4 + 16);
export const SCALES_AT = MAX_AT + regionBytes(CHUNK * 4);
export const LABELS_AT = SCALES_AT + regionBytes(CHUNK * 4);
export const REST_AT = LABELS_AT + regionBytes(CHUNK * 4);
// Label smoothing's parts (softmaxRowStatistics' weights and uniform): the f64 class weights, zero-padded by one
// vector pair, and per row the f64 uniform scale in, the spread out (the same slot).
export const WEIGHTS_AT = REST_AT + regionBytes(CHUNK * 8);
export const UNIFORM_AT = WEIGHTS_AT + regionBytes(CHUNK * 8 + 32);
export const SCRATCH_BYTES = UNIFORM_AT + regionBytes(CHUNK * 8) - SCRATCH_BASE;
// The arena's scratch area is reserved when the module loads, so a call never grows its memory
// (which would detach the views of live gradient regions, see arena.ts).
if (SCRATCH_BYTES > ARENA_SCRATCH_BYTES)
  throw new Error('softmax kernels: scratch exceeds the arena scratch area');

/**
 * Whether `out` is float32 memory of the arena instance (a gradient region a loss call owns,
 * arena.ts) that the kernel may write in place: it reads, and writes back unchanged, up to 12
 * bytes past a row's last float, which must exist.
 */
export function writesInPlace({ f32 }: Scratch, out: FloatArray): boolean {
  return (
    out instanceof Float32Array &&
    out.buffer === f32.buffer &&
    out.byteOffset + out.byteLength + 16 <= f32.buffer.byteLength
  );
}

/**
 * The `count` elements of `array` from `start`, as a view (the array itself when that is all of
 * it: a call that fits one chunk makes no views).
 */
export function span<T extends TypedArray>(array: T, start: number, count: number): T {
  return start === 0 && array.length === count ? array : (array.subarray(start, start + count) as T);
}

/** The first `count` elements of `array`, as a view (the array itself when that is all of it). */
export function head<T extends TypedArray>(array: T, count: number): T {
  return array.length === count ? array : (array.subarray(0, count) as T);
}
