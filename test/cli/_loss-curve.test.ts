import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lossCurve } from '../../src/cli/_loss-curve.js';
import { plottableLossNames, resolveLossView } from '../../src/cli/_loss-views.js';
import { linspace, lossView } from '../../src/plot/loss-views.js';
import { gluon } from 'gloss-ml';

test('linspace includes both ends and spaces evenly', () => {
  assert.deepEqual(Array.from(linspace(-1, 1, 5)), [-1, -0.5, 0, 0.5, 1]);
  assert.throws(() => linspace(1, 1, 3), /need finite from < to/);
  assert.throws(() => linspace(0, 1, 1), /points must be an integer >= 2/);
});

test('L2Loss along a sweep is ½(x − label)² with gradient x − label', () => {
  const curve = lossCurve(new gluon.loss.L2Loss(), [-2, 0.5, 3], 1);
  assert.deepEqual(Array.from(curve.loss), [4.5, 0.125, 2]);
  assert.deepEqual(Array.from(curve.gradient), [-3, -0.5, 2]);
});

test('SigmoidBCE along a sweep has gradient sigmoid(x) − label', () => {
  const x = [-3, 0, 2];
  const curve = lossCurve(new gluon.loss.SigmoidBinaryCrossEntropyLoss(), x, 1);
  x.forEach((v, i) => {
    assert.ok(Math.abs(curve.gradient[i]! - (1 / (1 + Math.exp(-v)) - 1)) < 1e-12);
    assert.ok(Math.abs(curve.loss[i]! - Math.log1p(Math.exp(-v))) < 1e-12);
  });
});

test('every plottable loss gives finite curves whose gradient matches central differences', () => {
  const names = plottableLossNames();
  assert.ok(names.length >= 9, `only ${names.join(', ')}`);
  for (const name of names) {
    const { lossClass, view } = resolveLossView(name);
    const [from, to] = view.defaultRange({});
    // Points on a fine grid, away from the kinks at 0 and ±1 (the grid offsets avoid them).
    const x = Array.from(linspace(from + 0.0123, to - 0.0117, 37));
    const h = 1e-6;
    const loss = new lossClass({});
    const curve = lossCurve(loss, x, view.defaultLabel({}));
    const plus = lossCurve(
      loss,
      x.map((v) => v + h),
      view.defaultLabel({}),
    );
    const minus = lossCurve(
      loss,
      x.map((v) => v - h),
      view.defaultLabel({}),
    );
    x.forEach((_, i) => {
      assert.ok(Number.isFinite(curve.loss[i]!), `${name} loss at ${x[i]}`);
      const numeric = (plus.loss[i]! - minus.loss[i]!) / (2 * h);
      assert.ok(
        Math.abs(curve.gradient[i]! - numeric) <= 1e-5 * (1 + Math.abs(numeric)),
        `${name} at ${x[i]}: gradient ${curve.gradient[i]} vs ${numeric}`,
      );
    });
  }
});

test('views exist only for losses with elementwise semantics', () => {
  for (const name of [
    'SoftmaxCrossEntropyLoss',
    'CTCLoss',
    'TripletLoss',
    'CosineEmbeddingLoss',
    'SDMLLoss',
  ]) {
    assert.equal(lossView(name), undefined, name);
  }
});
