/**
 * Vectorised transcendental maps, `destination[i] = f(source[i])` over two views of equal length:
 * exp, log, log1p, softplus and sigmoid. Float32 sources run through the wasm SIMD kernels
 * (within 2 ulp of the correctly rounded float32 result; exp into a float64 destination keeps
 * float64's range, see widenOverflows); float64 sources use Math in float64, or for exp and log
 * on the wasm backend math-float64.wat's fdlibm functions, the same bits about twice as fast;
 * under the `'js'` backend every source uses Math. `destination` may be either float type (and
 * may be `source` itself).
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import type { FloatArray } from './_spans.js';
import type { KernelExports } from './kernel-exports.js';
import { regionBytes, reserveScratch, SCRATCH_BASE, wasmScratch } from './runtime.js';

/** Elements per wasm call: 16 KiB in, the same out, in place. */
const CHUNK = 4096;

type MapKernel = 'mapExp' | 'mapLog' | 'mapLog1p' | 'mapSoftplus' | 'mapSigmoid';

/** The float64 kernels of the maps that have one: Math's bits (float64-rows.wat). */
const FLOAT64_KERNELS: Partial<Record<MapKernel, 'mapExpF64' | 'mapLogF64'>> = {
  mapExp: 'mapExpF64',
  mapLog: 'mapLogF64',
};

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
  source: FloatArray,
  destination: FloatArray,
): void {
  const count = source.length;
  if (destination.length !== count)
    throw new ValueError(`${where}: destination has ${destination.length} elements, source ${count}`);
  const float64Kernel = source instanceof Float64Array ? FLOAT64_KERNELS[kernel] : undefined;
  if (float64Kernel && mapFloat64(float64Kernel, source as Float64Array, destination)) return;
  const scratch = reserveScratch(
    source instanceof Float32Array ? wasmScratch() : null,
    regionBytes(Math.min(count, CHUNK) * 4),
  );
  if (!scratch) {
    for (let i = 0; i < count; i++) destination[i] = scalar(source[i]!);
    return;
  }
  const run: KernelExports[MapKernel] = scratch.kernels[kernel];
  const at = SCRATCH_BASE >> 2;
  for (let start = 0; start < count; start += CHUNK) {
    const length = Math.min(CHUNK, count - start);
    scratch.f32.set(source.subarray(start, start + length), at);
    run(SCRATCH_BASE, SCRATCH_BASE, length);
    destination.set(scratch.f32.subarray(at, at + length), start);
    if (kernel === 'mapExp' && destination instanceof Float64Array)
      widenOverflows(source.subarray(start, start + length), destination.subarray(start, start + length));
  }
}

/** A float64 map on its wasm kernel, CHUNK elements a call; false (nothing done) without wasm. */
function mapFloat64(
  kernel: 'mapExpF64' | 'mapLogF64',
  source: Float64Array,
  destination: FloatArray,
): boolean {
  const scratch = reserveScratch(wasmScratch(), regionBytes(Math.min(source.length, CHUNK) * 8 + 16));
  if (!scratch) return false;
  const at = SCRATCH_BASE >> 3;
  for (let start = 0; start < source.length; start += CHUNK) {
    const length = Math.min(CHUNK, source.length - start);
    scratch.f64.set(source.subarray(start, start + length), at);
    scratch.kernels[kernel](SCRATCH_BASE, SCRATCH_BASE, length);
    destination.set(scratch.f64.subarray(at, at + length), start);
  }
  return true;
}

/**
 * e^x exceeds float32's range for x > 88.72 but float64's only past 709.78: where a float64
 * destination got +Infinity from the float32 kernel, the float64 value is taken instead
 * (DECISIONS 15: float64 intermediates). A caller that weights or averages e^x in float64 (e.g.
 * PoissonNLLLoss's exp(x) − t·x times a small sampleWeight) then keeps a finite result the
 * TypeScript kernels also give. A scan for +Infinity costs little next to the exponentials.
 */
function widenOverflows(source: FloatArray, destination: Float64Array) {
  for (let i = 0; i < source.length; i++) {
    if (destination[i] === Number.POSITIVE_INFINITY) destination[i] = Math.exp(source[i]!);
  }
}

/** `destination[i] = e^source[i]` for i < count. */
export function expInto(source: FloatArray, destination: FloatArray): void {
  map('expInto', 'mapExp', Math.exp, source, destination);
}

/** `destination[i] = log source[i]` (−Infinity at 0, NaN below). */
export function logInto(source: FloatArray, destination: FloatArray): void {
  map('logInto', 'mapLog', Math.log, source, destination);
}

/** `destination[i] = log(1 + source[i])`, accurate for tiny arguments. */
export function log1pInto(source: FloatArray, destination: FloatArray): void {
  map('log1pInto', 'mapLog1p', Math.log1p, source, destination);
}

/** `destination[i] = softplus(source[i]) = log(1 + e^x)`, never overflowing. */
export function softplusInto(source: FloatArray, destination: FloatArray): void {
  map('softplusInto', 'mapSoftplus', softplusScalar, source, destination);
}

/** `destination[i] = sigmoid(source[i]) = 1/(1 + e^−x)`. */
export function sigmoidInto(source: FloatArray, destination: FloatArray): void {
  map('sigmoidInto', 'mapSigmoid', sigmoidScalar, source, destination);
}
