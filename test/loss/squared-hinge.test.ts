import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { HingeLoss } from '../../src/loss/hinge.js';
import { SquaredHingeLoss } from '../../src/loss/squared-hinge.js';
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

describe('SquaredHingeLoss', () => {
  test('closed form: mean max(0, margin − pred·label)²', () => {
    const out = new SquaredHingeLoss().forward(
      f64([
        [0.5, 2, -1],
        [0.25, -3, 0],
      ]),
      f64([
        [1, 1, 1],
        [-1, -1, 1],
      ]),
    );
    assertClose(out.data, [(0.25 + 0 + 4) / 3, (1.5625 + 0 + 1) / 3], 1e-15, 0, 'SquaredHinge');
  });

  test('gradient: −2·label·gap where active, 0 on and beyond the hinge', () => {
    const { grads } = valueAndGradients(new SquaredHingeLoss(), [f64([0.5, 1, 3, -2]), f64([1, 1, 1, 0.5])]);
    assertClose(grads[0]!.data, [-1, 0, 0, -2], 0, 0, 'd/dpred');
    assertClose(grads[1]!.data, [-0.5, 0, 0, 8], 0, 0, 'd/dlabel');
  });

  test('MXNet test_numpy_loss: sums 97, 13.25 and 19', () => {
    const pred = f32([1, 2, 3, 4]);
    const label = f32([1, 3, 5, 7]);
    const weighting = f32([0.5, 1, 0.5, 1]);
    assert.equal(sum(new SquaredHingeLoss({ margin: 10 }).forward(pred, label)), 97);
    assert.equal(sum(new SquaredHingeLoss({ margin: 8, weight: 0.25 }).forward(pred, label)), 13.25);
    assert.equal(sum(new SquaredHingeLoss({ margin: 7 }).forward(pred, label, weighting)), 19);
  });

  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      assertConformance('cases/SquaredHingeLoss.json', dtype);
      assertConformance('kinks.json', dtype, 'SquaredHingeLoss');
    });
  }

  test('identity: elementwise it is the square of HingeLoss', () => {
    const generator = new RandomGenerator(5);
    const pred = uniform(-3, 3, [6], { dtype: 'float64', generator });
    const label = uniform(-1, 1, [6], { dtype: 'float64', generator });
    const hinge = new HingeLoss({ margin: 0.7 }).forward(pred, label);
    const squared = new SquaredHingeLoss({ margin: 0.7 }).forward(pred, label);
    assertClose(
      squared.data,
      Array.from(hinge.data, (v) => v * v),
      1e-15,
      0,
      'hinge²',
    );
  });

  test('gradients match finite differences and the twin', () => {
    const label = f64([
      [1, -1, 1, -1],
      [-1, 1, 1, 0.5],
    ]);
    const pred = f64([
      [-0.5, 1.5, 0.8, 0.3],
      [-1.4, 0.1, -1, -0.5],
    ]);
    assertGradients(new SquaredHingeLoss(), [pred, label, f64([1.5, 0.5, 2, 1])]);
    assertGradients(new SquaredHingeLoss({ margin: 2, weight: 0.5, batchAxis: 1 }), [pred, label]);
  });

  test('second derivatives: 2·label² where active (double backward vs finite differences)', () => {
    const pred = f64([
      [-0.5, 1.5],
      [0.8, 0.3],
    ]);
    const label = f64([
      [1, -1],
      [0.5, -2],
    ]);
    const loss = new SquaredHingeLoss();
    assertSecondDerivative(loss, [pred, label], [0, 1], 0, 0);
    assertSecondDerivative(loss, [pred, label], [0, 1], 0, 1);
    assertSecondDerivative(loss, [pred, label], [0, 1], 1, 1);
  });

  test('extreme scores: finite where the square is', () => {
    for (const magnitude of [88, 1e4, 1e30]) {
      const { loss, grads } = valueAndGradients(new SquaredHingeLoss(), [
        f64([magnitude, -magnitude]),
        f64([1, 1]),
      ]);
      assertClose(loss.data, [0, (1 + magnitude) ** 2], 1e-15, 0, `SquaredHinge at ${magnitude}`);
      assertClose(grads[0]!.data, [0, -2 * (1 + magnitude)], 1e-15, 0, `d/dpred at ${magnitude}`);
    }
    assertClose(new SquaredHingeLoss().forward(f32([-88]), f32([1])).data, [89 * 89], 1e-7, 0, 'float32');
  });

  test('NaN stays in its own sample', () => {
    const { loss, grads } = valueAndGradients(new SquaredHingeLoss(), [
      f64([
        [Number.NaN, 0],
        [0.5, 0],
      ]),
      f64([
        [1, 1],
        [1, 1],
      ]),
    ]);
    assert.ok(Number.isNaN(loss.data[0]!));
    assertClose([loss.data[1]!], [(0.25 + 1) / 2], 0, 0, 'clean sample');
    assertClose(grads[0]!.data.subarray(2), [-0.5, -1], 0, 0, 'clean gradients');
  });

  test('errors: margin not finite, label count', () => {
    for (const margin of [Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => new SquaredHingeLoss({ margin }),
        (e: Error) => e instanceof ValueError && e.message.startsWith('SquaredHingeLoss'),
      );
    }
    assert.throws(() => new SquaredHingeLoss().forward(f64([[1, 2]]), f64([1])), ShapeError);
  });
});
