/**
 * SoftmaxFocalLoss's one-pass path (forwardGradient: sparse labels, class axis last, a recorded
 * call where only pred needs a gradient) against its block path, closed forms, the twin, finite
 * differences and SoftmaxCrossEntropyLoss; which calls take which path.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import type { LossReduction } from '../../src/loss/_base/index.js';
import { SoftmaxCrossEntropyLoss } from '../../src/loss/softmax-ce.js';
import { SoftmaxFocalLoss, type SoftmaxFocalLossOptions } from '../../src/loss/softmax-focal.js';
import { array } from '../../src/ndarray/create.js';
import type { DType } from '../../src/ndarray/dtype.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator, randint } from '../../src/ndarray/random.js';
import { logSoftmax } from '../../src/ops/activation.js';
import { assertFusedGradients, unevenHead } from './_closure-checks.js';
import { assertClose, f32, f64 } from './_elementwise-checks.js';

/** Counts the calls that take the one-pass path. */
class CountingFocal extends SoftmaxFocalLoss {
  onePassCalls = 0;
  protected override forwardGradient(call: never): void {
    this.onePassCalls++;
    super.forwardGradient(call);
  }
}

/** The same loss on the block path only. */
class BlockFocal extends SoftmaxFocalLoss {
  protected override canFuseGradient(): boolean {
    return false;
  }
}

const i32 = (values: Parameters<typeof array>[0]) => array(values, { dtype: 'int32' });

function logits(seed: number, shape: number[], dtype: DType, scale = 2): NDArray {
  return normal(0, scale, shape, { dtype, generator: new RandomGenerator(seed) });
}

function classes(seed: number, shape: number[], count: number): NDArray {
  return randint(0, count, shape, { generator: new RandomGenerator(seed) });
}

/** One recorded step: the loss and pred's gradient (head of ones unless given). */
function step(
  loss: SoftmaxFocalLoss | SoftmaxCrossEntropyLoss,
  pred: NDArray,
  label: NDArray,
  sampleWeight: NDArray | null = null,
  head: NDArray | null = null,
): { loss: Float64Array; grad: Float64Array } {
  const x = pred.copy().attachGrad();
  const out = record(() => loss.forward(x, label, sampleWeight));
  out.backward(head);
  return { loss: Float64Array.from(out.data), grad: Float64Array.from(x.grad!.data) };
}

/** The step on both paths, asserting which ran; returns both. */
function bothPaths(
  options: SoftmaxFocalLossOptions,
  pred: NDArray,
  label: NDArray,
  sampleWeight: NDArray | null = null,
  head: NDArray | null = null,
) {
  const counting = new CountingFocal(options);
  const onePass = step(counting, pred, label, sampleWeight, head);
  assert.equal(counting.onePassCalls, 1, 'the recorded call takes the one-pass path');
  const block = step(new BlockFocal(options), pred, label, sampleWeight, head);
  return { onePass, block };
}

const TOLERANCE: Record<'float32' | 'float64', { rtol: number; atol: number }> = {
  float32: { rtol: 2e-6, atol: 1e-9 },
  float64: { rtol: 1e-12, atol: 1e-15 },
};

