// Softmax row kernels (normalisers, sparse cross-entropy, gradient, the one-pass kernel) on both
// backends against a float64 reference (_softmax-reference.ts), including NaN, ±Infinity, masked
// classes and huge logits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  setKernelBackend,
  softmaxGradientRows,
  softmaxRowNormalizers,
  softmaxRowNormalizersFloat64,
  sparseSoftmaxCrossEntropyGradientRows,
  sparseSoftmaxCrossEntropyRows,
} from '../../src/kernels/index.js';
import {
  sparseSoftmaxCrossEntropyGradientOfCheckedRows,
  sparseSoftmaxCrossEntropyGradientOfOneChunk,
} from '../../src/kernels/softmax.js';
import { firstMismatch } from './_ulp.js';
import { BACKENDS, randomCase, reference, run } from './_softmax-reference.js';

describe('softmax row kernels', () => {
  for (const backend of BACKENDS) {
    for (const [rows, classes] of [
      [7, 1],
      [9, 3],
      [33, 13],
      [64, 1000],
      [3, 20_000], // one row per chunk
    ] as const) {
      it(`${backend}: [${rows}, ${classes}] matches the float64 reference (rtol 1e-6)`, () => {
        setKernelBackend(backend);
        const { x, labels, scale } = randomCase(rows, classes, 8, rows * 31 + classes);
        const got = run(x, rows, classes, labels, scale);
        const want = reference(x, rows, classes, labels, [...scale]);
        const lossAt = firstMismatch(got.loss, want.loss, 1e-6, 1e-7);
        assert.equal(lossAt, -1, `loss[${lossAt}] ${got.loss[lossAt]} vs ${want.loss[lossAt]}`);
        const gradAt = firstMismatch(got.grad, want.grad, 1e-6, 1e-8);
        assert.equal(gradAt, -1, `grad[${gradAt}] ${got.grad[gradAt]} vs ${want.grad[gradAt]}`);
        // The normalisers alone, by the kernel and by the float64 reference: shift + logSum = lse.
        for (const normalizers of [softmaxRowNormalizers, softmaxRowNormalizersFloat64]) {
          const shift = new Float64Array(rows);
          const logSum = new Float64Array(rows);
          normalizers({ x, classes, shift, logSum });
          const lse = shift.map((s, r) => s + logSum[r]!);
          const at = firstMismatch(lse, want.lse, 1e-6, 1e-7);
          assert.equal(at, -1, `${normalizers.name}: lse[${at}] ${lse[at]} vs ${want.lse[at]}`);
        }
        // Each gradient row sums to s·(1 − 1) = 0.
        for (let r = 0; r < rows; r++) {
          let sum = 0;
          for (let c = 0; c < classes; c++) sum += got.grad[r * classes + c]!;
          assert.ok(Math.abs(sum) < 1e-5 * scale[r]!, `row ${r} sums to ${sum}`);
        }
      });
    }

    it(`${backend}: NaN rows, +Infinity rows, −Infinity masks, ties and huge logits`, () => {
      setKernelBackend(backend);
      const classes = 6;
      const I = Number.POSITIVE_INFINITY;
      const rowsData = [
        [1, 2, Number.NaN, 0, 0, 0], // NaN anywhere: loss and whole gradient row NaN
        [-I, 2, 1, -I, 0, 3], // masked classes: probability exactly 0, gradient 0
        [-I, -I, -I, -I, -I, -I], // nothing possible
        [I, 0, 0, 0, 0, 0], // +Infinity logit
        [5, 5, 5, 5, 1, 5], // ties at the maximum
        [1e30, 0, -1e30, 1e30 * 0.5, 3, 1e30], // huge logits
        [60, 0, 0, 0, 0, 0], // near-certain: the loss is 5e−26, not 0
        [0, 0, 0, 0, 0, 0],
      ];
      const rows = rowsData.length;
      const x = Float32Array.from(rowsData.flat());
      const labels = Int32Array.from([0, 5, 2, 1, 4, 0, 0, 3]);
      const scale = new Float64Array(rows).fill(1);
      const got = run(x, rows, classes, labels, scale);
      assert.ok(Number.isNaN(got.loss[0]!));
      for (let c = 0; c < classes; c++) assert.ok(Number.isNaN(got.grad[c]!), `NaN row gradient ${c}`);
      const lse1 = 3 + Math.log(Math.exp(2 - 3) + Math.exp(1 - 3) + 1 + Math.exp(-3));
      assert.ok(Math.abs(got.loss[1]! - (lse1 - 3)) < 1e-6);
      assert.equal(got.grad[classes + 0], 0);
      assert.equal(got.grad[classes + 3], 0);
      assert.ok(Number.isNaN(got.loss[2]!), 'a row of −Infinity has no probability to pick');
      assert.equal(got.loss[3], Number.POSITIVE_INFINITY, '+Infinity logit on another class: p(label) = 0');
      assert.ok(
        Math.abs(got.loss[4]! - (4 + Math.log(5 + Math.exp(-4)))) < 1e-6,
        'ties: lse = 5 + log(5 + e^−4)',
      );
      assert.ok(Math.abs(got.loss[5]! - Math.log(2)) < 1e-6, 'two classes share the huge maximum');
      assert.equal(got.grad[5 * classes + 0], -0.5);
      assert.equal(got.grad[5 * classes + 5], 0.5);
      assert.ok(Math.abs(got.loss[6]! / (5 * Math.exp(-60)) - 1) < 1e-6, `near-certain loss ${got.loss[6]}`);
      assert.ok(Math.abs(got.grad[6 * classes]! / (-5 * Math.exp(-60)) - 1) < 1e-6, 'p − 1 via expm1');
      assert.ok(Math.abs(got.loss[7]! - Math.log(6)) < 1e-6);
      // Rows whose maximum is not finite: shift 0 and the IEEE log Σ e^x, from both functions.
      for (const normalizers of [softmaxRowNormalizers, softmaxRowNormalizersFloat64]) {
        const shift = new Float64Array(rows).fill(7);
        const logSum = new Float64Array(rows);
        normalizers({ x, classes, shift, logSum });
        assert.deepEqual([shift[0], shift[2], shift[3]], [0, 0, 0], normalizers.name);
        assert.ok(Number.isNaN(logSum[0]!), normalizers.name);
        assert.deepEqual([logSum[2], logSum[3]], [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
        assert.deepEqual([shift[1], shift[4], shift[5]], [3, 5, Math.fround(1e30)], normalizers.name);
      }
    });

    it(`${backend}: views into larger arrays, a scalar scale, no labels, and float64 output`, () => {
      setKernelBackend(backend);
      const { x, labels } = randomCase(12, 5, 3, 7);
      const padded = new Float32Array(x.length + 10);
      padded.set(x, 10);
      const view = padded.subarray(10);
      const shift = new Float64Array(14);
      const logSum = new Float64Array(14);
      const normalizers = { shift: shift.subarray(2), logSum: logSum.subarray(2) };
      softmaxRowNormalizers({ x: view, classes: 5, ...normalizers });
      const out = new Float64Array(5 + 12 * 5);
      softmaxGradientRows({
        x: view,
        classes: 5,
        ...normalizers,
        scale: 2,
        labels: null,
        out: out.subarray(5),
      });
      const want = reference(x, 12, 5, labels, new Array(12).fill(2)).grad;
      // Without labels the one-hot term is absent: want + 2 at each label.
      for (let r = 0; r < 12; r++) want[r * 5 + labels[r]!]! += 2;
      const at = firstMismatch(out.subarray(5), want, 1e-6, 1e-8);
      assert.equal(at, -1, `grad[${at}]`);
      for (let r = 0; r < 12; r++) {
        let max = Number.NEGATIVE_INFINITY;
        for (let c = 0; c < 5; c++) max = Math.max(max, x[r * 5 + c]!);
        assert.equal(shift[2 + r], max, 'shift is the row maximum');
      }
    });
  }

  it('wasm and js agree within float32 tolerance on a large random batch', () => {
    const { x, labels, scale } = randomCase(256, 100, 20, 99);
    setKernelBackend('wasm');
    const a = run(x, 256, 100, labels, scale);
    setKernelBackend('js');
    const b = run(x, 256, 100, labels, scale);
    assert.equal(firstMismatch(a.loss, b.loss, 1e-6, 1e-7), -1);
    assert.equal(firstMismatch(a.grad, b.grad, 1e-5, 1e-7), -1);
    assert.equal(firstMismatch(a.logSum, b.logSum, 1e-6, 1e-9), -1);
    setKernelBackend('auto');
  });

  it('float64 logits keep float64 precision (they never go through float32)', () => {
    setKernelBackend('wasm');
    const x = Float64Array.from([0.1, 0.2, 0.3, 1e-9, 0.1 + 1e-12]);
    const shift = new Float64Array(1);
    const logSum = new Float64Array(1);
    const loss = new Float64Array(1);
    sparseSoftmaxCrossEntropyRows({ x, classes: 5, shift, logSum, labels: Int32Array.from([4]), loss });
    const want = reference(x, 1, 5, Int32Array.from([4]), [1]).loss[0]!;
    assert.ok(Math.abs(loss[0]! - want) < 1e-14);
    setKernelBackend('auto');
  });

  it('integer logits take the float64 formulas on both backends', () => {
    for (const backend of BACKENDS) {
      setKernelBackend(backend);
      const x = Int32Array.from([3, -2, 1, 7, 7, 0]);
      const shift = new Float64Array(2);
      const logSum = new Float64Array(2);
      softmaxRowNormalizers({ x, classes: 3, shift, logSum });
      const want = reference(x, 2, 3, new Int32Array(2), [1, 1]).lse;
      assert.deepEqual([...shift], [3, 7]);
      assert.ok(
        Math.abs(shift[0]! + logSum[0]! - want[0]!) < 1e-15 &&
          Math.abs(shift[1]! + logSum[1]! - want[1]!) < 1e-15,
      );
    }
    setKernelBackend('auto');
  });

  it('rejects labels outside [0, classes), overlapping output and views of the wrong length', () => {
    const x = new Float32Array(6);
    const stats = () => ({ shift: new Float64Array(2), logSum: new Float64Array(2) });
    const labels = Int32Array.from([0, 3]);
    assert.throws(
      () => sparseSoftmaxCrossEntropyRows({ x, classes: 3, ...stats(), labels, loss: new Float64Array(2) }),
      /labels\[1\] = 3 is not a class index in \[0, 3\)/,
    );
    const gradientOf = (x: Float32Array, out: Float32Array) => () =>
      softmaxGradientRows({ x, classes: 3, ...stats(), scale: 1, labels: null, out });
    assert.throws(gradientOf(x, x), /out must not overlap x/);
    // Two views of one buffer that share a float.
    const shifted = new Float32Array(new ArrayBuffer(40), 4, 6);
    assert.throws(gradientOf(shifted, new Float32Array(shifted.buffer, 0, 6)), /out must not overlap x/);
    assert.throws(
      () => softmaxRowNormalizers({ x: x.subarray(1), classes: 3, ...stats() }),
      /x must have 6 elements, got 5/,
    );
  });
});

describe('sparse softmax cross-entropy and gradient in one pass', () => {
  for (const backend of BACKENDS) {
    it(`${backend}: equals the two-call path (loss, then gradient), special rows included`, () => {
      setKernelBackend(backend);
      try {
        const I = Number.POSITIVE_INFINITY;
        const special = [
          [Number.NaN, 0, 1, 2, 3, 4],
          [2, 1, 3, 0, -I, -I],
          [-I, -I, -I, -I, -I, -I],
          [I, 0, 0, 0, 0, 0],
          [5, 5, 5, 5, 1, 5],
          [1e30, 0, -1e30, 1e30 * 0.5, 3, 1e30],
          [60, 0, 0, 0, 0, 0],
          [0, 0, 0, 0, 0, 0],
          // signed zeros at the maximum (either may be the shift)
          [-0, 0, -1, -0, 0, -3],
          [-0, -I, -I, -I, -I, -I],
        ];
        const cases = [
          {
            x: Float32Array.from(special.flat()),
            labels: Int32Array.from([0, 5, 2, 1, 4, 0, 0, 3, 3, 0]),
            classes: 6,
          },
          ...[
            [3, 1],
            [5, 7],
            [40, 1000],
            [2, 20000],
            [2, 16385],
            [2, 50000],
          ].map(([rows, classes]) => ({
            ...randomCase(rows!, classes!, 12, rows! + classes!),
            classes: classes!,
          })),
        ];
        for (const { x, labels, classes } of cases) {
          const rows = labels.length;
          const scale = Float64Array.from({ length: rows }, (_, r) => 0.5 + r / 7);
          const want = run(x, rows, classes, labels, scale);
          const loss = new Float64Array(rows);
          const grad = new Float32Array(rows * classes);
          sparseSoftmaxCrossEntropyGradientRows({ x, classes, labels, scales: scale, loss, out: grad });
          let at = firstMismatch(loss, want.loss, 1e-6, 1e-30);
          assert.equal(at, -1, `[${rows}, ${classes}] loss[${at}]: ${loss[at]} vs ${want.loss[at]}`);
          // A row longer than a kernel chunk (16384) takes each piece's exponentials relative to
          // the piece's own maximum, so x − shift rounds in float32 differently from the two-call
          // path's (up to 2^-20 relative each with |x − shift| < 32): both stay within 1.2e-6 of
          // float64, checked below.
          at = firstMismatch(grad, want.grad, classes > 16384 ? 2.5e-6 : 4e-7, 1e-30);
          assert.equal(at, -1, `[${rows}, ${classes}] gradient[${at}]: ${grad[at]} vs ${want.grad[at]}`);
          if (classes === 6) continue; // the special rows: the two-call path is their reference
          // The random rows against the float64 reference itself.
          const exact = reference(x, rows, classes, labels, [...scale]);
          at = firstMismatch(loss, exact.loss, 1e-6, 1e-7);
          assert.equal(at, -1, `[${rows}, ${classes}] loss[${at}]: ${loss[at]} vs ${exact.loss[at]}`);
          at = firstMismatch(grad, exact.grad, 1e-6, 1e-8);
          assert.equal(at, -1, `[${rows}, ${classes}] gradient[${at}]: ${grad[at]} vs ${exact.grad[at]}`);
        }
      } finally {
        setKernelBackend('auto');
      }
    });
  }

  for (const backend of BACKENDS) {
    it(`${backend}: an infinite scale gives the label entry −s (s · (p − 1) with p − 1 in (−1, 0)), not ∞ − ∞`, () => {
      setKernelBackend(backend);
      try {
        const I = Number.POSITIVE_INFINITY;
        // Row 0's label is not the maximum (the s · p − s branch); row 1's label is the only
        // maximum (the −s · rest / (1 + rest) branch); row 2 has a finite scale beside them.
        const x = Float32Array.from([3, 0.5, -1, 2, 4, 1, 0, -2, 1, 2, 3, 4]);
        const labels = Int32Array.from([1, 0, 2]);
        const loss = new Float64Array(3);
        const grad = new Float32Array(12);
        for (const sign of [1, -1]) {
          const scales = Float64Array.from([sign * I, sign * I, 0.5]);
          sparseSoftmaxCrossEntropyGradientRows({ x, classes: 4, labels, scales, loss, out: grad });
          assert.equal(grad[1], -sign * I, `row 0's label entry with scale ${sign * I}`);
          assert.equal(grad[4], -sign * I, `row 1's label entry with scale ${sign * I}`);
          // Every other entry of those rows is s · p with p > 0: ±∞ of the scale's sign.
          for (const k of [0, 2, 3, 5, 6, 7]) assert.equal(grad[k], sign * I, `entry ${k}`);
          const want = reference(x, 3, 4, labels, [1, 1, 0.5]);
          for (let k = 8; k < 12; k++) assert.ok(Math.abs(grad[k]! - want.grad[k]!) < 1e-7, `entry ${k}`);
        }
      } finally {
        setKernelBackend('auto');
      }
    });
  }

  for (const backend of BACKENDS) {
    it(`${backend}: the entry for checked arguments gives the checked kernel's bits, and refuses an overlapping out`, () => {
      setKernelBackend(backend);
      try {
        const I = Number.POSITIVE_INFINITY;
        const special = Float32Array.from([Number.NaN, 0, 1, 2, 3, -I, -I, 4, 0, 1, I, 0, 5, 5, 1, 5]);
        const cases = [
          { x: special, labels: Int32Array.from([0, 1, 2, 3]), classes: 4 },
          ...[
            [32, 10],
            [7, 3],
            [256, 10],
            [1638, 10],
            [1639, 10],
            [3, 20000],
          ].map(([rows, classes]) => ({
            ...randomCase(rows!, classes!, 12, rows! * classes!),
            classes: classes!,
          })),
          { ...randomCase(9, 6, 4, 5), x: Float64Array.from(randomCase(9, 6, 4, 5).x), classes: 6 },
        ];
        for (const { x, labels, classes } of cases) {
          const rows = labels.length;
          const scales = Float64Array.from({ length: rows }, (_, r) => 0.5 + r / 7);
          const outputs = [0, 1].map(() => ({
            loss: new Float64Array(rows),
            out:
              x instanceof Float64Array ? new Float64Array(rows * classes) : new Float32Array(rows * classes),
            normalizers: { shift: new Float64Array(rows), logSum: new Float64Array(rows) },
          }));
          sparseSoftmaxCrossEntropyGradientRows({ x, classes, labels, scales, ...outputs[0]! });
          sparseSoftmaxCrossEntropyGradientOfCheckedRows({ x, classes, labels, scales, ...outputs[1]! });
          const [want, got] = outputs as [(typeof outputs)[0], (typeof outputs)[0]];
          for (const [name, a, b] of [
            ['loss', got.loss, want.loss],
            ['gradient', got.out, want.out],
            ['shift', got.normalizers.shift, want.normalizers.shift],
            ['logSum', got.normalizers.logSum, want.normalizers.logSum],
          ] as const)
            assert.deepEqual(a, b, `[${rows}, ${classes}] ${name}`);
          // The one-chunk entry: float32 logits of one chunk with finite maxima on wasm, the same
          // bits; any other call (js, float64, a NaN or infinite row, a longer call) declined.
          const small = { loss: new Float64Array(rows).fill(7), out: got.out.slice().fill(7) };
          const taken = sparseSoftmaxCrossEntropyGradientOfOneChunk({ x, classes, labels, scales, ...small });
          const takes =
            backend === 'wasm' && x instanceof Float32Array && x !== special && rows * classes <= 16384;
          assert.equal(taken, takes, `[${rows}, ${classes}] one-chunk entry taken`);
          if (!taken) continue;
          assert.deepEqual(small.loss, want.loss, `[${rows}, ${classes}] one-chunk loss`);
          assert.deepEqual(small.out, want.out, `[${rows}, ${classes}] one-chunk gradient`);
        }
        const x = new Float32Array(12);
        const overlapping = {
          x: x.subarray(0, 6),
          classes: 3,
          labels: Int32Array.from([0, 1]),
          scales: Float64Array.from([1, 1]),
          loss: new Float64Array(2),
          out: x.subarray(4, 10),
        };
        for (const entry of [
          sparseSoftmaxCrossEntropyGradientOfCheckedRows,
          sparseSoftmaxCrossEntropyGradientOfOneChunk,
        ])
          assert.throws(() => entry(overlapping), /must not overlap x/, entry.name);
      } finally {
        setKernelBackend('auto');
      }
    });
  }

  it('rejects a label outside [0, classes) and a loss of the wrong length', () => {
    const x = new Float32Array(6);
    const scales = Float64Array.from([1, 1]);
    const out = new Float32Array(6);
    const args = { x, classes: 3, scales, out };
    assert.throws(
      () =>
        sparseSoftmaxCrossEntropyGradientRows({
          ...args,
          labels: Int32Array.from([0, 3]),
          loss: new Float64Array(2),
        }),
      /labels\[1\] = 3/,
    );
    assert.throws(
      () =>
        sparseSoftmaxCrossEntropyGradientRows({
          ...args,
          labels: Int32Array.from([0, 1]),
          loss: new Float64Array(1),
        }),
      /loss must have 2 elements, got 1/,
    );
  });
});
