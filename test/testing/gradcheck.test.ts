import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { customOp } from '../../src/autograd/index.js';
import { ValueError } from '../../src/ndarray/errors.js';
import * as nd from '../../src/ndarray/index.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { checkGradient, checkSecondGradient, numericGradient } from '../../src/testing/index.js';
import { assertClose, assertThrowsWith } from '../ops/_op-checks.js';

const f64 = { dtype: 'float64' } as const;

/** x² with a backward chosen by the test: right, wrong by a factor, or right but not differentiable. */
function squareWith(backward: (x: NDArray, g: NDArray) => NDArray) {
  const op = customOp<undefined, undefined>({
    name: 'testSquare',
    forward: ([x]) => x!.square(),
    backward: ({ inputs: [x], gradOutput }) => [backward(x!, gradOutput)],
  });
  return (x: NDArray) => op([x], undefined);
}

describe('numericGradient', () => {
  test('central differences of Σ headGrad · f match the closed form', () => {
    const x = nd.array([1, -2, 0.5], f64);
    const gradient = numericGradient((v) => v.pow(3), [x], 0, { headGrad: nd.array([1, 2, 3], f64) });
    assertClose(gradient, [3, 2 * 12, 3 * 0.75], { rtol: 1e-8 });
  });

  test('differentiates with respect to the chosen input only, and restores it', () => {
    const a = nd.array([2], f64);
    const b = nd.array([5], f64);
    assertClose(
      numericGradient((u, v) => u.mul(v), [a, b], 1),
      [2],
      { rtol: 1e-9 },
    );
    assert.deepEqual(b.toArray(), [5]);
  });
});

describe('checkGradient', () => {
  test('passes a correct backward and reports both gradients', () => {
    const result = checkGradient((x) => x.sin().mul(x), [nd.array([0.3, -1.2], f64)]);
    assert.ok(result.ok);
    assert.ok(result.worst <= 1);
    const expected = [0.3, -1.2].map((v) => Math.cos(v) * v + Math.sin(v));
    assertClose(result.analytic[0]!, expected, { rtol: 1e-12 });
    assertClose(result.numeric[0]!, expected, { rtol: 1e-7 });
  });

  test('catches a wrong backward', () => {
    const wrong = squareWith((x, g) => g.mul(x).mul(2.001));
    const result = checkGradient(wrong, [nd.array([1, 2], f64)]);
    assert.equal(result.ok, false);
    assert.ok(result.worst > 1);
  });

  test('accepts nested arrays and float32 arrays, computing in float64 without touching them', () => {
    const single = nd.array([0.5, 1.5]);
    const result = checkGradient((x, y) => x.mul(y).exp(), [single, [[2, 3]]]);
    assert.ok(result.ok);
    assert.equal(result.analytic.length, 2);
    assert.equal(single.grad, null);
    assert.equal(single.dtype, 'float32');
  });

  test('int32 inputs are passed through, not differentiated', () => {
    const index = nd.array([1, 0], { dtype: 'int32' });
    const result = checkGradient(
      (x, i) => x.pick(i!).square(),
      [
        nd.array(
          [
            [1, 2],
            [3, 4],
          ],
          f64,
        ),
        index,
      ],
    );
    assert.ok(result.ok);
    assert.equal(result.analytic.length, 1);
    assertClose(result.analytic[0]!, [0, 4, 6, 0]);
  });

  test('an output that ignores its input has a zero gradient', () => {
    const result = checkGradient(() => nd.ones([2], f64), [nd.array([1], f64)]);
    assert.ok(result.ok);
    assertClose(result.analytic[0]!, [0]);
  });

  test('needs a float input', () => {
    assertThrowsWith(
      () => checkGradient((i) => i.mul(2), [nd.array([1], { dtype: 'int32' })]),
      ValueError,
      'checkGradient',
    );
  });
});

describe('checkSecondGradient', () => {
  test('passes when the backward is differentiable', () => {
    const right = squareWith((x, g) => g.mul(x).mul(2));
    assert.ok(checkSecondGradient((x) => right(x).mul(x.sin()), [nd.array([0.4, -1.1], f64)]).ok);
    assert.ok(
      checkSecondGradient((x, y) => x.mul(y).square(), [nd.array([1, 2], f64), nd.array([3, -1], f64)]).ok,
    );
  });

  test('catches a backward whose first derivative is right but whose second is not', () => {
    const detached = squareWith((x, g) => g.mul(x.detach()).mul(2));
    const input = nd.array([1, -2], f64);
    assert.ok(checkGradient(detached, [input]).ok);
    const result = checkSecondGradient(detached, [input]);
    assert.equal(result.ok, false);
    assertClose(result.numeric[0]!, [2, 2], { rtol: 1e-6 });
    assertClose(result.analytic[0]!, [0, 0]);
  });

  test('head gradients weight both differentiations', () => {
    // f = x³, v = 2: g = 6x², and w·g differentiates to 12 w x.
    const result = checkSecondGradient((x) => x.pow(3), [nd.array([1, 3], f64)], {
      headGrad: nd.array([2, 2], f64),
      gradHeadGrad: nd.array([1, 10], f64),
    });
    assert.ok(result.ok);
    assertClose(result.analytic[0]!, [12, 360], { rtol: 1e-12 });
  });
});
