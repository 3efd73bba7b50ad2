import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { SigmoidBinaryCrossEntropyLoss } from '../../src/loss/sigmoid-bce.js';
import { SigmoidFocalLoss } from '../../src/loss/sigmoid-focal.js';
import { ValueError } from '../../src/ndarray/errors.js';
import { normal, RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { assertClose, assertGradients, f32, f64, valueAndGradients } from './_elementwise-checks.js';

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** torchvision's formula for one element, in float64, with 1 − p_t written without cancellation. */
function focal(x: number, t: number, alpha: number | null = 0.25, gamma = 2): number {
  const ce = t * softplus(-x) + (1 - t) * softplus(x);
  const q = t * sigmoid(-x) + (1 - t) * sigmoid(x);
  const a = alpha === null ? 1 : alpha * t + (1 - alpha) * (1 - t);
  return a * q ** gamma * ce;
}

describe('SigmoidFocalLoss', () => {
  test('the TSDoc example and the formula, per-sample mean, both dtypes and backends', () => {
    for (const backend of ['js', 'wasm'] as const) {
      setKernelBackend(backend);
      try {
        for (const make of [f32, f64]) {
          const out = new SigmoidFocalLoss().forward(make([[2, -1]]), make([[1, 0]]));
          assertClose(out.data, [(focal(2, 1) + focal(-1, 0)) / 2], 1e-6, 0, `${backend}`);
          assertClose(out.data, [0.00872222], 1e-6, 0, 'example');
        }
      } finally {
        setKernelBackend('auto');
      }
    }
  });

  test('gamma 0 with alpha 0.5 is half of SigmoidBCE (values and gradients)', () => {
    const pred = normal(0, 3, [3, 4], { dtype: 'float64', generator: new RandomGenerator(1) });
    const label = uniform(0, 1, [3, 4], { dtype: 'float64', generator: new RandomGenerator(2) });
    const focalOut = valueAndGradients(new SigmoidFocalLoss({ alpha: 0.5, gamma: 0 }), [pred, label]);
    const bce = valueAndGradients(new SigmoidBinaryCrossEntropyLoss({ weight: 0.5 }), [
      pred.copy(),
      label.copy(),
    ]);
    assertClose(focalOut.loss.data, bce.loss.data, 1e-14, 1e-16, 'loss');
    focalOut.grads.forEach((g, i) => {
      assertClose(g.data, bce.grads[i]!.data, 1e-13, 1e-16, `grad ${i}`);
    });
  });

  test('fused gradients equal finite differences and the twin (logits and probabilities, soft labels)', () => {
    const generator = new RandomGenerator(7);
    const logits = normal(0, 2, [3, 4], { dtype: 'float64', generator });
    const probabilities = uniform(0.05, 0.95, [3, 4], { dtype: 'float64', generator });
    const label = uniform(0, 1, [3, 4], { dtype: 'float64', generator });
    const weights = uniform(0.5, 2, [3], { dtype: 'float64', generator });
    for (const [options, pred] of [
      [{}, logits],
      [{ alpha: null, gamma: 0.5 }, logits],
      [{ alpha: 0.9, gamma: 3 }, logits],
      [{ fromSigmoid: true }, probabilities],
      [{ fromSigmoid: true, gamma: 1.5, alpha: 0.1 }, probabilities],
    ] as const) {
      assertGradients(new SigmoidFocalLoss(options), [pred, label, weights]);
    }
  });

  test('a confident right logit keeps its digits: 1 − p_t = e^−30 is not rounded to 0', () => {
    const out = new SigmoidFocalLoss().forward(f64([[30, -30]]), f64([[1, 0]]));
    // Each element: 0.25·σ(−30)²·softplus(−30) or 0.75·σ(−30)²·softplus(−30).
    const tiny = sigmoid(-30) ** 2 * Math.log1p(Math.exp(-30));
    assertClose(out.data, [(0.25 * tiny + 0.75 * tiny) / 2], 1e-13, 0, 'near-certain');
    assert.ok(out.data[0]! > 0);
  });

  test('logits of ±1e30 give finite closed-form values and gradients', () => {
    const { loss, grads } = valueAndGradients(new SigmoidFocalLoss(), [
      f64([[1e30, -1e30, 1e30, -1e30]]),
      f64([[1, 1, 0, 0.5]]),
    ]);
    // Right and certain: 0. Wrong and certain (x = −1e30, t = 1): 0.25·1e30.
    // x = 1e30, t = 0: 0.75·1e30. Soft t = 0.5 at −1e30: 0.5·(0.5·1e30)·0.5² = 0.0625e30.
    assertClose(loss.data, [(0.25e30 + 0.75e30 + 0.0625e30) / 4], 1e-15, 0, 'loss');
    assert.ok(Array.from(grads[0]!.data).every(Number.isFinite), `d/dpred ${grads[0]!.data}`);
    // d/dx where wrong and certain: a·(p − t) = −0.25 and 0.75, over 4 elements.
    assertClose(grads[0]!.data.subarray(0, 3), [0, -0.25 / 4, 0.75 / 4], 1e-15, 1e-300, 'd/dpred');
  });

  test('fromSigmoid: exact logs; p = t in {0, 1} gives 0 and zero gradients, p = 0 with t = 1 +Infinity', () => {
    const { loss, grads } = valueAndGradients(new SigmoidFocalLoss({ fromSigmoid: true }), [
      f64([[1, 0]]),
      f64([[1, 0]]),
    ]);
    assert.deepEqual(Array.from(loss.data), [0]);
    assert.deepEqual(
      grads.map((g) => Array.from(g.data, Math.abs)),
      [
        [0, 0],
        [0, 0],
      ],
    );
    const infinite = new SigmoidFocalLoss({ fromSigmoid: true }).forward(f64([[0]]), f64([[1]]));
    assert.deepEqual(Array.from(infinite.data), [Number.POSITIVE_INFINITY]);
    // Without alpha weighting (or at alpha ½), p = 0 under a soft label t = ½: ℓ = +Infinity and
    // ∂ℓ/∂t = −log p + log(1 − p) = +Infinity, not 0 · ∞ = NaN from the weight's zero slope.
    for (const alpha of [null, 0.5]) {
      for (const gamma of [0, 2]) {
        const soft = valueAndGradients(new SigmoidFocalLoss({ fromSigmoid: true, alpha, gamma }), [
          f64([[0]]),
          f64([[0.5]]),
        ]);
        assert.deepEqual(
          Array.from(soft.loss.data),
          [Number.POSITIVE_INFINITY],
          `alpha ${alpha}, gamma ${gamma}`,
        );
        assert.deepEqual(
          soft.grads.map((g) => Array.from(g.data)),
          [[Number.NEGATIVE_INFINITY], [Number.POSITIVE_INFINITY]],
          `alpha ${alpha}, gamma ${gamma}: gradients`,
        );
      }
    }
  });

  test('the one-pass step (only pred differentiated) equals the block path (label differentiated too)', () => {
    class Counting extends SigmoidFocalLoss {
      onePassCalls = 0;
      protected override forwardGradient(call: Parameters<SigmoidFocalLoss['forwardGradient']>[0]): void {
        this.onePassCalls++;
        super.forwardGradient(call);
      }
    }
    const generator = new RandomGenerator(31);
    for (const dtype of ['float32', 'float64'] as const) {
      for (const fromSigmoid of [false, true]) {
        const raw = normal(0, 3, [6, 5], { dtype, generator });
        raw.data[3] = 1e30;
        raw.data[4] = -1e30;
        raw.data[7] = 0;
        raw.data[9] = Number.NaN;
        const pred = fromSigmoid ? uniform(0, 1, [6, 5], { dtype, generator }) : raw;
        if (fromSigmoid) {
          pred.data[0] = 0;
          pred.data[1] = 1;
        }
        const label = uniform(0, 1, [6, 5], { dtype, generator });
        label.data[0] = 0;
        label.data[1] = 1;
        for (const options of [{}, { alpha: null, gamma: 0.5 }, { alpha: 0.9, gamma: 0 }]) {
          const onePass = new Counting({ ...options, fromSigmoid });
          const variable = pred.copy().attachGrad();
          const value = record(() => onePass.forward(variable, label));
          value.backward();
          const fused = { loss: value, grads: [variable.grad!] };
          assert.equal(onePass.onePassCalls, 1, 'the one-pass step ran');
          const block = new Counting({ ...options, fromSigmoid });
          const both = valueAndGradients(block, [pred.copy(), label.copy()]);
          assert.equal(block.onePassCalls, 0, 'the block path ran');
          const what = `${dtype} fromSigmoid ${fromSigmoid} ${JSON.stringify(options)}`;
          assertClose(fused.loss.data, both.loss.data, 1e-15, 0, `${what}: loss`);
          assertClose(fused.grads[0]!.data, both.grads[0]!.data, 1e-15, 0, `${what}: gradient`);
        }
      }
    }
  });

  test('a finite probability (fromSigmoid) or label outside [0, 1] is a ValueError naming the input, its position and value; NaN and ±Infinity propagate', () => {
    for (const [bad, position] of [
      [[0.2, -1e-40], 1],
      [[1.5, 0.3], 0],
      [[0.2, -0.5], 1],
    ] as const) {
      assert.throws(
        () => new SigmoidFocalLoss({ fromSigmoid: true }).forward(f64([[...bad]]), f64([[1, 0.5]])),
        (error: Error) =>
          error instanceof ValueError &&
          new RegExp(`SigmoidFocalLoss: pred at flat position ${position} is ${bad[position]}`).test(
            error.message,
          ),
      );
    }
    // Logits take any real; NaN and +Infinity probabilities make their own sample NaN.
    assert.ok(Number.isFinite(new SigmoidFocalLoss().forward(f64([[1.5, -0.5]]), f64([[1, 0]])).data[0]!));
    // A label outside [0, 1] makes 1 − p_t negative where p is small (here 1 − p_t ≈ −0.49 at
    // x = −5, t = 1.5), and its power γ = 0.5 NaN: a ValueError too, logits or probabilities.
    for (const fromSigmoid of [false, true]) {
      for (const [labels, position] of [
        [[1.5, 0], 0],
        [[1, -1e-40], 1],
      ] as const) {
        const pred = fromSigmoid ? f64([[0.0067, 0.5]]) : f64([[-5, 0]]);
        assert.throws(
          () => new SigmoidFocalLoss({ fromSigmoid, gamma: 0.5 }).forward(pred, f64([[...labels]])),
          (error: Error) =>
            error instanceof ValueError &&
            error.message.startsWith(
              `SigmoidFocalLoss: label at flat position ${position} is ${labels[position]}; labels must lie in [0, 1]`,
            ),
        );
      }
    }
    const poisoned = new SigmoidFocalLoss({ fromSigmoid: true }).forward(
      f64([
        [0.2, Number.NaN],
        [0.3, 0.4],
      ]),
      f64([
        [1, 0],
        [1, 0],
      ]),
    );
    assert.ok(Number.isNaN(poisoned.data[0]!) && Number.isFinite(poisoned.data[1]!));
  });

  test('option errors name the loss, the option and the value', () => {
    assert.throws(
      () => new SigmoidFocalLoss({ alpha: -1 }),
      /SigmoidFocalLoss: option alpha must lie in \[0, 1\] \(or be null/,
    );
    assert.throws(() => new SigmoidFocalLoss({ alpha: 1.5 }), ValueError);
    assert.throws(() => new SigmoidFocalLoss({ gamma: -0.5 }), /option gamma must be >= 0, got -0.5/);
    assert.throws(() => new SigmoidFocalLoss({ gamma: null as never }), /gamma must be a finite number/);
    assert.throws(
      () => new SigmoidFocalLoss({ fromSigmoid: null as never }),
      /fromSigmoid must be true or false/,
    );
    assert.equal(new SigmoidFocalLoss({ alpha: null }).alpha, null);
  });
});
