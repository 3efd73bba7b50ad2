import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setKernelBackend } from '../../src/kernels/index.js';
import { CallMemory } from '../../src/loss/_call-memory.js';
import { focalSlope, focalTerm, sparseFocalOnePass } from '../../src/loss/_softmax-focal-rows.js';
import { normal, RandomGenerator } from '../../src/ndarray/random.js';
import { assertClose } from './_elementwise-checks.js';

/** sparseFocalOnePass on `x` (rows of `classes`), one row per sample. */
function onePass(x: Float32Array | Float64Array, classes: number, labels: Int32Array, scales: number[]) {
  const rows = labels.length;
  const sums = new Float64Array(rows);
  const out = x instanceof Float32Array ? new Float32Array(x.length) : new Float64Array(x.length);
  const alpha = { classAlpha: null, uniformAlpha: 0.25 };
  const args = { x, classes, labels, alpha, gamma: 2, fromLogits: false, sums, out };
  sparseFocalOnePass({ ...args, scales: Float64Array.from(scales), memory: new CallMemory() });
  return { sums, out };
}

describe('_softmax-focal-rows', () => {
  test('focalTerm and focalSlope: the closed form, the p → 1 limit, an impossible class, gamma 0', () => {
    const logP = Math.log(0.3);
    assertClose([focalTerm(logP, 1, 0.5, 2)], [-0.5 * 0.7 ** 2 * logP], 1e-15, 0, 'ℓ');
    // g = −a(1 − p)^γ(1 − γ p log p/(1 − p)).
    assertClose([focalSlope(logP, 1, 0.5, 2)], [-0.5 * 0.49 * (1 - (2 * 0.3 * logP) / 0.7)], 1e-15, 0, 'g');
    // Near p = 1: log p/(1 − p) → −1, so g ≈ −a(1 − p)^γ(1 + γ); at p = 1 exactly, 0 (γ > 0).
    const u = 1e-12;
    const g = focalSlope(Math.log1p(-u), 1, 1, 2);
    assertClose([g], [-(u ** 2) * (1 - (2 * (1 - u) * Math.log1p(-u)) / u)], 1e-9, 0, 'near 1');
    assertClose([g], [-(u ** 2) * 3], 1e-11, 0, 'the limit');
    assert.equal(focalSlope(0, 1, 1, 2), -0);
    assert.equal(focalSlope(0, 1, 0.5, 0), -0.5);
    // An impossible class (log p = −∞): g = −a, the term +∞ (a loss that large is right).
    assert.equal(focalSlope(Number.NEGATIVE_INFINITY, 1, 0.5, 2), -0.5);
    assert.equal(focalTerm(Number.NEGATIVE_INFINITY, 1, 0.5, 2), Number.POSITIVE_INFINITY);
    assert.equal(focalTerm(Number.NEGATIVE_INFINITY, 0, 0.5, 2), 0);
  });

  test('row scales that do not fit float32 run in their own calls: float32 equals float64 rounded', () => {
    // Scales per row: normal, subnormal as float32 (1e-41), beyond float32 (3e39), NaN; in runs
    // of each kind and alone, so a misplaced run boundary would move a row's scale to another.
    const scales = [1, 1e-41, 1e-41, 1, 3e39, 1, 1, Number.NaN, 3e39, 1e-41, 1];
    const classes = 10;
    const rows = scales.length;
    const x32 = normal(0, 1, [rows * classes], { dtype: 'float32', generator: new RandomGenerator(3) })
      .data as Float32Array;
    const labels = Int32Array.from({ length: rows }, (_, r) => (3 * r) % classes);
    const x64 = Float64Array.from(x32);
    for (const backend of ['wasm', 'js'] as const) {
      setKernelBackend(backend);
      try {
        const single = onePass(x32, classes, labels, scales);
        const double = onePass(x64, classes, labels, scales);
        assertClose(single.sums, double.sums, 1e-6, 0, `${backend}: ℓ`);
        const rounded = Array.from(double.out, Math.fround);
        // Normal float32 entries within kernel rounding; subnormal ones within one float32 step.
        assertClose(single.out, rounded, 1e-6, 1.5e-45, `${backend}: gradient`);
        for (let r = 0; r < rows; r++) {
          const row = single.out.subarray(r * classes, (r + 1) * classes);
          if (Number.isNaN(scales[r]!)) assert.ok(row.every(Number.isNaN), `row ${r} is NaN`);
          if (scales[r] === 1e-41)
            assert.ok(
              row.some((v) => v !== 0 && Math.abs(v) < 2 ** -126),
              `row ${r}`,
            );
        }
      } finally {
        setKernelBackend('auto');
      }
    }
  });
});
