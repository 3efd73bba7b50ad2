import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { KLDivLoss } from '../../src/loss/kl-div.js';
import { SoftmaxCrossEntropyLoss } from '../../src/loss/softmax-ce.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { array } from '../../src/ndarray/create.js';
import { normal, RandomGenerator } from '../../src/ndarray/random.js';
import { assertFusedGradients, assertSecondDerivative, lossAndGradients } from './_closure-checks.js';
import { assertClose, assertConformance, f32, f64 } from './_elementwise-checks.js';

const NAME = 'KLDivLoss';

/** Random float64 logits. */
function logits(seed: number, shape: number[], scale = 1.5): NDArray {
  return normal(0, scale, shape, { dtype: 'float64', generator: new RandomGenerator(seed) });
}

/** A random distribution along `axis`, bounded away from 0. */
function distribution(seed: number, shape: number[], axis = -1): NDArray {
  return logits(seed, shape, 0.8).softmax(axis);
}

const TUTORIAL_OUTPUT = [[0.39056206, 1.3068528, 0.39056206, -0.30258512]];
const TUTORIAL_TARGET = [[0.3, 0.4, 0.1, 0.2]];

describe('KLDivLoss', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      assertConformance(`cases/${NAME}.json`, dtype);
      assertConformance('tutorial.json', dtype, NAME);
    });
  }

  test('the tutorial example: 0.0254242 (Gluon mean), true KL 0.1016968 with classReduction "sum"', () => {
    for (const make of [f32, f64]) {
      const output = make(TUTORIAL_OUTPUT);
      const target = make(TUTORIAL_TARGET);
      const mean = new KLDivLoss({ fromLogits: false }).forward(output, target);
      const sum = new KLDivLoss({ fromLogits: false, classReduction: 'sum' }).forward(output, target);
      assert.deepEqual(mean.shape, [1]);
      assertClose(mean.data, [0.0254242], 1e-5, 0, `mean ${output.dtype}`);
      assertClose(sum.data, [0.1016968], 1e-5, 0, `sum ${output.dtype}`);
    }
    // float64 against the conformance oracle and the closed form Σ t·ln(t/p), p = (0.2, 0.5, 0.2, 0.1).
    const sum = new KLDivLoss({ fromLogits: false, classReduction: 'sum' }).forward(
      f64(TUTORIAL_OUTPUT),
      f64(TUTORIAL_TARGET),
    );
    assertClose(sum.data, [0.10169683072335003], 1e-12, 0, 'oracle');
    const closedForm = 0.3 * Math.log(1.5) + 0.4 * Math.log(0.8) + 0.1 * Math.log(0.5) + 0.2 * Math.log(2);
    assertClose(sum.data, [closedForm], 1e-7, 0, 'closed form (the logits are rounded to 8 digits)');
  });

  test('the true KL is Σ_c t·log(t/p) per distribution; the Gluon mean divides it by C', () => {
    const pred = logits(1, [3, 5]);
    const label = distribution(2, [3, 5]);
    const logP = pred.logSoftmax(-1);
    const expected = [0, 1, 2].map((n) => {
      let total = 0;
      for (let c = 0; c < 5; c++)
        total += label.data[n * 5 + c]! * (Math.log(label.data[n * 5 + c]!) - logP.data[n * 5 + c]!);
      return total;
    });
    const sum = new KLDivLoss({ fromLogits: false, classReduction: 'sum' }).forward(pred, label);
    assertClose(sum.data, expected, 1e-10, 1e-14, 'true KL');
    const mean = new KLDivLoss({ fromLogits: false }).forward(pred, label);
    assertClose(
      mean.data,
      expected.map((v) => v / 5),
      1e-10,
      1e-14,
      'Gluon mean',
    );
    // From log-probabilities directly (the default fromLogits: true) it is the same number.
    assertClose(
      new KLDivLoss({ classReduction: 'sum' }).forward(logP, label).data,
      expected,
      1e-10,
      1e-14,
      'fromLogits',
    );
  });

  test('true KL = dense SoftmaxCE − label entropy, and KL(p‖p) ≈ 0', () => {
    const pred = logits(3, [4, 6]);
    const label = distribution(4, [4, 6]);
    const kl = new KLDivLoss({ fromLogits: false, classReduction: 'sum' }).forward(pred, label);
    const ce = new SoftmaxCrossEntropyLoss({ sparseLabel: false }).forward(pred, label);
    const entropy = [0, 1, 2, 3].map((n) => {
      let h = 0;
      for (let c = 0; c < 6; c++) h -= label.data[n * 6 + c]! * Math.log(label.data[n * 6 + c]!);
      return h;
    });
    assertClose(
      kl.data,
      Array.from(ce.data, (v, n) => v - entropy[n]!),
      1e-9,
      1e-11,
      'KL = CE − H',
    );
    const self = new KLDivLoss({ fromLogits: false, classReduction: 'sum' }).forward(pred, pred.softmax(-1));
    assertClose(self.data, [0, 0, 0, 0], 0, 1e-11, 'KL(p‖p)');
  });

  test('gradients: fused vs finite differences vs twin, across options and label shapes', () => {
    const configurations: { options: object; pred: NDArray; label: NDArray; weight?: NDArray }[] = [
      { options: {}, pred: distribution(5, [3, 4]).log(), label: distribution(6, [3, 4]) },
      { options: { fromLogits: false }, pred: logits(7, [3, 4]), label: distribution(8, [3, 4]) },
      {
        options: { fromLogits: false, axis: 1 },
        pred: logits(9, [2, 3, 2]),
        label: distribution(10, [2, 3, 2], 1),
      },
      { options: { fromLogits: false }, pred: logits(11, [3, 4]), label: distribution(12, [1, 4]) },
      {
        options: { classReduction: 'sum', fromLogits: false, axis: 1 },
        pred: logits(13, [2, 3, 2]),
        label: distribution(14, [3, 1], 0),
      },
      {
        options: { classReduction: 'sum', axis: 0, batchAxis: 1 },
        pred: distribution(15, [3, 4], 0).log(),
        label: distribution(16, [3, 4], 0),
      },
      {
        options: { weight: 1.5, fromLogits: false },
        pred: logits(17, [3, 4]),
        label: distribution(18, [3, 4]),
        weight: f64([[1], [0.5], [2]]),
      },
      {
        options: { classReduction: 'sum', fromLogits: false },
        pred: logits(19, [3, 4]),
        label: distribution(20, [3, 4]),
        weight: f64([2, 0.5, 1]),
      },
    ];
    for (const { options, pred, label, weight } of configurations) {
      assertFusedGradients(new KLDivLoss(options), ([p, z]) => [p!, z!, weight ?? null], [pred, label]);
    }
  });

  test('second derivatives through autograd.grad({ createGraph }) match finite differences', () => {
    const loss = new KLDivLoss({ fromLogits: false, axis: 1, classReduction: 'sum' });
    const inputs = [logits(21, [2, 3, 2]), distribution(22, [2, 3, 2], 1)];
    assertSecondDerivative(loss, ([p, z]) => [p!, z!], inputs, 0, 0);
    assertSecondDerivative(loss, ([p, z]) => [p!, z!], inputs, 1, 1);
    assertSecondDerivative(loss, ([p, z]) => [p!, z!], inputs, 1, 0);
  });

  test('a label broadcast over the batch equals the tiled label; its gradient is summed back', () => {
    const pred = logits(23, [3, 4]);
    const row = distribution(24, [1, 4]);
    const tiled = f64([Array.from(row.data), Array.from(row.data), Array.from(row.data)]);
    const loss = new KLDivLoss({ fromLogits: false });
    const broadcast = lossAndGradients(loss, ([p, z]) => [p!, z!], [pred, row]);
    const full = lossAndGradients(loss, ([p, z]) => [p!, z!], [f64(pred.toArray() as number[][]), tiled]);
    assertClose(broadcast.loss.data, full.loss.data, 1e-15, 0, 'loss');
    assertClose(broadcast.grads[0]!.data, full.grads[0]!.data, 1e-15, 0, 'pred gradient');
    assert.deepEqual(broadcast.grads[1]!.shape, [1, 4]);
    const summed = [0, 1, 2, 3].map(
      (c) => full.grads[1]!.data[c]! + full.grads[1]!.data[4 + c]! + full.grads[1]!.data[8 + c]!,
    );
    assertClose(broadcast.grads[1]!.data, summed, 1e-14, 0, 'label gradient');
  });

  test("the plain loops of a label of pred's shape give the runs' bits (a broadcast label walks the runs)", () => {
    for (const dtype of ['float64', 'float32'] as const) {
      for (const options of [
        {},
        { classReduction: 'sum' as const },
        { fromLogits: false },
        { fromLogits: false, classReduction: 'sum' as const },
      ]) {
        const pred = logits(25, [5, 3, 6]).astype(dtype);
        const input = options.fromLogits === false ? pred : pred.logSoftmax(-1);
        const row = distribution(26, [1, 1, 6]).astype(dtype);
        const tiled = row.broadcastTo([5, 3, 6]).copy();
        const loss = new KLDivLoss(options);
        const what = `${dtype} ${JSON.stringify(options)}`;
        assert.deepEqual(
          Array.from(loss.forward(input, tiled).data),
          Array.from(loss.forward(input, row).data),
          what,
        );
        // A zero label beside log p = −∞ is still 0 on the plain loops.
        const masked = input.toArray() as number[][][];
        masked[0]![0]![0] = Number.NEGATIVE_INFINITY;
        const zeroed = tiled.toArray() as number[][][];
        zeroed[0]![0]![0] = 0;
        const value = loss.forward(array(masked, { dtype }), array(zeroed, { dtype })).data[0]!;
        assert.ok(Number.isFinite(value), `${what}: masked class`);
      }
    }
  });

  test('0 · log 0 is 0: zero labels, even on impossible classes, give finite values; NaN still propagates', () => {
    const pred = f64([
      [Math.log(0.5), Math.log(0.5), Number.NEGATIVE_INFINITY],
      [Math.log(0.2), Math.log(0.8), Number.NaN],
    ]);
    const label = f64([
      [0.5, 0.5, 0],
      [0.2, 0.8, 0],
    ]);
    const { loss, grads } = lossAndGradients(new KLDivLoss({ classReduction: 'sum' }), ([p]) => [p!, label], [
      pred,
    ]);
    assertClose(
      [loss.data[0]!],
      [2 * 0.5 * (Math.log(0.5 + 1e-12) - Math.log(0.5))],
      0,
      1e-15,
      'masked sample',
    );
    assert.ok(Number.isNaN(loss.data[1]!), 'NaN sample');
    assertClose(grads[0]!.data.subarray(0, 3), [-0.5, -0.5, 0], 0, 0, 'masked gradient');
    // Zero labels with a softmax: finite, and the loss only counts the labelled classes.
    const logitsLoss = new KLDivLoss({ fromLogits: false, classReduction: 'sum' }).forward(
      f64([[1, 2, -3]]),
      f64([[0, 1, 0]]),
    );
    const logP2 = 2 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(-3));
    assertClose(logitsLoss.data, [Math.log(1 + 1e-12) - logP2], 1e-14, 0, 'one-hot label');
  });

  test('extreme logits (±88, ±1e4, ±1e30) with fromLogits: false stay finite', () => {
    for (const big of [88, 1e4, 1e30]) {
      const pred = f64([
        [big, -big, 0],
        [-big, big, 0],
      ]);
      const label = f64([
        [0.7, 0.2, 0.1],
        [0.7, 0.2, 0.1],
      ]);
      const { loss, grads } = lossAndGradients(new KLDivLoss({ fromLogits: false }), ([p, z]) => [p!, z!], [
        pred,
        label,
      ]);
      assert.ok(Array.from(loss.data).every(Number.isFinite), `loss ±${big}`);
      assert.ok(
        grads.every((g) => Array.from(g.data).every(Number.isFinite)),
        `gradients ±${big}`,
      );
      // ∂/∂x = (softmax(x) − label) / C: the certain class gets (1 − 0.7) / 3.
      assertClose([grads[0]!.data[0]!], [0.3 / 3], 1e-12, 0, `gradient ±${big}`);
    }
  });

  test('a finite label below −1e-12 (where Gluon’s log(label + 1e-12) and PyTorch give NaN) is a ValueError naming it; recorded or not; not with logTarget', () => {
    const pred = f64([
      [-1, -2],
      [-0.5, -1],
    ]);
    for (const options of [{}, { fromLogits: false }, { classReduction: 'sum' as const }]) {
      for (const [label, position] of [
        [
          f64([
            [0.5, -0.5],
            [1, 0],
          ]),
          1,
        ],
        [
          f64([
            [0.5, 0.5],
            [-2e-12, 1],
          ]),
          2,
        ],
        [
          f32([
            [1, -1e30],
            [0, 1],
          ]),
          1,
        ],
      ] as const) {
        for (const recorded of [false, true]) {
          const variable = pred.copy();
          if (recorded) variable.attachGrad();
          const run = () => new KLDivLoss(options).forward(variable, label);
          assert.throws(
            () => (recorded ? record(run) : run()),
            (error: Error) =>
              error instanceof ValueError &&
              error.message.startsWith(
                `KLDivLoss: label at flat position ${position} is ${label.data[position]}; a probability label must be ≥ 0`,
              ),
            `${JSON.stringify(options)} recorded ${recorded}`,
          );
        }
      }
    }
    // Within 1e-12 of 0, Gluon's finite term; labels above 1 are finite terms too (not a
    // distribution, but a value); with logTarget any real is a log-probability.
    const near = new KLDivLoss({ classReduction: 'sum' }).forward(
      pred,
      f64([
        [-5e-13, 1],
        [0.5, 0.5],
      ]),
    );
    const term = -5e-13 * (Math.log(-5e-13 + 1e-12) + 1) + (Math.log(1 + 1e-12) + 2);
    assertClose([near.data[0]!], [term], 1e-14, 0, 'Gluon’s term of a label within 1e-12 of 0');
    assert.ok(
      Number.isFinite(
        new KLDivLoss().forward(
          pred,
          f64([
            [2, 0],
            [0, 3],
          ]),
        ).data[0]!,
      ),
    );
    assert.ok(
      Number.isFinite(
        new KLDivLoss({ logTarget: true }).forward(
          pred,
          f64([
            [-0.5, 0.5],
            [1, -3],
          ]),
        ).data[0]!,
      ),
    );
    // NaN and ±Infinity propagate into their own sample (DECISIONS 9).
    const poisoned = new KLDivLoss().forward(
      pred,
      f64([
        [Number.NaN, 0.5],
        [0.5, 0.5],
      ]),
    );
    assert.ok(Number.isNaN(poisoned.data[0]!) && Number.isFinite(poisoned.data[1]!));
  });

  test('errors: shapes, options, and the class axis', () => {
    const pred = f64([
      [-1, -2],
      [-0.5, -1],
    ]);
    const loss = new KLDivLoss();
    assert.throws(
      () => loss.forward(pred, f64([[0.5, 0.5, 0]])),
      (e: Error) => e instanceof ShapeError && /KLDivLoss.*\[1,3\].*\[2,2\]/.test(e.message),
    );
    assert.throws(() => loss.forward(pred, f64([[[0.5, 0.5]], [[0.5, 0.5]]])), ShapeError);
    assert.throws(() => loss.forward(pred, f64([0.25, 0.25, 0.25, 0.25])), ShapeError);
    assert.throws(() => new KLDivLoss({ fromLogits: false, axis: 2 }).forward(pred, pred.exp()), ShapeError);
    assert.throws(
      () => new KLDivLoss({ classReduction: 'sum' }).forward(f64([-1, -2]), f64([0.5, 0.5])),
      (e: Error) => e instanceof ShapeError && /batch axis/.test(e.message),
    );
    assert.throws(() => new KLDivLoss({ classReduction: 'Sum' as 'sum' }), ValueError);
    assert.throws(() => new KLDivLoss({ axis: 0.5 }), ValueError);
    assert.throws(() => new KLDivLoss({ fromLogits: 1 as unknown as boolean }), ValueError);
  });
});

