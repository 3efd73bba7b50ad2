/**
 * The WebAssembly kernel module at run time: loading it, choosing between it and the pure
 * TypeScript kernels, and the scratch memory every wasm kernel works in.
 *
 * Data path: the module's linear memory is scratch space only. A kernel wrapper reserves a
 * few regions (inputs, outputs) at fixed offsets from {@link SCRATCH_BASE}, copies one chunk of
 * its typed-array inputs in with `TypedArray.set` (a memcpy), runs the kernel on it and copies
 * the results out the same way. Chunks are a few tens of KiB, so the copy-in lands in cache and
 * the kernel reads it from there; the copies cost about what the kernel's own loads and stores
 * would, and NDArray storage stays ordinary JS typed arrays. The memory only grows (to the
 * largest chunk seen) and nothing is allocated per call except small subarray views.
 *
 * Loading: in Node the module is compiled synchronously on first use (about 4 KiB). Browsers
 * may refuse a synchronous compile on the main thread; call {@link ensureWasm} once at start-up
 * there. Until the module is ready (or where WebAssembly SIMD is missing) every kernel runs its
 * TypeScript version, which computes the same values in float64.
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import { KERNELS_WASM_BASE64 } from './kernels.generated.js';
import { KERNELS_RELAXED_WASM_BASE64 } from './kernels-relaxed.generated.js';
import type { FusedMatmulKernels, KernelExports } from './kernel-exports.js';

/** Which implementation runs the kernels. */
export type KernelBackend = 'wasm' | 'js';

/** A backend request: `'auto'` (the default) uses wasm when it loads and TypeScript otherwise. */
export type KernelBackendChoice = KernelBackend | 'auto';

/** The module plus current views of its memory (refreshed whenever the memory grows). */
export interface Scratch {
  readonly kernels: KernelExports;
  /**
   * The fused matrix products, where GLOSS_RELAXED_SIMD=1 asks for them and the engine runs
   * relaxed SIMD (else null): see fusedMatmul.
   */
  readonly fused: FusedMatmulKernels | null;
  f32: Float32Array;
  f64: Float64Array;
  i32: Int32Array;
  u8: Uint8Array;
}

/** First byte offset handed out; below it nothing is stored, so pointer 0 can mean "none". */
export const SCRATCH_BASE = 64;

const PAGE_BYTES = 65536;

/** Reads GLOSS_KERNELS (js | wasm | auto) when a `process` global exists; no Node import. */
function initialChoice(): KernelBackendChoice {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.GLOSS_KERNELS;
  return value === 'js' || value === 'wasm' ? value : 'auto';
}

let choice: KernelBackendChoice = initialChoice();

/**
 * Whether GLOSS_RELAXED_SIMD=1 asks for the fused (relaxed-SIMD) matrix products. Opt-in: a fused
 * multiply-add rounds once where mul + add rounds twice, so results would differ in the last
 * digit between engines that have relaxed SIMD (Chrome, Node 22+) and those without (Node 20).
 */
function relaxedRequested(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.GLOSS_RELAXED_SIMD === '1';
}

/** Whether the matrix products should use fused multiply-adds (see useFusedMultiplyAdd). */
let fusedWanted = relaxedRequested();
let scratch: Scratch | null = null;
/**
 * A second instance of the module whose memory holds, after a fixed scratch area of its own,
 * regions that loss calls own until their backward (see arena.ts): the one-pass kernels run on
 * this instance and write gradients into those regions in place.
 */
let arena: Scratch | null = null;
/** Why the module cannot load here (no WebAssembly, no SIMD, ...); null while it may still load. */
let loadError: Error | null = null;
/** Set once a synchronous compile was refused (browser main thread): only ensureWasm can load it. */
let syncRefused = false;

function moduleBytes(base64 = KERNELS_WASM_BASE64): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * The relaxed-SIMD matrix products on `memory`, where the engine validates them (feature
 * detection: Node 20 only with --experimental-wasm-relaxed-simd; Chrome 114+, Node 22+), else
 * null and the plain SIMD products run. A small module, compiled synchronously. Used only when
 * GLOSS_RELAXED_SIMD=1 (see relaxedRequested).
 */
function fusedMatmul(memory: WebAssembly.Memory): FusedMatmulKernels | null {
  const bytes = moduleBytes(KERNELS_RELAXED_WASM_BASE64);
  if (!WebAssembly.validate(bytes)) return null;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { gloss: { memory } });
    return instance.exports as unknown as FusedMatmulKernels;
  } catch {
    return null;
  }
}

function viewsOf(instance: WebAssembly.Instance, withFused = false): Scratch {
  const kernels = instance.exports as unknown as KernelExports;
  const buffer = kernels.memory.buffer;
  return {
    kernels,
    fused: withFused ? fusedMatmul(kernels.memory) : null,
    f32: new Float32Array(buffer),
    f64: new Float64Array(buffer),
    i32: new Int32Array(buffer),
    u8: new Uint8Array(buffer),
  };
}

/**
 * Takes the two instances of the module: the scratch one, and the arena, whose scratch area is
 * reserved now so that only the region allocator ever grows its memory (arena.ts).
 */
function adopt(first: WebAssembly.Instance, second: WebAssembly.Instance): Scratch {
  const lent = viewsOf(second);
  if (!reserveScratch(lent, ARENA_SCRATCH_BYTES))
    throw new RangeError('the arena scratch cannot be reserved');
  arena = lent;
  scratch = viewsOf(first, fusedWanted);
  return scratch;
}

