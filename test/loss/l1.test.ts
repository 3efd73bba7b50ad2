import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { L1Loss } from '../../src/loss/l1.js';
import {
  assertClose,
  assertConformance,
  assertGradients,
  assertSecondDerivative,
  f32,
  f64,
  valueAndGradients,
} from './_elementwise-checks.js';

describe('L1Loss', () => {
  test('closed form: mean |label − pred| per sample', () => {
    const out = new L1Loss().forward(
      f64([
        [1, 2],
        [3, 4],
      ]),
      f64([
        [1, 3],
        [5, 7],
      ]),
    );
    assert.deepEqual(out.shape, [2]);
    assertClose(out.data, [0.5, 2.5], 0, 1e-15, 'L1');
    const weighted = new L1Loss({ weight: 3 }).forward(
      f64([
        [0.25, -1],
        [2, 2],
      ]),
      f64([
        [1, 1],
        [2, 0],
      ]),
    );
    assertClose(weighted.data, [(3 * (0.75 + 2)) / 2, (3 * (0 + 2)) / 2], 1e-15, 0, 'L1 weight 3');
  });

  test('gradient is sign(pred − label)/M, 0 at a zero residual', () => {
    const { grads } = valueAndGradients(new L1Loss(), [f64([[1, 2, 5]]), f64([[1, 3, 4]])]);
    assertClose(grads[0]!.data, [0, -1 / 3, 1 / 3], 0, 1e-15, 'd/dpred');
    assertClose(grads[1]!.data, [0, 1 / 3, -1 / 3], 0, 1e-15, 'd/dlabel');
  });

  test('MXNet test_loss_ndarray: sums 6, 3 and 5', () => {
    const pred = f32([1, 2, 3, 4]);
    const label = f32([1, 3, 5, 7]);
    const weighting = f32([0.5, 1, 0.5, 1]);
    const sum = (x: { data: ArrayLike<number> }) => Array.from(x.data).reduce((a, b) => a + b, 0);
    assert.equal(sum(new L1Loss().forward(pred, label)), 6);
    assert.equal(sum(new L1Loss({ weight: 0.5 }).forward(pred, label)), 3);
    assert.equal(sum(new L1Loss().forward(pred, label, weighting)), 5);
  });

  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      assertConformance('cases/L1Loss.json', dtype);
      assertConformance('kinks.json', dtype, 'L1Loss');
      assertConformance('tutorial.json', dtype, 'L1Loss');
    });
  }

  test('gradients match finite differences and the twin (with sampleWeight)', () => {
    const generator = new RandomGenerator(21);
    const pred = uniform(-2, 2, [3, 4], { dtype: 'float64', generator });
    const label = pred.add(
      f64([
        [0.5, -0.3, 0.2, -1],
        [0.7, 0.4, -0.6, 0.9],
        [-0.25, 0.35, 1.5, -0.45],
      ]),
    );
    const weight = uniform(0.5, 2, [3, 1], { dtype: 'float64', generator });
    assertGradients(new L1Loss(), [pred, label, weight]);
    assertGradients(new L1Loss({ weight: 0.5, batchAxis: 1 }), [pred, label]);
  });

  test('second derivatives are 0 away from the kink (double backward vs finite differences)', () => {
    const pred = f64([
      [0.3, -1.2],
      [2, 0.1],
    ]);
    const label = f64([
      [1, 0.4],
      [-0.5, -0.7],
    ]);
    assertSecondDerivative(new L1Loss(), [pred, label], [0, 1], 0, 0);
    assertSecondDerivative(new L1Loss(), [pred, label], [0, 1], 0, 1);
  });

  test('extreme predictions: exact loss, unit gradients', () => {
    for (const magnitude of [88, 1e4, 1e30]) {
      const { loss, grads } = valueAndGradients(new L1Loss(), [
        f64([magnitude, -magnitude]),
        f64([0.5, 0.5]),
      ]);
      assertClose(loss.data, [magnitude - 0.5, magnitude + 0.5], 1e-15, 0, `L1 at ${magnitude}`);
      assertClose(grads[0]!.data, [1, -1], 0, 0, `d/dpred at ${magnitude}`);
    }
    const out = new L1Loss().forward(f32([1e30, -88]), f32([-1e30, 0]));
    assertClose(out.data, [Math.fround(2e30), 88], 1e-7, 0, 'float32');
  });

  test('NaN and Infinity stay in their own sample', () => {
    const { loss, grads } = valueAndGradients(new L1Loss(), [
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
    assert.equal(loss.data[2], 1.5);
    assert.ok(Number.isNaN(grads[0]!.data[0]!));
    assertClose(grads[0]!.data.subarray(1), [0.5, 0.5, 0.5, 0.5, 0.5], 0, 0, 'other gradients');
  });

  test('errors: label count, options', () => {
    assert.throws(
      () => new L1Loss().forward(f64([[1, 2]]), f64([1, 2, 3])),
      (e: Error) => e instanceof ShapeError && /L1Loss: label shape \[3\]/.test(e.message),
    );
    assert.throws(() => new L1Loss({ weight: Number.POSITIVE_INFINITY }), ValueError);
    assert.throws(() => new L1Loss({ rho: 1 } as never), ValueError);
    assert.throws(() => new L1Loss({ batchAxis: 2 }).forward(f64([[1]]), f64([[1]])), ShapeError);
  });

  test('label of another shape with the same count is reshaped like pred', () => {
    const out = new L1Loss().forward(
      f64([
        [1, 2],
        [3, 4],
      ]),
      f64([2, 2, 2, 2]),
    );
    assertClose(out.data, [0.5, 1.5], 0, 0, 'reshaped label');
  });
});
