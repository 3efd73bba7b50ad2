/**
 * Seeded fuzz test of the kernel worker threads (gloss-ml/node `useKernelThreads`). A float32
 * call of at least PARALLEL_MINIMUM elements on the wasm kernels hands its later samples to the
 * other threads (kernels/threads.ts `startShares`), and must give exactly what one thread gives:
 * each sample is computed whole by one thread, by the same kernel.
 *
 * The other fuzz tests never split a call: their largest cases (enlarged, ~20,000 elements) are
 * far below the parallel minimum (262,144). Here the loss fuzz test's own cases (every option,
 * dtype and perturbation) are enlarged past it, with the poisoned sample (NaN, ±Infinity, a
 * weight of 0 or ∞) in the first repetition for half the cases, which the calling thread keeps,
 * and in the last for the other half, which another thread takes. Each case runs once with the
 * pool removed and once with it, and both calls must agree bit for bit, errors included.
 *
 * The losses are those whose kernels call startShares: SoftmaxCE (sparseSoftmaxCrossEntropy…
 * Rows) and the two on the logit cross-entropy segments (SigmoidBCE, Logistic). Each must split
 * in some of its cases, so the list cannot go stale silently in that direction.
 *
 * Reproduce one case: GLOSS_FUZZ_CASE=<LossName>:<seed> node scripts/run-tests.mjs test/fuzz/kernel-threads
 * Other streams:      GLOSS_FUZZ_SEED=<n> (base seed), GLOSS_FUZZ_CASES=<n> (a twentieth of it: the split calls per loss here).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setKernelBackend } from '../../src/kernels/index.js';
import {
  type KernelThreadPool,
  kernelThreadPool,
  PARALLEL_MINIMUM,
  setKernelThreadPool,
} from '../../src/kernels/threads.js';
import { ALL_LOSSES } from '../../src/loss/index.js';
import { kernelThreadsReady, useKernelThreads } from '../../src/node/kernel-threads.js';
import { countingShares } from '../node/_counting-shares.js';
import { alone, difference, type LossClass } from './_calls.js';
import { availableBackends, CASES_PER_LOSS, caseSeed, describeCase, ONLY } from './_compare.js';
import { enlarged, makeCase } from './generators/index.js';

/** The losses whose calls split across kernel threads. */
const SPLITTING = ['SoftmaxCrossEntropyLoss', 'SigmoidBinaryCrossEntropyLoss', 'LogisticLoss'] as const;

/** Split calls per loss: each is a call of about 300,000 elements, run twice. */
const CASES = Math.max(1, Math.ceil(CASES_PER_LOSS / 20));

/** A case's size: past the parallel minimum by an eighth, so that every share is a real one. */
const ELEMENTS = PARALLEL_MINIMUM + PARALLEL_MINIMUM / 8;

const SPLIT = { actual: 'split across kernel threads', expected: 'on one thread' } as const;

describe('kernel-threads fuzz: a call split across kernel threads gives the single-thread bits', () => {
  const wasm = availableBackends().includes('wasm');
  let pool: KernelThreadPool | null = null;
  let sharesOf: ReturnType<typeof countingShares> | null = null;

  before(async () => {
    if (!wasm) return;
    // Three threads: two shares besides this thread's, of unequal sizes for most batches.
    useKernelThreads(3);
    assert.equal(await kernelThreadsReady(), true, 'the kernel threads start');
    sharesOf = countingShares();
    pool = kernelThreadPool();
  });
  after(() => {
    useKernelThreads(1);
    setKernelBackend('auto');
  });

  const names = Object.keys(ALL_LOSSES);
  for (const name of SPLITTING) {
    if (ONLY && ONLY[0] !== name) continue;
    const lossIndex = names.indexOf(name);
    const make = ALL_LOSSES[name] as unknown as LossClass;
    test(`${name}: ${ONLY ? 1 : CASES} split calls, enlarged past ${PARALLEL_MINIMUM} elements`, (t) => {
      if (!wasm || !sharesOf) {
        t.skip('the wasm kernels do not load here; only they run on the kernel threads');
        return;
      }
      assert.ok(lossIndex >= 0, `${name} is registered`);
      setKernelBackend('wasm');
      // About one case in ten can be enlarged (not bad input, a batch of 2 or more), and a third
      // to a half of those split (float32 inputs on the loss's wasm kernels: not float64, not
      // fromSigmoid or posWeight, not label smoothing…), so the stream is read until CASES split.
      const seeds = ONLY
        ? [Number(ONLY[1])]
        : Array.from({ length: 100 * CASES }, (_, i) => caseSeed(lossIndex, i));
      const failures: string[] = [];
      let ran = 0;
      let split = 0;
      for (const seed of seeds) {
        if (split === CASES) break;
        const c = makeCase(name, seed);
        const large = enlarged(c, {
          elements: ELEMENTS,
          poisoned: Math.floor(seed / 2) % 2 === 0 ? 'last' : 'first',
        });
        if (!large) continue;
        ran++;
        const { result: threaded, shares } = sharesOf(() => alone(make, large, 1));
        // A call that did not split ran on this thread alone: there is nothing to compare.
        if (shares === 0) continue;
        split++;
        setKernelThreadPool(null);
        const single = alone(make, large, 1);
        setKernelThreadPool(pool);
        const failure = difference(`${shares} shares`, threaded, single, SPLIT);
        if (failure) failures.push(`${failure}\n    ${describeCase(c)}`);
      }
      t.diagnostic(`${name}: ${ran} cases run, ${split} of them split across threads and compared`);
      assert.deepEqual(failures, [], failures.join('\n'));
      assert.ok(ONLY || split > 0, `${name}: no case split across the kernel threads`);
    });
  }
});
