/**
 * SoftmaxCrossEntropyLoss's PyTorch options (labelSmoothing, ignoreIndex, classWeight; the block
 * functions of src/loss/_softmax-targets.ts): identities with the option-free loss and NLLLoss,
 * closed forms, the one-pass path against the block path, finite differences and the twin.
 * PyTorch's own values are in test/conformance/beyond-gluon-softmax-options.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { logSoftmax } from '../../src/ops/activation.js';
import { NLLLoss } from '../../src/loss/nll.js';
import { SoftmaxCrossEntropyLoss, type SoftmaxCrossEntropyLossOptions } from '../../src/loss/softmax-ce.js';
import { array } from '../../src/ndarray/create.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { assertFusedGradients, lossAndGradients } from './_closure-checks.js';
import { assertClose } from './_elementwise-checks.js';

const i32 = (values: Parameters<typeof array>[0]) => array(values, { dtype: 'int32' });

function logits(seed: number, shape: number[], scale = 1.5): NDArray {
  return normal(0, scale, shape, { dtype: 'float64', generator: new RandomGenerator(seed) });
}

/** Loss and pred gradient of one recorded call (the one-pass path where it applies). */
function run(options: SoftmaxCrossEntropyLossOptions, pred: NDArray, label: NDArray) {
  const dense = options.sparseLabel === false;
  const out = lossAndGradients(
    new SoftmaxCrossEntropyLoss(options),
    (xs) => (dense ? [xs[0]!, xs[1]!] : [xs[0]!, label]),
    dense ? [array(pred), array(label)] : [array(pred)],
  );
  return { loss: out.loss.data, grad: out.grads[0]!.data, labelGrad: out.grads[1]?.data };
}

/** The layouts every identity runs on: class axis last (one-pass), axis 1 of rank 3 (block). */
const LAYOUTS = [
  { name: 'rank 2, axis last', shape: [5, 6], axis: -1, label: i32([0, 5, 2, 3, 1]) },
  {
    name: 'rank 3, axis 1',
    shape: [2, 4, 3],
    axis: 1,
    label: i32([
      [0, 3, 1],
      [2, 2, 0],
    ]),
  },
  {
    name: 'rank 3, axis last',
    shape: [2, 3, 4],
    axis: -1,
    label: i32([
      [0, 3, 1],
      [2, 2, 0],
    ]),
  },
];

