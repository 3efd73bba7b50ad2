import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { array } from '../../src/ndarray/create.js';
import { ValueError } from '../../src/ndarray/errors.js';
import { TripletMarginLoss } from '../../src/loss/triplet-margin.js';
import { assertClose, assertGradients, f64, valueAndGradients } from './_elementwise-checks.js';

const norm = (v: number[], p: number) => v.reduce((s, x) => s + Math.abs(x) ** p, 0) ** (1 / p);

describe('TripletMarginLoss', () => {
  test('closed form: max(0, ‖a − p + eps‖ − ‖a − n + eps‖ + margin)', () => {
    const out = new TripletMarginLoss({ eps: 0 }).forward(f64([[0, 0]]), f64([[3, 4]]), f64([[1, 0]]));
    assertClose(out.data, [5], 0, 0, 'eps 0');
    // The default eps 1e-6 is added to every component of each difference (PyTorch pairwise_distance).
    const eps = 1e-6;
    const expected = norm([-3 + eps, -4 + eps], 2) - norm([-1 + eps, eps], 2) + 1;
    assertClose(
      new TripletMarginLoss().forward(f64([[0, 0]]), f64([[3, 4]]), f64([[1, 0]])).data,
      [expected],
      1e-15,
      0,
      'eps',
    );
  });

  test('p-norms: 1, 3, and no overflow for components far beyond sqrt(MAX)', () => {
    const a = f64([[1, -2, 0.5]]);
    const p = f64([[0, 1, 1]]);
    const n = f64([[3, 3, -3]]);
    for (const order of [1, 3]) {
      const out = new TripletMarginLoss({ p: order, eps: 0, margin: 10 }).forward(a, p, n);
      assertClose(
        out.data,
        [norm([1, -3, -0.5], order) - norm([-2, -5, 3.5], order) + 10],
        1e-14,
        0,
        `p ${order}`,
      );
    }
    const huge = new TripletMarginLoss({ eps: 0, margin: 0 }).forward(
      f64([[1e200, 1e200]]),
      f64([[0, 0]]),
      f64([[0, 0]]),
    );
    assertClose(huge.data, [0], 0, 0, 'equal huge distances');
    const far = new TripletMarginLoss({ eps: 0 }).forward(
      f64([[1e200, 1e200]]),
      f64([[0, 0]]),
      f64([[1e200, 1e200]]),
    );
    assertClose(far.data, [Math.SQRT2 * 1e200 + 1], 1e-15, 0, 'sqrt(2)·1e200');
  });

  test('swap uses the positive–negative distance when it is smaller', () => {
    const inputs = () => [f64([[0, 0]]), f64([[1, 0]]), f64([[1.5, 0]])];
    const plain = new TripletMarginLoss({ eps: 0 }).forward(...inputs());
    const swapped = new TripletMarginLoss({ eps: 0, swap: true }).forward(...inputs());
    assertClose(plain.data, [1 - 1.5 + 1], 0, 0, 'd(a, n) = 1.5');
    assertClose(swapped.data, [1 - 0.5 + 1], 0, 0, 'd(p, n) = 0.5');
    const { grads } = valueAndGradients(new TripletMarginLoss({ eps: 0, swap: true }), inputs());
    assertClose(grads[0]!.data, [-1, 0], 0, 0, 'd/danchor: only d(a, p)');
    assertClose(grads[1]!.data, [1 + 1, 0], 0, 0, 'd/dpositive: −u_ap − u_pn');
    assertClose(grads[2]!.data, [-1, 0], 0, 0, 'd/dnegative: u_pn');
  });

  test('gradients of the three inputs match finite differences and the twin (p 2, 1.5, swap)', () => {
    const inputs = [
      f64([
        [0.3, -1.2, 2],
        [1, 0.5, -0.7],
      ]),
      f64([
        [0.9, -0.8, 1.1],
        [0.6, 0.4, -0.2],
      ]),
      f64([
        [2, 1, 0.3],
        [-1, 1, 1],
      ]),
    ];
    assertGradients(new TripletMarginLoss({ margin: 3 }), inputs);
    assertGradients(new TripletMarginLoss({ margin: 3, p: 1.5 }), inputs);
    assertGradients(new TripletMarginLoss({ margin: 3, swap: true }), inputs);
  });

  test('an anchor far from both points: the difference of distances keeps its digits (p = 2)', () => {
    // d(a, p) and d(a, n) both round to 1e30; their true difference is (n − p)(2a − p − n)/(d₊ + d₋) ≈ −1.
    for (const dtype of ['float32', 'float64'] as const) {
      const anchor = array(
        [
          [1e30, 0],
          [0, 1e30],
        ],
        { dtype },
      );
      const positive = array(
        [
          [2, 0],
          [0, 1],
        ],
        { dtype },
      );
      const negative = array(
        [
          [1, 0],
          [0, 2],
        ],
        { dtype },
      );
      const out = new TripletMarginLoss().forward(anchor, positive, negative);
      // Sample 0: the positive is the nearer, d₊ − d₋ ≈ −1 and ℓ ≈ 0 (at the kink); sample 1: the
      // negative is, d₊ − d₋ ≈ +1 and ℓ ≈ 2. Subtracting the rounded distances gave ℓ = 1 for both.
      assert.ok(Math.abs(out.data[0]!) < 1e-6, `${dtype} sample 0: ${out.data[0]}`);
      assertClose([out.data[1]!], [2], 1e-6, 0, `${dtype} sample 1`);
      // Swapped: d(p, n) ≈ 1 replaces d(a, n) ≈ 1e30, and the gap is about 1e30.
      const swapped = new TripletMarginLoss({ swap: true }).forward(anchor, positive, negative);
      assertClose(swapped.data, [1e30, 1e30], 1e-6, 0, `${dtype} swapped`);
    }
  });

  test('p below 1 (not a norm) is a ValueError', () => {
    assert.throws(
      () => new TripletMarginLoss({ p: 0.5 }),
      (e: Error) => e instanceof ValueError && /option p/.test(e.message),
    );
  });
});
