import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ShapeError } from '../../src/ndarray/errors.js';
import { RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { CosineSimilarityLoss } from '../../src/loss/cosine-similarity.js';
import { assertClose, assertGradients, f64, valueAndGradients } from './_elementwise-checks.js';

describe('CosineSimilarityLoss', () => {
  test('closed form: −cos along the last axis (Keras CosineSimilarity)', () => {
    const out = new CosineSimilarityLoss().forward(
      f64([
        [1, 0],
        [1, 1],
        [3, 4],
      ]),
      f64([
        [2, 0],
        [-1, -1],
        [4, -3],
      ]),
    );
    assertClose(out.data, [-1, 1, 0], 1e-15, 1e-16, 'values');
  });

  test('another vector axis, and the mean over the remaining non-batch axes', () => {
    const generator = new RandomGenerator(2);
    const pred = uniform(-1, 1, [2, 3, 4], { dtype: 'float64', generator });
    const label = uniform(-1, 1, [2, 3, 4], { dtype: 'float64', generator });
    const out = new CosineSimilarityLoss({ axis: 1 }).forward(pred, label);
    const expected = [0, 1].map((n) => {
      let total = 0;
      for (let i = 0; i < 4; i++) {
        let [dot, pp, yy] = [0, 0, 0];
        for (let c = 0; c < 3; c++) {
          const k = (n * 3 + c) * 4 + i;
          dot += pred.data[k]! * label.data[k]!;
          pp += pred.data[k]! ** 2;
          yy += label.data[k]! ** 2;
        }
        total += -dot / Math.sqrt(pp * yy);
      }
      return total / 4;
    });
    assertClose(out.data, expected, 1e-13, 0, 'axis 1');
  });

  test('a zero vector normalises to 0 (loss 0) with a finite gradient, as Keras', () => {
    const { loss, grads } = valueAndGradients(new CosineSimilarityLoss(), [f64([[0, 0]]), f64([[3, 4]])]);
    assertClose(loss.data, [0], 0, 0, 'value');
    // ∂/∂pred of −(pred/1e-6) · ŷ is −ŷ/1e-6; the label's gradient is 0 (it multiplies pred = 0).
    assertClose(grads[0]!.data, [-0.6e6, -0.8e6], 1e-12, 0, 'd/dpred');
    assertClose(grads[1]!.data, [0, 0], 0, 0, 'd/dlabel');
  });

  test('gradients match finite differences and the twin; scale invariance makes them orthogonal to pred', () => {
    const pred = f64([
      [0.3, -1.2, 2],
      [1, 0.5, -0.7],
    ]);
    const label = f64([
      [1.5, 0.2, -0.4],
      [0.3, 0.3, 2],
    ]);
    assertGradients(new CosineSimilarityLoss(), [pred, label]);
    const { grads } = valueAndGradients(new CosineSimilarityLoss(), [pred.copy(), label.copy()]);
    for (let n = 0; n < 2; n++) {
      let dot = 0;
      for (let c = 0; c < 3; c++) dot += grads[0]!.data[n * 3 + c]! * pred.data[n * 3 + c]!;
      assertClose([dot], [0], 0, 1e-15, `row ${n}`);
    }
  });

  test('the vectors may not lie along the batch axis', () => {
    assert.throws(
      () => new CosineSimilarityLoss({ axis: 0 }).forward(f64([[1, 2]]), f64([[1, 2]])),
      (e: Error) => e instanceof ShapeError && /CosineSimilarityLoss: batchAxis and axis/.test(e.message),
    );
  });
});
