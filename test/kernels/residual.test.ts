// The one-pass residual kernels (L2, L1, Huber) against float64 references, with every
// segment shape the wrapper handles (tails shorter than a vector pair, many samples per chunk,
// samples longer than a chunk), special values, per-sample scales, and gradients written into
// caller-owned memory at any offset.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type ResidualLoss, residualLossGradient, setKernelBackend } from '../../src/kernels/index.js';
import { residualSlopes, residualValues } from '../../src/kernels/residual.js';

const LOSSES: ResidualLoss[] = [
  { kind: 'squared' },
  { kind: 'squaredError' },
  { kind: 'absolute' },
  { kind: 'huber', rho: 1 },
  { kind: 'huber', rho: 0.3 },
];

/** ℓ and ∂ℓ/∂pred of a residual d = pred − label, in float64. */
function reference(loss: ResidualLoss, d: number): { value: number; slope: number } {
  switch (loss.kind) {
    case 'squared':
      return { value: 0.5 * d * d, slope: d };
    case 'squaredError':
      return { value: d * d, slope: 2 * d };
    case 'absolute':
      return { value: Math.abs(d), slope: Number.isNaN(d) ? d : Math.sign(d) };
    case 'huber': {
      const a = Math.abs(d);
      if (a > loss.rho) return { value: a - 0.5 * loss.rho, slope: Math.sign(d) };
      return { value: (0.5 / loss.rho) * a * a, slope: d / loss.rho };
    }
  }
}

/** Deterministic float32 inputs: residuals spread over both Huber branches. */
function inputs(total: number, seed: number): { pred: Float32Array; label: Float32Array } {
  const pred = new Float32Array(total);
  const label = new Float32Array(total);
  for (let k = 0; k < total; k++) {
    pred[k] = 3 * Math.sin(seed + 1.7 * k);
    label[k] = Math.cos(seed * 2 + 0.9 * k);
  }
  return { pred, label };
}

function check(
  loss: ResidualLoss,
  pred: Float32Array,
  label: Float32Array,
  sampleSize: number,
  scales: Float64Array,
  gradient: Float32Array,
  what: string,
): void {
  const sums = new Float64Array(scales.length);
  residualLossGradient({ loss, pred, label }, { sampleSize, scales, sums, gradient });
  for (let sample = 0; sample < scales.length; sample++) {
    let expected = 0;
    let magnitude = 0;
    for (let k = sample * sampleSize; k < (sample + 1) * sampleSize; k++) {
      // The kernel subtracts in float64, as this reference does.
      const d = pred[k]! - label[k]!;
      const { value, slope } = reference(loss, d);
      expected += value;
      magnitude += Math.abs(value);
      const want = scales[sample]! * slope;
      const got = gradient[k]!;
      if (Number.isNaN(want)) assert.ok(Number.isNaN(got), `${what} gradient[${k}] should be NaN`);
      else if (!Number.isFinite(want)) assert.equal(got, want, `${what} gradient[${k}]`);
      else
        assert.ok(
          Math.abs(got - want) <= 4e-7 * Math.abs(want) + 1e-30,
          `${what} gradient[${k}]: ${got} vs ${want}`,
        );
    }
    const got = sums[sample]!;
    if (!Number.isFinite(expected)) assert.equal(got, expected, `${what} sum[${sample}]`);
    else
      assert.ok(
        Math.abs(got - expected) <= 3e-7 * magnitude + 1e-300,
        `${what} sum[${sample}]: ${got} vs ${expected}`,
      );
  }
}

