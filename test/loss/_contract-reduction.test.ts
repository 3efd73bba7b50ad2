/**
 * The `reduction` option on every registered loss (ALL_LOSSES), on both kernel backends: each
 * reduction's value is the reduction of the 'none' output and equals the twin (`reference`); its
 * gradients equal the twin's and finite differences, on the one-pass path (only the prediction
 * differentiated) and the block path; sampleWeight and weight apply before the reduction; and two
 * losses with different reductions summed in one graph back-propagate the sum of their gradients.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { grad, record } from '../../src/autograd/index.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { Loss, type LossReduction } from '../../src/loss/_base/index.js';
import { ALL_LOSSES } from '../../src/loss/index.js';
import { array } from '../../src/ndarray/create.js';
import type { DType } from '../../src/ndarray/dtype.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import { add } from '../../src/ops/elementwise.js';
import { numericGradient } from '../../src/testing/gradcheck.js';
import { sampleInputs } from './_sample-inputs.js';

const REDUCTIONS: readonly LossReduction[] = ['perSample', 'none', 'sum', 'mean', 'batchmean'];

function closeTo(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`);
    else assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: got ${a}, expected ${e}`);
  }
}

function inputsOf(loss: Loss, seed: number, dtype: DType = 'float64'): (NDArray | null)[] {
  const inputs = sampleInputs(loss, new RandomGenerator(seed), dtype);
  assert.ok(inputs, `${loss.name}: no sample inputs`);
  return inputs;
}

/** The inputs with `sampleWeight` put in its position (nulls fill any skipped optional input). */
function withSampleWeight(loss: Loss, inputs: readonly (NDArray | null)[], weight: NDArray) {
  const all = [...inputs];
  while (all.length < loss.sampleWeightIndex) all.push(null);
  all[loss.sampleWeightIndex] = weight;
  return all;
}

/** Float inputs the loss differentiates. */
function differentiable(loss: Loss, inputs: readonly (NDArray | null)[]): number[] {
  return inputs.flatMap((x, i) =>
    x && x.dtype !== 'int32' && !loss.discreteInputs.includes(loss.inputNames[i]!) ? [i] : [],
  );
}

/** Whether the loss counts terms its own way for 'mean' (class weights, ignored labels). */
function overridesMeanDenominator(loss: Loss): boolean {
  const hook = (object: object) => (object as { meanDenominator?: unknown }).meanDenominator;
  return hook(loss) !== hook(Loss.prototype);
}

/** Σ over the values; and, for 'perSample', the mean over each sample's values (batch axis 0). */
function total(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
}

/** A head gradient for an output: 0-d for the scalar reductions, varied values otherwise. */
function headFor(out: NDArray): NDArray {
  if (out.ndim === 0) return array(1.7, { dtype: 'float64' });
  return array(
    Array.from({ length: out.size }, (_, i) => 0.5 + i / 3),
    { dtype: 'float64' },
  ).reshape([...out.shape]);
}

after(() => setKernelBackend('auto'));

