import assert from 'node:assert/strict';
import { test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { array } from '../../src/ndarray/create.js';
import { ValueError } from '../../src/ndarray/errors.js';
import { Activation, LeakyReLU } from '../../src/nn/activations.js';

const x = () => array([-2, -0.5, 0.5, 2], { dtype: 'float64' });

test('Activation applies MXNet’s act_type formulas', () => {
  const cases: Record<string, (v: number) => number> = {
    relu: (v) => Math.max(v, 0),
    sigmoid: (v) => 1 / (1 + Math.exp(-v)),
    tanh: Math.tanh,
    softrelu: (v) => Math.log1p(Math.exp(v)),
    softsign: (v) => v / (1 + Math.abs(v)),
  };
  for (const [name, formula] of Object.entries(cases)) {
    const out = new Activation(name as 'relu').forward(x());
    Array.from(x().data).forEach((v, i) => {
      assert.ok(Math.abs(out.data[i]! - formula(v)) < 1e-15, `${name}(${v})`);
    });
  }
  assert.equal(new Activation('tanh').toString(), 'Activation(tanh)');
  assert.throws(() => new Activation('swish' as 'relu'), ValueError);
});

test('LeakyReLU: x above 0, alpha·x below, with matching gradient', () => {
  const input = x();
  input.attachGrad();
  const layer = new LeakyReLU(0.1);
  const out = record(() => layer.forward(input));
  assert.deepEqual(Array.from(out.data), [-0.2, -0.05, 0.5, 2]);
  out.backward();
  assert.deepEqual(Array.from(input.grad!.data), [0.1, 0.1, 1, 1]);
  assert.equal(layer.toString(), 'LeakyReLU(0.1)');
  assert.throws(() => new LeakyReLU(-1), /alpha/);
});
