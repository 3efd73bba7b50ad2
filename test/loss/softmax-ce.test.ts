import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SoftmaxCELoss } from '../../src/loss/exports.js';
import { SoftmaxCrossEntropyLoss } from '../../src/loss/softmax-ce.js';
import { array } from '../../src/ndarray/create.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { assertFusedGradients, assertSecondDerivative, lossAndGradients } from './_closure-checks.js';
import { assertClose, assertConformance, f32, f64 } from './_elementwise-checks.js';
import { record } from '../../src/autograd/index.js';
import { setKernelBackend } from '../../src/kernels/index.js';

const NAME = 'SoftmaxCrossEntropyLoss';
const i32 = (values: Parameters<typeof array>[0]) => array(values, { dtype: 'int32' });

/** Random float64 logits. */
function logits(seed: number, shape: number[], scale = 1.5): NDArray {
  return normal(0, scale, shape, { dtype: 'float64', generator: new RandomGenerator(seed) });
}

/** −log softmax(row)[label], in float64 by the textbook formula. */
function crossEntropy(row: readonly number[], label: number): number {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - row[label]!;
}

/** Exposes the per-call kernel state (to check what the backward pass keeps). */
class Probe extends SoftmaxCrossEntropyLoss {
  savedState(pred: NDArray, label: NDArray): unknown {
    const prepared = this.prepare([pred, label]);
    return this.createState(prepared);
  }
}

