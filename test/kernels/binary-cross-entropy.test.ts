// Binary cross-entropy from logits (SigmoidBCE with posWeight, LogisticLoss's signed labels) on
// both backends against float64 references written in Gluon's own form.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  setKernelBackend,
  sigmoidBinaryCrossEntropyBackward,
  sigmoidBinaryCrossEntropyForward,
  sigmoidBinaryCrossEntropyGradient,
} from '../../src/kernels/index.js';
import { firstMismatch, uniforms } from './_ulp.js';

/** log(1 + e^t) in float64, stably. */
function softplus(t: number): number {
  return Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));
}

/**
 * Gluon: ℓ = x − x·z + (1 + (p − 1)·z)·s(−x); its derivatives in that form:
 * ∂ℓ/∂x = 1 − z − (1 + (p − 1)·z)·σ(−x), ∂ℓ/∂z = −x + (p − 1)·s(−x), ∂ℓ/∂p = z·s(−x).
 */
function gluonReference(x: number, z: number, p: number) {
  const weight = 1 + (p - 1) * z;
  const sigmoidNeg = 1 / (1 + Math.exp(x));
  return {
    loss: x - x * z + weight * softplus(-x),
    dx: 1 - z - weight * sigmoidNeg,
    dz: -x + (p - 1) * softplus(-x),
    dp: z * softplus(-x),
  };
}

function sample(count: number, seed: number, spread: number) {
  const next = uniforms(seed);
  const logits = new Float32Array(count);
  const labels = new Float32Array(count);
  const posWeight = new Float32Array(count);
  const dLoss = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    logits[i] = (next() - 0.5) * 2 * spread;
    labels[i] = i % 3 === 0 ? next() : i % 3 === 1 ? 1 : 0;
    posWeight[i] = 0.5 + 2 * next();
    dLoss[i] = 0.1 + next();
  }
  return { logits, labels, posWeight, dLoss };
}

function runBoth(data: ReturnType<typeof sample>, withPosWeight: boolean, labelScale = 1, labelShift = 0) {
  const n = data.logits.length;
  const p = withPosWeight ? data.posWeight : null;
  const loss = new Float64Array(n);
  sigmoidBinaryCrossEntropyForward(
    {
      logits: data.logits.subarray(0, n),
      labels: data.labels.subarray(0, n),
      posWeight: p,
      labelScale: labelScale,
      labelShift: labelShift,
    },
    loss.subarray(0, n),
  );
  const dx = new Float32Array(n);
  const dz = new Float32Array(n);
  const dp = withPosWeight ? new Float32Array(n) : null;
  sigmoidBinaryCrossEntropyBackward(
    {
      logits: data.logits.subarray(0, n),
      labels: data.labels.subarray(0, n),
      posWeight: p,
      labelScale: labelScale,
      labelShift: labelShift,
    },
    {
      dLoss: data.dLoss.subarray(0, n),
      dPred: dx.subarray(0, n),
      dLabels: dz.subarray(0, n),
      dPosWeight: dp,
    },
  );
  return { loss, dx, dz, dp };
}

