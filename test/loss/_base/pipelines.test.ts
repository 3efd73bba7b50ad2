// The base's two pipelines, driven directly by a toy loss ℓ = c·(x − y)² whose hooks count their
// calls: which path a call takes, the weighting and per-sample mean both apply, head gradients,
// retained graphs, createGraph through the twin, and when a call's state is made and released.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { grad, record } from '../../../src/autograd/index.js';
import {
  type BackwardBlockCall,
  type ForwardBlockCall,
  type ForwardGradientCall,
  Loss,
  type LossOptions,
  type Prepared,
} from '../../../src/loss/_base/index.js';
import { array } from '../../../src/ndarray/create.js';
import type { NDArray } from '../../../src/ndarray/ndarray.js';
import { mul, square, sub } from '../../../src/ops/elementwise.js';
import { assertClose } from '../../ops/_op-checks.js';

interface ToyState {
  readonly id: number;
}

/** ℓ = c·(x − y)² elementwise, with a one-pass hook; counts what the pipelines call. */
class ToyLoss extends Loss<{ readonly c: number }, ToyState> {
  static override readonly lossName = 'ToyLoss';
  override readonly inputNames = ['pred', 'label', 'sampleWeight'];
  readonly calls = { onePass: 0, forwardBlock: 0, backwardBlock: 0, created: 0, released: [] as number[] };
  fuse = true;

