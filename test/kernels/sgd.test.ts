// The plain SGD step on both backends against the formula evaluated in float64 and rounded once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setKernelBackend, sgdUpdate } from '../../src/kernels/index.js';
import { uniforms } from './_ulp.js';

/** decay · w − lr · clip(rescale · g) in float64, as MXNet's sgd_update. */
function expected(w: number, g: number, decay: number, lr: number, rescale: number, bound: number): number {
  return decay * w - lr * Math.min(Math.max(rescale * g, -bound), bound);
}

function sample(count: number, seed: number): [Float32Array, Float32Array] {
  const next = uniforms(seed);
  const weight = Float32Array.from({ length: count }, () => next() * 4 - 2);
  const grad = Float32Array.from({ length: count }, () => (next() * 2 - 1) * 300);
  return [weight, grad];
}

describe('sgdUpdate', () => {
  for (const backend of ['wasm', 'js'] as const) {
    for (const count of [1, 2, 7, 7840, 8192 * 2 + 3]) {
      for (const bound of [Number.POSITIVE_INFINITY, 0.5]) {
        it(`${backend}: ${count} float32 weights, bound ${bound}: the float64 formula rounded once`, () => {
          setKernelBackend(backend);
          const [weight, grad] = sample(count, count + 3);
          const want = new Float32Array(count);
          const [decay, lr, rescale] = [1 - 0.1 * 1e-3, 0.1, 1 / 256];
          for (let i = 0; i < count; i++) want[i] = expected(weight[i]!, grad[i]!, decay, lr, rescale, bound);
          sgdUpdate({ weight, grad, decay, learningRate: lr, rescale, bound });
          for (let i = 0; i < count; i++)
            if (weight[i] !== want[i]) assert.fail(`weight[${i}] ${weight[i]} vs ${want[i]}`);
          setKernelBackend('auto');
        });
      }
    }
  }

  it('NaN, infinities and −0 follow Math.min and Math.max, with and without a bound', () => {
    setKernelBackend('wasm');
    for (const bound of [Number.POSITIVE_INFINITY, 1]) {
      const weight = Float32Array.from([1, 1, 1, -0, 2]);
      const grad = Float32Array.from([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1]);
      const want = Array.from(weight, (w, i) => Math.fround(expected(w, grad[i]!, 1, 0.5, 1, bound)));
      sgdUpdate({ weight, grad, decay: 1, learningRate: 0.5, rescale: 1, bound });
      for (let i = 0; i < want.length; i++)
        assert.ok(Object.is(weight[i], want[i]), `${i}: ${weight[i]} vs ${want[i]}`);
    }
    setKernelBackend('auto');
  });

  it('float64 weights run the loop in float64', () => {
    const weight = Float64Array.from([0.1, 0.2, 0.3]);
    const grad = Float64Array.from([1e-20, 2, -3]);
    sgdUpdate({ weight, grad, decay: 1, learningRate: 0.1, rescale: 1, bound: Number.POSITIVE_INFINITY });
    assert.deepEqual([...weight], [0.1 - 0.1 * 1e-20, 0.2 - 0.1 * 2, 0.3 + 0.1 * 3]);
  });

  it('rejects a gradient of another length', () => {
    assert.throws(
      () =>
        sgdUpdate({
          weight: new Float32Array(3),
          grad: new Float32Array(2),
          decay: 1,
          learningRate: 0.1,
          rescale: 1,
          bound: Number.POSITIVE_INFINITY,
        }),
      /sgdUpdate: grad has 2 elements but weight has 3/,
    );
  });
});