describe('binary cross-entropy from logits', () => {
  for (const backend of ['wasm', 'js'] as const) {
    for (const withPosWeight of [false, true]) {
      it(`${backend}${withPosWeight ? ' with posWeight' : ''}: loss and gradients match Gluon's float64 form`, () => {
        setKernelBackend(backend);
        const data = sample(10_003, withPosWeight ? 11 : 12, 12);
        const got = runBoth(data, withPosWeight);
        const n = data.logits.length;
        const want = {
          loss: new Float64Array(n),
          dx: new Float64Array(n),
          dz: new Float64Array(n),
          dp: new Float64Array(n),
        };
        for (let i = 0; i < n; i++) {
          const r = gluonReference(data.logits[i]!, data.labels[i]!, withPosWeight ? data.posWeight[i]! : 1);
          const g = data.dLoss[i]!;
          want.loss[i] = r.loss;
          want.dx[i] = g * r.dx;
          want.dz[i] = g * r.dz;
          want.dp[i] = g * r.dp;
        }
        // Float32 arithmetic: relative 1e−6 on the loss (its terms never cancel); gradients may
        // cancel (σ(x) ≈ z), so they also get an absolute 1e−6 scaled by the logit's size.
        let at = firstMismatch(got.loss, want.loss, 1e-6, 1e-9);
        assert.equal(at, -1, `loss[${at}] ${got.loss[at]} vs ${want.loss[at]}`);
        at = firstMismatch(got.dx, want.dx, 1e-5, 1e-6);
        assert.equal(at, -1, `dx[${at}] ${got.dx[at]} vs ${want.dx[at]}`);
        at = firstMismatch(got.dz, want.dz, 1e-5, 1e-5);
        assert.equal(at, -1, `dz[${at}] ${got.dz[at]} vs ${want.dz[at]}`);
        if (got.dp) {
          at = firstMismatch(got.dp, want.dp, 1e-5, 1e-7);
          assert.equal(at, -1, `dp[${at}] ${got.dp[at]} vs ${want.dp[at]}`);
        }
      });
    }

    it(`${backend}: LogisticLoss's signed labels (z = (y + 1)/2) give softplus(−x·y)`, () => {
      setKernelBackend(backend);
      const data = sample(999, 13, 30);
      for (let i = 0; i < data.labels.length; i++) data.labels[i] = i % 2 === 0 ? 1 : -1;
      const got = runBoth(data, false, 0.5, 0.5);
      for (let i = 0; i < data.labels.length; i++) {
        const x = data.logits[i]!;
        const y = data.labels[i]!;
        const loss = softplus(-x * y);
        assert.ok(
          Math.abs(got.loss[i]! - loss) <= 1e-6 * loss + 1e-30,
          `loss[${i}] ${got.loss[i]} vs ${loss}`,
        );
        const dx = (-y / (1 + Math.exp(x * y))) * data.dLoss[i]!;
        assert.ok(Math.abs(got.dx[i]! - dx) <= 1e-6 * Math.abs(dx) + 1e-30, `dx[${i}] ${got.dx[i]} vs ${dx}`);
        // ∂ℓ/∂y = ∂ℓ/∂z · ½ = −x/2 (times dℓ)
        assert.ok(Math.abs(got.dz[i]! + 0.5 * x * data.dLoss[i]!) <= 1e-6 * Math.abs(x), `dz[${i}]`);
      }
    });

    it(`${backend}: NaN, ±Infinity and extreme logits`, () => {
      setKernelBackend(backend);
      const I = Number.POSITIVE_INFINITY;
      const logits = Float32Array.from([Number.NaN, I, -I, 1e30, -1e30, 80, -80, 0]);
      const labels = Float32Array.from([1, 0, 1, 1, 0, 1, 0, 1]);
      const n = logits.length;
      const dLoss = new Float64Array(n).fill(1);
      const loss = new Float64Array(n);
      sigmoidBinaryCrossEntropyForward(
        {
          logits: logits.subarray(0, n),
          labels: labels.subarray(0, n),
          posWeight: null,
          labelScale: 1,
          labelShift: 0,
        },
        loss.subarray(0, n),
      );
      const dx = new Float32Array(n);
      sigmoidBinaryCrossEntropyBackward(
        {
          logits: logits.subarray(0, n),
          labels: labels.subarray(0, n),
          posWeight: null,
          labelScale: 1,
          labelShift: 0,
        },
        { dLoss: dLoss.subarray(0, n), dPred: dx.subarray(0, n), dLabels: null, dPosWeight: null },
      );
      assert.ok(Number.isNaN(loss[0]!) && Number.isNaN(dx[0]!), 'NaN in, NaN out');
      assert.equal(loss[1], I, 'x = +∞ with z = 0 costs +∞');
      assert.equal(loss[2], I, 'x = −∞ with z = 1 costs +∞');
      assert.equal(dx[1], 1);
      assert.equal(dx[2], -1);
      assert.equal(loss[3], 0, 'confident and right: exactly 0');
      assert.equal(loss[4], 0);
      assert.ok(Math.abs(loss[5]! / Math.exp(-80) - 1) < 1e-6, `tiny loss keeps its digits: ${loss[5]}`);
      assert.ok(
        Math.abs(dx[5]! / -Math.exp(-80) - 1) < 1e-6,
        `σ(x) − 1 for z = 1 keeps its digits: ${dx[5]}`,
      );
      assert.ok(Math.abs(loss[7]! - Math.LN2) < 1e-7);
      assert.equal(dx[7], -0.5);
    });

    it(`${backend}: offsets, spans across chunks, float64 gradients, only some gradients`, () => {
      setKernelBackend(backend);
      const data = sample(9_001, 14, 5);
      const n = 9_000;
      const loss = new Float64Array(n + 2).fill(-1);
      sigmoidBinaryCrossEntropyForward(
        {
          logits: data.logits.subarray(1, 1 + n),
          labels: data.labels.subarray(1, 1 + n),
          posWeight: null,
          labelScale: 1,
          labelShift: 0,
        },
        loss.subarray(2, 2 + n),
      );
      assert.equal(loss[1], -1);
      const dz = new Float64Array(n + 1);
      sigmoidBinaryCrossEntropyBackward(
        {
          logits: data.logits.subarray(1, 1 + n),
          labels: data.labels.subarray(1, 1 + n),
          posWeight: null,
          labelScale: 1,
          labelShift: 0,
        },
        {
          dLoss: data.dLoss.subarray(1, 1 + n),
          dPred: null,
          dLabels: dz.subarray(1, 1 + n),
          dPosWeight: null,
        },
      );
      for (let i = 0; i < n; i++) {
        const r = gluonReference(data.logits[1 + i]!, data.labels[1 + i]!, 1);
        assert.ok(Math.abs(loss[2 + i]! - r.loss) <= 1e-6 * r.loss, `loss ${i}`);
        assert.ok(
          Math.abs(dz[1 + i]! - data.dLoss[1 + i]! * r.dz) <= 1e-6 * Math.abs(r.dz) + 1e-12,
          `dz ${i}`,
        );
      }
    });
  }

  it('wasm and js agree within float32 tolerance', () => {
    const data = sample(4096 * 3 + 1, 15, 20);
    setKernelBackend('wasm');
    const a = runBoth(data, true);
    setKernelBackend('js');
    const b = runBoth(data, true);
    setKernelBackend('auto');
    assert.equal(firstMismatch(a.loss, b.loss, 1e-6, 1e-9), -1);
    assert.equal(firstMismatch(a.dx, b.dx, 1e-5, 1e-6), -1);
    assert.equal(firstMismatch(a.dz, b.dz, 1e-5, 1e-5), -1);
    assert.equal(firstMismatch(a.dp!, b.dp!, 1e-5, 1e-7), -1);
  });

  it('rejects a dPosWeight without posWeight and spans that run off an array', () => {
    const x = new Float32Array(4);
    assert.throws(
      () =>
        sigmoidBinaryCrossEntropyBackward(
          {
            logits: x.subarray(0, 4),
            labels: x.subarray(0, 4),
            posWeight: null,
            labelScale: 1,
            labelShift: 0,
          },
          {
            dLoss: new Float64Array(4).subarray(0, 4),
            dPred: null,
            dLabels: null,
            dPosWeight: x.subarray(0, 4),
          },
        ),
      /dPosWeight needs posWeight/,
    );
    assert.throws(
      () =>
        sigmoidBinaryCrossEntropyForward(
          {
            logits: x.subarray(0, 4),
            labels: new Float32Array(3).subarray(0, 4),
            posWeight: null,
            labelScale: 1,
            labelShift: 0,
          },
          new Float64Array(4).subarray(0, 4),
        ),
      /labels has 3 elements, expected 4/,
    );
  });
});

