// The matrix products with relaxed SIMD's fused multiply-add (built from matmul.wat and
// matmul-five.wat by scripts/build-wasm.mjs): Node 20 runs them only with
// --experimental-wasm-relaxed-simd, and gloss only with GLOSS_RELAXED_SIMD=1, so matmul.test.ts
// runs again in a child process with both, every shape against the float64 reference, the fused
// kernels required to be in use.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

describe('matmul with fused multiply-adds (relaxed SIMD)', () => {
  it('passes every matmul test with the fused products in use', () => {
    const flag = '--experimental-wasm-relaxed-simd';
    const probe = spawnSync(process.execPath, [flag, '-e', ''], { encoding: 'utf8' });
    if (probe.status !== 0) return; // an engine without the flag (relaxed SIMD shipped, or absent)
    // (without NODE_TEST_CONTEXT, which would make the child report to this runner, not fail)
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const result = spawnSync(
      process.execPath,
      [flag, '--import', 'tsx', '--test', '--test-reporter=dot', join(here, 'matmul.test.ts')],
      {
        encoding: 'utf8',
        env: { ...env, GLOSS_EXPECT_FUSED: '1', GLOSS_RELAXED_SIMD: '1', GLOSS_KERNELS: 'auto' },
      },
    );
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`.slice(-4000));
  });
});
