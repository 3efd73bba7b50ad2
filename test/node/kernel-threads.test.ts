// Opt-in kernel worker threads: a large binary cross-entropy call or matrix product split across
// threads gives exactly the single-thread results (each sample or product row is computed whole
// by one thread, same kernel).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { LogisticLoss } from '../../src/loss/logistic.js';
import { SigmoidBinaryCrossEntropyLoss } from '../../src/loss/sigmoid-bce.js';
import { SoftmaxCrossEntropyLoss, type SoftmaxCrossEntropyLossOptions } from '../../src/loss/softmax-ce.js';
import { array } from '../../src/ndarray/create.js';
import { kernelThreadsReady, useKernelThreads } from '../../src/node/kernel-threads.js';
import { kernelThreadPool, PARALLEL_MINIMUM } from '../../src/kernels/threads.js';
import { countingShares } from './_counting-shares.js';
import { dot } from '../../src/ops/linalg.js';
import { matmul } from '../../src/kernels/matmul.js';
import { sparseSoftmaxCrossEntropyGradientRows } from '../../src/kernels/softmax.js';

/** Loss values and the prediction's gradient of one recorded call. */
function step(loss: { forward(...x: NDArray[]): NDArray }, pred: NDArray, label: NDArray) {
  pred.attachGrad();
  const out = record(() => loss.forward(pred, label));
  out.backward();
  return { loss: Array.from(out.data), grad: Array.from(pred.grad!.data) };
}

