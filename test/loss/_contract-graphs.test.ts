/**
 * The contract's graph part: every registered loss, in both dtypes and on both kernel backends,
 * gives inside larger graphs exactly what it gives alone. Fast paths keep memory between a call's
 * forward and its backward; these are the patterns where memory or state shared across calls
 * would show up as a wrong gradient:
 * - two calls summed in one record (one loss object, and two objects);
 * - two recorded calls whose backward runs later, in reverse order;
 * - a third, unrelated call (recorded or not) between a call and its backward;
 * - a retained graph run twice;
 * - every ordered pair of registered losses reading one shared prediction in one graph.
 */
import { sampleInputs } from './_sample-inputs.js';
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { array } from '../../src/ndarray/create.js';
import type { DType } from '../../src/ndarray/dtype.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import { ALL_LOSSES } from '../../src/loss/index.js';
import type { Loss } from '../../src/loss/_base/index.js';
import { setKernelBackend } from '../../src/kernels/index.js';

type LossClass = new (options?: Record<string, unknown>) => Loss;
const registry = Object.entries(ALL_LOSSES) as [string, LossClass][];
const BACKENDS = ['wasm', 'js'] as const;
const DTYPES: readonly DType[] = ['float32', 'float64'];

function tolerance(dtype: DType): { rtol: number; atol: number } {
  return dtype === 'float64' ? { rtol: 1e-12, atol: 1e-14 } : { rtol: 2e-6, atol: 1e-7 };
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  dtype: DType,
  what: string,
): void {
  const { rtol, atol } = tolerance(dtype);
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`);
    else assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: got ${a}, expected ${e}`);
  }
}

/** The loss's sample inputs for `seed`, its prediction (first input) as a fresh variable. */
function inputsWithVariable(loss: Loss, seed: number, dtype: DType): (NDArray | null)[] {
  const inputs = sampleInputs(loss, new RandomGenerator(seed), dtype)!;
  inputs[0]!.attachGrad();
  return inputs;
}

/** What the loss gives alone: the per-sample values and the gradient of their sum w.r.t. pred. */
function alone(loss: Loss, seed: number, dtype: DType): { value: number[]; gradient: number[] } {
  const inputs = inputsWithVariable(loss, seed, dtype);
  const out = record(() => loss.forward(...inputs));
  out.backward();
  return { value: Array.from(out.data), gradient: Array.from(inputs[0]!.grad!.data) };
}

function gradientOf(inputs: readonly (NDArray | null)[]): number[] {
  return Array.from(inputs[0]!.grad!.data);
}

for (const backend of BACKENDS) {
  describe(`every loss inside larger graphs, ${backend} kernels`, () => {
    setKernelBackend(backend);
    after(() => setKernelBackend('auto'));

    for (const [name, Class] of registry) {
      test(`${name}: shared graphs give the single-call results`, () => {
        setKernelBackend(backend);
        for (const dtype of DTYPES) {
          const loss = new Class();
          const first = alone(loss, 21, dtype);
          const second = alone(loss, 22, dtype);
          const what = (pattern: string) => `${name} ${dtype} ${backend}: ${pattern}`;

          // Two calls summed in one record, with one loss object and with two.
          for (const pair of [
            [loss, loss],
            [new Class(), new Class()],
          ] as const) {
            const a = inputsWithVariable(loss, 21, dtype);
            const b = inputsWithVariable(loss, 22, dtype);
            record(() =>
              pair[0]
                .forward(...a)
                .sum()
                .add(pair[1].forward(...b).sum()),
            ).backward();
            assertClose(gradientOf(a), first.gradient, dtype, what('first of two summed calls'));
            assertClose(gradientOf(b), second.gradient, dtype, what('second of two summed calls'));
          }

          // Two recorded calls, backward later and in reverse order.
          {
            const a = inputsWithVariable(loss, 21, dtype);
            const b = inputsWithVariable(loss, 22, dtype);
            const outA = record(() => loss.forward(...a));
            const outB = record(() => loss.forward(...b));
            assertClose(outA.data, first.value, dtype, what('value of the first of two calls'));
            outB.backward();
            outA.backward();
            assertClose(gradientOf(a), first.gradient, dtype, what('first call, backward last'));
            assertClose(gradientOf(b), second.gradient, dtype, what('second call, backward first'));
          }

          // A third, unrelated call between a call and its backward: unrecorded, then recorded.
          {
            const a = inputsWithVariable(loss, 21, dtype);
            const outA = record(() => loss.forward(...a));
            loss.forward(...sampleInputs(loss, new RandomGenerator(23), dtype)!);
            const unrelated = inputsWithVariable(loss, 24, dtype);
            const outUnrelated = record(() => loss.forward(...unrelated));
            outA.backward();
            assertClose(gradientOf(a), first.gradient, dtype, what('call with others in between'));
            outUnrelated.backward();
            assertClose(
              gradientOf(unrelated),
              alone(loss, 24, dtype).gradient,
              dtype,
              what('the later call'),
            );
          }

          // A retained graph run twice; the second run overwrites (gradReq write), not adds.
          {
            const a = inputsWithVariable(loss, 21, dtype);
            const outA = record(() => loss.forward(...a));
            outA.backward(undefined, { retainGraph: true });
            assertClose(gradientOf(a), first.gradient, dtype, what('retained graph, first run'));
            // A call in between may reuse memory only once the retained graph is freed.
            record(() => loss.forward(...inputsWithVariable(loss, 22, dtype))).backward();
            outA.backward();
            assertClose(gradientOf(a), first.gradient, dtype, what('retained graph, second run'));
          }
        }
      });
    }
  });
}

