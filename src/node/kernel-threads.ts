/**
 * Worker threads for the compute-bound kernels (opt-in, Node only):
 *
 * ```ts
 * import { useKernelThreads } from 'gloss-ml/node';
 * useKernelThreads(2); // this thread and one worker
 * ```
 *
 * A large one-pass binary cross-entropy call (SigmoidBCE on logits, Logistic) or sparse softmax
 * cross-entropy call (SoftmaxCE, class axis last) then hands the later samples to the workers,
 * and a large matrix product (`nd.dot`, Dense, the kernels entry's `matmul`; at least 2^22
 * multiply-adds and 17 columns, A not transposed) its later rows: their inputs are copied into
 * shared memory, each worker runs the same wasm kernel on its share while the calling thread
 * runs the first one, and the calling thread blocks until the workers' results are copied back.
 * Results are identical to one thread's (every sample, or product row, is computed whole by one
 * thread with the same kernel). Off by
 * default: it pays only where another core is free and the kernel is compute-bound; the
 * memory-bound kernels never use it (the copy to shared memory would cost what they save).
 * Workers start in the background and are used once ready; they never keep the process alive.
 * @module
 */
import { Worker } from 'node:worker_threads';
import { ValueError } from '../ndarray/errors.js';
import {
  type KernelThreadPool,
  type ProductJob,
  type SegmentJob,
  setKernelThreadPool,
} from '../kernels/threads.js';

/** Status words of a worker's status buffer: job state, readiness. */
export const STATUS = 0;
export const STATUS_READY = 1;
export const JOB_IDLE = 0;
export const JOB_RUNNING = 1;
export const JOB_DONE = 2;
export const JOB_FAILED = 3;
/** Bytes for a failed job's message, after the status words. */
export const ERROR_BYTES = 1024;

/** Byte offsets of a job's arrays in its shared buffer. */
interface JobLayout {
  readonly inputs: readonly number[];
  /** The share's labels (Int32), or null. */
  readonly labels: number | null;
  readonly scales: number;
  readonly sums: number;
  readonly gradient: number;
}

/** Where a product share's array is in its shared buffer: byte offset, length, element type. */
export interface SharedArray {
  readonly at: number;
  readonly length: number;
  readonly double: boolean;
}

/** What the calling thread posts to a worker for a share of a matrix product. */
export interface ProductMessage {
  readonly kind: 'product';
  readonly buffer: SharedArrayBuffer;
  readonly a: SharedArray;
  readonly b: SharedArray;
  readonly out: SharedArray;
  readonly bias: SharedArray | null;
  readonly rows: number;
  readonly columns: number;
  readonly inner: number;
  readonly transposeB: boolean;
  readonly accumulation: 'float32' | 'float64' | null;
  readonly fused: boolean;
}

/** A view of `array`'s place in `buffer`. */
export function sharedView(
  buffer: SharedArrayBuffer,
  { at, length, double }: SharedArray,
): Float32Array | Float64Array {
  return double ? new Float64Array(buffer, at, length) : new Float32Array(buffer, at, length);
}

/** What the calling thread posts to a worker for a share of a one-pass kernel call. */
export interface JobMessage {
  readonly kind: 'segment';
  readonly buffer: SharedArrayBuffer;
  readonly layout: JobLayout;
  readonly kernel: string;
  readonly parameters: readonly number[];
  readonly samples: number;
  readonly sampleSize: number;
}

/** A kernel thread failed or stopped answering. */
export class KernelThreadError extends Error {
  override readonly name = 'KernelThreadError';
}

function layoutFor(
  inputs: number,
  withLabels: boolean,
  samples: number,
  count: number,
): { layout: JobLayout; bytes: number } {
  const floats = Math.ceil((count * 4) / 8) * 8;
  const list: number[] = [];
  let at = 0;
  for (let i = 0; i < inputs; i++, at += floats) list.push(at);
  const labels = withLabels ? at : null;
  const scales = at + (withLabels ? Math.ceil((samples * 4) / 8) * 8 : 0);
  const sums = scales + samples * 8;
  const gradient = sums + samples * 8;
  return { layout: { inputs: list, labels, scales, sums, gradient }, bytes: gradient + floats };
}

class Thread {
  readonly status = new SharedArrayBuffer(16 + ERROR_BYTES);
  readonly words = new Int32Array(this.status, 0, 4);
  readonly worker: Worker;
  buffer = new SharedArrayBuffer(0);

