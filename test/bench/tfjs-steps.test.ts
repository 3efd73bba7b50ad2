/**
 * The TF.js training-step rows of the benchmark, built on the cpu backend and checked without
 * timing: both arms of a step compute the same thing, the adapter's loss alone equals gloss's
 * without TF.js, and no timed call leaves tensors behind (a leak would slow later runs).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tfjsStepWorkloads } from '../../bench/tfjs-steps.js';
import { loadTfjs } from '../tfjs/_setup.js';

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): { difference: number; scale: number } {
  assert.equal(a.length, b.length);
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    difference = Math.max(difference, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return { difference, scale };
}

describe('bench TF.js training steps (cpu backend, no timing)', async () => {
  const { tf, tfl } = await loadTfjs();

  test('T1: the step with TF.js softmax CE and the step with gloss via tfjsLoss start equal', () => {
    const [w] = tfjsStepWorkloads(['T1']);
    const built = w!.build(tf, tfl);
    const { first } = built;
    assert.ok(Math.abs(first.tfjsLoss! - first.adapterLoss) < 1e-5 * first.adapterLoss);
    const weights = maxAbsDifference(first.adapterWeights, first.tfjsWeights!);
    assert.ok(weights.difference < 1e-6 * weights.scale, `weights differ by ${weights.difference}`);
    // The loss of the initial weights: about ln 10 for 10 classes.
    assert.ok(
      first.adapterLoss > 2 && first.adapterLoss < 3,
      `ln 10 ≈ 2.3 at the start, got ${first.adapterLoss}`,
    );
    const gradient = maxAbsDifference(first.adapterGradient, first.glossGradient);
    assert.ok(gradient.difference < 1e-7 * Math.max(1, gradient.scale));
    assert.ok(Math.abs(w!.lossGloss() - first.adapterLoss) < 1e-5);
    assert.equal(w!.tfjsMissing, null);
  });

  test('T2: CTC through tfjsLoss with packed targets equals gloss on the same logits; no TF.js arm', () => {
    const [w] = tfjsStepWorkloads(['T2']);
    const built = w!.build(tf, tfl);
    assert.equal(built.tfjs, null);
    assert.equal(built.lossTfjs, null);
    assert.equal(w!.tfjsMissing, 'TF.js has no CTC loss');
    const { first } = built;
    assert.ok(Number.isFinite(first.adapterLoss) && first.adapterLoss > 0);
    assert.ok(Math.abs(w!.lossGloss() - first.adapterLoss) < 1e-4 * first.adapterLoss);
    const gradient = maxAbsDifference(first.adapterGradient, first.glossGradient);
    assert.ok(gradient.scale > 0 && gradient.difference < 1e-6 * gradient.scale);
  });

  test('every timed TF.js call returns a finite loss and leaves no tensors behind', () => {
    for (const w of tfjsStepWorkloads()) {
      const built = w.build(tf, tfl);
      for (const step of [built.tfjs, built.adapter, built.lossTfjs, built.lossAdapter]) {
        if (!step) continue;
        step();
        const before = tf.memory().numTensors;
        assert.ok(Number.isFinite(step()));
        assert.equal(tf.memory().numTensors, before, `${w.id}: a call left tensors behind`);
      }
    }
  });
});