describe('binary cross-entropy with a gathered posWeight block', () => {
  for (const backend of ['wasm', 'js'] as const) {
    it(`${backend}: posWeight and its gradient at their own offsets equal the elementwise call`, () => {
      setKernelBackend(backend);
      const data = sample(5_000, 16, 6);
      const n = 4_000;
      const begin = 600;
      // posWeight gathered into a block buffer at offset 3, its gradient received at offset 5.
      const block = new Float32Array(n + 3);
      block.set(data.posWeight.subarray(begin, begin + n), 3);
      const lossA = new Float64Array(n);
      const lossB = new Float64Array(n);
      sigmoidBinaryCrossEntropyForward(
        {
          logits: data.logits.subarray(begin, begin + n),
          labels: data.labels.subarray(begin, begin + n),
          posWeight: block.subarray(3, 3 + n),
          labelScale: 1,
          labelShift: 0,
        },
        lossA.subarray(0, n),
      );
      sigmoidBinaryCrossEntropyForward(
        {
          logits: data.logits.subarray(begin, begin + n),
          labels: data.labels.subarray(begin, begin + n),
          posWeight: data.posWeight.subarray(begin, begin + n),
          labelScale: 1,
          labelShift: 0,
        },
        lossB.subarray(0, n),
      );
      assert.deepEqual(lossA, lossB);
      const dpA = new Float32Array(n + 5);
      const dpB = new Float32Array(data.logits.length);
      const dx = new Float32Array(data.logits.length);
      sigmoidBinaryCrossEntropyBackward(
        {
          logits: data.logits.subarray(begin, begin + n),
          labels: data.labels.subarray(begin, begin + n),
          posWeight: block.subarray(3, 3 + n),
          labelScale: 1,
          labelShift: 0,
        },
        {
          dLoss: data.dLoss.subarray(0, n),
          dPred: dx.subarray(begin, begin + n),
          dLabels: null,
          dPosWeight: dpA.subarray(5, 5 + n),
        },
      );
      sigmoidBinaryCrossEntropyBackward(
        {
          logits: data.logits.subarray(begin, begin + n),
          labels: data.labels.subarray(begin, begin + n),
          posWeight: data.posWeight.subarray(begin, begin + n),
          labelScale: 1,
          labelShift: 0,
        },
        {
          dLoss: data.dLoss.subarray(0, n),
          dPred: null,
          dLabels: null,
          dPosWeight: dpB.subarray(begin, begin + n),
        },
      );
      assert.deepEqual(dpA.subarray(5), dpB.subarray(begin, begin + n));
      for (let i = 0; i < 10; i++) {
        const r = gluonReference(
          data.logits[begin + i]!,
          data.labels[begin + i]!,
          data.posWeight[begin + i]!,
        );
        assert.ok(Math.abs(dx[begin + i]! - data.dLoss[i]! * r.dx) < 1e-6, `dx ${i}`);
      }
    });
  }
});

