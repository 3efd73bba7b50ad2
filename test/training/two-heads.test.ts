// The multi-task pattern that exposed shared gradient memory: one output read by two losses in
// one graph (SoftmaxCE + L2), trained with SGD. Both orders of the sum, on both kernel backends,
// must follow the same loss curve and end well below where they started.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { L2Loss } from '../../src/loss/l2.js';
import { SoftmaxCrossEntropyLoss } from '../../src/loss/softmax-ce.js';
import { array } from '../../src/ndarray/create.js';
import { normal, RandomGenerator, seed } from '../../src/ndarray/random.js';
import { Dense } from '../../src/nn/dense.js';
import { Trainer } from '../../src/optim/trainer.js';
import { setKernelBackend } from '../../src/kernels/index.js';

const STEPS = 300;

/** Mean total loss per step of a Dense(8→3) net trained on both heads. */
function train(backend: 'wasm' | 'js', order: 'ce + l2' | 'l2 + ce'): number[] {
  setKernelBackend(backend);
  // A task both heads can learn: the regression target is linear in x and the class is its
  // largest component.
  const generator = new RandomGenerator(3);
  const x = normal(0, 1, [64, 8], { generator });
  const weights = normal(0, 0.5, [8, 3], { generator });
  const target = x.dot(weights);
  const classes = array(
    Array.from({ length: 64 }, (_, n) => {
      const row = Array.from(target.data.subarray(3 * n, 3 * n + 3));
      return row.indexOf(Math.max(...row));
    }),
    { dtype: 'int32' },
  );
  seed(4);
  const net = new Dense(3, { inUnits: 8 });
  net.initialize();
  const trainer = new Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  const crossEntropy = new SoftmaxCrossEntropyLoss();
  const l2 = new L2Loss();
  const curve: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    const total = record(() => {
      const out = net.forward(x);
      const ce = crossEntropy.forward(out, classes);
      const regression = l2.forward(out, target);
      return order === 'ce + l2' ? ce.add(regression) : regression.add(ce);
    });
    total.backward();
    trainer.step(64);
    curve.push(Array.from(total.data).reduce((sum, v) => sum + v, 0) / 64);
  }
  return curve;
}

describe('a two-head model (SoftmaxCE + L2 on one output) trains the same everywhere', () => {
  after(() => setKernelBackend('auto'));

  test('both orders, both kernel backends: one loss curve, ending below its start', () => {
    const reference = train('js', 'l2 + ce');
    assert.ok(
      reference[STEPS - 1]! < 0.7 * reference[0]!,
      `training must reduce the loss: ${reference[0]} -> ${reference[STEPS - 1]}`,
    );
    for (const backend of ['wasm', 'js'] as const) {
      for (const order of ['ce + l2', 'l2 + ce'] as const) {
        const curve = train(backend, order);
        for (let step = 0; step < STEPS; step++) {
          const expected = reference[step]!;
          assert.ok(
            Math.abs(curve[step]! - expected) <= 1e-4 * Math.abs(expected),
            `${backend} ${order}: step ${step} loss ${curve[step]}, expected ${expected}`,
          );
        }
      }
    }
  });
});