describe('kernel worker threads', () => {
  after(() => useKernelThreads(1));

  test('split calls equal single-thread calls exactly (SigmoidBCE, Logistic, SoftmaxCE; uneven batches)', async () => {
    const generator = new RandomGenerator(3);
    // 601 samples: the shares are uneven; 601 · 512 elements is above the parallel minimum.
    const pred = normal(0, 3, [601, 512], { dtype: 'float32', generator });
    assert.ok(pred.size >= PARALLEL_MINIMUM);
    const binary = uniform(0, 1, [601, 512], { dtype: 'float32', generator });
    const signed = uniform(-1, 1, [601, 512], { dtype: 'float32', generator });
    for (let i = 0; i < binary.size; i++) {
      binary.data[i] = binary.data[i]! < 0.5 ? 0 : 1;
      signed.data[i] = signed.data[i]! < 0 ? -1 : 1;
    }
    // Sparse class indices for SoftmaxCE over the 512 classes of each row.
    const classes = array(
      Array.from({ length: 601 }, (_, i) => (i * 37) % 512),
      { dtype: 'int32' },
    );
    const cases = [
      { loss: new SigmoidBinaryCrossEntropyLoss(), label: binary },
      { loss: new LogisticLoss({ labelFormat: 'signed' }), label: signed },
      { loss: new SoftmaxCrossEntropyLoss(), label: classes },
    ];
    const single = cases.map(({ loss, label }) => step(loss, pred, label));
    useKernelThreads(3);
    assert.equal(await kernelThreadsReady(), true, 'the workers start');
    assert.equal(kernelThreadPool()?.ready, 2);
    cases.forEach(({ loss, label }, i) => {
      const split = step(loss, pred, label);
      assert.deepEqual(split.loss, single[i]!.loss, `${loss.name} loss`);
      assert.deepEqual(split.grad, single[i]!.grad, `${loss.name} gradient`);
    });
    useKernelThreads(1);
    assert.equal(kernelThreadPool(), null);
  });

  test('SoftmaxCE with options across threads: the single-thread bits, an infinite sampleWeight in a later share included', async () => {
    const generator = new RandomGenerator(4);
    const pred = normal(0, 2, [1025, 300], { dtype: 'float32', generator });
    assert.ok(pred.size >= PARALLEL_MINIMUM);
    const classes = array(
      Array.from({ length: 1025 }, (_, i) => (i % 11 === 7 ? -1 : (i * 37) % 300)),
      { dtype: 'int32' },
    );
    const weights = new Float32Array(1025).fill(1);
    weights[1020] = Number.POSITIVE_INFINITY; // a row of the last share
    const sampleWeight = array(weights);
    const classWeight = Array.from({ length: 300 }, (_, c) => 0.5 + (c % 3) * 0.25);
    // Class weights and ignored rows split across the threads; label smoothing's uniform part is
    // not carried by a share, so such a call runs on the calling thread alone.
    const cases = [
      { options: { classWeight, ignoreIndex: -1 }, splits: true },
      { options: { labelSmoothing: 0.1, classWeight, ignoreIndex: -1 }, splits: false },
    ];
    const run = (options: SoftmaxCrossEntropyLossOptions) => {
      // A loss object of its own each run: no working memory left by the other run.
      const loss = new SoftmaxCrossEntropyLoss(options);
      pred.attachGrad();
      const out = record(() => loss.forward(pred, classes, sampleWeight));
      out.backward();
      return { loss: Array.from(out.data), grad: Array.from(pred.grad!.data) };
    };
    const single = cases.map(({ options }) => run(options));
    useKernelThreads(2);
    assert.equal(await kernelThreadsReady(), true, 'the worker starts');
    const sharesOf = countingShares();
    const split = cases.map(({ options, splits }) => {
      const { result, shares } = sharesOf(() => run(options));
      assert.equal(shares > 0, splits, `${JSON.stringify(Object.keys(options))}: split ${shares}`);
      return result;
    });
    useKernelThreads(1);
    const row = (values: number[]) => values.slice(1020 * 300, 1021 * 300);
    cases.forEach((_, i) => {
      assert.deepEqual(split[i]!.loss, single[i]!.loss);
      assert.deepEqual(split[i]!.grad, single[i]!.grad);
      // The infinite row: −Infinity at the label, ±Infinity elsewhere by the sign of M·p − (ε/C)·w_c.
      assert.ok(
        row(split[i]!.grad).every((v) => v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY),
      );
      assert.equal(split[i]!.loss[1020], Number.POSITIVE_INFINITY);
    });
  });

  test("a split softmax call's normalisers: this thread's rows, NaN for the rows another thread took", async () => {
    const rows = 1025;
    const classes = 300;
    const generator = new RandomGenerator(6);
    const x = normal(0, 2, [rows, classes], { dtype: 'float32', generator }).data as Float32Array;
    const call = () => {
      const normalizers = { shift: new Float64Array(rows).fill(7), logSum: new Float64Array(rows).fill(7) };
      sparseSoftmaxCrossEntropyGradientRows({
        x,
        classes,
        labels: Int32Array.from({ length: rows }, (_, r) => r % classes),
        scales: new Float64Array(rows).fill(1),
        loss: new Float64Array(rows),
        out: new Float32Array(rows * classes),
        normalizers,
      });
      return normalizers;
    };
    const single = call();
    useKernelThreads(2);
    assert.equal(await kernelThreadsReady(), true, 'the worker starts');
    const split = call();
    useKernelThreads(1);
    const computed = split.logSum.findIndex((v) => Number.isNaN(v));
    assert.ok(computed > 0 && computed < rows, `the call was split (first NaN row ${computed})`);
    for (let r = 0; r < rows; r++) {
      if (r < computed)
        assert.deepEqual([split.shift[r], split.logSum[r]], [single.shift[r], single.logSum[r]]);
      else assert.ok(Number.isNaN(split.shift[r]!) && Number.isNaN(split.logSum[r]!), `row ${r}`);
    }
  });

  test('split calls at the extremes equal single-thread calls (NaN, ±Infinity, ±3.4e38 and subnormal inputs; weights 0, 0.3, ±Infinity, NaN)', async () => {
    const rows = 601;
    const columns = 512;
    const generator = new RandomGenerator(8);
    const pred = normal(0, 3, [rows, columns], { dtype: 'float32', generator });
    const binary = uniform(0, 1, [rows, columns], { dtype: 'float32', generator });
    for (let i = 0; i < binary.size; i++) binary.data[i] = binary.data[i]! < 0.5 ? 0 : 1;
    // Extremes in samples spread over every share (rows 0-600 split in two or three).
    const extremes = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3.4e38, -3.4e38, 1e-45];
    extremes.forEach((v, i) => {
      for (const row of [5 + i, 300 + i, 590 + i]) pred.data[row * columns + ((i * 97) % columns)] = v;
    });
    binary.data[400 * columns + 3] = 3.4e38; // a soft label at the top of float32 (BCE's slope)
    const weights = new Float32Array(rows).fill(1);
    for (const [row, w] of [
      [7, 0],
      [310, 0.3],
      [320, Number.POSITIVE_INFINITY],
      [595, Number.NaN],
      [597, Number.NEGATIVE_INFINITY],
    ] as const)
      weights[row] = w;
    const sampleWeight = array(weights);
    const classes = array(
      Array.from({ length: rows }, (_, i) => (i * 37) % columns),
      { dtype: 'int32' },
    );
    const makers: [string, () => { forward(...x: NDArray[]): NDArray }, NDArray][] = [
      ['SigmoidBCE', () => new SigmoidBinaryCrossEntropyLoss(), binary],
      ['Logistic', () => new LogisticLoss(), binary],
      ['SoftmaxCE', () => new SoftmaxCrossEntropyLoss(), classes],
    ];
    const run = (make: () => { forward(...x: NDArray[]): NDArray }, label: NDArray, weighted: boolean) => {
      // A loss object of its own each run: no working memory left by the other run.
      const loss = make();
      const x = pred.copy().attachGrad();
      const out = record(() => (weighted ? loss.forward(x, label, sampleWeight) : loss.forward(x, label)));
      out.backward();
      return { loss: Array.from(out.data), grad: Array.from(x.grad!.data) };
    };
    const cases = makers.flatMap(([name, make, label]) =>
      [false, true].map((weighted) => ({
        name: `${name}${weighted ? ', sampleWeight' : ''}`,
        make,
        label,
        weighted,
      })),
    );
    const single = cases.map(({ make, label, weighted }) => run(make, label, weighted));
    useKernelThreads(3);
    assert.equal(await kernelThreadsReady(), true, 'the workers start');
    const sharesOf = countingShares();
    const shares: number[] = [];
    const split = cases.map(({ make, label, weighted }) => {
      const counted = sharesOf(() => run(make, label, weighted));
      shares.push(counted.shares);
      return counted.result;
    });
    useKernelThreads(1);
    cases.forEach(({ name }, i) => {
      assert.ok(shares[i]! >= 2, `${name}: split (${shares[i]} shares)`);
      assert.deepEqual(split[i]!.loss, single[i]!.loss, `${name}: loss`);
      const at = split[i]!.grad.findIndex((v, k) => !Object.is(v, single[i]!.grad[k]));
      assert.equal(at, -1, `${name}: gradient[${at}] ${split[i]!.grad[at]} vs ${single[i]!.grad[at]}`);
    });
  });

  test('products split across worker threads equal single-thread products exactly (nd.dot, Dense)', async () => {
    const generator = new RandomGenerator(5);
    const a = normal(0, 1, [515, 512], { dtype: 'float32', generator });
    const b = normal(0, 1, [512, 509], { dtype: 'float32', generator });
    const x = normal(0, 1, [2049, 784], { dtype: 'float32', generator });
    const w = normal(0, 1, [64, 784], { dtype: 'float32', generator });
    const bias = normal(0, 1, [64], { dtype: 'float32', generator });
    // x · wᵀ + bias in float32 sums, as a Dense(784→64) forward computes it.
    const dense = () => {
      const out = new Float32Array(2049 * 64);
      matmul({
        a: x.data as Float32Array,
        b: w.data as Float32Array,
        bias: bias.data as Float32Array,
        out,
        rows: 2049,
        columns: 64,
        inner: 784,
        transposeB: true,
      });
      return { data: out };
    };
    const products = () => [dot(a, b), dot(a.astype('float64'), b), dense()];
    const single = products().map((p) => Array.from(p.data));
    useKernelThreads(2);
    assert.equal(await kernelThreadsReady(), true, 'the worker starts');
    const { result: split, shares } = countingShares()(() => products().map((p) => Array.from(p.data)));
    assert.ok(shares >= 3, `every product was split (${shares} shares)`);
    for (const [i, values] of split.entries()) assert.deepEqual(values, single[i], `product ${i}`);
    useKernelThreads(1);
  });

  test('threads must be a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => useKernelThreads(bad),
        (error: Error) => error instanceof ValueError && error.message.includes('useKernelThreads'),
      );
    }
  });
});
