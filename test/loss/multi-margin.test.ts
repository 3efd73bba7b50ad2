import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { grad, record } from '../../src/autograd/index.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { MultiMarginLoss } from '../../src/loss/multi-margin.js';
import { assertFusedGradients, lossAndGradients } from './_closure-checks.js';
import { assertClose, f32, f64 } from './_elementwise-checks.js';

const labels = (values: number[]) => new NDArray(Int32Array.from(values), [values.length]);

describe('MultiMarginLoss', () => {
  test("PyTorch's documented example: 0.325", () => {
    const out = new MultiMarginLoss().forward(f64([[0.1, 0.2, 0.4, 0.8]]), labels([3]));
    assertClose(out.data, [(0.3 + 0.4 + 0.6) / 4], 1e-15, 0, 'MultiMargin');
  });

  test('closed forms: p = 2, margin, classWeight by the true class, weight', () => {
    const x = f64([
      [0.5, -0.25, 1],
      [2, 0, -1],
    ]);
    // Row 0, y = 2: hinges 0.5 − 1 + 0.5 = 0 and 0.5 − 1 − 0.25 < 0. Row 1, y = 1: 0.5 + 2 = 2.5 and 0.5 − 1 < 0.
    const out = new MultiMarginLoss({ p: 2, margin: 0.5, classWeight: [1, 3, 2], weight: 2 }).forward(
      x,
      [2, 1],
    );
    assertClose(out.data, [0, (2 * 3 * 2.5 ** 2) / 3], 1e-15, 0, 'p 2');
    const plain = new MultiMarginLoss().forward(x, labels([0, 0]));
    assertClose(plain.data, [(0.25 + 1.5) / 3, 0], 1e-15, 0, 'p 1');
  });

  test('the hinge: a term exactly on it contributes gradient 0 (relu′(0) = 0, as PyTorch)', () => {
    const x = f64([[0, 1, 0.5]]).attachGrad();
    const loss = record(() => new MultiMarginLoss().forward(x, labels([1])));
    assertClose(loss.data, [0.5 / 3], 1e-15, 0, 'loss');
    // Class 0 sits on the hinge (1 − 1 + 0 = 0): no gradient; class 2 is active.
    assertClose(grad(loss, [x])[0]!.data, [0, -1 / 3, 1 / 3], 1e-15, 0, 'gradient');
    const squared = record(() => new MultiMarginLoss({ p: 2 }).forward(x, labels([1])));
    assertClose(grad(squared, [x])[0]!.data, [0, -1 / 3, 1 / 3], 1e-15, 0, 'p 2 gradient 2h/C');
  });

  test('large equal scores: the hinge (x_c − x_y) + margin keeps the margin (1e30 − 1e30 + 1 = 1, active)', () => {
    for (const make of [f32, f64]) {
      const x = make([[1e30, 1e30, -1e30]]).attachGrad();
      const loss = record(() => new MultiMarginLoss().forward(x, labels([0])));
      // Class 1: (1e30 − 1e30) + 1 = 1, active; class 2: −2e30 + 1, inactive.
      assertClose(loss.data, [1 / 3], make === f32 ? 1e-7 : 1e-15, 0, 'loss');
      assertClose(grad(loss, [x])[0]!.data, [-1 / 3, 1 / 3, 0], 1e-7, 0, 'gradient');
    }
  });

  test('gradients against finite differences and the twin (p 1 and 2, classWeight)', () => {
    const x = f64([
      [0.3, -0.7, 1.1, 0.2],
      [1.6, 0.1, -0.4, 0.9],
      [-0.5, 0.45, 0.05, -1.2],
    ]);
    const y = labels([2, 0, 1]);
    for (const options of [
      {},
      { p: 2 as const },
      { p: 2 as const, margin: 1.3, classWeight: [0.5, 2, 1, 3] },
    ]) {
      const loss = new MultiMarginLoss(options);
      assertFusedGradients(loss, ([pred]) => [pred!, y], [x]);
      const { grads } = lossAndGradients(loss, ([pred]) => [pred!, y], [x.copy()]);
      assert.ok(
        grads[0]!.data.some((g) => g !== 0),
        'some hinge is active',
      );
    }
  });

  test('float labels holding integers are class indices; extreme scores stay finite in float64', () => {
    const x = f64([
      [1e30, -1e30, 0],
      [-1e30, 1e30, 5],
    ]);
    const asFloat = new MultiMarginLoss().forward(x, f64([0, 0]));
    const asInt = new MultiMarginLoss().forward(x, labels([0, 0]));
    assert.deepEqual(Array.from(asFloat.data), Array.from(asInt.data));
    assertClose(asFloat.data, [0, (1 + 2e30 + 1 + 1e30 + 5) / 3], 1e-15, 0, 'extreme');
  });

  test('typed errors name the loss, the argument and the value', () => {
    const x = f64([
      [0, 1, 2],
      [2, 1, 0],
    ]);
    assert.throws(
      () => new MultiMarginLoss({ p: 3 as 1 }),
      (e: Error) =>
        e instanceof ValueError && /MultiMarginLoss: option p must be 1 or 2, got 3/.test(e.message),
    );
    assert.throws(
      () => new MultiMarginLoss().forward(x, labels([0, 3])),
      (e: Error) =>
        e instanceof ValueError && /MultiMarginLoss: label at flat position 1 is 3/.test(e.message),
    );
    assert.throws(() => new MultiMarginLoss().forward(x, f64([0.5, 1])), /MultiMarginLoss: label .* 0.5/);
    assert.throws(() => new MultiMarginLoss().forward(x, f64([Number.NaN, 1])), ValueError);
    assert.throws(
      () => new MultiMarginLoss({ classWeight: [1, 2] }).forward(x, labels([0, 1])),
      (e: Error) =>
        e instanceof ShapeError && /MultiMarginLoss: option classWeight has 2 entries/.test(e.message),
    );
    assert.throws(
      () => new MultiMarginLoss({ classWeight: [1, Number.NaN, 1] }),
      /classWeight must hold finite/,
    );
    assert.throws(
      () => new MultiMarginLoss().forward(f64([0, 1, 2]), labels([1])),
      (e: Error) => e instanceof ShapeError && /MultiMarginLoss: pred must have 2 axes/.test(e.message),
    );
    assert.throws(
      () => new MultiMarginLoss().forward(x, labels([0, 1, 2])),
      (e: Error) => e instanceof ShapeError && /label shape \[3\]/.test(e.message),
    );
    assert.throws(() => new MultiMarginLoss({ batchAxis: 1 }).forward(x, labels([0, 1])), ShapeError);
  });
});
