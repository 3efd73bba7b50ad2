import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { DiceLoss } from '../../src/loss/dice.js';
import { assertClose, assertGradients, f32, f64, valueAndGradients } from './_elementwise-checks.js';

/** Dice from its textbook form, in float64, for one sample. */
function textbookDice(p: number[], y: number[], smooth = 1e-5): number {
  const dot = p.reduce((a, v, i) => a + v * y[i]!, 0);
  const total = p.reduce((a, v) => a + v, 0) + y.reduce((a, v) => a + v, 0);
  return 1 - (2 * dot + smooth) / (total + smooth);
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('DiceLoss', () => {
  test('closed form: 1 − (2Σpy + s)/(Σp + Σy + s) per sample over every non-batch axis', () => {
    const p = [
      [0.9, 0.1, 0.8],
      [0.2, 0.6, 0.3],
    ];
    const y = [
      [1, 0, 1],
      [0, 1, 0.5],
    ];
    const out = new DiceLoss().forward(f64(p), f64(y));
    assert.deepEqual(out.shape, [2]);
    assertClose(out.data, [textbookDice(p[0]!, y[0]!), textbookDice(p[1]!, y[1]!)], 1e-14, 0, 'Dice');
    // A [N, H, W] prediction is summed over H and W.
    const image = new DiceLoss({ smooth: 1 }).forward(f64([p]), f64([y]));
    assertClose(image.data, [textbookDice(p.flat(), y.flat(), 1)], 1e-14, 0, 'Dice [1, 2, 3]');
  });

  test('an empty mask predicted empty has loss 0, a perfect match loss 0 with a gradient', () => {
    const empty = valueAndGradients(new DiceLoss(), [f64([[0, 0, 0]]), f64([[0, 0, 0]])]);
    assert.deepEqual(Array.from(empty.loss.data), [0]);
    // ∂ℓ/∂p = (1 − 2y)·s/s² at TP = FP = FN = 0: 1/s per element.
    assertClose(empty.grads[0]!.data, [1e5, 1e5, 1e5], 1e-12, 0, 'empty ∂ℓ/∂p');
    const perfect = valueAndGradients(new DiceLoss(), [f64([[1, 0, 1]]), f64([[1, 0, 1]])]);
    assert.deepEqual(Array.from(perfect.loss.data), [0]);
    assert.ok(perfect.grads[0]!.data[1]! > 0, 'a false positive would cost');
  });

  test('the stable form keeps a near-perfect overlap digit for digit (no 1 − (1 − ε) cancellation)', () => {
    const stored = 1 - 1e-13;
    const eps = 1 - stored; // exact (Sterbenz)
    const out = new DiceLoss({ smooth: 1e-5 }).forward(f64([[stored, 1]]), f64([[1, 1]]));
    // (FP + FN)/(2TP + FP + FN + s) with FP = 0, FN = ε, TP = 2 − ε.
    const exact = eps / (2 * (2 - eps) + eps + 1e-5);
    assertClose(out.data, [exact], 1e-12, 0, 'near-perfect');
  });

  test('sigmoid: logits through σ, saturated logits give exact probabilities and finite gradients', () => {
    const x = [
      [2, -1, 0.5],
      [1e30, -1e30, 3],
    ];
    const y = [
      [1, 0, 1],
      [1, 0, 0],
    ];
    const { loss, grads } = valueAndGradients(new DiceLoss({ activation: 'sigmoid' }), [f64(x), f64(y)]);
    const expected = x.map((row, n) => textbookDice(row.map(sigmoid), y[n]!));
    assertClose(loss.data, expected, 1e-13, 0, 'sigmoid Dice');
    assert.ok(Array.from(grads[0]!.data).every(Number.isFinite));
    // σ′(±1e30) is 0: the saturated logits get no gradient, the finite one does.
    assert.ok(grads[0]!.data[3] === 0 && grads[0]!.data[4] === 0);
    assert.ok(grads[0]!.data[5] !== 0);
    assertGradients(new DiceLoss({ activation: 'sigmoid' }), [f64([[2, -1, 0.5]]), f64([[0.9, 0.1, 0.25]])]);
  });

  test('softmax: along the last axis by default, along any non-batch axis with `axis`', () => {
    const logits = [
      [
        [1, 2, 0.5],
        [0, -1, 3],
      ],
    ];
    const onehot = [
      [
        [0, 1, 0],
        [0, 0, 1],
      ],
    ];
    const last = new DiceLoss({ activation: 'softmax' }).forward(f64(logits), f64(onehot));
    const probabilities = logits[0]!.map((row) => {
      const total = row.reduce((a, v) => a + Math.exp(v), 0);
      return row.map((v) => Math.exp(v) / total);
    });
    assertClose(last.data, [textbookDice(probabilities.flat(), onehot[0]!.flat())], 1e-14, 0, 'softmax');
    // The same data with the classes on axis 1 ([N, C, L], PyTorch's layout) and axis: 1.
    const transposed = f64(logits).transpose([0, 2, 1]);
    const labels = f64(onehot).transpose([0, 2, 1]);
    const axis1 = new DiceLoss({ activation: 'softmax', axis: 1 }).forward(transposed, labels);
    assertClose(axis1.data, last.data, 1e-14, 0, 'softmax axis 1');
    // Gradients (pred and label) against finite differences and the twin, with labels inside (0, 1).
    const soft = f64([
      [
        [0.2, 0.7, 0.1],
        [0.5, 0.3, 0.9],
      ],
    ]);
    assertGradients(new DiceLoss({ activation: 'softmax', axis: 1 }), [
      transposed,
      soft.transpose([0, 2, 1]),
    ]);
    assertGradients(new DiceLoss({ activation: 'softmax' }), [f64(logits), soft]);
  });

  test('batchAxis 1 is batchAxis 0 of the transposed input; sampleWeight is one weight per sample', () => {
    const p = f64([
      [0.2, 0.7],
      [0.9, 0.4],
      [0.5, 0.1],
    ]);
    const y = f64([
      [0, 1],
      [1, 1],
      [0.5, 0],
    ]);
    const byColumn = new DiceLoss({ batchAxis: 1 }).forward(p, y);
    const byRow = new DiceLoss().forward(p.transpose(), y.transpose());
    assertClose(byColumn.data, byRow.data, 1e-15, 0, 'batchAxis 1');
    const weighted = new DiceLoss().forward(p, y, f64([2, 0, 0.5]));
    const plain = new DiceLoss().forward(p, y);
    assertClose(weighted.data, [2 * plain.data[0]!, 0, 0.5 * plain.data[2]!], 1e-15, 0, 'sampleWeight');
  });

  test('float32 inputs give the float64 value rounded', () => {
    const p = [[0.25, 0.5, 0.75]];
    const y = [[0, 1, 1]];
    const out32 = new DiceLoss().forward(f32(p), f32(y));
    assert.equal(out32.dtype, 'float32');
    assert.equal(out32.data[0], Math.fround(textbookDice(p[0]!, y[0]!)));
  });

  test('typed errors name the loss, the argument and the value', () => {
    const p = f64([[0.5, 0.5]]);
    assert.throws(
      () => new DiceLoss().forward(p, f64([[0.5, 1.5]])),
      (e: Error) => e instanceof ValueError && /DiceLoss: label at flat position 1 is 1.5/.test(e.message),
    );
    assert.throws(() => new DiceLoss({ smooth: 0 }), /DiceLoss: option smooth must be > 0/);
    assert.throws(() => new DiceLoss({ smooth: Number.NaN }), ValueError);
    assert.throws(
      () => new DiceLoss({ activation: 'relu' as 'none' }),
      (e: Error) => e instanceof ValueError && /activation/.test(e.message),
    );
    assert.throws(
      () => new DiceLoss({ activation: 'softmax' }).forward(f64([0.5, 0.5]), f64([0, 1])),
      (e: Error) =>
        e instanceof ShapeError && /DiceLoss: the softmax axis -1 is the batch axis/.test(e.message),
    );
    assert.throws(() => new DiceLoss().forward(f64(0.5), f64(1)), ShapeError);
    // A NaN label is a continuous input: it propagates into its sample (DECISIONS 9).
    const nan = new DiceLoss().forward(f64([[0.5], [0.5]]), f64([[Number.NaN], [1]]));
    assert.ok(Number.isNaN(nan.data[0]!) && Number.isFinite(nan.data[1]!));
  });
});
