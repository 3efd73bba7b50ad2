/**
 * Exact arithmetic on doubles, for the rare values a float64 loop cannot be trusted with (a sum
 * whose terms cancel below their own rounding errors, see TripletLoss's gap in triplet.ts).
 *
 * Every finite double is an integer multiple of 2^−1074 (the smallest subnormal), so x · 2^1074
 * is an integer, held exactly by a BigInt. Sums and products of such integers are exact (a
 * product of two scaled values is scaled by 2^2148), and {@link roundScaled} rounds the final
 * integer to the nearest double once. Slow (a BigInt of up to ~2,200 bits per operation), so
 * only for the values a cheap error bound could not vouch for.
 * @module
 */

/** The exponent of the scale: a scaled value is x · 2^SCALE. */
export const SCALE = 1074;

/** x · 2^1074 as an exact integer; x must be finite. */
export function scaledInteger(x: number): bigint {
  const bits = new DataView(new ArrayBuffer(8));
  bits.setFloat64(0, x);
  const high = bits.getUint32(0);
  const exponent = (high >>> 20) & 0x7ff;
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(bits.getUint32(4));
  // Subnormal: fraction · 2^−1074; normal: (2^52 + fraction) · 2^(exponent − 1075).
  const magnitude = exponent === 0 ? fraction : ((1n << 52n) | fraction) << BigInt(exponent - 1);
  return high >>> 31 === 1 ? -magnitude : magnitude;
}

/**
 * The double nearest to value · 2^−scale (ties to even; ±Infinity past the largest double). The
 * 64 leading bits of |value| keep a sticky bit for everything below them, so Number() rounds the
 * whole value once; scaling by a power of two is exact unless the result is subnormal (then a
 * second rounding may move it by one unit of the subnormal range, the same way on every path).
 */
export function roundScaled(value: bigint, scale: number): number {
  if (value === 0n) return 0;
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const drop = Math.max(0, magnitude.toString(2).length - 64);
  let leading = magnitude >> BigInt(drop);
  if (leading << BigInt(drop) !== magnitude) leading |= 1n;
  const result = timesPowerOfTwo(Number(leading), drop - scale);
  return negative ? -result : result;
}

/** v · 2^k for v in [1, 2^64], in steps of at most 2^±1000, each exact while the result is a normal double. */
function timesPowerOfTwo(v: number, k: number): number {
  let result = v;
  let rest = k;
  while (rest > 1000) {
    result *= powerOfTwo(1000);
    rest -= 1000;
  }
  while (rest < -1000) {
    result *= powerOfTwo(-1000);
    rest += 1000;
  }
  return result * powerOfTwo(rest);
}

/** 2^k for an integer k in [−1022, 1023], from its bits. */
function powerOfTwo(k: number): number {
  const bits = new DataView(new ArrayBuffer(8));
  bits.setUint32(0, (k + 1023) << 20);
  return bits.getFloat64(0);
}
