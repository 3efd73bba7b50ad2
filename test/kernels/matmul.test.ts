// The float32 matrix product on both backends, every transposition, against a float64 reference.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fusedMultiplyAdd, matmul, setKernelBackend, useFusedMultiplyAdd } from '../../src/kernels/index.js';
import { ValueError } from '../../src/ndarray/errors.js';
import { KERNELS_RELAXED_WASM_BASE64 } from '../../src/kernels/kernels-relaxed.generated.js';
import { wasmScratch } from '../../src/kernels/runtime.js';
import { uniforms } from './_ulp.js';

function random(count: number, seed: number): Float32Array {
  const next = uniforms(seed);
  return Float32Array.from({ length: count }, () => next() * 2 - 1);
}

/** op(A)·op(B) in float64, indexing the stored layouts directly. */
function reference(
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  ta: boolean,
  tb: boolean,
) {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++)
        sum += (ta ? a[p * m + i]! : a[i * k + p]!) * (tb ? b[j * k + p]! : b[p * n + j]!);
      out[i * n + j] = sum;
    }
  }
  return out;
}

describe('matmul', () => {
  for (const backend of ['wasm', 'js'] as const) {
    for (const [m, n, k] of [
      [1, 1, 1],
      [3, 5, 7],
      [4, 8, 256],
      [37, 19, 300], // crosses the 256-wide inner block, ragged rows and columns
      [9, 300, 5], // crosses the 256-wide column block
      [8, 16, 6], // whole row panels with a ragged inner tail; B and the product need no padding
    ] as const) {
      for (const [ta, tb] of [
        [false, false],
        [false, true],
        [true, false],
        [true, true],
      ] as const) {
        it(`${backend}: [${m}×${k}]·[${k}×${n}]${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`, () => {
          setKernelBackend(backend);
          const a = random(m * k, m * 7 + k);
          const b = random(k * n, n * 13 + k);
          const out = new Float32Array(m * n + 2).fill(99);
          const view = out.subarray(1, 1 + m * n);
          matmul({ a, b, out: view, rows: m, columns: n, inner: k, transposeA: ta, transposeB: tb });
          assert.equal(out[0], 99, 'nothing before the view is written');
          assert.equal(out[m * n + 1], 99, 'nothing after the product is written');
          const want = reference(a, b, m, n, k, ta, tb);
          // Float32 sums of k products of numbers in [−1, 1]: error ≲ k · 2^−24 · (typical size).
          const tolerance = 4e-7 * k;
          for (let i = 0; i < m * n; i++) {
            assert.ok(Math.abs(out[1 + i]! - want[i]!) <= tolerance, `out[${i}] ${out[1 + i]} vs ${want[i]}`);
          }
        });
      }
    }
  }

  // The tiling's edges on the wasm backend: the 4 × 8 (float32; 5 × 8 for a transposed A of 5, 9,
  // 10 or 13–15 rows) and 4 × 4 (float64) tiles with
  // ragged rows and columns; A read in place (row-major) or packed (transposed, and the ragged last
  // rows); B packed, or read in place when at most 16 rows read it (its ragged last panel packed);
  // an inner dimension over 1024 split into pieces that add into the product; several row and
  // column blocks.
  const edgeShapes = [
    [1, 1, 1],
    [1, 17, 3],
    [3, 3, 3],
    [7, 15, 40], // B in place, its ragged last panel 7 (float32) or 3 (float64) wide
    [17, 1, 255],
    [16, 17, 1023], // B in place (16 rows), ragged columns
    [17, 255, 17], // B packed (17 rows), ragged rows and columns
    [5, 9, 2049], // three pieces over k, the last one shorter
    [255, 17, 300],
    [1023, 9, 64], // A in place, ragged last rows
    [33, 1023, 255], // B packed, many panels
    [41, 300, 2048], // two pieces over k, two row blocks (32 + 8 rows at k = 1024), ragged rows
    [6, 500, 1100], // B in place, copied in 5 pieces over k (512 KiB each), plus its ragged panel
    [10, 784, 700], // a Dense(784→10) weight gradient: B in place, copied in 4 pieces over k
    [13, 20, 33], // transposed A: 5-row tiles read in place, the last one ragged (3 rows)
    [15, 8, 1], // transposed A: three whole 5-row tiles
  ] as const;
  for (const precision of ['float32', 'float64'] as const) {
    for (const [m, n, k] of edgeShapes) {
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        it(`wasm ${precision}: [${m}×${k}]·[${k}×${n}]${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''} against float64`, () => {
          setKernelBackend('wasm');
          const a = random(m * k, m * 31 + k);
          const b = random(k * n, n * 17 + k);
          const want = reference(a, b, m, n, k, ta, tb);
          const transposeA = ta;
          const transposeB = tb;
          if (precision === 'float32') {
            const out = new Float32Array(m * n + 2).fill(99);
            const view = out.subarray(1, 1 + m * n);
            matmul({ a, b, out: view, rows: m, columns: n, inner: k, transposeA, transposeB });
            assert.equal(out[0], 99);
            assert.equal(out[m * n + 1], 99);
            // Float32 sums of k products in [−1, 1]: |error| ≤ k · 2^−24 · Σ|a·b| ≤ k² · 2^−24; the
            // tolerance 4e-7 · k is the bound for typical (random-sign) sums with room to spare.
            const tolerance = 4e-7 * k;
            for (let i = 0; i < m * n; i++) {
              const got = out[1 + i]!;
              if (!(Math.abs(got - want[i]!) <= tolerance)) assert.fail(`out[${i}] ${got} vs ${want[i]}`);
            }
          } else {
            // A float64 product of float64 operands (and one of float32 operands, widened).
            const a64 = Float64Array.from(a);
            const out = new Float64Array(m * n);
            matmul({ a: a64, b, out, rows: m, columns: n, inner: k, transposeA, transposeB });
            for (let i = 0; i < m * n; i++) {
              const scale = Math.max(1e-300, Math.abs(want[i]!), 1);
              if (!(Math.abs(out[i]! - want[i]!) <= 1e-12 * scale))
                assert.fail(`out[${i}] ${out[i]} vs ${want[i]}`);
            }
          }
          setKernelBackend('auto');
        });
      }
    }
  }

  // float32 operands and result, float64 sums (nd.dot): operands widened and the product rounded
  // in wasm, counts with tails after the 4-wide (widening) and 2-wide (rounding) steps.
  for (const [m, n, k] of [
    [3, 5, 7],
    [37, 19, 301],
    [33, 130, 255],
  ] as const) {
    it(`wasm: [${m}×${k}]·[${k}×${n}] float32 with float64 accumulation: the float64 sum rounded once`, () => {
      setKernelBackend('wasm');
      const a = random(m * k, m + 5 * k);
      const b = random(k * n, n + 3 * k);
      const out = new Float32Array(m * n);
      matmul({ a, b, out, rows: m, columns: n, inner: k, accumulation: 'float64' });
      const want = reference(a, b, m, n, k, false, false);
      for (let i = 0; i < m * n; i++) {
        // within float64 rounding of the exact sum, then one float32 rounding: ≤ 1 float32 ulp
        const ulp = 2 ** (Math.floor(Math.log2(Math.abs(want[i]!) || 2 ** -149)) - 23);
        if (!(Math.abs(out[i]! - want[i]!) <= ulp)) assert.fail(`out[${i}] ${out[i]} vs ${want[i]}`);
      }
      setKernelBackend('auto');
    });
  }

  it('float64 accumulation of float32 operands rounds once: 1e8 + 1 − 1e8 = 1', () => {
    setKernelBackend('wasm');
    const a = Float32Array.from([1e8, 1, -1e8]);
    const b = Float32Array.from([1, 1, 1]);
    const out = new Float32Array(1);
    matmul({ a, b, out, rows: 1, columns: 1, inner: 3, accumulation: 'float64' });
    assert.equal(out[0], 1);
    matmul({ a, b, out, rows: 1, columns: 1, inner: 3 });
    assert.equal(out[0], 0, 'float32 accumulation loses the 1, like a float32 BLAS');
    setKernelBackend('auto');
  });

  it('arrays on one buffer: out may sit beside an operand, not over it', () => {
    setKernelBackend('wasm');
    const buffer = new ArrayBuffer(4 * 12);
    const a = new Float32Array(buffer, 0, 4);
    const out = new Float32Array(buffer, 16, 4);
    a.set([1, 2, 3, 4]);
    matmul({ a, b: Float32Array.from([1, 0, 0, 1]), out, rows: 2, columns: 2, inner: 2 });
    assert.deepEqual([...out], [1, 2, 3, 4]);
    const overlapping = new Float32Array(buffer, 8, 4);
    assert.throws(
      () =>
        matmul({ a, b: Float32Array.from([1, 0, 0, 1]), out: overlapping, rows: 2, columns: 2, inner: 2 }),
      /out must not overlap a or b/,
    );
    setKernelBackend('auto');
  });

  it('views into larger arrays, an empty inner dimension, and empty products', () => {
    setKernelBackend('wasm');
    const a = random(3 + 6, 1);
    const b = random(2 + 6, 2);
    const out = new Float32Array(4);
    matmul({ a: a.subarray(3), b: b.subarray(2), out, rows: 2, columns: 2, inner: 3 });
    const want = reference(a.subarray(3), b.subarray(2), 2, 2, 3, false, false);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(out[i]! - want[i]!) < 1e-6);
    out.fill(5);
    const empty = new Float32Array(0);
    matmul({ a: empty, b: empty, out, rows: 2, columns: 2, inner: 0 });
    assert.deepEqual([...out], [0, 0, 0, 0], 'a sum over nothing is 0');
    matmul({ a: empty, b: b.subarray(2), out: empty, rows: 0, columns: 2, inner: 3 }); // no rows: nothing to do
    setKernelBackend('auto');
  });

  it('NaN and Infinity propagate like float32 arithmetic', () => {
    setKernelBackend('wasm');
    const a = Float32Array.from([1, Number.NaN, 0, 1]); // [[1, NaN], [0, 1]]
    const b = Float32Array.from([1, 2, 3, Number.POSITIVE_INFINITY]);
    const out = new Float32Array(4);
    matmul({ a, b, out, rows: 2, columns: 2, inner: 2 });
    assert.ok(Number.isNaN(out[0]!) && Number.isNaN(out[1]!));
    assert.equal(out[2], 3);
    assert.equal(out[3], Number.POSITIVE_INFINITY);
    setKernelBackend('auto');
  });

  it('the fused (relaxed-SIMD) products load exactly where asked for and the engine validates them', () => {
    const bytes = Uint8Array.from(atob(KERNELS_RELAXED_WASM_BASE64), (c) => c.charCodeAt(0));
    const fused = wasmScratch()?.fused ?? null;
    assert.equal(fused !== null, process.env.GLOSS_RELAXED_SIMD === '1' && WebAssembly.validate(bytes));
    // matmul-fused.test.ts runs this file again with relaxed SIMD switched on
    if (process.env.GLOSS_EXPECT_FUSED === '1')
      assert.ok(fused, 'relaxed SIMD is on: the fused products run');
  });

  it('useFusedMultiplyAdd switches the products where the engine has relaxed SIMD, and back to the same bits', () => {
    const bytes = Uint8Array.from(atob(KERNELS_RELAXED_WASM_BASE64), (c) => c.charCodeAt(0));
    const available = WebAssembly.validate(bytes);
    const initially = fusedMultiplyAdd();
    const [m, n, k] = [33, 50, 40];
    const next = uniforms(11);
    const a = Float32Array.from({ length: m * k }, () => next() * 2 - 1);
    const b = Float32Array.from({ length: k * n }, () => next() * 2 - 1);
    const product = () => {
      const out = new Float32Array(m * n);
      matmul({ a, b, out, rows: m, columns: n, inner: k });
      return out;
    };
    try {
      assert.throws(() => useFusedMultiplyAdd('yes' as unknown as boolean), ValueError);
      assert.equal(useFusedMultiplyAdd(false), false);
      const plain = product();
      assert.equal(
        useFusedMultiplyAdd(true),
        available,
        'on exactly where the engine validates relaxed SIMD',
      );
      assert.equal(fusedMultiplyAdd(), available);
      const fused = product();
      if (!available) assert.deepEqual(fused, plain, 'nothing changes without relaxed SIMD');
      else {
        // One rounding per step instead of two: some sums move by an ulp, all stay within float32's error.
        assert.ok(
          fused.some((v, i) => v !== plain[i]),
          'the fused products ran',
        );
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let want = 0;
            let size = 0;
            for (let q = 0; q < k; q++) {
              want += a[i * k + q]! * b[q * n + j]!;
              size += Math.abs(a[i * k + q]! * b[q * n + j]!);
            }
            assert.ok(Math.abs(fused[i * n + j]! - want) <= k * 2 ** -23 * size, `[${i}, ${j}]`);
          }
      }
      assert.equal(useFusedMultiplyAdd(false), false);
      assert.deepEqual(product(), plain, 'back to the plain bits');
    } finally {
      useFusedMultiplyAdd(initially);
    }
  });

  it('A row-major or transposed: the same bits (strided and packed panels run the same sums in the same order)', () => {
    // 38 rows (a ragged panel), inner 1100 (two pieces over k, a tail of 4 k), 40 columns.
    const [m, n, k] = [38, 40, 1100];
    const next = uniforms(12);
    const a = Float32Array.from({ length: m * k }, () => next() * 2 - 1);
    const b = Float32Array.from({ length: k * n }, () => next() * 2 - 1);
    const aT = new Float32Array(m * k);
    for (let i = 0; i < m; i++) for (let q = 0; q < k; q++) aT[q * m + i] = a[i * k + q]!;
    const rowMajor = new Float32Array(m * n);
    const transposed = new Float32Array(m * n);
    matmul({ a, b, out: rowMajor, rows: m, columns: n, inner: k });
    matmul({ a: aT, b, out: transposed, rows: m, columns: n, inner: k, transposeA: true });
    assert.deepEqual(transposed, rowMajor);
  });

  // A bias added to every row: in the row-dot kernel (float32 x · Wᵀ, ≤ 16 columns, odd and even
  // counts), after the tiles, after the float64 sums, on the js backend, and for inner = 0.
  for (const backend of ['wasm', 'js'] as const) {
    for (const [m, n, k, tb, accumulation] of [
      [7, 9, 33, true, 'float32'],
      [4, 10, 784, true, 'float32'],
      [6, 40, 20, true, 'float32'],
      [9, 12, 17, false, 'float32'],
      [5, 3, 11, true, 'float64'],
      [3, 4, 0, true, 'float32'],
    ] as const) {
      it(`${backend}: [${m}×${k}]·[${k}×${n}]${tb ? 'ᵀ' : ''} + bias, ${accumulation} sums`, () => {
        setKernelBackend(backend);
        const a = random(m * k, m * 3 + k);
        const b = random(k * n, n * 7 + k);
        const bias = random(n, n + 1);
        const out = new Float32Array(m * n);
        matmul({ a, b, out, bias, rows: m, columns: n, inner: k, transposeB: tb, accumulation });
        const want = reference(a, b, m, n, k, false, tb);
        for (let i = 0; i < m * n; i++) {
          const expected = want[i]! + bias[i % n]!;
          if (!(Math.abs(out[i]! - expected) <= 4e-7 * (k + 2)))
            assert.fail(`out[${i}] ${out[i]} vs ${expected}`);
        }
        setKernelBackend('auto');
      });
    }
  }

  it('a bias must have `columns` values and must not overlap out', () => {
    const a = new Float32Array(4);
    const b = new Float32Array(4);
    const buffer = new Float32Array(8);
    assert.throws(
      () =>
        matmul({ a, b, out: new Float32Array(4), bias: new Float32Array(1), rows: 2, columns: 2, inner: 2 }),
      /matmul: bias must have 2 elements, got 1/,
    );
    assert.throws(
      () =>
        matmul({
          a,
          b,
          out: buffer.subarray(0, 4),
          bias: buffer.subarray(2, 4),
          rows: 2,
          columns: 2,
          inner: 2,
        }),
      /out must not overlap bias/,
    );
  });

  it('rejects an output that overlaps an operand and short arrays', () => {
    const a = new Float32Array(8);
    assert.throws(
      () =>
        matmul({
          a: a.subarray(0, 4),
          b: new Float32Array(4),
          out: a.subarray(2, 6),
          rows: 2,
          columns: 2,
          inner: 2,
        }),
      /out must not overlap a or b/,
    );
    assert.throws(
      () =>
        matmul({
          a: a.subarray(0, 4),
          b: new Float32Array(3),
          out: new Float32Array(4),
          rows: 2,
          columns: 2,
          inner: 2,
        }),
      /matmul: b must have 4 elements, got 3/,
    );
    assert.throws(
      () => matmul({ a, b: new Float32Array(4), out: new Float32Array(4), rows: 2, columns: 2, inner: 2 }),
      /matmul: a must have 4 elements, got 8/,
    );
  });
});

