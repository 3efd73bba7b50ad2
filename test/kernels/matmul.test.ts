// The float32 matrix product on both backends, every transposition, against a float64 reference.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matmul, setKernelBackend } from '../../src/kernels/index.js';
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
          matmul({ a, b, out, outOffset: 1, rows: m, columns: n, inner: k, transposeA: ta, transposeB: tb });
          assert.equal(out[0], 99, 'nothing before outOffset is written');
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

  it('offsets into the operands, an empty inner dimension, and empty products', () => {
    setKernelBackend('wasm');
    const a = random(3 + 6, 1);
    const b = random(2 + 6, 2);
    const out = new Float32Array(4);
    matmul({ a, aOffset: 3, b, bOffset: 2, out, rows: 2, columns: 2, inner: 3 });
    const want = reference(a.subarray(3), b.subarray(2), 2, 2, 3, false, false);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(out[i]! - want[i]!) < 1e-6);
    out.fill(5);
    matmul({ a, b, out, rows: 2, columns: 2, inner: 0 });
    assert.deepEqual([...out], [0, 0, 0, 0], 'a sum over nothing is 0');
    matmul({ a, b, out, rows: 0, columns: 2, inner: 3 }); // no rows: nothing to do
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

  it('rejects an output that overlaps an operand and short arrays', () => {
    const a = new Float32Array(8);
    assert.throws(
      () => matmul({ a, b: new Float32Array(4), out: a, outOffset: 2, rows: 2, columns: 2, inner: 2 }),
      /out must not overlap a or b/,
    );
    assert.throws(
      () => matmul({ a, b: new Float32Array(3), out: new Float32Array(4), rows: 2, columns: 2, inner: 2 }),
      /b needs elements \[0, 4\)/,
    );
  });
});
