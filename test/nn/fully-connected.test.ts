import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { array } from '../../src/ndarray/create.js';
import { ShapeError } from '../../src/ndarray/errors.js';
import { RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { fullyConnected } from '../../src/nn/fully-connected.js';
import { grad, record } from '../../src/autograd/index.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { checkGradient, checkSecondGradient } from '../../src/testing/gradcheck.js';
import { kernelBackend, setKernelBackend } from '../../src/kernels/index.js';

const f64 = (values: number[] | number[][]) => array(values, { dtype: 'float64' });
const random = (shape: number[], seedValue: number) =>
  uniform(-1, 1, shape, { dtype: 'float64', generator: new RandomGenerator(seedValue) });

describe('fullyConnected', () => {
  test('closed form: x · Wᵀ + b', () => {
    const x = f64([
      [1, 2],
      [3, 4],
    ]);
    const weight = f64([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    const out = fullyConnected(x, weight, f64([10, 20, 30]));
    assert.deepEqual(out.shape, [2, 3]);
    assert.deepEqual(out.toArray(), [
      [11, 22, 33],
      [13, 24, 37],
    ]);
    assert.deepEqual(fullyConnected(x, weight).toArray(), [
      [1, 2, 3],
      [3, 4, 7],
    ]);
  });

  test('flatten=true folds every non-batch axis; flatten=false maps the last axis', () => {
    const x = random([2, 3, 4], 1);
    const flatWeight = random([5, 12], 2);
    const flat = fullyConnected(x, flatWeight, null, { flatten: true });
    assert.deepEqual(flat.shape, [2, 5]);
    const reference = fullyConnected(x.reshape([2, 12]), flatWeight);
    assert.deepEqual(Array.from(flat.data), Array.from(reference.data));
    const lastAxis = fullyConnected(x, random([5, 4], 3), random([5], 4), { flatten: false });
    assert.deepEqual(lastAxis.shape, [2, 3, 5]);
  });

  test('gradients match finite differences (flatten true and false, with and without bias)', () => {
    const withBias = checkGradient(
      (x, w, b) => fullyConnected(x!, w!, b!).square(),
      [random([3, 2, 2], 5), random([4, 4], 6), random([4], 7)],
    );
    assert.ok(withBias.ok, `worst ${withBias.worst}`);
    const lastAxis = checkGradient(
      (x, w) => fullyConnected(x!, w!, null, { flatten: false }).tanh(),
      [random([2, 3, 4], 8), random([2, 4], 9)],
    );
    assert.ok(lastAxis.ok, `worst ${lastAxis.worst}`);
  });

  test('second derivatives (createGraph) match finite differences', () => {
    const result = checkSecondGradient(
      (x, w, b) => fullyConnected(x!, w!, b!).tanh(),
      [random([2, 3], 10), random([2, 3], 11), random([2], 12)],
    );
    assert.ok(result.ok, `worst ${result.worst}`);
  });

  for (const backend of ['wasm', 'js'] as const) {
    test(`float32 (${backend} kernels): values and gradients agree with the float64 computation`, () => {
      setKernelBackend(backend);
      try {
        assert.equal(kernelBackend(), backend);
        const cases: [number[], number[], boolean][] = [
          [[37, 19], [13, 19], true], // ragged rows (not a multiple of 4) and columns (not of 8)
          [[256, 784], [10, 784], true], // the training workload's shape
          [[5, 3, 8], [16, 24], true], // flatten folds (3, 8); 16 units need no padding
          [[2, 3, 8], [6, 8], false], // the last axis only
        ];
        cases.forEach(([xShape, wShape, flatten], c) => {
          const x = uniform(-1, 1, xShape, { dtype: 'float32', generator: new RandomGenerator(40 + c) });
          const w = uniform(-1, 1, wShape, { dtype: 'float32', generator: new RandomGenerator(50 + c) });
          const b = uniform(-1, 1, [wShape[0]!], {
            dtype: 'float32',
            generator: new RandomGenerator(60 + c),
          });
          const run = (xs: NDArray, ws: NDArray, bs: NDArray) => {
            const out = record(() => fullyConnected(xs, ws, bs, { flatten }).square().sum());
            return { out: fullyConnected(xs, ws, bs, { flatten }), grads: grad(out, [xs, ws, bs]) };
          };
          for (const v of [x, w, b]) v.attachGrad();
          const got = run(x, w, b);
          const wide = [x, w, b].map((v) => v.astype('float64').attachGrad());
          const want = run(wide[0]!, wide[1]!, wide[2]!);
          assert.equal(got.out.dtype, 'float32');
          // Float32 sums of up to 784 products: within 1e-5 of the largest entry (an index or
          // transposition mistake is off by the entries' own size).
          const compare = (have: ArrayLike<number>, expected: ArrayLike<number>, what: string) => {
            assert.equal(have.length, expected.length);
            const scale = Array.from(expected).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            for (let i = 0; i < have.length; i++) {
              assert.ok(
                Math.abs(have[i]! - expected[i]!) <= 1e-5 * scale,
                `case ${c} ${what}[${i}]: ${have[i]} vs ${expected[i]}`,
              );
            }
          };
          compare(got.out.data, want.out.data, 'out');
          for (const [i, name] of ['x', 'weight', 'bias'].entries()) {
            compare(got.grads[i]!.data, want.grads[i]!.data, `d${name}`);
          }
        });
      } finally {
        setKernelBackend('auto');
      }
    });
  }

  for (const backend of ['wasm', 'js'] as const) {
    test(`float32 (${backend} kernels): dBias is each column of the output gradient summed in float64, rounded once`, () => {
      setKernelBackend(backend);
      try {
        // Groups of four columns, then two, then one: 10 = 4+4+2, 13 = 4+4+4+1, 7 = 4+2+1, 3 = 2+1
        for (const [rows, units, seedValue] of [
          [256, 10, 80],
          [37, 13, 81],
          [5, 3, 82],
          [9, 7, 83],
        ] as const) {
          const generator = new RandomGenerator(seedValue);
          const x = uniform(-1, 1, [rows, 7], { dtype: 'float32', generator });
          const w = uniform(-1, 1, [units, 7], { dtype: 'float32', generator });
          const b = uniform(-1, 1, [units], { dtype: 'float32', generator }).attachGrad();
          // The output gradient is `weights` itself (d(Σ out ⊙ weights)/d out), exact in float32.
          const weights = uniform(-1000, 1000, [rows, units], { dtype: 'float32', generator });
          const loss = record(() => fullyConnected(x, w, b).mul(weights).sum());
          const [dBias] = grad(loss, [b]);
          assert.equal(dBias!.dtype, 'float32');
          for (let j = 0; j < units; j++) {
            let total = 0;
            let magnitude = 0;
            for (let i = 0; i < rows; i++) {
              total += weights.data[i * units + j]!;
              magnitude += Math.abs(weights.data[i * units + j]!);
            }
            const have = dBias!.data[j]!;
            // The kernel path sums in exactly this order; the js path's sum op may pair terms
            // differently (its float64 sum then differs far below float32's precision).
            if (backend === 'wasm') assert.equal(have, Math.fround(total), `rows ${rows} column ${j}`);
            else
              assert.ok(
                Math.abs(have - total) <= 1e-6 * magnitude,
                `rows ${rows} column ${j}: ${have} vs ${total}`,
              );
          }
        }
      } finally {
        setKernelBackend('auto');
      }
    });
  }

  test('float64 on the wasm kernel equals the float64 loops to 1e-12 (forward and gradients)', () => {
    const run = (backend: 'wasm' | 'js') => {
      setKernelBackend(backend);
      try {
        const x = random([37, 19], 70).attachGrad();
        const w = random([13, 19], 71).attachGrad();
        const b = random([13], 72).attachGrad();
        const out = fullyConnected(x, w, b);
        const loss = record(() => fullyConnected(x, w, b).square().sum());
        return [out, ...grad(loss, [x, w, b])].map((v) => Array.from(v.data));
      } finally {
        setKernelBackend('auto');
      }
    };
    const kernel = run('wasm');
    const loops = run('js');
    for (const [i, name] of ['out', 'dx', 'dWeight', 'dBias'].entries()) {
      const have = kernel[i]!;
      const want = loops[i]!;
      assert.equal(have.length, want.length);
      for (let j = 0; j < want.length; j++) {
        const bound = 1e-12 * Math.max(1, Math.abs(want[j]!));
        if (!(Math.abs(have[j]! - want[j]!) <= bound)) assert.fail(`${name}[${j}]: ${have[j]} vs ${want[j]}`);
      }
    }
  });

  test('integer inputs are converted to the weight dtype', () => {
    const out = fullyConnected(array([[1, 2]], { dtype: 'int32' }), f64([[0.5, 0.25]]));
    assert.equal(out.dtype, 'float64');
    assert.deepEqual(out.toArray(), [[1]]);
  });

  test('shape errors name the argument and shapes', () => {
    assert.throws(() => fullyConnected(random([2, 3], 1), random([4, 2], 2)), ShapeError);
    assert.throws(
      () => fullyConnected(random([2, 3], 1), random([4, 2], 2)),
      /input \[2,3\] has 3 features.*weight \[4,2\] expects 2/,
    );
    assert.throws(
      () => fullyConnected(random([2, 3], 1), random([4, 3], 2), random([3], 3)),
      /bias must have shape \[4\]/,
    );
    assert.throws(() => fullyConnected(random([2, 3], 1), random([12], 2)), /weight must have 2 axes/);
  });
});
