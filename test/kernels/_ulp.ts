/**
 * Float32 helpers for the kernel tests: distances in ulps, dense sweeps over float32 bit
 * patterns, and comparisons that treat NaN and infinities exactly.
 */

const bits = new Int32Array(1);
const float = new Float32Array(bits.buffer);

/** The float32 `x` as an integer that orders like the float (−0 and +0 both map to 0). */
export function orderedBits(x: number): number {
  float[0] = x;
  const b = bits[0]!;
  return b >= 0 ? b : -0x80000000 - b;
}

function fromOrdered(o: number): number {
  bits[0] = o >= 0 ? o : -0x80000000 - o;
  return float[0]!;
}

/**
 * `count` float32 values evenly spaced in bit-pattern order from `low` to `high` (so every
 * binade, subnormals included, gets its share), ends included.
 */
export function sweep(low: number, high: number, count: number): Float32Array {
  const a = orderedBits(low);
  const b = orderedBits(high);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = fromOrdered(Math.round(a + ((b - a) * i) / (count - 1)));
  return out;
}

/** Largest distance in ulps between `got` and `reference(x)` rounded to float32, and where. */
export function worstUlp(
  inputs: Float32Array,
  got: Float32Array,
  reference: (x: number) => number,
): { ulps: number; at: number; mismatch: string | null } {
  let ulps = 0;
  let at = Number.NaN;
  for (let i = 0; i < inputs.length; i++) {
    const expected = Math.fround(reference(inputs[i]!));
    const value = got[i]!;
    if (
      Number.isNaN(expected) ||
      Number.isNaN(value) ||
      !Number.isFinite(expected) ||
      !Number.isFinite(value)
    ) {
      if (!Object.is(expected, value) && !(Number.isNaN(expected) && Number.isNaN(value))) {
        return {
          ulps: Number.POSITIVE_INFINITY,
          at: inputs[i]!,
          mismatch: `f(${inputs[i]}) = ${value}, expected ${expected}`,
        };
      }
      continue;
    }
    const distance = Math.abs(orderedBits(expected) - orderedBits(value));
    if (distance > ulps) {
      ulps = distance;
      at = inputs[i]!;
    }
  }
  return { ulps, at, mismatch: null };
}

/**
 * First index where `got` and `expected` differ by more than `rtol·|expected| + atol` (NaN must
 * meet NaN and an infinity the same infinity), or -1.
 */
export function firstMismatch(
  got: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
): number {
  if (got.length !== expected.length) return 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!(Object.is(g, e) || (Number.isNaN(g) && Number.isNaN(e)))) return i;
    } else if (!(Math.abs(g - e) <= rtol * Math.abs(e) + atol)) {
      return i;
    }
  }
  return -1;
}

/** A deterministic uniform stream in [0, 1) (a 32-bit LCG; enough for test data). */
export function uniforms(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}
