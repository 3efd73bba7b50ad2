import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { Xavier } from '../../src/init/initializer.js';
import { seed, uniform } from '../../src/ndarray/random.js';
import { Dense } from '../../src/nn/dense.js';
import { Sequential } from '../../src/nn/sequential.js';
import {
  checkpointPaths,
  loadCheckpoint,
  loadParameters,
  loadStates,
  saveCheckpoint,
  saveParameters,
  saveStates,
} from '../../src/node/params-file.js';
import { Trainer } from '../../src/optim/trainer.js';

const directory = mkdtempSync(join(tmpdir(), 'gloss-params-file-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const makeNet = () => new Sequential().add(new Dense(4, { activation: 'tanh' }), new Dense(1));

describe('gloss/node parameter files', () => {
  test('saveParameters / loadParameters round-trip into a fresh (deferred) network', () => {
    seed(5);
    const x = uniform(-1, 1, [3, 2]);
    const net = makeNet().initialize(new Xavier());
    const expected = Array.from(net.forward(x).data);
    const path = join(directory, 'net.params');
    saveParameters(net, path);
    assert.equal(new TextDecoder().decode(readFileSync(path).subarray(0, 8)), 'GLOSSNDA');
    const copy = makeNet();
    loadParameters(copy, path);
    assert.deepEqual(Array.from(copy.forward(x).data), expected);
  });

  test('saveStates / loadStates carry Adam’s moments and update counts', () => {
    seed(6);
    const x = uniform(-1, 1, [3, 2]);
    const net = makeNet().initialize();
    const trainer = new Trainer(net.collectParams(), 'adam', { learningRate: 0.1 });
    const step = (n: Sequential, t: Trainer) => {
      record(() => n.forward(x).square().mean()).backward();
      t.step(3);
    };
    step(net, trainer);
    step(net, trainer);
    const paramsPath = join(directory, 'adam.params');
    const statesPath = join(directory, 'adam.states');
    saveParameters(net, paramsPath);
    saveStates(trainer, statesPath);

    const copy = makeNet();
    loadParameters(copy, paramsPath);
    const copyTrainer = new Trainer(copy.collectParams(), 'adam');
    loadStates(copyTrainer, statesPath);
    step(net, trainer);
    step(copy, copyTrainer);
    assert.deepEqual(
      Array.from(copy.at(0).collectParams().get('weight')!.data().data),
      Array.from((net.at(0) as Dense).weight.data().data),
    );
  });

  test('checkpoints use MXNet’s prefix-epoch file names', () => {
    assert.deepEqual(checkpointPaths('/tmp/model', 100), {
      params: '/tmp/model-0100.params',
      states: '/tmp/model-0100.states',
    });
    const net = makeNet().initialize();
    net.forward(uniform(-1, 1, [1, 2]));
    const trainer = new Trainer(net.collectParams(), 'sgd', { learningRate: 0.5, momentum: 0.9 });
    const prefix = join(directory, 'ckpt');
    const paths = saveCheckpoint(prefix, 7, net, trainer);
    assert.ok(existsSync(paths.params) && existsSync(paths.states));
    const copy = makeNet();
    const copyTrainer = new Trainer(copy.collectParams(), 'sgd', { momentum: 0.9 });
    loadCheckpoint(prefix, 7, copy, copyTrainer);
    assert.equal(copyTrainer.learningRate, 0.5);
    assert.throws(() => loadCheckpoint(join(directory, 'missing'), 1, copy), /ENOENT/);
  });
});
