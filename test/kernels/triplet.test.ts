// The one-pass TripletLoss kernel against a float64 reference: active and inactive rows, rows
// with a tail shorter than a vector, rows longer than a chunk, NaN and infinite inputs.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setKernelBackend, tripletLossGradient } from '../../src/kernels/index.js';
import { exactGap, tripletGap, tripletLossGradientFloat64 } from '../../src/kernels/triplet.js';

/** Odd samples have the negative right next to the anchor (active), even ones far (inactive). */
function rows(samples: number, sampleSize: number, seed: number) {
  const total = samples * sampleSize;
  const anchor = new Float32Array(total);
  const positive = new Float32Array(total);
  const negative = new Float32Array(total);
  for (let k = 0; k < total; k++) {
    anchor[k] = Math.sin(seed + 0.7 * k);
    positive[k] = anchor[k]! + 0.3 * Math.cos(seed + 1.3 * k);
    const near = Math.floor(k / sampleSize) % 2 === 1;
    negative[k] = near ? anchor[k]! + 0.1 * Math.cos(seed + k) : 3 * Math.cos(seed * 3 + 0.4 * k);
  }
  return { anchor, positive, negative };
}

function reference(
  a: Float32Array,
  p: Float32Array,
  q: Float32Array,
  margin: number,
  sampleSize: number,
  scales: Float64Array,
) {
  const sums = new Float64Array(scales.length);
  const gradient = new Float64Array(a.length);
  for (let s = 0; s < scales.length; s++) {
    let distance = 0;
    for (let k = s * sampleSize; k < (s + 1) * sampleSize; k++) {
      // The kernel computes in float64 from the float32 inputs, as this reference does.
      const toPositive = p[k]! - a[k]!;
      const toNegative = q[k]! - a[k]!;
      distance += toPositive * toPositive - toNegative * toNegative;
    }
    const gap = distance + margin;
    const loss = gap > 0 || Number.isNaN(gap) ? gap : 0;
    sums[s] = loss;
    for (let k = s * sampleSize; k < (s + 1) * sampleSize; k++)
      gradient[k] = loss === 0 ? 0 : 2 * scales[s]! * (Number.isNaN(loss) ? loss : 1) * (q[k]! - p[k]!);
  }
  return { sums, gradient };
}

