// The margin kernels (HingeLoss, SquaredHingeLoss) against closed forms: values, both slopes,
// NaN staying in its element, and 0 slope on the hinge itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type MarginKind, marginLossGradient, marginSlopes, marginValues } from '../../src/kernels/margin.js';

function reference(kind: MarginKind, margin: number, p: number, y: number) {
  const gap = margin - p * y;
  const positive = gap > 0 ? gap : Number.isNaN(gap) ? gap : 0;
  if (kind === 'hinge') return { value: positive, dPred: gap > 0 ? -y : 0, dLabel: gap > 0 ? -p : 0 };
  return { value: positive * positive, dPred: -2 * positive * y, dLabel: -2 * positive * p };
}

describe('margin kernels', () => {
  for (const kind of ['hinge', 'squaredHinge'] as const) {
    it(`${kind}: values and slopes of a span equal the closed forms`, () => {
      const pred = Float64Array.from([0.5, 2, -1, 1, Number.NaN, 1e200, -3, 0.25]);
      const label = Float32Array.from([1, 1, 1, 1, 1, -1, -1, -1]);
      const margin = 1;
      const span = { kind, margin, pred: pred.subarray(1), label: label.subarray(1) };
      const values = new Float64Array(7);
      marginValues(span, values);
      const dLoss = Float64Array.from([1, 2, 0.5, 1, 3, 1, 2]);
      const dPred = new Float64Array(7);
      const dLabel = new Float64Array(7);
      marginSlopes(span, { dLoss, dPred, dLabel });
      for (let i = 0; i < 7; i++) {
        const want = reference(kind, margin, pred[i + 1]!, label[i + 1]!);
        assert.ok(Object.is(values[i], want.value), `${kind} value ${i}: ${values[i]} vs ${want.value}`);
        for (const [got, slope, name] of [
          [dPred[i]!, want.dPred, 'dPred'],
          [dLabel[i]!, want.dLabel, 'dLabel'],
        ] as const) {
          const expected = dLoss[i]! * slope;
          if (Number.isNaN(expected)) assert.ok(Number.isNaN(got), `${kind} ${name} ${i}`);
          else assert.equal(got, expected, `${kind} ${name} ${i}`);
        }
      }
      // pred = 1, label = 1 sits on the hinge: slope 0 for both losses.
      assert.ok(dPred[2] === 0, `${kind} slope on the hinge: ${dPred[2]}`);
    });
  }
});

describe('marginLossGradient: the block path in one pass', () => {
  for (const kind of ['hinge', 'squaredHinge'] as const) {
    for (const Gradient of [Float32Array, Float64Array]) {
      it(`${kind}, ${Gradient.name} gradient: sums of marginValues, slopes of marginSlopes with dℓ = the scale`, () => {
        // Three samples of four: NaN, ±Infinity, −0, a point on the hinge, and ordinary gaps.
        const pred = Float32Array.from([0.5, 2, -1, 1, Number.NaN, 3e38, -3, 0.25, -0, 1, 0.75, -2]);
        const label = Float32Array.from([1, 1, 1, 1, 1, -1, -1, -1, 1, Number.POSITIVE_INFINITY, 1, 1]);
        const scales = Float64Array.from([0.5, 1e-3, -2]);
        const margin = 0.75;
        const sums = new Float64Array(3);
        const gradient = new Gradient(12);
        marginLossGradient({ kind, margin, pred, label }, { sampleSize: 4, scales, sums, gradient });
        const values = new Float64Array(12);
        marginValues({ kind, margin, pred, label }, values);
        const dLoss = Float64Array.from({ length: 12 }, (_, k) => scales[Math.floor(k / 4)]!);
        const slopes = new Gradient(12);
        marginSlopes({ kind, margin, pred, label }, { dLoss, dPred: slopes, dLabel: null });
        for (let s = 0; s < 3; s++) {
          let total = 0;
          for (let k = 4 * s; k < 4 * s + 4; k++) total += values[k]!;
          assert.ok(Object.is(sums[s], total), `sample ${s}: ${sums[s]} vs ${total}`);
        }
        for (let k = 0; k < 12; k++)
          assert.ok(Object.is(gradient[k], slopes[k]), `gradient ${k}: ${gradient[k]} vs ${slopes[k]}`);
      });
    }
  }

  it('checks its arguments as the other one-pass kernels do', () => {
    const inputs = {
      kind: 'hinge' as const,
      margin: 1,
      pred: new Float32Array(4),
      label: new Float32Array(4),
    };
    const samples = {
      sampleSize: 4,
      scales: new Float64Array(1),
      sums: new Float64Array(1),
      gradient: new Float32Array(3),
    };
    assert.throws(() => marginLossGradient(inputs, samples), /marginLossGradient/);
  });
});
