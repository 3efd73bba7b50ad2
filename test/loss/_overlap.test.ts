/**
 * The overlap base (src/loss/_overlap.ts) on layouts the contract suite does not reach: a batch
 * axis in the middle and a softmax axis before it, against the same data laid out [N, …, C].
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { grad, record } from '../../src/autograd/index.js';
import { array } from '../../src/ndarray/create.js';
import { DiceLoss } from '../../src/loss/dice.js';
import { TverskyLoss } from '../../src/loss/tversky.js';
import { RandomGenerator, normal, uniform } from '../../src/ndarray/random.js';
import { assertFusedGradients } from './_closure-checks.js';
import { assertClose } from './_elementwise-checks.js';

describe('overlap losses on any layout', () => {
  // [C, N, L] = [3, 2, 4]: classes first, the batch in the middle.
  const generator = new RandomGenerator(3);
  const logits = normal(0, 2, [3, 2, 4], { dtype: 'float64', generator });
  const masks = uniform(0.05, 0.95, [3, 2, 4], { dtype: 'float64', generator });

  test('batchAxis 1 with a softmax over axis 0 equals the [N, L, C] layout, values and gradients', () => {
    const pairs = [
      [
        new TverskyLoss({ activation: 'softmax', axis: 0, batchAxis: 1, alpha: 0.3, beta: 0.8 }),
        new TverskyLoss({ activation: 'softmax', alpha: 0.3, beta: 0.8 }),
      ],
      [
        new DiceLoss({ activation: 'softmax', axis: 0, batchAxis: 1 }),
        new DiceLoss({ activation: 'softmax' }),
      ],
    ] as const;
    const head = array([0.5, -2], { dtype: 'float64' });
    for (const [strided, contiguous] of pairs) {
      const x = logits.copy().attachGrad();
      const y = masks.copy().attachGrad();
      const out = record(() => strided.forward(x, y));
      const [dx, dy] = grad(out, [x, y], { headGrads: head });
      const xt = logits.transpose([1, 2, 0]).copy().attachGrad();
      const yt = masks.transpose([1, 2, 0]).copy().attachGrad();
      const outT = record(() => contiguous.forward(xt, yt));
      const [dxt, dyt] = grad(outT, [xt, yt], { headGrads: head });
      assertClose(out.data, outT.data, 1e-14, 0, `${strided.name} loss`);
      assertClose(dx!.data, dxt!.transpose([2, 0, 1]).copy().data, 1e-13, 1e-16, `${strided.name} d/dpred`);
      assertClose(dy!.data, dyt!.transpose([2, 0, 1]).copy().data, 1e-13, 1e-16, `${strided.name} d/dlabel`);
      assertFusedGradients(strided, (xs) => [...xs], [logits, masks]);
    }
  });

  test('a NaN logit makes only its own sample NaN, whatever the layout', () => {
    const poisoned = logits.copy();
    poisoned.data[1 * 8 + 1 * 4 + 2] = Number.NaN; // class 1, sample 1
    const out = new DiceLoss({ activation: 'softmax', axis: 0, batchAxis: 1 }).forward(poisoned, masks);
    assert.ok(Number.isFinite(out.data[0]!) && Number.isNaN(out.data[1]!));
  });
});
