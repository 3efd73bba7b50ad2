/**
 * The one-pass path of SoftmaxCrossEntropyLoss's PyTorch options (src/loss/_softmax-one-pass-targets.ts),
 * called directly: the same loss and gradient as the block functions of _softmax-targets.ts (on
 * both kernel backends, ignored rows included), and its working memory taken from the CallMemory
 * it is given and handed back when it returns, so a second call allocates nothing.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setKernelBackend } from '../../src/kernels/index.js';
import { allocateNormalizers, IGNORED_ROW, logSoftmaxRows } from '../../src/loss/_class-rows.js';
import { CallMemory } from '../../src/loss/_call-memory.js';
import { onePassScratchKind, sparseTargetsOnePass } from '../../src/loss/_softmax-one-pass-targets.js';
import {
  type SparseTargets,
  softmaxTargets,
  sparseTargetGradient,
  sparseTargetLosses,
  totalWeight,
} from '../../src/loss/_softmax-targets.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import { countAllocations } from '../typed/_allocations.js';

const ROWS = 6;
const CLASSES = 5;

/** Seeded logits, labels (row 2 ignored with an ignoreIndex), and the options' targets. */
function inputs(options: { labelSmoothing?: number; classWeight?: number[]; ignoreIndex?: number }) {
  const generator = new RandomGenerator(31);
  const x = new Float64Array(ROWS * CLASSES);
  for (let k = 0; k < x.length; k++) x[k] = 4 * generator.nextDouble() - 2;
  const labels = Int32Array.from([0, 4, options.ignoreIndex === undefined ? 1 : IGNORED_ROW, 2, 1, 3]);
  const targets = softmaxTargets('test', options, true);
  const sparse: SparseTargets = { targets, labels, ignored: IGNORED_ROW };
  return { x, sparse, total: totalWeight(targets, CLASSES) };
}

/** The block functions' loss and gradient (float64, from the row normalisers), scaled per row. */
function blockPath(x: Float64Array, sparse: SparseTargets, total: number, rowScales: Float64Array) {
  const layout = { outer: ROWS, size: CLASSES, inner: 1 };
  const normalizers = allocateNormalizers(ROWS);
  logSoftmaxRows(x, layout, 0, ROWS, normalizers);
  const rows = { x, layout, normalizers, begin: 0, end: ROWS };
  const loss = new Float64Array(ROWS);
  sparseTargetLosses(rows, sparse, loss);
  const gradient = new Float64Array(x.length);
  sparseTargetGradient(rows, sparse, total, rowScales, gradient);
  return { loss, gradient };
}

const OPTIONS = [
  { name: 'labelSmoothing', options: { labelSmoothing: 0.2 } },
  { name: 'classWeight and ignoreIndex', options: { classWeight: [1, 0.5, 2, 0, 1.5], ignoreIndex: -7 } },
  {
    name: 'all three',
    options: { labelSmoothing: 0.1, classWeight: [1, 0.5, 2, 0, 1.5], ignoreIndex: -7 },
  },
];

for (const backend of ['wasm', 'js'] as const) {
  describe(`sparseTargetsOnePass (${backend} kernels)`, () => {
    after(() => setKernelBackend('auto'));
    for (const { name, options } of OPTIONS) {
      test(`${name}: the block functions' loss and gradient; memory back to the CallMemory`, () => {
        setKernelBackend(backend);
        const { x, sparse, total } = inputs(options);
        const rowScales = Float64Array.from([1, 0.5, 2, 1, 0, 1.25]);
        const expected = blockPath(x, sparse, total, rowScales);
        const memory = new CallMemory();
        const loss = new Float64Array(ROWS);
        const out = new Float64Array(x.length);
        const normalizers = allocateNormalizers(ROWS);
        const call = () =>
          sparseTargetsOnePass({
            memory,
            x,
            classes: CLASSES,
            sparse,
            total,
            rowScales,
            loss,
            out,
            normalizers,
          });
        call();
        for (let r = 0; r < ROWS; r++) {
          assert.ok(
            Math.abs(loss[r]! - expected.loss[r]!) <= 1e-13 * (1 + Math.abs(expected.loss[r]!)),
            `loss ${r}`,
          );
        }
        for (let k = 0; k < out.length; k++) {
          assert.ok(
            Math.abs(out[k]! - expected.gradient[k]!) <= 1e-13,
            `gradient ${k}: ${out[k]} vs ${expected.gradient[k]}`,
          );
        }
        if (options.ignoreIndex !== undefined) {
          assert.equal(loss[2], 0, 'the ignored row');
          assert.deepEqual(Array.from(out.subarray(2 * CLASSES, 3 * CLASSES)), [0, 0, 0, 0, 0]);
        }
        assert.equal(memory.freeCount(onePassScratchKind(ROWS, CLASSES)), 1, 'the scratch is given back');
        const first = Array.from(out);
        out.fill(Number.NaN);
        assert.equal(countAllocations(call), 0, 'a second call reuses it');
        assert.deepEqual(Array.from(out), first, 'and computes the same (nothing carried over)');
      });
    }
  });
}

