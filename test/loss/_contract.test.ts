/**
 * The contract every registered loss must meet. It runs for each entry of ALL_LOSSES, so a new
 * loss is covered by adding its export line: fused vs composed twin (values and gradients),
 * float64 finite differences, second derivatives, weighting, stability at extreme logits, NaN
 * confinement, shape and option errors, determinism.
 */
import { hasSampleInputs, sampleInputs } from './_sample-inputs.js';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { grad, record } from '../../src/autograd/index.js';
import { array } from '../../src/ndarray/create.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import { ALL_LOSSES } from '../../src/loss/index.js';
import type { Loss } from '../../src/loss/_base/index.js';
import { numericGradient } from '../../src/testing/gradcheck.js';

function closeTo(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`);
      continue;
    }
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: got ${a}, expected ${e}`);
  }
}

function samples(loss: Loss, seed: number, extreme?: number): (NDArray | null)[] {
  const inputs = sampleInputs(loss, new RandomGenerator(seed), 'float64', extreme);
  assert.ok(inputs, `${loss.name}.sampleInputs returned null without an extreme value`);
  return inputs;
}

function floatIndices(inputs: readonly (NDArray | null)[]): number[] {
  return inputs.flatMap((x, i) => (x && x.dtype !== 'int32' ? [i] : []));
}

/** Inputs whose gradient the loss defines: float inputs, excluding discrete float labels. */
function differentiable(loss: Loss, inputs: readonly (NDArray | null)[]): number[] {
  return floatIndices(inputs).filter((i) => !loss.discreteInputs.includes(loss.inputNames[i]!));
}

/** Losses whose every sample reads the whole batch (a row's negatives are the other rows). */
const BATCH_COUPLED = new Set(['NTXentLoss']);