/**
 * The two losses' first inputs as functions of shared variables: `shared` is read by both (the
 * first loss's prediction itself, and the second's when the shapes agree), `scale` multiplies the
 * second's own prediction otherwise, so that both losses always feed one variable's gradient.
 */
function pairGraph(
  firstLoss: Loss,
  secondLoss: Loss,
  dtype: DType,
  order: 'first then second' | 'second then first',
) {
  const firstInputs = sampleInputs(firstLoss, new RandomGenerator(31), dtype)!;
  const secondInputs = sampleInputs(secondLoss, new RandomGenerator(32), dtype)!;
  const shared = firstInputs[0]!.attachGrad();
  const own = secondInputs[0]!.attachGrad();
  const scale = array([1], { dtype }).attachGrad();
  const sameShape = shared.shape.join() === own.shape.join();
  const out = record(() => {
    const secondPrediction = sameShape ? shared : own.mul(scale);
    const firstTerm = () => firstLoss.forward(shared, ...firstInputs.slice(1)).sum();
    const secondTerm = () => secondLoss.forward(secondPrediction, ...secondInputs.slice(1)).sum();
    return order === 'first then second' ? firstTerm().add(secondTerm()) : secondTerm().add(firstTerm());
  });
  out.backward();
  return { shared, own, scale, sameShape, value: out.data[0]! };
}

/** The same gradients from one loss at a time (the reference for pairGraph). */
function pairReference(firstLoss: Loss, secondLoss: Loss, dtype: DType) {
  const firstInputs = sampleInputs(firstLoss, new RandomGenerator(31), dtype)!;
  const secondInputs = sampleInputs(secondLoss, new RandomGenerator(32), dtype)!;
  const sameShape = firstInputs[0]!.shape.join() === secondInputs[0]!.shape.join();
  // With equal shapes the second loss reads the first one's prediction (see pairGraph).
  if (sameShape) secondInputs[0] = array(firstInputs[0]!);
  const shared = firstInputs[0]!.attachGrad();
  const firstValue = record(() => firstLoss.forward(...firstInputs).sum());
  firstValue.backward();
  const sharedFromFirst = Array.from(shared.grad!.data);
  const own = secondInputs[0]!.attachGrad();
  const secondValue = record(() => secondLoss.forward(...secondInputs).sum());
  secondValue.backward();
  const ownGradient = Array.from(own.grad!.data);
  return {
    value: firstValue.data[0]! + secondValue.data[0]!,
    sharedFromFirst,
    ownGradient,
    // d/d scale of Σ ℓ₂(scale·own) at scale = 1 is ⟨∇ℓ₂(own), own⟩.
    scaleGradient: ownGradient.reduce((sum, g, i) => sum + g * own.data[i]!, 0),
  };
}

for (const backend of BACKENDS) {
  describe(`every ordered pair of losses on one shared prediction, ${backend} kernels`, () => {
    after(() => setKernelBackend('auto'));
    for (const [firstName, FirstClass] of registry) {
      test(`${firstName} with every loss, both orders, both dtypes`, () => {
        setKernelBackend(backend);
        for (const [secondName, SecondClass] of registry) {
          for (const dtype of DTYPES) {
            const firstLoss = new FirstClass();
            const secondLoss = new SecondClass();
            const reference = pairReference(new FirstClass(), new SecondClass(), dtype);
            for (const order of ['first then second', 'second then first'] as const) {
              const what = `${firstName} + ${secondName} ${dtype} ${backend} (${order})`;
              const graph = pairGraph(firstLoss, secondLoss, dtype, order);
              const { rtol } = tolerance(dtype);
              assert.ok(
                Math.abs(graph.value - reference.value) <= 1e-6 + rtol * 4 * Math.abs(reference.value),
                `${what}: total ${graph.value}, expected ${reference.value}`,
              );
              if (graph.sameShape) {
                const expected = reference.sharedFromFirst.map((g, i) => g + reference.ownGradient[i]!);
                assertClose(graph.shared.grad!.data, expected, dtype, `${what}: shared prediction`);
              } else {
                assertClose(
                  graph.shared.grad!.data,
                  reference.sharedFromFirst,
                  dtype,
                  `${what}: first prediction`,
                );
                assertClose(graph.own.grad!.data, reference.ownGradient, dtype, `${what}: second prediction`);
                const scaleTolerance = dtype === 'float64' ? 1e-10 : 1e-4;
                assert.ok(
                  Math.abs(graph.scale.grad!.data[0]! - reference.scaleGradient) <=
                    scaleTolerance * (1 + Math.abs(reference.scaleGradient)),
                  `${what}: d/d scale ${graph.scale.grad!.data[0]}, expected ${reference.scaleGradient}`,
                );
              }
            }
          }
        }
      });
    }
  });
}
