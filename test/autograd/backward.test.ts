import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { customOp, grad, record } from '../../src/autograd/index.js';
import { CTCLoss } from '../../src/loss/ctc.js';
import { L2Loss } from '../../src/loss/l2.js';
import { SigmoidBinaryCrossEntropyLoss } from '../../src/loss/sigmoid-bce.js';
import { AutogradError, ShapeError, ValueError } from '../../src/ndarray/errors.js';
import * as nd from '../../src/ndarray/index.js';
import { assertClose, assertThrowsWith } from '../ops/_op-checks.js';

const f64 = { dtype: 'float64' } as const;

describe('backward: head gradients', () => {
  test('the default head gradient is ones, so a vector head back-propagates its sum', () => {
    const x = nd.array([1, 2, 3]).attachGrad();
    const y = record(() => x.mul(x));
    y.backward();
    assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
  });

  test('an explicit head gradient weights each element', () => {
    const x = nd.array([1, 2], f64).attachGrad();
    record(() => x.mul(3)).backward(nd.array([1, 10], f64));
    assert.deepEqual(x.grad!.toArray(), [3, 30]);
    // A float32 head gradient for a float64 head is converted.
    record(() => x.mul(3)).backward(nd.array([2, 2]));
    assert.deepEqual(x.grad!.toArray(), [6, 6]);
  });

  test('a head gradient of the wrong shape is a ShapeError with both shapes', () => {
    const x = nd.array([1, 2]).attachGrad();
    const y = record(() => x.mul(2));
    assertThrowsWith(() => y.backward(nd.ones([3])), ShapeError, 'backward', '[3]', '[2]');
  });

  test('a 0-d head', () => {
    const x = nd.array([1, 2, 3], f64).attachGrad();
    record(() => x.square().sum()).backward();
    assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
  });
});

describe('backward: accumulation through the graph', () => {
  test('a diamond: y = x·x + x accumulates both paths', () => {
    const x = nd.array([0.5, -2], f64).attachGrad();
    record(() => {
      const squared = x.mul(x);
      return squared.add(x).add(squared);
    }).backward();
    assert.deepEqual(x.grad!.toArray(), [2 * 2 * 0.5 + 1, 2 * 2 * -2 + 1]);
  });

  test('the same array on both sides of add', () => {
    const x = nd.array([1, 2], f64).attachGrad();
    record(() => x.add(x)).backward();
    assert.deepEqual(x.grad!.toArray(), [2, 2]);
  });

  test('broadcast operands receive summed gradients', () => {
    const bias = nd.array([1, 2, 3], f64).attachGrad();
    const scale = nd.array(2, f64).attachGrad();
    record(() => nd.ones([4, 3], f64).add(bias).mul(scale)).backward();
    assert.deepEqual(bias.grad!.toArray(), [8, 8, 8]);
    assert.equal(scale.grad!.item(), 4 * (2 + 3 + 4));
  });

  test('a chain of 20 000 ops does not overflow the stack', () => {
    const x = nd.array([1], f64).attachGrad();
    const y = record(() => {
      let v = x;
      for (let i = 0; i < 20000; i++) v = v.mul(1.0001);
      return v;
    });
    y.backward();
    assertClose(x.grad!, [1.0001 ** 20000], { rtol: 1e-9 });
  });

  test('gradients take the variable dtype', () => {
    const single = nd.array([1, 2]).attachGrad();
    record(() => single.astype('float64').square()).backward();
    assert.equal(single.grad!.dtype, 'float32');
    assert.deepEqual(single.grad!.toArray(), [2, 4]);
    // int32 arrays cannot be variables (PyTorch's rule); beside a float variable they are
    // constants, and the variable's gradient keeps its own dtype.
    const ints = nd.array([1, 2], { dtype: 'int32' });
    assert.throws(() => ints.attachGrad(), AutogradError);
    const x = nd.array([0.5, 0.25], f64).attachGrad();
    record(() => ints.mul(x).add(ints.exp())).backward();
    assert.equal(x.grad!.dtype, 'float64');
    assert.deepEqual(x.grad!.toArray(), [1, 2]);
  });
});

