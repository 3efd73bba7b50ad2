import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValueError } from '../../src/ndarray/errors.js';
import { SGD } from '../../src/optim/sgd.js';
import { assertCloseTo, vector } from './_helpers.js';

describe('SGD', () => {
  test('plain update: w ← (1 − lr·wd)·w − lr·clip(rescale·g), weight decay not clipped', () => {
    // g' = clip(0.5 · [0.5, 4, −3], 1) = [0.25, 1, −1]; w' = 0.999 · w − 0.1 · g'.
    const weight = vector([1, -2, 0.5]);
    new SGD({ learningRate: 0.1, wd: 0.01, rescaleGrad: 0.5, clipGradient: 1 }).update(
      0,
      weight,
      vector([0.5, 4, -3]),
    );
    assertCloseTo(weight.data, [0.974, -2.098, 0.5995]);
  });

  test('momentum: m ← μ·m − lr·wd·w − lr·g; w ← w + m, over two steps', () => {
    const optimizer = new SGD({ learningRate: 0.1, wd: 0.1, momentum: 0.9 });
    const weight = vector([0, 1]);
    optimizer.update(0, weight, vector([1, -2]));
    assertCloseTo(weight.data, [-0.1, 1.19]);
    optimizer.update(0, weight, vector([0.5, 0.5]));
    assertCloseTo(weight.data, [-0.239, 1.2991]);
    assertCloseTo(optimizer.getStates().states.get(0)!.momentum!, [-0.139, 0.1091]);
  });

  test('defaults: learning rate 0.01, no momentum, no state', () => {
    const optimizer = new SGD();
    assert.equal(optimizer.learningRate, 0.01);
    assert.equal(optimizer.momentum, 0);
    assert.deepEqual(optimizer.stateNames(), []);
    const weight = vector([1]);
    optimizer.update(0, weight, vector([2]));
    assertCloseTo(weight.data, [0.98]);
  });

  test('turning momentum on later creates its state', () => {
    const optimizer = new SGD({ learningRate: 1 });
    const weight = vector([0]);
    optimizer.update(0, weight, vector([1]));
    optimizer.setHyperParameters({ momentum: 0.5 });
    optimizer.update(0, weight, vector([1]));
    // First step: w = −1. Second: m = 0.5 · 0 − 1 = −1, w = −2.
    assertCloseTo(weight.data, [-2]);
  });

  test('invalid momentum is a ValueError', () => {
    assert.throws(() => new SGD({ momentum: -0.1 }), ValueError);
    assert.throws(() => new SGD({ momentum: Number.NaN }), /momentum/);
  });
});
