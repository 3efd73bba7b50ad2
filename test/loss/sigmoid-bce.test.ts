import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { grad, record } from '../../src/autograd/index.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { RandomGenerator, randint, uniform } from '../../src/ndarray/random.js';
import { SigmoidBCELoss } from '../../src/loss/exports.js';
import { SigmoidBinaryCrossEntropyLoss } from '../../src/loss/sigmoid-bce.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import {
  assertClose,
  assertConformance,
  assertGradients,
  assertSecondDerivative,
  f32,
  f64,
  valueAndGradients,
} from './_elementwise-checks.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

describe('SigmoidBinaryCrossEntropyLoss', () => {
  test('is exported as SigmoidBCELoss too', () => {
    assert.equal(SigmoidBCELoss, SigmoidBinaryCrossEntropyLoss);
    assert.equal(new SigmoidBCELoss().name, 'SigmoidBinaryCrossEntropyLoss');
  });

  test('closed forms: logits, posWeight, probabilities', () => {
    const out = new SigmoidBinaryCrossEntropyLoss().forward(f64([[0, 2]]), f64([[1, 0]]));
    assertClose(out.data, [(Math.log(2) + Math.log1p(Math.exp(2))) / 2], 1e-15, 0, 'logits');
    // p·z·softplus(−x) + (1 − z)·softplus(x) with a [1, 2] posWeight against [2, 2].
    const x = [0.5, -1, 2, 0.25];
    const z = [1, 0.5, 0, 0.75];
    const p = [3, 0.5];
    const withPos = new SigmoidBinaryCrossEntropyLoss().forward(
      f64([x.slice(0, 2), x.slice(2)]),
      f64([z.slice(0, 2), z.slice(2)]),
      null,
      f64([p]),
    );
    const element = (i: number) => p[i % 2]! * z[i]! * softplus(-x[i]!) + (1 - z[i]!) * softplus(x[i]!);
    assertClose(
      withPos.data,
      [(element(0) + element(1)) / 2, (element(2) + element(3)) / 2],
      1e-15,
      0,
      'posWeight',
    );
    const probability = new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }).forward(
      f64([0.2, 0.9]),
      f64([1, 0.3]),
    );
    assertClose(
      probability.data,
      [-Math.log(0.2 + 1e-12), -(0.3 * Math.log(0.9 + 1e-12) + 0.7 * Math.log(0.1 + 1e-12))],
      1e-15,
      0,
      'fromSigmoid',
    );
  });

  test('gradient at pred = 0 is the true one: 0.5 − z, and 1 − z − (1 + (p − 1)·z)/2 with posWeight', () => {
    const { grads } = valueAndGradients(new SigmoidBinaryCrossEntropyLoss(), [
      f64([0, 0, 0]),
      f64([1, 0, 0.3]),
    ]);
    assertClose(grads[0]!.data, [-0.5, 0.5, 0.2], 1e-15, 0, 'd/dpred');
    const weighted = valueAndGradients(new SigmoidBinaryCrossEntropyLoss(), [
      f64([[0, 0]]),
      f64([[1, 0.5]]),
      null,
      f64([2, 4]),
    ]);
    assertClose(
      weighted.grads[0]!.data,
      [(1 - 1 - 0.5 * 2) / 2, (1 - 0.5 - 0.5 * 2.5) / 2],
      1e-15,
      0,
      'd/dpred with posWeight',
    );
    // d/dposWeight = z·softplus(−x)/M
    assertClose(
      weighted.grads[2]!.data,
      [Math.log(2) / 2, (0.5 * Math.log(2)) / 2],
      1e-15,
      0,
      'd/dposWeight',
    );
  });

  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      assertConformance('cases/SigmoidBinaryCrossEntropyLoss.json', dtype);
      assertConformance('kinks.json', dtype, 'SigmoidBinaryCrossEntropyLoss');
      assertConformance('tutorial.json', dtype, 'SigmoidBinaryCrossEntropyLoss');
    });
  }

  test('MXNet test_bce_loss: elementwise −z·log σ − (1 − z)·log(1 − σ) with soft labels', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const generator = new RandomGenerator(11);
      const x = uniform(-5, 5, [10], { dtype, generator });
      const z = uniform(0, 1, [10], { dtype, generator });
      const out = new SigmoidBinaryCrossEntropyLoss().forward(x, z);
      const expected = Array.from(
        x.data,
        (v, i) => -z.data[i]! * Math.log(sigmoid(v)) - (1 - z.data[i]!) * Math.log(1 - sigmoid(v)),
      );
      assertClose(
        out.data,
        expected,
        dtype === 'float32' ? 1e-4 : 1e-12,
        dtype === 'float32' ? 1e-5 : 0,
        dtype,
      );
    }
  });

  test('MXNet test_bce_loss_with_pos_weight: mean over axis 1 of −z·log σ·pw − (1 − z)·log(1 − σ)', () => {
    const generator = new RandomGenerator(12);
    const n = 17;
    const x = uniform(-5, 5, [n, 5], { generator });
    const z = randint(0, 2, [n, 5], { dtype: 'float32', generator });
    const posWeight = uniform(0, 10, [1, 5], { generator });
    const out = new SigmoidBinaryCrossEntropyLoss().forward(x, z, null, posWeight);
    const expected = Array.from({ length: n }, (_, row) => {
      let total = 0;
      for (let c = 0; c < 5; c++) {
        const s = sigmoid(x.data[row * 5 + c]!);
        const label = z.data[row * 5 + c]!;
        total += -label * Math.log(s) * posWeight.data[c]! - (1 - label) * Math.log(1 - s);
      }
      return total / 5;
    });
    assertClose(out.data, expected, 1e-4, 1e-5, 'pos_weight');
  });

  test('identities: fromSigmoid(sigmoid(x)) ≈ logits(x); posWeight of ones changes nothing', () => {
    const generator = new RandomGenerator(13);
    const x = uniform(-4, 4, [4, 3], { dtype: 'float64', generator });
    const z = uniform(0, 1, [4, 3], { dtype: 'float64', generator });
    const logits = new SigmoidBinaryCrossEntropyLoss().forward(x, z);
    const probabilities = new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }).forward(x.sigmoid(), z);
    assertClose(probabilities.data, logits.data, 1e-9, 0, 'probabilities vs logits');
    const ones = new SigmoidBinaryCrossEntropyLoss().forward(x, z, null, f64([[1, 1, 1]]));
    assertClose(ones.data, logits.data, 1e-15, 0, 'posWeight ones');
  });

  test('gradients match finite differences and the twin (logits, posWeight shapes, probabilities)', () => {
    const generator = new RandomGenerator(24);
    const x = uniform(-3, 3, [3, 4], { dtype: 'float64', generator });
    const z = uniform(0, 1, [3, 4], { dtype: 'float64', generator });
    const sampleWeight = uniform(0.5, 2, [3, 1], { dtype: 'float64', generator });
    const loss = new SigmoidBinaryCrossEntropyLoss();
    assertGradients(loss, [x, z, sampleWeight]);
    for (const shape of [[1, 4], [4], [3, 4], [1], [3, 1]]) {
      const posWeight = uniform(0.2, 3, shape, { dtype: 'float64', generator });
      assertGradients(loss, [x, z, posWeight], [0, 1, 3]);
    }
    assertGradients(loss, [x, z, sampleWeight, f64([0.5, 2, 1, 3])], [0, 1, 2, 3]);
    const x3 = uniform(-3, 3, [2, 3, 4], { dtype: 'float64', generator });
    const z3 = uniform(0, 1, [2, 3, 4], { dtype: 'float64', generator });
    assertGradients(
      new SigmoidBinaryCrossEntropyLoss({ batchAxis: 1 }),
      [x3, z3, f64([[2], [0.5], [1.5]])],
      [0, 1, 3],
    );
    const probability = uniform(0.05, 0.95, [3, 4], { dtype: 'float64', generator });
    const fromSigmoid = new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true, weight: 0.7 });
    assertGradients(fromSigmoid, [probability, z]);
    assertGradients(fromSigmoid, [probability, z, f64([[0.5, 2, 1, 3]])], [0, 1, 3]);
  });

  for (const backend of ['wasm', 'js'] as const) {
    test(`float32 logits through the kernel layer (${backend}): every posWeight broadcast agrees with float64`, () => {
      setKernelBackend(backend);
      try {
        const generator = new RandomGenerator(31);
        // 1200 elements per sample: one block per sample, six blocks summed into a broadcast
        // posWeight's gradient; 30 classes leave a ragged last vector.
        const shape = [6, 40, 30];
        const x = uniform(-6, 6, shape, { dtype: 'float32', generator });
        const z = uniform(0, 1, shape, { dtype: 'float32', generator });
        const sampleWeight = uniform(0.5, 2, [6], { dtype: 'float32', generator });
        const loss = new SigmoidBinaryCrossEntropyLoss();
        const wide = (a: NDArray) => a.astype('float64');
        for (const weightShape of [
          [30],
          [1, 30],
          [1, 1, 30],
          [6, 1, 1],
          [6, 1, 30],
          [1, 40, 1],
          [1],
          shape,
        ]) {
          const posWeight = uniform(0.2, 3, weightShape, { dtype: 'float32', generator });
          const got = valueAndGradients(loss, [x, z, sampleWeight, posWeight]);
          const want = valueAndGradients(loss, [wide(x), wide(z), wide(sampleWeight), wide(posWeight)]);
          const what = `posWeight ${JSON.stringify(weightShape)}`;
          assertClose(got.loss.data, want.loss.data, 2e-6, 0, `${what} loss`);
          const names = ['pred', 'label', 'sampleWeight', 'posWeight'];
          got.grads.forEach((g, i) => {
            const reference = want.grads[i]!.data;
            const scale = Array.from(reference).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            assertClose(g.data, reference, 2e-5, 1e-6 * scale, `${what} d${names[i]}`);
          });
          // The same through backward(), which writes straight into the variables' .grad.
          const out = record(() => loss.forward(x, z, sampleWeight, posWeight));
          out.backward();
          assertClose(x.grad!.data, got.grads[0]!.data, 0, 0, `${what} x.grad`);
          assertClose(posWeight.grad!.data, got.grads[3]!.data, 0, 0, `${what} posWeight.grad`);
        }
      } finally {
        setKernelBackend('auto');
      }
    });
  }

  test('second derivatives (double backward vs finite differences)', () => {
    const x = f64([
      [0, -1.5, 2],
      [0.3, 4, -0.2],
    ]);
    const z = f64([
      [1, 0, 0.5],
      [0.2, 1, 0],
    ]);
    const posWeight = f64([[2, 0.5, 1.5]]);
    const loss = new SigmoidBinaryCrossEntropyLoss();
    assertSecondDerivative(loss, [x, z], [0, 1], 0, 0);
    assertSecondDerivative(loss, [x, z, posWeight], [0, 1, 3], 0, 0);
    assertSecondDerivative(loss, [x, z, posWeight], [0, 1, 3], 0, 2);
    assertSecondDerivative(loss, [x, z, posWeight], [0, 1, 3], 2, 1);
    const probability = f64([
      [0.1, 0.5, 0.8],
      [0.3, 0.95, 0.6],
    ]);
    const fromSigmoid = new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true });
    assertSecondDerivative(fromSigmoid, [probability, z, posWeight], [0, 1, 3], 0, 0, {
      rtol: 1e-5,
      atol: 1e-6,
    });
    assertSecondDerivative(fromSigmoid, [probability, z, posWeight], [0, 1, 3], 0, 1);
  });

  test('extreme logits: exact and finite with posWeight; probabilities at 0 and 1', () => {
    for (const magnitude of [88, 1e4, 1e30]) {
      const x = f64([[magnitude, magnitude, -magnitude, -magnitude]]);
      const z = f64([[1, 0, 1, 0]]);
      const posWeight = f64([2, 2, 2, 2]);
      const { loss, grads } = valueAndGradients(new SigmoidBinaryCrossEntropyLoss(), [x, z, null, posWeight]);
      const tiny = Math.log1p(Math.exp(-magnitude));
      assertClose(
        loss.data,
        [(2 * tiny + magnitude + tiny + 2 * (magnitude + tiny) + tiny) / 4],
        1e-15,
        0,
        `loss at ${magnitude}`,
      );
      for (const g of grads)
        assert.ok(Array.from(g.data).every(Number.isFinite), `gradients at ${magnitude}`);
      assertClose(
        grads[0]!.data,
        [
          (-2 * sigmoid(-magnitude)) / 4,
          sigmoid(magnitude) / 4,
          (-2 * sigmoid(magnitude)) / 4,
          sigmoid(-magnitude) / 4,
        ],
        1e-15,
        0,
        `d/dpred at ${magnitude}`,
      );
    }
    const float32 = new SigmoidBinaryCrossEntropyLoss().forward(
      f32([
        [88, -88],
        [-88, 88],
      ]),
      f32([
        [0, 0],
        [1, 1],
      ]),
    );
    assertClose(float32.data, [44, 44], 1e-6, 0, 'float32 at ±88');
    const { loss, grads } = valueAndGradients(new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }), [
      f64([0, 1, 0, 1]),
      f64([1, 0, 0, 1]),
    ]);
    const big = -Math.log(1e-12);
    assertClose(
      loss.data,
      [big, big, -Math.log(1 + 1e-12), -Math.log(1 + 1e-12)],
      1e-12,
      0,
      'fromSigmoid endpoints',
    );
    assertClose(
      grads[0]!.data,
      [-1e12, 1e12, 1 / (1 + 1e-12), -1 / (1 + 1e-12)],
      1e-9,
      0,
      'fromSigmoid endpoint gradients',
    );
  });

  test('fromSigmoid: a term at 0·log 0 is 0, not NaN', () => {
    // pred = −1e-12 makes pred + 1e-12 exactly 0, with label 0 multiplying its log.
    const inputs = [f64([-1e-12, 0.5]), f64([0, 1])];
    const { loss, grads } = valueAndGradients(
      new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }),
      inputs,
    );
    assertClose(loss.data, [-Math.log(1 + 1e-12 + 1e-12), -Math.log(0.5 + 1e-12)], 1e-15, 0, 'loss');
    assertClose(grads[0]!.data, [1 / (1 + 2e-12), -1 / (0.5 + 1e-12)], 1e-12, 0, 'd/dpred');
    assert.ok(Array.from(grads[1]!.data).every(Number.isFinite), `d/dlabel ${grads[1]!.data}`);
    const variables = [f64([-1e-12, 0.5]).attachGrad(), f64([0, 1]).attachGrad()];
    const reference = record(() =>
      new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }).reference(...variables),
    );
    assertClose(reference.data, loss.data, 1e-15, 0, 'twin loss');
    const twinGrads = grad(reference, variables);
    assertClose(twinGrads[0]!.data, grads[0]!.data, 1e-15, 0, 'twin d/dpred');
    assertClose(twinGrads[1]!.data, grads[1]!.data, 1e-15, 0, 'twin d/dlabel');
  });

  test('fromSigmoid: a finite probability where Gluon’s formula is NaN (below −1e-12, above 1 + 1e-12) is a ValueError naming pred, its position and value; recorded or not', () => {
    // PyTorch's BCELoss rejects every p outside [0, 1]; gloss keeps Gluon's value within its 1e-12.
    for (const [bad, position] of [
      [[-2e-12, 0.5], 0],
      [[0.5, 1 + 3e-12], 1],
      [[0.2, 1.5], 1],
      [[-0.5, 0.3], 0],
    ] as const) {
      for (const posWeight of [null, f64([2, 1])]) {
        for (const recorded of [false, true]) {
          const pred = f64([[...bad]]);
          if (recorded) pred.attachGrad();
          const loss = new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true });
          const run = () => loss.forward(pred, f64([[1, 0]]), null, posWeight);
          assert.throws(
            () => (recorded ? record(run) : run()),
            (error: Error) =>
              error instanceof ValueError &&
              error.message.startsWith(
                `SigmoidBinaryCrossEntropyLoss: pred at flat position ${position} is ${bad[position]}; probabilities must lie in [0, 1]`,
              ),
          );
        }
      }
      assert.throws(
        () =>
          new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }).reference(f64([[...bad]]), f64([[1, 0]])),
        ValueError,
      );
    }
    // Within 1e-12 of [0, 1], Gluon's finite value; logits take any real.
    const near = new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }).forward(
      f64([[-5e-13, 1 + 5e-13]]),
      f64([[1, 0]]),
    );
    const gluon = (-Math.log(-5e-13 + 1e-12) - Math.log(1 - (1 + 5e-13) + 1e-12)) / 2;
    assertClose(near.data, [gluon], 1e-14, 0, 'Gluon’s value within 1e-12 of the ends');
    assert.ok(
      Number.isFinite(
        new SigmoidBinaryCrossEntropyLoss().forward(f64([[1.5, -0.5]]), f64([[1, 0]])).data[0]!,
      ),
    );
  });

  test('NaN stays in its own sample, posWeight included', () => {
    const x = f64([
      [Number.NaN, 0],
      [0, 1],
    ]);
    const { loss, grads } = valueAndGradients(new SigmoidBinaryCrossEntropyLoss(), [
      x,
      f64([
        [1, 0],
        [1, 0],
      ]),
      null,
      f64([2, 3]),
    ]);
    assert.ok(Number.isNaN(loss.data[0]!));
    assertClose([loss.data[1]!], [(2 * Math.log(2) + softplus(1)) / 2], 1e-15, 0, 'clean sample');
    assertClose(grads[0]!.data.subarray(2), [-0.5, sigmoid(1) / 2], 1e-15, 0, 'clean gradients');
    assert.ok(Number.isNaN(grads[2]!.data[0]!), 'posWeight column 0 sees the NaN sample');
  });

  test('errors: fromSigmoid not boolean, label count, posWeight that enlarges or does not broadcast', () => {
    for (const fromSigmoid of [1, 'true', null]) {
      assert.throws(
        () => new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: fromSigmoid as never }),
        ValueError,
      );
    }
    const loss = new SigmoidBinaryCrossEntropyLoss();
    const x = f64([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const z = f64([
      [1, 0],
      [1, 0],
      [1, 0],
    ]);
    assert.throws(() => loss.forward(x, f64([1, 0])), ShapeError);
    for (const shape of [[2, 2], [1, 3, 2], [3], [3, 2, 1]]) {
      assert.throws(
        () =>
          loss.forward(x, z, null, f64(new Array(shape.reduce((a, b) => a * b, 1)).fill(1)).reshape(shape)),
        (e: Error) =>
          e instanceof ShapeError && e.message.startsWith('SigmoidBinaryCrossEntropyLoss: posWeight'),
        `posWeight ${shape}`,
      );
    }
  });

  test('integer labels and posWeight: the values and pred gradient of their float copies, the same output dtype', () => {
    const generator = new RandomGenerator(23);
    const labels = randint(0, 2, [5, 40], { generator });
    const weights = randint(0, 4, [1, 40], { generator });
    const asFloat64 = (x: NDArray) => new NDArray(Float64Array.from(x.data), x.shape);
    for (const fromSigmoid of [false, true]) {
      const loss = new SigmoidBinaryCrossEntropyLoss({ fromSigmoid });
      const x = fromSigmoid
        ? uniform(0.05, 0.95, [5, 40], { dtype: 'float64', generator })
        : uniform(-4, 4, [5, 40], { dtype: 'float64', generator });
      for (const posWeight of [null, weights]) {
        const x1 = new NDArray(Float64Array.from(x.data), x.shape).attachGrad();
        const got = record(() => loss.forward(x1, labels, null, posWeight));
        const [dGot] = grad(got, [x1]);
        const x2 = new NDArray(Float64Array.from(x.data), x.shape).attachGrad();
        const want = record(() =>
          loss.forward(x2, asFloat64(labels), null, posWeight && asFloat64(posWeight)),
        );
        const [dWant] = grad(want, [x2]);
        const what = `fromSigmoid ${fromSigmoid}, posWeight ${posWeight ? 'int32' : 'none'}`;
        assertClose(got.data, want.data, 0, 0, `${what}: loss`);
        assertClose(dGot!.data, dWant!.data, 0, 0, `${what}: d/dpred`);
      }
      // Every input int32: the output is float32, as for any loss without a float input.
      assert.equal(
        loss.forward(randint(0, 2, [2, 3], { generator }), randint(0, 2, [2, 3], { generator })).dtype,
        'float32',
      );
    }
  });
});

