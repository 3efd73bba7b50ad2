// Accuracy of the vectorised float32 exp, log, log1p, softplus and sigmoid (src/kernels/math.wat)
// against Math in float64 rounded to float32, on dense sweeps of the float32 range.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  expInto,
  kernelBackend,
  log1pInto,
  logInto,
  setKernelBackend,
  sigmoidInto,
  sigmoidScalar,
  softplusInto,
  softplusScalar,
} from '../../src/kernels/index.js';
import { sweep, worstUlp } from './_ulp.js';

type Map = typeof expInto;

function ulpsOf(map: Map, reference: (x: number) => number, inputs: Float32Array) {
  const out = new Float32Array(inputs.length);
  map(inputs, out);
  return worstUlp(inputs, out, reference);
}

function assertWithin(
  name: string,
  map: Map,
  reference: (x: number) => number,
  inputs: Float32Array,
  limit: number,
) {
  const { ulps, at, mismatch } = ulpsOf(map, reference, inputs);
  assert.equal(mismatch, null, `${name}: ${mismatch}`);
  assert.ok(ulps <= limit, `${name}: ${ulps} ulp at x = ${at} (limit ${limit})`);
}

const SPECIALS = new Float32Array([
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  0,
  -0,
  1e-45, // smallest subnormal
  -1e-45,
  1.1754942e-38, // largest subnormal
  1.17549435e-38, // smallest normal
  3.4028235e38,
  -3.4028235e38,
  88.72283, // exp's last finite result
  88.72284, // exp overflows
  -87.33655, // exp's smallest normal result
  -103.27893, // exp's smallest subnormal result
  -103.97208, // exp rounds to 0
  -1,
  1,
  0.5,
  -0.5,
]);

describe('wasm float32 math (ulp accuracy)', () => {
  setKernelBackend('wasm');

  it('runs on the wasm backend', () => {
    assert.equal(kernelBackend(), 'wasm');
  });

  it('exp is within 1 ulp over [−110, 90], near 0, and at the special values', () => {
    assertWithin('exp', expInto, Math.exp, sweep(-110, 90, 2_000_000), 1);
    assertWithin('exp near 0', expInto, Math.exp, sweep(-1e-3, 1e-3, 200_000), 1);
    assertWithin('exp specials', expInto, Math.exp, SPECIALS, 1);
  });

  it('exp gives +Infinity past the overflow edge, 0 below −104, NaN for NaN', () => {
    const out = new Float32Array(4);
    expInto(new Float32Array([89, 1e30, -200, Number.NaN]), out);
    assert.deepEqual([...out], [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 0, Number.NaN]);
  });

  it('log is within 1 ulp over every positive float (subnormals included) and near 1', () => {
    assertWithin('log', logInto, Math.log, sweep(1e-45, 3.4028235e38, 2_000_000), 1);
    assertWithin('log near 1', logInto, Math.log, sweep(0.5, 2, 500_000), 1);
    assertWithin('log specials', logInto, Math.log, SPECIALS, 1);
  });

  it('log of 0 is −Infinity, of negatives and NaN is NaN, of +Infinity is +Infinity', () => {
    const out = new Float32Array(6);
    logInto(new Float32Array([0, -0, -1, -1e-45, Number.NaN, Number.POSITIVE_INFINITY]), out);
    assert.deepEqual(
      [...out],
      [
        Number.NEGATIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        Number.NaN,
        Number.NaN,
        Number.NaN,
        Number.POSITIVE_INFINITY,
      ],
    );
  });

  it('log1p is within 1 ulp over (−1, FLT_MAX], tiny arguments included', () => {
    assertWithin('log1p', log1pInto, Math.log1p, sweep(-1, 3.4028235e38, 1_000_000), 1);
    assertWithin('log1p small', log1pInto, Math.log1p, sweep(-0.5, 1, 500_000), 1);
    assertWithin('log1p tiny', log1pInto, Math.log1p, sweep(-1e-6, 1e-6, 200_000), 1);
    assertWithin('log1p specials', log1pInto, Math.log1p, SPECIALS, 1);
  });

  it('softplus and sigmoid are within 2 ulp over [−110, 110] and at the special values', () => {
    assertWithin('softplus', softplusInto, softplusScalar, sweep(-110, 110, 1_000_000), 2);
    assertWithin('softplus specials', softplusInto, softplusScalar, SPECIALS, 2);
    assertWithin('sigmoid', sigmoidInto, sigmoidScalar, sweep(-110, 110, 1_000_000), 2);
    assertWithin('sigmoid specials', sigmoidInto, sigmoidScalar, SPECIALS, 2);
  });

  it('softplus keeps the relative precision of e^x far left and equals x far right', () => {
    const out = new Float32Array(3);
    softplusInto(new Float32Array([-80, 40, 1e30]), out);
    assert.ok(Math.abs(out[0]! / Math.exp(-80) - 1) < 2e-7);
    assert.equal(out[1], 40);
    assert.equal(out[2], Math.fround(1e30));
  });
});

describe('kernel maps (wrappers)', () => {
  for (const backend of ['wasm', 'js'] as const) {
    it(`${backend}: offsets, float64 destinations, in-place use and counts across chunks`, () => {
      setKernelBackend(backend);
      const count = 10_007; // more than one 4096-element chunk, not a multiple of 4
      const src = new Float32Array(count + 5);
      for (let i = 0; i < src.length; i++) src[i] = Math.sin(i) * 20;
      const wide = new Float64Array(count + 3).fill(-7);
      expInto(src.subarray(5, 5 + count), wide.subarray(3, 3 + count));
      assert.equal(wide[2], -7, 'nothing before the destination view is written');
      for (let i = 0; i < count; i++) {
        assert.ok(Math.abs(wide[3 + i]! / Math.exp(src[5 + i]!) - 1) < 2e-7, `exp at ${i}`);
      }
      const inPlace = src.slice();
      sigmoidInto(inPlace, inPlace);
      for (let i = 0; i < src.length; i++) assert.ok(Math.abs(inPlace[i]! - sigmoidScalar(src[i]!)) < 2e-7);
      expInto(src.subarray(0, 0), wide.subarray(0, 0)); // an empty span is fine
    });
  }

  it('float64 sources use Math in float64 whatever the backend', () => {
    setKernelBackend('wasm');
    const src = new Float64Array([0.1, 1e-300, -745]);
    const out = new Float64Array(3);
    logInto(src, out);
    assert.equal(out[0], Math.log(0.1));
    assert.equal(out[1], Math.log(1e-300));
    assert.ok(Number.isNaN(out[2]));
  });

  it('rejects views of different lengths', () => {
    assert.throws(
      () => expInto(new Float32Array(4), new Float32Array(3)),
      /expInto: destination has 3 elements, source 4/,
    );
    setKernelBackend('auto');
  });
});
