import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { L2Loss } from '../../src/loss/l2.js';
import {
  assertClose,
  assertConformance,
  assertGradients,
  assertSecondDerivative,
  f32,
  f64,
  valueAndGradients,
} from './_elementwise-checks.js';

const sum = (x: { data: ArrayLike<number> }) => Array.from(x.data).reduce((a, b) => a + b, 0);

describe('L2Loss', () => {
  test('closed form: mean ½(label − pred)² per sample, times weight', () => {
    const pred = f64([
      [1, 2],
      [3, 4],
    ]);
    const label = f64([
      [1, 3],
      [5, 7],
    ]);
    const out = new L2Loss().forward(pred, label);
    assert.deepEqual(out.shape, [2]);
    // Residuals 0, 1 | 2, 3: (0 + ½)/2 and (2 + 4.5)/2.
    assertClose(out.data, [0.25, 3.25], 0, 0, 'L2');
    assertClose(new L2Loss({ weight: 3 }).forward(pred, label).data, [0.75, 9.75], 1e-15, 0, 'L2 weight 3');
    // weight null means no scaling: the ½ stays.
    assertClose(new L2Loss({ weight: null }).forward(pred, label).data, [0.25, 3.25], 0, 0, 'L2 weight null');
  });

  test('gradient is weight · (pred − label)/M', () => {
    const { grads } = valueAndGradients(new L2Loss({ weight: 2 }), [f64([[1, 2, 5]]), f64([[1, 3, 4]])]);
    assertClose(grads[0]!.data, [0, -2 / 3, 2 / 3], 1e-15, 0, 'd/dpred');
    assertClose(grads[1]!.data, [0, 2 / 3, -2 / 3], 1e-15, 0, 'd/dlabel');
  });

  test('MXNet test_loss_ndarray: sums 7, 1.75 and 6', () => {
    const pred = f32([1, 2, 3, 4]);
    const label = f32([1, 3, 5, 7]);
    const weighting = f32([0.5, 1, 0.5, 1]);
    assert.equal(sum(new L2Loss().forward(pred, label)), 7);
    assert.equal(sum(new L2Loss({ weight: 0.25 }).forward(pred, label)), 1.75);
    assert.equal(sum(new L2Loss().forward(pred, label, weighting)), 6);
  });

  test('tutorial cells: ones against twos give [0.5 0.5], weighted by [1 2] give [0.5 1]', () => {
    const pred = f32([1, 1]);
    const label = f32([2, 2]);
    assertClose(new L2Loss().forward(pred, label).data, [0.5, 0.5], 0, 0, 'cell 3');
    assertClose(new L2Loss().forward(pred, label, f32([1, 2])).data, [0.5, 1], 0, 0, 'cell 19');
  });

  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      assertConformance('cases/L2Loss.json', dtype);
      assertConformance('tutorial.json', dtype, 'L2Loss');
    });
  }

  test('gradients match finite differences and the twin (sampleWeight shapes, batchAxis 1)', () => {
    const generator = new RandomGenerator(22);
    const pred = uniform(-2, 2, [3, 4], { dtype: 'float64', generator });
    const label = uniform(-2, 2, [3, 4], { dtype: 'float64', generator });
    for (const shape of [[3], [3, 1], [1, 4], [3, 4]]) {
      const weight = uniform(0.5, 2, shape, { dtype: 'float64', generator });
      assertGradients(new L2Loss(), [pred, label, weight]);
    }
    assertGradients(new L2Loss({ weight: 0.5, batchAxis: 1 }), [pred, label]);
  });

  test('sampleWeight gradient is ½(label − pred)²/M per element, summed over broadcast axes', () => {
    const pred = f64([
      [0, 1],
      [2, 2],
    ]);
    const label = f64([
      [1, 3],
      [2, -1],
    ]);
    // ½d²: [0.5 2 | 0 4.5], M = 2.
    const perSample = valueAndGradients(new L2Loss(), [pred, label, f64([2, 3])]);
    assertClose(perSample.loss.data, [2 * 1.25, 3 * 2.25], 1e-15, 0, 'weighted loss');
    assertClose(perSample.grads[2]!.data, [1.25, 2.25], 1e-15, 0, 'd/dsampleWeight [2]');
    const perColumn = valueAndGradients(new L2Loss(), [pred, label, f64([[2, 3]])]);
    assertClose(perColumn.grads[2]!.data, [0.25, 3.25], 1e-15, 0, 'd/dsampleWeight [1, 2]');
    const perElement = valueAndGradients(new L2Loss({ weight: 2 }), [
      pred,
      label,
      f64([
        [1, 1],
        [1, 1],
      ]),
    ]);
    assertClose(perElement.grads[2]!.data, [0.5, 2, 0, 4.5], 1e-15, 0, 'd/dsampleWeight [2, 2], weight 2');
  });

  test('second derivatives: weight/M with respect to pred, −weight/M across pred and label', () => {
    const pred = f64([
      [0.3, -1.2],
      [2, 0.1],
    ]);
    const label = f64([
      [1, 0.4],
      [-0.5, -0.7],
    ]);
    assertSecondDerivative(new L2Loss(), [pred, label], [0, 1], 0, 0);
    assertSecondDerivative(new L2Loss({ weight: 3 }), [pred, label], [0, 1], 0, 1);
    assertSecondDerivative(new L2Loss(), [pred, label, f64([0.5, 2])], [0, 1, 2], 0, 2);
  });

  test('batchAxis 1: one value per column, the mean over rows', () => {
    const out = new L2Loss({ batchAxis: 1 }).forward(
      f64([
        [0, 0, 0],
        [0, 0, 0],
      ]),
      f64([
        [1, 2, 3],
        [3, 0, 1],
      ]),
    );
    assert.deepEqual(out.shape, [3]);
    assertClose(out.data, [(0.5 + 4.5) / 2, (2 + 0) / 2, (4.5 + 0.5) / 2], 0, 0, 'batchAxis 1');
    const negative = new L2Loss({ batchAxis: -1 }).forward(f64([[0, 0, 0]]), f64([[1, 2, 3]]));
    assertClose(negative.data, [0.5, 2, 4.5], 0, 0, 'batchAxis −1');
  });

  test('samples larger than a kernel block, and batchAxis 1 across blocks, match the twin', () => {
    const generator = new RandomGenerator(23);
    const pred = uniform(-2, 2, [3, 5000], { dtype: 'float64', generator });
    const label = uniform(-2, 2, [3, 5000], { dtype: 'float64', generator });
    for (const loss of [new L2Loss(), new L2Loss({ batchAxis: 1, weight: 0.5 })]) {
      assertClose(loss.forward(pred, label).data, loss.reference(pred, label).data, 1e-12, 0, `${loss}`);
    }
    const { grads } = valueAndGradients(new L2Loss(), [pred, label]);
    const expected = pred.sub(label).div(5000);
    assertClose(grads[0]!.data, expected.data, 1e-15, 0, 'd/dpred');
  });

  test('NaN and Infinity stay in their own sample', () => {
    const { loss, grads } = valueAndGradients(new L2Loss(), [
      f64([
        [Number.NaN, 1],
        [Infinity, 2],
        [1, 2],
      ]),
      f64([
        [0, 0],
        [0, 0],
        [0, 0],
      ]),
    ]);
    assert.ok(Number.isNaN(loss.data[0]!));
    assert.equal(loss.data[1], Infinity);
    assert.equal(loss.data[2], 1.25);
    assert.ok(Number.isNaN(grads[0]!.data[0]!));
    assertClose(grads[0]!.data.subarray(3), [1, 0.5, 1], 0, 0, 'clean gradients');
  });

  test('errors: label count, sampleWeight shape, options', () => {
    assert.throws(
      () => new L2Loss().forward(f64([[1, 2]]), f64([1, 2, 3])),
      (e: Error) => e instanceof ShapeError && /^L2Loss: label shape \[3\]/.test(e.message),
    );
    assert.throws(
      () => new L2Loss().forward(f64([[1, 2]]), f64([[1, 2]]), f64([[1, 2, 3]])),
      (e: Error) =>
        e instanceof ShapeError && /^L2Loss: sampleWeight shape \[1,3\] does not broadcast/.test(e.message),
    );
    assert.throws(() => new L2Loss({ weight: Number.NaN }), ValueError);
    assert.throws(() => new L2Loss({ rho: 1 } as never), ValueError);
    assert.throws(() => new L2Loss({ batchAxis: 0.5 }), ValueError);
    assert.throws(() => new L2Loss({ batchAxis: 2 }).forward(f64([[1]]), f64([[1]])), ShapeError);
    assert.throws(() => new L2Loss().forward(f64([1])), ValueError);
  });

  test('label of another shape with the same count is reshaped like pred', () => {
    const out = new L2Loss().forward(
      f64([
        [1, 2],
        [3, 4],
      ]),
      f64([2, 2, 2, 2]),
    );
    assertClose(out.data, [0.25, 1.25], 0, 0, 'reshaped label');
  });
});
