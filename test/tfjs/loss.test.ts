/**
 * gloss-ml/tfjs's tfjsLoss: for every registered loss, the value and the gradient TF.js gets
 * through the adapter equal gloss's NDArray path (batch mean, float32), with yTrue as is and with
 * every input packed; where TF.js has the same loss, they equal TF.js's own; labels are cast and
 * checked; bad layouts get typed errors. On the cpu backend, and on wasm when it loads here.
 */
import { sampleInputs } from '../loss/_sample-inputs.js';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { ALL_LOSSES, type Loss } from '../../src/loss/index.js';
import { CTCLoss } from '../../src/loss/ctc.js';
import { HingeLoss } from '../../src/loss/hinge.js';
import { HuberLoss } from '../../src/loss/huber.js';
import { L1Loss } from '../../src/loss/l1.js';
import { L2Loss } from '../../src/loss/l2.js';
import { SigmoidBinaryCrossEntropyLoss } from '../../src/loss/sigmoid-bce.js';
import { SoftmaxCrossEntropyLoss } from '../../src/loss/softmax-ce.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import { packTargets, tfjsLoss } from '../../src/tfjs/index.js';
import { loadTfjs, loadWasm } from './_setup.js';

const { tf } = await loadTfjs();
const backends = ['cpu', ...((await loadWasm(tf)) ? ['wasm'] : [])];
await tf.setBackend('cpu');

