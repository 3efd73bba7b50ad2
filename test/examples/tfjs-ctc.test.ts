/**
 * examples/tfjs-ctc.ts runs as a user runs it (tsx): a TF.js LayersModel trained with `model.fit`
 * on gloss's CTCLoss through gloss-ml/tfjs reads more than 90% of held-out digit strings exactly
 * (greedy decoding), and its training loss falls.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';

test('examples/tfjs-ctc.ts: model.fit with gloss CTC reads > 90% of held-out strings', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/tfjs-ctc.ts'], {
    encoding: 'utf8',
    env: { ...process.env, TSX_TSCONFIG_PATH: resolve('tsconfig.json') },
    timeout: 240_000,
  });
  assert.equal(run.status, 0, `the example failed:\n${run.stdout}\n${run.stderr}`);
  const accuracy = /held-out sequences read exactly: (\d+)\/(\d+)/.exec(run.stdout);
  assert.ok(accuracy, `no accuracy line in:\n${run.stdout}`);
  const [, correct, total] = accuracy.map(Number) as [number, number, number];
  assert.ok(correct / total > 0.9, `held-out accuracy ${correct}/${total} is not above 90%`);
  const losses = /CTC loss per sequence: ([\d.]+) \(epoch 1\) -> ([\d.]+)/.exec(run.stdout);
  assert.ok(losses && Number(losses[2]) < Number(losses[1]) / 10, `the loss did not fall: ${run.stdout}`);
  assert.equal(run.stderr.trim(), '', 'the example writes no warnings');
});