describe('binary cross-entropy in one pass (loss sums and scaled gradient)', () => {
  for (const backend of ['wasm', 'js'] as const) {
    for (const [labelScale, labelShift] of [
      [1, 0],
      [0.5, 0.5],
    ] as const) {
      it(`${backend} z = ${labelScale}·label + ${labelShift}: per-sample sums and gradients match the elementwise kernels`, () => {
        setKernelBackend(backend);
        try {
          for (const [samples, sampleSize] of [
            [3, 1],
            [5, 7],
            [40, 300],
            [2, 16384 + 3],
          ] as const) {
            const data = sample(samples * sampleSize, samples + sampleSize, 12);
            if (labelShift !== 0)
              for (let i = 0; i < data.labels.length; i++) data.labels[i] = i % 2 ? 1 : -1;
            data.logits[1] = Number.NaN;
            const n = data.logits.length;
            const scales = Float64Array.from({ length: samples }, (_, s) => (s + 1) / sampleSize);
            const sums = new Float64Array(samples);
            const gradient = new Float32Array(n);
            sigmoidBinaryCrossEntropyGradient(
              { logits: data.logits, labels: data.labels, labelScale: labelScale, labelShift: labelShift },
              { sampleSize: sampleSize, scales: scales, sums: sums, gradient: gradient },
            );
            // The elementwise kernels with dℓ = the sample's scale are the reference.
            const loss = new Float64Array(n);
            sigmoidBinaryCrossEntropyForward(
              {
                logits: data.logits.subarray(0, n),
                labels: data.labels.subarray(0, n),
                posWeight: null,
                labelScale: labelScale,
                labelShift: labelShift,
              },
              loss.subarray(0, n),
            );
            const dLoss = Float64Array.from({ length: n }, (_, k) => scales[Math.floor(k / sampleSize)]!);
            const dx = new Float32Array(n);
            sigmoidBinaryCrossEntropyBackward(
              {
                logits: data.logits.subarray(0, n),
                labels: data.labels.subarray(0, n),
                posWeight: null,
                labelScale: labelScale,
                labelShift: labelShift,
              },
              { dLoss: dLoss.subarray(0, n), dPred: dx.subarray(0, n), dLabels: null, dPosWeight: null },
            );
            for (let s = 0; s < samples; s++) {
              let expected = 0;
              let magnitude = 0;
              for (let k = s * sampleSize; k < (s + 1) * sampleSize; k++) {
                expected += loss[k]!;
                magnitude += Math.abs(loss[k]!);
              }
              if (Number.isNaN(expected)) assert.ok(Number.isNaN(sums[s]!), `sample ${s} should be NaN`);
              else
                assert.ok(
                  Math.abs(sums[s]! - expected) <= 1e-6 * magnitude,
                  `sum[${s}] ${sums[s]} vs ${expected}`,
                );
            }
            // The one-pass wasm kernel computes σ(x) − z in float32 lanes (the float64 kernel only
            // takes over when a sum is not finite): with a fractional label the difference cancels,
            // so its error is float32 rounding of the terms (≤ 1 in magnitude) times the scale, not
            // of the small result. The elementwise kernels compute it in float64.
            const termScale = 2 ** -22 * Math.max(...scales);
            const at = firstMismatch(gradient, dx, 1e-6, Math.max(1e-12, termScale));
            assert.equal(at, -1, `[${samples}, ${sampleSize}] gradient[${at}]: ${gradient[at]} vs ${dx[at]}`);
          }
        } finally {
          setKernelBackend('auto');
        }
      });
    }
  }
});

