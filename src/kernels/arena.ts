/**
 * Float32 regions of the arena instance's memory, each owned by one loss call from its forward
 * until its graph is freed, so the one-pass kernels can write a gradient where the backward will
 * read it, with no copy out of wasm memory.
 *
 * What makes it safe:
 * - A region belongs to exactly one call. It is never lent to another call while it is allocated;
 *   it is released by its owner once nothing can read it (the loss base calls
 *   {@link releaseRegion} when the pass that ran the call's backward has written its gradients
 *   and freed the graph), or, if the owner is dropped without that (a graph never differentiated),
 *   by a FinalizationRegistry once the owner is garbage.
 * - Views are made when used ({@link regionView}) and the memory grows only while no region is
 *   allocated, so no view of a live region is ever detached by growth.
 * - When a region does not fit beside the live ones, {@link allocateRegion} returns null and the
 *   caller uses ordinary memory; the allocator remembers the size it lacked and grows to fit it
 *   the next time a region is allocated while none is live (so a training step with two losses
 *   fits from its second step on, even when the first one's region always fits).
 * @module
 */
import { ARENA_SCRATCH_BYTES, arenaMemory, arenaScratch, SCRATCH_BASE } from './runtime.js';

/** A float32 region: where it is in the arena's memory and whether its owner has let it go. */
export interface ArenaRegion {
  readonly byteOffset: number;
  readonly length: number;
  released: boolean;
}

/** Where regions start: after the arena's scratch area. */
const REGIONS_AT = SCRATCH_BASE + ARENA_SCRATCH_BYTES;
const PAGE_BYTES = 65536;
/** Regions start on 64-byte boundaries (a cache line). */
const ALIGN = 64;

/** Bytes a region of `length` float32 elements takes, up to the next ALIGN boundary. */
function alignedBytes(length: number): number {
  return Math.ceil((length * 4) / ALIGN) * ALIGN;
}

/** The live regions, by offset. */
const live: ArenaRegion[] = [];
/** Bytes of regions that did not fit while others were live: grown to when none is live. */
let wanted = 0;

const finalizer = new FinalizationRegistry<ArenaRegion>((region) => releaseRegion(region));

/**
 * A region of `length` float32 elements owned by `owner` (released when `owner` is garbage, if
 * not before), or null when the wasm backend is off or it does not fit beside the live regions.
 */
export function allocateRegion(length: number, owner: object): ArenaRegion | null {
  const arena = arenaScratch();
  if (!arena || length <= 0) return null;
  const bytes = alignedBytes(length);
  let at = REGIONS_AT;
  for (const region of live) {
    if (region.byteOffset - at >= bytes) break;
    at = region.byteOffset + alignedBytes(region.length);
  }
  const memory = arena.kernels.memory;
  if (live.length === 0 && REGIONS_AT + wanted > memory.buffer.byteLength) {
    // An earlier request went short and none is live (so no view can be detached): grow to fit it
    // now, even if this region fits as it is, or a first region that always fits would leave the
    // second one of every step short (a one-time attempt: a memory that cannot grow is left as is).
    try {
      memory.grow(Math.ceil((REGIONS_AT + wanted - memory.buffer.byteLength) / PAGE_BYTES));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    }
    wanted = 0;
  }
  if (at + bytes > memory.buffer.byteLength) {
    if (live.length > 0) {
      wanted = Math.max(wanted, at - REGIONS_AT + bytes);
      return null;
    }
    // No region is live, so no view of one can exist: growing (which detaches views) is safe.
    const needed = REGIONS_AT + Math.max(bytes, wanted);
    try {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
    } catch (error) {
      if (error instanceof RangeError) return null;
      throw error;
    }
    wanted = 0;
    at = REGIONS_AT;
  }
  const region: ArenaRegion = { byteOffset: at, length, released: false };
  const index = live.findIndex((other) => other.byteOffset > at);
  live.splice(index < 0 ? live.length : index, 0, region);
  finalizer.register(owner, region, region);
  return region;
}

/** A view of a live region's memory (made now: views are never kept across calls). */
export function regionView(region: ArenaRegion): Float32Array {
  const memory = arenaMemory();
  if (region.released || !memory) throw new Error('regionView: the region was released');
  return new Float32Array(memory.buffer, region.byteOffset, region.length);
}

/** Lets a region go (its owner's last use is over); releasing twice does nothing. */
export function releaseRegion(region: ArenaRegion): void {
  if (region.released) return;
  region.released = true;
  finalizer.unregister(region);
  const index = live.indexOf(region);
  if (index >= 0) live.splice(index, 1);
}

/** How many regions are live (for tests). */
export function liveRegionCount(): number {
  return live.length;
}
