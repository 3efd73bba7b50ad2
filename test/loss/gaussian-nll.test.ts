import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { GaussianNLLLoss } from '../../src/loss/gaussian-nll.js';
import { assertClose, assertGradients, f32, f64, valueAndGradients } from './_elementwise-checks.js';

describe('GaussianNLLLoss', () => {
  test('closed form: ½(log v + (pred − target)²/v), plus ½ log 2π with full', () => {
    const inputs = [f64([[0, 1]]), f64([[0, 0]]), f64([[1, 4]])];
    const half = 0.5 * (Math.log(4) + 0.25);
    assertClose(new GaussianNLLLoss().forward(...inputs).data, [half / 2], 1e-15, 0, 'default');
    assertClose(
      new GaussianNLLLoss({ full: true }).forward(...inputs).data,
      [half / 2 + 0.5 * Math.log(2 * Math.PI)],
      1e-15,
      0,
      'full',
    );
  });

  test('variance below eps is eps, and its gradient there is 0 (at eps itself it passes)', () => {
    const eps = 2 ** -20;
    const loss = new GaussianNLLLoss({ eps });
    const { loss: out, grads } = valueAndGradients(loss, [
      f64([1, 1, 1]),
      f64([0, 0, 0]),
      f64([eps, eps / 4, 0]),
    ]);
    const atEps = 0.5 * (Math.log(eps) + 1 / eps);
    assertClose(out.data, [atEps, atEps, atEps], 1e-15, 0, 'values');
    assertClose(grads[2]!.data, [0.5 * (1 / eps - 1 / eps ** 2), 0, 0], 1e-15, 0, 'd/dvariance');
    assertClose(grads[0]!.data, [1 / eps, 1 / eps, 1 / eps], 1e-15, 0, 'd/dpred');
  });

  test('a per-row variance ((N,) or (N, 1) against (N, D)) has its gradient summed over the row', () => {
    const generator = new RandomGenerator(9);
    const pred = uniform(-2, 2, [3, 5], { dtype: 'float64', generator });
    const target = uniform(-2, 2, [3, 5], { dtype: 'float64', generator });
    const variance = uniform(0.3, 2, [3], { dtype: 'float64', generator });
    const full = variance.reshape([3, 1]).mul(pred.mul(0).add(1));
    const rows = valueAndGradients(new GaussianNLLLoss(), [pred.copy(), target.copy(), variance.copy()]);
    const same = valueAndGradients(new GaussianNLLLoss(), [pred.copy(), target.copy(), full]);
    assertClose(rows.loss.data, same.loss.data, 1e-15, 0, 'values');
    const summed = Array.from({ length: 3 }, (_, n) =>
      Array.from(same.grads[2]!.data.subarray(n * 5, n * 5 + 5)).reduce((a, b) => a + b, 0),
    );
    assertClose(rows.grads[2]!.data, summed, 1e-14, 0, 'summed variance gradient');
    assertGradients(new GaussianNLLLoss(), [pred, target, variance.reshape([3, 1])]);
  });

  test('float32 row variance: the row sums run in float64 across blocks, rounded once', () => {
    // 3 rows of 3000: blocks of 4096 split rows; every term is 0.5·(1/v − d²/v²) with d = 0, v = 1.
    const pred = f32(new Array(9000).fill(0.25)).reshape([3, 3000]);
    const variance = f32([1, 1, 1]).attachGrad();
    const out = record(() => new GaussianNLLLoss().forward(pred, f32(new Array(9000).fill(0.25)), variance));
    out.backward();
    assertClose(variance.grad!.data, [0.5, 0.5, 0.5], 1e-7, 0, 'Σ over 3000 of 0.5/3000');
  });

  test('negative variance is a ValueError naming it; other shapes are a ShapeError', () => {
    assert.throws(
      () => new GaussianNLLLoss().forward(f64([1, 2]), f64([0, 0]), f64([1, -0.5])),
      (e: Error) =>
        e instanceof ValueError && /GaussianNLLLoss: variance at flat position 1 is -0.5/.test(e.message),
    );
    assert.throws(
      () => new GaussianNLLLoss().forward(f64([[1, 2]]), f64([[0, 0]]), f64([[1, 1, 1]])),
      (e: Error) => e instanceof ShapeError && /variance shape \[1,3\]/.test(e.message),
    );
    assert.throws(() => new GaussianNLLLoss({ eps: 0 }), ValueError);
    assert.throws(() => new GaussianNLLLoss({ full: 1 as unknown as boolean }), ValueError);
  });
});
