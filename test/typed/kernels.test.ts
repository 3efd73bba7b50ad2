/**
 * gloss-ml/kernels: every typed-array kernel gives the class's per-sample losses and gradient
 * (float64 exactly, float32 to an ulp or two; with and without sampleWeight and weight, on the
 * wasm and js kernel backends), allocates no typed array or ArrayBuffer per call after the first (counted by
 * wrapping their constructors), and rejects bad arrays with typed errors.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { HuberLoss } from '../../src/loss/huber.js';
import { L1Loss } from '../../src/loss/l1.js';
import { L2Loss } from '../../src/loss/l2.js';
import { LogisticLoss } from '../../src/loss/logistic.js';
import { SigmoidBinaryCrossEntropyLoss } from '../../src/loss/sigmoid-bce.js';
import { SoftmaxCrossEntropyLoss } from '../../src/loss/softmax-ce.js';
import { TripletLoss } from '../../src/loss/triplet.js';
import type { Loss } from '../../src/loss/index.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import {
  ctcKernel,
  type FloatArray,
  l2Kernel,
  lossKernel,
  softmaxCEKernel,
  tripletKernel,
} from '../../src/typed/index.js';
import { countAllocations } from './_allocations.js';

const SAMPLES = 5;
const FEATURES = 7;

/** Fresh losses with options: every kernel, a weight, a non-default option. */
const cases: [string, () => Loss][] = [
  ['L1Loss', () => new L1Loss()],
  ['L2Loss weight 3', () => new L2Loss({ weight: 3 })],
  ['HuberLoss rho 0.5', () => new HuberLoss({ rho: 0.5 })],
  ['SigmoidBinaryCrossEntropyLoss', () => new SigmoidBinaryCrossEntropyLoss()],
  ['LogisticLoss', () => new LogisticLoss()],
  ['LogisticLoss binary weight 0.5', () => new LogisticLoss({ labelFormat: 'binary', weight: 0.5 })],
  ['TripletLoss', () => new TripletLoss()],
  ['TripletLoss margin 3 weight 2', () => new TripletLoss({ margin: 3, weight: 2 })],
];

function assertClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= 1e-7 + 2e-6 * Math.abs(e), `${what}[${i}]: got ${a}, expected ${e}`);
  }
}

function values(
  Type: typeof Float32Array | typeof Float64Array,
  count: number,
  seed: number,
  low = -2,
  high = 2,
) {
  const generator = new RandomGenerator(seed);
  const out = new Type(count);
  for (let i = 0; i < count; i++) out[i] = low + (high - low) * generator.nextDouble();
  return out;
}

/** The class's path: per-sample losses and d(Σ loss)/d pred. */
function classPath(loss: Loss, inputs: FloatArray[], sampleWeight: Float64Array | null) {
  const shape = [SAMPLES, FEATURES];
  const pred = new NDArray(inputs[0]!.slice(), shape).attachGrad();
  const rest = inputs.slice(1).map((data) => new NDArray(data, shape));
  // float64 weights, as the kernels read the numbers they are given (not rounded to pred's type)
  const weights = sampleWeight ? new NDArray(sampleWeight, [SAMPLES]) : null;
  const out = record(() => loss.forward(pred, ...rest, ...(weights ? [weights] : [])));
  out.backward();
  return { loss: Array.from(out.data), gradient: Array.from(pred.grad!.data) };
}

for (const backend of ['wasm', 'js'] as const) {
  describe(`typed kernels equal the classes (${backend} kernels)`, () => {
    after(() => setKernelBackend('auto'));
    for (const [name, make] of cases) {
      for (const Type of [Float32Array, Float64Array]) {
        for (const weighted of [false, true]) {
          test(`${name}, ${Type.name}${weighted ? ', sampleWeight' : ''}`, () => {
            setKernelBackend(backend);
            const loss = make();
            const count = SAMPLES * FEATURES;
            const binary = name.includes('binary') || name.includes('Sigmoid');
            const inputs: FloatArray[] = [
              values(Type, count, 1, -3, 3),
              binary ? values(Type, count, 2, 0, 1) : values(Type, count, 2),
            ];
            if (loss instanceof TripletLoss) inputs.push(values(Type, count, 3));
            const sampleWeight = weighted ? Float64Array.from([1, 0, 0.3, 2, 1.1]) : null;
            const expected = classPath(loss, inputs, sampleWeight);
            const out = new Type(SAMPLES);
            const gradient = new Type(count);
            const kernel = lossKernel(make());
            kernel({
              pred: inputs[0]!,
              label: inputs[1]!,
              ...(inputs[2] ? { negative: inputs[2] } : {}),
              sampleWeight,
              loss: out,
              gradient,
            });
            if (Type === Float64Array) {
              assert.deepEqual(Array.from(out), expected.loss, 'per-sample loss');
              assert.deepEqual(Array.from(gradient), expected.gradient, 'gradient');
            } else {
              // A weighted TripletLoss call takes the class's block path, whose float32 rounding
              // differs from the one-pass kernel's by an ulp or so.
              assertClose(out, expected.loss, 'per-sample loss');
              assertClose(gradient, expected.gradient, 'gradient');
            }
          });
        }
      }
    }
  });
}

