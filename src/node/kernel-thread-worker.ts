/**
 * A kernel thread (see kernel-threads.ts): runs shares of one-pass kernel calls and of matrix
 * products on shared memory, and reports through an Int32Array status word that the caller blocks on.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runShare } from '../kernels/_shares.js';
import { matmul } from '../kernels/matmul.js';
import { ensureWasm, useFusedMultiplyAdd } from '../kernels/runtime.js';
import {
  ERROR_BYTES,
  JOB_DONE,
  JOB_FAILED,
  type JobMessage,
  type ProductMessage,
  sharedView,
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

/** A share of a matrix product: the same driver on this thread's rows, into shared memory. */
function runProduct(job: ProductMessage): void {
  const { buffer } = job;
  // The calling thread's choice, so that every share of the product rounds the same way.
  useFusedMultiplyAdd(job.fused);
  matmul({
    a: sharedView(buffer, job.a),
    b: sharedView(buffer, job.b),
    out: sharedView(buffer, job.out),
    ...(job.bias ? { bias: sharedView(buffer, job.bias) } : {}),
    ...(job.accumulation ? { accumulation: job.accumulation } : {}),
    rows: job.rows,
    columns: job.columns,
    inner: job.inner,
    transposeB: job.transposeB,
  });
}

parentPort!.on('message', (job: JobMessage | ProductMessage) => {
  try {
    if (job.kind === 'product') {
      runProduct(job);
      Atomics.store(status, STATUS, JOB_DONE);
      Atomics.notify(status, STATUS);
      return;
    }
    const { layout, buffer, samples, sampleSize } = job;
    const count = samples * sampleSize;
    runShare(job.kernel, job.parameters, sampleSize, {
      inputs: layout.inputs.map((at) => new Float32Array(buffer, at, count)),
      labels: layout.labels === null ? null : new Int32Array(buffer, layout.labels, samples),
      scales: new Float64Array(buffer, layout.scales, samples),
      sums: new Float64Array(buffer, layout.sums, samples),
      gradient: new Float32Array(buffer, layout.gradient, count),
    });
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
