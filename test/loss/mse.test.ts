import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { L2Loss } from '../../src/loss/l2.js';
import { MSELoss } from '../../src/loss/mse.js';
import { assertClose, assertGradients, f32, f64, valueAndGradients } from './_elementwise-checks.js';

describe('MSELoss', () => {
  test('closed form: mean of (label − pred)² per sample, no ½ (PyTorch mse_loss)', () => {
    const out = new MSELoss().forward(
      f64([
        [1, 2],
        [3, 4],
      ]),
      f64([
        [1, 3],
        [5, 7],
      ]),
    );
    assertClose(out.data, [0.5, 6.5], 0, 0, 'MSE');
    assert.equal(new MSELoss().weight, null);
  });

  test('is exactly 2 × L2Loss, in values and gradients, on the block and the one-pass paths', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const generator = new RandomGenerator(7);
      const pred = uniform(-3, 3, [5, 7], { dtype, generator });
      const label = uniform(-3, 3, [5, 7], { dtype, generator });
      const mse = valueAndGradients(new MSELoss(), [pred.copy(), label.copy()]);
      const l2 = valueAndGradients(new L2Loss(), [pred.copy(), label.copy()]);
      assertClose(
        mse.loss.data,
        Array.from(l2.loss.data, (v) => 2 * v),
        1e-15,
        0,
        `${dtype} values`,
      );
      for (const [k, g] of mse.grads.entries()) {
        assertClose(
          g.data,
          Array.from(l2.grads[k]!.data, (v) => 2 * v),
          0,
          0,
          `${dtype} gradient ${k}`,
        );
      }
      // Only pred differentiated: the one-pass path (doubled scales through L2's kernel).
      const x = pred.copy().attachGrad();
      const out = record(() => new MSELoss().forward(x, label));
      out.backward();
      // float32: the wasm kernel sums in another order, so the float64 sum may round to the
      // neighbouring float32 (one ulp).
      assertClose(
        out.data,
        mse.loss.data,
        dtype === 'float32' ? 2 ** -23 : 1e-15,
        0,
        `${dtype} one-pass values`,
      );
      assertClose(
        x.grad!.data,
        mse.grads[0]!.data,
        dtype === 'float32' ? 2 ** -23 : 0,
        0,
        `${dtype} one-pass gradient`,
      );
    }
  });

  test('gradients match finite differences and the twin', () => {
    assertGradients(new MSELoss({ weight: 0.5 }), [
      f64([
        [0.1, -1.5],
        [2, 0.4],
      ]),
      f64([
        [0.3, 0.5],
        [-1, 0.2],
      ]),
    ]);
  });

  test('float32 overflows only where the true value does', () => {
    const out = new MSELoss().forward(f32([1e18, 1e20]), f32([0, 0]));
    assert.equal(out.data[0], Math.fround(1e36));
    assert.equal(out.data[1], Number.POSITIVE_INFINITY);
  });
});
