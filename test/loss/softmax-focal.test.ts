import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SoftmaxCrossEntropyLoss } from '../../src/loss/softmax-ce.js';
import { SoftmaxFocalLoss } from '../../src/loss/softmax-focal.js';
import { array } from '../../src/ndarray/create.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator } from '../../src/ndarray/random.js';
import { logSoftmax, softmax } from '../../src/ops/activation.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { assertFusedGradients, assertSecondDerivative, lossAndGradients } from './_closure-checks.js';
import { assertClose, f32, f64 } from './_elementwise-checks.js';

const i32 = (values: Parameters<typeof array>[0]) => array(values, { dtype: 'int32' });
const logits = (seed: number, shape: number[]): NDArray =>
  normal(0, 2, shape, { dtype: 'float64', generator: new RandomGenerator(seed) });

describe('SoftmaxFocalLoss', () => {
  test('the TSDoc example: −(1 − p)²·log p at the label, both dtypes and backends', () => {
    const row = [1, 2, 0.5];
    const p = Math.exp(2) / row.reduce((s, v) => s + Math.exp(v), 0);
    for (const backend of ['js', 'wasm'] as const) {
      setKernelBackend(backend);
      try {
        for (const make of [f32, f64]) {
          const out = new SoftmaxFocalLoss({ alpha: null }).forward(make([row]), make([1]));
          assertClose(out.data, [-((1 - p) ** 2) * Math.log(p)], 1e-6, 0, backend);
          assertClose(out.data, [0.06407764], 1e-6, 0, 'example');
        }
      } finally {
        setKernelBackend('auto');
      }
    }
  });

  test('gamma 0 without alpha is SoftmaxCrossEntropyLoss: sparse and dense labels, any class axis', () => {
    const pred = logits(1, [3, 4, 5]);
    for (const axis of [-1, 1, 0]) {
      const rowShape = pred.shape.filter((_, i) => i !== (axis + 3) % 3);
      const classes = pred.shape.at(axis)!;
      const size = rowShape.reduce((a, b) => a * b, 1);
      const sparse = i32(Array.from({ length: size }, (_, i) => (i * 3) % classes)).reshape(rowShape);
      const dense = softmax(logits(2, [3, 4, 5]), axis);
      for (const [label, sparseLabel] of [
        [sparse, true],
        [dense, false],
      ] as const) {
        const focal = new SoftmaxFocalLoss({ alpha: null, gamma: 0, axis, sparseLabel });
        const ce = new SoftmaxCrossEntropyLoss({ axis, sparseLabel });
        const a = lossAndGradients(focal, ([x]) => [x!, label], [pred.copy()]);
        const b = lossAndGradients(ce, ([x]) => [x!, label], [pred.copy()]);
        assertClose(a.loss.data, b.loss.data, 1e-13, 1e-15, `axis ${axis} sparse ${sparseLabel}`);
        assertClose(a.grads[0]!.data, b.grads[0]!.data, 1e-12, 1e-15, `d/dpred axis ${axis}`);
      }
    }
  });

  test('fromLogits takes log-probabilities: the same as the default on the logits', () => {
    const pred = logits(3, [4, 5]);
    const label = i32([0, 4, 2, 2]);
    const options = { alpha: [0.1, 0.2, 0.3, 0.4, 0.5], gamma: 1.5 };
    const onLogits = new SoftmaxFocalLoss(options).forward(pred, label);
    const onLogProbabilities = new SoftmaxFocalLoss({ ...options, fromLogits: true }).forward(
      logSoftmax(pred, -1),
      label,
    );
    assertClose(onLogProbabilities.data, onLogits.data, 1e-13, 0, 'fromLogits');
  });

  test('fused gradients equal finite differences and the twin (sparse, dense, fromLogits, axis 1)', () => {
    const generator = new RandomGenerator(9);
    const pred = normal(0, 1.5, [2, 3, 4], { dtype: 'float64', generator });
    const dense = softmax(normal(0, 1, [2, 3, 4], { dtype: 'float64', generator }), 1);
    const sparse = i32([
      [0, 2, 1, 1],
      [2, 0, 0, 1],
    ]);
    const weights = f64([0.5, 2]);
    const cases: [ConstructorParameters<typeof SoftmaxFocalLoss>[0], NDArray, boolean][] = [
      [{ axis: 1 }, sparse, false],
      [{ axis: 1, gamma: 0.5, alpha: [1, 2, 0.5] }, sparse, false],
      [{ axis: 1, sparseLabel: false }, dense, true],
      [{ axis: 1, sparseLabel: false, fromLogits: true, gamma: 3 }, dense, true],
      [{ axis: 1, fromLogits: true, alpha: null }, sparse, false],
    ];
    for (const [options, label, labelIsVariable] of cases) {
      const loss = new SoftmaxFocalLoss(options);
      const x = options?.fromLogits ? logSoftmax(pred, 1) : pred;
      if (labelIsVariable) assertFusedGradients(loss, ([p, z, w]) => [p!, z!, w!], [x, label, weights]);
      else assertFusedGradients(loss, ([p, w]) => [p!, label, w!], [x, weights]);
    }
    assertSecondDerivative(new SoftmaxFocalLoss({ axis: 1 }), ([p]) => [p!, sparse], [pred], 0, 0);
  });

  test('a near-certain row keeps its digits, and ±1e30 logits stay finite', () => {
    // p = 1/(1 + 2e^−40): 1 − p = 2e^−40/(1 + 2e^−40), −log p = log1p(2e^−40).
    const out = new SoftmaxFocalLoss().forward(f64([[40, 0, 0]]), i32([0]));
    const e = 2 * Math.exp(-40);
    assertClose(out.data, [0.25 * (e / (1 + e)) ** 2 * Math.log1p(e)], 1e-13, 0, 'near-certain');
    const { loss, grads } = lossAndGradients(
      new SoftmaxFocalLoss({ sparseLabel: false }),
      ([x]) => [x!, f64([[0.5, 0.5, 0]])],
      [f64([[1e30, -1e30, 0]])],
    );
    // Class 0 certain (term 0), class 1 impossible: 0.25·0.5·(−log p) = 0.125·2e30.
    assertClose(loss.data, [0.125 * 2e30], 1e-15, 0, 'extreme');
    assert.ok(Array.from(grads[0]!.data).every(Number.isFinite), `${grads[0]!.data}`);
  });

  test('fromLogits: a positive log-probability is a ValueError naming pred, its position and value', () => {
    // p = e^0.5 > 1 makes 1 − p negative, and (1 − p)^0.5 NaN: no loss to give.
    for (const sparseLabel of [true, false]) {
      const label = sparseLabel
        ? i32([0, 1])
        : f64([
            [1, 0, 0],
            [0, 1, 0],
          ]);
      for (const gamma of [0.5, 2]) {
        assert.throws(
          () =>
            new SoftmaxFocalLoss({ fromLogits: true, sparseLabel, gamma }).forward(
              f64([
                [-1, -2, -0.5],
                [-1, 0.5, -3],
              ]),
              label,
            ),
          (error: Error) =>
            error instanceof ValueError &&
            error.message.startsWith(
              'SoftmaxFocalLoss: pred at flat position 4 is 0.5; log-probabilities must be ≤ 0',
            ),
        );
      }
      // 0 (p = 1) is valid; raw scores (the default) take any real.
      const certain = new SoftmaxFocalLoss({ fromLogits: true, sparseLabel, gamma: 0.5 });
      assert.ok(
        Number.isFinite(
          certain.forward(
            f64([
              [0, -40, -50],
              [-40, 0, -50],
            ]),
            label,
          ).data[0]!,
        ),
      );
      assert.ok(
        Number.isFinite(
          new SoftmaxFocalLoss({ sparseLabel }).forward(
            f64([
              [1, 2, 3],
              [4, 5, 6],
            ]),
            label,
          ).data[0]!,
        ),
      );
    }
  });

  test('bad labels and options are typed errors naming the loss and the argument', () => {
    const pred = f64([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    assert.throws(
      () => new SoftmaxFocalLoss().forward(pred, i32([0, 3])),
      /SoftmaxFocalLoss: label at flat position 1 is 3/,
    );
    assert.throws(() => new SoftmaxFocalLoss().forward(pred, f64([0.5, 1])), ValueError);
    assert.throws(() => new SoftmaxFocalLoss().forward(pred, i32([0, 1, 2])), ShapeError);
    assert.throws(
      () => new SoftmaxFocalLoss({ alpha: [1, 2] }).forward(pred, i32([0, 1])),
      (error: Error) =>
        error instanceof ShapeError && /option alpha has 2 values .* 3 classes/.test(error.message),
    );
    assert.throws(() => new SoftmaxFocalLoss({ alpha: -0.5 }), /option alpha must lie in \[0, 1\]/);
    assert.throws(() => new SoftmaxFocalLoss({ alpha: [1, Number.POSITIVE_INFINITY] }), /alpha\[1\]/);
    assert.throws(() => new SoftmaxFocalLoss({ gamma: -2 }), /gamma must be >= 0/);
    assert.throws(
      () => new SoftmaxFocalLoss({ fromLogits: 'no' as never }),
      /fromLogits must be true or false/,
    );
    assert.throws(() => new SoftmaxFocalLoss({ axis: 0.5 }), /axis must be an integer/);
  });
});
