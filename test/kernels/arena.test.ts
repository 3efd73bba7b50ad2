// The arena's regions: each owned by one call until released, never overlapping a live one, and
// the memory grows only while no region is live (growth detaches views).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { allocateRegion, liveRegionCount, regionView, releaseRegion } from '../../src/kernels/arena.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { arenaMemory } from '../../src/kernels/runtime.js';

describe('arena regions', () => {
  beforeEach(() => setKernelBackend('wasm'));
  afterEach(() => setKernelBackend('auto'));

  it('live regions never overlap; a released one is reused; views survive until release', () => {
    assert.equal(liveRegionCount(), 0, 'no region leaked from earlier tests');
    const first = allocateRegion(1000, {})!;
    const second = allocateRegion(1000, {})!;
    assert.ok(first && second);
    const end = (r: { byteOffset: number; length: number }) => r.byteOffset + 4 * r.length;
    assert.ok(end(first) <= second.byteOffset || end(second) <= first.byteOffset, 'disjoint');
    regionView(first).fill(1);
    regionView(second).fill(2);
    assert.ok(
      regionView(first).every((v) => v === 1),
      "the second region's writes do not reach the first",
    );
    releaseRegion(first);
    assert.throws(() => regionView(first), /released/);
    const third = allocateRegion(500, {})!;
    assert.equal(third.byteOffset, first.byteOffset, 'the freed space is used again');
    releaseRegion(second);
    releaseRegion(third);
    releaseRegion(third); // twice does nothing
    assert.equal(liveRegionCount(), 0);
  });

  it('does not grow under a live region: returns null, then fits once none is live', () => {
    const memory = arenaMemory()!;
    const small = allocateRegion(16, {})!;
    const view = regionView(small);
    view.fill(5);
    const huge = (memory.buffer.byteLength / 4) * 2;
    assert.equal(allocateRegion(huge, {}), null, 'no room beside a live region, and no growth');
    assert.equal(view.length, 16, 'the live view is not detached');
    assert.ok(view.every((v) => v === 5));
    releaseRegion(small);
    const grown = allocateRegion(huge, {})!;
    assert.ok(grown, 'with nothing live, the memory grows to fit');
    assert.equal(regionView(grown).length, huge);
    releaseRegion(grown);
  });

  it('grows to fit a region that went short at the next allocation with none live, even if that one fits', () => {
    // A step's first region (a loss, a layer) that always fits must not leave its second one short
    // on every step after the first.
    const memory = arenaMemory()!;
    const first = memory.buffer.byteLength / 4; // more than is free: the memory grows for it
    const second = 100_000; // 400 kB: more than the last page's slack after the first region
    const step = () => {
      const a = allocateRegion(first, {});
      const b = allocateRegion(second, {});
      for (const region of [a, b]) if (region) releaseRegion(region);
      return [a !== null, b !== null];
    };
    assert.deepEqual(step(), [true, false], 'the first step: the second region does not fit');
    assert.deepEqual(step(), [true, true], 'from the second step on both fit');
    assert.deepEqual(step(), [true, true]);
    assert.equal(liveRegionCount(), 0);
  });

  it('is null on the js backend', () => {
    setKernelBackend('js');
    assert.equal(allocateRegion(10, {}), null);
  });
});