for (const [name, LossClass] of Object.entries(ALL_LOSSES)) {
  describe(`${name} meets the loss contract`, () => {
    const loss = new LossClass();

    test('has sample inputs (test/loss/_sample-inputs.ts)', () => {
      assert.ok(hasSampleInputs(name), `add a recipe for ${name} to test/loss/_sample-inputs.ts`);
    });

    test('fused forward equals the composed twin (float64)', () => {
      for (const seed of [1, 2, 3]) {
        const inputs = samples(loss, seed);
        const fused = loss.forward(...inputs);
        const reference = loss.reference(...inputs);
        assert.deepEqual(fused.shape, reference.shape);
        closeTo(fused.data, reference.data, 1e-10, 1e-12, `${name} seed ${seed}`);
      }
    });

    test('returns one value per sample', () => {
      const inputs = samples(loss, 4);
      const out = loss.forward(...inputs);
      assert.equal(out.ndim, 1);
      assert.equal(out.dtype, 'float64');
    });

    test('fused gradients equal the twin gradients and finite differences (float64)', () => {
      const inputs = samples(loss, 5);
      const indices = differentiable(loss, inputs);
      assert.ok(indices.length > 0, 'has a differentiable input');
      const variables = indices.map((i) => inputs[i]!.attachGrad());
      const fusedOut = record(() => loss.forward(...inputs));
      const head = array(
        Array.from({ length: fusedOut.size }, (_, i) => 0.5 + i / 3),
        { dtype: 'float64' },
      );
      const fused = grad(fusedOut, variables, { headGrads: head });
      const twinOut = record(() => loss.reference(...inputs));
      const twin = grad(twinOut, variables, { headGrads: head });
      indices.forEach((inputIndex, k) => {
        const what = `${name} d/d${loss.inputNames[inputIndex]}`;
        closeTo(fused[k]!.data, twin[k]!.data, 1e-9, 1e-11, `${what} (twin)`);
        const numeric = numericGradient((...xs) => loss.forward(...xs), inputs as NDArray[], inputIndex, {
          headGrad: head,
        });
        closeTo(fused[k]!.data, numeric, 1e-5, 1e-7, `${what} (finite differences)`);
      });
    });

    test('differentiating only the first input (fused where the loss allows) matches the general path', () => {
      for (const dtype of ['float64', 'float32'] as const) {
        const rtol = dtype === 'float64' ? 1e-12 : 2e-6;
        const atol = dtype === 'float64' ? 1e-15 : 1e-7;
        const make = () => sampleInputs(loss, new RandomGenerator(12), dtype)!;
        const withWeights = (inputs: (NDArray | null)[], weights: NDArray | null) => {
          const all = [...inputs];
          if (weights === null || loss.sampleWeightIndex < 0) return all;
          while (all.length < loss.sampleWeightIndex) all.push(null);
          all[loss.sampleWeightIndex] = weights;
          return all;
        };
        const batch = loss.forward(...make()).size;
        const weightOptions: (NDArray | null)[] = [
          null,
          array(
            Array.from({ length: batch }, (_, i) => 0.5 + i),
            { dtype },
          ),
        ];
        for (const weights of weightOptions) {
          const what = `${name} ${dtype}${weights ? ' per-sample weights' : ''}`;
          const head = array(
            Array.from({ length: batch }, (_, i) => 1.5 - i / 4),
            { dtype },
          );
          // The general path: every differentiable input recorded.
          const general = make();
          const indices = differentiable(loss, general);
          const variables = indices.map((i) => general[i]!.attachGrad());
          const generalOut = record(() => loss.forward(...withWeights(general, weights)));
          const generalGrad = grad(generalOut, variables, { headGrads: head })[0]!;
          const generalOnes = grad(
            record(() => loss.forward(...withWeights(general, weights))),
            variables,
          )[0]!;
          // Only the first: the fused path for the elementwise losses.
          const only = make();
          const x = only[indices[0]!]!.attachGrad();
          const out = record(() => loss.forward(...withWeights(only, weights)));
          closeTo(out.data, generalOut.data, rtol, atol, `${what} loss`);
          closeTo(
            grad(out, [x], { headGrads: head, retainGraph: true })[0]!.data,
            generalGrad.data,
            rtol,
            atol,
            `${what} head`,
          );
          // Into x.grad (the buffer the pass offers), twice from a retained graph.
          out.backward(undefined, { retainGraph: true });
          closeTo(x.grad!.data, generalOnes.data, rtol, atol, `${what} backward`);
          x.grad!.data.fill(7);
          out.backward();
          closeTo(x.grad!.data, generalOnes.data, rtol, atol, `${what} second backward`);
          // A second recorded call before the first one's backward (it may take the first's
          // gradient memory, which the first must then do without).
          const firstCall = record(() => loss.forward(...withWeights(only, weights)));
          const secondCall = record(() => loss.forward(...withWeights(make(), weights)));
          firstCall.backward();
          closeTo(x.grad!.data, generalOnes.data, rtol, atol, `${what} after a second call`);
          assert.ok(secondCall.size === batch);
        }
      }
    });

    test('second derivatives equal finite differences of the first', () => {
      const inputs = samples(loss, 6);
      const [first] = differentiable(loss, inputs);
      const x = inputs[first!]!;
      const direction = array(
        Array.from({ length: x.size }, (_, i) => Math.cos(i + 1)),
        { dtype: 'float64' },
      ).reshape(x.shape);
      x.attachGrad();
      // d/dx ⟨∇ₓ Σℓ, v⟩ by double backward …
      const out = record(() => loss.forward(...inputs));
      const analytic = record(() => {
        const [g] = grad(out, [x], { createGraph: true });
        const along = g!.mul(direction).sum();
        // A gradient that does not depend on x (a loss linear in it, such as NLLLoss) has none.
        return along.requiresGrad
          ? grad(along, [x])[0]!
          : array(new Array(x.size).fill(0), { dtype: 'float64' });
      });
      // … against central differences of the (fused) first derivative.
      const firstDerivative = (...xs: NDArray[]) => {
        const probe = xs[first!]!;
        probe.attachGrad();
        const o = record(() => loss.forward(...xs));
        return grad(o, [probe])[0]!.mul(direction).sum();
      };
      const numeric = numericGradient(firstDerivative, inputs as NDArray[], first!, { step: 1e-5 });
      closeTo(analytic.data, numeric, 1e-4, 1e-6, `${name} second derivative`);
    });

    test('weighting: ones change nothing, weight scales linearly', () => {
      if (loss.sampleWeightIndex < 0) return;
      const inputs = samples(loss, 7);
      const base = loss.forward(...inputs);
      const withOnes = [...inputs];
      while (withOnes.length < loss.sampleWeightIndex) withOnes.push(null);
      withOnes[loss.sampleWeightIndex] = array(new Array(base.size).fill(1), { dtype: 'float64' });
      closeTo(loss.forward(...withOnes).data, base.data, 1e-12, 0, `${name} sampleWeight ones`);
      const doubled = new LossClass({ weight: 2 * (loss.weight ?? 1) }).forward(...inputs);
      closeTo(
        doubled.data,
        Array.from(base.data, (v) => 2 * v),
        1e-12,
        1e-300,
        `${name} weight x2`,
      );
      const halfWeights = [...withOnes];
      halfWeights[loss.sampleWeightIndex] = array(
        Array.from({ length: base.size }, (_, i) => i + 1),
        { dtype: 'float64' },
      );
      closeTo(
        loss.forward(...halfWeights).data,
        Array.from(base.data, (v, i) => v * (i + 1)),
        1e-12,
        1e-300,
        `${name} per-sample weights`,
      );
    });

    test('stays finite at extreme logits (±88, ±1e4, ±1e30)', () => {
      for (const extreme of [88, 1e4, 1e30]) {
        const inputs = sampleInputs(loss, new RandomGenerator(8), 'float64', extreme);
        if (!inputs) continue;
        const indices = differentiable(loss, inputs);
        const variables = indices.map((i) => inputs[i]!.attachGrad());
        const out = record(() => loss.forward(...inputs));
        assert.ok(Array.from(out.data).every(Number.isFinite), `${name} loss at ${extreme}: ${out.data}`);
        const grads = grad(out, variables);
        grads.forEach((g, k) => {
          assert.ok(
            Array.from(g.data).every(Number.isFinite),
            `${name} d/d${loss.inputNames[indices[k]!]} at ${extreme}`,
          );
        });
      }
      const float32 = sampleInputs(loss, new RandomGenerator(9), 'float32', 88);
      if (float32) {
        const out = loss.forward(...float32);
        assert.ok(Array.from(out.data).every(Number.isFinite), `${name} float32 loss at 88: ${out.data}`);
      }
    });

    test('a NaN input stays inside its own sample', () => {
      const inputs = samples(loss, 10);
      const before = loss.forward(...inputs);
      if (before.size < 2) return;
      if (BATCH_COUPLED.has(name)) {
        // A sample's loss reads other samples' rows, so the NaN may reach them: only its own is checked.
        const poisoned = inputs.map((x) => (x ? array(x) : null));
        poisoned[0]!.data[0] = Number.NaN;
        assert.ok(Number.isNaN(loss.forward(...poisoned).data[0]!), `${name}: sample 0 should be NaN`);
        return;
      }
      const [first] = floatIndices(inputs);
      const poisoned = inputs.map((x) => (x ? array(x) : null));
      poisoned[first!]!.data[0] = Number.NaN;
      const after = loss.forward(...poisoned);
      assert.ok(Number.isNaN(after.data[0]!), `${name}: sample 0 should be NaN, got ${after.data[0]}`);
      closeTo(after.data.subarray(1), before.data.subarray(1), 0, 0, `${name} other samples`);
    });

    test('a second input with the wrong element count is a ShapeError naming the loss', () => {
      const inputs = samples(loss, 11);
      const second = inputs[1]!;
      const wrong = array(new Array(second.size + 1).fill(second.dtype === 'int32' ? 0 : 0.5), {
        dtype: second.dtype,
      });
      const bad = [...inputs];
      bad[1] = wrong;
      assert.throws(
        () => loss.forward(...bad),
        (error: Error) => error instanceof ShapeError && error.message.includes(name),
      );
    });

    test('unknown and non-finite options are ValueErrors at construction', () => {
      assert.throws(() => new LossClass({ notAnOption: 1 }), ValueError);
      assert.throws(() => new LossClass({ weight: Number.NaN }), ValueError);
      assert.match(loss.toString(), new RegExp(`^${name}\\(`));
    });

    test('is deterministic', () => {
      const a = loss.forward(...samples(loss, 12));
      const b = loss.forward(...samples(loss, 12));
      assert.deepEqual(Array.from(a.data), Array.from(b.data));
    });
  });
}
