/**
 * The CTC backward on its own: the gradient from the rescaled linear-space and the log-space β
 * recursions equals dℓ·(y − γ) from a brute-force sum over every frame alignment, for sizes small
 * enough to enumerate, in both pred layouts, including samples that fall back to log space.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LINEAR, LOG_SPACE } from '../../src/loss/_ctc-lattice.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import {
  assertGradientMatchesEnumeration,
  assertLossMatchesEnumeration,
  randomBatch,
  recursions,
} from './_ctc-enumeration.js';

describe('CTC backward', () => {
  for (const layout of ['NTC', 'TNC'] as const) {
    test(`linear-space and log-space β recursions give the gradient of the sum over all alignments (${layout})`, () => {
      const generator = new RandomGenerator(layout === 'NTC' ? 11 : 12);
      let feasibleSamples = 0;
      for (let trial = 0; trial < 60; trial++) {
        const batch = randomBatch(generator, layout, 3);
        const { setup } = batch;
        const dLoss = new Float64Array(setup.batch);
        for (let b = 0; b < setup.batch; b++) dLoss[b] = 0.5 + generator.nextDouble();
        const linear = recursions(batch, true, dLoss);
        const logSpace = recursions(batch, false, dLoss);
        for (let b = 0; b < setup.batch; b++) {
          if (!setup.feasible[b]) continue;
          feasibleSamples++;
          const what = `trial ${trial} (${layout}), sample ${b}`;
          assert.equal(linear.afterBackward[b], LINEAR, `${what}: the linear backward held`);
          assert.equal(logSpace.afterBackward[b], LOG_SPACE, `${what}: the log-space backward ran`);
          assertGradientMatchesEnumeration(linear.gradient, batch, b, dLoss, `${what}, linear space`);
          assertGradientMatchesEnumeration(logSpace.gradient, batch, b, dLoss, `${what}, log space`);
        }
      }
      assert.ok(feasibleSamples > 50, `only ${feasibleSamples} feasible samples were compared`);
    });
  }

  test('logits of ±1e3: samples the rescaled recursion cannot carry fall back to log space', () => {
    const generator = new RandomGenerator(21);
    let fellBack = 0;
    let compared = 0;
    for (let trial = 0; trial < 40; trial++) {
      const batch = randomBatch(generator, trial % 2 ? 'NTC' : 'TNC', 1e3);
      const { setup } = batch;
      const dLoss = new Float64Array(setup.batch).fill(1);
      const linear = recursions(batch, true, dLoss);
      for (let b = 0; b < setup.batch; b++) {
        if (!setup.feasible[b]) continue;
        compared++;
        if (linear.afterBackward[b] === LOG_SPACE) fellBack++;
        const what = `trial ${trial}, sample ${b}`;
        assertLossMatchesEnumeration(linear.out, batch, b, what);
        assertGradientMatchesEnumeration(linear.gradient, batch, b, dLoss, what);
      }
    }
    assert.ok(compared > 20, `only ${compared} samples were compared`);
    assert.ok(fellBack > 0, 'no sample took the log-space fallback');
  });
});
