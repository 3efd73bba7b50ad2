import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { AutogradError, ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { clipValue } from '../../src/optim/optimizer.js';
import { SGD } from '../../src/optim/sgd.js';
import { assertCloseTo, vector } from './_helpers.js';

describe('Optimizer base', () => {
  test('unknown options (e.g. a snake_case name) are a ValueError naming the valid ones', () => {
    assert.throws(
      () => new SGD({ learning_rate: 0.1 } as object),
      /unknown option learning_rate; the options are learningRate/,
    );
  });

  test('option validation', () => {
    assert.throws(() => new SGD({ learningRate: -1 }), ValueError);
    assert.throws(() => new SGD({ clipGradient: 0 }), /clipGradient must be a positive number or null/);
    assert.equal(new SGD({ clipGradient: null }).clipGradient, null);
  });

  test('lrMult and wdMult scale the learning rate and weight decay per parameter', () => {
    const optimizer = new SGD({ learningRate: 0.1, wd: 0.5 });
    const weight = vector([2]);
    optimizer.update(0, weight, vector([1]), { lrMult: 2, wdMult: 0 });
    // lr 0.2, wd 0: w = 2 − 0.2 · 1.
    assertCloseTo(weight.data, [1.8]);
  });

  test('update counts: per weight, numUpdate is the largest', () => {
    const optimizer = new SGD();
    optimizer.update(0, vector([0]), vector([0]));
    optimizer.update(0, vector([0]), vector([0]));
    optimizer.update(3, vector([0]), vector([0]));
    const { counts, numUpdate } = optimizer.getStates();
    assert.deepEqual(
      [...counts],
      [
        [0, 2],
        [3, 1],
      ],
    );
    assert.equal(numUpdate, 2);
  });

  test('getStates returns copies; setStates restores them', () => {
    const optimizer = new SGD({ learningRate: 1, momentum: 0.5 });
    optimizer.update(0, vector([0]), vector([1]));
    const snapshot = optimizer.getStates();
    snapshot.states.get(0)!.momentum![0] = 99;
    assert.equal(optimizer.getStates().states.get(0)!.momentum![0], -1);
    const other = new SGD({ learningRate: 1, momentum: 0.5 });
    other.setStates(optimizer.getStates());
    const weight = vector([0]);
    other.update(0, weight, vector([1]));
    // m = 0.5 · (−1) − 1 = −1.5.
    assertCloseTo(weight.data, [-1.5]);
    assert.throws(
      () => other.setStates({ numUpdate: 1, counts: new Map(), states: new Map([[0, {}]]) }),
      /lacks 'momentum'/,
    );
  });

  test('shape mismatch between weight and grad, or weight and restored state, is a ShapeError', () => {
    assert.throws(() => new SGD().update(0, vector([1, 2]), vector([1])), ShapeError);
    const optimizer = new SGD({ momentum: 0.9 });
    optimizer.setStates({
      numUpdate: 1,
      counts: new Map([[0, 1]]),
      states: new Map([[0, { momentum: new Float64Array(3) }]]),
    });
    assert.throws(
      () => optimizer.update(0, vector([1, 2]), vector([1, 1])),
      /state 'momentum' of weight 0 has 3 elements/,
    );
  });

  test('an update marks the weight written, so replaying an older graph throws', () => {
    const weight = vector([1, 2]);
    weight.attachGrad();
    const y = record(() => weight.mul(weight).sum());
    new SGD().update(0, weight, vector([1, 1]));
    assert.throws(() => y.backward(), AutogradError);
  });

  test('clipValue clamps into [−bound, bound] and leaves Infinity bounds alone', () => {
    assert.deepEqual(
      [clipValue(3, 1), clipValue(-3, 1), clipValue(0.5, 1), clipValue(1e30, Infinity)],
      [1, -1, 0.5, 1e30],
    );
  });

  test('toString lists the hyper-parameters', () => {
    assert.equal(
      new SGD({ learningRate: 0.5 }).toString(),
      'SGD(learningRate=0.5, wd=0, rescaleGrad=1, clipGradient=null, momentum=0)',
    );
  });
});
