// ℓ's layout, directly: blocks never straddle samples when samples are contiguous, every element
// knows its sample, and sampleWeight offsets follow each broadcast pattern the base accepts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addSampleTotals,
  alignSampleWeight,
  BLOCK_SIZE,
  batchLayout,
  blocks,
  sampleIndices,
  WeightReader,
} from '../../../src/loss/_base/layout.js';
import type { Prepared } from '../../../src/loss/_base/loss.js';
import { array, zeros } from '../../../src/ndarray/create.js';
import { ShapeError } from '../../../src/ndarray/errors.js';

/** A Prepared describing only ℓ's shape and batch axis (all the layout reads). */
function lossOf(lossShape: number[], batchAxis = 0): Prepared {
  return { arrays: [zeros(lossShape)], sources: [0], lossShape, batchAxis };
}

/** The sample of every element of ℓ, by brute force over its multi-index. */
function samplesByIndex(shape: number[], batchAxis: number): number[] {
  const out: number[] = [];
  const total = shape.reduce((a, b) => a * b, 1);
  for (let k = 0; k < total; k++) {
    let rest = k;
    const index = shape.map(() => 0);
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis] = rest % shape[axis]!;
      rest = Math.floor(rest / shape[axis]!);
    }
    out.push(index[batchAxis]!);
  }
  return out;
}

describe('loss layout', () => {
  test('blocks cover ℓ once, in order; with contiguous samples they never straddle two', () => {
    for (const [shape, axis] of [
      [[3, 5000], 0],
      [[700, 3], 0],
      [[4, 3, 2], 1],
      [[5000], 0],
    ] as [number[], number][]) {
      const layout = batchLayout(lossOf(shape, axis));
      const total = shape.reduce((a, b) => a * b, 1);
      let next = 0;
      const expected = samplesByIndex(shape, axis);
      for (const [begin, end, sample] of blocks(total, layout)) {
        assert.equal(begin, next, 'blocks are consecutive');
        assert.ok(end > begin && end - begin <= BLOCK_SIZE);
        if (sample >= 0) {
          for (let k = begin; k < end; k++)
            assert.equal(expected[k], sample, `element ${k} is in sample ${sample}`);
        }
        const indices = new Int32Array(end - begin);
        sampleIndices(begin, end - begin, layout, indices);
        assert.deepEqual(
          Array.from(indices),
          expected.slice(begin, end),
          `sampleIndices ${shape} axis ${axis}`,
        );
        next = end;
      }
      assert.equal(next, total);
    }
  });

  test('addSampleTotals: the Σ ℓ · w of each sample, every layout and weight pattern (integers: exact in any order)', () => {
    for (const [shape, axis, weightShape] of [
      [[3, 5000], 0, null],
      [[3, 5000], 0, [3]],
      [[700, 3], 0, [700, 3]],
      [[4, 3, 2], 1, [1, 3, 1]],
      [[4, 3, 2], 1, null],
      [[2, 9000], 1, [2, 1]],
    ] as [number[], number, number[] | null][]) {
      const prepared = lossOf(shape, axis);
      const layout = batchLayout(prepared);
      const total = shape.reduce((a, b) => a * b, 1);
      const loss = Float64Array.from({ length: total }, (_, k) => (k % 7) - 3);
      const weight =
        weightShape &&
        array(
          Array.from({ length: weightShape.reduce((a, b) => a * b, 1) }, (_, k) => (k % 5) + 1),
          { dtype: 'float64' },
        ).reshape(weightShape);
      const weights =
        weight && new WeightReader(weight, alignSampleWeight('Test', weight, prepared), prepared);
      const expected = new Float64Array(layout.batch);
      const offsets = new Int32Array(total);
      weights?.offsets(0, total, offsets);
      samplesByIndex(shape, axis).forEach((sample, k) => {
        expected[sample]! += loss[k]! * (weights ? weights.values[offsets[k]!]! : 1);
      });
      const blockLength = Math.min(total, BLOCK_SIZE);
      const totals = new Float64Array(layout.batch);
      let calls = 0;
      addSampleTotals({
        total,
        layout,
        forward: (begin, end, out) => {
          calls++;
          out.set(loss.subarray(begin, end));
        },
        weights,
        totals,
        block: new Float64Array(blockLength),
        samples: new Int32Array(blockLength),
        offsets: new Int32Array(blockLength),
      });
      assert.deepEqual(
        Array.from(totals),
        Array.from(expected),
        `${shape} axis ${axis} weight ${weightShape}`,
      );
      assert.equal(calls, [...blocks(total, layout)].length, 'one forward call per block');
      // One weight per sample given without offsets (gloss-ml/kernels' block runner): read at each
      // element's sample, the same totals.
      if (weight && weights?.perSample) {
        const bySample = new Float64Array(layout.batch);
        addSampleTotals({
          total,
          layout,
          forward: (begin, end, out) => out.set(loss.subarray(begin, end)),
          weights: { values: weight.data },
          totals: bySample,
          block: new Float64Array(blockLength),
          samples: new Int32Array(blockLength),
          // Left zero: an implementation that read it would weigh every element by values[0].
          offsets: new Int32Array(blockLength),
        });
        assert.deepEqual(Array.from(bySample), Array.from(expected), `${shape} per-sample weights by sample`);
      }
    }
  });

  test('sampleWeight offsets: one per sample, one per element, a scalar, and a broadcast row', () => {
    const prepared = lossOf([3, 4]);
    const offsetsOf = (weightShape: number[]) => {
      const weight = zeros(weightShape);
      const reader = new WeightReader(weight, alignSampleWeight('Test', weight, prepared), prepared);
      const out = new Int32Array(12);
      reader.offsets(0, 12, out);
      return { perSample: reader.perSample, offsets: Array.from(out) };
    };
    assert.deepEqual(offsetsOf([3]), { perSample: true, offsets: [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2] });
    assert.deepEqual(offsetsOf([3, 1]), { perSample: true, offsets: [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2] });
    assert.deepEqual(offsetsOf([1]), { perSample: true, offsets: new Array(12).fill(0) });
    assert.deepEqual(
      offsetsOf([3, 4]).offsets,
      Array.from({ length: 12 }, (_, k) => k),
    );
    assert.deepEqual(offsetsOf([4]).offsets, [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
    assert.equal(offsetsOf([4]).perSample, false);
  });

  test('a 1-D weight of batch length lies along the batch axis, even when that is not axis 0', () => {
    const prepared = lossOf([2, 3], 1);
    const weight = array([10, 20, 30]);
    assert.deepEqual(alignSampleWeight('Test', weight, prepared), [1, 3]);
    const reader = new WeightReader(weight, [1, 3], prepared);
    assert.equal(reader.perSample, true);
    assert.deepEqual(
      [0, 1, 2].map((s) => reader.ofSample(s)),
      [10, 20, 30],
    );
  });

  test('a weight that would enlarge ℓ is a ShapeError naming the loss and both shapes', () => {
    assert.throws(
      () => alignSampleWeight('TestLoss', zeros([3, 5]), lossOf([3, 4])),
      (error: Error) =>
        error instanceof ShapeError &&
        /TestLoss/.test(error.message) &&
        /\[3,5\]/.test(error.message) &&
        /\[3,4\]/.test(error.message),
    );
  });
});
