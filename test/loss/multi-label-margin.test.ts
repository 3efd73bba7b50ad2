import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { grad, record } from '../../src/autograd/index.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { MultiLabelMarginLoss } from '../../src/loss/multi-label-margin.js';
import { assertFusedGradients, lossAndGradients } from './_closure-checks.js';
import { assertClose, f32, f64 } from './_elementwise-checks.js';

const targets = (rows: number[][]) =>
  new NDArray(Int32Array.from(rows.flat()), [rows.length, rows[0]!.length]);

describe('MultiLabelMarginLoss', () => {
  test("PyTorch's documented example: 0.85, entries after the −1 ignored", () => {
    const out = new MultiLabelMarginLoss().forward(f64([[0.1, 0.2, 0.4, 0.8]]), targets([[3, 0, -1, 1]]));
    // Targets {3, 0}, others {1, 2}: (1−0.8+0.2) + (1−0.8+0.4) + (1−0.1+0.2) + (1−0.1+0.4), over 4.
    assertClose(out.data, [(0.4 + 0.6 + 1.1 + 1.3) / 4], 1e-15, 0, 'MultiLabelMargin');
  });

  test('no targets, or every class a target, gives 0; a class listed twice counts twice (PyTorch)', () => {
    const x = f64([
      [0.5, 0.25, -0.5, 0],
      [0.5, 0.25, -0.5, 0],
      [0.5, 0.25, -0.5, 0],
    ]);
    const out = new MultiLabelMarginLoss().forward(
      x,
      targets([
        [-1, 0, 1, 2],
        [0, 1, 2, 3],
        [1, 1, -1, 0],
      ]),
    );
    // Row 2: target 1 listed twice against others {0, 2, 3}: 2 · ((1 − 0.25 + 0.5) + 0.25 + 0.75) / 4.
    assertClose(out.data, [0, 0, (2 * (1.25 + 0.25 + 0.75)) / 4], 1e-15, 0, 'edge rows');
  });

  test('the hinge: a pair exactly on it contributes gradient 0 (relu′(0) = 0, as PyTorch)', () => {
    const x = f64([[0, 1, 0, 0.5]]).attachGrad();
    const loss = record(() => new MultiLabelMarginLoss().forward(x, targets([[1, -1, 0, 0]])));
    // Pairs (1, 0) and (1, 2) sit on the hinge; (1, 3) is active: 1 − 1 + 0.5.
    assertClose(loss.data, [0.5 / 4], 1e-15, 0, 'loss');
    assertClose(grad(loss, [x])[0]!.data, [0, -0.25, 0, 0.25], 1e-15, 0, 'gradient');
  });

  test('large equal scores: the hinge (x_i − x_target) + 1 keeps the 1 (1e30 − 1e30 + 1, active)', () => {
    for (const make of [f32, f64]) {
      const x = make([[1e30, 1e30, -1e30]]).attachGrad();
      const loss = record(() => new MultiLabelMarginLoss().forward(x, targets([[0, -1, 0]])));
      // Pair (0, 1): (1e30 − 1e30) + 1 = 1, active; pair (0, 2): −2e30 + 1, inactive.
      assertClose(loss.data, [1 / 3], make === f32 ? 1e-7 : 1e-15, 0, 'loss');
      assertClose(grad(loss, [x])[0]!.data, [-1 / 3, 1 / 3, 0], 1e-7, 0, 'gradient');
    }
  });

  test('gradients against finite differences and the twin', () => {
    const x = f64([
      [0.3, -0.7, 1.1, 0.2, 0.6],
      [1.6, 0.1, -0.4, 0.9, -1.3],
    ]);
    const t = targets([
      [2, 4, -1, 0, 0],
      [1, -1, 3, 3, 3],
    ]);
    assertFusedGradients(new MultiLabelMarginLoss(), ([pred]) => [pred!, t], [x]);
    const { grads } = lossAndGradients(new MultiLabelMarginLoss(), ([pred]) => [pred!, t], [x.copy()]);
    assert.ok(
      grads[0]!.data.some((g) => g !== 0),
      'some pair is active',
    );
  });

  test('typed errors: every target entry (used or not) must be an integer in [−1, C), as PyTorch', () => {
    const x = f64([
      [0, 1, 2],
      [2, 1, 0],
    ]);
    assert.throws(
      () =>
        new MultiLabelMarginLoss().forward(
          x,
          targets([
            [0, -1, -2],
            [1, -1, 0],
          ]),
        ),
      (e: Error) =>
        e instanceof ValueError && /MultiLabelMarginLoss: target at flat position 2 is -2/.test(e.message),
    );
    assert.throws(
      () =>
        new MultiLabelMarginLoss().forward(
          x,
          f64([
            [0.5, -1, 0],
            [0, -1, 0],
          ]),
        ),
      ValueError,
    );
    assert.throws(
      () =>
        new MultiLabelMarginLoss().forward(
          x,
          targets([
            [3, -1, 0],
            [0, -1, 0],
          ]),
        ),
      /is 3/,
    );
    assert.throws(
      () => new MultiLabelMarginLoss().forward(x, targets([[0, -1]])),
      (e: Error) => e instanceof ShapeError && /MultiLabelMarginLoss: target shape/.test(e.message),
    );
    assert.throws(() => new MultiLabelMarginLoss().forward(f64([0, 1]), f64([0, -1])), ShapeError);
  });
});
