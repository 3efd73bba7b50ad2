import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NLLLoss } from '../../src/loss/nll.js';
import { SoftmaxCrossEntropyLoss } from '../../src/loss/softmax-ce.js';
import type { Prepared } from '../../src/loss/_base/index.js';
import { array } from '../../src/ndarray/create.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator } from '../../src/ndarray/random.js';
import { logSoftmax } from '../../src/ops/activation.js';
import { record } from '../../src/autograd/index.js';
import { assertFusedGradients, lossAndGradients } from './_closure-checks.js';
import { assertClose, f32, f64 } from './_elementwise-checks.js';

const i32 = (values: Parameters<typeof array>[0]) => array(values, { dtype: 'int32' });

/** Exposes the `'mean'` divisor the base will use. */
class Probe extends NLLLoss {
  denominator(logProb: NDArray, label: NDArray): number {
    return this.meanDenominator(this.prepare([logProb, label]) as Prepared<never>);
  }
}

describe('NLLLoss', () => {
  test('−w[y]·logProb[y] per row, ignored rows 0 (the TSDoc example), in both dtypes', () => {
    for (const make of [f32, f64]) {
      const loss = new NLLLoss({ classWeight: [1, 2], ignoreIndex: -1 });
      const out = loss.forward(
        make([
          [-0.5, -1],
          [-2, -0.1],
          [-1, -1],
        ]),
        make([1, 0, -1]),
      );
      assert.deepEqual(Array.from(out.data), [2, 2, 0]);
    }
  });

  test('on log-softmax outputs it equals SoftmaxCrossEntropyLoss on the logits, any class axis', () => {
    const logits = normal(0, 2, [3, 4, 5], { dtype: 'float64', generator: new RandomGenerator(3) });
    for (const axis of [-1, 1, 0]) {
      const shape = logits.shape.filter((_, i) => i !== (axis + 3) % 3);
      const size = shape.reduce((a, b) => a * b, 1);
      const classes = logits.shape.at(axis)!;
      const labels = i32(Array.from({ length: size }, (_, i) => (i * 7) % classes)).reshape(shape);
      const nll = new NLLLoss({ axis }).forward(logSoftmax(logits, axis), labels);
      const ce = new SoftmaxCrossEntropyLoss({ axis }).forward(logits, labels);
      assertClose(nll.data, ce.data, 1e-13, 1e-14, `axis ${axis}`);
    }
  });

  test('gradient: −w[y] at the label entry, 0 elsewhere and on ignored rows (NaN there too)', () => {
    const logProb = f64([
      [-0.5, Number.NaN, -1],
      [-2, -0.1, -3],
      [Number.NaN, Number.NEGATIVE_INFINITY, -1],
    ]);
    const loss = new NLLLoss({ classWeight: [1, 2, 3], ignoreIndex: 7 });
    const { loss: out, grads } = lossAndGradients(loss, ([x]) => [x!, i32([2, 1, 7])], [logProb]);
    assert.deepEqual(Array.from(out.data), [3, 0.2, 0]);
    assert.deepEqual(Array.from(grads[0]!.data), [0, 0, -3, 0, -2, 0, 0, 0, 0]);
  });

  test('fused gradients equal finite differences and the twin, with weights and ignored rows', () => {
    const logProb = normal(0, 1, [2, 3, 4], { dtype: 'float64', generator: new RandomGenerator(5) });
    const loss = new NLLLoss({ axis: 1, classWeight: [0.5, 2, 1], ignoreIndex: -100 });
    const labels = i32([
      [0, -100, 2, 1],
      [2, 2, -100, 0],
    ]);
    const sampleWeight = f64([1.5, 0.25]);
    assertFusedGradients(loss, ([x, w]) => [x!, labels, w!], [logProb, sampleWeight]);
  });

  test("a recorded call that differentiates only logProb takes the one-pass path, with the block path's bits", () => {
    // Counts the one-pass hook's calls: the block path runs where sampleWeight needs a gradient too.
    class Counted extends NLLLoss {
      onePassCalls = 0;
      protected override forwardGradient(call: Parameters<NLLLoss['forwardGradient']>[0]): void {
        this.onePassCalls++;
        super.forwardGradient(call);
      }
    }
    const generator = new RandomGenerator(8);
    for (const dtype of ['float32', 'float64'] as const) {
      // (N, d, C): two rows per sample, class axis last; a NaN and −∞ at a label and off it.
      const values = normal(0, 3, [3, 2, 4], { dtype: 'float64', generator }).data;
      values[1] = Number.NaN;
      values[9] = Number.NEGATIVE_INFINITY;
      values[17] = Number.NaN;
      const logProb = array(values, { dtype }).reshape([3, 2, 4]);
      const labels = i32([
        [0, 2],
        [-7, 3],
        [1, -7],
      ]);
      const head = array([0.5, -2, 3], { dtype });
      const options = { classWeight: [0.5, 2, 0, 1], ignoreIndex: -7, weight: 1.5 };
      const onePass = new Counted(options);
      const block = new Counted(options);
      const sampleWeight = array([1, 0.25, 4], { dtype });
      const x1 = array(logProb, { dtype }).attachGrad();
      const out1 = record(() => onePass.forward(x1, labels, sampleWeight));
      out1.backward(head);
      const x2 = array(logProb, { dtype }).attachGrad();
      const w2 = array(sampleWeight, { dtype }).attachGrad();
      const out2 = record(() => block.forward(x2, labels, w2));
      out2.backward(head);
      assert.equal(onePass.onePassCalls, 1, dtype);
      assert.equal(block.onePassCalls, 0, dtype);
      assert.deepEqual(Array.from(out1.data), Array.from(out2.data), `${dtype} loss`);
      // The same bits but for the sign of zeros (the one-pass backward scales its zeros by the head).
      const unsigned = (data: ArrayLike<number>) => Array.from(data, (g) => g + 0);
      assert.deepEqual(unsigned(x1.grad!.data), unsigned(x2.grad!.data), `${dtype} gradient`);
      // Only the label entries of counted rows are non-zero; the gradient does not read logProb.
      assert.equal(x1.grad!.data.filter((g) => g !== 0).length, 3, `${dtype} non-zero entries`);
      assert.ok(
        Number.isNaN(out1.data[2]!) && Number.isFinite(out1.data[0]!),
        `${dtype} NaN stays in its sample`,
      );
    }
  });

  test('the one-pass path declines a class axis that is not last (the rows are not contiguous)', () => {
    const logProb = normal(0, 1, [2, 3, 4], { dtype: 'float64', generator: new RandomGenerator(9) });
    const labels = i32([
      [0, 1, 2, 0],
      [2, 2, 1, 0],
    ]);
    const loss = new NLLLoss({ axis: 1 });
    const x = logProb.attachGrad();
    record(() => loss.forward(x, labels)).backward();
    const expected = new Float64Array(24);
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 4; i++) expected[(n * 3 + labels.data[n * 4 + i]!) * 4 + i] = -1 / 4;
    assert.deepEqual(Array.from(x.grad!.data), Array.from(expected));
  });

  test("the 'mean' divisor is Σ w[y] over counted rows (PyTorch), 0 when every row is ignored", () => {
    const logProb = f64([
      [-1, -2, -3],
      [-1, -2, -3],
      [-1, -2, -3],
      [-1, -2, -3],
    ]);
    const weighted = new Probe({ classWeight: [0.5, 2, 4], ignoreIndex: -1 });
    assert.equal(weighted.denominator(logProb, i32([0, 2, -1, 2])), 0.5 + 4 + 4);
    assert.equal(new Probe({ ignoreIndex: 1 }).denominator(logProb, i32([1, 0, 1, 2])), 2);
    assert.equal(new Probe({ ignoreIndex: 9 }).denominator(logProb, i32([9, 9, 9, 9])), 0);
    assert.equal(new Probe().denominator(logProb, i32([0, 1, 2, 0])), 4);
  });

  test('an ignoreIndex inside [0, C) masks that class; ignored positions count as 0 in the per-sample mean', () => {
    const logProb = f64([
      [
        [-1, -2],
        [-3, -4],
      ],
    ]);
    const out = new NLLLoss({ ignoreIndex: 0 }).forward(logProb, i32([[0, 1]]));
    assert.deepEqual(Array.from(out.data), [(0 + 4) / 2]);
  });

  test('bad labels are ValueErrors naming the loss, the position and the value', () => {
    const logProb = f64([
      [-1, -2],
      [-1, -2],
    ]);
    const loss = new NLLLoss({ ignoreIndex: -100 });
    for (const [label, value] of [
      [[0, 2], '2'],
      [[0, -1], '-1'],
      [[0.5, 1], '0.5'],
      [[0, Number.NaN], 'NaN'],
    ] as const) {
      assert.throws(
        () => loss.forward(logProb, f64([...label])),
        (error: Error) =>
          error instanceof ValueError &&
          /^NLLLoss: label at flat position \d is /.test(error.message) &&
          error.message.includes(value) &&
          error.message.includes('ignoreIndex -100'),
      );
    }
    // Without ignoreIndex, PyTorch's default −100 is an ordinary bad label.
    assert.throws(() => new NLLLoss().forward(logProb, i32([0, -100])), /label at flat position 1 is -100/);
    assert.throws(() => new NLLLoss().forward(logProb, i32([0, 1, 1])), ShapeError);
  });

  test('classWeight: validated at construction, its length checked at the call, copied', () => {
    assert.throws(() => new NLLLoss({ classWeight: [1, Number.NaN] }), /NLLLoss: option classWeight\[1\]/);
    assert.throws(() => new NLLLoss({ classWeight: 2 as never }), /classWeight must be a 1-D array/);
    assert.throws(() => new NLLLoss({ classWeight: array([[1, 2]]) }), ValueError);
    assert.throws(() => new NLLLoss({ ignoreIndex: 0.5 }), /ignoreIndex must be an integer/);
    assert.throws(
      () => new NLLLoss({ classWeight: [1, 2, 3] }).forward(f64([[-1, -2]]), i32([0])),
      (error: Error) =>
        error instanceof ShapeError && /classWeight has 3 values .* 2 classes/.test(error.message),
    );
    const weights = [1, 3];
    const fromArray = new NLLLoss({ classWeight: weights });
    const fromNDArray = new NLLLoss({ classWeight: f32([1, 3]) });
    weights[1] = 100;
    for (const loss of [fromArray, fromNDArray])
      assert.deepEqual(Array.from(loss.forward(f64([[-1, -2]]), i32([1])).data), [6]);
  });
});