  constructor(options: LossOptions & { c?: number } = {}) {
    super(options, ['c']);
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Prepared<{ readonly c: number }> {
    const [x, y] = inputs as NDArray[];
    return { arrays: [x!, y!], sources: [0, 1], lossShape: x!.shape, batchAxis: 0, extra: { c: 3 } };
  }

  protected override createState(): ToyState {
    return { id: ++this.calls.created };
  }

  protected override releaseState(state: ToyState): void {
    this.calls.released.push(state.id);
  }

  protected forwardBlock(call: ForwardBlockCall<{ readonly c: number }, ToyState>): void {
    const { prepared, begin, end, out } = call;
    this.calls.forwardBlock++;
    const [x, y] = prepared.arrays.map((a) => a.data);
    for (let k = begin; k < end; k++) out[k - begin] = prepared.extra!.c * (x![k]! - y![k]!) ** 2;
  }

  protected backwardBlock(call: BackwardBlockCall<{ readonly c: number }, ToyState>): void {
    const { prepared, begin, end, dLoss, grads } = call;
    const [dx, dy] = grads;
    this.calls.backwardBlock++;
    const [x, y] = prepared.arrays.map((a) => a.data);
    for (let k = begin; k < end; k++) {
      const slope = 2 * prepared.extra!.c * (x![k]! - y![k]!) * dLoss[k - begin]!;
      if (dx) dx[k] = slope;
      if (dy) dy[k] = -slope;
    }
  }

  protected override assignsGradient(): boolean {
    return true;
  }

  protected override canFuseGradient(): boolean {
    return this.fuse;
  }

  protected override forwardGradient(call: ForwardGradientCall<{ readonly c: number }, ToyState>): void {
    const { prepared, sampleSize, scales, sums, gradient } = call;
    this.calls.onePass++;
    const [x, y] = prepared.arrays.map((a) => a.data);
    const c = prepared.extra!.c;
    for (let s = 0, k = 0; s < scales.length; s++) {
      let sum = 0;
      for (const end = k + sampleSize; k < end; k++) {
        const d = x![k]! - y![k]!;
        sum += c * d * d;
        gradient[k] = scales[s]! * 2 * c * d;
      }
      sums[s] = sum;
    }
  }

  twin(prepared: Prepared<{ readonly c: number }>): NDArray {
    const [x, y] = prepared.arrays;
    return mul(square(sub(x!, y!)), prepared.extra!.c);
  }
}

const f64 = { dtype: 'float64' } as const;
const x0 = [
  [1, 2, -1],
  [0.5, 3, 2],
];
const y0 = [
  [0, 1, 1],
  [1, 1, 0],
];
/** The expected per-sample loss and d/dx for weight w and per-sample weights s. */
function expected(w: number, s: number[]) {
  const loss = x0.map(
    (row, n) => (w * s[n]! * row.reduce((a, v, j) => a + 3 * (v - y0[n]![j]!) ** 2, 0)) / 3,
  );
  const dx = x0.flatMap((row, n) => row.map((v, j) => (w * s[n]! * 2 * 3 * (v - y0[n]![j]!)) / 3));
  return { loss, dx };
}

describe('loss pipelines (a toy loss through the base)', () => {
  test('unrecorded: block forward, weight and per-sample weights, the state released at once', () => {
    const loss = new ToyLoss({ weight: 2 });
    const out = loss.forward(array(x0, f64), array(y0, f64), array([1, 0.5], f64));
    assertClose(out.data, expected(2, [1, 0.5]).loss, { rtol: 1e-15, atol: 0 });
    assert.deepEqual(loss.calls.released, [1]);
    assert.equal(loss.calls.onePass, 0);
  });

  test('recorded, only pred differentiated: one pass; a head gradient scales each sample', () => {
    const loss = new ToyLoss();
    const x = array(x0, f64).attachGrad();
    const out = record(() => loss.forward(x, array(y0, f64), array([2, 1], f64)));
    assert.equal(loss.calls.onePass, 1);
    assert.equal(loss.calls.forwardBlock, 0);
    assertClose(out.data, expected(1, [2, 1]).loss, { rtol: 1e-15, atol: 0 });
    out.backward(array([1, -3], f64), { retainGraph: true });
    const scaled = expected(1, [2, 1]).dx.map((g, k) => g * (k < 3 ? 1 : -3));
    assertClose(x.grad!.data, scaled, { rtol: 1e-15, atol: 0 });
    out.backward();
    assertClose(x.grad!.data, expected(1, [2, 1]).dx, { rtol: 1e-15, atol: 0 });
    // The one-pass hook reads no per-call state, so the call makes none (and releases none).
    assert.equal(loss.calls.created, 0, 'no state created');
    assert.deepEqual(loss.calls.released, [], 'no state released');
  });

  test('one pass with the implicit unit head: same gradient as explicit ones, never a shared array', () => {
    const loss = new ToyLoss();
    const x = array(x0, f64).attachGrad();
    const y = array(y0, f64);
    const { dx } = expected(1, [1, 1]);
    const exact = { rtol: 1e-15, atol: 0 };
    record(() => loss.forward(x, y)).backward();
    assertClose(x.grad!.data, dx, exact);
    const first = x.grad!;
    first.data[0] = 1e9; // a user writing into .grad; the next pass overwrites it ('write')
    record(() => loss.forward(x, y)).backward(array([1, 1], f64));
    assertClose(x.grad!.data, dx, exact);
    // A retained graph run twice with the unit head, accumulated ('add').
    x.attachGrad('add');
    const out = record(() => loss.forward(x, y));
    out.backward(null, { retainGraph: true });
    out.backward();
    assertClose(
      x.grad!.data,
      dx.map((g) => 2 * g),
      exact,
    );
    // A 0-d ('sum': no per-sample mean, so 3·dx) result: the unit head and a non-unit one.
    const summed = new ToyLoss({ reduction: 'sum' } as LossOptions);
    x.attachGrad();
    record(() => summed.forward(x, y)).backward();
    assertClose(
      x.grad!.data,
      dx.map((g) => 3 * g),
      exact,
    );
    record(() => summed.forward(x, y)).backward(array(2.5, f64));
    assertClose(
      x.grad!.data,
      dx.map((g) => 7.5 * g),
      exact,
    );
    // autograd.grad's results stay as they were after later calls reuse the loss's memory.
    const [a] = grad(
      record(() => loss.forward(x, y)),
      [x],
    );
    const [b] = grad(
      record(() => loss.forward(x, y.mul(0))),
      [x],
    );
    assert.notEqual(a!.data, b!.data);
    assertClose(a!.data, dx, exact);
    assert.equal(loss.calls.released.length, loss.calls.created, 'every state released');
  });

  test('recorded with the label differentiated too: the block path gives both gradients', () => {
    const loss = new ToyLoss();
    const x = array(x0, f64).attachGrad();
    const y = array(y0, f64).attachGrad();
    record(() => loss.forward(x, y)).backward();
    assert.equal(loss.calls.onePass, 0);
    assert.ok(loss.calls.backwardBlock > 0);
    const dx = expected(1, [1, 1]).dx;
    assertClose(x.grad!.data, dx, { rtol: 1e-15, atol: 0 });
    assertClose(
      y.grad!.data,
      dx.map((g) => -g),
      { rtol: 1e-15, atol: 0 },
    );
  });

  test('a loss may decline the one pass per call; the block path then gives the same gradient', () => {
    const loss = new ToyLoss();
    loss.fuse = false;
    const x = array(x0, f64).attachGrad();
    record(() => loss.forward(x, array(y0, f64))).backward();
    assert.equal(loss.calls.onePass, 0);
    assertClose(x.grad!.data, expected(1, [1, 1]).dx, { rtol: 1e-15, atol: 0 });
  });

  test('a sampleWeight that needs a gradient: d/dweight is the per-sample loss before weighting', () => {
    const loss = new ToyLoss();
    const x = array(x0, f64);
    const weights = array([2, 0.5], f64).attachGrad();
    record(() => loss.forward(x, array(y0, f64), weights)).backward();
    assertClose(weights.grad!.data, expected(1, [1, 1]).loss, { rtol: 1e-15, atol: 0 });
  });

  test('an infinite sampleWeight weighs each ℓ element on the one pass too: ∞ · 0 = NaN, as unrecorded', () => {
    // Sample 1 has one element with x = y (ℓ = 0) and one with ℓ > 0: ∞ · 0 + ∞ · ℓ = NaN, where
    // weighing the sample's sum would give +∞. Sample 0 keeps its bits; the one pass still runs.
    const x1 = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const y1 = [
      [1.5, 2, 2],
      [4, 4.5, 7],
    ];
    for (const w of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
      const unrecorded = new ToyLoss().forward(array(x1, f64), array(y1, f64), array([2, w], f64));
      const loss = new ToyLoss();
      const x = array(x1, f64).attachGrad();
      const out = record(() => loss.forward(x, array(y1, f64), array([2, w], f64)));
      assert.equal(loss.calls.onePass, 1, 'the one pass ran');
      assert.ok(
        Number.isNaN(out.data[1]!) && Number.isNaN(unrecorded.data[1]!),
        `w = ${w}: NaN on both paths`,
      );
      assert.equal(out.data[0], unrecorded.data[0]);
      const clean = record(() => new ToyLoss().forward(array(x1, f64), array(y1, f64), array([2, 1], f64)));
      assert.equal(out.data[0], clean.data[0], 'the other sample keeps its bits');
    }
    // Without a zero element, ∞ weighs to +∞ either way (and the sum's own rounding is kept).
    const loss = new ToyLoss();
    const out = record(() =>
      loss.forward(array(x0, f64).attachGrad(), array(y0, f64), array([Number.POSITIVE_INFINITY, 1], f64)),
    );
    assert.equal(out.data[0], Number.POSITIVE_INFINITY);
  });

  test('createGraph differentiates the twin: second derivatives are right on both paths', () => {
    for (const differentiateLabel of [false, true]) {
      const loss = new ToyLoss();
      const x = array(x0, f64).attachGrad();
      const y = array(y0, f64);
      if (differentiateLabel) y.attachGrad();
      const out = record(() => loss.forward(x, y));
      const [dx] = grad(out, [x], { createGraph: true });
      const [second] = grad(
        record(() => dx!.sum()),
        [x],
      );
      // d/dx of Σ 2c(x − y)/3 = 2c/3 = 2 for every element.
      assertClose(second!.data, new Array(6).fill(2), { rtol: 1e-15, atol: 0 });
    }
  });

  test('explainNaN runs only when a result holds a NaN, on every path and for reference; what it throws is thrown', () => {
    /** The toy loss with explainNaN: counts its calls, rejects a finite label of 99. */
    class Explaining extends ToyLoss {
      explanations = 0;
      protected override explainNaN(prepared: Prepared<{ readonly c: number }>): void {
        this.explanations++;
        if (prepared.arrays[1]!.data.includes(99)) throw new RangeError('label 99');
      }
    }
    const nanLabel = y0.map((row, n) => row.map((v, j) => (n === 1 && j === 0 ? Number.NaN : v)));
    const rejected = nanLabel.map((row) => row.map((v, j) => (j === 2 ? 99 : v)));
    const x = () => array(x0, f64);
    const paths: [string, LossOptions, (loss: Explaining, y: NDArray) => unknown][] = [
      ['unrecorded', {}, (loss, y) => loss.forward(x(), y)],
      ['one pass', {}, (loss, y) => record(() => loss.forward(x().attachGrad(), y))],
      ['block, recorded', {}, (loss, y) => record(() => loss.forward(x().attachGrad(), y.attachGrad()))],
      ["reduction 'none'", { reduction: 'none' }, (loss, y) => loss.forward(x(), y)],
      ["reduction 'sum'", { reduction: 'sum' }, (loss, y) => record(() => loss.forward(x().attachGrad(), y))],
      ['reference', {}, (loss, y) => loss.reference(x(), y)],
    ];
    for (const [path, options, run] of paths) {
      const counts = [y0, nanLabel].map((label) => {
        const loss = new Explaining(options);
        run(loss, array(label, f64));
        return loss.explanations;
      });
      assert.deepEqual(counts, [0, 1], `${path}: no call without a NaN, one with`);
      assert.throws(() => run(new Explaining(options), array(rejected, f64)), /label 99/, path);
    }
  });
});
