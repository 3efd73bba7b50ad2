// The segment driver's check of a float32-lane gradient (finiteFloats, elementwise.wat): every
// count, a non-finite value in the vectors or in the tail, nothing read past the count.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reserveScratch, SCRATCH_BASE, wasmScratch } from '../../src/kernels/runtime.js';

describe('finiteFloats', () => {
  it('is 1 exactly when every float of the span is finite', (t) => {
    const scratch = wasmScratch();
    if (!scratch) {
      t.skip('no WebAssembly SIMD here');
      return;
    }
    const state = reserveScratch(scratch, 4096)!;
    const at = SCRATCH_BASE;
    for (let count = 0; count <= 11; count++) {
      state.f32.fill(1.5, at / 4, at / 4 + 16);
      // A NaN just past the span is not read.
      state.f32[at / 4 + count] = Number.NaN;
      assert.equal(state.kernels.finiteFloats(at, count), 1, `count ${count}`);
      for (let i = 0; i < count; i++) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          state.f32[at / 4 + i] = bad;
          assert.equal(state.kernels.finiteFloats(at, count), 0, `count ${count}, ${bad} at ${i}`);
          state.f32[at / 4 + i] = 3.4e38;
        }
      }
      assert.equal(state.kernels.finiteFloats(at, count), 1, `count ${count}, float32's largest values`);
    }
  });
});
