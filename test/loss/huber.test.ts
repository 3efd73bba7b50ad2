import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { HuberLoss } from '../../src/loss/huber.js';
import { L1Loss } from '../../src/loss/l1.js';
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

describe('HuberLoss', () => {
  test('closed form: quadratic inside rho, linear outside', () => {
    // rho = 2: |d| = 1 → 1/4; |d| = 2 (boundary) → 1; |d| = 5 → 5 − 1 = 4.
    const out = new HuberLoss({ rho: 2 }).forward(f64([[0, 0, 0]]), f64([[1, -2, 5]]));
    assertClose(out.data, [(0.25 + 1 + 4) / 3], 1e-15, 0, 'Huber rho 2');
    assert.equal(new HuberLoss().rho, 1);
  });

  test('gradient: (pred − label)/rho inside, sign outside, ±1 at |d| = rho', () => {
    const { grads } = valueAndGradients(new HuberLoss({ rho: 2 }), [
      f64([0, 0, 0, 0, 3]),
      f64([1, -2, 2, 5, 3]),
    ]);
    assertClose(grads[0]!.data, [-0.5, 1, -1, -1, 0], 0, 1e-15, 'd/dpred');
    assertClose(grads[1]!.data, [0.5, -1, 1, 1, 0], 0, 1e-15, 'd/dlabel');
  });

  test('MXNet test_numpy_loss: sums 4.5, 1.125 and 3.75', () => {
    const pred = f32([1, 2, 3, 4]);
    const label = f32([1, 3, 5, 7]);
    const weighting = f32([0.5, 1, 0.5, 1]);
    assert.equal(sum(new HuberLoss().forward(pred, label)), 4.5);
    assert.equal(sum(new HuberLoss({ weight: 0.25 }).forward(pred, label)), 1.125);
    assert.equal(sum(new HuberLoss().forward(pred, label, weighting)), 3.75);
  });

  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      assertConformance('cases/HuberLoss.json', dtype);
      assertConformance('tutorial.json', dtype, 'HuberLoss');
    });
  }

  test('identities: huge rho is L2/rho, tiny rho is L1 − rho/2', () => {
    const generator = new RandomGenerator(3);
    const pred = uniform(-3, 3, [4, 5], { dtype: 'float64', generator });
    const label = uniform(-3, 3, [4, 5], { dtype: 'float64', generator });
    const rho = 1e6;
    const l2 = new L2Loss().forward(pred, label);
    assertClose(
      new HuberLoss({ rho }).forward(pred, label).data,
      Array.from(l2.data, (v) => v / rho),
      1e-14,
      0,
      'L2/rho',
    );
    const small = 1e-9;
    const l1 = new L1Loss().forward(pred, label);
    assertClose(
      new HuberLoss({ rho: small }).forward(pred, label).data,
      Array.from(l1.data, (v) => v - small / 2),
      1e-14,
      0,
      'L1 − rho/2',
    );
  });

  test('gradients match finite differences and the twin', () => {
    const generator = new RandomGenerator(22);
    const pred = uniform(-2, 2, [3, 4], { dtype: 'float64', generator });
    // Residuals on both branches, none near |d| = rho = 0.7.
    const label = pred.add(
      f64([
        [0.2, -0.3, 1.5, -1],
        [0.1, 2, -0.4, 0.9],
        [-0.25, 0.35, 1.5, -2.45],
      ]),
    );
    const weight = uniform(0.5, 2, [4], { dtype: 'float64', generator });
    assertGradients(new HuberLoss({ rho: 0.7 }), [pred, label, weight]);
    assertGradients(new HuberLoss({ rho: 0.7, weight: 2, batchAxis: -1 }), [pred, label]);
  });

  test('second derivatives: 1/rho inside, 0 outside (double backward vs finite differences)', () => {
    const pred = f64([
      [0.3, -1.2, 0],
      [2, 0.1, 1],
    ]);
    const label = f64([
      [0.5, 0.4, 3],
      [-0.5, -0.2, 1.1],
    ]);
    const huber = new HuberLoss({ rho: 0.8 });
    assertSecondDerivative(huber, [pred, label], [0, 1], 0, 0);
    assertSecondDerivative(huber, [pred, label], [0, 1], 0, 1);
    assertSecondDerivative(huber, [pred, label], [0, 1], 1, 1);
  });

  test('extreme residuals: linear branch, finite unit gradients', () => {
    for (const magnitude of [88, 1e4, 1e30]) {
      const { loss, grads } = valueAndGradients(new HuberLoss(), [f64([magnitude, -magnitude]), f64([0, 0])]);
      assertClose(loss.data, [magnitude - 0.5, magnitude - 0.5], 1e-15, 0, `Huber at ${magnitude}`);
      assertClose(grads[0]!.data, [1, -1], 0, 0, `d/dpred at ${magnitude}`);
    }
    const out = new HuberLoss().forward(f32([1e30, -88]), f32([0, 0]));
    assertClose(out.data, [1e30, 87.5], 1e-7, 0, 'float32');
  });

  test('NaN and Infinity stay in their own sample', () => {
    const pred = f64([
      [Number.NaN, 1],
      [Number.NEGATIVE_INFINITY, 0],
      [1, 2],
    ]);
    const { loss, grads } = valueAndGradients(new HuberLoss(), [
      pred,
      f64([
        [0, 0],
        [0, 0],
        [0, 0],
      ]),
    ]);
    assert.ok(Number.isNaN(loss.data[0]!));
    assert.equal(loss.data[1], Infinity);
    assertClose([loss.data[2]!], [(0.5 + 1.5) / 2], 0, 0, 'clean sample');
    assert.ok(Number.isNaN(grads[0]!.data[0]!));
    assertClose(grads[0]!.data.subarray(1), [0.5, -0.5, 0, 0.5, 0.5], 0, 0, 'other gradients');
  });

  test('errors: rho <= 0 or not finite, label count', () => {
    for (const rho of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => new HuberLoss({ rho }),
        (e: Error) => e instanceof ValueError && e.message.startsWith('HuberLoss'),
        `rho ${rho}`,
      );
    }
    assert.throws(() => new HuberLoss({ rho: '1' as never }), ValueError);
    assert.throws(() => new HuberLoss().forward(f64([[1, 2]]), f64([[1, 2, 3]])), ShapeError);
  });
});
