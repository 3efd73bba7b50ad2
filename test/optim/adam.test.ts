import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValueError } from '../../src/ndarray/errors.js';
import { Adam } from '../../src/optim/adam.js';
import { assertCloseTo, vector } from './_helpers.js';

// Expected values computed by hand (Python, float64) from MXNet's formulas:
//   g = rescale·grad + wd·w;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   w ← w − lr·√(1−β2^t)/(1−β1^t) · m / (√v + ε)
describe('Adam', () => {
  test('two updates with weight decay match the hand-computed values', () => {
    const optimizer = new Adam({ learningRate: 0.1, wd: 0.01 });
    const weight = vector([1, -1]);
    optimizer.update(0, weight, vector([0.5, -2]));
    assertCloseTo(weight.data, [0.9000000620054058, -0.9000000157327221]);
    optimizer.update(0, weight, vector([0.1, 1]));
    assertCloseTo(weight.data, [0.8189152812953664, -0.872827201927523]);
    const state = optimizer.getStates().states.get(0)!;
    assertCloseTo(state.mean!, [0.05680000006200539, -0.0818000000157327]);
    assertCloseTo(state.variance!, [0.00027172090013517205, 0.005018140899688181]);
  });

  test('clipping applies to rescale·grad + wd·w (MXNet order)', () => {
    const weight = vector([1, -1]);
    new Adam({ learningRate: 0.1, wd: 0.01, rescaleGrad: 0.5, clipGradient: 0.3 }).update(
      0,
      weight,
      vector([0.5, -2]),
    );
    assertCloseTo(weight.data, [0.9000001216259159, -0.9000001054091442]);
  });

  test('bias correction uses each weight’s own update count', () => {
    const optimizer = new Adam({ learningRate: 0.1 });
    const first = vector([0]);
    const second = vector([0]);
    optimizer.update(0, first, vector([1]));
    optimizer.update(0, first, vector([1]));
    optimizer.update(1, second, vector([1]));
    // The first step of any weight moves it by lr · g/(|g| + ε/√(1−β2)) ≈ −0.1.
    assertCloseTo(second.data, [-0.1], 1e-7);
    assert.equal(optimizer.numUpdate, 2);
  });

  test('defaults and validation', () => {
    const optimizer = new Adam();
    assert.deepEqual(
      [optimizer.learningRate, optimizer.beta1, optimizer.beta2, optimizer.epsilon],
      [0.001, 0.9, 0.999, 1e-8],
    );
    assert.throws(() => new Adam({ beta1: 1.5 }), ValueError);
    assert.throws(() => new Adam({ epsilon: -1 }), /epsilon/);
  });
});