describe('SoftmaxCrossEntropyLoss', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      assertConformance(`cases/${NAME}.json`, dtype);
      assertConformance('tutorial.json', dtype, NAME);
      assertConformance('kinks.json', dtype, NAME);
    });
  }

  test('MXNet test_loss_ndarray: [2.12692809, 0.04858733], weighted [1.06346405, 0.04858733]', () => {
    for (const make of [f32, f64]) {
      const pred = make([
        [0, 2],
        [1, 4],
      ]);
      const label = make([0, 1]);
      const loss = new SoftmaxCrossEntropyLoss();
      assertClose(loss.forward(pred, label).data, [2.12692809, 0.04858733], 1e-4, 1e-5, 'unweighted');
      assertClose(
        loss.forward(pred, label, make([[0.5], [1.0]])).data,
        [1.06346405, 0.04858733],
        1e-4,
        1e-5,
        'weighted',
      );
    }
    // Closed forms in float64: ℓ = d + log1p(e^−d) for a logit gap d against the label.
    const exact = new SoftmaxCrossEntropyLoss().forward(
      f64([
        [0, 2],
        [1, 4],
      ]),
      i32([0, 1]),
    );
    assertClose(
      exact.data,
      [2 + Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(-3))],
      1e-15,
      0,
      'closed form',
    );
  });

  test('the tutorial cell: [9.000123, 6.0024757], and its closed form in float64', () => {
    const out32 = new SoftmaxCrossEntropyLoss().forward(
      f32([
        [1, 10],
        [8, 2],
      ]),
      f32([0, 1]),
    );
    assert.equal(out32.dtype, 'float32');
    assert.deepEqual(Array.from(out32.data), [Math.fround(9.000123), Math.fround(6.0024757)]);
    const out64 = new SoftmaxCrossEntropyLoss().forward(
      f64([
        [1, 10],
        [8, 2],
      ]),
      f64([0, 1]),
    );
    assertClose(
      out64.data,
      [9 + Math.log1p(Math.exp(-9)), 6 + Math.log1p(Math.exp(-6))],
      1e-15,
      0,
      'float64',
    );
  });

  test('SoftmaxCELoss is the same class (Gluon alias)', () => {
    assert.equal(SoftmaxCELoss, SoftmaxCrossEntropyLoss);
    assert.equal(new SoftmaxCELoss().name, NAME);
  });

  test('the loss matches the textbook formula on random rows, labels of either shape or dtype', () => {
    const pred = logits(1, [6, 7]);
    const labels = [3, 0, 6, 2, 2, 5];
    const expected = labels.map((l, n) => crossEntropy(Array.from(pred.data.subarray(n * 7, n * 7 + 7)), l));
    const loss = new SoftmaxCrossEntropyLoss();
    for (const label of [i32(labels), f64(labels), f64(labels.map((l) => [l])), f32(labels)]) {
      assertClose(loss.forward(pred, label).data, expected, 1e-13, 0, `label ${label.dtype} ${label.shape}`);
    }
  });

  test('gradients: fused vs finite differences vs twin, across options', () => {
    const sparse = i32([
      [1, 0, 2],
      [2, 2, 0],
    ]);
    const configurations: { options: object; pred: NDArray; label: NDArray; weight?: NDArray }[] = [
      { options: {}, pred: logits(2, [4, 5]), label: i32([4, 0, 2, 1]) },
      // Class axis last with three rows per sample: the one-pass path sums rows per sample.
      {
        options: {},
        pred: logits(13, [2, 3, 4]),
        label: i32([
          [0, 3, 1],
          [2, 2, 0],
        ]),
        weight: f64([0.5, 2]),
      },
      { options: { axis: 1 }, pred: logits(3, [2, 3, 3]), label: sparse },
      { options: { axis: 0, batchAxis: 1 }, pred: logits(4, [3, 4]), label: i32([0, 2, 1, 2]) },
      { options: { fromLogits: true, weight: 0.7 }, pred: logits(5, [3, 4]), label: i32([3, 1, 0]) },
      {
        options: { sparseLabel: false },
        pred: logits(6, [3, 4]),
        label: uniform(0, 1, [3, 4], { dtype: 'float64', generator: new RandomGenerator(7) }),
      },
      {
        options: { sparseLabel: false, axis: 1 },
        pred: logits(8, [2, 3, 2]),
        label: uniform(0, 1, [2, 3, 2], { dtype: 'float64', generator: new RandomGenerator(9) }),
      },
      {
        options: { sparseLabel: false, fromLogits: true },
        pred: logits(10, [2, 3]),
        label: uniform(0, 1, [6], { dtype: 'float64', generator: new RandomGenerator(11) }),
      },
      {
        options: { axis: 1 },
        pred: logits(12, [2, 3, 3]),
        label: sparse,
        weight: f64([[[0.5, 2, 1]], [[1.5, 0, 3]]]),
      },
    ];
    for (const { options, pred, label, weight } of configurations) {
      const loss = new SoftmaxCrossEntropyLoss(options);
      if (label.dtype === 'int32') {
        assertFusedGradients(loss, ([p]) => [p!, label, weight ?? null], [pred]);
      } else {
        assertFusedGradients(loss, ([p, z]) => [p!, z!, weight ?? null], [pred, label]);
      }
    }
  });

  test('second derivatives through autograd.grad({ createGraph }) match finite differences', () => {
    assertSecondDerivative(
      new SoftmaxCrossEntropyLoss({ axis: 1 }),
      ([p]) => [
        p!,
        i32([
          [1, 0],
          [2, 2],
        ]),
      ],
      [logits(13, [2, 3, 2])],
      0,
      0,
    );
    const dense = new SoftmaxCrossEntropyLoss({ sparseLabel: false });
    const label = uniform(0, 1, [3, 4], { dtype: 'float64', generator: new RandomGenerator(14) });
    assertSecondDerivative(dense, ([p, z]) => [p!, z!], [logits(15, [3, 4]), label], 0, 0);
    // The mixed derivative ∂²/∂z∂x: the label's gradient −log p depends on the logits.
    assertSecondDerivative(dense, ([p, z]) => [p!, z!], [logits(15, [3, 4]), label], 1, 0);
  });

  test('a non-last class axis gives the same values and gradients as the transposed last axis', () => {
    const pred = logits(16, [3, 4, 5]);
    const label = i32([
      [0, 3, 1, 2, 2],
      [1, 1, 0, 3, 0],
      [3, 2, 2, 0, 1],
    ]);
    const moved = array(pred.transpose([0, 2, 1]));
    const viaAxis = lossAndGradients(new SoftmaxCrossEntropyLoss({ axis: 1 }), ([p]) => [p!, label], [pred]);
    const viaLast = lossAndGradients(new SoftmaxCrossEntropyLoss(), ([p]) => [p!, label], [moved]);
    assertClose(viaAxis.loss.data, viaLast.loss.data, 1e-14, 0, 'loss');
    assertClose(
      viaAxis.grads[0]!.transpose([0, 2, 1]).data,
      viaLast.grads[0]!.data,
      1e-14,
      1e-16,
      'gradient',
    );
  });

  test('the backward pass keeps two numbers per row, not a softmax buffer', () => {
    const probe = new Probe({ axis: 1 });
    const saved = probe.savedState(
      logits(17, [4, 50, 3]),
      i32(Array.from({ length: 12 }, (_, k) => k % 50)).reshape([4, 3]),
    );
    const arrays = Object.values(saved as Record<string, unknown>);
    assert.equal(arrays.length, 2);
    for (const a of arrays) {
      assert.ok(a instanceof Float64Array);
      assert.equal(a.length, 12, 'one value per row (4 · 3 rows of 50 classes)');
    }
    assert.equal(new Probe({ fromLogits: true }).savedState(logits(18, [2, 3]), i32([0, 1])), null);
  });

  test('extreme logits (±88, ±1e4, ±1e30) give exact finite losses and gradients', () => {
    for (const big of [88, 1e4, 1e30]) {
      const pred = f64([
        [big, -big, 0],
        [big, -big, 0],
        [-big, -big, big],
      ]);
      const { loss, grads } = lossAndGradients(new SoftmaxCrossEntropyLoss(), ([p]) => [p!, i32([0, 1, 0])], [
        pred,
      ]);
      // Row 0 is certain and right (loss e^{-big}-ish), rows 1 and 2 certain and wrong (loss 2·big).
      assertClose(
        loss.data,
        [Math.log1p(Math.exp(-big) + Math.exp(-2 * big)), 2 * big, 2 * big],
        1e-12,
        1e-300,
        `loss ±${big}`,
      );
      assert.ok(Array.from(grads[0]!.data).every(Number.isFinite), `gradient ±${big}`);
      assertClose(
        grads[0]!.data.subarray(3),
        [1, -1, 0, -1, 0, 1],
        1e-12,
        1e-30,
        `gradient rows 1-2 ±${big}`,
      );
    }
    const out32 = new SoftmaxCrossEntropyLoss().forward(
      f32([
        [88, -88],
        [-88, 88],
      ]),
      f32([1, 1]),
    );
    assertClose(out32.data, [176, 0], 1e-7, 1e-30, 'float32 ±88');
  });

  test('huge but close logits keep the digits of a small loss, and p − 1 keeps its own', () => {
    // (x − max) is exact even at 1e15, so the loss 1 + log1p(e^−1) is not swamped by the logits' size.
    const out = new SoftmaxCrossEntropyLoss().forward(f64([[1e15, 1e15 + 1]]), i32([0]));
    assertClose(out.data, [1 + Math.log1p(Math.exp(-1))], 1e-15, 0, 'loss');
    // A near-certain right answer: ∂ℓ/∂x_label = p − 1 = −e^{−40}/(1 + e^{−40}), far below float64's 1 − p resolution.
    const { grads } = lossAndGradients(new SoftmaxCrossEntropyLoss(), ([p]) => [p!, i32([1])], [
      f64([[0, 40]]),
    ]);
    assertClose(grads[0]!.data, [Math.exp(-40), -Math.exp(-40)], 1e-12, 0, 'gradient');
  });

  test('a NaN logit poisons only its own sample; a −Infinity logit off the label is a mask', () => {
    const pred = f64([
      [0.5, 1, -1],
      [2, Number.NaN, 1],
      [0.1, 0.2, 0.3],
    ]);
    const { loss, grads } = lossAndGradients(new SoftmaxCrossEntropyLoss(), ([p]) => [p!, i32([0, 2, 1])], [
      pred,
    ]);
    assert.ok(Number.isNaN(loss.data[1]!));
    assert.ok(
      Array.from(grads[0]!.data.subarray(3, 6)).every(Number.isNaN),
      'the whole row 1 gradient is NaN',
    );
    const clean = lossAndGradients(new SoftmaxCrossEntropyLoss(), ([p]) => [p!, i32([0, 1])], [
      f64([
        [0.5, 1, -1],
        [0.1, 0.2, 0.3],
      ]),
    ]);
    assertClose([loss.data[0]!, loss.data[2]!], clean.loss.data, 0, 0, 'other losses');
    assertClose(
      [...grads[0]!.data.subarray(0, 3), ...grads[0]!.data.subarray(6)],
      clean.grads[0]!.data,
      0,
      0,
      'other gradients',
    );
    // −Infinity on a non-label class: the same as dropping that class.
    const masked = lossAndGradients(new SoftmaxCrossEntropyLoss(), ([p]) => [p!, i32([0])], [
      f64([[0.5, Number.NEGATIVE_INFINITY, 2]]),
    ]);
    assertClose(masked.loss.data, [crossEntropy([0.5, 2], 0)], 1e-15, 0, 'masked loss');
    const p0 = 1 / (1 + Math.exp(1.5));
    assertClose(masked.grads[0]!.data, [p0 - 1, 0, 1 - p0], 1e-14, 0, 'masked gradient');
    // Dense labels with a zero on the masked class stay finite too.
    const dense = new SoftmaxCrossEntropyLoss({ sparseLabel: false }).forward(
      f64([[0.5, Number.NEGATIVE_INFINITY, 2]]),
      f64([[1, 0, 0]]),
    );
    assertClose(dense.data, [crossEntropy([0.5, 2], 0)], 1e-15, 0, 'dense masked loss');
  });

  test('a sampleWeight beyond float32 scales: finite gradients, the same on both kernel backends', () => {
    // weight × sampleWeight = 9e38 overflows a float32 scale; the gradient itself stays finite.
    const results = (['wasm', 'js'] as const).map((backend) => {
      setKernelBackend(backend);
      try {
        const loss = new SoftmaxCrossEntropyLoss({ weight: 3 });
        const pred = f32([
          [0.5, -1, 2],
          [0.3, 0.1, -0.2],
        ]).attachGrad();
        const out = record(() => loss.forward(pred, i32([2, 0]), f32([3e38, 1])));
        out.backward();
        return { loss: Array.from(out.data), grad: Array.from(pred.grad!.data) };
      } finally {
        setKernelBackend('auto');
      }
    });
    assert.ok(results[0]!.grad.every(Number.isFinite), `wasm gradient ${results[0]!.grad}`);
    assert.deepEqual(results[0], results[1]);
  });

  test('a float32 training step: a NaN or infinite row changes only its own row, in any memory', () => {
    // [32, 10] keeps its gradient in the loss's memory, [512, 10] in an arena region; the small
    // call's kernel entry declines a row whose maximum is not finite, and the general one then
    // redoes the whole call: every other row must keep its bits.
    for (const [rows, special] of [
      [32, Number.NaN],
      [512, Number.POSITIVE_INFINITY],
    ] as const) {
      const pred = array(logits(41, [rows, 10], 3), { dtype: 'float32' });
      const labels = i32(Array.from({ length: rows }, (_, r) => (r * 7) % 10));
      const step = (x: NDArray) =>
        lossAndGradients(new SoftmaxCrossEntropyLoss(), ([p]) => [p!, labels], [x]);
      const clean = step(pred);
      const broken = pred.data.slice();
      broken[5 * 10 + 3] = special;
      const hit = step(array(broken, { dtype: 'float32' }).reshape([rows, 10]));
      for (let r = 0; r < rows; r++) {
        const row = (x: NDArray) => Array.from(x.data.subarray(r * 10, r * 10 + 10));
        if (r === 5) {
          assert.ok(!Number.isFinite(hit.loss.data[r]!), `[${rows}, 10] row 5's loss ${hit.loss.data[r]}`);
          assert.ok(row(hit.grads[0]!).some(Number.isNaN), `[${rows}, 10] row 5's gradient`);
          continue;
        }
        assert.equal(hit.loss.data[r], clean.loss.data[r], `[${rows}, 10] loss of row ${r}`);
        assert.deepEqual(row(hit.grads[0]!), row(clean.grads[0]!), `[${rows}, 10] gradient of row ${r}`);
      }
    }
  });

  test('a vocabulary larger than a kernel chunk (20,000 classes): one pass, float32 equals float64', () => {
    // A row longer than the kernels' 16,384-float chunk runs one row per kernel call.
    const loss = new SoftmaxCrossEntropyLoss();
    const wide = logits(40, [3, 20000], 3);
    const labels = i32([0, 12345, 19999]);
    const {
      loss: loss64,
      grads: [grad64],
    } = lossAndGradients(loss, ([x]) => [x!, labels], [wide]);
    const narrow = array(wide, { dtype: 'float32' });
    const {
      loss: loss32,
      grads: [grad32],
    } = lossAndGradients(loss, ([x]) => [x!, labels], [narrow]);
    assertClose(loss32.data, loss64.data, 2e-6, 0, 'float32 loss');
    assertClose(grad32!.data, grad64!.data, 1e-4, 1e-9, 'float32 gradient');
    // Every row's gradient sums to 0 (softmax minus a one-hot).
    for (let row = 0; row < 3; row++) {
      let total = 0;
      for (let c = 0; c < 20000; c++) total += grad64!.data[row * 20000 + c]!;
      assert.ok(Math.abs(total) < 1e-12, `row ${row} sums to ${total}`);
    }
  });

  test('dense labels: equal to sparse for one-hot labels, label gradient −log p', () => {
    const pred = logits(19, [3, 4]);
    const sparse = new SoftmaxCrossEntropyLoss().forward(pred, i32([2, 0, 3]));
    const oneHot = f64([
      [0, 0, 1, 0],
      [1, 0, 0, 0],
      [0, 0, 0, 1],
    ]);
    assertClose(
      new SoftmaxCrossEntropyLoss({ sparseLabel: false }).forward(pred, oneHot).data,
      sparse.data,
      1e-14,
      0,
      'one-hot',
    );
    const { grads } = lossAndGradients(
      new SoftmaxCrossEntropyLoss({ sparseLabel: false }),
      ([p, z]) => [p!, z!],
      [pred, oneHot],
    );
    const logProbabilities = pred.logSoftmax(-1);
    assertClose(
      grads[1]!.data,
      Array.from(logProbabilities.data, (v) => -v),
      1e-14,
      1e-16,
      'label gradient',
    );
  });

  test('errors name the loss, the argument and what is wrong', () => {
    const pred = f64([
      [0.5, 1, -1],
      [2, 0, 1],
    ]);
    const loss = new SoftmaxCrossEntropyLoss();
    assert.throws(
      () => loss.forward(pred, i32([0, 3])),
      (e: Error) =>
        e instanceof ValueError && /SoftmaxCrossEntropyLoss.*label.*position 1 is 3/.test(e.message),
    );
    assert.throws(
      () => loss.forward(pred, i32([-1, 0])),
      (e: Error) => e instanceof ValueError && /position 0 is -1/.test(e.message),
    );
    assert.throws(
      () => loss.forward(pred, f64([0, 1.5])),
      (e: Error) => e instanceof ValueError && /position 1 is 1.5/.test(e.message),
    );
    assert.throws(
      () => loss.forward(pred, f64([Number.NaN, 1])),
      (e: Error) => e instanceof ValueError && /position 0 is NaN/.test(e.message),
    );
    assert.throws(
      () => loss.forward(pred, i32([0, 1, 2])),
      (e: Error) => e instanceof ShapeError && /\[3\].*\[2\]/.test(e.message),
    );
    assert.throws(
      () => new SoftmaxCrossEntropyLoss({ sparseLabel: false }).forward(pred, f64([1, 0, 0])),
      ShapeError,
    );
    assert.throws(() => new SoftmaxCrossEntropyLoss({ axis: 2 }).forward(pred, i32([0, 1])), ShapeError);
    assert.throws(
      () => new SoftmaxCrossEntropyLoss({ batchAxis: -3 }).forward(pred, i32([0, 1])),
      ShapeError,
    );
    assert.throws(
      () =>
        loss.forward(
          pred,
          i32([0, 1]),
          f64([
            [1, 1, 1],
            [1, 1, 1],
          ]),
        ),
      (e: Error) => e instanceof ShapeError && /\[2,1\]/.test(e.message),
    );
    assert.throws(() => new SoftmaxCrossEntropyLoss({ axis: 0.5 }), ValueError);
    assert.throws(
      () => new SoftmaxCrossEntropyLoss({ sparseLabel: 'yes' as unknown as boolean }),
      ValueError,
    );
    assert.throws(() => new SoftmaxCrossEntropyLoss({ fromLogit: true } as object), ValueError);
  });
});
