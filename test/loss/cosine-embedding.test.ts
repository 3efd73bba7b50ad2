import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CosineEmbeddingLoss } from '../../src/loss/cosine-embedding.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator } from '../../src/ndarray/random.js';
import { assertFusedGradients, assertSecondDerivative, lossAndGradients } from './_closure-checks.js';
import { assertClose, assertConformance, f32, f64 } from './_elementwise-checks.js';

const NAME = 'CosineEmbeddingLoss';

/** Random float64 vectors. */
function vectors(seed: number, shape: number[]): NDArray {
  return normal(0, 1, shape, { dtype: 'float64', generator: new RandomGenerator(seed) });
}

/** cos of every pair along the last axis, by the textbook formula. */
function cosines(x1: NDArray, x2: NDArray): number[] {
  const length = x2.shape[x2.ndim - 1]!;
  const out: number[] = [];
  for (let base = 0; base < x2.size; base += length) {
    let dot = 0;
    let n1 = 0;
    let n2 = 0;
    for (let j = base; j < base + length; j++) {
      dot += x1.data[j]! * x2.data[j]!;
      n1 += x1.data[j]! ** 2;
      n2 += x2.data[j]! ** 2;
    }
    out.push(dot / Math.max(Math.sqrt(n1) * Math.sqrt(n2), 1e-12));
  }
  return out;
}

/** Alternating ±1 labels, with 1 wherever cos − margin is within 0.05 of a clip bound (kink-free). */
function kinkFreeLabels(x1: NDArray, x2: NDArray, margin: number): NDArray {
  return f64(
    cosines(x1, x2).map((c, m) =>
      m % 2 === 1 && Math.abs(c - margin) > 0.05 && Math.abs(c - 1) > 0.05 ? -1 : 1,
    ),
  );
}

