/**
 * A seeded generator that yields the same stream on every platform: xoshiro128** on 32-bit
 * integer arithmetic (Math.imul), seeded through splitmix32. Normal draws use Box–Muller.
 * @module
 */
import { allocate } from './dtype.js';
import { ValueError } from './errors.js';
import { NDArray } from './ndarray.js';
import type { CreateOptions } from './create.js';
import { normalizeShape, sizeOf } from './shape.js';

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
    if (!Number.isFinite(seed)) throw new ValueError(`random.seed: seed must be a finite number, got ${seed}`);
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

  /** Standard normal draw (Box–Muller; the sine half is discarded so the stream stays simple). */
  nextNormal(): number {
    let u = 0;
    while (u === 0) u = this.nextDouble();
    const v = this.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [low, high). */
  nextInt(low: number, high: number): number {
    return low + Math.floor(this.nextDouble() * (high - low));
  }
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

/** Uniform draws in [low, high). Float32 values that round up to `high` are redrawn. */
export function uniform(
  low = 0,
  high = 1,
  shape: number | readonly number[] = [1],
  options: CreateOptions & { generator?: RandomGenerator } = {},
): NDArray {
  if (!(Number.isFinite(low) && Number.isFinite(high)) || high < low) {
    throw new ValueError(`random.uniform: need finite low <= high, got low ${low}, high ${high}`);
  }
  const dims = normalizeShape(shape, 'random.uniform');
  const generator = options.generator ?? globalGenerator;
  const data = allocate(options.dtype ?? 'float32', sizeOf(dims));
  for (let i = 0; i < data.length; i++) {
    let v: number;
    do {
      data[i] = low + (high - low) * generator.nextDouble();
      v = data[i]!;
    } while (v >= high && high > low);
  }
  return new NDArray(data, dims);
}

/** Normal draws with mean `loc` and standard deviation `scale`. */
export function normal(
  loc = 0,
  scale = 1,
  shape: number | readonly number[] = [1],
  options: CreateOptions & { generator?: RandomGenerator } = {},
): NDArray {
  if (!Number.isFinite(loc) || !Number.isFinite(scale) || scale < 0) {
    throw new ValueError(`random.normal: need finite loc and scale >= 0, got loc ${loc}, scale ${scale}`);
  }
  const dims = normalizeShape(shape, 'random.normal');
  const generator = options.generator ?? globalGenerator;
  const data = allocate(options.dtype ?? 'float32', sizeOf(dims));
  for (let i = 0; i < data.length; i++) data[i] = loc + scale * generator.nextNormal();
  return new NDArray(data, dims);
}

/** Uniform integers in [low, high) (int32 by default). */
export function randint(
  low: number,
  high: number,
  shape: number | readonly number[] = [1],
  options: CreateOptions & { generator?: RandomGenerator } = {},
): NDArray {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ValueError(`random.randint: need integers low < high, got low ${low}, high ${high}`);
  }
  const dims = normalizeShape(shape, 'random.randint');
  const generator = options.generator ?? globalGenerator;
  const data = allocate(options.dtype ?? 'int32', sizeOf(dims));
  for (let i = 0; i < data.length; i++) data[i] = generator.nextInt(low, high);
  return new NDArray(data, dims);
}