describe('SoftmaxFocalLoss one-pass path', () => {
  test('which calls take it: recorded, sparse, class axis last, only pred differentiated', () => {
    const pred = logits(1, [6, 5], 'float64');
    const label = classes(2, [6], 5);
    const counting = new CountingFocal();
    step(counting, pred, label);
    step(counting, pred, label, f64([1, 2, 0, 1, 1, 3]));
    assert.equal(counting.onePassCalls, 2, 'plain and per-sample sampleWeight');
    counting.forward(pred.copy().attachGrad(), label);
    assert.equal(counting.onePassCalls, 2, 'an unrecorded forward takes the block path');
    const weight = f64([1, 2, 0, 1, 1, 3]).attachGrad();
    step(counting, pred, label, weight);
    assert.equal(counting.onePassCalls, 2, 'a sampleWeight that needs a gradient takes the block path');
    const declined: [string, SoftmaxFocalLossOptions, NDArray, NDArray][] = [
      [
        'dense labels',
        { sparseLabel: false },
        pred,
        f64(Array.from({ length: 30 }, () => 0.2)).reshape([6, 5]),
      ],
      ['class axis 0', { axis: 0 }, pred, classes(3, [5], 6)],
      ["reduction 'none'", { reduction: 'none' }, pred, label],
    ];
    for (const [what, options, x, y] of declined) {
      const loss = new CountingFocal(options);
      step(loss, x, y);
      assert.equal(loss.onePassCalls, 0, what);
    }
  });

  for (const dtype of ['float32', 'float64'] as const) {
    test(`equals the block path (${dtype}): alpha scalar, per class, null; gamma 0, 0.5, 2, 3.7; fromLogits`, () => {
      const shape = [37, 11];
      const pred = logits(4, shape, dtype);
      const label = classes(5, [37], 11);
      const head = unevenHead(37).astype(dtype);
      const perClass = Array.from({ length: 11 }, (_, c) => 0.1 + 0.07 * c);
      for (const alpha of [0.25, perClass, null]) {
        for (const gamma of [0, 0.5, 2, 3.7]) {
          const { onePass, block } = bothPaths({ alpha, gamma }, pred, label, null, head);
          const { rtol, atol } = TOLERANCE[dtype];
          const what = `alpha ${Array.isArray(alpha) ? 'per class' : alpha} gamma ${gamma}`;
          assertClose(onePass.loss, block.loss, rtol, atol, `${what}: loss`);
          assertClose(onePass.grad, block.grad, rtol, atol, `${what}: gradient`);
        }
      }
      // fromLogits: log-probabilities, only the label's entry is nonzero.
      const logP = logSoftmax(pred, -1);
      const { onePass, block } = bothPaths({ fromLogits: true, alpha: perClass, gamma: 1.5 }, logP, label);
      assertClose(onePass.loss, block.loss, TOLERANCE[dtype].rtol, 0, 'fromLogits loss');
      assertClose(onePass.grad, block.grad, TOLERANCE[dtype].rtol, 0, 'fromLogits gradient');
      assert.equal(onePass.grad.filter((g) => g !== 0).length, 37, 'one entry per row');
    });

    test(`equals the block path (${dtype}): sampleWeight (0, per sample), weight, reductions, rows per sample`, () => {
      const reductions: LossReduction[] = ['perSample', 'sum', 'mean', 'batchmean'];
      // [N, T, C]: a sample is T rows (ℓ is [N, T, 1], averaged over T per sample).
      const pred = logits(6, [5, 3, 7], dtype);
      const label = classes(7, [5, 3], 7);
      const sampleWeight = array([0, 1.5, 1, 0.25, 3], { dtype });
      for (const reduction of reductions) {
        for (const weight of [null, 0.7]) {
          for (const sw of [null, sampleWeight]) {
            const options = { alpha: 0.4, gamma: 2, weight, reduction };
            const { onePass, block } = bothPaths(options, pred, label, sw);
            const { rtol, atol } = TOLERANCE[dtype];
            const what = `${reduction} weight ${weight} sampleWeight ${sw ? 'yes' : 'no'}`;
            assertClose(onePass.loss, block.loss, rtol, atol, `${what}: loss`);
            assertClose(onePass.grad, block.grad, rtol, atol, `${what}: gradient`);
            if (sw && reduction === 'perSample') {
              assert.ok(
                onePass.grad.slice(0, 21).every((g) => g === 0),
                'sampleWeight 0: zero gradient',
              );
              assert.equal(onePass.loss[0], 0);
            }
          }
        }
      }
    });
  }

  test('a call of several pieces (the rows of a sample on both sides of a piece boundary) equals the block path', () => {
    // 150 rows of 1000 logits: pieces of 131 rows, so sample 43 (rows 129-131) spans two.
    for (const dtype of ['float32', 'float64'] as const) {
      const pred = logits(19, [50, 3, 1000], dtype);
      const label = classes(20, [50, 3], 1000);
      const sampleWeight = array(
        Array.from({ length: 50 }, (_, i) => 1 + (i % 4)),
        { dtype },
      );
      const { onePass, block } = bothPaths({ alpha: 0.3, gamma: 2.5 }, pred, label, sampleWeight);
      const { rtol, atol } = TOLERANCE[dtype];
      assertClose(onePass.loss, block.loss, rtol, atol, `${dtype} loss`);
      assertClose(onePass.grad, block.grad, rtol, atol, `${dtype} gradient`);
    }
  });

  test('float64 one-pass gradients equal finite differences and the twin (several rows per sample)', () => {
    const cases: [SoftmaxFocalLossOptions, number[]][] = [
      [{}, [4, 5]],
      [{ alpha: [0.5, 1, 2, 0.25, 1], gamma: 0.5 }, [3, 2, 5]],
      [{ alpha: null, gamma: 3 }, [4, 5]],
      [{ fromLogits: true, gamma: 1 }, [4, 5]],
    ];
    for (const [options, shape] of cases) {
      const pred = logits(8, shape, 'float64', 1.5);
      const x = options.fromLogits ? logSoftmax(pred, -1) : pred;
      const label = classes(9, shape.slice(0, -1), 5);
      const weights = f64(Array.from({ length: shape[0]! }, (_, i) => 0.5 + i));
      const loss = new CountingFocal(options);
      assertFusedGradients(loss, ([p]) => [p!, label, weights], [x]);
      assert.ok(loss.onePassCalls > 0, `${JSON.stringify(options)}: the checks ran the one-pass path`);
    }
  });

  test('gamma 0 is alpha-weighted SoftmaxCrossEntropyLoss on the one-pass path (both dtypes)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const pred = logits(10, [64, 9], dtype, 4);
      const label = classes(11, [64], 9);
      const perClass = Array.from({ length: 9 }, (_, c) => 0.5 + c / 4);
      const cases: [SoftmaxFocalLossOptions, SoftmaxCrossEntropyLoss, number][] = [
        [{ alpha: null, gamma: 0 }, new SoftmaxCrossEntropyLoss(), 1],
        [{ alpha: 0.25, gamma: 0 }, new SoftmaxCrossEntropyLoss(), 0.25],
        [{ alpha: perClass, gamma: 0 }, new SoftmaxCrossEntropyLoss({ classWeight: perClass }), 1],
      ];
      const { rtol, atol } = TOLERANCE[dtype];
      for (const [options, ce, factor] of cases) {
        const counting = new CountingFocal(options);
        const focal = step(counting, pred, label);
        const reference = step(ce, pred, label);
        assert.equal(counting.onePassCalls, 1);
        const what = `${dtype} alpha ${JSON.stringify(options.alpha)}`;
        assertClose(
          focal.loss,
          reference.loss.map((v) => factor * v),
          4 * rtol,
          atol,
          `${what}: loss`,
        );
        assertClose(
          focal.grad,
          reference.grad.map((v) => factor * v),
          4 * rtol,
          atol,
          `${what}: gradient`,
        );
      }
    }
  });

  test('closed forms at the extremes: near-certain rows, ±1e30 logits, both dtypes', () => {
    // Rows: label certain by a margin of 40 (1 − p = 2e^−40/(1 + 2e^−40)), by 1e30, the label
    // impossible at −1e30, and a plain row; alpha 0.25, gamma 2.
    const rows = [
      [40, 0, 0],
      [1e30, -1e30, 0],
      [-1e30, 1e30, 0],
      [0.5, -1, 2],
    ];
    const label = i32([0, 0, 0, 2]);
    const expected = rows.map((row, r) => closedForm(row, label.data[r]!, 0.25, 2));
    for (const make of [f64, f32]) {
      const pred = make(rows);
      const { onePass, block } = bothPaths({}, pred, label);
      const float32 = pred.dtype === 'float32';
      const rtol = float32 ? 1e-6 : 1e-13;
      const loss = expected.map((e) => (float32 ? Math.fround(e.loss) : e.loss));
      assertClose(onePass.loss, loss, rtol, 0, `${pred.dtype} loss`);
      const gradient = expected.flatMap((e) => e.gradient).map((g) => (float32 ? Math.fround(g) : g));
      // float32: entries below the smallest normal float32 keep fewer digits.
      assertClose(onePass.grad, gradient, rtol, float32 ? 2e-45 : 0, `${pred.dtype} gradient`);
      assert.ok(onePass.grad.every(Number.isFinite) && onePass.loss.every(Number.isFinite));
      assertClose(block.grad, onePass.grad, rtol, float32 ? 2e-45 : 0, `${pred.dtype} block gradient`);
    }
  });

  test('a NaN logit poisons only its own row; a −Infinity logit off the label is a mask', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const pred = logits(12, [6, 4], dtype);
      const label = i32([0, 1, 2, 3, 0, 1]);
      const poisoned = pred.copy();
      poisoned.data[4 * 2 + 1] = Number.NaN;
      poisoned.data[4 * 4 + 3] = Number.NEGATIVE_INFINITY;
      const clean = step(new SoftmaxFocalLoss(), pred, label);
      const { onePass, block } = bothPaths({}, poisoned, label);
      for (const result of [onePass, block]) {
        for (let r = 0; r < 6; r++) {
          const row = result.grad.slice(4 * r, 4 * r + 4);
          if (r === 2) {
            assert.ok(Number.isNaN(result.loss[r]!) && row.every(Number.isNaN), 'the NaN row is NaN');
            continue;
          }
          if (r === 4) {
            assert.equal(row[3], 0, 'an impossible class has gradient 0');
            assert.ok(Number.isFinite(result.loss[r]!));
            continue;
          }
          assertClose(row, clean.grad.slice(4 * r, 4 * r + 4), 1e-6, 0, `${dtype} row ${r}`);
          assertClose([result.loss[r]!], [clean.loss[r]!], 1e-6, 0, `${dtype} loss ${r}`);
        }
      }
    }
  });

  test('in a graph with another loss on the same pred (and itself twice): one backward sums them', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      // 64 × 100 float32 logits: the one-pass gradients live in the kernels' arena.
      const pred = logits(13, [64, 100], dtype);
      const label = classes(14, [64], 100);
      const focal = new CountingFocal({ alpha: null, gamma: 1.5 });
      const ce = new SoftmaxCrossEntropyLoss();
      const x = pred.copy().attachGrad();
      record(() =>
        focal.forward(x, label).add(ce.forward(x, label)).add(focal.forward(x, label).mul(2)),
      ).backward();
      assert.equal(focal.onePassCalls, 2);
      const alone = step(new SoftmaxFocalLoss({ alpha: null, gamma: 1.5 }), pred, label);
      const ceAlone = step(ce, pred, label);
      const sum = alone.grad.map((g, k) => 3 * g + ceAlone.grad[k]!);
      const { rtol } = TOLERANCE[dtype];
      assertClose(x.grad!.data, sum, 4 * rtol, 1e-12, `${dtype} summed gradient`);
    }
  });

  test('float32 on the TypeScript kernels equals the wasm kernels within float32 rounding', () => {
    const pred = logits(15, [50, 300], 'float32');
    const label = classes(16, [50], 300);
    const run = (backend: 'js' | 'wasm') => {
      setKernelBackend(backend);
      try {
        return bothPaths(
          { alpha: 0.5, gamma: 2 },
          pred,
          label,
          array(
            Array.from({ length: 50 }, (_, i) => i % 3),
            { dtype: 'float32' },
          ),
        );
      } finally {
        setKernelBackend('auto');
      }
    };
    const js = run('js');
    const wasm = run('wasm');
    assertClose(wasm.onePass.loss, js.onePass.loss, 2e-6, 0, 'loss');
    assertClose(wasm.onePass.grad, js.onePass.grad, 2e-6, 1e-12, 'gradient');
    assertClose(js.onePass.grad, js.block.grad, 2e-6, 1e-12, 'js: one pass vs block');
  });

  test('repeated steps give the same numbers (the call memory it reuses is its own)', () => {
    const pred = logits(17, [128, 40], 'float32');
    const label = classes(18, [128], 40);
    const loss = new SoftmaxFocalLoss();
    const first = step(loss, pred, label);
    for (let i = 0; i < 3; i++) {
      const again = step(loss, pred, label);
      assert.deepEqual(again.loss, first.loss);
      assert.deepEqual(again.grad, first.grad);
    }
  });
});

/**
 * ℓ and ∂ℓ/∂x of one row in float64 from the closed form: log p by the shifted log-sum-exp,
 * 1 − p_y = −expm1(log p_y), g = −a(1 − p)^γ(1 − γ p log p/(1 − p)), ∂ℓ/∂x = −g·(p − onehot).
 */
function closedForm(row: number[], y: number, a: number, gamma: number) {
  const m = Math.max(...row);
  const at = row.indexOf(m);
  const logSum = Math.log1p(row.reduce((s, v, k) => (k === at ? s : s + Math.exp(v - m)), 0));
  const logP = row.map((v) => v - m - logSum);
  const u = -Math.expm1(logP[y]!);
  const p = Math.exp(logP[y]!);
  const ratio = u === 0 ? -1 : logP[y]! / u;
  const g = -a * u ** gamma * (1 - gamma * p * ratio);
  const gradient = logP.map((l, k) => (k === y ? g * -Math.expm1(l) : -g * Math.exp(l)));
  return { loss: -a * u ** gamma * logP[y]!, gradient };
}
