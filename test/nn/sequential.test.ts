import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Constant } from '../../src/init/initializer.js';
import { array } from '../../src/ndarray/create.js';
import { ValueError } from '../../src/ndarray/errors.js';
import { Activation } from '../../src/nn/activations.js';
import { Dense } from '../../src/nn/dense.js';
import { Sequential } from '../../src/nn/sequential.js';

test('Sequential chains its blocks in order; add takes several blocks and chains', () => {
  const net = new Sequential()
    .add(new Dense(2, { inUnits: 2, weightInitializer: new Constant(1) }), new Activation('relu'))
    .add(new Dense(1, { weightInitializer: new Constant(-1) }));
  net.initialize();
  // [1, −3] → Dense: [−2, −2] → relu: [0, 0] → Dense(−1): 0; [2, 1] → [3, 3] → [3, 3] → −6.
  assert.deepEqual(
    net
      .forward(
        array([
          [1, -3],
          [2, 1],
        ]),
      )
      .toArray(),
    [[0], [-6]],
  );
  assert.equal(net.length, 3);
  assert.ok(net.at(1) instanceof Activation);
  assert.ok(net.at(-1) instanceof Dense);
  assert.throws(() => net.at(3), ValueError);
});

test('parameters are named by position and toString nests the children', () => {
  const net = new Sequential().add(new Dense(3, { activation: 'relu' }), new Dense(1));
  assert.deepEqual([...net.collectParams().keys()], ['0.weight', '0.bias', '1.weight', '1.bias']);
  assert.equal(
    net.toString(),
    'Sequential(\n  (0): Dense(None -> 3, Activation(relu))\n  (1): Dense(None -> 1, linear)\n)',
  );
  net.initialize();
  net.forward(array([[1, 2, 3, 4]]));
  assert.equal(
    net.toString(),
    'Sequential(\n  (0): Dense(4 -> 3, Activation(relu))\n  (1): Dense(3 -> 1, linear)\n)',
  );
});

test('nested Sequentials indent their children', () => {
  const inner = new Sequential().add(new Dense(2));
  const outer = new Sequential().add(inner, new Dense(1));
  assert.equal(
    outer.toString(),
    'Sequential(\n  (0): Sequential(\n    (0): Dense(None -> 2, linear)\n  )\n  (1): Dense(None -> 1, linear)\n)',
  );
  assert.deepEqual([...outer.collectParams().keys()], ['0.0.weight', '0.0.bias', '1.weight', '1.bias']);
});