describe('CosineEmbeddingLoss', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      assertConformance(`cases/${NAME}.json`, dtype);
      assertConformance('tutorial.json', dtype, NAME);
      assertConformance('kinks.json', dtype, NAME);
    });
  }

  test('MXNet test_cosine_loss: where(label == 1, 1 − cos, max(0, cos)), shape (N,)', () => {
    for (const seed of [1, 2, 3]) {
      const x1 = vectors(seed, [3, 2]);
      const x2 = vectors(seed + 10, [3, 2]);
      const label = f64(Array.from(vectors(seed + 20, [3]).data, (v) => (v >= 0 ? 1 : -1)));
      const out = new CosineEmbeddingLoss().forward(x1, x2, label);
      assert.deepEqual(out.shape, [3]);
      const expected = cosines(x1, x2).map((c, m) => (label.data[m] === 1 ? 1 - c : Math.max(0, c)));
      assertClose(out.data, expected, 1e-14, 1e-15, `seed ${seed}`);
      const out32 = new CosineEmbeddingLoss().forward(
        f32(x1.toArray() as number[][]),
        f32(x2.toArray() as number[][]),
        label,
      );
      assertClose(out32.data, expected, 1e-3, 1e-5, `seed ${seed} float32`);
    }
  });

  test('the tutorial cells: identical vectors (label 1) and orthogonal ones (label −1) both give 0', () => {
    const x = f64([1, 0, 1, 0, 1, 0]);
    const same = lossAndGradients(new CosineEmbeddingLoss(), ([a, b]) => [a!, b!, f64([1])], [
      x,
      f64([1, 0, 1, 0, 1, 0]),
    ]);
    assert.deepEqual(same.loss.shape, [1]);
    assertClose(same.loss.data, [0], 0, 1e-15, 'identical');
    const orthogonal = lossAndGradients(new CosineEmbeddingLoss(), ([a, b]) => [a!, b!, f64([-1])], [
      x,
      f64([0, 1, 0, 1, 0, 1]),
    ]);
    assertClose(orthogonal.loss.data, [0], 0, 0, 'orthogonal');
    // cos − margin = 0 sits on the lower clip: gradient 0 there (DECISIONS 10).
    for (const g of orthogonal.grads) assertClose(g.data, [0, 0, 0, 0, 0, 0], 0, 0, 'orthogonal gradient');
    // float32, as the tutorial runs it.
    const out32 = new CosineEmbeddingLoss().forward(
      f32([1, 0, 1, 0, 1, 0]),
      f32([1, 0, 1, 0, 1, 0]),
      f32([1]),
    );
    assertClose(out32.data, [0], 0, 1e-7, 'identical float32');
  });

  test('gradients: fused vs finite differences vs twin, across options and shapes', () => {
    const configurations: {
      options: { margin?: number; weight?: number; batchAxis?: number };
      x1: NDArray;
      x2: NDArray;
      weight?: NDArray;
    }[] = [
      { options: {}, x1: vectors(4, [5, 3]), x2: vectors(5, [5, 3]) },
      { options: { margin: 0.2 }, x1: vectors(6, [6, 4]), x2: vectors(7, [6, 4]) },
      { options: { margin: -0.3, weight: 0.5 }, x1: vectors(8, [2, 3, 4]), x2: vectors(9, [2, 3, 4]) },
      { options: { batchAxis: 1 }, x1: vectors(10, [4, 3]), x2: vectors(11, [4, 3]) },
      {
        options: { margin: 0.1 },
        x1: vectors(12, [4, 3]),
        x2: vectors(13, [4, 3]),
        weight: f64([[0.5], [2], [1], [3]]),
      },
      { options: {}, x1: vectors(14, [12]), x2: vectors(15, [4, 3]), weight: f64([1, 2, 0.5, 1]) },
    ];
    for (const { options, x1, x2, weight } of configurations) {
      const label = kinkFreeLabels(x1, x2, options.margin ?? 0);
      assert.ok(label.data.includes(-1), 'both branches are exercised');
      assertFusedGradients(new CosineEmbeddingLoss(options), ([a, b]) => [a!, b!, label, weight ?? null], [
        x1,
        x2,
      ]);
    }
  });

  test('second derivatives through autograd.grad({ createGraph }) match finite differences', () => {
    const x1 = vectors(16, [4, 3]);
    const x2 = vectors(17, [4, 3]);
    const label = kinkFreeLabels(x1, x2, 0.1);
    const loss = new CosineEmbeddingLoss({ margin: 0.1 });
    assertSecondDerivative(loss, ([a, b]) => [a!, b!, label], [x1, x2], 0, 0);
    assertSecondDerivative(loss, ([a, b]) => [a!, b!, label], [x1, x2], 0, 1);
  });

  test('batchAxis 1 averages the (M, 1) column down to one value', () => {
    const x1 = vectors(18, [4, 3]);
    const x2 = vectors(19, [4, 3]);
    const label = kinkFreeLabels(x1, x2, 0);
    const perPair = new CosineEmbeddingLoss().forward(x1, x2, label);
    const averaged = new CosineEmbeddingLoss({ batchAxis: 1 }).forward(x1, x2, label);
    assert.deepEqual(averaged.shape, [1]);
    assertClose(averaged.data, [Array.from(perPair.data).reduce((s, v) => s + v, 0) / 4], 1e-15, 0, 'mean');
  });

  test('scale invariance from 1e-5 to 1e30: the same loss, a gradient scaled by 1/k', () => {
    const x1 = vectors(20, [3, 4]);
    const x2 = vectors(21, [3, 4]);
    const label = kinkFreeLabels(x1, x2, 0);
    const reference = lossAndGradients(new CosineEmbeddingLoss(), ([a, b]) => [a!, b!, label], [x1, x2]);
    for (const k of [1e-5, 88, 1e4, 1e30]) {
      const scaled = lossAndGradients(new CosineEmbeddingLoss(), ([a, b]) => [a!, b!, label], [
        x1.mul(k),
        x2,
      ]);
      assertClose(scaled.loss.data, reference.loss.data, 1e-12, 1e-15, `loss at ${k}`);
      assertClose(
        Array.from(scaled.grads[0]!.data, (v) => v * k),
        reference.grads[0]!.data,
        1e-10,
        1e-14,
        `gradient at ${k}`,
      );
    }
  });

  test('a zero vector: cos = 0, and finite gradients (the floored formula’s own derivative)', () => {
    const x1 = f64([
      [0, 0, 0],
      [0, 0, 0],
      [1, 2, 2],
    ]);
    const x2 = f64([
      [1, -2, 2],
      [3, 0, 4],
      [1, 2, 2],
    ]);
    const { loss, grads } = lossAndGradients(
      new CosineEmbeddingLoss(),
      ([a, b]) => [a!, b!, f64([1, -1, 1])],
      [x1, x2],
    );
    assertClose(loss.data, [1, 0, 0], 0, 1e-15, 'loss');
    for (const g of grads) assert.ok(Array.from(g.data).every(Number.isFinite), 'no NaN or infinity');
    // Label 1 on the floor: cos = x1 · x2 / 1e-12, so ∂ℓ/∂x1 = −x2 / 1e-12 and ∂ℓ/∂x2 = −x1 / 1e-12 = 0.
    assertClose(grads[0]!.data.subarray(0, 3), [-1e12, 2e12, -2e12], 1e-15, 0, 'zero vector gradient');
    assertClose(grads[1]!.data.subarray(0, 6), [0, 0, 0, 0, 0, 0], 0, 0, 'partner gradient');
  });

  test('the upper clip: cos − margin capped at 1 − margin; with margin > 1 the bounds cross and ℓ is 0', () => {
    const x = f64([[1, 2, 3]]);
    const parallel = new CosineEmbeddingLoss({ margin: -0.5 }).forward(x, x.mul(2), f64([-1]));
    assertClose(parallel.data, [1.5], 1e-15, 0, 'parallel, margin −0.5');
    // MXNet's clip tests v > 1 − margin first, then v < 0, so crossed bounds give 0 (PyTorch:
    // max(0, cos − margin) = 0); numpy's min(max(v, 0), 1 − margin) would give 1 − margin < 0.
    for (const margin of [1.5, 3]) {
      const x1 = f64([
        [1, 2, 3],
        [1, 2, 3],
        [0.5, -1, 2],
      ]);
      const x2 = f64([
        [1, 0, 0],
        [2, 4, 6],
        [-0.5, 1, -2],
      ]);
      const labels = f64([-1, -1, -1]);
      const { loss, grads } = lossAndGradients(
        new CosineEmbeddingLoss({ margin }),
        ([a]) => [a!, x2, labels],
        [x1],
      );
      assert.deepEqual(Array.from(loss.data), [0, 0, 0], `margin ${margin}`);
      assert.deepEqual(Array.from(grads[0]!.data), new Array(9).fill(0), `margin ${margin}: gradient`);
      const twin = new CosineEmbeddingLoss({ margin }).reference(x1, x2, labels);
      assert.deepEqual(Array.from(twin.data), [0, 0, 0], `margin ${margin}: twin`);
    }
  });

  test('a NaN or infinite component makes only its own pair NaN', () => {
    const x1 = vectors(22, [3, 3]);
    const x2 = vectors(23, [3, 3]);
    const label = f64([1, -1, 1]);
    const clean = lossAndGradients(new CosineEmbeddingLoss(), ([a, b]) => [a!, b!, label], [x1, x2]);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const poisoned = f64(x1.toArray() as number[][]);
      poisoned.data[4] = bad;
      const { loss, grads } = lossAndGradients(new CosineEmbeddingLoss(), ([a, b]) => [a!, b!, label], [
        poisoned,
        x2,
      ]);
      assert.ok(Number.isNaN(loss.data[1]!), `pair 1 is NaN for ${bad}`);
      assertClose(
        [loss.data[0]!, loss.data[2]!],
        [clean.loss.data[0]!, clean.loss.data[2]!],
        0,
        0,
        `others for ${bad}`,
      );
      for (let k = 0; k < 2; k++) {
        assertClose(
          [...grads[k]!.data.subarray(0, 3), ...grads[k]!.data.subarray(6)],
          [...clean.grads[k]!.data.subarray(0, 3), ...clean.grads[k]!.data.subarray(6)],
          0,
          0,
          `other gradients for ${bad}`,
        );
      }
    }
  });

  test('errors: labels other than ±1, element counts, weights, axes, options', () => {
    const x = vectors(24, [3, 2]);
    const loss = new CosineEmbeddingLoss();
    assert.throws(
      () => loss.forward(x, x, f64([1, 0, -1])),
      (e: Error) => e instanceof ValueError && /CosineEmbeddingLoss.*position 1 is 0/.test(e.message),
    );
    assert.throws(
      () => loss.forward(x, x, f64([1, -1, 2])),
      (e: Error) => e instanceof ValueError && /position 2 is 2/.test(e.message),
    );
    assert.throws(
      () => loss.forward(x, x, f64([Number.NaN, 1, 1])),
      (e: Error) => e instanceof ValueError && /position 0 is NaN/.test(e.message),
    );
    assert.throws(
      () => loss.forward(x, x, f64([1, 1])),
      (e: Error) => e instanceof ShapeError && /label.*\[2\].*\[3\]/.test(e.message),
    );
    assert.throws(
      () => loss.forward(vectors(25, [3, 3]), x, f64([1, 1, 1])),
      (e: Error) => e instanceof ShapeError && /input1/.test(e.message),
    );
    assert.throws(
      () =>
        loss.forward(
          x,
          x,
          f64([1, 1, 1]),
          f64([
            [1, 1],
            [1, 1],
            [1, 1],
          ]),
        ),
      ShapeError,
    );
    assert.throws(() => new CosineEmbeddingLoss({ batchAxis: 2 }).forward(x, x, f64([1, 1, 1])), ShapeError);
    assert.throws(() => loss.forward(f64(1), f64(1), f64([1])), ShapeError);
    assert.throws(
      () => loss.forward(x, x),
      (e: Error) => e instanceof ValueError && /label is required/.test(e.message),
    );
    assert.throws(() => new CosineEmbeddingLoss({ margin: Number.NaN }), ValueError);
  });
});
