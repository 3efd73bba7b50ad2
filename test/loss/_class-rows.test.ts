/** The runs of _class-rows.ts against a direct (outer, size, inner) index computation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allocateNormalizers,
  type ClassRows,
  classLayout,
  denseSoftmaxGradient,
  giveBackNormalizers,
  logProbabilityAt,
  logSoftmaxRows,
  Runs,
  takeNormalizers,
} from '../../src/loss/_class-rows.js';
import { CallMemory } from '../../src/loss/_call-memory.js';
import { crossEntropyTerm } from '../../src/kernels/dense-target.js';

/** The elements of every run as [k, r, j, log p]. */
function* elements(runs: Runs): Generator<[number, number, number, number]> {
  const { x, normalizers } = runs.rows;
  while (runs.next()) {
    for (let e = 0; e < runs.count; e++) {
      const k = runs.k + e;
      const r = runs.r + e * runs.step;
      yield [k, r, runs.j + e * runs.jStep, logProbabilityAt(x, normalizers, k, r)];
    }
  }
}

/** Logits of shape [2, 3, 4] (class axis 1: inner 4) or [2, 4, 3] (class axis last). */
function logits(count: number): Float64Array {
  return Float64Array.from({ length: count }, (_, k) => Math.sin(k * 1.7) * 3);
}

for (const [shape, axis] of [
  [[2, 3, 4], 1],
  [[2, 4, 3], 2],
] as const) {
  const layout = classLayout(shape, axis);
  const { outer, size, inner } = layout;
  const x = logits(outer * size * inner);
  const rowCount = outer * inner;
  const normalizers = allocateNormalizers(rowCount);
  logSoftmaxRows(x, layout, 0, rowCount, normalizers);
  const rowOf = (k: number) => Math.floor(k / (size * inner)) * inner + (k % inner);

  test(`runs by row over shape [${shape}] axis ${axis}: every element of a row block once, classes in order`, () => {
    for (const [begin, end] of [
      [0, rowCount],
      [1, rowCount - 2],
      [3, 6],
    ] as const) {
      const seen: number[] = [];
      const lastClass = new Map<number, number>();
      for (const [k, r, j, logProbability] of elements(
        new Runs({ x, layout, normalizers, begin, end }, true),
      )) {
        assert.equal(r, rowOf(k));
        assert.equal(j, r - begin);
        const c = Math.floor(k / inner) % size;
        assert.ok(c > (lastClass.get(r) ?? -1), 'classes of a row in order');
        lastClass.set(r, c);
        assert.equal(logProbability, x[k]! - normalizers.shift[r]! - normalizers.logSum[r]!);
        seen.push(k);
      }
      const expected = [...x.keys()].filter((k) => rowOf(k) >= begin && rowOf(k) < end);
      assert.deepEqual(
        seen.sort((a, b) => a - b),
        expected,
      );
    }
  });

  test(`runs by element over shape [${shape}] axis ${axis}: memory order with each element's row`, () => {
    const begin = 5;
    const end = x.length - 3;
    let next = begin;
    for (const [k, r, j, logProbability] of elements(
      new Runs({ x, layout, normalizers: null, begin, end }, false),
    )) {
      assert.equal(k, next++);
      assert.equal(r, rowOf(k));
      assert.equal(j, k - begin);
      assert.equal(logProbability, x[k]);
    }
    assert.equal(next, end);
  });

  test(`dense softmax gradient over shape [${shape}] axis ${axis}: p · Σ g z − g z per row`, () => {
    const z = Float64Array.from(x, (_, k) => (k % 3) / 2);
    const dLoss = Float64Array.from({ length: rowCount }, (_, r) => 1 + r / 4);
    const dPred = new Float64Array(x.length);
    const rows: ClassRows = { x, layout, normalizers, begin: 0, end: rowCount };
    denseSoftmaxGradient(rows, { z, labelIndex: null }, dLoss, dPred);
    for (let k = 0; k < x.length; k++) {
      const r = rowOf(k);
      let mass = 0;
      for (let q = 0; q < x.length; q++) if (rowOf(q) === r) mass += z[q]!;
      const p = Math.exp(x[k]! - normalizers.shift[r]! - normalizers.logSum[r]!);
      assert.ok(Math.abs(dPred[k]! - dLoss[r]! * (p * mass - z[k]!)) < 1e-12);
    }
  });
}

test('the cross-entropy term: −z · log p, a zero label on an impossible class is 0, NaN propagates', () => {
  assert.equal(crossEntropyTerm(0.5, Math.log(0.25)), -0.5 * Math.log(0.25));
  assert.equal(crossEntropyTerm(0, Number.NEGATIVE_INFINITY), 0);
  assert.ok(Number.isNaN(crossEntropyTerm(0, Number.NaN)));
  assert.equal(crossEntropyTerm(1, Number.NEGATIVE_INFINITY), Number.POSITIVE_INFINITY);
});

test('walks of empty blocks visit nothing', () => {
  const layout = classLayout([2, 3, 4], 1);
  const x = new Float64Array(24);
  for (const [begin, end] of [
    [0, 0],
    [5, 5],
  ] as const) {
    assert.equal(new Runs({ x, layout, normalizers: null, begin, end }, true).next(), false);
    assert.equal(new Runs({ x, layout, normalizers: null, begin, end }, false).next(), false);
  }
});

test('logSoftmaxRows writes the normalisers of the rows [begin, end) only, on either layout', () => {
  for (const [shape, axis] of [
    [[2, 3, 4], 1],
    [[2, 4, 3], 2],
  ] as const) {
    const layout = classLayout(shape, axis);
    const { outer, size, inner } = layout;
    const x = logits(outer * size * inner);
    const rows = outer * inner;
    const normalizers = allocateNormalizers(rows);
    normalizers.shift.fill(99);
    logSoftmaxRows(x, layout, 1, rows - 1, normalizers);
    assert.deepEqual([normalizers.shift[0], normalizers.shift[rows - 1]], [99, 99]);
    for (let r = 1; r < rows - 1; r++) {
      const o = Math.floor(r / inner);
      const row = Array.from({ length: size }, (_, c) => x[(o * size + c) * inner + (r % inner)]!);
      const maximum = Math.max(...row);
      const logSumExp = maximum + Math.log(row.reduce((total, v) => total + Math.exp(v - maximum), 0));
      assert.equal(normalizers.shift[r], maximum);
      assert.ok(Math.abs(normalizers.shift[r]! + normalizers.logSum[r]! - logSumExp) < 1e-12);
    }
  }
});

test("takeNormalizers: a live call's normalisers are never handed out; given back, they serve the next call of that size", () => {
  const memory = new CallMemory();
  const first = takeNormalizers(memory, 3);
  const second = takeNormalizers(memory, 3);
  assert.notEqual(first.shift.buffer, second.shift.buffer);
  assert.deepEqual([first.shift.length, first.logSum.length], [3, 3]);
  giveBackNormalizers(memory, first);
  giveBackNormalizers(memory, null);
  // Another size is another kind: it does not take them.
  assert.notEqual(takeNormalizers(memory, 4).shift.buffer, first.shift.buffer);
  assert.equal(takeNormalizers(memory, 3), first);
  assert.notEqual(takeNormalizers(memory, 3), first);
});