describe('binary cross-entropy: float64 labels beside float32 logits take the float64 loops', () => {
  it('values and both gradients equal the js backend, past float32 range included', () => {
    const logits = Float32Array.from([3e38, -2e38, 1, -0.5, 20]);
    const labels = Float64Array.from([1, 0, 0.1, 0.3, 1 / 3]);
    const run = (backend: 'js' | 'wasm') => {
      setKernelBackend(backend);
      try {
        const inputs = { logits, labels, posWeight: null, labelScale: 1, labelShift: 0 };
        const loss = new Float64Array(5);
        sigmoidBinaryCrossEntropyForward(inputs, loss);
        const dPred = new Float32Array(5);
        const dLabels = new Float64Array(5);
        const dLoss = new Float64Array(5).fill(-1.5);
        sigmoidBinaryCrossEntropyBackward(inputs, { dLoss, dPred, dLabels, dPosWeight: null });
        const sums = new Float64Array(1);
        const gradient = new Float32Array(5);
        sigmoidBinaryCrossEntropyGradient(
          { logits, labels, labelScale: 1, labelShift: 0 },
          { sampleSize: 5, scales: Float64Array.of(0.25), sums, gradient },
        );
        return {
          loss: [...loss],
          dPred: [...dPred],
          dLabels: [...dLabels],
          sums: [...sums],
          gradient: [...gradient],
        };
      } finally {
        setKernelBackend('auto');
      }
    };
    const js = run('js');
    const wasm = run('wasm');
    assert.deepEqual(wasm, js);
    assert.equal(js.dLabels[0], 1.5 * Math.fround(3e38), 'd/dlabel = −dLoss · x, finite past float32');
  });
});

describe('binary cross-entropy: slopes at the top of float32 range stay finite where the true one is', () => {
  // LogisticLoss's signed labels (z = label / 2 + 1/2) of 3.4e38 and weight 2: the slope
  // 2 · (σ(x) − z) is −3.4028234663852886e38 + 0.36, float32's largest finite value once rounded.
  // Float32-lane slopes rounded it past float32's range (−Infinity) beside a finite ℓ, and so
  // did the float64 kernel, whose σ(x) and σ(−x) are float32 exponentials: their sum misses 1 by
  // ~1e-7, an error the (1 − z)·σ(x) − z·σ(−x) form multiplies by |z|.
  const logits = Float32Array.from([-1.516108148609602, 0.25, 2, -3]);
  const labels = Float32Array.from([3.4028234663852886e38, -3.4028234663852886e38, 3e38, 1]);
  const run = (backend: 'js' | 'wasm', sampleSize: number) => {
    setKernelBackend(backend);
    try {
      const samples = logits.length / sampleSize;
      const sums = new Float64Array(samples);
      const gradient = new Float32Array(logits.length);
      sigmoidBinaryCrossEntropyGradient(
        { logits, labels, labelScale: 0.5, labelShift: 0.5 },
        { sampleSize, scales: new Float64Array(samples).fill(2), sums, gradient },
      );
      const dPred = new Float32Array(logits.length);
      sigmoidBinaryCrossEntropyBackward(
        { logits, labels, posWeight: null, labelScale: 0.5, labelShift: 0.5 },
        { dLoss: new Float64Array(logits.length).fill(2), dPred, dLabels: null, dPosWeight: null },
      );
      return { gradient: [...gradient], dPred: [...dPred] };
    } finally {
      setKernelBackend('auto');
    }
  };
  for (const sampleSize of [1, 4]) {
    it(`one-pass (samples of ${sampleSize}) and block gradients on both backends`, () => {
      const js = run('js', sampleSize);
      const wasm = run('wasm', sampleSize);
      for (const result of [js, wasm]) {
        assert.equal(result.gradient[0], -3.4028234663852886e38);
        assert.equal(result.dPred[0], -3.4028234663852886e38);
        assert.ok(result.gradient.every(Number.isFinite) && result.dPred.every(Number.isFinite));
      }
      // Within float32 rounding of each other (the wasm exponentials are float32).
      for (let k = 0; k < logits.length; k++)
        assert.ok(
          Math.abs(wasm.gradient[k]! - js.gradient[k]!) <= 2 ** -22 * Math.abs(js.gradient[k]!),
          `[${k}]`,
        );
    });
  }
});
