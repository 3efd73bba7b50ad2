import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { array } from '../../src/ndarray/create.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { HingeEmbeddingLoss } from '../../src/loss/hinge-embedding.js';
import { assertClose, f64 } from './_elementwise-checks.js';

describe('HingeEmbeddingLoss', () => {
  test('closed form: pred for label 1, max(0, margin − pred) for label −1', () => {
    const out = new HingeEmbeddingLoss().forward(f64([[0.3, 0.2, 1.5]]), f64([[1, -1, -1]]));
    assertClose(out.data, [(0.3 + 0.8 + 0) / 3], 1e-15, 0, 'margin 1');
    const wide = new HingeEmbeddingLoss({ margin: 2 }).forward(
      f64([0.5, 3]),
      array([-1, -1], { dtype: 'int32' }),
    );
    assertClose(wide.data, [1.5, 0], 0, 0, 'margin 2, int32 labels');
  });

  test('gradient: 1 for label 1, −1 inside the hinge for −1, 0 on and beyond it', () => {
    const pred = f64([5, 0.5, 1, 2]).attachGrad();
    const out = record(() => new HingeEmbeddingLoss().forward(pred, f64([1, -1, -1, -1])));
    out.backward();
    assertClose(pred.grad!.data, [1, -1, 0, 0], 0, 0, 'd/dpred');
  });

  test('a recorded step (one pass) gives the unrecorded values and the closed-form gradient, NaN and ±Infinity included', () => {
    const values = [5, 0.5, 1, 2, Number.NaN, Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
    const labels = f64([1, -1, -1, -1, 1, -1, -1, -1]);
    for (const dtype of ['float32', 'float64'] as const) {
      const loss = new HingeEmbeddingLoss({ reduction: 'none', margin: 1.5 });
      const perElement = Array.from(loss.forward(array(values, { dtype }), labels).data);
      assertClose(
        perElement,
        [5, 1, 0.5, 0, Number.NaN, Number.NaN, Number.POSITIVE_INFINITY, 0],
        0,
        0,
        `${dtype} ℓ`,
      );
      const pred = array(values, { dtype }).attachGrad();
      const summed = new HingeEmbeddingLoss({ reduction: 'sum', margin: 1.5 });
      const out = record(() => summed.forward(pred, labels));
      out.backward();
      assert.ok(Number.isNaN(out.item()), 'a NaN element makes the sum NaN');
      // label 1: 1 (NaN pred too); label −1: −1 inside, 0 on and beyond the hinge, NaN for a NaN gap
      assertClose(pred.grad!.data, [1, -1, -1, 0, 1, Number.NaN, -1, 0], 0, 0, `${dtype} d/dpred`);
    }
  });

  test('labels other than ±1 are a ValueError naming the position; a wrong count is a ShapeError', () => {
    for (const bad of [0, 2, 0.5, Number.NaN]) {
      assert.throws(
        () => new HingeEmbeddingLoss().forward(f64([1, 2, 3]), f64([1, bad, -1])),
        (e: Error) =>
          e instanceof ValueError && /HingeEmbeddingLoss: label at flat position 1 is/.test(e.message),
      );
    }
    assert.throws(() => new HingeEmbeddingLoss().forward(f64([1, 2]), f64([1, 1, 1])), ShapeError);
  });
});
