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