describe('KLDivLoss logTarget (PyTorch log_target)', () => {
  test('ℓ = e^t · (t − pred) for log-probability labels, no ε; gradients match finite differences', () => {
    const pred = f64([[-1.2, -0.5, -2]]);
    const t = f64([[-0.3, -1.5, -3]]);
    const out = new KLDivLoss({ logTarget: true }).forward(pred, t);
    const terms = [0, 1, 2].map((c) => Math.exp(t.data[c]!) * (t.data[c]! - pred.data[c]!));
    assertClose(out.data, [(terms[0]! + terms[1]! + terms[2]!) / 3], 1e-15, 0, 'mean');
    for (const options of [
      {},
      { fromLogits: false },
      { fromLogits: false, classReduction: 'sum' as const },
    ]) {
      const loss = new KLDivLoss({ ...options, logTarget: true });
      assertFusedGradients(loss, (xs) => [...xs], [
        f64([
          [0.2, -0.5, 1.1],
          [1, 0.3, -2],
        ]),
        f64([
          [-0.3, -1.5, -3],
          [-2, -0.1, -1],
        ]),
      ]);
    }
  });

  test('agrees with probability labels e^t up to Gluon’s ε = 1e-12 inside the log', () => {
    const pred = f64([
      [-1.2, -0.5, -2],
      [-0.1, -3, -1],
    ]);
    const t = f64([
      [-0.3, -1.5, -3],
      [-2, -0.2, -1],
    ]);
    assertClose(
      new KLDivLoss({ logTarget: true }).forward(pred, t).data,
      new KLDivLoss().forward(pred, t.exp()).data,
      0,
      1e-11,
      'logTarget vs exp',
    );
  });

  test('a label of log-probability −∞ contributes 0 (PyTorch: NaN); logTarget must be a boolean', () => {
    const out = new KLDivLoss({ logTarget: true }).forward(
      f64([[-0.5, -1]]),
      f64([[0, Number.NEGATIVE_INFINITY]]),
    );
    assertClose(out.data, [0.5 / 2], 1e-15, 0, 'zero-probability class');
    assert.throws(() => new KLDivLoss({ logTarget: 1 as unknown as boolean }), ValueError);
  });
});
