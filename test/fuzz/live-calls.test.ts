/**
 * Seeded fuzz test of memory shared across live calls: every registered loss, on the loss fuzz
 * test's own cases (test/fuzz/generators/, the same seeds: every option, dtype, shape and
 * perturbation), on both kernel backends. One loss object makes two recorded calls on different
 * inputs, then an unrecorded call, then runs the second call's backward and only then the first's.
 * Each call must give exactly what it gives alone on a loss object of its own: the same ℓ and
 * the same gradients, bit for bit.
 *
 * The loss fuzz test's two calls in one graph read the same inputs, so a call that wrote into
 * memory another live call still needed would write the same numbers there and pass. Here the
 * second call's prediction is the first's times 0.5 (other values, the same domain), so any
 * buffer one call takes from another (a normaliser array, a gradient region, block scratch, a
 * CTC lattice) shows up as a wrong number. As in the loss fuzz test, an even seed differentiates
 * the prediction only (the one-pass path), an odd one every continuous input (the block path).
 *
 * Reproduce one case: GLOSS_FUZZ_CASE=<LossName>:<seed> node scripts/run-tests.mjs test/fuzz
 * Other streams:      GLOSS_FUZZ_SEED=<n> (base seed), GLOSS_FUZZ_CASES=<n> (cases per loss).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import type { Loss } from '../../src/loss/_base/index.js';
import { ALL_LOSSES } from '../../src/loss/index.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { availableBackends, CASES_PER_LOSS, caseSeed, describeCase, ONLY, variablesOf } from './_compare.js';
import { alone, attach, difference, gradsOf, inputsOf, type LossClass, type Result } from './_calls.js';
import { enlarged, type FuzzCase, makeCase } from './generators/index.js';

/**
 * The two calls on one loss object, both live at once: forward A, forward B, an unrecorded call
 * on A's inputs, B's backward, A's backward.
 */
function interleaved(make: LossClass, c: FuzzCase): [Result, Result] {
  let loss: Loss;
  try {
    loss = new make(c.options);
  } catch (error) {
    return [error as Error, error as Error];
  }
  const first = inputsOf(c.inputs, 1);
  const second = inputsOf(c.inputs, 0.5);
  const firstVariables = attach(first, variablesOf(c));
  const secondVariables = attach(second, variablesOf(c));
  let firstOut: NDArray;
  let secondOut: NDArray;
  try {
    firstOut = record(() => loss.forward(...first));
  } catch (error) {
    return [error as Error, error as Error];
  }
  try {
    secondOut = record(() => loss.forward(...second));
  } catch (error) {
    return [new Error('the first call ran; only the second threw'), error as Error];
  }
  try {
    loss.forward(...inputsOf(c.inputs, 1));
  } catch (error) {
    const message = `an unrecorded call on the first call's inputs threw ${(error as Error).message}`;
    return [new Error(message), new Error(message)];
  }
  if (secondVariables.length > 0) secondOut.backward();
  const secondResult = { loss: Float64Array.from(secondOut.data), grads: gradsOf(secondVariables) };
  if (firstVariables.length > 0) firstOut.backward();
  const firstResult = { loss: Float64Array.from(firstOut.data), grads: gradsOf(firstVariables) };
  return [firstResult, secondResult];
}

const LIVE = { actual: 'beside another live call', expected: 'alone' } as const;

describe('live-calls fuzz: a call beside another live call on one loss object gives what it gives alone', () => {
  const backends = availableBackends();
  const names = Object.keys(ALL_LOSSES);
  for (const name of names) {
    if (ONLY && ONLY[0] !== name) continue;
    const lossIndex = names.indexOf(name);
    const make = ALL_LOSSES[name as keyof typeof ALL_LOSSES] as unknown as LossClass;
    test(`${name}: ${ONLY ? 1 : CASES_PER_LOSS} seeded cases on ${backends.join(' and ')}`, (t) => {
      const seeds = ONLY
        ? [Number(ONLY[1])]
        : Array.from({ length: CASES_PER_LOSS }, (_, i) => caseSeed(lossIndex, i));
      const failures: string[] = [];
      let compared = 0;
      let enlargedCount = 0;
      try {
        for (const seed of seeds) {
          const c = makeCase(name, seed);
          // Bad input is the loss fuzz test's; a prediction that is not a float array cannot be halved.
          if (c.expected || !c.inputs[0] || c.inputs[0].raw !== undefined || c.inputs[0].scalar) continue;
          if (c.inputs[0].dtype === 'int32') continue;
          // Half the cases also run enlarged (see enlarged()), on both paths (seeds 4k and 4k + 1).
          const large = Math.floor(seed / 2) % 2 === 0 ? enlarged(c) : null;
          compared++;
          if (large) enlargedCount++;
          for (const backend of backends) {
            setKernelBackend(backend);
            for (const [size, run] of [
              ['', c],
              [' (enlarged)', large],
            ] as const) {
              if (!run) continue;
              const expectedFirst = alone(make, run, 1);
              const expectedSecond = alone(make, run, 0.5);
              const [first, second] = interleaved(make, run);
              for (const failure of [
                difference(`[${backend}] the first call${size}`, first, expectedFirst, LIVE),
                difference(`[${backend}] the second call${size}`, second, expectedSecond, LIVE),
              ])
                if (failure) failures.push(`${failure}\n    ${describeCase(c)}`);
            }
          }
        }
      } finally {
        setKernelBackend('auto');
      }
      t.diagnostic(`${name}: ${compared} cases compared, ${enlargedCount} of them also enlarged`);
      assert.ok(ONLY || compared > 0, `${name}: no case compared`);
      assert.deepEqual(failures, [], failures.join('\n'));
    });
  }
});