// Few columns and a transposed B (a Dense layer's x · Wᵀ): rows of A against rows of B. Odd and
// even column counts, inner sizes with a tail of 1–3 after the 4-wide steps, ragged row groups,
// and A copied in several blocks (a row of 2049 floats puts 28 rows in a 256 KiB block).
describe('matmul: rows of A against rows of a transposed B', () => {
  for (const [m, n, k] of [
    [1, 1, 1],
    [2, 3, 5],
    [5, 10, 784],
    [6, 16, 7],
    [13, 11, 2049],
    [61, 2, 2049],
    [4, 15, 4],
  ] as const) {
    it(`wasm: [${m}×${k}]·[${n}×${k}]ᵀ on views into larger arrays, against float64`, () => {
      setKernelBackend('wasm');
      const a = random(m * k + 3, m * 5 + k);
      const b = random(n * k + 2, n * 11 + k);
      const out = new Float32Array(m * n + 2).fill(99);
      matmul({
        a: a.subarray(3),
        b: b.subarray(2),
        out: out.subarray(1, 1 + m * n),
        rows: m,
        columns: n,
        inner: k,
        transposeB: true,
      });
      assert.equal(out[0], 99);
      assert.equal(out[m * n + 1], 99);
      const want = reference(a.subarray(3), b.subarray(2), m, n, k, false, true);
      const tolerance = 4e-7 * k;
      for (let i = 0; i < m * n; i++) {
        if (!(Math.abs(out[1 + i]! - want[i]!) <= tolerance))
          assert.fail(`out[${i}] ${out[1 + i]} vs ${want[i]}`);
      }
      setKernelBackend('auto');
    });
  }
});
