import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { grad, record } from '../../src/autograd/index.js';
import { ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { DiceLoss } from '../../src/loss/dice.js';
import { TverskyLoss } from '../../src/loss/tversky.js';
import type { Loss } from '../../src/loss/_base/index.js';
import { assertClose, assertGradients, f64 } from './_elementwise-checks.js';

/** Tversky from its textbook form, in float64, for one sample. */
function textbookTversky(p: number[], y: number[], alpha: number, beta: number, smooth = 1e-5): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  p.forEach((v, i) => {
    tp += v * y[i]!;
    fp += v * (1 - y[i]!);
    fn += (1 - v) * y[i]!;
  });
  return 1 - (tp + smooth) / (tp + alpha * fp + beta * fn + smooth);
}

function lossAndGrads(loss: Loss, pred: NDArray, label: NDArray) {
  const [x, y] = [
    f64(pred.toArray() as number[][]).attachGrad(),
    f64(label.toArray() as number[][]).attachGrad(),
  ];
  const out = record(() => loss.forward(x, y));
  const [dx, dy] = grad(out, [x, y], { headGrads: f64([1.5, -0.5]) });
  return { out: out.data, dx: dx!.data, dy: dy!.data };
}

const PRED = f64([
  [0.9, 0.1, 0.8, 0.3],
  [0.2, 0.6, 0.4, 0.7],
]);
const LABEL = f64([
  [1, 0, 1, 0.5],
  [0, 1, 0.25, 1],
]);

describe('TverskyLoss', () => {
  test('closed form: 1 − (TP + s)/(TP + αFP + βFN + s) per sample', () => {
    const p = PRED.toArray() as number[][];
    const y = LABEL.toArray() as number[][];
    for (const [alpha, beta] of [
      [0.5, 0.5],
      [0.3, 0.7],
      [1, 1],
      [0, 1],
    ] as const) {
      const out = new TverskyLoss({ alpha, beta }).forward(PRED, LABEL);
      const expected = p.map((row, n) => textbookTversky(row, y[n]!, alpha, beta));
      assertClose(out.data, expected, 1e-14, 1e-17, `Tversky α=${alpha} β=${beta}`);
    }
  });

  test('α = β = 0.5 is the Dice loss with smooth 2s: values and gradients, every activation', () => {
    // (TP + s)/(TP + ½FP + ½FN + s) = (2TP + 2s)/(Σp + Σy + 2s).
    for (const activation of ['none', 'sigmoid', 'softmax'] as const) {
      const pred = activation === 'none' ? PRED : PRED.mul(6).sub(3);
      const tversky = lossAndGrads(new TverskyLoss({ activation, smooth: 0.125 }), pred, LABEL);
      const dice = lossAndGrads(new DiceLoss({ activation, smooth: 0.25 }), pred, LABEL);
      assertClose(tversky.out, dice.out, 1e-14, 0, `${activation} loss`);
      assertClose(tversky.dx, dice.dx, 1e-13, 1e-16, `${activation} d/dpred`);
      assertClose(tversky.dy, dice.dy, 1e-13, 1e-16, `${activation} d/dlabel`);
    }
  });

  test('α weighs false positives, β false negatives', () => {
    // All-ones prediction against a half mask: only false positives.
    const pred = f64([[1, 1, 1, 1]]);
    const label = f64([[1, 1, 0, 0]]);
    assert.ok(new TverskyLoss({ alpha: 0, beta: 1 }).forward(pred, label).data[0]! === 0);
    assert.ok(new TverskyLoss({ alpha: 1, beta: 0 }).forward(pred, label).data[0]! > 0.4);
    // All-zero prediction: only false negatives.
    const none = f64([[0, 0, 0, 0]]);
    assert.ok(new TverskyLoss({ alpha: 1, beta: 0 }).forward(none, label).data[0]! === 0);
  });

  test('gradients against finite differences and the twin (sigmoid, softmax, asymmetric α, β)', () => {
    // Labels inside (0, 1), so that the finite differences stay in the label's domain.
    const soft = f64([
      [0.9, 0.1, 0.8, 0.5],
      [0.2, 0.6, 0.25, 0.7],
    ]);
    assertGradients(new TverskyLoss({ alpha: 0.3, beta: 0.7 }), [PRED, soft]);
    assertGradients(new TverskyLoss({ alpha: 0.2, beta: 0.9, activation: 'sigmoid' }), [PRED.mul(4), soft]);
    assertGradients(new TverskyLoss({ alpha: 0.7, beta: 0.4, activation: 'softmax', axis: 1 }), [
      PRED.mul(4),
      f64([
        [0.9, 0.2, 0.8, 0.5],
        [0.1, 0.6, 0.25, 0.7],
      ]),
    ]);
  });

  test('typed errors at construction name the loss, the option and the value', () => {
    assert.throws(
      () => new TverskyLoss({ alpha: -0.1 }),
      (e: Error) =>
        e instanceof ValueError && /TverskyLoss: option alpha must be >= 0, got -0.1/.test(e.message),
    );
    assert.throws(() => new TverskyLoss({ beta: Number.POSITIVE_INFINITY }), /TverskyLoss: option beta/);
    assert.throws(() => new TverskyLoss({ smooth: -1 }), /TverskyLoss: option smooth/);
    assert.throws(() => new TverskyLoss({ axis: 0.5 }), /TverskyLoss: option axis/);
    assert.match(new TverskyLoss().toString(), /^TverskyLoss\(/);
  });
});