  constructor() {
    const source = import.meta.url.endsWith('.ts');
    const url = new URL(`./kernel-thread-worker${source ? '.ts' : '.js'}`, import.meta.url);
    const workerData = { status: this.status };
    // Run from TypeScript sources (tsx: tests, benchmarks), the worker registers tsx itself
    // before loading its module: the calling thread's loader hooks do not reach workers.
    this.worker = source
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
            `.then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`,
          { eval: true, workerData },
        )
      : new Worker(url, { workerData });
    this.worker.unref();
    // A worker that dies while idle is simply not ready any more.
    this.worker.on('error', () => Atomics.store(this.words, STATUS_READY, 0));
    this.worker.on('exit', () => Atomics.store(this.words, STATUS_READY, 0));
  }

  get ready(): boolean {
    return Atomics.load(this.words, STATUS_READY) === 1 && Atomics.load(this.words, STATUS) !== JOB_RUNNING;
  }

  /** Copies the job's share in and posts it; returns what finish needs. */
  post(job: SegmentJob | ProductJob): () => void {
    return 'columns' in job ? this.postProduct(job) : this.postSegment(job);
  }

  /** A product share: its rows of A, all of B and the bias copied in; its rows of out copied back. */
  private postProduct(job: ProductJob): () => void {
    let bytes = 0;
    const place = (array: Float32Array | Float64Array): SharedArray => {
      const at = bytes;
      bytes += Math.ceil(array.byteLength / 8) * 8;
      return { at, length: array.length, double: array instanceof Float64Array };
    };
    const a = place(job.a);
    const b = place(job.b);
    const bias = job.bias ? place(job.bias) : null;
    const out = place(job.out);
    if (this.buffer.byteLength < bytes) this.buffer = new SharedArrayBuffer(bytes);
    const buffer = this.buffer;
    sharedView(buffer, a).set(job.a);
    sharedView(buffer, b).set(job.b);
    if (bias && job.bias) sharedView(buffer, bias).set(job.bias);
    Atomics.store(this.words, STATUS, JOB_RUNNING);
    const message: ProductMessage = {
      kind: 'product',
      buffer,
      a,
      b,
      out,
      bias,
      rows: job.rows,
      columns: job.columns,
      inner: job.inner,
      transposeB: job.transposeB,
      accumulation: job.accumulation,
      fused: job.fused,
    };
    this.worker.postMessage(message);
    return () => {
      // The wait's deadline grows with the work: the same rate as a one-pass share's elements.
      this.wait((job.rows * job.columns * job.inner) / 64);
      job.out.set(sharedView(buffer, out));
    };
  }

  private postSegment(job: SegmentJob): () => void {
    const samples = job.end - job.begin;
    const count = samples * job.sampleSize;
    const first = job.begin * job.sampleSize;
    const { layout, bytes } = layoutFor(job.inputs.length, job.labels !== undefined, samples, count);
    if (this.buffer.byteLength < bytes) this.buffer = new SharedArrayBuffer(bytes);
    const buffer = this.buffer;
    job.inputs.forEach((input, i) => {
      new Float32Array(buffer, layout.inputs[i]!, count).set(input.subarray(first, first + count));
    });
    if (job.labels && layout.labels !== null)
      new Int32Array(buffer, layout.labels, samples).set(job.labels.subarray(job.begin, job.end));
    new Float64Array(buffer, layout.scales, samples).set(job.scales.subarray(job.begin, job.end));
    Atomics.store(this.words, STATUS, JOB_RUNNING);
    const message: JobMessage = {
      kind: 'segment',
      buffer,
      layout,
      kernel: job.kernel,
      parameters: job.parameters,
      samples,
      sampleSize: job.sampleSize,
    };
    this.worker.postMessage(message);
    return () => {
      this.wait(count);
      job.gradient.set(new Float32Array(buffer, layout.gradient, count), first);
      job.sums.set(new Float64Array(buffer, layout.sums, samples), job.begin);
    };
  }

  /** Blocks until the job is done; a failure or silence becomes a KernelThreadError. */
  private wait(count: number): void {
    // Generous: a share runs at well over 10 M elements/s.
    const deadline = performance.now() + 10_000 + count / 1000;
    for (;;) {
      const state = Atomics.load(this.words, STATUS);
      if (state === JOB_DONE) {
        Atomics.store(this.words, STATUS, JOB_IDLE);
        return;
      }
      if (state === JOB_FAILED) {
        const bytes = new Uint8Array(this.status, 16, ERROR_BYTES);
        const end = bytes.indexOf(0);
        const text = new TextDecoder().decode(bytes.slice(0, end < 0 ? ERROR_BYTES : end));
        Atomics.store(this.words, STATUS, JOB_IDLE);
        throw new KernelThreadError(`a kernel thread failed: ${text}`);
      }
      if (performance.now() > deadline) {
        Atomics.store(this.words, STATUS_READY, 0);
        void this.worker.terminate();
        throw new KernelThreadError(
          'a kernel thread stopped answering; it was stopped and will not be used again',
        );
      }
      Atomics.wait(this.words, STATUS, JOB_RUNNING, 100);
    }
  }
}

class NodeKernelThreads implements KernelThreadPool {
  constructor(readonly threads: readonly Thread[]) {}

  get ready(): number {
    return this.threads.filter((t) => t.ready).length;
  }

  start(jobs: readonly (SegmentJob | ProductJob)[]): { finish(): void } {
    const ready = this.threads.filter((t) => t.ready);
    const finishers = jobs.map((job, i) => ready[i]!.post(job));
    return {
      finish() {
        let failure: unknown = null;
        for (const finish of finishers) {
          try {
            finish();
          } catch (error) {
            failure ??= error;
          }
        }
        if (failure) throw failure;
      },
    };
  }

  stop(): void {
    for (const t of this.threads) void t.worker.terminate();
  }
}

let current: NodeKernelThreads | null = null;

/**
 * Sets how many threads the compute-bound kernels may use, counting the calling one: 1 (the
 * default) turns the workers off, n starts n − 1 worker threads. Throws a ValueError for
 * anything but a positive integer.
 */
export function useKernelThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ValueError(`useKernelThreads: threads must be a positive integer, got ${String(threads)}`);
  }
  current?.stop();
  current = null;
  setKernelThreadPool(null);
  if (threads === 1) return;
  current = new NodeKernelThreads(Array.from({ length: threads - 1 }, () => new Thread()));
  setKernelThreadPool(current);
}

/** Resolves once every worker started by useKernelThreads can take work (for tests and benchmarks). */
export async function kernelThreadsReady(timeoutMs = 10_000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (current && current.ready < current.threads.length) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return current !== null;
}
