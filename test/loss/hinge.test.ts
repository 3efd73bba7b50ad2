import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { HingeLoss } from '../../src/loss/hinge.js';
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

describe('HingeLoss', () => {
  test('closed form: mean max(0, margin − pred·label)', () => {
    const out = new HingeLoss().forward(
      f64([
        [0.5, 2, -1],
        [0.25, -3, 0],
      ]),
      f64([
        [1, 1, 1],
        [-1, -1, 1],
      ]),
    );
    assertClose(out.data, [(0.5 + 0 + 2) / 3, (1.25 + 0 + 1) / 3], 1e-15, 0, 'Hinge');
    const soft = new HingeLoss({ margin: 0.5 }).forward(f64([2]), f64([0.1]));
    assertClose(soft.data, [0.3], 1e-15, 0, 'soft label accepted as written');
  });

  test('gradient: −label where active, 0 on and beyond the hinge', () => {
    const { grads } = valueAndGradients(new HingeLoss(), [f64([0.5, 1, 3, -2]), f64([1, 1, 1, 0.5])]);
    assertClose(grads[0]!.data, [-1, 0, 0, -0.5], 0, 0, 'd/dpred');
    assertClose(grads[1]!.data, [-0.5, 0, 0, 2], 0, 0, 'd/dlabel');
  });

  test('MXNet test_numpy_loss: sums 13, 2.25 and 4', () => {
    const pred = f32([1, 2, 3, 4]);
    const label = f32([1, 3, 5, 7]);
    const weighting = f32([0.5, 1, 0.5, 1]);
    assert.equal(sum(new HingeLoss({ margin: 10 }).forward(pred, label)), 13);
    assert.equal(sum(new HingeLoss({ margin: 8, weight: 0.25 }).forward(pred, label)), 2.25);
    assert.equal(sum(new HingeLoss({ margin: 7 }).forward(pred, label, weighting)), 4);
  });

  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      assertConformance('cases/HingeLoss.json', dtype);
      assertConformance('kinks.json', dtype, 'HingeLoss');
      assertConformance('tutorial.json', dtype, 'HingeLoss');
    });
  }

  test('gradients match finite differences and the twin', () => {
    const label = f64([
      [1, -1, 1, -1],
      [-1, 1, 1, 0.5],
    ]);
    // margin − pred·label: 1.5, −0.5, 0.2, 1.3 / −0.4, 0.9, 2, 1.25
    const pred = f64([
      [-0.5, 1.5, 0.8, 0.3],
      [-1.4, 0.1, -1, -0.5],
    ]);
    assertGradients(new HingeLoss(), [pred, label, f64([[2], [0.5]])]);
    assertGradients(new HingeLoss({ margin: 1, weight: 3, batchAxis: 1 }), [pred, label]);
  });

  test('second derivatives vanish (double backward vs finite differences)', () => {
    const pred = f64([
      [-0.5, 1.5],
      [0.8, 0.3],
    ]);
    const label = f64([
      [1, -1],
      [1, -1],
    ]);
    assertSecondDerivative(new HingeLoss(), [pred, label], [0, 1], 0, 0);
    // The mixed derivative d²ℓ/dpred dlabel is −1 where active.
    assertSecondDerivative(new HingeLoss(), [pred, label], [0, 1], 0, 1);
  });

  test('extreme scores: finite loss and gradients', () => {
    for (const magnitude of [88, 1e4, 1e30]) {
      const { loss, grads } = valueAndGradients(new HingeLoss(), [f64([magnitude, -magnitude]), f64([1, 1])]);
      assertClose(loss.data, [0, 1 + magnitude], 1e-15, 0, `Hinge at ${magnitude}`);
      assertClose(grads[0]!.data, [0, -1], 0, 0, `d/dpred at ${magnitude}`);
    }
    assertClose(new HingeLoss().forward(f32([-1e30]), f32([1])).data, [1e30], 1e-7, 0, 'float32');
  });

  test('NaN stays in its own sample', () => {
    const { loss, grads } = valueAndGradients(new HingeLoss(), [
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
    assertClose([loss.data[1]!], [0.75], 0, 0, 'clean sample');
    assertClose(grads[0]!.data.subarray(2), [-0.5, -0.5], 0, 0, 'clean gradients');
  });

  test('errors: margin not finite, label count', () => {
    for (const margin of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      assert.throws(
        () => new HingeLoss({ margin }),
        (e: Error) => e instanceof ValueError && e.message.startsWith('HingeLoss'),
      );
    }
    assert.throws(() => new HingeLoss({ margin: null as never }).forward(f64([1]), f64([1])), ValueError);
    assert.throws(() => new HingeLoss().forward(f64([[1, 2]]), f64([[1], [2], [3]])), ShapeError);
  });
});
