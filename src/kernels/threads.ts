/**
 * The hook through which a platform layer (gloss/node's `useKernelThreads`) lends the kernels
 * other threads. The core never starts threads itself: it has no Node built-ins, and a browser's
 * main thread may not block on another thread. Only compute-bound kernels (the one-pass binary
 * cross-entropy and sparse softmax cross-entropy, and large matrix products) hand work to the
 * pool; memory-bound ones would spend more on copying their inputs to shared memory than another
 * core saves them.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';

/**
 * A share of a one-pass kernel call: samples `[begin, end)` of the call's arrays (see
 * runShare for the kernels a share may name).
 */
export interface SegmentJob {
  /** The kernel's name (a SEGMENT_KERNELS entry or 'softmaxCrossEntropy') and its parameters. */
  readonly kernel: string;
  readonly parameters: readonly number[];
  readonly inputs: readonly TypedArray[];
  /** One class index per sample (sparse softmax cross-entropy), or undefined. */
  readonly labels?: Int32Array;
  readonly sampleSize: number;
  readonly scales: Float64Array;
  readonly sums: Float64Array;
  readonly gradient: TypedArray;
  readonly begin: number;
  readonly end: number;
}

/**
 * A share of a matrix product (see matmul-shares.ts): rows `a.length / inner` of the product,
 * the thread running the same `matmul` on them (A's rows, the whole of B, the bias) into `out`.
 */
export interface ProductJob {
  /** This share's rows of A, row-major (never transposed). */
  readonly a: Float32Array | Float64Array;
  /** The whole of B, row-major (columns × inner when `transposeB`). */
  readonly b: Float32Array | Float64Array;
  /** This share's rows of the product, written when the share finishes. */
  readonly out: Float32Array | Float64Array;
  readonly bias: Float32Array | Float64Array | null;
  readonly rows: number;
  readonly columns: number;
  readonly inner: number;
  readonly transposeB: boolean;
  readonly accumulation: 'float32' | 'float64' | null;
  /** Whether the calling thread's products use fused multiply-adds (the share must round alike). */
  readonly fused: boolean;
}

/** Other threads that run shares of kernel calls. */
export interface KernelThreadPool {
  /** Threads ready to take a share now (they start asynchronously). */
  readonly ready: number;
  /** Hands `jobs` (one per ready thread) to the threads; `finish` blocks until their results are written. */
  start(jobs: readonly (SegmentJob | ProductJob)[]): { finish(): void };
}

let pool: KernelThreadPool | null = null;

/** Installs (or with null removes) the pool the kernels may use. */
export function setKernelThreadPool(next: KernelThreadPool | null): void {
  pool = next;
}

/** The installed pool, if any. */
export function kernelThreadPool(): KernelThreadPool | null {
  return pool;
}

/** Calls smaller than this (elements per input) stay on the calling thread. */
export const PARALLEL_MINIMUM = 1 << 18;

/**
 * Hands the later samples of a call to the pool's ready threads, one equal share each, and
 * returns how many leading samples the calling thread keeps and the pending shares (whose
 * `finish` blocks until their results are written). Null, leaving the whole call to the caller,
 * when there is no ready thread, the call is smaller than PARALLEL_MINIMUM elements or it has a
 * single sample.
 */
export function startShares(
  samples: number,
  elements: number,
  job: Omit<SegmentJob, 'begin' | 'end'>,
): { mine: number; pending: { finish(): void } } | null {
  if (!pool || pool.ready === 0 || elements < PARALLEL_MINIMUM || samples < 2) return null;
  const shares = Math.min(pool.ready + 1, samples);
  const bounds = Array.from({ length: shares + 1 }, (_, i) => Math.round((samples * i) / shares));
  const jobs = bounds.slice(1, -1).map((begin, i) => ({ ...job, begin, end: bounds[i + 2]! }));
  return { mine: bounds[1]!, pending: pool.start(jobs) };
}
