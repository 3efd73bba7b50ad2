/**
 * Closed forms at float32's extremes, on both kernel backends and both dtypes: the truth that
 * extremes.test.ts compares every loss against (float64 computed on the same values) is itself
 * checked here against values worked out by hand.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALL_LOSSES,
  HuberLoss,
  L1Loss,
  L2Loss,
  LogisticLoss,
  PoissonNLLLoss,
  SigmoidBinaryCrossEntropyLoss,
} from '../../src/loss/index.js';
import type { Loss } from '../../src/loss/_base/index.js';
import { MAX, matches, runLoss, TOLERANCE } from './_extreme-runs.js';

/** Runs `loss` under both backends in float32 and float64; every outcome must equal `expected`. */
function expectClosedForm(
  loss: Loss,
  inputs: readonly (readonly number[] | null)[],
  shape: readonly number[],
  differentiable: readonly number[],
  expected: Readonly<Record<string, readonly number[]>>,
  /** Input index → shape, for inputs not shaped like `shape` (sampleWeight is [batch]). */
  shapes: Readonly<Record<number, readonly number[]>> = {},
): void {
  for (const dtype of ['float32', 'float64'] as const) {
    // Values float32 can hold, so that both dtypes compute on the same numbers.
    const specs = inputs.map((values, i) =>
      values
        ? {
            values: values.map(Math.fround),
            shape: shapes[i] ?? (i === loss.sampleWeightIndex ? [shape[0]!] : shape),
            dtype,
          }
        : null,
    );
    for (const backend of ['wasm', 'js'] as const) {
      const outcome = runLoss(loss, specs, differentiable, backend);
      for (const [name, values] of Object.entries(expected)) {
        const got = outcome.get(name);
        assert.ok(got, `${loss.name}: no outcome ${name}`);
        values.forEach((e, i) => {
          const want = dtype === 'float32' ? Math.fround(e) : e;
          assert.ok(
            matches(got[i]!, want, dtype, TOLERANCE),
            `${loss.name} ${dtype} ${backend} ${name}[${i}]: got ${got[i]}, expected ${want}`,
          );
        });
      }
    }
  }
}

