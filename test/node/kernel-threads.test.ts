// Opt-in kernel worker threads: a large binary cross-entropy call split across threads gives
// exactly the single-thread results (each sample is computed whole by one thread, same kernel).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { LogisticLoss } from '../../src/loss/logistic.js';
import { SigmoidBinaryCrossEntropyLoss } from '../../src/loss/sigmoid-bce.js';
import { SoftmaxCrossEntropyLoss } from '../../src/loss/softmax-ce.js';
import { array } from '../../src/ndarray/create.js';
import { kernelThreadsReady, useKernelThreads } from '../../src/node/kernel-threads.js';
import { kernelThreadPool, PARALLEL_MINIMUM } from '../../src/kernels/threads.js';

/** Loss values and the prediction's gradient of one recorded call. */
function step(loss: { forward(...x: NDArray[]): NDArray }, pred: NDArray, label: NDArray) {
  pred.attachGrad();
  const out = record(() => loss.forward(pred, label));
  out.backward();
  return { loss: Array.from(out.data), grad: Array.from(pred.grad!.data) };
}

describe('kernel worker threads', () => {
  after(() => useKernelThreads(1));

  test('split calls equal single-thread calls exactly (SigmoidBCE, Logistic, SoftmaxCE; uneven batches)', async () => {
    const generator = new RandomGenerator(3);
    // 601 samples: the shares are uneven; 601 · 512 elements is above the parallel minimum.
    const pred = normal(0, 3, [601, 512], { dtype: 'float32', generator });
    assert.ok(pred.size >= PARALLEL_MINIMUM);
    const binary = uniform(0, 1, [601, 512], { dtype: 'float32', generator });
    const signed = uniform(-1, 1, [601, 512], { dtype: 'float32', generator });
    for (let i = 0; i < binary.size; i++) {
      binary.data[i] = binary.data[i]! < 0.5 ? 0 : 1;
      signed.data[i] = signed.data[i]! < 0 ? -1 : 1;
    }
    // Sparse class indices for SoftmaxCE over the 512 classes of each row.
    const classes = array(
      Array.from({ length: 601 }, (_, i) => (i * 37) % 512),
      { dtype: 'int32' },
    );
    const cases = [
      { loss: new SigmoidBinaryCrossEntropyLoss(), label: binary },
      { loss: new LogisticLoss({ labelFormat: 'signed' }), label: signed },
      { loss: new SoftmaxCrossEntropyLoss(), label: classes },
    ];
    const single = cases.map(({ loss, label }) => step(loss, pred, label));
    useKernelThreads(3);
    assert.equal(await kernelThreadsReady(), true, 'the workers start');
    assert.equal(kernelThreadPool()?.ready, 2);
    cases.forEach(({ loss, label }, i) => {
      const split = step(loss, pred, label);
      assert.deepEqual(split.loss, single[i]!.loss, `${loss.name} loss`);
      assert.deepEqual(split.grad, single[i]!.grad, `${loss.name} gradient`);
    });
    useKernelThreads(1);
    assert.equal(kernelThreadPool(), null);
  });

  test('threads must be a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => useKernelThreads(bad),
        (error: Error) => error instanceof ValueError && error.message.includes('useKernelThreads'),
      );
    }
  });
});
