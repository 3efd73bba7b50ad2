// KLDivLoss's term sums (src/kernels/kl-div.ts): the wasm kernel (fdlibm's log in wasm) gives the
// float64 reference's bits, with its zero-label rule, for labels that change at every entry (the
// kernel's case) and for one-hot labels (the reference's), float32 and float64 alike.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setKernelBackend } from '../../src/kernels/index.js';
import { KL_EPSILON, klTermSum, klTermSumReference } from '../../src/kernels/kl-div.js';
import { uniforms } from './_ulp.js';

/** The term sum written out as the loss defines it: Σ z · (log(z + ε) − log p), zero labels aside. */
function definition(z: ArrayLike<number>, x: ArrayLike<number>, shift: number, logSum: number): number {
  let total = 0;
  for (let k = 0; k < z.length; k++) {
    const logP = x[k]! - shift - logSum;
    if (z[k] !== 0) total += z[k]! * (Math.log(z[k]! + KL_EPSILON) - logP);
    else if (Number.isNaN(logP)) total = Number.NaN;
  }
  return total;
}

describe('KLDivLoss term sums', () => {
  afterEach(() => setKernelBackend('auto'));

  for (const backend of ['wasm', 'js'] as const) {
    for (const [zType, xType] of [
      [Float32Array, Float32Array],
      [Float64Array, Float64Array],
      [Float32Array, Float64Array],
    ] as const) {
      for (const length of [64, 65, 1000, 9001]) {
        it(`${backend}, z ${zType.name}, x ${xType.name}, ${length} soft labels: the definition's bits`, () => {
          setKernelBackend(backend);
          const next = uniforms(length);
          const z = new zType(length).map(() => next() * 2e-3);
          const x = new xType(length).map(() => -7 - next());
          z[5] = 0;
          z[length - 1] = 0;
          for (const [shift, logSum] of [
            [0, 0],
            [2.5, 0.75],
          ] as const) {
            const terms = { z, x, begin: 0, end: length, shift, logSum };
            const got = klTermSum(terms);
            assert.ok(Object.is(got, definition(z, x, shift, logSum)), `${got}`);
            assert.ok(Object.is(got, klTermSumReference(terms)));
            // a run inside the arrays
            const inner = { ...terms, begin: 3, end: length - 2 };
            assert.ok(Object.is(klTermSum(inner), klTermSumReference(inner)));
            // with the label mass from the same pass: Σ z in index order
            const mass = new Float64Array(1);
            const referenceMass = new Float64Array(1);
            assert.ok(Object.is(klTermSum({ ...inner, labelMass: mass }), klTermSumReference(inner)));
            klTermSumReference({ ...inner, labelMass: referenceMass });
            let expectedMass = 0;
            for (let k = 3; k < length - 2; k++) expectedMass += z[k]!;
            assert.ok(
              Object.is(mass[0], expectedMass) && Object.is(referenceMass[0], expectedMass),
              `${mass[0]}`,
            );
            // with the gradient on log p from the same pass: −s · z over the run, nothing outside
            for (const out of [new Float32Array(length).fill(7), new Float64Array(length).fill(7)]) {
              const expectedOut = out.slice();
              for (let k = 3; k < length - 2; k++) expectedOut[k] = -0.375 * z[k]!;
              const withGradient = { ...inner, gradient: { out, scale: 0.375 } };
              assert.ok(Object.is(klTermSum(withGradient), klTermSumReference(inner)));
              assert.deepEqual(out, expectedOut);
              out.fill(7);
              klTermSumReference(withGradient);
              assert.deepEqual(out, expectedOut);
            }
          }
        });
      }
    }
  }

  it('one-hot and smoothed labels (the reference: a log per run)', () => {
    const z = new Float32Array(1000).fill(1e-4);
    z[17] = 0.9;
    const x = Float32Array.from({ length: 1000 }, (_, k) => -Math.log(1000) + Math.sin(k));
    const terms = { z, x, begin: 0, end: 1000, shift: 0, logSum: 0 };
    assert.ok(Object.is(klTermSum(terms), definition(z, x, 0, 0)));
  });

  it('a zero label beside log p = ±Infinity adds 0; beside NaN it makes the sum NaN; a negative or NaN label gives NaN', () => {
    const base = Float64Array.from({ length: 200 }, (_, k) => 1e-3 * (1 + (k % 7)));
    const logP = new Float64Array(200).fill(-6);
    const cases: [number, number, (sum: number) => boolean][] = [
      [0, Number.NEGATIVE_INFINITY, Number.isFinite],
      [0, Number.POSITIVE_INFINITY, Number.isFinite],
      [0, Number.NaN, Number.isNaN],
      [-1e-3, -6, Number.isNaN],
      [Number.NaN, -6, Number.isNaN],
    ];
    for (const [label, p, check] of cases) {
      for (const at of [0, 1, 101, 199]) {
        const z = base.slice();
        const x = logP.slice();
        z[at] = label;
        x[at] = p;
        const terms = { z, x, begin: 0, end: 200, shift: 0, logSum: 0 };
        const got = klTermSum(terms);
        assert.ok(check(got), `label ${label}, log p ${p} at ${at}: ${got}`);
        assert.ok(Object.is(got, klTermSumReference(terms)), `label ${label}, log p ${p} at ${at}`);
      }
    }
  });

  it('integer labels take the reference', () => {
    const z = new Int32Array(100).map((_, k) => k % 2);
    const x = new Float32Array(100).fill(-1);
    const terms = { z, x, begin: 0, end: 100, shift: 0, logSum: 0 };
    assert.ok(Object.is(klTermSum(terms), definition(z, x, 0, 0)));
  });
});
