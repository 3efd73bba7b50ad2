import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { normal, RandomGenerator, uniform } from '../../src/ndarray/random.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { record } from '../../src/autograd/index.js';
import { array } from '../../src/ndarray/create.js';
import { PoissonNLLLoss } from '../../src/loss/poisson-nll.js';
import {
  assertClose,
  assertConformance,
  assertGradients,
  assertSecondDerivative,
  f32,
  f64,
  valueAndGradients,
} from './_elementwise-checks.js';

const stirling = (t: number) => t * Math.log(t) - t + 0.5 * Math.log(2 * Math.PI * t);

/** Per-row means of f(pred, target) over a [rows, cols] layout. */
function rowMeans(pred: NDArray, target: NDArray, f: (p: number, t: number) => number): number[] {
  const [rows, cols] = pred.shape as [number, number];
  return Array.from({ length: rows }, (_, r) => {
    let total = 0;
    for (let c = 0; c < cols; c++) total += f(pred.data[r * cols + c]!, target.data[r * cols + c]!);
    return total / cols;
  });
}

/** normal(shape) shifted by |min| so that every value is ≥ 0, as MXNet's test does. */
function shiftedNormal(shape: number[], generator: RandomGenerator): NDArray {
  const x = normal(0, 1, shape, { generator });
  return x.add(Math.abs(Math.min(...x.data)));
}