describe('closed forms at float32 extremes (both backends, both dtypes)', () => {
  test('LogisticLoss: softplus(x) − x·z with |x| = 3.4e38 and labels ±3 (z = 2, −1)', () => {
    // ℓ(x, z) = softplus(x) − x·z; softplus(x) = x for x ≫ 0 and 0 for x ≪ 0.
    // x = M, z = 2: −M; x = M, z = −1: 2M (mean M/2). x = −M, z = −1: −M (mean −M).
    // ∂ℓ/∂x = σ(x) − z: −1 and 2 (over 2 elements: −0.5, 1); σ(−M) + 1 = 1 (0.5).
    expectClosedForm(
      new LogisticLoss(),
      [
        [MAX, MAX],
        [3, -3],
      ],
      [1, 2],
      [0, 1],
      {
        loss: [MAX / 2],
        'recorded loss (one-pass)': [MAX / 2],
        'd/dpred (one-pass)': [-0.5, 1],
        'd/dpred (block)': [-0.5, 1],
        // ∂ℓ/∂label = −x/2 (z = (label + 1)/2), over 2 elements.
        'd/dlabel (block)': [-MAX / 4, -MAX / 4],
      },
    );
    expectClosedForm(
      new LogisticLoss(),
      [
        [MAX, -MAX],
        [3, -3],
      ],
      [1, 2],
      [0],
      {
        loss: [-MAX],
        'd/dpred (one-pass)': [-0.5, 0.5],
      },
    );
  });

  test('SigmoidBCE with posWeight at ±3.4e38: finite, p·z·softplus(−x) + (1 − z)·softplus(x)', () => {
    // x = M, z = 1, p = 3: 3·softplus(−M) = 0. x = −M, z = 1, p = 3: 3·M.
    // x = M, z = 0: softplus(M) = M. x = −M, z = 0: 0. Mean over 4: (3M + M)/4 = M.
    // ∂ℓ/∂x = (1 − z)·σ(x) − p·z·σ(−x): 0, −3, 1, 0 (over 4).
    // ∂ℓ/∂p = z·softplus(−x): 0, M, 0, 0 (over 4).
    const x = [MAX, -MAX, MAX, -MAX];
    expectClosedForm(
      new SigmoidBinaryCrossEntropyLoss(),
      [x, [1, 1, 0, 0], null, [3, 3, 3, 3]],
      [1, 4],
      [0, 3],
      {
        loss: [MAX],
        'd/dpred (block)': [0, -0.75, 0.25, 0],
        'd/dposWeight (block)': [0, MAX / 4, 0, 0],
      },
    );
  });

  test('L1Loss and HuberLoss: |3.4e38 − (−3.4e38)| = 6.8e38 over two elements is 3.4e38', () => {
    // The residual 6.8e38 exceeds float32, the per-sample mean does not.
    const inputs = [
      [MAX, 0],
      [-MAX, 0],
    ];
    expectClosedForm(new L1Loss(), inputs, [1, 2], [0, 1], {
      loss: [MAX],
      'recorded loss (one-pass)': [MAX],
      'd/dpred (one-pass)': [0.5, 0],
      'd/dlabel (block)': [-0.5, 0],
    });
    // Huber (ρ = 1): |d| − ρ/2 = 6.8e38 − 0.5.
    expectClosedForm(new HuberLoss(), inputs, [1, 2], [0], {
      loss: [MAX],
      'd/dpred (one-pass)': [0.5, 0],
    });
  });

  test('L2Loss: d = 3.4e38 − (−3.4e38) gives d²/2 ≈ 2.3e77, Infinity in float32; the gradient d/2 is finite', () => {
    const inputs = [
      [MAX, 0],
      [-MAX, 0],
    ];
    for (const backend of ['wasm', 'js'] as const) {
      const f32 = runLoss(
        new L2Loss(),
        inputs.map((values) => ({ values, shape: [1, 2], dtype: 'float32' as const })),
        [0, 1],
        backend,
      );
      assert.equal(f32.get('loss')![0], Number.POSITIVE_INFINITY, backend);
      assert.equal(f32.get('recorded loss (one-pass)')![0], Number.POSITIVE_INFINITY, backend);
      // ∂(mean of d²/2)/∂pred = d/2 = M.
      assert.equal(f32.get('d/dpred (one-pass)')![0], MAX, backend);
      assert.equal(f32.get('d/dlabel (block)')![0], -MAX, backend);
    }
    expectClosedForm(new L2Loss(), inputs, [1, 2], [0], { loss: [(2 * MAX) ** 2 / 4] });
  });

  test('PoissonNLLLoss from logits: exp(x) − t·x at x = −3.4e38 is 3.4e38·t', () => {
    expectClosedForm(
      new PoissonNLLLoss(),
      [
        [-MAX, 0],
        [0.5, 0],
      ],
      [1, 2],
      [0],
      {
        loss: [(0.5 * MAX) / 2],
        // exp(x) − t: −0.5 and 1 (over 2).
        'd/dpred (one-pass)': [-0.25, 0.5],
      },
    );
  });

  test('subnormal and signed-zero inputs: residuals of 1e-45 keep their sign in the gradient', () => {
    expectClosedForm(
      new L1Loss(),
      [
        [1e-45, -0],
        [0, 1e-45],
      ],
      [1, 2],
      [0],
      {
        loss: [Math.fround(1e-45)],
        'd/dpred (one-pass)': [0.5, -0.5],
      },
    );
  });

  test('TripletLoss: two equal squared distances of (6.8e38)² cancel exactly, ℓ = margin + 1', () => {
    // p − a = q − a = −6.8e38 in the first element, (1, 0) in the second: Σ (p − a)² − (q − a)²
    // = 1, ℓ = 1 + margin = 2; ∂ℓ/∂a = 2·(q − p) = (0, −2). Float32 squares were ∞ − ∞ = NaN.
    // (∂ℓ/∂p = 2·(p − a) = −1.4e39 is a true float32 overflow.)
    expectClosedForm(
      new ALL_LOSSES.TripletLoss!(),
      [
        [MAX, 0],
        [-MAX, 1],
        [-MAX, 0],
      ],
      [1, 2],
      [0, 1, 2],
      {
        loss: [2],
        'recorded loss (one-pass)': [2],
        'd/dpred (one-pass)': [0, -2],
      },
    );
  });

  test('SoftmaxCrossEntropyLoss: −log softmax = 6.8e38 times a sampleWeight of 0.25 is finite', () => {
    // logsumexp(M, −M) − (−M) = 2M exactly; ∂/∂x = w·(softmax(x) − onehot) = (0.25, −0.25).
    expectClosedForm(
      new ALL_LOSSES.SoftmaxCrossEntropyLoss!(),
      [[MAX, -MAX], [1], [0.25]],
      [1, 2],
      [0],
      {
        loss: [MAX / 2],
        'recorded loss (one-pass)': [MAX / 2],
        'd/dpred (one-pass)': [0.25, -0.25],
      },
      { 1: [1] },
    );
  });

  test('PoissonNLLLoss: exp(100) exceeds float32, exp(100)·1e-40 does not', () => {
    const w = Math.fround(1e-40);
    expectClosedForm(new PoissonNLLLoss(), [[100], [0], [w]], [1, 1], [0], {
      loss: [Math.exp(100) * w],
      'd/dpred (one-pass)': [Math.exp(100) * w],
    });
  });

  test('a per-sample scale below the float32 normal range keeps its precision (L2, Logistic, Triplet)', () => {
    // sampleWeight 1e-40 over 3 elements: the scale w/3 is a float32 subnormal with ~13 bits,
    // and the slope 1e30 carries its rounding into a normal gradient, 1e30·w/3 ≈ 3.3e-11.
    const w = Math.fround(1e-40);
    const x = Math.fround(1e30);
    expectClosedForm(new L2Loss(), [[x, 0, 0], [0, 0, 0], [w]], [1, 3], [0], {
      'd/dpred (one-pass)': [(x * w) / 3, 0, 0],
    });
    // Logistic (signed) with label −3: ∂ℓ/∂x = σ(x) − z = 1 − (−1) = 2.
    expectClosedForm(new LogisticLoss(), [[x, 0, 0], [-3, 1, 1], [w]], [1, 3], [0], {
      'd/dpred (one-pass)': [(2 * w) / 3, (0.5 - 1) * (w / 3), (0.5 - 1) * (w / 3)],
    });
    // Triplet (one ℓ per sample, weight 1/3 for the same scale w/3): ∂ℓ/∂a = 2·(q − p)·w/3 with
    // q − p = −1e30 on an active sample (distance 1e60 + margin > 0).
    expectClosedForm(
      new ALL_LOSSES.TripletLoss!({ weight: 1 / 3 }),
      [[0, 0, 0], [x, 0, 0], [0, 0, 0], [w]],
      [1, 3],
      [0],
      {
        'd/dpred (one-pass)': [(-2 * x * w) / 3, 0, 0],
      },
    );
  });
});