describe('typed kernels allocate nothing per call after the first', () => {
  test('the counting hook sees allocations, also inside the library (a new batch size)', () => {
    assert.equal(
      countAllocations(() => new Float64Array(3)),
      1,
    );
    const l2 = l2Kernel();
    const args = (n: number) => ({
      pred: new Float32Array(n),
      label: new Float32Array(n),
      loss: new Float32Array(n),
      gradient: new Float32Array(n),
    });
    const first = args(4);
    const second = args(6);
    l2(first);
    // scales and sums are made again for 6 samples, once.
    assert.equal(
      countAllocations(() => {
        l2(second);
        l2(second);
      }),
      2,
    );
  });

  for (const backend of ['wasm', 'js'] as const) {
    for (const [name, make] of cases) {
      for (const Type of [Float32Array, Float64Array]) {
        test(`${name}, ${Type.name}, ${backend} kernels: 0 arrays in 50 calls after the first`, () => {
          setKernelBackend(backend);
          const count = SAMPLES * FEATURES;
          const args = {
            pred: values(Type, count, 1),
            label: values(Type, count, 2, 0, 1),
            ...(name.startsWith('Triplet') ? { negative: values(Type, count, 3) } : {}),
            sampleWeight: Float64Array.from([1, 0, 0.5, 2, 1.25]),
            loss: new Type(SAMPLES),
            gradient: new Type(count),
          };
          const kernel = lossKernel(make());
          kernel(args);
          const allocations = countAllocations(() => {
            for (let i = 0; i < 50; i++) kernel(args);
          });
          setKernelBackend('auto');
          assert.equal(allocations, 0);
        });
      }
    }
  }
});

describe('typed kernels: errors', () => {
  test('losses without a one-pass kernel and fromSigmoid are ValueErrors', () => {
    assert.throws(
      () => lossKernel(new SoftmaxCrossEntropyLoss()),
      /SoftmaxCrossEntropyLoss has no typed-array kernel/,
    );
    assert.throws(() => lossKernel(new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true })), ValueError);
    assert.throws(() => lossKernel(new L2Loss({ batchAxis: 1 })), /batchAxis 1/);
  });

  test('a reduction other than per sample is a ValueError naming the kernel and the reduction', () => {
    // Before, lossKernel ignored it and wrote per-sample values, silently not what the class gives.
    for (const reduction of ['none', 'sum', 'mean', 'batchmean'] as const) {
      const named = (kernel: string) => (error: Error) =>
        error instanceof ValueError &&
        error.message.startsWith(kernel) &&
        error.message.includes(`reduction '${reduction}'`);
      assert.throws(() => lossKernel(new L2Loss({ reduction })), named('lossKernel(L2Loss)'));
      assert.throws(() => l2Kernel({ reduction }), named('lossKernel(L2Loss)'));
      assert.throws(() => softmaxCEKernel({ reduction }), named('softmaxCEKernel'));
      assert.throws(() => ctcKernel({ reduction }), named('ctcKernel'));
    }
  });

  test('lengths and types that do not fit: ShapeError and ValueError naming the argument', () => {
    const l2 = l2Kernel();
    const pred = new Float32Array(6);
    const loss = new Float32Array(2);
    assert.throws(
      () => l2({ pred, label: new Float32Array(5), loss, gradient: new Float32Array(6) }),
      (error: Error) =>
        error instanceof ShapeError && /l2|L2Loss\): label has 5 elements, pred has 6/.test(error.message),
    );
    assert.throws(
      () => l2({ pred, label: new Float64Array(6) as never, loss, gradient: new Float32Array(6) }),
      /label is a Float64Array but pred is a Float32Array/,
    );
    assert.throws(() => l2({ pred, label: pred, loss: new Float32Array(4), gradient: pred }), ShapeError);
    assert.throws(
      () => l2({ pred, label: pred, loss, gradient: pred, sampleWeight: [1] }),
      /sampleWeight has 1 entries for 2 samples/,
    );
    assert.throws(
      () => tripletKernel()({ pred, label: pred, loss, gradient: new Float32Array(6) }),
      /negative/,
    );
  });
});