for (const backend of ['wasm', 'js'] as const)
  describe(`residual loss kernels (${backend} backend)`, () => {
    // Both backends are under test here whatever GLOSS_KERNELS says: the wasm kernels and the
    // float64 loops against the same float64 reference.
    beforeEach(() => setKernelBackend(backend));
    afterEach(() => setKernelBackend('auto'));

    for (const loss of LOSSES) {
      const name = loss.kind === 'huber' ? `huber rho=${loss.rho}` : loss.kind;

      it(`${name}: block values and slopes of a span equal the reference`, () => {
        const { pred, label } = inputs(1000, 3);
        pred[5] = Number.NaN;
        pred[6] = Number.POSITIVE_INFINITY;
        label[7] = pred[7]!;
        const begin = 3;
        const end = 997;
        const span = { loss, pred: pred.subarray(begin, end), label: label.subarray(begin, end) };
        const values = new Float64Array(end - begin);
        residualValues(span, values);
        const dLoss = Float64Array.from({ length: end - begin }, (_, i) => 0.5 + (i % 7));
        const dPred = new Float32Array(end - begin);
        const dLabel = new Float64Array(end - begin);
        residualSlopes(span, { dLoss, dPred, dLabel });
        for (let i = 0; i < end - begin; i++) {
          const { value, slope } = reference(loss, pred[begin + i]! - label[begin + i]!);
          assert.ok(
            Object.is(values[i], value) || Math.abs(values[i]! - value) <= 1e-15 * Math.abs(value),
            `value ${i}`,
          );
          const want = dLoss[i]! * slope;
          assert.ok(
            Object.is(dLabel[i], want === 0 ? -want : -want) ||
              Math.abs(dLabel[i]! + want) <= 1e-15 * Math.abs(want),
            `dLabel ${i}: ${dLabel[i]} vs ${-want}`,
          );
          assert.ok(
            Object.is(dPred[i], Math.fround(want)) || Math.abs(dPred[i]! - want) <= 1e-7 * Math.abs(want),
            `dPred ${i}`,
          );
        }
      });
      it(`${name}: sample sizes around the vector pair and the chunk`, () => {
        for (const [samples, sampleSize] of [
          [5, 1],
          [3, 7],
          [4, 8],
          [9, 13],
          [70, 300],
          [2, 16384],
          [2, 16384 + 9],
          [1, 40000],
        ] as const) {
          const { pred, label } = inputs(samples * sampleSize, samples + sampleSize);
          const scales = Float64Array.from({ length: samples }, (_, s) => (s + 1) / sampleSize);
          check(
            loss,
            pred,
            label,
            sampleSize,
            scales,
            new Float32Array(pred.length),
            `${name} [${samples}, ${sampleSize}]`,
          );
        }
      });

      it(`${name}: NaN stays in its own sample; infinities and zeros`, () => {
        const pred = Float32Array.from([
          Number.NaN,
          1,
          2,
          Number.POSITIVE_INFINITY,
          -0,
          0,
          5,
          Number.NEGATIVE_INFINITY,
          3,
        ]);
        const label = Float32Array.from([0, 1, 0, 0, 0, 0, 1, 0, 3]);
        const scales = Float64Array.from([1, 0.5, 2]);
        check(loss, pred, label, 3, scales, new Float32Array(9), `${name} specials`);
      });

      it(`${name}: a gradient view at an offset of a larger buffer gets the same values, and nothing else changes`, () => {
        const { pred, label } = inputs(3 * 5000, 4);
        const scales = Float64Array.from([0.25, 0.5, 1]);
        const copied = new Float32Array(pred.length);
        const sumsCopied = new Float64Array(3);
        residualLossGradient(
          { loss, pred, label },
          { sampleSize: 5000, scales, sums: sumsCopied, gradient: copied },
        );
        const outer = new Float32Array(pred.length + 10).fill(7);
        const view = outer.subarray(5, 5 + pred.length);
        const sumsView = new Float64Array(3);
        residualLossGradient(
          { loss, pred, label },
          { sampleSize: 5000, scales, sums: sumsView, gradient: view },
        );
        assert.deepEqual(Array.from(view), Array.from(copied));
        assert.deepEqual(Array.from(sumsView), Array.from(sumsCopied));
        assert.deepEqual(
          [...outer.subarray(0, 5), ...outer.subarray(5 + pred.length)],
          new Array(10).fill(7),
        );
      });
    }

    it('float64 predictions, and mixed dtypes, run the float64 loops exactly', () => {
      const pred = Float64Array.from([0.1, -2, 3.5, 1e-300, 7]);
      const label = Float64Array.from([0.3, 2, -1, 0, 7]);
      for (const loss of LOSSES) {
        const scales = Float64Array.from([1]);
        const sums = new Float64Array(1);
        const gradient = new Float64Array(5);
        assert.equal(
          residualLossGradient({ loss, pred, label }, { sampleSize: 5, scales, sums, gradient }),
          false,
        );
        let sum = 0;
        for (let k = 0; k < 5; k++) {
          const { value, slope } = reference(loss, pred[k]! - label[k]!);
          sum += value;
          assert.equal(gradient[k], slope, `${loss.kind} gradient ${k}`);
        }
        assert.ok(Math.abs(sums[0]! - sum) <= 1e-15 * sum, `${loss.kind} sum`);
      }
    });

    it('rejects short arrays and a sample size that is not a positive integer', () => {
      const f32 = new Float32Array(6);
      const scales = Float64Array.from([1, 1]);
      const sums = new Float64Array(2);
      assert.throws(
        () =>
          residualLossGradient(
            { loss: { kind: 'squared' }, pred: f32, label: f32 },
            { sampleSize: 4, scales, sums, gradient: f32 },
          ),
        /pred needs elements/,
      );
      assert.throws(
        () =>
          residualLossGradient(
            { loss: { kind: 'squared' }, pred: f32, label: f32 },
            { sampleSize: 0, scales, sums, gradient: f32 },
          ),
        /sampleSize/,
      );
    });
  });
