/**
 * The implicit unit head (GraphNode.backward, OpDefinition.acceptsUnitHead): an op that declares
 * it gets `unitHead: true` instead of an array of ones the engine allocated, only when its output
 * is a head of a pass without createGraph, no head gradient was given and nothing else adds to
 * the head's gradient. Whatever a rule does with gradOutput, no `.grad` may share an array with
 * another pass or with anything the rule keeps.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as autograd from '../../src/autograd/index.js';
import * as nd from '../../src/ndarray/index.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { defineOp } from '../../src/ops/_define.js';

const f64 = { dtype: 'float64' } as const;

/** What one run of a probe's backward saw. */
interface Run {
  unitHead: boolean;
  gradOutput: NDArray;
}

/**
 * y = 2x, whose backward records what it was given. `identity` makes the backward return
 * gradOutput itself times nothing (the worst case for sharing: y = x's rule returns it as is),
 * so the probe is y = x then.
 */
function probe(options: { accepts: boolean; identity: boolean }) {
  const runs: Run[] = [];
  const op = defineOp<undefined, undefined>({
    name: 'probe',
    acceptsUnitHead: options.accepts,
    forward: ([x]) => (options.identity ? new NDArray(x!.data.slice(), x!.shape) : x!.mul(2)),
    backward: ({ gradOutput, unitHead }) => {
      runs.push({ unitHead, gradOutput });
      return [options.identity ? gradOutput : gradOutput.mul(2)];
    },
  });
  return { runs, apply: (x: NDArray) => op([x], undefined) };
}

describe('backward: the implicit unit head', () => {
  test('an op that accepts it gets unitHead, and gradOutput still reads as ones', () => {
    const { runs, apply } = probe({ accepts: true, identity: false });
    const x = nd.array([1, 2, 3], f64).attachGrad();
    autograd.record(() => apply(x)).backward();
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.unitHead, true);
    assert.deepEqual(runs[0]!.gradOutput.toArray(), [1, 1, 1]);
    assert.equal(runs[0]!.gradOutput.dtype, 'float64');
    assert.deepEqual(x.grad!.toArray(), [2, 2, 2]);
  });

  test('an op that does not declare it never gets unitHead', () => {
    const { runs, apply } = probe({ accepts: false, identity: false });
    const x = nd.array([1, 2, 3], f64).attachGrad();
    autograd.record(() => apply(x)).backward();
    assert.equal(runs[0]!.unitHead, false);
    assert.deepEqual(x.grad!.toArray(), [2, 2, 2]);
  });

  test('a given head gradient, ones or not, is an array: unitHead is false', () => {
    const { runs, apply } = probe({ accepts: true, identity: false });
    const x = nd.array([1, 2, 3], f64).attachGrad();
    autograd.record(() => apply(x)).backward(nd.ones([3], f64));
    assert.deepEqual(x.grad!.toArray(), [2, 2, 2]);
    autograd.record(() => apply(x)).backward(nd.array([1, -3, 0.5], f64));
    assert.deepEqual(x.grad!.toArray(), [2, -6, 1]);
    assert.deepEqual(
      runs.map((run) => run.unitHead),
      [false, false],
    );
  });

  test('createGraph always passes an array, so the gradient can be differentiated', () => {
    const { runs, apply } = probe({ accepts: true, identity: false });
    const x = nd.array([1, 2], f64).attachGrad();
    const y = autograd.record(() => apply(x.square()));
    const [dx] = autograd.grad(y, x, { createGraph: true });
    assert.equal(runs[0]!.unitHead, false);
    assert.deepEqual(dx!.toArray(), [4, 8]);
    // d/dx Σ 4x = 4.
    autograd.backward(autograd.record(() => dx!.sum()));
    assert.deepEqual(x.grad!.toArray(), [4, 4]);
  });

  test('retainGraph: a second backward gets the unit head again and the same gradient', () => {
    const { runs, apply } = probe({ accepts: true, identity: false });
    const x = nd.array([1, 2, 3], f64).attachGrad('add');
    const y = autograd.record(() => apply(x));
    y.backward(null, { retainGraph: true });
    y.backward();
    assert.deepEqual(
      runs.map((run) => run.unitHead),
      [true, true],
    );
    assert.deepEqual(x.grad!.toArray(), [4, 4, 4]);
  });

  test('the same head twice: its gradient is two, an array', () => {
    const { runs, apply } = probe({ accepts: true, identity: false });
    const x = nd.array([1, 2], f64).attachGrad();
    const y = autograd.record(() => apply(x));
    autograd.backward([y, y]);
    assert.equal(runs[0]!.unitHead, false);
    assert.deepEqual(x.grad!.toArray(), [4, 4]);
  });

  test('a head that another head also depends on: its ones are added to before its rule runs', () => {
    const { runs, apply } = probe({ accepts: true, identity: false });
    const x = nd.array([1, 2], f64).attachGrad();
    const { y, z } = autograd.record(() => {
      const inner = apply(x);
      return { y: inner, z: inner.mul(3) };
    });
    autograd.backward([y, z]);
    // dy/dx = 2, dz/dx = 6.
    assert.equal(runs[0]!.unitHead, false);
    assert.deepEqual(runs[0]!.gradOutput.toArray(), [4, 4]);
    assert.deepEqual(x.grad!.toArray(), [8, 8]);
  });

  test('autograd.grad with the head among the variables returns ones for it', () => {
    const { apply } = probe({ accepts: true, identity: false });
    const x = nd.array([1, 2], f64).attachGrad();
    const y = autograd.record(() => apply(x));
    const [dy, dx] = autograd.grad(y, [y, x]);
    assert.deepEqual(dy!.toArray(), [1, 1]);
    assert.deepEqual(dx!.toArray(), [2, 2]);
  });

  test('a rule that returns gradOutput itself: no .grad is shared with it or across passes', () => {
    const { runs, apply } = probe({ accepts: true, identity: true });
    const x = nd.array([5, 6], f64).attachGrad();
    autograd.record(() => apply(x)).backward();
    const first = x.grad!;
    assert.notEqual(first, runs[0]!.gradOutput);
    assert.notEqual(first.data, runs[0]!.gradOutput.data);
    first.data[0] = 100;
    autograd.record(() => apply(x)).backward();
    assert.notEqual(runs[1]!.gradOutput.data, runs[0]!.gradOutput.data);
    assert.deepEqual(runs[1]!.gradOutput.toArray(), [1, 1]);
    assert.deepEqual(x.grad!.toArray(), [1, 1]);
    // autograd.grad hands out private copies; with createGraph, a new array per pass.
    const a = autograd.grad(
      autograd.record(() => apply(x)),
      x,
    )[0]!;
    const b = autograd.grad(
      autograd.record(() => apply(x)),
      x,
    )[0]!;
    a.data[1] = -1;
    assert.deepEqual(b.toArray(), [1, 1]);
    const c = autograd.grad(
      autograd.record(() => apply(x)),
      x,
      { createGraph: true },
    )[0]!;
    const d = autograd.grad(
      autograd.record(() => apply(x)),
      x,
      { createGraph: true },
    )[0]!;
    assert.notEqual(c.data, d.data);
    c.data[0] = 7;
    assert.deepEqual(d.toArray(), [1, 1]);
  });
});
