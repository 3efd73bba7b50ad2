import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { grad, record } from '../../src/autograd/index.js';
import { KLDivLoss } from '../../src/loss/kl-div.js';
import { SDMLLoss } from '../../src/loss/sdml.js';
import { zeros } from '../../src/ndarray/create.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { assertFusedGradients, assertSecondDerivative, lossAndGradients } from './_closure-checks.js';
import { assertClose, assertConformance, f64 } from './_elementwise-checks.js';

const NAME = 'SDMLLoss';

/** Random float64 embeddings. */
function embeddings(seed: number, shape: number[], scale = 1): NDArray {
  return normal(0, scale, shape, { dtype: 'float64', generator: new RandomGenerator(seed) });
}

/** The squared distance matrix d_ij = |x1_i − x2_j|² as nested arrays. */
function distances(x1: NDArray, x2: NDArray): number[][] {
  const [n, d] = x1.shape as [number, number];
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let total = 0;
      for (let k = 0; k < d; k++) total += (x1.data[i * d + k]! - x2.data[j * d + k]!) ** 2;
      return total;
    }),
  );
}

/** The smoothed identity labels. */
function smoothedLabels(n: number, s: number): number[][] {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 - s : s / (n - 1))),
  );
}

describe('SDMLLoss', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => assertConformance(`cases/${NAME}.json`, dtype));
  }

  test('equals KLDivLoss (fromLogits, Gluon mean) of log_softmax(−d) against the smoothed identity', () => {
    for (const [seed, n, s] of [
      [1, 5, 0.3],
      [2, 7, 0.2],
      [3, 2, 0],
      [4, 4, 0.6],
      [5, 6, 1],
      [6, 2, 1],
    ] as const) {
      const x1 = embeddings(seed, [n, 3]);
      const x2 = x1.add(embeddings(seed + 10, [n, 3], 0.3));
      const logProbabilities = f64(distances(x1, x2)).neg().logSoftmax(1);
      const expected = new KLDivLoss().forward(logProbabilities, f64(smoothedLabels(n, s)));
      const out = new SDMLLoss({ smoothingParameter: s }).forward(x1, x2);
      assert.deepEqual(out.shape, [n]);
      assertClose(out.data, expected.data, 1e-12, 1e-15, `N ${n}, s ${s}`);
      // MXNet 1.9's value sums over j instead: N times larger (DECISIONS 3).
      const trueKL = new KLDivLoss({ classReduction: 'sum' }).forward(
        logProbabilities,
        f64(smoothedLabels(n, s)),
      );
      assertClose(
        Array.from(out.data, (v) => v * n),
        trueKL.data,
        1e-12,
        1e-15,
        `N ${n}, s ${s} (1.9 value)`,
      );
    }
  });

  test('MXNet test_sdml_loss: a tanh Dense layer trained 20 Adam steps gets the mean loss below 0.05', () => {
    const generator = new RandomGenerator(1234);
    const [batch, dim] = [5, 10];
    const data = uniform(-1, 1, [batch, dim], { dtype: 'float64', generator });
    const positives = data.add(uniform(-0.1, 0.1, [batch, dim], { dtype: 'float64', generator }));
    // Xavier-uniform weight (fan in = fan out = 10), zero bias, as Gluon's Dense with Xavier init.
    const limit = Math.sqrt(6 / (dim + dim));
    const weight = uniform(-limit, limit, [dim, dim], { dtype: 'float64', generator });
    const bias = zeros([dim], { dtype: 'float64' });
    const parameters = [weight, bias];
    const moments = parameters.map((p) => ({ m: new Float64Array(p.size), v: new Float64Array(p.size) }));
    const loss = new SDMLLoss();
    const embed = (x: NDArray) => x.matmul(weight).add(bias).tanh();
    let mean = Number.POSITIVE_INFINITY;
    for (let step = 1; step <= 20; step++) {
      for (const p of parameters) p.attachGrad();
      const out = record(() => loss.forward(embed(data), embed(positives)));
      mean = Array.from(out.data).reduce((s, v) => s + v, 0) / batch;
      const grads = grad(out, parameters);
      // Adam (lr 0.1, β 0.9 / 0.999, ε 1e-8) on the summed loss, as trainer.step(1).
      parameters.forEach((p, k) => {
        const { m, v } = moments[k]!;
        const g = grads[k]!.data;
        for (let i = 0; i < p.size; i++) {
          m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
          v[i] = 0.999 * v[i]! + 0.001 * g[i]! ** 2;
          const mHat = m[i]! / (1 - 0.9 ** step);
          const vHat = v[i]! / (1 - 0.999 ** step);
          p.data[i]! -= (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8);
        }
      });
    }
    assert.ok(mean < 0.05, `mean loss after 20 steps: ${mean}`);
  });

  test('smoothingParameter 1 (DECISIONS 9b): all mass on the negatives, a closed form for N = 2', () => {
    // With s = 1 and N = 2 the target of row i is 1 on its negative j, so
    // ℓ_i = ½ (log(1 + 1e-12) − log_softmax(−d)_ij) = ½ (log(1 + 1e-12) + log(1 + exp(d_ij − d_ii))).
    const x1 = f64([
      [0, 0],
      [3, 4],
    ]);
    const x2 = f64([
      [0, 1],
      [3, 3],
    ]);
    const d = distances(x1, x2); // [[1, 18], [20, 1]]
    const loss = new SDMLLoss({ smoothingParameter: 1 });
    assert.equal(loss.smoothingParameter, 1);
    const out = loss.forward(x1, x2);
    const expected = [0, 1].map(
      (i) => 0.5 * (Math.log(1 + 1e-12) + Math.log1p(Math.exp(d[i]![1 - i]! - d[i]![i]!))),
    );
    assertClose(out.data, expected, 1e-14, 0, 's = 1, N = 2');
    // ∂ℓ_i/∂x1_i = σ(t_i) (x2_i − x2_j) with t_i = d_ij − d_ii: only ℓ_i depends on x1_i.
    const { grads } = lossAndGradients(loss, ([a, b]) => [a!, b!], [x1, x2]);
    const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));
    const expectedX1 = [0, 1].flatMap((i) => {
      const weight = sigmoid(d[i]![1 - i]! - d[i]![i]!);
      return [0, 1].map((k) => weight * (x2.data[i * 2 + k]! - x2.data[(1 - i) * 2 + k]!));
    });
    assertClose(grads[0]!.data, expectedX1, 1e-12, 1e-15, 's = 1, N = 2, gradient of x1');
  });

  test('smoothingParameter 1 with an infinitely distant positive: its zero label adds 0, not NaN', () => {
    const x1 = f64([
      [0, 0],
      [0, 0],
    ]);
    const x2 = f64([
      [0, 0],
      [1e200, 0],
    ]);
    // d = [[0, ∞], [0, ∞]]. Sample 0's only target is its negative at distance ∞: loss +∞.
    // Sample 1's target is its negative at distance 0 (P = 0); its positive has label 0 at s = 1,
    // so the −∞ log-probability there must not turn 0 · (−∞) into NaN.
    const loss = new SDMLLoss({ smoothingParameter: 1 });
    const expected = [Number.POSITIVE_INFINITY, 0.5 * Math.log(1 + 1e-12)];
    assertClose(loss.forward(x1, x2).data, expected, 1e-14, 0, 'fused');
    assertClose(loss.reference(x1, x2).data, expected, 1e-14, 0, 'twin');
  });

  test('gradients: fused vs finite differences vs twin, across smoothing values and shapes', () => {
    for (const [seed, shape, s] of [
      [5, [4, 3], 0.3],
      [6, [3, 2], 0],
      [7, [5, 1], 0.6],
      [8, [2, 4], 0.9],
      [9, [4, 3], 1],
      [10, [2, 2], 1],
    ] as const) {
      const x1 = embeddings(seed, [...shape]);
      const x2 = x1.add(embeddings(seed + 10, [...shape], 0.5));
      assertFusedGradients(new SDMLLoss({ smoothingParameter: s }), ([a, b]) => [a!, b!], [x1, x2]);
    }
  });

  test('second derivatives through autograd.grad({ createGraph }) match finite differences', () => {
    const x1 = embeddings(9, [3, 2]);
    const x2 = x1.add(embeddings(19, [3, 2], 0.5));
    assertSecondDerivative(new SDMLLoss(), ([a, b]) => [a!, b!], [x1, x2], 0, 0);
    assertSecondDerivative(new SDMLLoss(), ([a, b]) => [a!, b!], [x1, x2], 0, 1);
  });

  test('weight and batchAxis are accepted and ignored, as in Gluon', () => {
    const x1 = embeddings(10, [4, 3]);
    const x2 = embeddings(11, [4, 3]);
    const plain = new SDMLLoss().forward(x1, x2);
    assertClose(new SDMLLoss({ weight: 3 }).forward(x1, x2).data, plain.data, 0, 0, 'weight');
    assertClose(new SDMLLoss({ batchAxis: 1 }).forward(x1, x2).data, plain.data, 0, 0, 'batchAxis');
    assert.equal(new SDMLLoss().sampleWeightIndex, -1);
    assert.throws(() => new SDMLLoss().forward(x1, x2, x1 as never), ValueError);
  });

  test('identical pairs have distance exactly 0; large scales (up to 1e30) stay finite', () => {
    const x = f64([
      [0, 0],
      [3, 4],
    ]);
    const s = 0.3;
    // d = [[0, 25], [25, 0]]: P_ii = −log(1 + e^−25), P_ij = −25 − log(1 + e^−25).
    const logZ = Math.log1p(Math.exp(-25));
    const row = ((1 - s) * (Math.log(1 - s + 1e-12) + logZ) + s * (Math.log(s + 1e-12) + 25 + logZ)) / 2;
    assertClose(new SDMLLoss().forward(x, x).data, [row, row], 1e-14, 0, 'closed form');
    for (const scale of [88, 1e4, 1e30]) {
      const x1 = embeddings(12, [4, 3], scale);
      const x2 = x1.add(embeddings(13, [4, 3], 0.1 * scale));
      const { loss, grads } = lossAndGradients(new SDMLLoss(), ([a, b]) => [a!, b!], [x1, x2]);
      assert.ok(Array.from(loss.data).every(Number.isFinite), `loss at ${scale}`);
      assert.ok(
        grads.every((g) => Array.from(g.data).every(Number.isFinite)),
        `gradients at ${scale}`,
      );
    }
  });

  test('NaN: in x1_i only sample i; in x2_j every sample (x2_j is every sample’s negative)', () => {
    const x1 = embeddings(14, [3, 2]);
    const x2 = embeddings(15, [3, 2]);
    const clean = new SDMLLoss().forward(x1, x2);
    const bad1 = f64(x1.toArray() as number[][]);
    bad1.data[3] = Number.NaN;
    const out1 = new SDMLLoss().forward(bad1, x2);
    assert.ok(Number.isNaN(out1.data[1]!));
    assertClose([out1.data[0]!, out1.data[2]!], [clean.data[0]!, clean.data[2]!], 0, 0, 'other samples');
    const bad2 = f64(x2.toArray() as number[][]);
    bad2.data[0] = Number.NaN;
    assert.ok(Array.from(new SDMLLoss().forward(x1, bad2).data).every(Number.isNaN));
  });

  test('a batch of one: only the positive pair, (1 − s) · log(1 − s + ε)', () => {
    const out = new SDMLLoss().forward(f64([[1, 2]]), f64([[0, 5]]));
    assertClose(out.data, [0.7 * Math.log(0.7 + 1e-12)], 1e-15, 0, 'N = 1');
  });

  test('errors: shapes and options', () => {
    const x = embeddings(16, [5, 3]);
    const loss = new SDMLLoss();
    assert.throws(
      () => loss.forward(x, embeddings(17, [6, 3])),
      (e: Error) => e instanceof ShapeError && /SDMLLoss.*\[5,3\].*\[6,3\]/.test(e.message),
    );
    assert.throws(() => loss.forward(x, embeddings(18, [5, 4])), ShapeError);
    assert.throws(() => loss.forward(f64([1, 2, 3]), f64([1, 2, 3])), ShapeError);
    for (const bad of [
      -0.1,
      -Number.MIN_VALUE,
      1 + Number.EPSILON,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]) {
      assert.throws(
        () => new SDMLLoss({ smoothingParameter: bad }),
        (e: Error) => e instanceof ValueError && /smoothingParameter/.test(e.message),
      );
    }
    assert.throws(() => new SDMLLoss({ weight: Number.NaN }), ValueError);
    assert.throws(() => new SDMLLoss({ smoothing: 0.1 } as object), ValueError);
  });
});
