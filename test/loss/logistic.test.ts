import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { LogisticLoss } from '../../src/loss/logistic.js';
import { SigmoidBinaryCrossEntropyLoss } from '../../src/loss/sigmoid-bce.js';
import {
  assertClose,
  assertConformance,
  assertGradients,
  assertSecondDerivative,
  f64,
  valueAndGradients,
} from './_elementwise-checks.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('LogisticLoss', () => {
  test('closed form: log(1 + exp(−pred·label)) for signed labels', () => {
    const out = new LogisticLoss().forward(
      f64([
        [0, 2],
        [-1, 3],
      ]),
      f64([
        [1, -1],
        [1, 1],
      ]),
    );
    assertClose(
      out.data,
      [(Math.log(2) + Math.log1p(Math.exp(2))) / 2, (Math.log1p(Math.E) + Math.log1p(Math.exp(-3))) / 2],
      1e-15,
      0,
      'signed',
    );
    const binary = new LogisticLoss({ labelFormat: 'binary' }).forward(f64([0.5, -2]), f64([0, 1]));
    assertClose(binary.data, [Math.log1p(Math.exp(0.5)), Math.log1p(Math.exp(2))], 1e-15, 0, 'binary');
    assert.equal(new LogisticLoss().labelFormat, 'signed');
  });

  test('gradient is sigmoid(pred) − z everywhere, including pred = 0', () => {
    const x = [0, 0, 1.5, -2];
    const signedLabels = [1, -1, 0, 1];
    const { grads } = valueAndGradients(new LogisticLoss(), [f64(x), f64(signedLabels)]);
    assertClose(
      grads[0]!.data,
      x.map((v, i) => sigmoid(v) - (signedLabels[i]! + 1) / 2),
      1e-15,
      1e-16,
      'signed d/dpred',
    );
    assertClose(
      grads[1]!.data,
      x.map((v) => -v / 2),
      1e-15,
      0,
      'signed d/dlabel',
    );
    const binaryLabels = [1, 0, 0.25, 1];
    const binary = valueAndGradients(new LogisticLoss({ labelFormat: 'binary' }), [
      f64(x),
      f64(binaryLabels),
    ]);
    assertClose(
      binary.grads[0]!.data,
      x.map((v, i) => sigmoid(v) - binaryLabels[i]!),
      1e-15,
      1e-16,
      'binary d/dpred',
    );
    assertClose(
      binary.grads[1]!.data,
      x.map((v) => -v),
      1e-15,
      0,
      'binary d/dlabel',
    );
  });

  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      assertConformance('cases/LogisticLoss.json', dtype);
      assertConformance('kinks.json', dtype, 'LogisticLoss');
      assertConformance('tutorial.json', dtype, 'LogisticLoss');
    });
  }

  test('MXNet test_logistic_loss_equal_bce (float32, atol 1e-6)', () => {
    const generator = new RandomGenerator(1234);
    const x = uniform(-10, 10, [100, 1], { generator });
    const z = uniform(0, 1, [100, 1], { generator }).greater(0.5).astype('float32');
    const bce = new SigmoidBinaryCrossEntropyLoss().forward(x, z);
    assertClose(new LogisticLoss({ labelFormat: 'binary' }).forward(x, z).data, bce.data, 0, 1e-6, 'binary');
    assertClose(
      new LogisticLoss({ labelFormat: 'signed' }).forward(x, z.mul(2).sub(1)).data,
      bce.data,
      0,
      1e-6,
      'signed',
    );
  });

  test('identity: signed(x, 2z − 1) = binary(x, z) = SigmoidBCE(x, z), soft labels and gradients too', () => {
    const generator = new RandomGenerator(7);
    const x = uniform(-6, 6, [5, 3], { dtype: 'float64', generator });
    const z = uniform(0, 1, [5, 3], { dtype: 'float64', generator });
    const binary = valueAndGradients(new LogisticLoss({ labelFormat: 'binary' }), [x, z]);
    const signed = valueAndGradients(new LogisticLoss(), [x, z.mul(2).sub(1)]);
    const bce = valueAndGradients(new SigmoidBinaryCrossEntropyLoss(), [x, z]);
    assertClose(signed.loss.data, binary.loss.data, 1e-14, 0, 'signed vs binary');
    assertClose(bce.loss.data, binary.loss.data, 1e-15, 0, 'bce vs binary');
    assertClose(signed.grads[0]!.data, binary.grads[0]!.data, 1e-14, 1e-17, 'd/dpred signed vs binary');
    assertClose(bce.grads[0]!.data, binary.grads[0]!.data, 1e-15, 0, 'd/dpred bce vs binary');
    assertClose(
      signed.grads[1]!.data,
      Array.from(binary.grads[1]!.data, (g) => g / 2),
      1e-15,
      0,
      'd/dlabel: dz/dlabel = 1/2',
    );
  });

  test('gradients match finite differences and the twin (both label formats)', () => {
    const generator = new RandomGenerator(23);
    const x = uniform(-4, 4, [3, 4], { dtype: 'float64', generator });
    const signed = uniform(-1, 1, [3, 4], { dtype: 'float64', generator });
    const binary = uniform(0, 1, [3, 4], { dtype: 'float64', generator });
    const weight = uniform(0.5, 2, [3, 1], { dtype: 'float64', generator });
    assertGradients(new LogisticLoss(), [x, signed, weight]);
    assertGradients(new LogisticLoss({ labelFormat: 'binary', weight: 0.3, batchAxis: 1 }), [x, binary]);
  });

  test('second derivatives: sigmoid′(pred) (double backward vs finite differences)', () => {
    const x = f64([
      [0, -1.5, 2],
      [0.3, 4, -0.2],
    ]);
    const z = f64([
      [1, -1, 0.5],
      [-1, 1, 0],
    ]);
    for (const labelFormat of ['signed', 'binary'] as const) {
      const loss = new LogisticLoss({ labelFormat });
      assertSecondDerivative(loss, [x, z], [0, 1], 0, 0);
      assertSecondDerivative(loss, [x, z], [0, 1], 0, 1);
    }
  });

  test('extreme logits: exact values, no overflow and no cancellation', () => {
    for (const magnitude of [88, 1e4, 1e30]) {
      const x = f64([magnitude, magnitude, -magnitude, -magnitude]);
      const { loss, grads } = valueAndGradients(new LogisticLoss(), [x, f64([1, -1, 1, -1])]);
      const tiny = Math.log1p(Math.exp(-magnitude));
      assertClose(
        loss.data,
        [tiny, magnitude + tiny, magnitude + tiny, tiny],
        1e-15,
        0,
        `loss at ${magnitude}`,
      );
      assertClose(
        grads[0]!.data,
        [-sigmoid(-magnitude), 1 - sigmoid(-magnitude), -1 + sigmoid(-magnitude), sigmoid(-magnitude)],
        1e-15,
        0,
        `d/dpred at ${magnitude}`,
      );
    }
    // log(1 + e^−88) ≈ 6.05e-39 survives: softplus(x) − x·z would round it to 0.
    assert.ok(new LogisticLoss().forward(f64([88]), f64([1])).data[0]! > 6e-39);
    const float32 = new LogisticLoss().forward(
      uniform(-88, 88, [4], { generator: new RandomGenerator(2) }),
      f64([1, -1, 1, -1]).astype('float32'),
    );
    assert.ok(Array.from(float32.data).every(Number.isFinite));
  });

  test('NaN stays in its own sample', () => {
    const { loss, grads } = valueAndGradients(new LogisticLoss(), [
      f64([
        [Number.NaN, 0],
        [0, 0],
      ]),
      f64([
        [1, 1],
        [1, -1],
      ]),
    ]);
    assert.ok(Number.isNaN(loss.data[0]!));
    assertClose([loss.data[1]!], [Math.log(2)], 1e-15, 0, 'clean sample');
    assertClose(grads[0]!.data.subarray(2), [-0.25, 0.25], 1e-15, 0, 'clean gradients');
  });

  test('errors: labelFormat (case-sensitive), label count', () => {
    for (const labelFormat of ['Signed', 'BINARY', 'foo', 1, null]) {
      assert.throws(
        () => new LogisticLoss({ labelFormat: labelFormat as never }),
        (e: Error) =>
          e instanceof ValueError &&
          e.message.startsWith('LogisticLoss') &&
          e.message.includes('labelFormat'),
      );
    }
    assert.throws(() => new LogisticLoss().forward(f64([[1, 2]]), f64([1, 2, 3])), ShapeError);
  });
});
