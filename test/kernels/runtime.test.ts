// Loading and switching the kernel backends, and the checked-in build of the .wat sources.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  ensureWasm,
  expInto,
  kernelBackend,
  setKernelBackend,
  softmaxRowNormalizers,
} from '../../src/kernels/index.js';

describe('kernel runtime', () => {
  it('ensureWasm resolves to true where WebAssembly SIMD works (Node 20)', async () => {
    assert.equal(await ensureWasm(), true);
    assert.equal(await ensureWasm(), true, 'calling again is fine');
  });

  it('setKernelBackend switches what kernelBackend reports and what runs', () => {
    const x = Float32Array.from([0.5]);
    const out = new Float64Array(1);
    setKernelBackend('js');
    assert.equal(kernelBackend(), 'js');
    expInto(x, out);
    assert.equal(out[0], Math.exp(0.5), 'the js backend computes exp in float64');
    setKernelBackend('wasm');
    assert.equal(kernelBackend(), 'wasm');
    expInto(x, out);
    assert.equal(out[0], Math.fround(out[0]!), 'the wasm backend computes exp in float32');
    assert.ok(Math.abs(out[0]! / Math.exp(0.5) - 1) < 1.2e-7);
    setKernelBackend('auto');
    assert.equal(kernelBackend(), 'wasm', 'auto prefers wasm where it loads');
  });

  it('rejects an unknown backend', () => {
    assert.throws(
      () => setKernelBackend('gpu' as never),
      /setKernelBackend: backend must be 'wasm', 'js' or 'auto', got "gpu"/,
    );
  });

  it('the scratch memory grows for a row wider than it and the views follow it', () => {
    setKernelBackend('wasm');
    // One softmax row is one chunk: 3M classes need 12 MB of scratch.
    const classes = 3_000_000;
    const x = new Float32Array(classes);
    x[classes - 1] = 1;
    const shift = new Float64Array(1);
    const logSum = new Float64Array(1);
    softmaxRowNormalizers({ x, classes, shift, logSum });
    assert.equal(shift[0], 1);
    assert.ok(Math.abs(logSum[0]! - Math.log1p((classes - 1) * Math.exp(-1))) < 1e-6 * logSum[0]!);
    // and a small call afterwards still sees current views
    const out = new Float32Array(1);
    expInto(Float32Array.from([1]), out);
    assert.equal(out[0], Math.fround(Math.E));
    setKernelBackend('auto');
  });

  it('src/kernels/kernels.generated.ts is the build of the current .wat sources', () => {
    const result = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr || result.stdout);
  });
});
