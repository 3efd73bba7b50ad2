/**
 * Identities between losses (MXNet's test_bce_equal_ce2 and friends): two formulas that must
 * agree, values and gradients.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad, record } from '../../src/autograd/index.js';
import { nd } from '../../src/index.js';
import { SigmoidBinaryCrossEntropyLoss, SoftmaxCrossEntropyLoss } from '../../src/loss/exports.js';

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) <= atol + rtol * Math.abs(expected[i]!),
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

test('test_bce_equal_ce2: SigmoidBCE(fromSigmoid) equals 2-class SoftmaxCE(fromLogits) on log([1-p, p] + 1e-8)', () => {
  const generator = new nd.random.RandomGenerator(42);
  const p = nd.random.uniform(0.1, 0.9, [100, 1], { generator });
  const z = nd.random.uniform(0, 1, [100, 1], { generator }).data.map(Math.round);
  const label = nd.array(Array.from(z)).reshape([100, 1]);
  const bce = new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }).forward(p, label);
  const twoClass = nd
    .concat([nd.sub(1, p), p], 1)
    .add(1e-8)
    .log();
  const ce = new SoftmaxCrossEntropyLoss({ fromLogits: true }).forward(twoClass, label);
  // MXNet's float32 tolerance for this test: rtol 1e-4, atol 1e-3.
  assertClose(bce.data, ce.data, 1e-4, 1e-3, 'loss');
});

test('SigmoidBCE from logits equals SoftmaxCE on [0, x], values and gradients (float64)', () => {
  const generator = new nd.random.RandomGenerator(7);
  const x = nd.random.uniform(-10, 10, [50, 1], { generator, dtype: 'float64' });
  const z = nd.array(Array.from(nd.random.uniform(0, 1, [50], { generator }).data, Math.round), {
    dtype: 'float64',
  });
  x.attachGrad();
  const bce = record(() => new SigmoidBinaryCrossEntropyLoss().forward(x, z));
  const [dBce] = grad(bce, [x]);
  const x2 = nd.array(x);
  x2.attachGrad();
  const ce = record(() => new SoftmaxCrossEntropyLoss().forward(nd.concat([nd.zerosLike(x2), x2], 1), z));
  const [dCe] = grad(ce, [x2]);
  assertClose(bce.data, ce.data, 1e-12, 1e-14, 'loss');
  assertClose(dBce!.data, dCe!.data, 1e-12, 1e-14, 'gradient');
});
