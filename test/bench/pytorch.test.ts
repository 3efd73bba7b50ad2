import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { PyTorchWorker } from '../../bench/pytorch.js';

const python = process.env.GLOSS_BENCH_PYTHON ?? '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

test('without a usable python the worker does not start, and says why', async () => {
  const saved = process.env.GLOSS_BENCH_PYTHON;
  process.env.GLOSS_BENCH_PYTHON = '/nonexistent/python3';
  try {
    const started = await PyTorchWorker.start();
    assert.ok('reason' in started);
    assert.match(started.reason, /\/nonexistent\/python3/);
  } finally {
    if (saved === undefined) delete process.env.GLOSS_BENCH_PYTHON;
    else process.env.GLOSS_BENCH_PYTHON = saved;
  }
});

test('the worker computes L2 and sparse SoftmaxCE on the buffers it is sent', {
  skip: !hasTorch && `${python} has no torch`,
}, async () => {
  const saved = process.env.GLOSS_BENCH_PYTHON;
  process.env.GLOSS_BENCH_PYTHON = python;
  const started = await PyTorchWorker.start();
  if (saved === undefined) delete process.env.GLOSS_BENCH_PYTHON;
  else process.env.GLOSS_BENCH_PYTHON = saved;
  assert.ok('worker' in started, 'reason' in started ? started.reason : '');
  const { worker } = started;
  try {
    // L2: loss_i = 0.5 · mean_j (p − y)², gradient (p − y) / d, with a head gradient of ones.
    const pred = Float32Array.of(1, 2, 3, -1, 0.5, 4);
    const label = Float32Array.of(0, 2, 5, 1, 0.5, 1);
    const l2 = await worker.setup('l2', {
      kind: 'l2',
      inputs: { pred: { shape: [2, 3], data: pred }, label: { shape: [2, 3], data: label } },
    });
    const close = (actual: ArrayLike<number>, expected: number[], what: string) => {
      for (const [i, value] of expected.entries())
        assert.ok(Math.abs(actual[i]! - value) < 1e-6, `${what}[${i}]: ${actual[i]} vs ${value}`);
    };
    close(l2.loss, [(0.5 * (1 + 0 + 4)) / 3, (0.5 * (4 + 0 + 9)) / 3], 'L2 loss');
    close(
      l2.grad,
      [1, 0, -2, -2, 0, 3].map((v) => v / 3),
      'L2 gradient',
    );
    // SoftmaxCE with int32 labels: loss = logsumexp(row) − row[label], gradient softmax − onehot.
    const logits = Float32Array.of(0, Math.log(3), 2, 2);
    const ce = await worker.setup('ce', {
      kind: 'softmax_ce',
      inputs: { pred: { shape: [2, 2], data: logits }, label: { shape: [2], data: Int32Array.of(1, 0) } },
    });
    close(ce.loss, [Math.log(4 / 3), Math.log(2)], 'SoftmaxCE loss');
    close(ce.grad, [0.25, -0.25, -0.5, 0.5], 'SoftmaxCE gradient');
    assert.ok((await worker.time('l2', 5, 3)) > 0);
    await worker.drop('l2');
    await assert.rejects(worker.time('l2', 5, 3), /KeyError/);
  } finally {
    worker.close();
  }
});
