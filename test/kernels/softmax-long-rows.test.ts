// Softmax kernels on rows longer than a kernel chunk (16,384 classes): pieces with the online
// max/sum recurrence, on both backends, against the float64 reference.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setKernelBackend, sparseSoftmaxCrossEntropyGradientRows } from '../../src/kernels/index.js';
import { allocateRegion, regionView, releaseRegion } from '../../src/kernels/arena.js';
import { firstMismatch } from './_ulp.js';
import { BACKENDS, randomCase, reference, run } from './_softmax-reference.js';

describe('rows longer than a kernel chunk (16384 classes)', () => {
  /** The float64 reference in the one-pass call's form: loss and gradient (label entries included). */
  function check(x: Float32Array, classes: number, labels: Int32Array, what: string, rtol = 1e-6) {
    const rows = labels.length;
    const scale = Float64Array.from({ length: rows }, (_, r) => 0.5 + r / 3);
    const loss = new Float64Array(rows);
    const grad = new Float32Array(rows * classes);
    sparseSoftmaxCrossEntropyGradientRows({ x, classes, labels, scales: scale, loss, out: grad });
    const want = reference(x, rows, classes, labels, [...scale]);
    let at = firstMismatch(loss, want.loss, 1e-6, 1e-7);
    assert.equal(at, -1, `${what}: loss[${at}] ${loss[at]} vs ${want.loss[at]}`);
    at = firstMismatch(grad, want.grad, rtol, 1e-8);
    assert.equal(at, -1, `${what}: gradient[${at}] ${grad[at]} vs ${want.grad[at]}`);
    // The two-call path (normalisers, then the gradient, in pieces of a chunk) agrees too.
    const two = run(x, rows, classes, labels, scale);
    at = firstMismatch(two.loss, want.loss, 1e-6, 1e-7);
    assert.equal(at, -1, `${what}: two-call loss[${at}] ${two.loss[at]} vs ${want.loss[at]}`);
    at = firstMismatch(two.grad, want.grad, rtol, 1e-8);
    assert.equal(at, -1, `${what}: two-call gradient[${at}] ${two.grad[at]} vs ${want.grad[at]}`);
    return { loss, grad };
  }

  for (const backend of BACKENDS) {
    for (const [rows, classes] of [
      [2, 16385],
      [3, 40000],
      [2, 131072],
    ] as const) {
      it(`${backend}: [${rows}, ${classes}] one pass matches the float64 reference`, () => {
        setKernelBackend(backend);
        try {
          const { x, labels } = randomCase(rows, classes, 8, rows * 7 + classes);
          check(x, classes, labels, `[${rows}, ${classes}]`);
        } finally {
          setKernelBackend('auto');
        }
      });
    }

    it(`${backend}: the maximum in a late piece rescales the earlier pieces; near-certain rows keep their digits`, () => {
      setKernelBackend(backend);
      try {
        const classes = 40000;
        const { x, labels } = randomCase(3, classes, 4, 99);
        x[classes - 3] = 30; // row 0: the maximum in the last piece, the label elsewhere
        x[classes + 5] = 40; // row 1: the maximum in the first piece, and the label
        labels[1] = 5;
        x[2 * classes + 20000] = 9; // row 2: the maximum in the middle piece, the label
        x[2 * classes + 36000] = 9; // tied with one in the last piece
        labels[2] = 20000;
        const { loss, grad } = check(x, classes, labels, 'late maximum');
        // Row 1's loss is log1p(Σ e^{x − 40}) ≈ 40000·e^{-36}: a tiny loss kept to its digits.
        assert.ok(loss[1]! > 0 && loss[1]! < 1e-10, `near-certain loss ${loss[1]}`);
        assert.ok(grad[classes + 5]! < 0, 'the label entry is −s·(1 − p), not 0');
      } finally {
        setKernelBackend('auto');
      }
    });

    it(`${backend}: NaN, +Infinity and −Infinity in long rows`, () => {
      setKernelBackend(backend);
      try {
        const classes = 20000;
        const I = Number.POSITIVE_INFINITY;
        const { x, labels } = randomCase(5, classes, 4, 5);
        x[19000] = Number.NaN; // row 0: NaN in the second piece
        x[classes + 100] = I; // row 1: +Infinity in the first piece
        x.fill(-I, 2 * classes, 2 * classes + 16384); // row 2: a first piece of −Infinity
        labels[2] = 17000;
        x.fill(-I, 3 * classes, 4 * classes); // row 3: all −Infinity
        x.fill(-I, 4 * classes + 16384, 5 * classes); // row 4: a last piece of −Infinity
        labels[4] = 3;
        const rows = labels.length;
        const scale = new Float64Array(rows).fill(1);
        const loss = new Float64Array(rows);
        const grad = new Float32Array(rows * classes).fill(7); // stale values must not survive
        sparseSoftmaxCrossEntropyGradientRows({ x, classes, labels, scales: scale, loss, out: grad });
        const want = reference(x, rows, classes, labels, [...scale]);
        const two = run(x, rows, classes, labels, scale);
        for (let r = 0; r < rows; r++) {
          const row = (a: Float32Array) => a.subarray(r * classes, (r + 1) * classes);
          let at = firstMismatch(row(grad), row(two.grad), 1e-6, 1e-8);
          assert.equal(at, -1, `row ${r}: gradient[${at}] ${row(grad)[at]} vs two-call ${row(two.grad)[at]}`);
          assert.ok(
            Object.is(loss[r], two.loss[r]) || Math.abs(loss[r]! - two.loss[r]!) <= 1e-6 * Math.abs(loss[r]!),
          );
          if (r === 2 || r === 4) {
            at = firstMismatch(
              row(grad),
              Float32Array.from(want.grad.subarray(r * classes, (r + 1) * classes)),
              1e-6,
              1e-8,
            );
            assert.equal(at, -1, `row ${r} against float64: gradient[${at}]`);
            assert.ok(Math.abs(loss[r]! - want.loss[r]!) <= 1e-6 * want.loss[r]!);
          }
        }
        assert.ok(Number.isNaN(loss[0]!) && Number.isNaN(grad[5]!), 'a NaN row is NaN');
        assert.ok(row0Zero(grad, 2 * classes, 16384), 'a piece of −Infinity has probability 0');
        assert.ok(row0Zero(grad, 4 * classes + 16384, classes - 16384), 'a last piece of −Infinity too');
      } finally {
        setKernelBackend('auto');
      }
    });
  }

  it('wasm: writes a gradient that lives in an arena region in place, and nothing past it', () => {
    setKernelBackend('wasm');
    const owner = {};
    for (const [rows, classes] of [
      [9, 1001],
      [2, 16387],
    ] as const) {
      const region = allocateRegion(rows * classes + 8, owner)!;
      try {
        const view = regionView(region);
        view.fill(3);
        const out = view.subarray(4, 4 + rows * classes);
        const { x, labels } = randomCase(rows, classes, 8, classes);
        const scales = Float64Array.from({ length: rows }, () => 0.75);
        const loss = new Float64Array(rows);
        sparseSoftmaxCrossEntropyGradientRows({ x, classes, labels, scales, loss, out });
        const want = reference(x, rows, classes, labels, [...scales]);
        const at = firstMismatch(out, want.grad, 1e-6, 1e-8);
        assert.equal(
          at,
          -1,
          `[${rows}, ${classes}] in place: gradient[${at}] ${out[at]} vs ${want.grad[at]}`,
        );
        assert.deepEqual([...view.subarray(0, 4)], [3, 3, 3, 3], 'nothing before the gradient');
        assert.deepEqual([...view.subarray(4 + rows * classes)], [3, 3, 3, 3], 'nothing after it');
      } finally {
        releaseRegion(region);
        setKernelBackend('auto');
      }
    }
  });
});

function row0Zero(values: Float32Array, start: number, count: number): boolean {
  for (let k = start; k < start + count; k++) if (values[k] !== 0) return false;
  return true;
}