describe('SigmoidBinaryCrossEntropyLoss labelSmoothing (Keras)', () => {
  const generator = new RandomGenerator(31);
  const pred = uniform(-3, 3, [3, 4], { dtype: 'float64', generator });
  const label = randint(0, 2, [3, 4], { dtype: 'float64', generator });
  const smoothed = (epsilon: number) => label.mul(1 - epsilon).add(epsilon / 2);

  test('ε = 0 is the default, and ε smooths the label to z·(1 − ε) + ε/2, logits and probabilities', () => {
    for (const fromSigmoid of [false, true]) {
      const x = fromSigmoid ? pred.sigmoid() : pred;
      assert.deepEqual(
        Array.from(
          new SigmoidBinaryCrossEntropyLoss({ fromSigmoid, labelSmoothing: 0 }).forward(x, label).data,
        ),
        Array.from(new SigmoidBinaryCrossEntropyLoss({ fromSigmoid }).forward(x, label).data),
      );
      assertClose(
        new SigmoidBinaryCrossEntropyLoss({ fromSigmoid, labelSmoothing: 0.2 }).forward(x, label).data,
        new SigmoidBinaryCrossEntropyLoss({ fromSigmoid }).forward(x, smoothed(0.2)).data,
        1e-15,
        1e-16,
        `fromSigmoid ${fromSigmoid}`,
      );
    }
  });

  test("the label's gradient is (1 − ε) times that of the smoothed label; pred's is σ(x) − z'", () => {
    const epsilon = 0.3;
    const x = pred.copy().attachGrad();
    const z = label.copy().attachGrad();
    const out = record(() => new SigmoidBinaryCrossEntropyLoss({ labelSmoothing: epsilon }).forward(x, z));
    const [dPred, dLabel] = grad(out, [x, z]);
    const reference = smoothed(epsilon).attachGrad();
    const x2 = pred.copy().attachGrad();
    const [dPred2, dSmoothed] = grad(
      record(() => new SigmoidBinaryCrossEntropyLoss().forward(x2, reference)),
      [x2, reference],
    );
    assertClose(dPred!.data, dPred2!.data, 1e-15, 1e-17, 'd/dpred');
    assertClose(
      dLabel!.data,
      Array.from(dSmoothed!.data, (v) => v * (1 - epsilon)),
      1e-15,
      1e-17,
      'd/dlabel',
    );
  });

  test("float32: a label slope past float32's range still gives the label its scaled gradient (1 − ε) · slope", () => {
    // Logits: ∂ℓ/∂z' = (p − 1)·softplus(−x) − x = 2.15 · 3.4e38 at x = −3.4e38, beyond float32;
    // times 1 − ε = 0.01 it is 7.3e36. Probabilities: −p · log(0 + 1e-12) = 3e38 · 27.6, times 0.01.
    const cases = [
      { fromSigmoid: false, pred: -3.4e38, posWeight: 2.15 },
      { fromSigmoid: true, pred: 0, posWeight: 3e38 },
    ];
    for (const backend of ['wasm', 'js'] as const) {
      setKernelBackend(backend);
      try {
        for (const { fromSigmoid, pred, posWeight } of cases) {
          const gradients = (dtype: 'float32' | 'float64') => {
            const x = new NDArray(
              dtype === 'float32' ? Float32Array.of(pred, 0.5) : Float64Array.of(pred, 0.5),
              [2],
            );
            const z = new NDArray(
              dtype === 'float32' ? Float32Array.of(0.46, 0.3) : Float64Array.of(0.46, 0.3),
              [2],
            ).attachGrad();
            const w = new NDArray(
              dtype === 'float32' ? Float32Array.of(posWeight, 1) : Float64Array.of(posWeight, 1),
              [2],
            );
            const loss = new SigmoidBinaryCrossEntropyLoss({
              fromSigmoid,
              labelSmoothing: 0.99,
              reduction: 'none',
            });
            const [dLabel] = grad(
              record(() => loss.forward(x, z, null, w)),
              [z],
            );
            return Array.from(dLabel!.data);
          };
          const wide = gradients('float64');
          assert.ok(Math.abs(wide[0]!) > 1e36 && Math.abs(wide[0]!) < 3e38, `${fromSigmoid}: ${wide[0]}`);
          const narrow = gradients('float32');
          for (const [i, v] of narrow.entries())
            assert.ok(
              Math.abs(v - wide[i]!) <= 1e-6 * Math.abs(wide[i]!),
              `[${backend}] fromSigmoid ${fromSigmoid} [${i}]: ${v} vs ${wide[i]}`,
            );
        }
      } finally {
        setKernelBackend('auto');
      }
    }
  });

  test('ε outside [0, 1) is a ValueError naming labelSmoothing', () => {
    for (const labelSmoothing of [-0.1, 1, 1.5, Number.NaN]) {
      assert.throws(
        () => new SigmoidBinaryCrossEntropyLoss({ labelSmoothing }),
        (e: Error) => e instanceof ValueError && /labelSmoothing/.test(e.message),
      );
    }
  });
});
