/**
 * The TF.js rows of docs/migrating.md, checked against TensorFlow.js itself (a development
 * dependency, used by the benchmark): each documented factor between a `tf.losses.*` function at
 * its default reduction and the mean of gloss's per-sample losses. The PyTorch rows are checked
 * by scripts/check-migrating-torch.py (optional: it needs Debian's python3-torch).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { gluon, type NDArray, nd } from 'gloss-ml';

// The CommonJS builds load without the ESM resolve hook the benchmark needs.
const require = createRequire(import.meta.url);
const tf: typeof import('@tensorflow/tfjs-core') = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');

const L = gluon.loss;
nd.random.seed(11);
const pred = nd.random.normal(0, 2, [6, 5]);
const label = nd.random.normal(0, 2, [6, 5]);
const bits = nd.random.uniform(0, 1, [6, 5]).greater(0.5);
const probabilities = nd.random.uniform(0.05, 0.95, [6, 5]);
const oneHot = nd.array([0, 3, 1, 4, 2, 2]).oneHot(5);

const tensor = (x: NDArray) => tf.tensor(x.data as Float32Array, [...x.shape]);
const tfValue = (loss: import('@tensorflow/tfjs-core').Tensor) => loss.dataSync()[0]!;
const meanOf = (perSample: NDArray) => perSample.mean().item();

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-5 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );
}

test('meanSquaredError = 2 × L2Loss', () => {
  const expected = tfValue(tf.losses.meanSquaredError(tensor(label), tensor(pred)));
  assertClose(2 * meanOf(new L.L2Loss().forward(pred, label)), expected, 'MSE');
});

test('absoluteDifference = L1Loss', () => {
  const expected = tfValue(tf.losses.absoluteDifference(tensor(label), tensor(pred)));
  assertClose(meanOf(new L.L1Loss().forward(pred, label)), expected, 'L1');
});

test('huberLoss(delta = δ) = δ × HuberLoss({ rho: δ })', () => {
  for (const delta of [0.5, 1, 2]) {
    const expected = tfValue(tf.losses.huberLoss(tensor(label), tensor(pred), undefined, delta));
    assertClose(delta * meanOf(new L.HuberLoss({ rho: delta }).forward(pred, label)), expected, `δ=${delta}`);
  }
});

test('sigmoidCrossEntropy = SigmoidBCELoss; logLoss = SigmoidBCELoss({ fromSigmoid: true })', () => {
  const logits = tfValue(tf.losses.sigmoidCrossEntropy(tensor(bits), tensor(pred)));
  assertClose(meanOf(new L.SigmoidBCELoss().forward(pred, bits)), logits, 'sigmoidCrossEntropy');
  const probs = tfValue(tf.losses.logLoss(tensor(bits), tensor(probabilities)));
  const gloss = meanOf(new L.SigmoidBCELoss({ fromSigmoid: true }).forward(probabilities, bits));
  assertClose(gloss, probs, 'logLoss');
});

test('softmaxCrossEntropy(one-hot labels) = SoftmaxCrossEntropyLoss({ sparseLabel: false })', () => {
  const expected = tfValue(tf.losses.softmaxCrossEntropy(tensor(oneHot), tensor(pred)));
  assertClose(meanOf(new L.SoftmaxCELoss({ sparseLabel: false }).forward(pred, oneHot)), expected, 'CE');
});

test('hingeLoss(0/1 labels) = HingeLoss with labels 2y − 1', () => {
  const expected = tfValue(tf.losses.hingeLoss(tensor(bits), tensor(pred)));
  assertClose(meanOf(new L.HingeLoss().forward(pred, bits.mul(2).sub(1))), expected, 'hinge');
});
