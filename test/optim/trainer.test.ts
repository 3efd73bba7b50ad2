import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { Constant } from '../../src/init/initializer.js';
import { array } from '../../src/ndarray/create.js';
import { AutogradError, ValueError } from '../../src/ndarray/errors.js';
import { seed, uniform } from '../../src/ndarray/random.js';
import { Dense } from '../../src/nn/dense.js';
import { Parameter } from '../../src/nn/parameter.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Adam } from '../../src/optim/adam.js';
import { Trainer } from '../../src/optim/trainer.js';
import { assertCloseTo } from './_helpers.js';

function parameter(name: string, values: number[]): Parameter {
  const p = new Parameter(name, { shape: [values.length], dtype: 'float64' });
  p.setData(array(values, { dtype: 'float64' }));
  return p;
}

/** Backward of Σ c·p (so the gradient of p is c) recorded from one parameter. */
function backwardLinear(p: Parameter, c: number): void {
  record(() => p.data().mul(c).sum()).backward();
}

describe('Trainer', () => {
  test('step(batchSize) rescales gradients by 1/batchSize', () => {
    const p = parameter('w', [1, 2]);
    const trainer = new Trainer([p], 'sgd', { learningRate: 1 });
    backwardLinear(p, 4);
    trainer.step(8);
    // w ← w − 1 · 4/8.
    assertCloseTo(p.data().data, [0.5, 1.5]);
    assert.equal(trainer.optimizer.rescaleGrad, 1 / 8);
  });

  test('the optimizer’s own rescaleGrad is kept as the scale (Gluon: scale / batchSize)', () => {
    const p = parameter('w', [0]);
    const trainer = new Trainer([p], 'sgd', { learningRate: 1, rescaleGrad: 2 });
    backwardLinear(p, 1);
    trainer.step(4);
    assertCloseTo(p.data().data, [-0.5]);
  });

  test('a stale gradient is an error; ignoreStaleGrad skips that parameter', () => {
    const used = parameter('used', [0]);
    const unused = parameter('unused', [0]);
    const trainer = new Trainer({ used, unused }, 'sgd', { learningRate: 1 });
    backwardLinear(used, 1);
    assert.throws(() => trainer.step(1), AutogradError);
    assert.throws(() => trainer.step(1), /'unused' has not been updated by backward since the last step/);
    // Nothing was updated by the failed step.
    assertCloseTo(used.data().data, [0]);
    trainer.step(1, true);
    assertCloseTo(used.data().data, [-1]);
    assertCloseTo(unused.data().data, [0]);
    // The gradient just used is stale now.
    assert.throws(() => trainer.step(1), /'used'/);
  });

  test("gradReq 'null' parameters are frozen", () => {
    const frozen = parameter('frozen', [3]);
    const live = parameter('live', [3]);
    frozen.gradReq = 'null';
    const trainer = new Trainer([frozen, live], 'sgd', { learningRate: 1 });
    record(() => frozen.data().add(live.data()).sum()).backward();
    trainer.step(1);
    assertCloseTo(frozen.data().data, [3]);
    assertCloseTo(live.data().data, [2]);
  });

  test("gradReq 'add' accumulates until zeroGrad", () => {
    const p = parameter('w', [0]);
    p.gradReq = 'add';
    const trainer = new Trainer([p], 'sgd', { learningRate: 1 });
    backwardLinear(p, 1);
    backwardLinear(p, 2);
    trainer.step(1);
    assertCloseTo(p.data().data, [-3]);
    p.zeroGrad();
    backwardLinear(p, 1);
    trainer.step(1);
    assertCloseTo(p.data().data, [-4]);
  });

  test('trains a Dense layer created before its first forward (deferred parameters)', () => {
    seed(0);
    const net = new Dense(1, { weightInitializer: new Constant(0) });
    net.initialize();
    const trainer = new Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
    const x = array([[1, 2]]);
    record(() => net.forward(x).sum()).backward();
    trainer.step(1);
    // dW = x, db = 1 → W = −0.1·x, b = −0.1.
    assertCloseTo(net.weight.data().data, [-0.1, -0.2], 1e-7);
    assertCloseTo(net.bias!.data().data, [-0.1], 1e-7);
  });

  test('accepts an Optimizer instance, but then no options', () => {
    const p = parameter('w', [0]);
    const adam = new Adam({ learningRate: 0.5 });
    assert.equal(new Trainer([p], adam).optimizer, adam);
    assert.throws(() => new Trainer([p], adam, { learningRate: 1 }), ValueError);
  });

  test('learningRate and setLearningRate', () => {
    const trainer = new Trainer([parameter('w', [0])], 'adam', { learningRate: 0.01 });
    assert.equal(trainer.learningRate, 0.01);
    trainer.setLearningRate(0.5);
    assert.equal(trainer.optimizer.learningRate, 0.5);
  });

  test('invalid parameters and batch sizes are ValueErrors', () => {
    const p = parameter('w', [0]);
    assert.throws(() => new Trainer([p, p], 'sgd'), /appears twice/);
    assert.throws(() => new Trainer([{} as Parameter], 'sgd'), /must hold Parameters/);
    assert.throws(() => new Trainer([p], 'sgd').step(0), /batchSize must be a positive number/);
  });

  test('states round trip: a restored trainer continues exactly like the original', () => {
    seed(3);
    const makeNet = () =>
      new Sequential().add(new Dense(3, { activation: 'tanh', inUnits: 2 }), new Dense(1, { inUnits: 3 }));
    const x = uniform(-1, 1, [4, 2]);
    const net = makeNet().initialize();
    const trainer = new Trainer(net.collectParams(), 'adam', { learningRate: 0.05 });
    const train = (n: typeof net, t: Trainer) => {
      record(() => n.forward(x).square().sum()).backward();
      t.step(4);
    };
    for (let i = 0; i < 3; i++) train(net, trainer);

    const copy = makeNet().initialize();
    copy.loadParametersFromBytes(net.parametersToBytes());
    const copyTrainer = new Trainer(copy.collectParams(), 'adam', { learningRate: 0.9 });
    copyTrainer.loadStatesFromBytes(trainer.statesToBytes());
    assert.equal(copyTrainer.learningRate, 0.05, 'hyper-parameters are restored with the states');
    assert.equal(copyTrainer.optimizer.numUpdate, 3);
    train(net, trainer);
    train(copy, copyTrainer);
    for (const [name, p] of net.collectParams()) {
      assert.deepEqual(
        Array.from(copy.collectParams().get(name)!.data().data),
        Array.from(p.data().data),
        name,
      );
    }
  });

  test('loading states of another optimizer is a ValueError', () => {
    const p = parameter('w', [0]);
    const adam = new Trainer([p], 'adam');
    backwardLinear(p, 1);
    adam.step(1);
    assert.throws(
      () => new Trainer([p], 'sgd').loadStatesFromBytes(adam.statesToBytes()),
      /holds 'adam' states but this trainer uses 'sgd'/,
    );
    assert.throws(
      () => new Trainer({ other: p }, 'adam').loadStatesFromBytes(adam.statesToBytes()),
      /'0.w', which this trainer does not train/,
    );
  });
});