for (const backend of ['wasm', 'js'] as const) {
  for (const [name, LossClass] of Object.entries(ALL_LOSSES)) {
    describe(`${name}: reductions (${backend} kernels)`, () => {
      test('each reduction is the reduction of the weighted ℓ and equals the twin', () => {
        setKernelBackend(backend);
        for (const seed of [1, 2]) {
          const base = inputsOf(new LossClass(), seed);
          const weighted = new LossClass().sampleWeightIndex >= 0;
          const batch = new LossClass().forward(...base).size;
          const inputs = weighted
            ? withSampleWeight(
                new LossClass(),
                base,
                array(
                  Array.from({ length: batch }, (_, i) => 0.25 + i),
                  { dtype: 'float64' },
                ),
              )
            : base;
          const options = { weight: 1.5 };
          const none = new LossClass({ ...options, reduction: 'none' }).forward(...inputs);
          assert.equal(none.shape[0], batch, `${name}: 'none' keeps the batch axis first`);
          const perSample = new LossClass(options).forward(...inputs);
          const perSampleOfNone = Array.from({ length: batch }, (_, n) => {
            const row = none.data.subarray((n * none.size) / batch, ((n + 1) * none.size) / batch);
            return total(row) / row.length;
          });
          closeTo(perSample.data, perSampleOfNone, 1e-12, 1e-14, `${name} perSample vs none`);
          const sum = total(none.data);
          for (const reduction of REDUCTIONS) {
            const loss = new LossClass({ ...options, reduction });
            const out = loss.forward(...inputs);
            const reference = loss.reference(...inputs);
            assert.deepEqual([...out.shape], [...reference.shape], `${name} ${reduction} shape`);
            closeTo(out.data, reference.data, 1e-10, 1e-12, `${name} ${reduction} vs twin`);
            if (reduction === 'sum') closeTo(out.data, [sum], 1e-12, 1e-14, `${name} sum`);
            if (reduction === 'batchmean')
              closeTo(out.data, [sum / batch], 1e-12, 1e-14, `${name} batchmean`);
            if (reduction === 'mean' && !overridesMeanDenominator(loss))
              closeTo(out.data, [sum / none.size], 1e-12, 1e-14, `${name} mean`);
            if (reduction !== 'perSample' && reduction !== 'none') assert.equal(out.ndim, 0);
          }
          // The scalar weight is a plain factor of every reduction (SDMLLoss, as Gluon, ignores it).
          const applied = new LossClass(options).weight === null ? 1 : 1.5;
          const unweighted = new LossClass({ reduction: 'sum' }).forward(...inputs);
          closeTo([sum], [applied * unweighted.data[0]!], 1e-12, 1e-14, `${name} weight`);
          if (weighted) {
            // sampleWeight multiplies each sample's ℓ: 'none' with weights is 'none' times them.
            const plain = new LossClass({ reduction: 'none' }).forward(...base);
            const perRow = none.size / batch;
            const expected = Array.from(plain.data, (v, k) => applied * v * (0.25 + Math.floor(k / perRow)));
            closeTo(none.data, expected, 1e-12, 1e-14, `${name} sampleWeight under 'none'`);
          }
        }
      });

      test('gradients of every reduction equal the twin and finite differences (block and one-pass)', () => {
        setKernelBackend(backend);
        for (const reduction of REDUCTIONS) {
          const loss = new LossClass({ reduction });
          const inputs = inputsOf(loss, 5);
          const indices = differentiable(loss, inputs);
          const variables = indices.map((i) => inputs[i]!.attachGrad());
          const out = record(() => loss.forward(...inputs));
          const head = headFor(out);
          const fused = grad(out, variables, { headGrads: head });
          const twin = grad(
            record(() => loss.reference(...inputs)),
            variables,
            { headGrads: head },
          );
          indices.forEach((inputIndex, k) => {
            const what = `${name} ${reduction} d/d${loss.inputNames[inputIndex]}`;
            closeTo(fused[k]!.data, twin[k]!.data, 1e-9, 1e-11, `${what} (twin)`);
            const numeric = numericGradient((...xs) => loss.forward(...xs), inputs as NDArray[], inputIndex, {
              headGrad: head,
            });
            closeTo(fused[k]!.data, numeric, 1e-5, 1e-7, `${what} (finite differences)`);
          });
          // createGraph differentiates the twin through the same reduction.
          const [twinFirst] = record(() =>
            grad(loss.forward(...inputs), [variables[0]!], { headGrads: head, createGraph: true }),
          );
          closeTo(twinFirst!.data, fused[0]!.data, 1e-9, 1e-11, `${name} ${reduction} createGraph`);
          // Only the first input differentiated: the one-pass path where the loss has one.
          const first = inputsOf(loss, 5);
          const x = first[0]!.attachGrad();
          const firstOut = record(() => loss.forward(...first));
          const [dx] = grad(firstOut, [x], { headGrads: head });
          closeTo(
            dx!.data,
            fused[0]!.data,
            1e-12,
            1e-15,
            `${name} ${reduction} d/d${loss.inputNames[0]} (first only)`,
          );
        }
      });

      test('float32: the scalar reductions match float64 within float32 rounding', () => {
        setKernelBackend(backend);
        for (const reduction of ['sum', 'mean', 'batchmean', 'none'] as const) {
          const loss = new LossClass({ reduction });
          const single = inputsOf(loss, 7, 'float32');
          const double = inputsOf(loss, 7, 'float64');
          const x = single[0]!.attachGrad();
          const out = record(() => loss.forward(...single));
          assert.equal(out.dtype, 'float32');
          const [dx] = grad(out, [x], { headGrads: headFor(out) });
          const x64 = double[0]!.attachGrad();
          const out64 = record(() => loss.forward(...double));
          const [dx64] = grad(out64, [x64], { headGrads: headFor(out64) });
          closeTo(out.data, out64.data, 1e-4, 1e-5, `${name} ${reduction} value`);
          closeTo(dx!.data, dx64!.data, 1e-4, 1e-5, `${name} ${reduction} gradient`);
        }
      });

      test("in one graph: 'sum' of one loss plus 'mean' of another, one backward", () => {
        setKernelBackend(backend);
        const inputs = inputsOf(new LossClass(), 9);
        const x = inputs[0]!.attachGrad();
        const summed = new LossClass({ reduction: 'sum' });
        const averaged = new LossClass({ reduction: 'mean', weight: 0.5 });
        const both = record(() => add(summed.forward(...inputs), averaged.forward(...inputs)));
        both.backward();
        const combined = Float64Array.from(x.grad!.data);
        const [alone1] = grad(
          record(() => summed.forward(...inputs)),
          [x],
        );
        const [alone2] = grad(
          record(() => averaged.forward(...inputs)),
          [x],
        );
        const expected = Array.from(alone1!.data, (v, k) => v + alone2!.data[k]!);
        closeTo(combined, expected, 1e-12, 1e-15, `${name} summed graph`);
      });
    });
  }
}