// The fuzz test's GLOSS_FUZZ_CASE=SoftmaxCrossEntropyLoss:117302860: the label's logit lies far
// below the others and its class weighs 0.0208 of W = 1.95, so S = W · nll + Σ_c w_c (x_y − x_c)
// cancels 94-fold and lost ~45 ulps (2.4045285110896384e36 for 2.4045285110896505e36).
for (const backend of ['wasm', 'js'] as const) {
  test(`sparseTargetsOnePass (${backend} kernels): a row whose smoothing sum cancels is summed from its normalisers`, () => {
    setKernelBackend(backend);
    try {
      for (const Type of [Float64Array, Float32Array]) {
        const classWeight = [1.2562411430855835, 0.671695856616187, 0.02080041964610424];
        const targets = softmaxTargets('test', { labelSmoothing: 0.99, classWeight }, true);
        const total = totalWeight(targets, 3);
        const x = Type.from([2.0027501030136934, -88.8, -3.4e38, 1, 2, 3]);
        const labels = Int32Array.from([2, 2]);
        const sparse: SparseTargets = { targets, labels, ignored: IGNORED_ROW };
        const loss = new Float64Array(2);
        const out = new Type(6);
        sparseTargetsOnePass({
          memory: new CallMemory(),
          x,
          classes: 3,
          sparse,
          total,
          rowScales: Float64Array.from([1, 1]),
          loss,
          out,
          normalizers: allocateNormalizers(2),
        });
        // The block functions sum non-negative terms: within a few ulps of the truth. (The float32
        // kernel's nll carries its float32 exponentials' rounding, ~2⁻²³ of the row's log-sum-exp.)
        const tolerance = Type === Float32Array && backend === 'wasm' ? 2 ** -20 : 8 * 2 ** -53;
        const layout = { outer: 2, size: 3, inner: 1 };
        const normalizers = allocateNormalizers(2);
        logSoftmaxRows(x, layout, 0, 2, normalizers);
        const expected = new Float64Array(2);
        sparseTargetLosses({ x, layout, normalizers, begin: 0, end: 2 }, sparse, expected);
        for (let r = 0; r < 2; r++)
          assert.ok(
            Math.abs(loss[r]! - expected[r]!) <= tolerance * expected[r]!,
            `${Type.name} row ${r}: ${loss[r]} vs ${expected[r]}`,
          );
      }
    } finally {
      setKernelBackend('auto');
    }
  });
}

// The label's gradient entry is s · (M · p_y − t_y · w_y). The kernel writes s · M · (p_y − 1)
// and the options add s · (ε / C) · W, whose sum cancels where t_y · w_y ≪ M: with w_y = 0 and
// p_y ~ 1e-8 the float32 result was off by 70% (C = 20000) and of the wrong sign. It must be as
// accurate as the float64 block functions, rounded once.
for (const backend of ['wasm', 'js'] as const) {
  test(`sparseTargetsOnePass (${backend} kernels): the label's entry where its class weighs little`, () => {
    setKernelBackend(backend);
    try {
      for (const classes of [10, 1000, 20000]) {
        const rows = 4;
        const generator = new RandomGenerator(classes);
        const x = Float32Array.from({ length: rows * classes }, () => 6 * generator.nextDouble() - 3);
        // Labels on classes of weight 0 and 1e-6, and a label whose logit is the largest.
        const classWeight = Array.from({ length: classes }, (_, c) => (c % 7) / 3);
        classWeight[1] = 1e-6;
        const labels = Int32Array.from([0, 7 % classes, 1, classes - 1]);
        x[3 * classes + classes - 1] = 9;
        const targets = softmaxTargets('test', { labelSmoothing: 0.2, classWeight }, true);
        const total = totalWeight(targets, classes);
        const sparse: SparseTargets = { targets, labels, ignored: IGNORED_ROW };
        const rowScales = Float64Array.from([1, 0.5, 2, 1]);
        const out = new Float32Array(rows * classes);
        sparseTargetsOnePass({
          memory: new CallMemory(),
          x,
          classes,
          sparse,
          total,
          rowScales,
          loss: new Float64Array(rows),
          out,
          normalizers: allocateNormalizers(rows),
        });
        const layout = { outer: rows, size: classes, inner: 1 };
        const normalizers = allocateNormalizers(rows);
        logSoftmaxRows(x, layout, 0, rows, normalizers);
        const expected = new Float64Array(rows * classes);
        sparseTargetGradient(
          { x, layout, normalizers, begin: 0, end: rows },
          sparse,
          total,
          rowScales,
          expected,
        );
        for (let r = 0; r < rows; r++) {
          const k = r * classes + labels[r]!;
          // The float32 kernel's p carries its float32 exponentials' rounding (a few 2⁻²⁴).
          assert.ok(
            Math.abs(out[k]! - expected[k]!) <= 2 ** -20 * Math.abs(expected[k]!),
            `C = ${classes}, row ${r}: label entry ${out[k]} vs ${expected[k]}`,
          );
        }
      }
    } finally {
      setKernelBackend('auto');
    }
  });
}
