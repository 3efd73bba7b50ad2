import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NTXentLoss } from '../../src/loss/ntxent.js';
import { array } from '../../src/ndarray/create.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator } from '../../src/ndarray/random.js';
import { assertFusedGradients, assertSecondDerivative, lossAndGradients } from './_closure-checks.js';
import { assertClose, f32, f64 } from './_elementwise-checks.js';

const i32 = (values: Parameters<typeof array>[0]) => array(values, { dtype: 'int32' });

/**
 * Optax's ntxent term by term, in float64 (no shifting): for each positive pair (i, j),
 * −log(e^{s_ij} / (e^{s_ij} + Σ_negatives e^{s_ik})); returns the per-pair terms by row.
 */
function pairTerms(rows: number[][], labels: number[], temperature: number): number[][] {
  const unit = rows.map((r) => {
    const norm = Math.hypot(...r);
    return r.map((v) => v / norm);
  });
  const s = (i: number, j: number) => unit[i]!.reduce((t, v, d) => t + v * unit[j]![d]!, 0) / temperature;
  return rows.map((_, i) => {
    const negatives = labels.flatMap((l, k) => (l !== labels[i] ? [Math.exp(s(i, k))] : []));
    const denominatorRest = negatives.reduce((a, b) => a + b, 0);
    return labels.flatMap((l, j) =>
      j !== i && l === labels[i]
        ? [-Math.log(Math.exp(s(i, j)) / (Math.exp(s(i, j)) + denominatorRest))]
        : [],
    );
  });
}

const embeddings = (seed: number, shape: number[]): NDArray =>
  normal(0, 1, shape, { dtype: 'float64', generator: new RandomGenerator(seed) });

describe('NTXentLoss', () => {
  test('per row: the mean over its positives; Optax (the mean over all pairs) is the n-weighted mean', () => {
    const x = embeddings(1, [7, 4]);
    const labels = [0, 1, 0, 2, 1, 0, 3];
    const rows = Array.from({ length: 7 }, (_, i) => Array.from(x.data.subarray(4 * i, 4 * i + 4)));
    const terms = pairTerms(rows, labels, 0.3);
    const out = new NTXentLoss({ temperature: 0.3 }).forward(x, i32(labels));
    const perRow = terms.map((t) => (t.length === 0 ? 0 : t.reduce((a, b) => a + b, 0) / t.length));
    assertClose(out.data, perRow, 1e-12, 0, 'per row');
    assert.equal(out.data[3], 0, 'a row without positives gives 0');
    const counts = terms.map((t) => t.length);
    const optax = terms.flat().reduce((a, b) => a + b, 0) / counts.reduce((a, b) => a + b, 0);
    const weighted = new NTXentLoss({ temperature: 0.3 }).forward(x, i32(labels), f64(counts));
    const total = Array.from(weighted.data).reduce((a, b) => a + b, 0);
    assertClose([total / counts.reduce((a, b) => a + b, 0)], [optax], 1e-12, 0, 'Optax value');
  });

  test('the TSDoc example, both dtypes', () => {
    for (const make of [f32, f64]) {
      const out = new NTXentLoss({ temperature: 0.5 }).forward(
        make([
          [1, 0],
          [1, 0.1],
          [0, 1],
        ]),
        make([0, 0, 1]),
      );
      assertClose(out.data, [0.12811635, 0.15424964, 0], 1e-6, 0, 'example');
    }
  });

  test('fused gradients equal finite differences and the twin; second derivatives too', () => {
    const x = embeddings(2, [6, 3]);
    const labels = i32([0, 1, 2, 0, 1, 1]);
    assertFusedGradients(new NTXentLoss(), ([e, w]) => [e!, labels, w!], [x, f64([1, 2, 0.5, 1, 3, 0.25])]);
    assertFusedGradients(new NTXentLoss({ temperature: 2 }), ([e]) => [e!, labels], [x]);
    assertSecondDerivative(new NTXentLoss({ temperature: 0.5 }), ([e]) => [e!, labels], [x], 0, 0);
  });

  test('scale-invariant above the norm floor: embeddings of 1e30 or 1e-8 give the same loss, finite gradients', () => {
    const x = embeddings(3, [5, 3]);
    const labels = i32([0, 0, 1, 1, 2]);
    const loss = new NTXentLoss({ temperature: 0.01 });
    const base = loss.forward(x, labels);
    for (const scale of [1e30, 1e-8]) {
      const { loss: out, grads } = lossAndGradients(loss, ([e]) => [e!, labels], [x.mul(scale)]);
      assertClose(out.data, base.data, 1e-12, 0, `scale ${scale}`);
      assert.ok(Array.from(grads[0]!.data).every(Number.isFinite), `d/dembeddings at ${scale}`);
    }
  });

  test('no negatives, a zero embedding, a batch of one: 0 or finite, zero gradients where nothing depends', () => {
    const same = lossAndGradients(new NTXentLoss(), ([e]) => [e!, i32([4, 4, 4])], [embeddings(4, [3, 2])]);
    assert.deepEqual(Array.from(same.loss.data), [0, 0, 0]);
    assert.ok(Array.from(same.grads[0]!.data).every((v) => v === 0));
    const zero = f64([
      [0, 0],
      [1, 0],
      [0.5, 0.5],
    ]);
    const { loss, grads } = lossAndGradients(new NTXentLoss(), ([e]) => [e!, i32([0, 0, 1])], [zero]);
    assert.ok([...loss.data, ...grads[0]!.data].every(Number.isFinite), `${loss.data} ${grads[0]!.data}`);
    assert.deepEqual(Array.from(new NTXentLoss().forward(f64([[1, 2]]), i32([0])).data), [0]);
  });

  test('bad labels, shapes and options are typed errors naming the loss and the argument', () => {
    const x = embeddings(5, [3, 2]);
    assert.throws(
      () => new NTXentLoss().forward(x, f64([0, 0.5, 1])),
      /NTXentLoss: labels at flat position 1 is 0.5/,
    );
    assert.throws(() => new NTXentLoss().forward(x, f64([0, Number.NaN, 1])), ValueError);
    assert.throws(() => new NTXentLoss().forward(x, i32([0, 1])), /NTXentLoss: labels shape \[2\]/);
    assert.throws(() => new NTXentLoss().forward(x.reshape([3, 2, 1]), i32([0, 1, 2])), ShapeError);
    assert.throws(() => new NTXentLoss({ temperature: 0 }), /temperature must be > 0 .*, got 0/);
    // A subnormal temperature overflowed every similarity / temperature, and the loss was NaN.
    assert.throws(
      () => new NTXentLoss({ temperature: 5e-324 }),
      /temperature must be > 0 and at least 1\.1\d*e-308/,
    );
    // The smallest accepted one keeps the loss finite (the true values are huge or 0, not NaN).
    const smallest = lossAndGradients(
      new NTXentLoss({ temperature: 2 / Number.MAX_VALUE }),
      ([e]) => [e!, i32([0, 0, 1])],
      [x],
    );
    assert.ok(
      Array.from(smallest.loss.data).every((v) => !Number.isNaN(v)),
      `${smallest.loss.data}`,
    );
    assert.ok(
      Array.from(smallest.grads[0]!.data).every((v) => !Number.isNaN(v)),
      `${smallest.grads[0]!.data}`,
    );
    assert.throws(
      () => new NTXentLoss({ temperature: null as never }),
      /temperature must be a finite number/,
    );
  });
});