/** Compiles synchronously (Node, workers); a refusal (browser main thread) leaves it to ensureWasm. */
function loadSync(): Scratch | null {
  if (scratch || loadError || syncRefused) return scratch;
  if (typeof WebAssembly !== 'object') {
    loadError = new Error('WebAssembly is not available');
    return null;
  }
  try {
    const module = new WebAssembly.Module(moduleBytes());
    return adopt(new WebAssembly.Instance(module, {}), new WebAssembly.Instance(module, {}));
  } catch (error) {
    // A RangeError is the browser's limit on synchronous compiles: the async path may still work.
    if (error instanceof RangeError) syncRefused = true;
    else loadError = error as Error;
    return null;
  }
}

/**
 * Compiles and instantiates the kernel module asynchronously (allowed everywhere, including a
 * browser's main thread). Resolves to whether the wasm kernels are available; never rejects.
 * Calling it again is free.
 */
export async function ensureWasm(): Promise<boolean> {
  if (scratch) return true;
  if (loadError || typeof WebAssembly !== 'object') return false;
  try {
    const module = await WebAssembly.compile(moduleBytes());
    adopt(await WebAssembly.instantiate(module, {}), await WebAssembly.instantiate(module, {}));
    return true;
  } catch (error) {
    loadError = error as Error;
    return false;
  }
}

/**
 * Selects the kernel implementation: `'wasm'` (throws a ValueError if the module cannot load
 * synchronously here; await {@link ensureWasm} first in a browser), `'js'` (pure TypeScript,
 * float64 arithmetic), or `'auto'` (the default: wasm when available). The environment variable
 * GLOSS_KERNELS sets the initial choice.
 */
export function setKernelBackend(backend: KernelBackendChoice): void {
  if (backend !== 'wasm' && backend !== 'js' && backend !== 'auto') {
    throw new ValueError(
      `setKernelBackend: backend must be 'wasm', 'js' or 'auto', got ${JSON.stringify(backend)}`,
    );
  }
  if (backend === 'wasm' && !loadSync()) {
    throw new ValueError(
      `setKernelBackend: the WebAssembly SIMD kernels are not available here (${loadError ? loadError.message : 'synchronous compilation refused; await ensureWasm() first'})`,
    );
  }
  choice = backend;
}

/**
 * Lets the matrix products (`nd.dot`, Dense, `gloss-ml/kernels`' `matmul`) use relaxed SIMD's
 * fused multiply-add where the engine has it (Chrome 114+, Node 22+; Node 20 with
 * `--experimental-wasm-relaxed-simd`), or go back to a multiply and an add; returns whether the
 * fused products are on. Off by default (GLOSS_RELAXED_SIMD=1 sets the initial choice): one
 * rounding per step instead of two changes the last digit of float32 products. 15–20% faster on
 * the bench machine (M512f against M512d). Process-wide, like {@link setKernelBackend}.
 */
export function useFusedMultiplyAdd(enabled: boolean): boolean {
  if (typeof enabled !== 'boolean')
    throw new ValueError(`useFusedMultiplyAdd: enabled must be a boolean, got ${String(enabled)}`);
  fusedWanted = enabled;
  if (scratch && (scratch.fused !== null) !== enabled) {
    // A new object: the views stay current (reserveScratch refreshes the object it is given).
    scratch = { ...scratch, fused: enabled ? fusedMatmul(scratch.kernels.memory) : null };
  }
  return fusedMultiplyAdd();
}

/** Whether the matrix products use fused multiply-adds right now (see useFusedMultiplyAdd). */
export function fusedMultiplyAdd(): boolean {
  return (wasmScratch()?.fused ?? null) !== null;
}

/** The implementation kernels use right now. */
export function kernelBackend(): KernelBackend {
  return wasmScratch() ? 'wasm' : 'js';
}

/** The loaded module when the wasm backend is in use, else null (callers then run TypeScript). */
export function wasmScratch(): Scratch | null {
  if (choice === 'js') return null;
  return scratch ?? loadSync();
}

/**
 * Makes `bytes` of scratch, starting at {@link SCRATCH_BASE}, addressable, growing the memory if
 * needed, and returns the module with views that are current; null when the memory cannot grow
 * that far (wasm32's 4 GiB, or the host's limit), and the caller then runs its TypeScript path.
 */
export function reserveScratch(state: Scratch | null, bytes: number): Scratch | null {
  if (!state) return null;
  const memory = state.kernels.memory;
  const needed = SCRATCH_BASE + bytes;
  if (memory.buffer.byteLength < needed) {
    try {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
    } catch (error) {
      if (error instanceof RangeError) return null;
      throw error;
    }
  }
  if (state.f32.buffer !== memory.buffer) {
    state.f32 = new Float32Array(memory.buffer);
    state.f64 = new Float64Array(memory.buffer);
    state.i32 = new Int32Array(memory.buffer);
    state.u8 = new Uint8Array(memory.buffer);
  }
  return state;
}

/** `bytes` rounded up to a multiple of 32, the unit scratch regions are laid out in. */
export function regionBytes(bytes: number): number {
  return Math.ceil(bytes / 32) * 32;
}

/** Bytes at the start of the arena's memory (after SCRATCH_BASE) for its kernels' scratch. */
export const ARENA_SCRATCH_BYTES = 768 * 1024;

/** The arena instance when the wasm backend is in use (see arena.ts), else null. */
export function arenaScratch(): Scratch | null {
  return wasmScratch() ? arena : null;
}

/**
 * The arena's memory whatever the backend choice, once the module has loaded (views of regions
 * allocated while the wasm backend was on stay readable after a switch to 'js').
 */
export function arenaMemory(): WebAssembly.Memory | null {
  return arena ? arena.kernels.memory : null;
}
