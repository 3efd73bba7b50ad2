import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ShapeError } from '../../src/ndarray/errors.js';
import { MarginRankingLoss } from '../../src/loss/margin-ranking.js';
import { assertClose, assertGradients, f64, valueAndGradients } from './_elementwise-checks.js';

describe('MarginRankingLoss', () => {
  test('closed form: max(0, −label · (input1 − input2) + margin)', () => {
    const loss = new MarginRankingLoss({ margin: 0.5 });
    const out = loss.forward(f64([2, 1, 0]), f64([1, 1, 1]), f64([1, 1, -1]));
    assertClose(out.data, [0, 0.5, 0], 0, 0, 'margin 0.5');
    assert.equal(new MarginRankingLoss().margin, 0);
  });

  test('gradients: −label, label and −(input1 − input2) while active; 0 on the hinge (relu′(0) = 0)', () => {
    const { grads } = valueAndGradients(new MarginRankingLoss(), [
      f64([1, 0, 3]),
      f64([2, 0, 1]),
      f64([1, 1, 1]),
    ]);
    // Sample 0 active (gap 1), sample 1 on the hinge (gap 0), sample 2 inactive (gap −2).
    assertClose(grads[0]!.data, [-1, 0, 0], 0, 0, 'd/dinput1');
    assertClose(grads[1]!.data, [1, 0, 0], 0, 0, 'd/dinput2');
    assertClose(grads[2]!.data, [1, 0, 0], 0, 0, 'd/dlabel');
  });

  test('gradients of all three inputs match finite differences and the twin', () => {
    assertGradients(new MarginRankingLoss({ margin: 0.3 }), [
      f64([
        [0.1, -1.5],
        [2, 0.4],
      ]),
      f64([
        [0.9, 0.5],
        [-1, 0.7],
      ]),
      f64([
        [1, -1],
        [-1, 1],
      ]),
    ]);
  });

  test('input2 and label are reshaped like input1 when their counts agree, else a ShapeError', () => {
    const out = new MarginRankingLoss().forward(f64([[1, 2]]), f64([3, 0]), f64([1, 1]));
    assertClose(out.data, [1], 0, 0, 'reshaped');
    assert.throws(
      () => new MarginRankingLoss().forward(f64([[1, 2]]), f64([3]), f64([1, 1])),
      (e: Error) => e instanceof ShapeError && /MarginRankingLoss: input2/.test(e.message),
    );
  });
});
