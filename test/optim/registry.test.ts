import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValueError } from '../../src/ndarray/errors.js';
import { Adam } from '../../src/optim/adam.js';
import { createOptimizer } from '../../src/optim/registry.js';
import { RMSProp } from '../../src/optim/rmsprop.js';
import { SGD } from '../../src/optim/sgd.js';

test('createOptimizer makes each optimizer by name (case-insensitive) with its options', () => {
  const sgd = createOptimizer('sgd', { learningRate: 0.5, momentum: 0.9 });
  assert.ok(sgd instanceof SGD);
  assert.equal((sgd as SGD).momentum, 0.9);
  assert.ok(createOptimizer('Adam') instanceof Adam);
  assert.ok(createOptimizer('RMSPROP') instanceof RMSProp);
  assert.equal(createOptimizer('adam').name, 'adam');
});

test('an unknown optimizer name is a ValueError listing the known ones', () => {
  assert.throws(() => createOptimizer('adagrad'), ValueError);
  assert.throws(() => createOptimizer('nag'), /'sgd', 'adam', 'rmsprop'/);
});
