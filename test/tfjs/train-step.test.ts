/**
 * gloss-ml/tfjs in TF.js training: a sample of weight 0 has no influence on the gradient of a
 * model's weights nor on `model.fit`, a nonzero weight does; `trainStep` applies the optimizer
 * with gloss's gradient (checked against plain SGD by hand), carries inputs that cannot be packed
 * (TripletLoss's negatives) and leaves no tensors behind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { SoftmaxCrossEntropyLoss } from '../../src/loss/softmax-ce.js';
import { TripletLoss } from '../../src/loss/triplet.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { packTargets, tfjsLoss, trainStep } from '../../src/tfjs/index.js';
import { loadTfjs } from './_setup.js';

const { tf, tfl } = await loadTfjs();
type Tensor = import('@tensorflow/tfjs-core').Tensor;

const FEATURES = 4;
const CLASSES = 3;

/** A one-layer classifier with fixed initial weights. */
function classifier(seed: number) {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [FEATURES],
        units: CLASSES,
        kernelInitializer: tfl.initializers.glorotUniform({ seed }),
        biasInitializer: 'zeros',
      }),
    ],
  });
  return model;
}

const inputs = [0.5, -1, 2, 0.1, 1.5, 0.3, -0.7, 1, -1, 0.2, 0.4, 0.9, 0.3, 0.3, -2, 1];
const labels = [2, 0, 1, 1];
const layout = { label: [], sampleWeight: [] };

/** Gradients of the model's weights for one batch, sample 1 weighted `weight`, its data `row1`. */
function weightGradients(weight: number, row1: number[], label1: number): Float32Array[] {
  const model = classifier(3);
  const x = [...inputs];
  x.splice(FEATURES, FEATURES, ...row1);
  const y = [...labels];
  y[1] = label1;
  const yTrue = packTargets(layout, { label: y, sampleWeight: [1, weight, 0.5, 2] }, [CLASSES]);
  const loss = tfjsLoss(new SoftmaxCrossEntropyLoss(), { targets: layout });
  const { grads } = tf.variableGrads(
    () => loss(yTrue, model.apply(tf.tensor2d(x, [4, FEATURES])) as Tensor),
    model.trainableWeights.map((w) => w.read()) as import('@tensorflow/tfjs-core').Variable[],
  );
  return Object.values(grads).map((g) => Float32Array.from(g.dataSync()));
}

test('a sample of weight 0 has no influence on the weights gradient; weight 1 has', () => {
  const base = weightGradients(0, [0.5, 0.5, 0.5, 0.5], 0);
  const changed = weightGradients(0, [9, -7, 3, 100], 2);
  assert.deepEqual(changed, base);
  const weighted = weightGradients(1, [0.5, 0.5, 0.5, 0.5], 0);
  const weightedChanged = weightGradients(1, [9, -7, 3, 100], 2);
  assert.notDeepEqual(weightedChanged, weighted);
});

test('model.fit with a packed sampleWeight: a weight-0 sample does not change the trained weights', async () => {
  const train = async (garbage: number[], garbageLabel: number) => {
    const model = classifier(5);
    model.compile({
      optimizer: tf.train.sgd(0.5),
      loss: tfjsLoss(new SoftmaxCrossEntropyLoss(), { targets: layout }),
    });
    const x = [...inputs, ...garbage];
    const yTrue = packTargets(layout, { label: [...labels, garbageLabel], sampleWeight: [1, 1, 1, 1, 0] }, [
      CLASSES,
    ]);
    await model.fit(tf.tensor2d(x, [5, FEATURES]), yTrue, {
      epochs: 5,
      batchSize: 5,
      shuffle: false,
      verbose: 0,
    });
    return model.getWeights().map((w) => Array.from(w.dataSync()));
  };
  const first = await train([1, 2, 3, 4], 0);
  const second = await train([-50, 8, 0.1, 30], 2);
  assert.deepEqual(second, first);
  const untrained = classifier(5)
    .getWeights()
    .map((w) => Array.from(w.dataSync()));
  assert.notDeepEqual(first, untrained, 'fit changed the weights');
});