describe('PoissonNLLLoss', () => {
  test('closed forms: logits, rates, Stirling term', () => {
    const out = new PoissonNLLLoss().forward(f64([[0, 1]]), f64([[1, 2]]));
    assertClose(out.data, [(1 + Math.E - 2) / 2], 1e-15, 0, 'logits');
    const rates = new PoissonNLLLoss({ fromLogits: false }).forward(f64([0.5, 2]), f64([3, 0]));
    assertClose(rates.data, [0.5 - 3 * Math.log(0.5 + 1e-8), 2], 1e-15, 0, 'rates');
    const full = new PoissonNLLLoss({ computeFull: true }).forward(f64([0.2, 0.2, 0.2]), f64([3, 1, 0]));
    assertClose(
      full.data,
      [Math.exp(0.2) - 0.6 + stirling(3), Math.exp(0.2) - 0.2, Math.exp(0.2)],
      1e-15,
      0,
      'computeFull',
    );
  });

  test('gradients in closed form: pred and target', () => {
    const logits = valueAndGradients(new PoissonNLLLoss({ computeFull: true }), [
      f64([0.5, -1]),
      f64([4, 0.5]),
    ]);
    assertClose(logits.grads[0]!.data, [Math.exp(0.5) - 4, Math.exp(-1) - 0.5], 1e-15, 0, 'd/dpred');
    assertClose(logits.grads[1]!.data, [-0.5 + Math.log(4) + 1 / 8, 1], 1e-15, 0, 'd/dtarget');
    const rates = valueAndGradients(new PoissonNLLLoss({ fromLogits: false }), [
      f64([0.5, 2]),
      f64([3, 1]),
      null,
      1e-3,
    ]);
    assertClose(rates.grads[0]!.data, [1 - 3 / 0.501, 1 - 1 / 2.001], 1e-15, 0, 'd/dpred rates');
    assertClose(rates.grads[1]!.data, [-Math.log(0.501), -Math.log(2.001)], 1e-15, 0, 'd/dtarget rates');
  });

  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      assertConformance('cases/PoissonNLLLoss.json', dtype);
    });
  }

  test('MXNet test_poisson_nllloss (2.0): per-row means', () => {
    const generator = new RandomGenerator(31);
    const pred = shiftedNormal([3, 4], generator);
    const target = shiftedNormal([3, 4], generator);
    const logits = new PoissonNLLLoss().forward(pred, target);
    assertClose(
      logits.data,
      rowMeans(pred, target, (p, t) => Math.exp(p) - t * p),
      1e-5,
      1e-6,
      'fromLogits',
    );
    const rates = new PoissonNLLLoss({ fromLogits: false }).forward(pred, target);
    assertClose(
      rates.data,
      rowMeans(pred, target, (p, t) => p - t * Math.log(p + 1e-8)),
      1e-5,
      1e-6,
      'rates',
    );
    const p = uniform(1, 5, [2, 3], { generator });
    const t = uniform(1, 5, [2, 3], { generator });
    const full = new PoissonNLLLoss({ fromLogits: false, computeFull: true }).forward(p, t);
    const expected = rowMeans(p, t, (a, b) => a - b * Math.log(a + 1e-8) + (b > 1 ? stirling(b) : 0));
    assertClose(full.data, expected, 1e-5, 1e-6, 'computeFull');
  });

  test('identities: rates exp(x) with epsilon 0 equal logits x; the full term approximates log(t!)', () => {
    const generator = new RandomGenerator(32);
    const x = uniform(-2, 2, [3, 4], { dtype: 'float64', generator });
    const t = uniform(0, 6, [3, 4], { dtype: 'float64', generator });
    const logits = new PoissonNLLLoss().forward(x, t);
    const rates = new PoissonNLLLoss({ fromLogits: false }).forward(x.exp(), t, null, 0);
    assertClose(rates.data, logits.data, 1e-13, 1e-15, 'exp(x) rates');
    const counts = [2, 5, 10, 40];
    const plain = new PoissonNLLLoss().forward(f64(counts.map(() => 0)), f64(counts));
    const full = new PoissonNLLLoss({ computeFull: true }).forward(f64(counts.map(() => 0)), f64(counts));
    counts.forEach((count, i) => {
      let logFactorial = 0;
      for (let k = 2; k <= count; k++) logFactorial += Math.log(k);
      const term = full.data[i]! - plain.data[i]!;
      // Stirling's error is about 1/(12t).
      assert.ok(Math.abs(term - logFactorial) < 1 / (10 * count), `log(${count}!) ≈ ${term}`);
      assert.ok(term < logFactorial, 'Stirling underestimates log t!');
    });
  });

  test('epsilon: a plain number (default 1e-8) or a one-element array; ignored with logits', () => {
    const rates = new PoissonNLLLoss({ fromLogits: false });
    const x = f64([0, 0.5]);
    const t = f64([1, 2]);
    assertClose(
      rates.forward(x, t).data,
      [-Math.log(1e-8), 0.5 - 2 * Math.log(0.5 + 1e-8)],
      1e-15,
      0,
      'default',
    );
    const explicit = rates.forward(x, t, null, 1e-3);
    assertClose(explicit.data, [-Math.log(1e-3), 0.5 - 2 * Math.log(0.501)], 1e-15, 0, 'epsilon 1e-3');
    assertClose(rates.forward(x, t, null, f64([1e-3])).data, explicit.data, 0, 0, 'one-element array');
    assertClose(rates.forward(x, t, f64([1, 1]), 1e-3).data, explicit.data, 0, 0, 'after a sampleWeight');
    // A float32 pred does not round the plain number: 1 − 1/(0 + 0.1) is exact.
    const { grads } = valueAndGradients(rates, [f32([0]), f32([1]), null, 0.1]);
    assert.equal(grads[0]!.data[0], Math.fround(1 - 1 / 0.1));
    const logits = new PoissonNLLLoss();
    assertClose(logits.forward(x, t, null, 0.5).data, logits.forward(x, t).data, 0, 0, 'ignored');
  });

  test('0·log 0 is 0: rate 0, target 0, epsilon 0', () => {
    const { loss, grads } = valueAndGradients(new PoissonNLLLoss({ fromLogits: false }), [
      f64([0, 2]),
      f64([0, 0]),
      null,
      0,
    ]);
    assertClose(loss.data, [0, 2], 0, 0, 'loss');
    assertClose(grads[0]!.data, [1, 1], 0, 0, 'd/dpred');
    const twin = new PoissonNLLLoss({ fromLogits: false }).reference(f64([0, 2]), f64([0, 0]), null, 0);
    assertClose(twin.data, [0, 2], 0, 0, 'twin');
  });

  test('computeFull: targets 0 and 1 stay finite; the value jumps at 1', () => {
    const loss = new PoissonNLLLoss({ computeFull: true });
    const { loss: value, grads } = valueAndGradients(loss, [
      f64([0.3, 0.3, 0.3, 0.3]),
      f64([0, 1, 1 + 1e-9, 2]),
    ]);
    assert.ok(Array.from(value.data).every(Number.isFinite));
    for (const g of grads) assert.ok(Array.from(g.data).every(Number.isFinite));
    const jump = value.data[2]! - value.data[1]!;
    assertClose([jump], [stirling(1)], 1e-6, 0, 'jump at 1 (= 1·log 1 − 1 + ½·log 2π)');
    assertClose(
      [grads[1]!.data[0]!, grads[1]!.data[1]!],
      [-0.3, -0.3],
      1e-15,
      0,
      'no Stirling gradient at t ≤ 1',
    );
  });

  test('gradients match finite differences and the twin (every option combination)', () => {
    const generator = new RandomGenerator(33);
    const logits = uniform(-2, 2, [3, 4], { dtype: 'float64', generator });
    const rates = uniform(0.2, 3, [3, 4], { dtype: 'float64', generator });
    // Targets on both sides of the jump at 1, none near it.
    const target = f64([
      [0, 0.5, 2, 3.5],
      [1.6, 0.2, 4, 0.9],
      [2.5, 7, 0.4, 1.3],
    ]);
    const sampleWeight = uniform(0.5, 2, [3, 1], { dtype: 'float64', generator });
    for (const fromLogits of [true, false]) {
      for (const computeFull of [false, true]) {
        const loss = new PoissonNLLLoss({ fromLogits, computeFull });
        const pred = fromLogits ? logits : rates;
        assertGradients(loss, [pred, target, sampleWeight]);
      }
    }
    assertGradients(new PoissonNLLLoss({ fromLogits: false, weight: 2, batchAxis: 1 }), [rates, target]);
  });

  test('second derivatives (double backward vs finite differences)', () => {
    const logits = f64([
      [0.3, -1.2, 1],
      [2, -0.1, 0.5],
    ]);
    const rates = f64([
      [0.3, 1.2, 1],
      [2, 0.1, 0.5],
    ]);
    const target = f64([
      [0, 2, 0.5],
      [3, 1.5, 4],
    ]);
    for (const computeFull of [false, true]) {
      const loss = new PoissonNLLLoss({ computeFull });
      assertSecondDerivative(loss, [logits, target], [0, 1], 0, 0);
      assertSecondDerivative(loss, [logits, target], [0, 1], 0, 1);
      // d²ℓ/dt² = 1/t − 1/(2t²) where t > 1 with computeFull; 0 (no dependence at all) without.
      if (computeFull) assertSecondDerivative(loss, [logits, target], [0, 1], 1, 1);
      const rateLoss = new PoissonNLLLoss({ fromLogits: false, computeFull });
      assertSecondDerivative(rateLoss, [rates, target], [0, 1], 0, 0, { rtol: 1e-5, atol: 1e-6 });
      assertSecondDerivative(rateLoss, [rates, target], [0, 1], 1, 0);
    }
  });

  test('extreme logits: finite where the math is', () => {
    for (const magnitude of [88, 1e4, 1e30]) {
      const { loss, grads } = valueAndGradients(new PoissonNLLLoss(), [f64([-magnitude]), f64([3])]);
      assertClose(loss.data, [Math.exp(-magnitude) + 3 * magnitude], 1e-15, 0, `loss at −${magnitude}`);
      assertClose(grads[0]!.data, [Math.exp(-magnitude) - 3], 1e-15, 0, `d/dpred at −${magnitude}`);
      const rates = new PoissonNLLLoss({ fromLogits: false }).forward(f64([magnitude]), f64([3]));
      assertClose(
        rates.data,
        [magnitude - 3 * Math.log(magnitude + 1e-8)],
        1e-15,
        0,
        `rates at ${magnitude}`,
      );
    }
    assertClose(
      new PoissonNLLLoss().forward(f64([88]), f64([1])).data,
      [Math.exp(88) - 88],
      1e-15,
      0,
      'exp(88)',
    );
    assert.equal(
      new PoissonNLLLoss().forward(f64([1e4]), f64([1])).data[0],
      Infinity,
      'exp(1e4) is infinite',
    );
    const float32 = new PoissonNLLLoss().forward(f32([88, -88]), f32([1, 1]));
    assert.ok(Array.from(float32.data).every(Number.isFinite), `float32 at ±88: ${float32.data}`);
  });

  test('NaN stays in its own sample', () => {
    const { loss, grads } = valueAndGradients(new PoissonNLLLoss({ computeFull: true }), [
      f64([
        [Number.NaN, 0],
        [0, 0],
        [0, 0],
      ]),
      f64([
        [2, 2],
        [Number.NaN, 0],
        [2, 3],
      ]),
    ]);
    assert.ok(Number.isNaN(loss.data[0]!));
    assert.ok(Number.isNaN(loss.data[1]!));
    assertClose([loss.data[2]!], [(2 + stirling(2) + stirling(3)) / 2], 1e-15, 0, 'clean sample');
    assertClose(grads[0]!.data.subarray(4), [-0.5, -1], 1e-15, 0, 'clean d/dpred');
  });

  test('rates: a finite rate below −epsilon (where Gluon’s log(x + epsilon) and PyTorch give NaN) or a negative epsilon is a ValueError; recorded or not', () => {
    for (const [pred, position, epsilon] of [
      [f64([[1, -0.5]]), 1, undefined],
      [f64([[-2e-8, 2]]), 0, undefined],
      [f64([[1, -1e-40]]), 1, 0],
    ] as const) {
      for (const computeFull of [false, true]) {
        for (const recorded of [false, true]) {
          const variable = pred.copy();
          if (recorded) variable.attachGrad();
          const run = () =>
            new PoissonNLLLoss({ fromLogits: false, computeFull }).forward(
              variable,
              f64([[1, 2]]),
              null,
              epsilon,
            );
          assert.throws(
            () => (recorded ? record(run) : run()),
            (error: Error) =>
              error instanceof ValueError &&
              error.message.startsWith(
                `PoissonNLLLoss: pred at flat position ${position} is ${pred.data[position]}; rates must be ≥ 0`,
              ),
          );
        }
      }
    }
    const rates = new PoissonNLLLoss({ fromLogits: false });
    assert.throws(
      () => rates.forward(f64([[0, 1]]), f64([[1, 2]]), null, -1e-8),
      /PoissonNLLLoss: input epsilon must be finite and ≥ 0, got -1e-8/,
    );
    // Down to −epsilon, Gluon's value (here t = 1 at x = −5e-9: −5e-9 − log(5e-9)); a rate of 0
    // is valid; log-rates take any real.
    const near = rates.forward(f64([[-5e-9]]), f64([[1]]));
    assertClose(near.data, [-5e-9 - Math.log(-5e-9 + 1e-8)], 1e-14, 0, 'Gluon’s value within epsilon of 0');
    assert.ok(Number.isFinite(rates.forward(f64([[0, 1]]), f64([[1, 2]])).data[0]!));
    assert.ok(Number.isFinite(new PoissonNLLLoss().forward(f64([[-0.5, -3]]), f64([[1, 2]])).data[0]!));
    const poisoned = rates.forward(
      f64([
        [Number.NaN, 1],
        [1, 2],
      ]),
      f64([
        [1, 2],
        [1, 2],
      ]),
    );
    assert.ok(Number.isNaN(poisoned.data[0]!) && Number.isFinite(poisoned.data[1]!));
  });

  test('errors: option types, target count, epsilon', () => {
    assert.throws(() => new PoissonNLLLoss({ fromLogits: 'yes' as never }), ValueError);
    assert.throws(() => new PoissonNLLLoss({ computeFull: 1 as never }), ValueError);
    assert.throws(() => new PoissonNLLLoss({ epsilon: 1e-3 } as never), ValueError);
    const loss = new PoissonNLLLoss({ fromLogits: false });
    assert.throws(
      () => loss.forward(f64([[1, 2]]), f64([1, 2, 3])),
      (e: Error) => e instanceof ShapeError && e.message.includes('target'),
    );
    assert.throws(
      () => loss.forward(f64([1, 2]), f64([1, 2]), null, f64([1e-3, 1e-3])),
      (e: Error) => e instanceof ValueError && e.message.includes('epsilon'),
    );
    assert.throws(() => loss.forward(f64([1, 2]), f64([1, 2]), null, Number.NaN), ValueError);
  });

  test('the one-pass step (only pred differentiated) equals the block path, across its 4096-element chunks', () => {
    class Counting extends PoissonNLLLoss {
      onePassCalls = 0;
      protected override forwardGradient(call: Parameters<PoissonNLLLoss['forwardGradient']>[0]): void {
        this.onePassCalls++;
        super.forwardGradient(call);
      }
    }
    const generator = new RandomGenerator(41);
    for (const dtype of ['float32', 'float64'] as const) {
      // 3 samples of 2000: the chunks of 4096 end inside sample 2.
      const pred = normal(0, 2, [3, 2000], { dtype, generator });
      pred.data[5] = 100;
      pred.data[6] = -100;
      pred.data[2500] = Number.NaN;
      const target = uniform(0, 6, [3, 2000], { dtype, generator });
      target.data.forEach((v, k) => {
        target.data[k] = Math.floor(v);
      });
      for (const computeFull of [false, true]) {
        const onePass = new Counting({ computeFull });
        const variable = pred.copy().attachGrad();
        const sampleWeight = array([0.5, 2, 1.25], { dtype });
        const value = record(() => onePass.forward(variable, target, sampleWeight));
        value.backward();
        assert.equal(onePass.onePassCalls, 1, 'the one-pass step ran');
        const block = new Counting({ computeFull });
        const both = valueAndGradients(block, [pred.copy(), target.copy(), sampleWeight.copy()]);
        assert.equal(block.onePassCalls, 0, 'the block path ran');
        const what = `${dtype} computeFull ${computeFull}`;
        assertClose(value.data, both.loss.data, dtype === 'float32' ? 1e-6 : 1e-13, 0, `${what}: loss`);
        assertClose(variable.grad!.data, both.grads[0]!.data, 0, 0, `${what}: gradient`);
        assert.ok(Number.isNaN(value.data[1]!), 'the NaN stays in its sample');
      }
    }
  });
});