describe('gradient requests', () => {
  test("'write' overwrites on every backward", () => {
    const x = nd.array([1, 2], f64).attachGrad('write');
    record(() => x.mul(2)).backward();
    record(() => x.mul(5)).backward();
    assert.deepEqual(x.grad!.toArray(), [5, 5]);
  });

  test("'write' writes zeros when the head does not depend on the variable through any gradient", () => {
    const x = nd.array([1, -2], f64).attachGrad();
    const other = nd.array([3, 4], f64).attachGrad();
    record(() => x.mul(2)).backward();
    record(() => x.sign().mul(other)).backward();
    assert.deepEqual(x.grad!.toArray(), [0, 0]);
    assert.deepEqual(other.grad!.toArray(), [1, -1]);
  });

  test("'add' accumulates across backward passes", () => {
    const x = nd.array([1, 2], f64).attachGrad('add');
    record(() => x.mul(2)).backward();
    record(() => x.square()).backward();
    assert.deepEqual(x.grad!.toArray(), [2 + 2, 2 + 4]);
    x.grad!.fill(0);
    record(() => x.mul(3)).backward();
    assert.deepEqual(x.grad!.toArray(), [3, 3]);
  });

  test("'null' gets no gradient while other variables still do", () => {
    const frozen = nd.array([1, 2], f64).attachGrad('null');
    const trained = nd.array([3, 4], f64).attachGrad();
    assert.equal(frozen.grad, null);
    record(() => frozen.mul(trained)).backward();
    assert.equal(frozen.grad, null);
    assert.deepEqual(trained.grad!.toArray(), [1, 2]);
  });

  test('an unknown gradReq is a ValueError', () => {
    assertThrowsWith(() => nd.ones([1]).attachGrad('sum' as never), ValueError, 'attachGrad', 'sum');
  });

  test('the gradient buffer is updated in place and never shared between variables', () => {
    const a = nd.array([1, 2], f64).attachGrad();
    const b = nd.array([3, 4], f64).attachGrad();
    const bufferA = a.grad;
    record(() => a.add(b)).backward();
    assert.equal(a.grad, bufferA);
    assert.deepEqual(bufferA!.toArray(), [1, 1]);
    assert.notEqual(a.grad!.data, b.grad!.data);
    a.grad!.fill(0);
    assert.deepEqual(b.grad!.toArray(), [1, 1]);
    const head = nd.array([5, 6], f64);
    record(() => a.reshape(2)).backward(head);
    head.fill(0);
    assert.deepEqual(a.grad!.toArray(), [5, 6]);
  });
});

describe('graph lifetime and misuse', () => {
  test('backward on an array computed outside record() is an AutogradError', () => {
    const x = nd.array([1, 2]).attachGrad();
    const y = x.mul(2);
    assertThrowsWith(
      () => y.backward(),
      AutogradError,
      'backward',
      'not part of a recorded graph',
      'autograd.record',
    );
    assertThrowsWith(() => nd.ones([2]).backward(), AutogradError, 'backward');
  });

  test('a graph whose variables no longer want gradients is an AutogradError', () => {
    const x = nd.array([1, 2]).attachGrad();
    const y = record(() => x.mul(2));
    x.attachGrad('null');
    assertThrowsWith(() => y.backward(), AutogradError, 'backward', 'no inputs', 'require gradients');
  });

  test('a second backward needs retainGraph on the first', () => {
    const x = nd.array([1, 2], f64).attachGrad();
    const y = record(() => x.square());
    y.backward(null, { retainGraph: true });
    y.backward(null, { retainGraph: true });
    assert.deepEqual(x.grad!.toArray(), [2, 4]);
    y.backward();
    assertThrowsWith(() => y.backward(), AutogradError, 'backward', 'freed', 'retainGraph');
  });

  test('writing in place into a recorded array while recording is an AutogradError', () => {
    const x = nd.array([1, 2]).attachGrad();
    record(() => {
      assertThrowsWith(() => x.fill(0), AutogradError, 'NDArray.fill', 'recorded graph');
      const y = x.mul(2);
      assertThrowsWith(() => y.assign([1, 1]), AutogradError, 'NDArray.assign');
    });
    // Outside recording the same write is allowed (and there is no graph left to corrupt).
    x.fill(3);
    assert.deepEqual(x.toArray(), [3, 3]);
  });

  test('an input written in place after it was recorded makes backward throw', () => {
    const x = nd.array([1, 2], f64).attachGrad();
    const constant = nd.array([5, 6], f64);
    const y = record(() => x.mul(constant));
    constant.fill(0);
    assertThrowsWith(() => y.backward(), AutogradError, 'backward', "'mul'", 'written in place');
  });

  test('an output written in place after it was recorded makes backward throw', () => {
    const x = nd.array([1, 2], f64).attachGrad();
    const y = record(() => x.exp());
    y.assign([0, 0]);
    assertThrowsWith(() => y.backward(), AutogradError, "'exp'", 'written in place');
  });

  test('assign checks the element count', () => {
    assertThrowsWith(() => nd.zeros([2, 2]).assign([1, 2, 3]), ShapeError, 'NDArray.assign', '3', '[2,2]');
  });
});