test('trainStep: one SGD step equals w - lr * (gloss gradient), and returns the loss before the step', () => {
  const model = classifier(7);
  const before = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
  const x = tf.tensor2d(inputs, [4, FEATURES]);
  const output = model.predict(x) as Tensor;
  // gloss alone on the model's output: the batch mean and its gradient w.r.t. the logits.
  const logits = new NDArray(Float32Array.from(output.dataSync()), [4, CLASSES]).attachGrad();
  const weights = new NDArray(Float32Array.from([1, 0, 0.5, 2]), [4]);
  const loss = new SoftmaxCrossEntropyLoss();
  const mean = record(() => loss.forward(logits, new NDArray(Int32Array.from(labels), [4]), weights).mean());
  mean.backward();
  const value = trainStep({
    model,
    optimizer: tf.train.sgd(0.1),
    loss,
    inputs: x,
    labels: tf.tensor1d(labels),
    extras: { sampleWeight: tf.tensor1d([1, 0, 0.5, 2]) },
  });
  assert.ok(Math.abs(value - mean.item()) < 1e-6, `value ${value}, gloss ${mean.item()}`);
  // Dense: dKernel = xᵀ · dLogits, dBias = column sums of dLogits.
  const dLogits = logits.grad!.data;
  const after = model.getWeights().map((w) => w.dataSync());
  for (let f = 0; f < FEATURES; f++) {
    for (let c = 0; c < CLASSES; c++) {
      let g = 0;
      for (let n = 0; n < 4; n++) g += inputs[n * FEATURES + f]! * dLogits[n * CLASSES + c]!;
      const expected = before[0]![f * CLASSES + c]! - 0.1 * g;
      assert.ok(Math.abs(after[0]![f * CLASSES + c]! - expected) < 1e-6, `kernel[${f},${c}]`);
    }
  }
  for (let c = 0; c < CLASSES; c++) {
    let g = 0;
    for (let n = 0; n < 4; n++) g += dLogits[n * CLASSES + c]!;
    assert.ok(Math.abs(after[1]![c]! - (before[1]![c]! - 0.1 * g)) < 1e-6, `bias[${c}]`);
  }
});

test('trainStep with TripletLoss: negatives as extras, the loss falls, no tensors left behind', () => {
  const embed = tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [FEATURES],
        units: 2,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 11 }),
      }),
    ],
  });
  const anchors = tf.tensor2d(inputs, [4, FEATURES]);
  const positives = tf.tensor2d([0.4, -0.8, 1.1, -0.3, -0.2, 0.6, -0.1, 1.3], [4, 2]);
  const negatives = tf.tensor2d([-0.4, 0.8, -1.1, 0.3, 0.2, -0.6, 0.1, -1.3], [4, 2]);
  const optimizer = tf.train.adam(0.05);
  const loss = new TripletLoss();
  const step = () =>
    trainStep({
      model: embed,
      optimizer,
      loss,
      inputs: anchors,
      labels: positives,
      extras: { negative: negatives },
    });
  const first = step();
  const tensors = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 30; i++) last = step();
  assert.equal(tf.memory().numTensors, tensors, 'trainStep leaves no tensors behind');
  assert.ok(last < first / 2, `loss ${first} -> ${last}`);
  assert.throws(
    () =>
      trainStep({ model: embed, optimizer, loss, inputs: anchors, labels: positives, extras: { negatives } }),
    /extras names 'negatives'/,
  );
});

test('a model given as a function works in trainStep', () => {
  const w = tf.variable(tf.zeros([FEATURES, CLASSES]));
  const x = tf.tensor2d(inputs, [4, FEATURES]);
  const model = (input: Tensor | Tensor[]) => tf.matMul(input as Tensor, w);
  const optimizer = tf.train.sgd(0.5);
  const loss = new SoftmaxCrossEntropyLoss();
  const first = trainStep({ model, optimizer, loss, inputs: x, labels: labels, variables: [w] });
  assert.ok(Math.abs(first - Math.log(CLASSES)) < 1e-6, 'zero logits: log C');
  const second = trainStep({ model, optimizer, loss, inputs: x, labels: labels, variables: [w] });
  assert.ok(second < first);
});
