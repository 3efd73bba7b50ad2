import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValueError } from '../../src/ndarray/errors.js';
import { RMSProp } from '../../src/optim/rmsprop.js';
import { assertCloseTo, vector } from './_helpers.js';

// Expected values computed by hand (Python, float64) from MXNet's rmsprop_update and
// rmspropalex_update formulas (see src/optim/rmsprop.ts).
describe('RMSProp', () => {
  test('plain: n ← (1−γ1)·g² + γ1·n; w ← w − lr·g/√(n + ε), with weight decay', () => {
    const optimizer = new RMSProp({ learningRate: 0.01, wd: 0.1 });
    const weight = vector([1, -1]);
    optimizer.update(0, weight, vector([0.5, -2]));
    assertCloseTo(weight.data, [0.9683772277903676, -0.9683772237568511]);
    optimizer.update(0, weight, vector([0.1, 1]));
    assertCloseTo(weight.data, [0.9580422986964472, -0.981434071322702]);
    assertCloseTo(optimizer.getStates().states.get(0)!.n!, [0.036274508910883685, 0.47847020997235395]);
  });

  test('centered (Graves): tracks the mean gradient and a momentum term', () => {
    const optimizer = new RMSProp({ learningRate: 0.01, centered: true });
    const weight = vector([1, -1]);
    optimizer.update(0, weight, vector([0.5, -2]));
    assertCloseTo(weight.data, [0.9666666740740716, -0.9666666671296296]);
    optimizer.update(0, weight, vector([0.1, 1]));
    assertCloseTo(weight.data, [0.9296781168691987, -0.951514514155542]);
    const state = optimizer.getStates().states.get(0)!;
    assertCloseTo(state.g!, [0.055, -0.08]);
    assertCloseTo(state.delta!, [-0.03698855720487289, 0.015152152974087613]);
  });

  test('clipWeights bounds the updated weights', () => {
    const weight = vector([0.95, -0.95]);
    new RMSProp({ learningRate: 1, clipWeights: 1 }).update(0, weight, vector([-1, 1]));
    assertCloseTo(weight.data, [1, -1]);
  });

  test('defaults and validation', () => {
    const optimizer = new RMSProp();
    assert.deepEqual(
      [optimizer.learningRate, optimizer.gamma1, optimizer.gamma2, optimizer.centered],
      [0.001, 0.9, 0.9, false],
    );
    assert.deepEqual(optimizer.stateNames(), ['n']);
    assert.throws(() => new RMSProp({ centered: 'yes' as unknown as boolean }), ValueError);
    assert.throws(() => new RMSProp({ clipWeights: -1 }), /clipWeights/);
  });
});
