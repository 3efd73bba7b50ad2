import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { LogisticLoss } from '../../src/loss/logistic.js';
import { SoftMarginLoss } from '../../src/loss/soft-margin.js';
import { assertClose, assertGradients, f64, valueAndGradients } from './_elementwise-checks.js';

describe('SoftMarginLoss', () => {
  test('closed form: log(1 + e^(−y·x)) per element', () => {
    const out = new SoftMarginLoss().forward(
      f64([
        [0, 100],
        [2, -3],
      ]),
      f64([
        [1, -1],
        [0.5, 2],
      ]),
    );
    assertClose(
      out.data,
      [(Math.LN2 + 100) / 2, (Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(6))) / 2],
      1e-15,
      0,
      'values',
    );
  });

  test('equals LogisticLoss with signed labels when the labels are ±1', () => {
    const generator = new RandomGenerator(4);
    const pred = uniform(-4, 4, [3, 5], { dtype: 'float64', generator });
    const signs = f64(
      Array.from({ length: 3 }, (_, n) => Array.from({ length: 5 }, (_, c) => ((n + c) % 2 ? 1 : -1))),
    );
    assertClose(
      new SoftMarginLoss().forward(pred, signs).data,
      new LogisticLoss({ labelFormat: 'signed' }).forward(pred, signs).data,
      1e-14,
      1e-16,
      'signed labels',
    );
  });

  test('stays finite at margins far beyond exp’s range; gradients −y·σ(−y·x) and −x·σ(−y·x)', () => {
    const { loss, grads } = valueAndGradients(new SoftMarginLoss(), [f64([-1e30, 1e30, 0]), f64([1, 1, -2])]);
    assertClose(loss.data, [1e30, 0, Math.LN2], 1e-15, 0, 'values');
    assertClose(grads[0]!.data, [-1, 0, 1], 1e-15, 0, 'd/dpred');
    assertClose(grads[1]!.data, [1e30, 0, 0], 1e-15, 0, 'd/dlabel');
  });

  test('gradients (pred and any real label) match finite differences and the twin', () => {
    assertGradients(new SoftMarginLoss(), [
      f64([
        [0.1, -1.5, 2],
        [0.4, 3, -0.2],
      ]),
      f64([
        [1, -1, 0.3],
        [-0.5, 1, 2],
      ]),
    ]);
    assert.deepEqual(new SoftMarginLoss().inputNames, ['pred', 'label', 'sampleWeight']);
  });
});