describe('SoftmaxCrossEntropyLoss options', () => {
  for (const layout of LAYOUTS) {
    const pred = logits(1, layout.shape);
    const classes = layout.shape[layout.axis < 0 ? layout.shape.length - 1 : layout.axis]!;
    const base = { axis: layout.axis };
    const plain = run(base, pred, layout.label);

    test(`${layout.name}: ε = 0, class weights of 1 and an ignoreIndex never hit change nothing`, () => {
      for (const options of [
        { labelSmoothing: 0 },
        { classWeight: new Array(classes).fill(1) },
        { ignoreIndex: -7 },
        { ignoreIndex: 999, classWeight: new Array(classes).fill(1), labelSmoothing: 0 },
      ]) {
        const got = run({ ...base, ...options }, pred, layout.label);
        assertClose(got.loss, plain.loss, 1e-15, 0, `loss ${JSON.stringify(options)}`);
        assertClose(got.grad, plain.grad, 1e-15, 1e-17, `gradient ${JSON.stringify(options)}`);
      }
      // Defaults are the Gluon paths themselves: bit-identical.
      assert.deepEqual(run({ ...base, labelSmoothing: 0 }, pred, layout.label).loss, plain.loss);
    });

    test(`${layout.name}: equals NLLLoss of log-softmax with the same classWeight and ignoreIndex`, () => {
      const classWeight = Array.from({ length: classes }, (_, c) => 0.5 + c * 0.75);
      const label = array(layout.label);
      label.data[1] = -1;
      for (const reduction of ['perSample', 'mean', 'sum'] as const) {
        const options = { axis: layout.axis, classWeight, ignoreIndex: -1, reduction };
        const ce = run(options, pred, label);
        const nll = lossAndGradients(new NLLLoss(options), ([p]) => [logSoftmax(p!, layout.axis), label], [
          array(pred),
        ]);
        assertClose(ce.loss, nll.loss.data, 1e-13, 1e-15, `loss ${reduction}`);
        assertClose(ce.grad, nll.grads[0]!.data, 1e-12, 1e-15, `gradient ${reduction}`);
      }
    });

    test(`${layout.name}: the one-pass and block paths, finite differences and the twin agree`, () => {
      const classWeight = Array.from({ length: classes }, (_, c) => 1.5 - c * 0.2);
      const label = array(layout.label);
      label.data[0] = -1;
      for (const options of [
        { labelSmoothing: 0.2, ignoreIndex: -1 },
        { labelSmoothing: 0.3, classWeight, ignoreIndex: -1 },
        { labelSmoothing: 0.1, ignoreIndex: -1, fromLogits: true },
        { labelSmoothing: 0.25, classWeight, ignoreIndex: -1, weight: 0.5 },
      ]) {
        const loss = new SoftmaxCrossEntropyLoss({ ...base, ...options });
        assertFusedGradients(loss, ([p]) => [p!, label], [pred]);
        const sampleWeight = array(
          Array.from({ length: layout.shape[0]! }, (_, i) => 0.5 + i),
          { dtype: 'float64' },
        );
        // A sampleWeight that needs its own gradient takes the block path.
        assertFusedGradients(loss, ([p, w]) => [p!, label, w!], [pred, sampleWeight]);
      }
      const dense = uniform(0, 1, layout.shape, { dtype: 'float64', generator: new RandomGenerator(3) });
      const denseLoss = new SoftmaxCrossEntropyLoss({
        ...base,
        sparseLabel: false,
        labelSmoothing: 0.2,
        classWeight,
      });
      assertFusedGradients(denseLoss, ([p, z]) => [p!, z!], [pred, dense]);
    });
  }

  test('closed forms: uniform logits cost log C for any ε; the smoothed target is (1 − ε) onehot + ε / C', () => {
    for (const epsilon of [0, 0.1, 0.9]) {
      const out = run({ labelSmoothing: epsilon }, array([[2, 2, 2, 2]], { dtype: 'float64' }), i32([1]));
      assertClose(out.loss, [Math.log(4)], 1e-15, 0, `ε ${epsilon}`);
    }
    const pred = logits(4, [3, 5]);
    const label = i32([4, 0, 2]);
    const epsilon = 0.15;
    const weights = [1, 2, 0.5, 3, 0.25];
    const out = run({ labelSmoothing: epsilon, classWeight: weights }, pred, label);
    const logP = logSoftmax(pred, -1).data;
    for (let r = 0; r < 3; r++) {
      const y = label.data[r]!;
      let expected = (1 - epsilon) * weights[y]! * -logP[r * 5 + y]!;
      for (let c = 0; c < 5; c++) expected += (epsilon / 5) * weights[c]! * -logP[r * 5 + c]!;
      assertClose([out.loss[r]!], [expected], 1e-14, 0, `row ${r}`);
    }
    // Dense labels: the same formula with the label's distribution in place of the one-hot.
    const onehot = array(
      [
        [0, 0, 0, 0, 1],
        [1, 0, 0, 0, 0],
        [0, 0, 1, 0, 0],
      ],
      { dtype: 'float64' },
    );
    const dense = run({ sparseLabel: false, labelSmoothing: epsilon, classWeight: weights }, pred, onehot);
    assertClose(dense.loss, out.loss, 1e-14, 0, 'dense one-hot = sparse');
    assertClose(dense.grad, out.grad, 1e-13, 1e-16, 'dense one-hot gradient = sparse');
  });

  test("an all-ignored batch: 'mean' is 0 (not NaN), every gradient 0, even over NaN logits", () => {
    const pred = array(
      [
        [1, Number.NaN, 3],
        [4, 5, 6],
      ],
      { dtype: 'float64' },
    );
    for (const reduction of ['mean', 'perSample', 'sum'] as const) {
      const out = run(
        { ignoreIndex: 9, labelSmoothing: 0.1, classWeight: [1, 2, 3], reduction },
        pred,
        i32([9, 9]),
      );
      assert.ok(
        out.loss.every((v) => v === 0),
        `${reduction}: ${out.loss}`,
      );
      assert.ok(
        out.grad.every((v) => v === 0),
        `${reduction} gradient`,
      );
    }
  });

  test('float32 through the wasm one-pass kernel matches float64; extremes stay finite or +Infinity', () => {
    const pred64 = logits(5, [64, 300], 3);
    const label = i32(Array.from({ length: 64 }, (_, i) => (i % 7 === 0 ? -1 : (i * 37) % 300)));
    const classWeight = Array.from({ length: 300 }, (_, c) => 0.5 + (c % 5) * 0.25);
    const options = { labelSmoothing: 0.1, ignoreIndex: -1, classWeight };
    const wide = run(options, pred64, label);
    const narrow = run(options, pred64.astype('float32'), label);
    assertClose(narrow.loss, wide.loss, 2e-6, 1e-6, 'loss');
    assertClose(narrow.grad, wide.grad, 2e-5, 1e-8, 'gradient');
    const big = array(
      [
        [1e30, -1e30, 0],
        [0, 1, Number.NEGATIVE_INFINITY],
        [Number.NEGATIVE_INFINITY, 0, 1],
      ],
      { dtype: 'float64' },
    );
    const extreme = run({ labelSmoothing: 0.3 }, big, i32([0, 1, 0]));
    // Row 0: (1 − ε) · 0 + ε/3 · (0 + 2e30 + 1e30); rows 1 and 2 put mass on an impossible class.
    assertClose([extreme.loss[0]!], [0.1 * 3e30], 1e-15, 0, 'huge logits');
    assert.equal(extreme.loss[1], Number.POSITIVE_INFINITY);
    assert.equal(extreme.loss[2], Number.POSITIVE_INFINITY);
    assert.ok(extreme.grad.every(Number.isFinite), `finite gradient ${extreme.grad}`);
  });

  test('bad options and labels are typed errors naming the option', () => {
    const make = (options: object) => () =>
      new SoftmaxCrossEntropyLoss(options as SoftmaxCrossEntropyLossOptions);
    for (const bad of [1, -0.1, Number.NaN, '0.1'])
      assert.throws(
        make({ labelSmoothing: bad }),
        (e: Error) => e instanceof ValueError && /labelSmoothing/.test(e.message),
      );
    assert.throws(
      make({ classWeight: [1, -1] }),
      (e: Error) => e instanceof ValueError && /classWeight\[1\]/.test(e.message),
    );
    assert.throws(make({ classWeight: [1, Number.NaN] }), /classWeight\[1\] must be a finite number/);
    assert.throws(make({ classWeight: 2 }), /classWeight must be a 1-D array/);
    assert.throws(
      make({ ignoreIndex: 0.5 }),
      (e: Error) => e instanceof ValueError && /ignoreIndex/.test(e.message),
    );
    assert.throws(make({ ignoreIndex: -1, sparseLabel: false }), /ignoreIndex -1 needs sparse labels/);
    const loss = new SoftmaxCrossEntropyLoss({ classWeight: [1, 2] });
    assert.throws(
      () => loss.forward(logits(6, [2, 3]), i32([0, 1])),
      (e: Error) => e instanceof ShapeError && /classWeight has 2 values.*3 classes/.test(e.message),
    );
    const ignoring = new SoftmaxCrossEntropyLoss({ ignoreIndex: -1 });
    assert.throws(
      () => ignoring.forward(logits(6, [2, 3]), i32([0, -2])),
      (e: Error) => e instanceof ValueError && /position 1 is -2.*or the ignoreIndex -1/.test(e.message),
    );
  });

  test('toConfig keeps the options', () => {
    const loss = new SoftmaxCrossEntropyLoss({ labelSmoothing: 0.1, ignoreIndex: -100, classWeight: [1, 2] });
    const { options } = loss.toConfig();
    assert.equal(options.labelSmoothing, 0.1);
    assert.equal(options.ignoreIndex, -100);
    assert.deepEqual(options.classWeight, [1, 2]);
  });
});

