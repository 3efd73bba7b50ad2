// SoftmaxCrossEntropyLoss with dense labels on its one-pass training path (the cross-entropy term
// of src/loss/_dense-target-one-pass.ts, shared with KLDivLoss): against the block path, the twin
// and finite differences, at extremes, in a graph with another loss, and the calls it declines.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { L2Loss } from '../../src/loss/l2.js';
import { SoftmaxCrossEntropyLoss, type SoftmaxCrossEntropyLossOptions } from '../../src/loss/softmax-ce.js';
import { array } from '../../src/ndarray/create.js';
import type { DType } from '../../src/ndarray/dtype.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator } from '../../src/ndarray/random.js';
import { assertFusedGradients, unevenHead } from './_closure-checks.js';
import { assertClose } from './_elementwise-checks.js';

after(() => setKernelBackend('auto'));

/** SoftmaxCrossEntropyLoss counting its one-pass calls, so a test knows which path ran. */
class Counted extends SoftmaxCrossEntropyLoss {
  onePassCalls = 0;
  protected override forwardGradient(call: Parameters<SoftmaxCrossEntropyLoss['forwardGradient']>[0]): void {
    this.onePassCalls++;
    super.forwardGradient(call);
  }
}

const dense = (options: SoftmaxCrossEntropyLossOptions = {}) =>
  new Counted({ sparseLabel: false, ...options });

function logitsOf(seed: number, shape: number[], dtype: DType, scale = 2): NDArray {
  return normal(0, scale, shape, { dtype, generator: new RandomGenerator(seed) });
}

/** Label distributions along the last axis. */
function targetsOf(seed: number, shape: number[], dtype: DType): NDArray {
  return logitsOf(seed, shape, 'float64', 1).softmax(-1).astype(dtype);
}

/**
 * A recorded call and pred's gradient under an uneven head: on the one-pass path (only pred
 * needs a gradient) or the block path (the label needs one too); asserts which path ran.
 */
function run(
  path: 'one-pass' | 'block',
  loss: Counted,
  pred: NDArray,
  label: NDArray,
  weight: NDArray | null,
) {
  const x = array(pred).attachGrad();
  const z = path === 'block' ? array(label).attachGrad() : label;
  const out = record(() => loss.forward(x, z, weight));
  out.backward(unevenHead(out.size).reshape(out.shape).astype(out.dtype));
  assert.equal(loss.onePassCalls, path === 'block' ? 0 : 1, `the ${path} path ran`);
  return { loss: out.data, gradient: x.grad!.data };
}

