// Products split across kernel threads: the split, its declines, and single-thread bits. A pool
// that runs each share on this thread (after the caller's own share, as a worker would finish)
// stands in for gloss-ml/node's workers here; test/node/kernel-threads.test.ts runs real ones.
import assert from 'node:assert/strict';
import { afterEach, describe, it, type TestContext } from 'node:test';
import { matmul, type MatmulArguments } from '../../src/kernels/matmul.js';
import { PRODUCT_PARALLEL_MINIMUM } from '../../src/kernels/matmul-shares.js';
import { fusedMultiplyAdd, kernelBackend, setKernelBackend } from '../../src/kernels/runtime.js';
import {
  kernelThreadPool,
  type KernelThreadPool,
  type ProductJob,
  type SegmentJob,
  setKernelThreadPool,
} from '../../src/kernels/threads.js';
import { uniforms } from './_ulp.js';

/** A pool of `ready` threads that runs every product share on this thread when it is finished. */
function inlinePool(ready: number) {
  const jobs: ProductJob[] = [];
  const pool: KernelThreadPool = {
    ready,
    start(started: readonly (SegmentJob | ProductJob)[]) {
      const shares = started.map((job) => {
        if (!('columns' in job)) throw new Error('not a product share');
        jobs.push(job);
        return job;
      });
      return {
        finish() {
          // A worker has no pool of its own: the share runs whole on its thread.
          setKernelThreadPool(null);
          try {
            for (const job of shares) {
              const { bias, accumulation, ...rest } = job;
              matmul({ ...rest, ...(bias ? { bias } : {}), ...(accumulation ? { accumulation } : {}) });
            }
          } finally {
            setKernelThreadPool(pool);
          }
        },
      };
    },
  };
  return { pool, jobs };
}

function random(count: number, seed: number, double: boolean): Float32Array | Float64Array {
  const next = uniforms(seed);
  const values = Array.from({ length: count }, () => next() * 2 - 1);
  return double ? Float64Array.from(values) : Float32Array.from(values);
}

interface Case {
  readonly rows: number;
  readonly columns: number;
  readonly inner: number;
  readonly transposeB?: boolean;
  readonly double?: boolean;
  readonly accumulation?: 'float64';
  readonly bias?: boolean;
  readonly offset?: number;
}

/** The product of `c` on this thread and with `pool` installed: both outputs. */
function both(c: Case, pool: KernelThreadPool | null) {
  const offset = c.offset ?? 0;
  const a = random(offset + c.rows * c.inner, 1, c.double ?? false);
  const b = random(offset + c.inner * c.columns, 2, c.double ?? false);
  const bias = c.bias ? random(c.columns, 3, c.double ?? false) : null;
  const run = (installed: KernelThreadPool | null) => {
    const out = (
      c.double ? new Float64Array(offset + c.rows * c.columns) : new Float32Array(offset + c.rows * c.columns)
    ).fill(Number.NaN);
    const args: MatmulArguments = {
      a: a.subarray(offset),
      b: b.subarray(offset),
      out: out.subarray(offset),
      rows: c.rows,
      columns: c.columns,
      inner: c.inner,
      transposeB: c.transposeB ?? false,
      ...(bias ? { bias } : {}),
      ...(c.accumulation ? { accumulation: c.accumulation } : {}),
    };
    setKernelThreadPool(installed);
    try {
      matmul(args);
    } finally {
      setKernelThreadPool(null);
    }
    return out;
  };
  return { single: run(null), split: run(pool) };
}

describe('matmul across kernel threads', () => {
  // Shares run only on the wasm backend: these tests choose it whatever GLOSS_KERNELS says (and
  // skip where it cannot load), then put the previous choice back.
  const previous = kernelBackend();
  const onWasm = (t: TestContext): boolean => {
    try {
      setKernelBackend('wasm');
      return true;
    } catch {
      t.skip('no WebAssembly SIMD here');
      return false;
    }
  };
  afterEach(() => {
    setKernelThreadPool(null);
    setKernelBackend(previous);
  });

  const cases: Case[] = [
    { rows: 256, columns: 128, inner: 128 },
    { rows: 257, columns: 127, inner: 130, transposeB: true },
    { rows: 1001, columns: 70, inner: 64, bias: true, offset: 3 },
    { rows: 300, columns: 17, inner: 1000, transposeB: true, bias: true }, // the narrowest shared
    { rows: 260, columns: 130, inner: 128, double: true },
    { rows: 258, columns: 129, inner: 127, accumulation: 'float64', transposeB: true },
    { rows: 96, columns: 200, inner: 2100 }, // an inner dimension in pieces of 1024
  ];
  for (const c of cases) {
    for (const ready of [1, 3]) {
      it(`${JSON.stringify(c)} with ${ready} other thread(s): the single-thread bits, every row once`, (t) => {
        if (!onWasm(t)) return;
        assert.ok(c.rows * c.columns * c.inner >= PRODUCT_PARALLEL_MINIMUM);
        const { pool, jobs } = inlinePool(ready);
        const { single, split } = both(c, pool);
        assert.equal(jobs.length, Math.min(ready, Math.floor(c.rows / 8) - 1), 'one share per ready thread');
        const shared = jobs.reduce((sum, job) => sum + job.rows, 0);
        assert.ok(shared > 0 && shared < c.rows, `the caller keeps rows (${c.rows - shared} of ${c.rows})`);
        for (const job of jobs) assert.equal(job.a.length, job.rows * c.inner);
        // A share rounds as the calling thread does (a worker sets the same choice).
        for (const job of jobs) assert.equal(job.fused, fusedMultiplyAdd());
        assert.ok(!split.subarray(c.offset ?? 0).some(Number.isNaN), 'every element written');
        assert.deepEqual(split, single);
      });
    }
  }

  it('declines what it should: small or narrow products, a transposed A, the js backend, few rows', (t) => {
    if (!onWasm(t)) return;
    const { pool, jobs } = inlinePool(1);
    both({ rows: 64, columns: 64, inner: 64 }, pool);
    both({ rows: 12, columns: 600, inner: 600 }, pool);
    // Dense(784→10)'s x · Wᵀ at batch 4096: 16 columns or fewer are not worth the copies.
    both({ rows: 4096, columns: 16, inner: 784, transposeB: true }, pool);
    const a = random(512 * 512, 1, false);
    const out = new Float32Array(512 * 512);
    setKernelThreadPool(pool);
    matmul({ a, b: a, out, rows: 512, columns: 512, inner: 512, transposeA: true });
    setKernelBackend('js');
    matmul({ a, b: a.slice(), out, rows: 512, columns: 512, inner: 512 });
    assert.equal(jobs.length, 0);
    assert.equal(kernelThreadPool(), pool);
  });

  it('a share that fails still leaves the product to the error, and the pool finished', (t) => {
    if (!onWasm(t)) return;
    let finished = false;
    const failing: KernelThreadPool = {
      ready: 1,
      start: () => ({
        finish() {
          finished = true;
          throw new Error('share failed');
        },
      }),
    };
    setKernelThreadPool(failing);
    const a = random(256 * 256, 4, false);
    assert.throws(
      () =>
        matmul({ a, b: a.slice(), out: new Float32Array(256 * 256), rows: 256, columns: 256, inner: 256 }),
      /share failed/,
    );
    assert.ok(finished);
  });
});
