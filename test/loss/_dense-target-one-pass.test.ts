// KLDivLoss's one-pass training path (src/loss/_dense-target-one-pass.ts) against its block path, the
// twin and finite differences. A recorded call where only pred needs a gradient takes the one-pass
// path; the same call with the label needing a gradient too (or not recorded) takes the block path.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { backward, grad, record } from '../../src/autograd/index.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import type { Loss } from '../../src/loss/_base/index.js';
import { KLDivLoss, type KLDivLossOptions } from '../../src/loss/kl-div.js';
import { L2Loss } from '../../src/loss/l2.js';
import { array } from '../../src/ndarray/create.js';
import type { DType } from '../../src/ndarray/dtype.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator } from '../../src/ndarray/random.js';
import { assertFusedGradients, unevenHead } from './_closure-checks.js';
import { assertClose, f64 } from './_elementwise-checks.js';

after(() => setKernelBackend('auto'));

/** KLDivLoss counting its one-pass calls, so a test knows which path ran. */
class CountingKLDiv extends KLDivLoss {
  onePassCalls = 0;
  protected override forwardGradient(call: Parameters<KLDivLoss['forwardGradient']>[0]): void {
    this.onePassCalls++;
    super.forwardGradient(call);
  }
}

function randomArray(seed: number, shape: number[], scale: number, dtype: DType): NDArray {
  return normal(0, scale, shape, { dtype, generator: new RandomGenerator(seed) });
}

/** A distribution along the last axis (softmax of random logits). */
function distribution(seed: number, shape: number[], dtype: DType): NDArray {
  return randomArray(seed, shape, 1, 'float64').softmax(-1).astype(dtype);
}

interface Outcome {
  readonly loss: NDArray;
  readonly gradient: NDArray;
}

/**
 * A recorded call and pred's gradient, on the one-pass path (only pred needs a gradient) or the
 * block path (the label needs one too); asserts which path ran.
 */
function runPath(
  path: 'one-pass' | 'block',
  options: KLDivLossOptions,
  pred: NDArray,
  label: NDArray,
  sampleWeight: NDArray | null = null,
  head?: NDArray,
): Outcome {
  const loss = new CountingKLDiv(options);
  const p = array(pred).attachGrad();
  const z = path === 'block' ? array(label).attachGrad() : label;
  const out = record(() => loss.forward(p, z, sampleWeight));
  backward(out, head ?? null);
  assert.equal(loss.onePassCalls, path === 'block' ? 0 : 1, `the ${path} path ran`);
  return { loss: out, gradient: p.grad! };
}

/** One-pass and block path agree: float64 to ~1e-13, float32 to float32 rounding of the largest entry. */
function assertSamePaths(
  options: KLDivLossOptions,
  pred: NDArray,
  label: NDArray,
  sampleWeight: NDArray | null = null,
  what = '',
): void {
  const shape = new KLDivLoss(options).forward(pred, label, sampleWeight).shape;
  const head = unevenHead(shape.reduce((a, b) => a * b, 1)).reshape(shape);
  const fused = runPath('one-pass', options, pred, label, sampleWeight, head);
  const block = runPath('block', options, pred, label, sampleWeight, head);
  const float32 = pred.dtype === 'float32';
  const largest = (values: NDArray) =>
    Math.max(0, ...Array.from(values.data, (v) => (Number.isFinite(v) ? Math.abs(v) : 0)));
  const rtol = float32 ? 1e-6 : 1e-12;
  const name = `${JSON.stringify(options)} ${pred.dtype} ${pred.shape} ${what}`;
  assert.deepEqual(fused.loss.shape, block.loss.shape);
  assertClose(fused.loss.data, block.loss.data, rtol, rtol * largest(block.loss), `${name} loss`);
  // The softmax kernels take float32 exponentials for float32 logits: entries are compared
  // against float32 rounding of the row's largest.
  assertClose(
    fused.gradient.data,
    block.gradient.data,
    rtol,
    4 * rtol * largest(block.gradient),
    `${name} gradient`,
  );
}

