/**
 * The CTC forward on its own: the rescaled linear-space and the log-space α recursions give −log p
 * equal to a brute-force sum over every frame alignment, for sizes small enough to enumerate, in
 * both pred layouts; infeasible samples get +∞ and no gradient.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LINEAR, LOG_SPACE, ZERO_GRADIENT } from '../../src/loss/_ctc-lattice.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import { assertLossMatchesEnumeration, forwardOfBatch, randomBatch } from './_ctc-enumeration.js';

describe('CTC forward', () => {
  for (const layout of ['NTC', 'TNC'] as const) {
    test(`linear-space and log-space α recursions equal the sum over all alignments (${layout})`, () => {
      const generator = new RandomGenerator(layout === 'NTC' ? 11 : 12);
      let feasibleSamples = 0;
      for (let trial = 0; trial < 60; trial++) {
        const batch = randomBatch(generator, layout, 3);
        const { setup } = batch;
        const linear = forwardOfBatch(batch, true);
        const logSpace = forwardOfBatch(batch, false);
        for (let b = 0; b < setup.batch; b++) {
          const what = `trial ${trial} (${layout}), sample ${b}`;
          if (!setup.feasible[b]) {
            for (const run of [linear, logSpace]) {
              assert.equal(run.out[b], Number.POSITIVE_INFINITY, `${what}: loss`);
              assert.equal(run.afterForward[b], ZERO_GRADIENT, `${what}: mode`);
            }
            continue;
          }
          feasibleSamples++;
          assert.equal(linear.afterForward[b], LINEAR, `${what}: the linear path ran`);
          assert.equal(logSpace.afterForward[b], LOG_SPACE, `${what}: the log-space path ran`);
          assertLossMatchesEnumeration(linear.out, batch, b, `${what}, linear space`);
          assertLossMatchesEnumeration(logSpace.out, batch, b, `${what}, log space`);
        }
      }
      assert.ok(feasibleSamples > 50, `only ${feasibleSamples} feasible samples were compared`);
    });
  }
});
