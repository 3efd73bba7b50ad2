import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { array } from '../../src/ndarray/create.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { MultiLabelSoftMarginLoss } from '../../src/loss/multi-label-soft-margin.js';
import { SigmoidBinaryCrossEntropyLoss } from '../../src/loss/sigmoid-bce.js';
import { assertClose, assertGradients, f32, f64, valueAndGradients } from './_elementwise-checks.js';

const X = f64([
  [0.5, -2, 3],
  [-0.25, 1, 0],
]);
const Y = f64([
  [1, 0, 1],
  [0.5, 1, 0],
]);

describe('MultiLabelSoftMarginLoss', () => {
  test('without classWeight it is SigmoidBinaryCrossEntropyLoss averaged over the classes', () => {
    const out = new MultiLabelSoftMarginLoss().forward(X, Y);
    const bce = new SigmoidBinaryCrossEntropyLoss().forward(X, Y);
    assertClose(out.data, bce.data, 1e-15, 0, 'MultiLabelSoftMargin vs BCE');
  });

  test('int32 labels (and logits) are read as floats: the numbers of the float call, both float dtypes', () => {
    const labels = [
      [1, 0, 1],
      [0, 1, 0],
    ];
    for (const dtype of ['float32', 'float64'] as const) {
      const x = X.astype(dtype);
      const run = (label: NDArray) => {
        const variable = x.copy().attachGrad();
        const value = record(() => new MultiLabelSoftMarginLoss().forward(variable, label));
        value.backward();
        return { value: Array.from(value.data), gradient: Array.from(variable.grad!.data) };
      };
      const asFloat = run(array(labels, { dtype }));
      const asInt = run(array(labels, { dtype: 'int32' }));
      assert.deepEqual(asInt.value, asFloat.value, `${dtype} value`);
      assert.deepEqual(asInt.gradient, asFloat.gradient, `${dtype} gradient`);
    }
    const intLogits = new MultiLabelSoftMarginLoss().forward(
      array([[2, -1, 0]], { dtype: 'int32' }),
      array([[1, 0, 1]]),
    );
    assertClose(
      intLogits.data,
      new MultiLabelSoftMarginLoss().forward(f32([[2, -1, 0]]), f32([[1, 0, 1]])).data,
      1e-7,
      0,
      'int logits',
    );
  });

  test('classWeight multiplies each class before the mean (array or NDArray)', () => {
    const w = [0.5, 2, 1];
    const softplus = (v: number) => Math.log1p(Math.exp(v));
    const expected = (X.toArray() as number[][]).map(
      (row, n) =>
        row.reduce((a, x, c) => {
          const y = (Y.toArray() as number[][])[n]![c]!;
          return a + w[c]! * (y * softplus(-x) + (1 - y) * softplus(x));
        }, 0) / 3,
    );
    assertClose(
      new MultiLabelSoftMarginLoss({ classWeight: w }).forward(X, Y).data,
      expected,
      1e-14,
      0,
      'array',
    );
    const fromArray = new MultiLabelSoftMarginLoss({ classWeight: array(w, { dtype: 'float64' }) });
    assertClose(fromArray.forward(X, Y).data, expected, 1e-14, 0, 'NDArray');
  });

  test('extreme logits: exact loss and gradient σ(x) − y from the softplus form', () => {
    const { loss, grads } = valueAndGradients(new MultiLabelSoftMarginLoss(), [
      f64([[1e30, -1e30, 1e30, -1e30]]),
      f64([[1, 0, 0, 1]]),
    ]);
    // Right answers cost 0, wrong ones 1e30 each.
    assertClose(loss.data, [(1e30 + 1e30) / 4], 1e-15, 0, 'loss');
    assertClose(grads[0]!.data, [0, 0, 0.25, -0.25], 1e-15, 0, 'd/dpred');
    assertClose(grads[1]!.data, [-0.25e30, 0.25e30, -0.25e30, 0.25e30], 1e-15, 0, 'd/dlabel = −x/C');
    const float32 = new MultiLabelSoftMarginLoss().forward(f32([[88, -88]]), f32([[0, 1]]));
    assertClose(float32.data, [88], 1e-7, 0, 'float32');
  });

  test('gradients (pred and label) against finite differences and the twin', () => {
    assertGradients(new MultiLabelSoftMarginLoss({ classWeight: [0.5, 2, 1] }), [X, Y]);
  });

  test('typed errors name the loss, the argument and the shapes', () => {
    assert.throws(
      () => new MultiLabelSoftMarginLoss({ classWeight: [1, 1] }).forward(X, Y),
      (e: Error) =>
        e instanceof ShapeError && /MultiLabelSoftMarginLoss: option classWeight has 2/.test(e.message),
    );
    assert.throws(() => new MultiLabelSoftMarginLoss({ classWeight: 'a' as never }), ValueError);
    assert.throws(
      () => new MultiLabelSoftMarginLoss().forward(X, f64([1, 0])),
      (e: Error) => e instanceof ShapeError && /MultiLabelSoftMarginLoss: label shape \[2\]/.test(e.message),
    );
    assert.throws(
      () => new MultiLabelSoftMarginLoss().forward(f64([[[1]]]), f64([[[1]]])),
      /pred must have 2 axes/,
    );
  });
});