const OPTIONS: KLDivLossOptions[] = [
  {},
  { classReduction: 'sum' },
  { fromLogits: false },
  { fromLogits: false, classReduction: 'sum' },
  { fromLogits: false, weight: 0.5, reduction: 'sum' },
  { classReduction: 'sum', weight: 2, reduction: 'mean' },
  { fromLogits: false, classReduction: 'sum', reduction: 'mean' },
];

describe('KLDivLoss one-pass path', () => {
  for (const backend of ['wasm', 'js'] as const) {
    for (const dtype of ['float64', 'float32'] as const) {
      test(`equals the block path (${backend}, ${dtype}): options, shapes, sampleWeight`, () => {
        setKernelBackend(backend);
        let seed = 1;
        for (const options of OPTIONS) {
          // [samples, classes]; three rows per sample; rows that cross a 16384-element piece and
          // samples that span two pieces; one row longer than a piece.
          for (const shape of [
            [5, 7],
            [2, 3, 4],
            [6, 7, 1000],
            [2, 20000],
          ]) {
            const logits = randomArray(seed++, shape, 2, dtype);
            const pred = options.fromLogits === false ? logits : logits.logSoftmax(-1);
            const label = distribution(seed++, shape, dtype);
            assertSamePaths(options, pred, label, null, 'no sampleWeight');
            const weights = Array.from({ length: shape[0]! }, (_, n) => (n === 1 ? 0 : 0.5 + n));
            assertSamePaths(options, pred, label, array(weights, { dtype }), 'per-sample weights with a 0');
          }
          // Smoothed one-hot labels (runs of one repeated value, whose log the loops reuse), with a
          // NaN inside a run and a row of zeros.
          const classes = 9;
          const smoothed = Array.from({ length: 4 * classes }, (_, k): number =>
            k % classes === Math.floor(k / classes) ? 0.92 : 0.01,
          );
          smoothed[2 * classes + 5] = Number.NaN;
          smoothed.fill(0, 3 * classes);
          const logits = randomArray(seed++, [4, classes], 2, dtype);
          const pred = options.fromLogits === false ? logits : logits.logSoftmax(-1);
          assertSamePaths(
            options,
            pred,
            array(smoothed, { dtype }).reshape([4, classes]),
            null,
            'smoothed labels',
          );
        }
      });
    }
  }

  test('matches finite differences and the twin (gradients of pred only)', () => {
    const configurations: { options: KLDivLossOptions; pred: NDArray; label: NDArray; weight?: NDArray }[] = [
      {
        options: {},
        pred: distribution(31, [3, 4], 'float64').log(),
        label: distribution(32, [3, 4], 'float64'),
      },
      {
        options: { fromLogits: false },
        pred: randomArray(33, [3, 4], 1.5, 'float64'),
        label: distribution(34, [3, 4], 'float64'),
      },
      {
        options: { fromLogits: false, classReduction: 'sum', weight: 1.5 },
        pred: randomArray(35, [2, 3, 4], 1.5, 'float64'),
        label: distribution(36, [2, 3, 4], 'float64'),
        weight: f64([2, 0.5]),
      },
      {
        options: { classReduction: 'sum' },
        pred: distribution(37, [3, 5], 'float64').log(),
        label: distribution(38, [3, 5], 'float64'),
        weight: f64([[1], [0], [3]]),
      },
      // A label that is not a distribution (Σ z ≠ 1): the softmax part is scaled by Σ z.
      {
        options: { fromLogits: false },
        pred: randomArray(39, [3, 4], 1.5, 'float64'),
        label: f64([
          [0.5, 0.2, 0.9, 0],
          [0, 0, 0, 0],
          [2, 0.1, 0.1, 0.1],
        ]),
      },
    ];
    for (const { options, pred, label, weight } of configurations) {
      const loss = new CountingKLDiv(options);
      assertFusedGradients(loss, ([p]) => [p!, label, weight ?? null], [pred]);
      assert.ok(loss.onePassCalls > 0, `${JSON.stringify(options)}: the one-pass hook ran`);
    }
  });

  test('the value against the closed form Σ z · log(z / p) and the unrecorded forward', () => {
    const pred = randomArray(41, [4, 6], 2, 'float64');
    const label = distribution(42, [4, 6], 'float64');
    const logP = pred.logSoftmax(-1);
    const expected = [0, 1, 2, 3].map((n) => {
      let total = 0;
      for (let c = 0; c < 6; c++) {
        const z = label.data[n * 6 + c]!;
        total += z * (Math.log(z + 1e-12) - logP.data[n * 6 + c]!);
      }
      return total;
    });
    const options = { fromLogits: false, classReduction: 'sum' } as const;
    assertClose(runPath('one-pass', options, pred, label).loss.data, expected, 1e-13, 0, 'one-pass');
    assertClose(new KLDivLoss(options).forward(pred, label).data, expected, 1e-13, 0, 'unrecorded');
    // ∂/∂x = p · Σz − z per row (Σz = 1 here).
    const gradient = runPath('one-pass', options, pred, label).gradient.data;
    assertClose(
      gradient,
      Array.from(logP.data, (l, k) => Math.exp(l) - label.data[k]!),
      1e-13,
      1e-15,
      'p − z',
    );
  });

  for (const dtype of ['float64', 'float32'] as const) {
    test(`zero labels, impossible classes, huge logits and NaN (${dtype})`, () => {
      const inf = Number.POSITIVE_INFINITY;
      const labels = array(
        [
          [0.5, 0.5, 0, 0],
          [0, 1, 0, 0],
          [0.25, 0.25, 0.5, 0],
          [0.1, 0.2, 0.3, 0.4],
          [0, 0, 0, 0],
          [0.5, Number.NaN, 0.5, 0],
        ],
        { dtype },
      );
      // fromLogits: log p = −∞ beside a zero label is a mask, +∞ too; NaN propagates to its sample.
      const logProbabilities = array(
        [
          [Math.log(0.5), Math.log(0.5), -inf, -inf],
          [-inf, 0, -inf, inf],
          [-1, -2, -0.5, Number.NaN],
          [-1, -2, -3, -4],
          [-1, -inf, Number.NaN, inf],
          [-1, -1, -1, -1],
        ],
        { dtype },
      );
      const fused = runPath('one-pass', { classReduction: 'sum' }, logProbabilities, labels);
      const block = runPath('block', { classReduction: 'sum' }, logProbabilities, labels);
      assertClose(fused.loss.data, block.loss.data, 1e-7, 0, 'fromLogits loss');
      assertClose(fused.gradient.data, block.gradient.data, 0, 0, 'fromLogits gradient');
      // Σ z · (log(z + ε) − log p) over the labelled classes only.
      const logHalf = logProbabilities.data[0]!;
      const masked = [Math.log(0.5 + 1e-12) - logHalf, Math.log(1 + 1e-12)];
      assertClose(
        fused.loss.data.subarray(0, 2),
        masked,
        dtype === 'float32' ? 1e-6 : 1e-12,
        0,
        'masked rows',
      );
      assert.ok(
        Number.isNaN(fused.loss.data[2]!) && Number.isNaN(fused.loss.data[4]!),
        'NaN log p, zero label',
      );
      assert.ok(Number.isNaN(fused.loss.data[5]!), 'NaN label');
      // Through the log-softmax: −∞ and huge logits, a NaN logit makes its whole row NaN.
      const logits = array(
        [
          [1e30, -1e30, -inf, -inf],
          [-inf, 3, -inf, -inf],
          [88, -88, 1e4, Number.NaN],
          [1, 2, 3, 4],
          [-inf, -inf, -inf, -inf],
          [1, 1, 1, 1],
        ],
        { dtype },
      );
      for (const options of [{ fromLogits: false }, { fromLogits: false, classReduction: 'sum' as const }]) {
        const one = runPath('one-pass', options, logits, labels);
        const other = runPath('block', options, logits, labels);
        assertClose(one.loss.data, other.loss.data, 1e-6, 0, `${JSON.stringify(options)} loss`);
        assertClose(
          one.gradient.data,
          other.gradient.data,
          1e-6,
          1e-7,
          `${JSON.stringify(options)} gradient`,
        );
        assert.ok(
          Array.from(one.gradient.data.subarray(0, 8)).every(Number.isFinite),
          'rows of huge and −∞ logits keep finite gradients',
        );
        assert.ok(Number.isNaN(one.gradient.data[8]!), 'a NaN logit makes its row NaN');
      }
    });
  }

  test('a training step reports the KL an evaluation does, even where the model fits its targets (KL ≈ 1e-9)', () => {
    // float32 logits and a label the softmax of nearly the same logits: each row's KL is ~1e-9, a
    // small difference of terms of size ~7 that float32 exponentials in the normalisers would
    // shift by ~1e-7 (an error of 100x); both paths use float64 normalisers and logarithms.
    for (const backend of ['wasm', 'js'] as const) {
      setKernelBackend(backend);
      const logits = randomArray(41, [8, 1000], 2, 'float32');
      const noise = randomArray(42, [8, 1000], 1e-4, 'float64');
      const label = logits.astype('float64').add(noise).softmax(-1).astype('float32');
      const loss = new CountingKLDiv({ fromLogits: false, classReduction: 'sum' });
      const evaluation = loss.forward(logits, label);
      const x = logits.copy().attachGrad();
      const training = record(() => loss.forward(x, label));
      assert.equal(loss.onePassCalls, 1, backend);
      assert.ok(
        evaluation.data.every((v) => Math.abs(v) < 1e-7),
        `${backend}: KL ${evaluation.data}`,
      );
      assertClose(training.data, evaluation.data, 1e-6, 1e-16, `${backend}: recorded against unrecorded`);
    }
  });

  test('an infinite or NaN sampleWeight weighs each element as the block path does', () => {
    const pred = randomArray(51, [3, 4], 2, 'float64');
    const label = f64([
      [0.5, 0.5, 0, 0],
      [0.25, 0.25, 0.25, 0.25],
      [0, 1, 0, 0],
    ]);
    const weights = f64([Number.POSITIVE_INFINITY, 1, Number.NaN]);
    for (const options of [{ fromLogits: false }, { classReduction: 'sum' as const }]) {
      const fused = runPath('one-pass', options, pred, label, weights);
      const block = runPath('block', options, pred, label, weights);
      assertClose(fused.loss.data, block.loss.data, 1e-13, 0, `${JSON.stringify(options)} loss`);
    }
  });

  test('in a graph with another loss on the same pred: one backward sums both gradients', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const logits = randomArray(61, [4, 5], 1.5, dtype);
      const label = distribution(62, [4, 5], dtype);
      const target = randomArray(63, [4, 5], 1, dtype);
      const run = (labelNeedsGradient: boolean) => {
        const kl = new CountingKLDiv({ fromLogits: false });
        const p = array(logits).attachGrad();
        const z = labelNeedsGradient ? array(label).attachGrad() : label;
        const total = record(() => kl.forward(p, z).add(new L2Loss().forward(p, target).mul(0.5)).sum());
        backward(total);
        return { calls: kl.onePassCalls, loss: total.data[0]!, gradient: p.grad! };
      };
      const fused = run(false);
      const block = run(true);
      assert.equal(fused.calls, 1);
      assert.equal(block.calls, 0);
      const rtol = dtype === 'float32' ? 1e-6 : 1e-13;
      assertClose([fused.loss], [block.loss], rtol, 0, `${dtype} loss`);
      assertClose(fused.gradient.data, block.gradient.data, rtol, rtol, `${dtype} gradient`);
    }
  });

  test('the calls it declines take the block path: broadcast label, logTarget, class axis not last', () => {
    const pred = randomArray(71, [3, 4], 1, 'float64');
    const cases: [KLDivLossOptions, NDArray, NDArray][] = [
      [{ fromLogits: false }, pred, distribution(72, [1, 4], 'float64')],
      [{ logTarget: true }, pred.logSoftmax(-1), distribution(73, [3, 4], 'float64').log()],
      [{ fromLogits: false, axis: 0 }, pred, distribution(74, [3, 4], 'float64')],
      // The class axis is the batch axis: a softmax row holds several samples.
      [{ fromLogits: false }, randomArray(77, [6], 1, 'float64'), distribution(78, [6], 'float64')],
      // Samples along axis 1: each sample's elements are strided in pred.
      [{ batchAxis: 1 }, pred.logSoftmax(-1), distribution(79, [3, 4], 'float64')],
      [
        { classReduction: 'sum', axis: 0, batchAxis: 1 },
        pred.logSoftmax(0),
        distribution(80, [4, 3], 'float64').transpose(),
      ],
    ];
    for (const [options, p, z] of cases) {
      const loss = new CountingKLDiv(options);
      const variable = array(p).attachGrad();
      const out = record(() => loss.forward(variable, z));
      const [g] = grad(out, [variable]);
      assert.equal(loss.onePassCalls, 0, JSON.stringify(options));
      // The same numbers as the unrecorded forward and the twin's gradient.
      assertClose(
        out.data,
        new KLDivLoss(options).forward(p, z).data,
        1e-14,
        0,
        `${JSON.stringify(options)} loss`,
      );
      const twinVariable = array(p).attachGrad();
      const [twin] = grad(
        record(() => new KLDivLoss(options).reference(twinVariable, z)),
        [twinVariable],
      );
      assertClose(g!.data, twin!.data, 1e-12, 1e-14, `${JSON.stringify(options)} gradient`);
    }
    // fromLogits with the class axis elsewhere: the terms are elementwise, so it still fuses.
    const loss = new CountingKLDiv({ classReduction: 'sum', axis: 1 });
    const variable = array(randomArray(75, [2, 3, 4], 1, 'float64').logSoftmax(1)).attachGrad();
    backward(record(() => loss.forward(variable, distribution(76, [2, 3, 4], 'float64'))));
    assert.equal(loss.onePassCalls, 1);
  });

  test('an empty class axis (classReduction "sum"): zeros and an empty gradient, as the block path', () => {
    for (const options of [
      { fromLogits: false, classReduction: 'sum' as const },
      { classReduction: 'sum' as const },
    ]) {
      for (const shape of [
        [3, 0],
        [3, 2, 0],
      ]) {
        const fused = runPath(
          'one-pass',
          options,
          array(new Float64Array(0)).reshape(shape),
          array(new Float64Array(0)).reshape(shape),
        );
        assert.deepEqual(Array.from(fused.loss.data), [0, 0, 0], `${JSON.stringify(options)} ${shape}`);
        assert.deepEqual(fused.gradient.shape, shape);
      }
    }
  });

  test('the loss object reuses its scratch and holds nothing between calls (same results twice)', () => {
    const loss: Loss = new KLDivLoss({ fromLogits: false });
    const pred = randomArray(81, [6, 7, 1000], 2, 'float32');
    const label = distribution(82, [6, 7, 1000], 'float32');
    const step = () => {
      const p = array(pred).attachGrad();
      const out = record(() => loss.forward(p, label));
      backward(out);
      return [Array.from(out.data), Array.from(p.grad!.data)];
    };
    assert.deepEqual(step(), step());
  });
});
