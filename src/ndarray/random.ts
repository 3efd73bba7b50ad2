/**
 * A seeded generator that yields the same stream on every platform: xoshiro128** on 32-bit
 * integer arithmetic (Math.imul), seeded through a splitmix-style hash. Normal draws use
 * Marsaglia's polar method with a logarithm built from IEEE basic operations only, because
 * `Math.log` and `Math.cos` are only approximated by the spec and differ between JS engines.
 * @module
 */
import { allocate, type DType, type TypedArray } from './dtype.js';
import { ValueError } from './errors.js';
import { NDArray } from './ndarray.js';
import type { CreateOptions } from './create.js';
import { normalizeShape, sizeOf } from './shape.js';

/**
 * A seeded pseudo-random stream (xoshiro128**). Give one to `uniform`/`normal`/`randint` (option
 * `generator`) for draws that neither read nor advance the global stream.
 */
export class RandomGenerator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Restarts the stream from `seed` (any finite number; it is reduced to 32 bits). */
  seed(seed: number): void {
    if (!Number.isFinite(seed))
      throw new ValueError(`random.seed: seed must be a finite number, got ${seed}`);
    let state = Math.trunc(seed) >>> 0;
    const next = () => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /**
   * Standard normal draw: Marsaglia's polar method (the second value of each pair is discarded so
   * every draw consumes whole pairs and the stream stays simple).
   */
  nextNormal(): number {
    for (;;) {
      const u = 2 * this.nextDouble() - 1;
      const v = 2 * this.nextDouble() - 1;
      const s = u * u + v * v;
      if (s < 1 && s > 0) return u * Math.sqrt((-2 * portableLog(s)) / s);
    }
  }

  /** Uniform integer in [low, high). */
  nextInt(low: number, high: number): number {
    return low + Math.floor(this.nextDouble() * (high - low));
  }
}

const bits = new DataView(new ArrayBuffer(8));
// ln 2 split (fdlibm) so that e · LN2_HIGH is exact: the low 21 bits of LN2_HIGH are zero.
const LN2_HIGH = 0.6931471803691238;
const LN2_LOW = 1.9082149292705877e-10;

/**
 * Natural logarithm of a positive finite number using only IEEE basic operations, so the result is
 * bit-identical on every engine. x = m · 2^e with m in [√½, √2); with f = (m − 1)/(m + 1),
 * log m = 2 artanh f = 2 (f + f³/3 + f⁵/5 + …), and |f| < 0.172 makes 12 terms exact to the last bit.
 */
export function portableLog(x: number): number {
  let exponentAdjust = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // 2^54: lift subnormals into the normal range (exact)
    exponentAdjust = -54;
  }
  bits.setFloat64(0, x);
  const high = bits.getUint32(0);
  let exponent = ((high >>> 20) & 0x7ff) - 1023 + exponentAdjust;
  bits.setUint32(0, (high & 0x000fffff) | 0x3ff00000);
  let m = bits.getFloat64(0); // in [1, 2)
  if (m > Math.SQRT2) {
    m /= 2;
    exponent += 1;
  }
  const f = (m - 1) / (m + 1);
  const f2 = f * f;
  let series = 1 / 25;
  for (let k = 11; k >= 0; k--) series = 1 / (2 * k + 1) + f2 * series;
  return exponent * LN2_HIGH + (exponent * LN2_LOW + 2 * f * series);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator behind `nd.random.*` and the initializers. */
export const globalGenerator = new RandomGenerator(0);

/** Restarts the global stream: the same seed gives the same arrays on every platform. */
export function seed(value: number): void {
  globalGenerator.seed(value);
}

/** Options of the draw functions: the dtype (CreateOptions) and the stream to draw from (default the global one). */
export type RandomOptions = CreateOptions & { generator?: RandomGenerator };

/** Uniform draws in [low, high). Float32 values that round up to `high` are redrawn. */
export function uniform(
  low = 0,
  high = 1,
  shape: number | readonly number[] = [1],
  options: RandomOptions = {},
): NDArray {
  if (!(Number.isFinite(low) && Number.isFinite(high)) || high < low) {
    throw new ValueError(`random.uniform: need finite low <= high, got low ${low}, high ${high}`);
  }
  return randomArray('random.uniform', shape, options, 'float32', (data, generator) => {
    for (let i = 0; i < data.length; i++) {
      // Redraw values that round up to `high` in the storage precision; give up (keeping `low`)
      // only when [low, high) holds no value of that precision at all.
      for (let attempt = 0; ; attempt++) {
        data[i] = low + (high - low) * generator.nextDouble();
        if (data[i]! < high || high === low) break;
        if (attempt === 100) {
          data[i] = low;
          break;
        }
      }
    }
  });
}

/** Normal draws with mean `loc` and standard deviation `scale`. */
export function normal(
  loc = 0,
  scale = 1,
  shape: number | readonly number[] = [1],
  options: RandomOptions = {},
): NDArray {
  if (!Number.isFinite(loc) || !Number.isFinite(scale) || scale < 0) {
    throw new ValueError(`random.normal: need finite loc and scale >= 0, got loc ${loc}, scale ${scale}`);
  }
  return randomArray('random.normal', shape, options, 'float32', (data, generator) => {
    for (let i = 0; i < data.length; i++) data[i] = loc + scale * generator.nextNormal();
  });
}

/** Uniform integers in [low, high) (int32 by default). */
export function randint(
  low: number,
  high: number,
  shape: number | readonly number[] = [1],
  options: RandomOptions = {},
): NDArray {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ValueError(`random.randint: need integers low < high, got low ${low}, high ${high}`);
  }
  return randomArray('random.randint', shape, options, 'int32', (data, generator) => {
    for (let i = 0; i < data.length; i++) data[i] = generator.nextInt(low, high);
  });
}

/**
 * A new array of `shape` (dtype `options.dtype`, else `dtype`) that `fill` draws into from
 * `options.generator` (else the global stream): the part every draw function shares.
 */
function randomArray(
  where: string,
  shape: number | readonly number[],
  options: RandomOptions,
  dtype: DType,
  fill: (data: TypedArray, generator: RandomGenerator) => void,
): NDArray {
  const dims = normalizeShape(shape, where);
  const data = allocate(options.dtype ?? dtype, sizeOf(dims), where, dims);
  fill(data, options.generator ?? globalGenerator);
  return new NDArray(data, dims);
}
