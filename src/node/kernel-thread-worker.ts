/**
 * A kernel thread (see kernel-threads.ts): runs shares of one-pass kernel calls on shared memory
 * and reports through an Int32Array status word that the caller blocks on.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSegments, SEGMENT_KERNELS } from '../wasm/_segments.js';
import { ensureWasm } from '../wasm/runtime.js';
import {
  ERROR_BYTES,
  JOB_DONE,
  JOB_FAILED,
  type JobMessage,
  STATUS,
  STATUS_READY,
} from './kernel-threads.js';

const status = new Int32Array(workerData.status as SharedArrayBuffer);
const errorText = new Uint8Array(workerData.status as SharedArrayBuffer, 16, ERROR_BYTES);

function fail(error: unknown): void {
  const message = new TextEncoder().encode(error instanceof Error ? error.message : String(error));
  errorText.fill(0);
  errorText.set(message.subarray(0, ERROR_BYTES));
  Atomics.store(status, STATUS, JOB_FAILED);
  Atomics.notify(status, STATUS);
}

parentPort!.on('message', (job: JobMessage) => {
  try {
    const { layout } = job;
    const count = job.samples * job.sampleSize;
    const inputs = layout.inputs.map((at) => new Float32Array(job.buffer, at, count));
    const kernel = SEGMENT_KERNELS[job.kernel];
    if (!kernel) throw new Error(`no kernel named ${job.kernel}`);
    const ran = runSegments(
      `kernel thread ${job.kernel}`,
      kernel(job.parameters),
      inputs,
      inputs.map((_, i) => `input ${i}`),
      job.sampleSize,
      new Float64Array(job.buffer, layout.scales, job.samples),
      new Float64Array(job.buffer, layout.sums, job.samples),
      new Float32Array(job.buffer, layout.gradient, count),
    );
    if (!ran) throw new Error('the WebAssembly kernels are not available in the kernel thread');
    Atomics.store(status, STATUS, JOB_DONE);
    Atomics.notify(status, STATUS);
  } catch (error) {
    fail(error);
  }
});

ensureWasm().then(
  (available) => {
    if (available) Atomics.store(status, STATUS_READY, 1);
  },
  () => {},
);
