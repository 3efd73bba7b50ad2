// The term sums of a dense target (src/kernels/dense-target.ts), KL's and the cross-entropy's:
// the wasm kernel (fdlibm's log in wasm for KL) gives the float64 reference's bits, with each
// term's zero-label rule, for labels that change at every entry and for one-hot labels, float32
// and float64 alike, with the label mass and the gradient on log p from the same pass.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  crossEntropyTerm,
  type DenseTargetTerms,
  denseTargetTermSum,
  denseTargetTermSumReference,
  klTerm,
} from '../../src/kernels/dense-target.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { uniforms } from './_ulp.js';

type Term = DenseTargetTerms['term'];
const TERMS: Term[] = ['kl', 'crossEntropy'];

/** The sum written out from the term functions, in index order. */
function definition(
  term: Term,
  z: ArrayLike<number>,
  x: ArrayLike<number>,
  shift: number,
  logSum: number,
): number {
  const of = term === 'kl' ? klTerm : crossEntropyTerm;
  let total = 0;
  for (let k = 0; k < z.length; k++) {
    const value = of(z[k]!, x[k]! - shift - logSum);
    // klTerm's NaN for a zero label beside a NaN log p replaces the sum, as the reference does
    total += value;
  }
  return total;
}

describe('dense-target term sums', () => {
  afterEach(() => setKernelBackend('auto'));

  for (const backend of ['wasm', 'js'] as const) {
    for (const term of TERMS) {
      for (const [zType, xType] of [
        [Float32Array, Float32Array],
        [Float64Array, Float64Array],
        [Float32Array, Float64Array],
      ] as const) {
        for (const length of [64, 65, 66, 67, 1000, 9001]) {
          it(`${backend}, ${term}, z ${zType.name}, x ${xType.name}, ${length} soft labels: the definition's bits`, () => {
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
              const terms = { term, z, x, begin: 0, end: length, shift, logSum };
              const got = denseTargetTermSum(terms);
              assert.ok(Object.is(got, definition(term, z, x, shift, logSum)), `${got}`);
              assert.ok(Object.is(got, denseTargetTermSumReference(terms)));
              // a run inside the arrays
              const inner = { ...terms, begin: 3, end: length - 2 };
              const innerSum = denseTargetTermSumReference(inner);
              assert.ok(Object.is(denseTargetTermSum(inner), innerSum));
              // with the label mass from the same pass: Σ z in index order
              const mass = new Float64Array(1);
              const referenceMass = new Float64Array(1);
              assert.ok(Object.is(denseTargetTermSum({ ...inner, labelMass: mass }), innerSum));
              denseTargetTermSumReference({ ...inner, labelMass: referenceMass });
              let expectedMass = 0;
              for (let k = 3; k < length - 2; k++) expectedMass += z[k]!;
              assert.ok(
                Object.is(mass[0], expectedMass) && Object.is(referenceMass[0], expectedMass),
                `${mass[0]}`,
              );
              // with each element's term from the same pass: the term functions' values
              const eachTerm = new Float64Array(length - 5);
              assert.ok(Object.is(denseTargetTermSum({ ...inner, terms: eachTerm }), innerSum));
              const termOf = term === 'kl' ? klTerm : crossEntropyTerm;
              for (let k = 3; k < length - 2; k++) {
                assert.ok(Object.is(eachTerm[k - 3], termOf(z[k]!, x[k]! - shift - logSum)), `term ${k}`);
              }
              // with the gradient on log p from the same pass: −s · z over the run, nothing outside
              for (const out of [new Float32Array(length).fill(7), new Float64Array(length).fill(7)]) {
                const expectedOut = out.slice();
                for (let k = 3; k < length - 2; k++) expectedOut[k] = -0.375 * z[k]!;
                const withGradient = { ...inner, gradient: { out, scale: 0.375 } };
                assert.ok(Object.is(denseTargetTermSum(withGradient), innerSum));
                assert.deepEqual(out, expectedOut);
                out.fill(7);
                denseTargetTermSumReference(withGradient);
                assert.deepEqual(out, expectedOut);
              }
            }
          });
        }
      }
    }
  }

  for (const term of TERMS) {
    it(`${term}: one-hot and smoothed labels`, () => {
      const z = new Float32Array(1000).fill(1e-4);
      z[17] = 0.9;
      const x = Float32Array.from({ length: 1000 }, (_, k) => -Math.log(1000) + Math.sin(k));
      const terms = { term, z, x, begin: 0, end: 1000, shift: 0, logSum: 0 };
      assert.ok(Object.is(denseTargetTermSum(terms), definition(term, z, x, 0, 0)));
    });

    it(`${term}: integer labels take the reference`, () => {
      const z = new Int32Array(100).map((_, k) => k % 2);
      const x = new Float32Array(100).fill(-1);
      const terms = { term, z, x, begin: 0, end: 100, shift: 0, logSum: 0 };
      assert.ok(Object.is(denseTargetTermSum(terms), definition(term, z, x, 0, 0)));
    });
  }

  // [label, log p, what the sum must be] at one entry of otherwise ordinary rows
  const rules: Record<Term, [number, number, (sum: number) => boolean][]> = {
    kl: [
      [0, Number.NEGATIVE_INFINITY, Number.isFinite],
      [0, Number.POSITIVE_INFINITY, Number.isFinite],
      [0, Number.NaN, Number.isNaN],
      [-1e-3, -6, Number.isNaN],
      [Number.NaN, -6, Number.isNaN],
    ],
    crossEntropy: [
      [0, Number.NEGATIVE_INFINITY, Number.isFinite],
      [0, Number.POSITIVE_INFINITY, (sum) => sum === Number.NEGATIVE_INFINITY || Number.isNaN(sum)],
      [0, Number.NaN, Number.isNaN],
      [1e-3, Number.NEGATIVE_INFINITY, (sum) => sum === Number.POSITIVE_INFINITY],
      [Number.NaN, -6, Number.isNaN],
    ],
  };
  for (const term of TERMS) {
    it(`${term}: the zero-label rule and non-finite entries, at the first, second, middle and last entry`, () => {
      const base = Float64Array.from({ length: 200 }, (_, k) => 1e-3 * (1 + (k % 7)));
      const logP = new Float64Array(200).fill(-6);
      for (const [label, p, check] of rules[term]) {
        for (const at of [0, 1, 101, 199]) {
          const z = base.slice();
          const x = logP.slice();
          z[at] = label;
          x[at] = p;
          const terms = { term, z, x, begin: 0, end: 200, shift: 0, logSum: 0 };
          const got = denseTargetTermSum(terms);
          assert.ok(check(got), `label ${label}, log p ${p} at ${at}: ${got}`);
          assert.ok(
            Object.is(got, denseTargetTermSumReference(terms)),
            `label ${label}, log p ${p} at ${at}`,
          );
        }
      }
    });
  }
});