type Tensor = import('@tensorflow/tfjs-core').Tensor;
type LossClass = new (options?: Record<string, unknown>) => Loss;

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  rtol = 1e-5,
  atol = 1e-7,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: got ${a}, expected ${e}`);
  }
}

/** gloss's own path: the batch mean of the per-sample losses and its gradient w.r.t. pred. */
function glossMean(
  loss: Loss,
  inputs: readonly (NDArray | null)[],
): { value: number; gradient: Float32Array } {
  const pred = inputs[0]!.copy().attachGrad();
  const mean = record(() => loss.forward(pred, ...inputs.slice(1)).mean());
  mean.backward();
  return { value: mean.item(), gradient: pred.grad!.data as Float32Array };
}

/** TF.js's value and gradient of `f(yPred)`. */
function tfValueAndGrad(f: (x: Tensor) => Tensor, pred: NDArray): { value: number; gradient: Float32Array } {
  const x = tf.tensor(Float32Array.from(pred.data), [...pred.shape], 'float32');
  const { value, grad } = tf.valueAndGrad(f as (x: Tensor) => import('@tensorflow/tfjs-core').Scalar)(x);
  return { value: value.dataSync()[0]!, gradient: grad.dataSync() as Float32Array };
}

/** A float32 tensor holding an NDArray's values (int labels become floats, as TF.js gives them). */
const asTensor = (array: NDArray): Tensor =>
  tf.tensor(Float32Array.from(array.data), [...array.shape], 'float32');

/** Per-sample weights in [0, 2) with one zero. */
function sampleWeights(count: number, seed: number): NDArray {
  const generator = new RandomGenerator(seed);
  const weights = new Float32Array(count);
  for (let i = 0; i < count; i++) weights[i] = i === 1 ? 0 : 2 * generator.nextDouble();
  return new NDArray(weights, [count]);
}

for (const backend of backends) {
  describe(`tfjsLoss on the ${backend} backend`, () => {
    before(async () => {
      await tf.setBackend(backend);
    });

    for (const [name, Class] of Object.entries(ALL_LOSSES) as [string, LossClass][]) {
      test(`${name}: yTrue as is, other inputs constant: value and gradient equal gloss's`, () => {
        const loss = new Class();
        const inputs = sampleInputs(loss, new RandomGenerator(7), 'float32')!;
        const constants: Record<string, NDArray> = {};
        loss.inputNames.slice(2).forEach((input, i) => {
          const value = inputs[i + 2];
          if (value) constants[input] = value;
        });
        const adapted = tfjsLoss(loss, { constants });
        const yTrue = asTensor(inputs[1]!);
        const got = tfValueAndGrad((x) => adapted(yTrue, x), inputs[0]!);
        const expected = glossMean(loss, inputs);
        assertClose([got.value], [expected.value], `${name} value`);
        assertClose(got.gradient, expected.gradient, `${name} gradient`);
      });

      test(`${name}: every input and a sample weight packed into yTrue: equal gloss's`, () => {
        const loss = new Class();
        const inputs = sampleInputs(loss, new RandomGenerator(11), 'float32')!;
        const batch = inputs[0]!.shape[0]!;
        const layout: Record<string, number[]> = {};
        const values: Record<string, Float32Array> = {};
        const constants: Record<string, NDArray> = {};
        const named = new Map<string, NDArray>();
        loss.inputNames.slice(1).forEach((input, i) => {
          const value = inputs[i + 1];
          if (!value) return;
          named.set(input, value);
          if (value.shape[0] === batch) {
            layout[input] = value.shape.slice(1);
            values[input] = Float32Array.from(value.data);
          } else constants[input] = value;
        });
        if (loss.sampleWeightIndex >= 0) {
          const weights = sampleWeights(batch, 3);
          named.set('sampleWeight', weights);
          layout.sampleWeight = [];
          values.sampleWeight = weights.data as Float32Array;
        }
        const rowSize = Object.values(layout).reduce(
          (total, shape) => total + shape.reduce((p, d) => p * d, 1),
          0,
        );
        // Two spare elements per row, as when the model's output is larger than the inputs.
        const yTrue = packTargets(layout, values, [rowSize + 2]);
        const adapted = tfjsLoss(loss, { targets: layout, constants });
        const got = tfValueAndGrad((x) => adapted(yTrue, x), inputs[0]!);
        const expected = glossMean(loss, [
          inputs[0]!,
          ...loss.inputNames.slice(1).map((input) => named.get(input) ?? null),
        ]);
        assertClose([got.value], [expected.value], `${name} value`);
        assertClose(got.gradient, expected.gradient, `${name} gradient`);
      });
    }

    test('SoftmaxCE, sparse labels: equals tf.losses.softmaxCrossEntropy on one-hot labels', () => {
      const logits = new NDArray(Float32Array.from([1, 2, 3, 0.5, -1, 2, -3, 0, 4.5, 2, 2, -2]), [4, 3]);
      const labels = tf.tensor1d([2, 0, 1, 1]);
      const ours = tfValueAndGrad((x) => tfjsLoss(new SoftmaxCrossEntropyLoss())(labels, x), logits);
      const oneHot = tf.oneHot(tf.tensor1d([2, 0, 1, 1], 'int32'), 3);
      const theirs = tfValueAndGrad((x) => tf.losses.softmaxCrossEntropy(oneHot, x), logits);
      assertClose([ours.value], [theirs.value], 'value', 1e-6);
      assertClose(ours.gradient, theirs.gradient, 'gradient', 1e-5, 1e-7);
    });

    test('SoftmaxCE, dense soft labels: equals tf.losses.softmaxCrossEntropy', () => {
      const logits = new NDArray(Float32Array.from([1, 2, 3, 0.5, -1, 2, -3, 0, 4.5]), [3, 3]);
      const soft = tf.tensor2d([
        [0.2, 0.3, 0.5],
        [1, 0, 0],
        [0.1, 0.1, 0.8],
      ]);
      const ours = tfValueAndGrad(
        (x) => tfjsLoss(new SoftmaxCrossEntropyLoss({ sparseLabel: false }))(soft, x),
        logits,
      );
      const theirs = tfValueAndGrad((x) => tf.losses.softmaxCrossEntropy(soft, x), logits);
      assertClose([ours.value], [theirs.value], 'value', 1e-6);
      assertClose(ours.gradient, theirs.gradient, 'gradient', 1e-5, 1e-7);
    });

    const pred = new NDArray(Float32Array.from([0.3, -1.2, 2.5, 0.1, -0.4, 1.7, -2.2, 0.9]), [4, 2]);
    // Made inside each test: a tensor belongs to the backend current when it was made.
    const target = () => tf.tensor2d([0.5, -1, 0.2, 0.3, -0.5, 2, -2, 1], [4, 2]);
    const binary = () => tf.tensor2d([1, 0, 0, 1, 1, 1, 0, 0], [4, 2]);

    test('SigmoidBCE on logits: equals tf.losses.sigmoidCrossEntropy', () => {
      const ours = tfValueAndGrad((x) => tfjsLoss(new SigmoidBinaryCrossEntropyLoss())(binary(), x), pred);
      const theirs = tfValueAndGrad((x) => tf.losses.sigmoidCrossEntropy(binary(), x), pred);
      assertClose([ours.value], [theirs.value], 'value', 1e-6);
      assertClose(ours.gradient, theirs.gradient, 'gradient', 1e-5, 1e-7);
    });

    test('Huber (rho 1): equals tf.losses.huberLoss (delta 1)', () => {
      const ours = tfValueAndGrad((x) => tfjsLoss(new HuberLoss({ rho: 1 }))(target(), x), pred);
      const theirs = tfValueAndGrad((x) => tf.losses.huberLoss(target(), x, undefined, 1), pred);
      assertClose([ours.value], [theirs.value], 'value', 1e-6);
      assertClose(ours.gradient, theirs.gradient, 'gradient', 1e-5, 1e-7);
    });

    test('Hinge (labels ±1): equals tf.losses.hingeLoss (labels 0/1)', () => {
      const signs = tf.sub(tf.mul(binary(), 2), 1);
      const ours = tfValueAndGrad((x) => tfjsLoss(new HingeLoss())(signs, x), pred);
      const theirs = tfValueAndGrad((x) => tf.losses.hingeLoss(binary(), x), pred);
      assertClose([ours.value], [theirs.value], 'value', 1e-6);
      assertClose(ours.gradient, theirs.gradient, 'gradient', 1e-5, 1e-7);
    });

    test('L1 equals tf.losses.absoluteDifference; L2 equals half tf.losses.meanSquaredError', () => {
      const l1 = tfValueAndGrad((x) => tfjsLoss(new L1Loss())(target(), x), pred);
      const absolute = tfValueAndGrad((x) => tf.losses.absoluteDifference(target(), x), pred);
      assertClose([l1.value], [absolute.value], 'L1 value', 1e-6);
      assertClose(l1.gradient, absolute.gradient, 'L1 gradient', 1e-5, 1e-7);
      const l2 = tfValueAndGrad((x) => tfjsLoss(new L2Loss())(target(), x), pred);
      const squared = tfValueAndGrad((x) => tf.mul(tf.losses.meanSquaredError(target(), x), 0.5), pred);
      assertClose([l2.value], [squared.value], 'L2 value', 1e-6);
      assertClose(l2.gradient, squared.gradient, 'L2 gradient', 1e-5, 1e-7);
    });

    test('a head other than 1 scales the gradient (the loss inside a larger expression)', () => {
      const once = tfValueAndGrad((x) => tfjsLoss(new L2Loss())(target(), x), pred);
      const thrice = tfValueAndGrad((x) => tf.mul(tfjsLoss(new L2Loss())(target(), x), 3), pred);
      assertClose(
        thrice.gradient,
        Array.from(once.gradient, (g) => 3 * g),
        'gradient',
      );
    });
  });
}