test('an infinite sampleWeight: ±Infinity by the sign of each entry, 0 where a log-probability target is 0, no NaN', () => {
  // Class axis 0 (strided rows: the block path) or last (logits: the one-pass path); the first
  // sample weighs Infinity, the second 1.
  const columns = [
    [-1, -0.3],
    [-2, -2],
    [-0.5, -3],
  ];
  const rows = [columns.map((c) => c[0]!), columns.map((c) => c[1]!)];
  for (const axis of [0, -1])
    for (const fromLogits of [false, true])
      for (const options of [{}, { classWeight: [1, 0, 1] }, { labelSmoothing: 0.1 }]) {
        const x = array(axis === 0 ? columns : rows, { dtype: 'float64' });
        x.attachGrad();
        const loss = new SoftmaxCrossEntropyLoss({ axis, fromLogits, ...options });
        const weight = axis === 0 ? array([Infinity, 1]) : array([[Infinity], [1]]);
        record(() => loss.forward(x, i32([0, 2]), weight)).backward();
        const gradient = Array.from(x.grad!.data);
        const [label, otherA, otherB] = axis === 0 ? [0, 2, 4] : [0, 1, 2];
        const finite = axis === 0 ? [1, 3, 5] : [3, 4, 5];
        const where = `axis ${axis}, fromLogits ${fromLogits} ${JSON.stringify(options)}`;
        // The label gets −Infinity; the first sample's other entries +Infinity from logits (p_c
        // above its target ε/C), 0 with log-probabilities unless ε > 0 (−Infinity).
        assert.equal(gradient[label], -Infinity, where);
        const smoothing = 'labelSmoothing' in options;
        const others = fromLogits ? (smoothing ? -Infinity : 0) : Infinity;
        assert.deepEqual([gradient[otherA], gradient[otherB]], [others, others], where);
        for (const k of finite) assert.ok(Number.isFinite(gradient[k]), `${where}: entry ${k}`);
      }
});

test("the label's gradient entry where its class weighs 0 and p_y is tiny: M · p_y, not the rounding of M", () => {
  // w = [1, 1, 0], ε = 0.1, label 2 of logits [0, 0, −69]: t_y · w_y = 0 and M = (ε / C) · W = 1/15,
  // so the entry is M · p_y ≈ 3.4e-32. Written as M · (p_y − 1) + (ε / C) · W it was −M + M.
  const options = { labelSmoothing: 0.1, classWeight: [1, 1, 0] };
  for (const axis of [-1, 0]) {
    const x =
      axis === -1
        ? array([[0, 0, -69]], { dtype: 'float64' })
        : array([[0], [0], [-69]], { dtype: 'float64' });
    x.attachGrad();
    const out = record(() => new SoftmaxCrossEntropyLoss({ ...options, axis }).forward(x, array([2])));
    out.backward();
    const p = Math.exp(-69) / (2 + Math.exp(-69));
    const expected = (0.1 / 3) * 2 * p;
    const entry = x.grad!.data[2]!;
    assert.ok(Math.abs(entry - expected) <= 1e-14 * expected, `axis ${axis}: ${entry} vs ${expected}`);
  }
});