describe('SoftmaxCrossEntropyLoss dense labels, one-pass path', () => {
  for (const backend of ['wasm', 'js'] as const) {
    for (const dtype of ['float64', 'float32'] as const) {
      test(`equals the block path (${backend}, ${dtype}): shapes, weight, sampleWeight`, () => {
        setKernelBackend(backend);
        let seed = 1;
        // Rows per sample 1 and 3; rows across a 16384-element piece; a row longer than a piece.
        for (const shape of [
          [5, 7],
          [2, 3, 4],
          [6, 7, 1000],
          [2, 20000],
        ]) {
          for (const options of [{}, { weight: 0.5 }, { reduction: 'sum' as const }]) {
            const pred = logitsOf(seed++, shape, dtype);
            const label = targetsOf(seed++, shape, dtype);
            const weights = Array.from({ length: shape[0]! }, (_, n) => (n === 1 ? 0 : 0.5 + n));
            for (const weight of [null, array(weights, { dtype })]) {
              const fused = run('one-pass', dense(options), pred, label, weight);
              const block = run('block', dense(options), pred, label, weight);
              const rtol = dtype === 'float32' ? 2e-6 : 1e-12;
              const what = `${shape} ${JSON.stringify(options)} ${weight ? 'weighted' : ''}`;
              assertClose(fused.loss, block.loss, rtol, 0, `${what} loss`);
              const largest = Math.max(...Array.from(block.gradient, Math.abs));
              assertClose(fused.gradient, block.gradient, rtol, 4 * rtol * largest, `${what} gradient`);
            }
          }
        }
      });
    }
  }

  test('matches finite differences and the twin', () => {
    const pred = logitsOf(11, [3, 2, 5], 'float64');
    const label = targetsOf(12, [3, 2, 5], 'float64');
    assertFusedGradients(dense(), ([x]) => [x!, label], [pred]);
    assertFusedGradients(dense({ weight: 2 }), ([x, w]) => [x!, label, w!], [pred, array([1, 0.5, 2])]);
  });

  test('extremes: logits of ±1e30, a zero label on a −∞ logit, a NaN row alone, near-certain rows', () => {
    for (const backend of ['wasm', 'js'] as const) {
      setKernelBackend(backend);
      for (const dtype of ['float32', 'float64'] as const) {
        const pred = array(
          [
            [1e30, -1e30, 0],
            [0, Number.NEGATIVE_INFINITY, 1],
            [Number.NaN, 0, 1],
            [40, 0, 0],
          ],
          { dtype },
        );
        const label = array(
          [
            [0.5, 0.25, 0.25],
            [0.5, 0, 0.5],
            [1, 0, 0],
            [1, 0, 0],
          ],
          { dtype },
        );
        const fused = run('one-pass', dense(), pred, label, null);
        const where = `${backend} ${dtype}`;
        // Row 0: −Σ z log p = 0.25 · 2e30 + 0.25 · 1e30 (the first class is certain); per-sample
        // mean over the one ℓ element of a row. Row 1: the masked class contributes 0.
        const log1pE = Math.log1p(Math.E);
        assertClose(fused.loss.subarray(0, 2), [0.75e30, 0.5 * log1pE + 0.5 * (log1pE - 1)], 1e-6, 0, where);
        assert.ok(Number.isNaN(fused.loss[2]!), `${where}: the NaN row`);
        // Row 3: −log p_0 = log1p(2e−40), which float32 keeps (a subnormal-free 2e−40 relative).
        assertClose([fused.loss[3]!], [Math.log1p(2 * Math.exp(-40))], 1e-6, 0, `${where} near-certain`);
        const gradient = Array.from(fused.gradient);
        assert.ok(
          gradient.slice(0, 6).every(Number.isFinite) && gradient.slice(9).every(Number.isFinite),
          `${where}: finite gradients outside the NaN row`,
        );
        assert.ok(gradient.slice(6, 9).every(Number.isNaN), `${where}: NaN stays in its row`);
      }
    }
  });

  // [64, 100] float32: the one-pass gradient lives in the kernels' arena (4096 elements or more).
  for (const shape of [
    [4, 6],
    [64, 100],
  ])
    test(`in a graph with L2Loss on the same pred, ${shape.join('x')}: one backward sums both gradients`, () => {
      const pred = logitsOf(21, shape, 'float32');
      const label = targetsOf(22, shape, 'float32');
      const target = logitsOf(23, shape, 'float32');
      const cross = dense();
      const x = array(pred).attachGrad();
      record(() => cross.forward(x, label).add(new L2Loss().forward(x, target))).backward();
      assert.equal(cross.onePassCalls, 1);
      const alone = (loss: () => NDArray, variable: NDArray) => {
        record(loss).backward();
        return Array.from(variable.grad!.data);
      };
      const x1 = array(pred).attachGrad();
      const x2 = array(pred).attachGrad();
      const first = alone(() => dense().forward(x1, label), x1);
      const second = alone(() => new L2Loss().forward(x2, target), x2);
      assertClose(
        x.grad!.data,
        first.map((g, i) => g + second[i]!),
        1e-6,
        1e-7,
        'sum of the two gradients',
      );
    });

  test('declines options and layouts it does not cover: they take the block path', () => {
    const pred = logitsOf(31, [3, 4], 'float32');
    const label = targetsOf(32, [3, 4], 'float32');
    for (const options of [
      { labelSmoothing: 0.1 },
      { classWeight: [1, 2, 3, 4] },
      { fromLogits: true },
      { axis: 0 },
    ] as SoftmaxCrossEntropyLossOptions[]) {
      const loss = dense(options);
      const x = array(pred).attachGrad();
      record(() => loss.forward(x, label)).backward();
      assert.equal(loss.onePassCalls, 0, JSON.stringify(options));
    }
  });
});
