/**
 * examples/typed-arrays.ts runs as a user runs it (tsx): the hand-written two-layer net trained
 * with gloss-ml/kernels' SigmoidBCE learns XOR (accuracy above 95%, loss down by 5x or more).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';

test('examples/typed-arrays.ts: a hand-written net learns XOR with gloss-ml/kernels', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/typed-arrays.ts'], {
    encoding: 'utf8',
    env: { ...process.env, TSX_TSCONFIG_PATH: resolve('tsconfig.json') },
    timeout: 120_000,
  });
  assert.equal(run.status, 0, `the example failed:\n${run.stdout}\n${run.stderr}`);
  const loss = /mean loss: ([\d.]+) -> ([\d.]+)/.exec(run.stdout);
  const accuracy = /accuracy: ([\d.]+)% -> ([\d.]+)%/.exec(run.stdout);
  assert.ok(loss && accuracy, `unexpected output:\n${run.stdout}`);
  assert.ok(Number(loss[2]) < Number(loss[1]) / 5, `loss ${loss[1]} -> ${loss[2]}`);
  assert.ok(Number(accuracy[2]) > 95, `accuracy ${accuracy[2]}%`);
});
