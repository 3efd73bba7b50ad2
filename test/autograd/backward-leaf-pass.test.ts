// The engine's short pass (backward.ts, leafNodePass): one head whose op's inputs are variables,
// the usual training step. It must give the general pass's gradients, errors and effects; the
// same graphs with one more op after them take the general pass.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { customOp, record } from '../../src/autograd/index.js';
import { AutogradError, ShapeError } from '../../src/ndarray/errors.js';
import * as nd from '../../src/ndarray/index.js';
import { assertThrowsWith } from '../ops/_op-checks.js';

const f64 = { dtype: 'float64' } as const;

/** A variable whose gradient buffer holds a recognisable previous gradient. */
function variable(values: number[]): nd.NDArray {
  const x = nd.array(values, f64).attachGrad();
  x.grad!.data.set(values.map((v) => v * 100 + 7));
  return x;
}

describe('backward: the short pass of one op on variables', () => {
  test("the general pass's gradients: one input twice, a detached operand, 'add', head gradients", () => {
    // The same graphs with one more op after them take the general pass: the gradients must agree.
    const cases = [
      (x: nd.NDArray, y: nd.NDArray) => x.mul(y),
      (x: nd.NDArray) => x.mul(x),
      (x: nd.NDArray, y: nd.NDArray) => y.sub(x.detach()),
    ];
    for (const [k, f] of cases.entries()) {
      const run = (extra: boolean, head?: nd.NDArray) => {
        const x = variable([1, -2, 3]);
        const y = nd.array([0.5, 4, -1], f64).attachGrad('add');
        y.grad!.data.set([10, 20, 30]);
        const out = record(() => (extra ? f(x, y).mul(1) : f(x, y)));
        out.backward(head);
        return [...x.grad!.data, ...y.grad!.data];
      };
      for (const head of [undefined, nd.array([2, 3, -1], f64)])
        assert.deepEqual(run(false, head), run(true, head), `case ${k}`);
    }
  });

  test('a wrong gradient shape, from the rule or the head: nothing written, the graph intact for a retry', () => {
    let wrong = true;
    const op = customOp<undefined, undefined>({
      name: 'shaky',
      forward: ([x]) => x!.mul(2),
      backward: ({ gradOutput }) => [wrong ? gradOutput.sum() : gradOutput.mul(2)],
    });
    const a = variable([1, 2]);
    const out = record(() => op([a], undefined));
    const [buffer, before] = [a.grad, Array.from(a.grad!.data)];
    assertThrowsWith(() => out.backward(), ShapeError, "backward of 'shaky'", 'input 0');
    assert.equal(a.grad, buffer, 'the same gradient buffer');
    assert.deepEqual(Array.from(a.grad!.data), before, 'the previous gradient, untouched');
    assertThrowsWith(() => out.backward(nd.array([1], f64)), ShapeError, 'headGrad 0');
    wrong = false;
    out.backward();
    assert.deepEqual(Array.from(a.grad!.data), [2, 2]);
    assertThrowsWith(() => out.backward(), AutogradError, 'freed');
  });
});