describe('triplet loss kernel', () => {
  beforeEach(() => setKernelBackend('wasm'));
  afterEach(() => setKernelBackend('auto'));

  it('matches the float64 reference for row lengths around a vector and past a chunk', () => {
    for (const [samples, sampleSize, margin] of [
      [6, 1, 0.5],
      [5, 7, 1],
      [64, 256, 1],
      [9, 33, -0.2],
      [2, 16384, 30],
    ] as const) {
      const { anchor, positive, negative } = rows(samples, sampleSize, samples);
      const scales = Float64Array.from({ length: samples }, (_, s) => 0.5 + s);
      const sums = new Float64Array(samples);
      const gradient = new Float32Array(anchor.length);
      assert.equal(
        tripletLossGradient({ anchor, positive, negative, margin }, { sampleSize, scales, sums, gradient }),
        true,
      );
      const want = reference(anchor, positive, negative, margin, sampleSize, scales);
      const active = Array.from(want.sums).filter((v) => v > 0).length;
      assert.ok(margin > 10 || (active > 0 && active < samples), `both kinds of rows (${active} active)`);
      for (let s = 0; s < samples; s++)
        assert.ok(
          Math.abs(sums[s]! - want.sums[s]!) <= 1e-6 * (1 + Math.abs(want.sums[s]!)) * sampleSize ** 0.5,
          `[${samples}, ${sampleSize}] sum[${s}] ${sums[s]} vs ${want.sums[s]}`,
        );
      for (let k = 0; k < anchor.length; k++)
        assert.ok(
          Math.abs(gradient[k]! - want.gradient[k]!) <= 3e-7 * Math.abs(want.gradient[k]!),
          `[${samples}, ${sampleSize}] gradient[${k}] ${gradient[k]} vs ${want.gradient[k]}`,
        );
    }
  });

  it('a NaN row is NaN; an infinitely far negative makes an exact 0 loss and gradient', () => {
    const anchor = Float32Array.from([Number.NaN, 0, 0, 1, 0, 0]);
    const positive = Float32Array.from([0, 0, 0, 1, 1, 1]);
    const negative = Float32Array.from([0, 0, 0, Number.POSITIVE_INFINITY, 0, 0]);
    const sums = new Float64Array(2);
    const gradient = new Float32Array(6).fill(9);
    tripletLossGradient(
      { anchor, positive, negative, margin: 1 },
      { sampleSize: 3, scales: Float64Array.from([1, 1]), sums, gradient },
    );
    assert.ok(Number.isNaN(sums[0]!));
    assert.ok(Array.from(gradient.subarray(0, 3)).every(Number.isNaN));
    assert.equal(sums[1], 0);
    assert.deepEqual(Array.from(gradient.subarray(3)), [0, 0, 0]);
  });

  it('rows whose terms cancel below their rounding: the wasm kernel and the float64 loop agree bit for bit', () => {
    // Each sample is built to cancel: element pairs (x, y) and (y, x) of ±x² − y² at magnitudes
    // from 1 to 2^120, plus one small term that decides the sign (±2^−k against squares of 2^2k).
    const samples = 40;
    const sampleSize = 6;
    const anchor = new Float32Array(samples * sampleSize);
    const positive = new Float32Array(samples * sampleSize);
    const negative = new Float32Array(samples * sampleSize);
    for (let s = 0; s < samples; s++) {
      const big = 2 ** (3 * s);
      const at = s * sampleSize;
      positive.set([big, 4097, 1, 0, 2 ** -(s % 7), 0], at);
      negative.set([0, 0, 4097, big, 0, s % 3 === 0 ? 2 ** -(s % 7) : 0], at);
      anchor.set([0, 0, 0, 0, 0, 0], at);
    }
    const scales = Float64Array.from({ length: samples }, (_, s) => 0.25 + s);
    const run = (f: typeof tripletLossGradientFloat64, margin: number) => {
      const sums = new Float64Array(samples);
      const gradient = new Float32Array(samples * sampleSize);
      f({ anchor, positive, negative, margin }, { sampleSize, scales, sums, gradient });
      return { sums, gradient };
    };
    const wasm = (...args: Parameters<typeof tripletLossGradientFloat64>) => {
      assert.equal(tripletLossGradient(...args), true);
    };
    for (const margin of [0, -0.25, 1e-30, -1e-30]) {
      const want = run(tripletLossGradientFloat64, margin);
      const got = run(wasm, margin);
      assert.deepEqual(Array.from(got.sums), Array.from(want.sums), `sums, margin ${margin}`);
      assert.deepEqual(Array.from(got.gradient), Array.from(want.gradient), `gradient, margin ${margin}`);
      // The exact gaps: 4097² − 4096 · 4098 = 1, plus or minus 2^−2k, plus the margin.
      for (let s = 0; s < samples; s++) {
        const small = 2 ** (-2 * (s % 7));
        const gap = 1 + (s % 3 === 0 ? 0 : small) + margin;
        assert.equal(want.sums[s], Math.max(gap, 0), `sample ${s}, margin ${margin}`);
      }
    }
  });

  it('tripletGap: the exact gap where float64 cancels or overflows, IEEE results for non-finite inputs', () => {
    const one = { first: 0, runs: 1, stride: 0, length: 2 };
    const gap = (a: number[], p: number[], q: number[], margin = 1) =>
      tripletGap(
        {
          anchor: Float64Array.from(a),
          positive: Float64Array.from(p),
          negative: Float64Array.from(q),
          margin,
        },
        one,
      );
    // (1e200)² − (1e200)²: ∞ − ∞ in float64, exactly 0.
    assert.equal(gap([0, 0], [1e200, 0], [0, 1e200]), 1);
    // 2^200 + (2^40 − 2^100)(2^40 + 2^100) = 2^80, 0 in float64.
    assert.equal(gap([0, 0], [2 ** 100, 2 ** 40], [0, 2 ** 100], -1), 2 ** 80);
    // An exact sum past float64's range is +Infinity, as the float64 loop gives.
    assert.equal(gap([0, 0], [1e200, 1e200], [0, 0]), Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(gap([0, 0], [Number.POSITIVE_INFINITY, 0], [0, Number.POSITIVE_INFINITY])));
    assert.equal(
      exactGap(
        {
          anchor: Float64Array.of(Number.NaN),
          positive: Float64Array.of(0),
          negative: Float64Array.of(0),
          margin: 1,
        },
        {
          first: 0,
          runs: 1,
          stride: 0,
          length: 1,
        },
      ),
      null,
    );
    // Runs of a sample spread over an outer axis: elements 0 and 2 of [0, 1, 2, 3] (stride 2).
    const spread = { first: 0, runs: 2, stride: 2, length: 1 };
    const inputs = {
      anchor: Float64Array.of(0, 5, 0, 5),
      positive: Float64Array.of(2 ** 100, 5, 2 ** 40, 5),
      negative: Float64Array.of(0, 5, 2 ** 100, 5),
      margin: -1,
    };
    assert.equal(tripletGap(inputs, spread), 2 ** 80);
  });

  it('declines rows longer than a chunk (the loss then runs TypeScript), float64 anchors and the js backend', () => {
    const long = new Float32Array(16385);
    assert.equal(
      tripletLossGradient(
        { anchor: long, positive: long, negative: long, margin: 1 },
        { sampleSize: 16385, scales: Float64Array.from([1]), sums: new Float64Array(1), gradient: long },
      ),
      false,
    );
    const f64 = new Float64Array(3);
    const samples = { sampleSize: 3, scales: Float64Array.from([1]), sums: new Float64Array(1) };
    const triplet = (x: Float32Array | Float64Array) => ({ anchor: x, positive: x, negative: x, margin: 1 });
    assert.equal(tripletLossGradient(triplet(f64), { ...samples, gradient: f64 }), false);
    // A float64 positive beside float32 anchors: staged into float32 memory it would be rounded
    // (1 + 2^−40 becomes 1), so the call is declined and nothing is written.
    const mixedSums = Float64Array.of(7);
    const mixed = {
      anchor: Float32Array.of(0, 0, 0),
      positive: Float64Array.of(1 + 2 ** -40, 0, 0),
      negative: Float32Array.of(1, 0, 0),
      margin: 0,
    };
    const mixedGradient = new Float32Array(3).fill(9);
    assert.equal(tripletLossGradient(mixed, { ...samples, sums: mixedSums, gradient: mixedGradient }), false);
    assert.deepEqual([...mixedSums, ...mixedGradient], [7, 9, 9, 9]);
    setKernelBackend('js');
    const f32 = new Float32Array(3);
    assert.equal(tripletLossGradient(triplet(f32), { ...samples, gradient: f32 }), false);
  });
});