describe('tfjsLoss: labels and layouts', () => {
  test('float class labels are cast to int32; a non-integer label is a ValueError naming it', () => {
    const adapted = tfjsLoss(new SoftmaxCrossEntropyLoss());
    const logits = tf.tensor2d([
      [1, 2, 3],
      [0, 1, 0],
    ]);
    assert.ok(Number.isFinite(adapted(tf.tensor1d([2, 1]), logits).dataSync()[0]!));
    assert.throws(
      () => adapted(tf.tensor1d([2, 1.5]), logits),
      (error: Error) =>
        error instanceof ValueError &&
        /tfjsLoss\(SoftmaxCrossEntropyLoss\): label\[1\] is 1\.5/.test(error.message),
    );
    const ctc = tfjsLoss(new CTCLoss(), { targets: { label: [2], labelLengths: [] } });
    assert.throws(
      () => ctc(tf.tensor2d([[0, 1, 0.5]]), tf.zeros([1, 4, 3])),
      (error: Error) =>
        error instanceof ValueError && /labelLengths of sample 0 holds 0\.5/.test(error.message),
    );
  });

  test('gloss validates the labels after the cast (a class index out of range)', () => {
    const adapted = tfjsLoss(new SoftmaxCrossEntropyLoss());
    assert.throws(() => adapted(tf.tensor1d([3]), tf.zeros([1, 3])), ValueError);
  });

  test('layouts naming unknown inputs, constants clashing with yTrue, unknown options: ValueError', () => {
    assert.throws(() => tfjsLoss(new L2Loss(), { targets: { lable: [] } }), /does not take/);
    assert.throws(() => tfjsLoss(new L2Loss(), { targets: { label: [-1] } }), ValueError);
    assert.throws(
      () => tfjsLoss(new L2Loss(), { constants: { label: 1 } }),
      /both in yTrue and in constants/,
    );
    assert.throws(() => tfjsLoss(new L2Loss(), { reduction: 'sum' } as never), /unknown option 'reduction'/);
    assert.throws(() => tfjsLoss(new L2Loss({ batchAxis: 1 }), { targets: { label: [2] } }), /batchAxis 1/);
  });

  test('inputs that do not fit in a row: ShapeError from packTargets and from the loss', () => {
    const layout = { label: [3], sampleWeight: [] };
    assert.throws(
      () => packTargets(layout, { label: [[1, 2, 3]], sampleWeight: [1] }, [3]),
      (error: Error) => error instanceof ShapeError && /needs 4 elements per sample/.test(error.message),
    );
    const adapted = tfjsLoss(new L2Loss(), { targets: layout });
    assert.throws(() => adapted(tf.zeros([2, 3]), tf.zeros([2, 3])), ShapeError);
    assert.throws(() => packTargets(layout, { label: [1, 2, 3, 4], sampleWeight: [1] }, [5]), ShapeError);
  });

  test('packTargets lays each sample out in layout order, then zeros', () => {
    const packed = packTargets(
      { label: [2], labelLengths: [], sampleWeight: [] },
      {
        label: [
          [1, 2],
          [3, -1],
        ],
        labelLengths: tf.tensor1d([2, 1]),
        sampleWeight: new Float32Array([0.5, 1]),
      },
      [3, 2],
    );
    assert.deepEqual(packed.shape, [2, 3, 2]);
    assert.deepEqual(Array.from(packed.dataSync()), [1, 2, 2, 0.5, 0, 0, 3, -1, 1, 1, 0, 0]);
  });
});