describe('gradient buffers of the variables, written once the pass has succeeded', () => {
  // Backward stages every gradient and copies it into the variable's existing `.grad` buffer at
  // the end; loss nodes hand out memory they reuse in later calls. These cases must give exactly
  // what autograd.grad (which returns private copies) gives.
  const bce = new SigmoidBinaryCrossEntropyLoss();
  const inputs = (seed: number) => {
    const generator = new nd.random.RandomGenerator(seed);
    return {
      x: nd.random.uniform(-3, 3, [4, 300], { dtype: 'float32', generator }),
      z: nd.random.uniform(0, 1, [4, 300], { dtype: 'float32', generator }),
    };
  };

  test('a loss on a variable: the same buffer object, the same values as autograd.grad', () => {
    const { x, z } = inputs(1);
    x.attachGrad();
    const buffer = x.grad!;
    buffer.fill(7); // the previous gradient must not leak into the new one
    const [expected] = grad(
      record(() => bce.forward(x, z)),
      [x],
    );
    record(() => bce.forward(x, z)).backward();
    assert.equal(x.grad, buffer);
    assert.deepEqual(Array.from(buffer.data), Array.from(expected!.data));
    // A loss that does not assign every element (CTC) gets a zeroed buffer first.
    const pred = nd.random.normal(0, 1, [2, 6, 4], { generator: new nd.random.RandomGenerator(2) });
    const label = nd.array(
      [
        [0, 1, -1],
        [2, -1, -1],
      ],
      { dtype: 'int32' },
    );
    const lengths = nd.array([6, 3], { dtype: 'int32' });
    pred.attachGrad().grad!.fill(5);
    const ctc = new CTCLoss();
    const [ctcExpected] = grad(
      record(() => ctc.forward(pred, label, lengths)),
      [pred],
    );
    record(() => ctc.forward(pred, label, lengths)).backward();
    assert.deepEqual(Array.from(pred.grad!.data), Array.from(ctcExpected!.data));
    assert.equal(pred.grad!.data[1 * 24 + 3 * 4], 0, 'frames past the length stay 0');
  });

  test('two losses on one variable, and one variable in two slots of one loss, add up', () => {
    const { x, z } = inputs(3);
    x.attachGrad();
    const twice = () => record(() => bce.forward(x, z).add(new L2Loss().forward(x, z)));
    const [expected] = grad(twice(), [x]);
    twice().backward();
    assertClose(x.grad!.data, expected!.data, { rtol: 0, atol: 0 });
    const both = () => record(() => bce.forward(x, x));
    const [bothExpected] = grad(both(), [x]);
    both().backward();
    assertClose(x.grad!.data, bothExpected!.data, { rtol: 0, atol: 0 });
  });

  test("retainGraph passes, gradReq 'add' and a broadcast posWeight summed across blocks", () => {
    const { x, z } = inputs(4);
    const posWeight = nd.random.uniform(0.5, 2, [1, 300], { dtype: 'float32' });
    x.attachGrad();
    posWeight.attachGrad();
    const [dx, dp] = grad(
      record(() => bce.forward(x, z, null, posWeight)),
      [x, posWeight],
    );
    const out = record(() => bce.forward(x, z, null, posWeight));
    for (let pass = 0; pass < 2; pass++) {
      out.backward(null, { retainGraph: true });
      assertClose(x.grad!.data, dx!.data, { rtol: 0, atol: 0 });
      assertClose(posWeight.grad!.data, dp!.data, { rtol: 0, atol: 0 });
    }
    const accumulating = inputs(4).x.attachGrad('add');
    const [once] = grad(
      record(() => bce.forward(accumulating, z)),
      [accumulating],
    );
    for (let pass = 1; pass <= 3; pass++) {
      record(() => bce.forward(accumulating, z)).backward();
      assertClose(
        accumulating.grad!.data,
        Array.from(once!.data, (v) => pass * v),
        { rtol: 1e-6, atol: 0 },
      );
    }
  });

  test('createGraph gradients (never written in place) stay independent of a later pass', () => {
    const x = nd.array([[0.5, -1, 2]], f64).attachGrad();
    const z = nd.array([[1, 0, 0.25]], f64);
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const [first] = grad(
      record(() => bce.forward(x, z)),
      [x],
      { createGraph: true },
    );
    const firstValues = [0.5, -1, 2].map((v, i) => (sigmoid(v) - [1, 0, 0.25][i]!) / 3);
    record(() => bce.forward(x, nd.array([[0, 1, 1]], f64))).backward();
    assertClose(first!.data, firstValues, { rtol: 1e-15, atol: 0 });
    const [second] = grad(
      record(() => first!.sum()),
      [x],
    );
    assertClose(
      second!.data,
      [0.5, -1, 2].map((v) => (sigmoid(v) * (1 - sigmoid(v))) / 3),
      { rtol: 1e-12, atol: 0 },
    );
  });

  test('a buffer the pass reads (an input, a view of it, or a head gradient) is not written early', () => {
    const { x, z } = inputs(5);
    x.attachGrad();
    record(() => bce.forward(x, z)).backward();
    // The label is computed from the old x.grad (through a reshape view), so the label's
    // producer reads that buffer in its backward, which runs after the loss's.
    const w = nd.ones([4, 300], { dtype: 'float32' }).attachGrad();
    const make = () => record(() => bce.forward(x, w.mul(x.grad!.reshape([4, 300]))));
    const [dx, dw] = grad(make(), [x, w]);
    make().backward();
    assertClose(w.grad!.data, dw!.data, { rtol: 0, atol: 0 });
    assertClose(x.grad!.data, dx!.data, { rtol: 0, atol: 0 });
    // A head gradient that is x's own gradient buffer (x 1-D, one loss value per element).
    const v = nd.array([0.5, -2, 3], { dtype: 'float32' }).attachGrad();
    const label = nd.array([1, 0, 1], { dtype: 'float32' });
    v.grad!.data.set([1, 2, 3]);
    const [weighted] = grad(
      record(() => bce.forward(v, label)),
      [v],
      {
        headGrads: nd.array([1, 2, 3], { dtype: 'float32' }),
      },
    );
    record(() => bce.forward(v, label)).backward(v.grad);
    assertClose(v.grad!.data, weighted!.data, { rtol: 0, atol: 0 });
  });
});

