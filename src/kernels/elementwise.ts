/**
 * Vectorised transcendental maps, `dst[dstOffset + i] = f(src[srcOffset + i])` for i < count:
 * exp, log, log1p, softplus and sigmoid. Float32 sources run through the wasm SIMD kernels
 * (within 2 ulp of the correctly rounded float32 result; exp into a float64 destination keeps
 * float64's range, see widenOverflows); float64 sources, and every source
 * under the `'js'` backend, use Math in float64. `dst` may be either float type (and may be
 * `src` itself).
 * @module
 */
import { checkSpan, type FloatArray } from './_spans.js';
import { type KernelExports, regionBytes, reserveScratch, SCRATCH_BASE, wasmScratch } from './runtime.js';

/** Elements per wasm call: 16 KiB in, the same out, in place. */
const CHUNK = 4096;

type MapKernel = 'mapExp' | 'mapLog' | 'mapLog1p' | 'mapSoftplus' | 'mapSigmoid';

/**
 * softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^−|x|): no overflow, and e^x's relative
 * precision for x ≪ 0.
 */
export function softplusScalar(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** sigmoid(x) = 1/(1 + e^−x), with the exponential taken where it cannot overflow (NaN → NaN). */
export function sigmoidScalar(x: number): number {
  const e = Math.exp(-Math.abs(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

function map(
  where: string,
  kernel: MapKernel,
  scalar: (x: number) => number,
  src: FloatArray,
  srcOffset: number,
  count: number,
  dst: FloatArray,
  dstOffset: number,
): void {
  checkSpan(where, 'src', src, srcOffset, count);
  checkSpan(where, 'dst', dst, dstOffset, count);
  const scratch = reserveScratch(
    src instanceof Float32Array ? wasmScratch() : null,
    regionBytes(Math.min(count, CHUNK) * 4),
  );
  if (!scratch) {
    for (let i = 0; i < count; i++) dst[dstOffset + i] = scalar(src[srcOffset + i]!);
    return;
  }
  const run: KernelExports[MapKernel] = scratch.kernels[kernel];
  const at = SCRATCH_BASE >> 2;
  for (let start = 0; start < count; start += CHUNK) {
    const length = Math.min(CHUNK, count - start);
    scratch.f32.set(src.subarray(srcOffset + start, srcOffset + start + length), at);
    run(SCRATCH_BASE, SCRATCH_BASE, length);
    dst.set(scratch.f32.subarray(at, at + length), dstOffset + start);
    if (kernel === 'mapExp' && dst instanceof Float64Array)
      widenOverflows(src, srcOffset + start, length, dst, dstOffset + start);
  }
}

/**
 * e^x exceeds float32's range for x > 88.72 but float64's only past 709.78: where a float64
 * destination got +Infinity from the float32 kernel, the float64 value is taken instead
 * (DECISIONS 15: float64 intermediates). A caller that weights or averages e^x in float64 (e.g.
 * PoissonNLLLoss's exp(x) − t·x times a small sampleWeight) then keeps a finite result the
 * TypeScript kernels also give. A scan for +Infinity costs little next to the exponentials.
 */
function widenOverflows(
  src: FloatArray,
  srcOffset: number,
  count: number,
  dst: Float64Array,
  dstOffset: number,
) {
  for (let i = 0; i < count; i++) {
    if (dst[dstOffset + i] === Number.POSITIVE_INFINITY) dst[dstOffset + i] = Math.exp(src[srcOffset + i]!);
  }
}

/** `dst[dstOffset + i] = e^src[srcOffset + i]` for i < count. */
export function expInto(
  src: FloatArray,
  srcOffset: number,
  count: number,
  dst: FloatArray,
  dstOffset: number,
): void {
  map('expInto', 'mapExp', Math.exp, src, srcOffset, count, dst, dstOffset);
}

/** `dst[dstOffset + i] = log src[srcOffset + i]` (−Infinity at 0, NaN below). */
export function logInto(
  src: FloatArray,
  srcOffset: number,
  count: number,
  dst: FloatArray,
  dstOffset: number,
): void {
  map('logInto', 'mapLog', Math.log, src, srcOffset, count, dst, dstOffset);
}

/** `dst[dstOffset + i] = log(1 + src[srcOffset + i])`, accurate for tiny arguments. */
export function log1pInto(
  src: FloatArray,
  srcOffset: number,
  count: number,
  dst: FloatArray,
  dstOffset: number,
): void {
  map('log1pInto', 'mapLog1p', Math.log1p, src, srcOffset, count, dst, dstOffset);
}

/** `dst[dstOffset + i] = softplus(src[srcOffset + i]) = log(1 + e^x)`, never overflowing. */
export function softplusInto(
  src: FloatArray,
  srcOffset: number,
  count: number,
  dst: FloatArray,
  dstOffset: number,
): void {
  map('softplusInto', 'mapSoftplus', softplusScalar, src, srcOffset, count, dst, dstOffset);
}

/** `dst[dstOffset + i] = sigmoid(src[srcOffset + i]) = 1/(1 + e^−x)`. */
export function sigmoidInto(
  src: FloatArray,
  srcOffset: number,
  count: number,
  dst: FloatArray,
  dstOffset: number,
): void {
  map('sigmoidInto', 'mapSigmoid', sigmoidScalar, src, srcOffset, count, dst, dstOffset);
}
