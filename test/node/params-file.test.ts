import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { Constant, Xavier } from '../../src/init/initializer.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
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
import { corruptParameterFiles, validParameterFile, WEIGHT_VALUES } from '../nn/_corrupt-parameter-files.js';
import { assertThrowsWith } from '../ops/_op-checks.js';

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

  test('every corrupt file is a ValueError naming the path and the fault; the block keeps its values', () => {
    corruptParameterFiles().forEach((corruption, index) => {
      const path = join(directory, `corrupt-${index}.params`);
      writeFileSync(path, corruption.bytes);
      const block = new Dense(2, { inUnits: 3 }).initialize(new Constant(9));
      assertThrowsWith(
        () => loadParameters(block, path),
        ValueError,
        `loadParameters(${JSON.stringify(path)})`,
        'not a valid gloss parameter file',
        corruption.fragment,
      );
      assert.deepEqual(Array.from(block.weight.data().data), Array(6).fill(9), corruption.name);
      // The bias keeps its own 'zeros' initializer over the block-wide Constant(9), as in Gluon.
      assert.deepEqual(Array.from(block.bias!.data().data), [0, 0], corruption.name);
    });
    const path = join(directory, 'valid-by-hand.params');
    writeFileSync(path, validParameterFile());
    const block = new Dense(2, { inUnits: 3 }).initialize();
    loadParameters(block, path);
    assert.deepEqual(Array.from(block.weight.data().data), WEIGHT_VALUES);
  });

  test('a file from another architecture is a ShapeError naming the path and the full parameter path', () => {
    const path = join(directory, 'other.params');
    saveParameters(
      new Sequential().add(new Dense(4, { inUnits: 2 }), new Dense(3, { inUnits: 4 })).initialize(),
      path,
    );
    const net = new Sequential()
      .add(new Dense(4, { inUnits: 2 }), new Dense(1, { inUnits: 4 }))
      .initialize(new Constant(5));
    assertThrowsWith(
      () => loadParameters(net, path),
      ShapeError,
      `loadParameters(${JSON.stringify(path)})`,
      "parameter '1.weight' has shape [3,4] in the file but [1,4] in this block",
    );
    for (const [name, parameter] of net.collectParams()) {
      const expected = name.endsWith('bias') ? 0 : 5; // biases keep their own 'zeros' initializer
      assert.ok(
        Array.from(parameter.data().data).every((value) => value === expected),
        name,
      );
    }
  });

  test('a truncated states file is a ValueError naming the path', () => {
    const net = makeNet().initialize();
    net.forward(uniform(-1, 1, [1, 2]));
    const trainer = new Trainer(net.collectParams(), 'adam');
    record(() => net.forward(uniform(-1, 1, [1, 2])).sum()).backward();
    trainer.step(1);
    const bytes = trainer.statesToBytes();
    const path = join(directory, 'truncated.states');
    writeFileSync(path, bytes.subarray(0, bytes.length - 8));
    assertThrowsWith(
      () => loadStates(new Trainer(net.collectParams(), 'adam'), path),
      ValueError,
      `loadStates(${JSON.stringify(path)})`,
      'not a valid gloss trainer-state file',
      'truncated',
    );
  });
});