describe('backward is all-or-nothing', () => {
  /** A variable whose gradient buffer holds a recognisable previous gradient. */
  const variable = (values: number[]) => {
    const x = nd.array(values, f64).attachGrad();
    x.grad!.data.set(values.map((v) => v * 100 + 7));
    return x;
  };
  const snapshot = (...xs: nd.NDArray[]) =>
    xs.map((x) => ({ buffer: x.grad, values: Array.from(x.grad!.data) }));
  const assertUnchanged = (before: ReturnType<typeof snapshot>, ...xs: nd.NDArray[]) =>
    xs.forEach((x, i) => {
      assert.equal(x.grad, before[i]!.buffer, 'the same gradient buffer');
      assert.deepEqual(Array.from(x.grad!.data), before[i]!.values, 'the previous gradient, untouched');
    });

  test('an input written in place after recording: every .grad stays as it was', () => {
    // a's gradient would be ready (and, with in-place writes, written) before the failing node runs.
    const a = variable([1, 2]);
    const b = variable([3, 4]);
    const loss = new L2Loss();
    const c = nd.array([5, 6], f64);
    const out = record(() => loss.forward(a, nd.zeros([2], f64)).add(b.mul(c).sum()));
    c.data[0] = 50; // written in place after it was recorded
    c._version++;
    const before = snapshot(a, b);
    assert.throws(() => out.backward(), AutogradError);
    assertUnchanged(before, a, b);
  });

  test('a backward rule that throws midway: nothing written, graph intact, a retry succeeds', () => {
    const a = variable([1, 2, 3]);
    const b = variable([-1, 0.5, 2]);
    let failures = 1;
    const flaky = customOp<undefined, undefined>({
      name: 'flaky',
      forward: ([x]) => x!.mul(2),
      backward: ({ gradOutput }) => {
        if (failures-- > 0) throw new Error('flaky backward');
        return [gradOutput.mul(2)];
      },
    });
    const bce = new SigmoidBinaryCrossEntropyLoss();
    const label = nd.array([1, 0, 1], f64);
    const out = record(() => bce.forward(a, label).add(flaky([b], undefined).sum()));
    const before = snapshot(a, b);
    assert.throws(() => out.backward(), /flaky backward/);
    assertUnchanged(before, a, b);
    // Nothing was freed or consumed by the failed pass: running it again gives the true gradients.
    out.backward();
    const [expectedA] = grad(
      record(() => bce.forward(a, label)),
      [a],
    );
    assertClose(a.grad!.data, expectedA!.data, { rtol: 0, atol: 0 });
    // The 0-d sum is broadcast over the loss's 3 values, so 3 × the op's factor 2.
    assert.deepEqual(Array.from(b.grad!.data), [6, 6, 6]);
  });

  test('a freed graph is found before any rule runs', () => {
    const a = variable([1, 2]);
    const first = record(() => a.mul(a));
    const out = record(() => first.sum().add(a.sum()));
    first.backward();
    const before = snapshot(a);
    assert.throws(() => out.backward(), /freed by an earlier backward/);
    assertUnchanged(before, a);
  });

  test('a gradient assigned by the user is replaced, never written into', () => {
    const a = nd.array([1, 2], f64).attachGrad();
    const mine = nd.array([9, 9], f64);
    a.grad = mine;
    record(() => a.mul(a).sum()).backward();
    assert.deepEqual(Array.from(mine.data), [9, 9]);
    assert.deepEqual(Array.from(a.grad!.data), [2, 4]);
    const buffer = a.grad;
    record(() => a.mul(3).sum()).backward();
    assert.equal(a.grad, buffer, 'a buffer backward allocated is then reused in place');
  });
});

