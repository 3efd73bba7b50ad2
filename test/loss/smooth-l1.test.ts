import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValueError } from '../../src/ndarray/errors.js';
import { RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { HuberLoss } from '../../src/loss/huber.js';
import { L1Loss } from '../../src/loss/l1.js';
import { SmoothL1Loss } from '../../src/loss/smooth-l1.js';
import { assertClose, assertGradients, f64, valueAndGradients } from './_elementwise-checks.js';

describe('SmoothL1Loss', () => {
  test('closed form: d²/(2β) inside β, d − β/2 beyond (PyTorch smooth_l1_loss)', () => {
    // β = 2: |d| = 1 → 1/4, |d| = 2 → 1 (both branches), |d| = 5 → 4.
    const out = new SmoothL1Loss({ beta: 2 }).forward(f64([[0, 0, 0]]), f64([[1, -2, 5]]));
    assertClose(out.data, [(0.25 + 1 + 4) / 3], 1e-15, 0, 'beta 2');
    assert.equal(new SmoothL1Loss().beta, 1);
  });

  test('equals HuberLoss with rho = beta, and L1Loss exactly with beta 0 (values and gradients)', () => {
    const generator = new RandomGenerator(5);
    const pred = uniform(-3, 3, [4, 5], { dtype: 'float64', generator });
    const label = uniform(-3, 3, [4, 5], { dtype: 'float64', generator });
    for (const [loss, same] of [
      [new SmoothL1Loss({ beta: 0.7 }), new HuberLoss({ rho: 0.7 })],
      [new SmoothL1Loss({ beta: 0 }), new L1Loss()],
    ] as const) {
      const a = valueAndGradients(loss, [pred.copy(), label.copy()]);
      const b = valueAndGradients(same, [pred.copy(), label.copy()]);
      assert.deepEqual(Array.from(a.loss.data), Array.from(b.loss.data));
      for (const [k, g] of a.grads.entries())
        assert.deepEqual(Array.from(g.data), Array.from(b.grads[k]!.data));
    }
  });

  test('beta 0: slope 0 at a zero residual, ±1 elsewhere; no 1/β anywhere', () => {
    const { loss, grads } = valueAndGradients(new SmoothL1Loss({ beta: 0 }), [
      f64([1, 2, 3]),
      f64([1, 0, 5]),
    ]);
    assertClose(loss.data, [0, 2, 2], 0, 0, 'L1 values');
    assertClose(grads[0]!.data, [0, 1, -1], 0, 0, 'd/dpred');
  });

  test('gradients match finite differences and the twin, on both branches', () => {
    const pred = f64([
      [0.1, -1.5, 2],
      [0.4, 3, -0.2],
    ]);
    const label = f64([
      [0.3, 0.5, -1],
      [0.2, 0, -0.25],
    ]);
    assertGradients(new SmoothL1Loss({ beta: 1 }), [pred, label]);
    assertGradients(new SmoothL1Loss({ beta: 0 }), [pred, label]);
  });

  test('a negative or non-finite beta is a ValueError naming it', () => {
    for (const beta of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => new SmoothL1Loss({ beta }),
        (e: Error) => e instanceof ValueError && /SmoothL1Loss: option beta/.test(e.message),
      );
    }
  });
});
