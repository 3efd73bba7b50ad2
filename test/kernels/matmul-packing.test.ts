// The panel packing kernels of matmul.wat that copy whole panels (a panel's lanes side by side in
// the source): every element lands where the tiles read it, in groups of 4 panels with a shorter
// last group, for row lengths longer than the packed columns, and nothing outside the panels is
// written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reserveScratch, SCRATCH_BASE, wasmScratch } from '../../src/kernels/runtime.js';

/** Where packing puts M(x, k): panel x / lanes, then k, then lane x % lanes (in elements). */
function packedIndex(x: number, k: number, lanes: number, inner: number): number {
  return (Math.floor(x / lanes) * inner + k) * lanes + (x % lanes);
}

describe('matmul packing: whole panels copied side by side', () => {
  const scratch = wasmScratch();
  const cases = [
    // [panels, inner, extra elements per source row]
    [1, 1, 0],
    [3, 5, 0], // one group, shorter than 4 panels
    [4, 13, 3], // exactly one group; rows longer than the packed columns
    [5, 7, 0], // a group of 4, then 1
    [9, 257, 5], // two groups of 4, then 1; a long inner dimension
    [17, 2, 8],
  ] as const;
  for (const [name, lanes, bytes] of [
    ['packPanelsContiguous8', 8, 4],
    ['packPanelsContiguous4F64', 4, 8],
  ] as const) {
    for (const [panels, inner, extra] of cases) {
      it(`${name}: ${panels} panels of ${lanes}, inner ${inner}, rows ${extra} longer`, (t) => {
        if (!scratch) {
          t.skip('no WebAssembly SIMD here');
          return;
        }
        const count = panels * lanes;
        const stride = count + extra;
        const srcElements = inner * stride;
        const dstElements = count * inner;
        const state = reserveScratch(scratch, (srcElements + dstElements + 64) * bytes)!;
        const view = bytes === 4 ? state.f32 : state.f64;
        const src = SCRATCH_BASE;
        const dst = src + srcElements * bytes + 32 * bytes;
        // M(x, k) = src[x + k·stride] = a value naming x and k; a sentinel around dst.
        for (let k = 0; k < inner; k++) {
          for (let x = 0; x < stride; x++) view[src / bytes + k * stride + x] = k * 1000 + x + 0.5;
        }
        view.fill(-7, dst / bytes - 8, dst / bytes + dstElements + 8);
        state.kernels[name](src, stride, count, inner, dst);
        const at = dst / bytes;
        for (let x = 0; x < count; x++) {
          for (let k = 0; k < inner; k++) {
            const got = view[at + packedIndex(x, k, lanes, inner)];
            if (got !== k * 1000 + x + 0.5) assert.fail(`M(${x}, ${k}) packed as ${got}`);
          }
        }
        for (let i = 1; i <= 8; i++) {
          assert.equal(view[at - i], -7, 'nothing before the panels is written');
          assert.equal(view[at + dstElements - 1 + i], -7, 'nothing after the panels is written');
        }
      });
    }
  }
});

describe('matmul packing: a row-major A into panels of 4 rows (packRowPanels4)', () => {
  const scratch = wasmScratch();
  // [panels, inner, extra elements per source row]: inner % 4 of 0-3 (the one-at-a-time tail).
  for (const [panels, inner, extra] of [
    [1, 1, 0],
    [1, 4, 0],
    [2, 7, 1],
    [3, 16, 0],
    [5, 33, 3],
    [2, 1030, 2],
  ] as const) {
    it(`${panels} panels, inner ${inner}, rows ${extra} longer`, (t) => {
      if (!scratch) {
        t.skip('no WebAssembly SIMD here');
        return;
      }
      const count = panels * 4;
      const stride = inner + extra;
      const srcElements = count * stride;
      const dstElements = count * inner;
      const state = reserveScratch(scratch, (srcElements + dstElements + 64) * 4)!;
      const src = SCRATCH_BASE;
      const dst = src + srcElements * 4 + 128;
      // M(x, k) = src[x·stride + k] = a value naming x and k; a sentinel around dst.
      for (let x = 0; x < count; x++) {
        for (let k = 0; k < stride; k++) state.f32[src / 4 + x * stride + k] = k * 1000 + x + 0.5;
      }
      state.f32.fill(-7, dst / 4 - 8, dst / 4 + dstElements + 8);
      state.kernels.packRowPanels4(src, stride, count, inner, dst);
      const at = dst / 4;
      for (let x = 0; x < count; x++) {
        for (let k = 0; k < inner; k++) {
          const got = state.f32[at + packedIndex(x, k, 4, inner)];
          if (got !== k * 1000 + x + 0.5) assert.fail(`M(${x}, ${k}) packed as ${got}`);
        }
      }
      for (let i = 1; i <= 8; i++) {
        assert.equal(state.f32[at - i], -7, 'nothing before the panels is written');
        assert.equal(state.f32[at + dstElements - 1 + i], -7, 'nothing after the panels is written');
      }
    });
  }
});