describe('BackwardContext.onGraphFreed', () => {
  /** A customOp that records when its rule's onGraphFreed callbacks run. */
  const tracked = (log: string[], fail: { now: boolean }) =>
    customOp<undefined, undefined>({
      name: 'tracked',
      forward: ([x]) => x!.mul(2),
      backward: ({ gradOutput, onGraphFreed }) => {
        onGraphFreed(() => log.push('freed'));
        if (fail.now) throw new Error('tracked backward');
        log.push('rule');
        return [gradOutput.mul(2)];
      },
    });

  test('runs after the gradients are written and the graph freed; not for retained graphs or failed passes', () => {
    const log: string[] = [];
    const fail = { now: true };
    const x = nd.array([1, 2], f64).attachGrad();
    const out = record(() => tracked(log, fail)([x], undefined).sum());
    assert.throws(() => out.backward(), /tracked backward/);
    assert.deepEqual(log, [], 'a failed pass runs no callback');
    fail.now = false;
    out.backward(undefined, { retainGraph: true });
    assert.deepEqual(log, ['rule'], 'a retained graph runs no callback');
    let gradientWhenFreed: number[] = [];
    log.length = 0;
    const seen = customOp<undefined, undefined>({
      name: 'seen',
      forward: ([y]) => y!.mul(1),
      backward: ({ gradOutput, onGraphFreed }) => {
        onGraphFreed(() => {
          gradientWhenFreed = Array.from(x.grad!.data);
        });
        return [gradOutput];
      },
    });
    x.grad!.data.fill(0);
    record(() => seen([x], undefined).sum()).backward();
    assert.deepEqual(gradientWhenFreed, [1, 1], '.grad is already written when the callback runs');
    out.backward();
    assert.deepEqual(log, ['rule', 'freed']);
  });
});
