// The float64 e^x and log x of src/kernels/math-float64.wat are fdlibm's, bit for bit V8's
// Math.exp and Math.log: checked through the float64 maps (expInto, logInto on float64 arrays)
// on the special values, the neighbours of every branch boundary and dense random sweeps, and
// the exponential sum expSumF64 against the same sum in TypeScript.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { expInto, logInto, setKernelBackend } from '../../src/kernels/index.js';
import { reserveScratch, SCRATCH_BASE, wasmScratch } from '../../src/kernels/runtime.js';
import { uniforms } from './_ulp.js';

const bits = new BigUint64Array(1);
const double = new Float64Array(bits.buffer);

/** The next double up (toward +Infinity). */
function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY) return x;
  if (x === 0) return Number.MIN_VALUE;
  double[0] = x;
  bits[0] = x > 0 ? bits[0]! + 1n : bits[0]! - 1n;
  return double[0]!;
}

/** Values at and around the edges of fdlibm's branches, with 4 neighbours on each side. */
function boundaryValues(): Float64Array {
  const edges = [
    0,
    1,
    2,
    0.5,
    Math.E,
    Number.MIN_VALUE,
    Number.MAX_VALUE,
    2 ** -1022,
    2 ** -1074,
    2 ** -28,
    // exp: |x| = 0.5·ln2 and 1.5·ln2, the overflow and underflow thresholds, k = −1021 and 1024
    0.34657359027997264,
    1.0397207708399179,
    709.782712893384,
    709.4367,
    -745.1332191019411,
    -708.3964185322641,
    -707,
    709,
    // log: |f| < 2^−20 around 1, the wide/near split of the mantissa, √2
    1 + 2 ** -20,
    1 - 2 ** -21,
    Math.SQRT2,
    Math.SQRT1_2,
    1.38,
    1.42,
    1e-12,
    1 + 1e-12,
  ];
  const values: number[] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const edge of edges) {
    for (const signed of [edge, -edge]) {
      let up = signed;
      let down = signed;
      values.push(signed);
      for (let i = 0; i < 4; i++) {
        up = nextUp(up);
        down = -nextUp(-down);
        values.push(up, down);
      }
    }
  }
  return Float64Array.from(values);
}

/** `count` doubles of each kind: uniform, wide exponents, near 1, subnormal, random bit patterns. */
function randomValues(seed: number, count: number): Float64Array {
  const next = uniforms(seed);
  const out = new Float64Array(8 * count);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) {
    out[8 * i] = next() * 4;
    out[8 * i + 1] = (next() - 0.5) * 1500;
    out[8 * i + 2] = (next() - 0.5) * 2;
    out[8 * i + 3] = Math.exp((next() - 0.5) * 1420);
    out[8 * i + 4] = 1 + (next() - 0.5) * 1e-5;
    out[8 * i + 5] = next() * 1e-310;
    out[8 * i + 6] = (next() - 0.5) * 1e-8;
  }
  for (let i = 0; i < count; i++) {
    words[2 * (8 * i + 7)] = Math.floor(next() * 2 ** 32);
    words[2 * (8 * i + 7) + 1] = Math.floor(next() * 2 ** 32);
  }
  return out;
}

/** The first index where map(values) differs from reference in any bit (NaN matches NaN). */
function firstDifference(
  map: (source: Float64Array, destination: Float64Array) => void,
  reference: (x: number) => number,
  values: Float64Array,
): string | null {
  const out = new Float64Array(values.length);
  map(values, out);
  for (let i = 0; i < values.length; i++) {
    const expected = reference(values[i]!);
    if (!Object.is(out[i], expected)) return `x = ${values[i]}: got ${out[i]}, Math gives ${expected}`;
  }
  return null;
}

describe('math-float64.wat: fdlibm exp and log, bit for bit Math', () => {
  beforeEach(() => setKernelBackend('wasm'));
  afterEach(() => setKernelBackend('auto'));

  it('exp and log of the special and boundary values', () => {
    const values = boundaryValues();
    assert.equal(firstDifference(expInto, Math.exp, values), null);
    assert.equal(firstDifference(logInto, Math.log, values), null);
  });

  it('exp and log of 800,000 random doubles (odd lengths: the last pair is half used)', () => {
    const values = randomValues(7, 100_001);
    assert.equal(firstDifference(expInto, Math.exp, values), null);
    assert.equal(firstDifference(logInto, Math.log, values), null);
  });

  it('a float32 destination gets the float64 result rounded once', () => {
    const values = randomValues(8, 1001);
    const out = new Float32Array(values.length);
    expInto(values, out);
    for (let i = 0; i < values.length; i++) assert.ok(Object.is(out[i], Math.fround(Math.exp(values[i]!))));
  });

  it('in place', () => {
    const values = randomValues(9, 501);
    const expected = values.map(Math.log);
    logInto(values, values);
    // Object.is per element: NaN payloads, which no JavaScript value shows, may differ.
    for (let i = 0; i < values.length; i++)
      assert.ok(Object.is(values[i], expected[i]), `x = ${expected[i]}`);
  });
});

describe('expSumF64: the sum of exponentials in index order', () => {
  /** total + Σ_{i ≠ skip} e^(x_i − shift), in TypeScript. */
  function expected(x: ArrayLike<number>, shift: number, skip: number, total: number): number {
    let sum = total;
    for (let i = 0; i < x.length; i++) if (i !== skip) sum += Math.exp(x[i]! - shift);
    return sum;
  }

  for (const type of [Float32Array, Float64Array]) {
    it(`${type.name} sources: every skip position, odd and even lengths, a running total`, () => {
      const next = uniforms(3);
      const scratch = reserveScratch(wasmScratch(), 4096)!;
      for (const length of [1, 2, 3, 8, 33, 100]) {
        const x = new type(length).map(() => (next() - 0.7) * 40);
        (type === Float32Array ? scratch.f32 : scratch.f64).set(x, SCRATCH_BASE / type.BYTES_PER_ELEMENT);
        for (const skip of [-1, 0, 1, length - 1, Math.floor(length / 2), length + 3]) {
          const got = scratch.kernels.expSumF64(
            SCRATCH_BASE,
            type === Float32Array ? 1 : 0,
            length,
            1.25,
            skip,
            0.5,
          );
          assert.ok(
            Object.is(got, expected(x, 1.25, skip, 0.5)),
            `${type.name} length ${length} skip ${skip}`,
          );
        }
      }
    });
  }

  it('NaN, ±Infinity and underflowing entries', () => {
    const scratch = reserveScratch(wasmScratch(), 4096)!;
    for (const x of [
      [0, Number.NaN, 1],
      [0, Number.POSITIVE_INFINITY, 1],
      [Number.NEGATIVE_INFINITY, -1e300, -800, -746, -745.1, -708.5],
    ]) {
      scratch.f64.set(x, SCRATCH_BASE / 8);
      const got = scratch.kernels.expSumF64(SCRATCH_BASE, 0, x.length, 0, -1, 0);
      assert.ok(Object.is(got, expected(x, 0, -1, 0)), `${x}`);
    }
  });
});
