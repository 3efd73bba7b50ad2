import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as autograd from '../../src/autograd/index.js';
import { AutogradError, ShapeError } from '../../src/ndarray/errors.js';
import * as nd from '../../src/ndarray/index.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { defineOp } from '../../src/ops/_define.js';
import { assertClose, assertGradients, assertThrowsWith, randn } from './_op-checks.js';

const f64 = { dtype: 'float64' } as const;

/** A user op: x³ with a raw loop forward and a backward written with NDArray ops. */
const cube = autograd.customOp<undefined, undefined>({
  name: 'cube',
  forward: ([x]) => {
    const out = new Float64Array(x!.size);
    for (let i = 0; i < out.length; i++) out[i] = x!.data[i]! ** 3;
    return new NDArray(out, x!.shape);
  },
  backward: ({ inputs: [x], gradOutput }) => [gradOutput.mul(x!.square()).mul(3)],
});

describe('defineOp / autograd.customOp', () => {
  test('customOp is defineOp', () => {
    assert.equal(autograd.customOp, defineOp);
  });

  test('a user op computes its forward and gets exact first and second derivatives', () => {
    assertClose(cube([nd.array([1, -2, 3], f64)], undefined), [1, -8, 27]);
    assertGradients('cube', (x) => cube([x], undefined), [randn([2, 3], 1)]);
    assertGradients('cube inside a composition', (x) => cube([x.sin()], undefined).mul(x), [randn([4], 2)]);
  });

  test('forward runs with recording paused; saved state and attrs reach backward', () => {
    const seen: { recording: boolean[]; saved: number[]; attrs: number[]; needsGrad: boolean[][] } = {
      recording: [],
      saved: [],
      attrs: [],
      needsGrad: [],
    };
    const scaledProduct = defineOp<number, number>({
      name: 'scaledProduct',
      forward: ([a, b], scale) => {
        seen.recording.push(autograd.isRecording());
        return { output: a!.mul(b!).mul(scale), saved: 42 };
      },
      backward: ({ inputs: [a, b], gradOutput, attrs, saved, needsGrad, output }) => {
        seen.saved.push(saved);
        seen.attrs.push(attrs);
        seen.needsGrad.push([...needsGrad]);
        assert.deepEqual(output.shape, [2]);
        return [gradOutput.mul(b!).mul(attrs), needsGrad[1] ? gradOutput.mul(a!).mul(attrs) : null];
      },
    });
    const a = nd.array([1, 2], f64).attachGrad();
    const b = nd.array([3, 4], f64);
    const y = autograd.record(() => scaledProduct([a, b], 10));
    assert.deepEqual(y.toArray(), [30, 80]);
    y.backward();
    assert.deepEqual(a.grad!.toArray(), [30, 40]);
    assert.deepEqual(seen, { recording: [false], saved: [42], attrs: [10], needsGrad: [[true, false]] });
  });

  test('nothing is recorded outside record() or when no input needs a gradient', () => {
    const x = nd.array([1, 2], f64).attachGrad();
    assert.equal(cube([x], undefined)._node, null);
    const constant = nd.array([1, 2], f64);
    assert.equal(autograd.record(() => cube([constant], undefined))._node, null);
    assert.notEqual(autograd.record(() => cube([x], undefined))._node, null);
  });

  test('an int32 output never requires a gradient, whatever its inputs (one rule with attachGrad)', () => {
    const floor = defineOp<undefined, undefined>({
      name: 'floorToInt',
      forward: ([x]) => x!.astype('int32'),
      backward: ({ gradOutput }) => [gradOutput],
    });
    const x = nd.array([1.5, -2.5], f64).attachGrad();
    const [custom, cast, argmax] = autograd.record(() => [
      floor([x], undefined),
      x.astype('int32'),
      x.argmax(0),
    ]);
    for (const output of [custom, cast, argmax]) {
      assert.equal(output!.dtype, 'int32');
      assert.equal(output!._node, null);
      assert.equal(output!.requiresGrad, false);
    }
    assertThrowsWith(() => custom!.backward(), AutogradError);
    // Used as a constant beside the variable, the int32 result contributes no gradient path.
    autograd.record(() => x.mul(floor([x], undefined))).backward();
    assert.deepEqual(x.grad!.toArray(), [1, -2]);
  });

  test('an identity forward does not make its input its own parent', () => {
    const identity = defineOp<undefined, undefined>({
      name: 'identity',
      forward: ([x]) => x!,
      backward: ({ gradOutput }) => [gradOutput.mul(2)],
    });
    const x = nd.array([1, 2], f64).attachGrad();
    const y = autograd.record(() => identity([x], undefined));
    assert.notEqual(y, x);
    assert.equal(y.data, x.data);
    assert.equal(x._node, null);
    y.backward();
    assert.deepEqual(x.grad!.toArray(), [2, 2]);
  });

  test('a backward that returns the wrong shape is a ShapeError naming the op', () => {
    const broken = defineOp<undefined, undefined>({
      name: 'brokenShape',
      forward: ([x]) => x!.mul(1),
      backward: ({ gradOutput }) => [gradOutput.sum()],
    });
    const x = nd.array([1, 2], f64).attachGrad();
    const y = autograd.record(() => broken([x], undefined));
    assertThrowsWith(() => y.backward(), ShapeError, 'brokenShape', '[]', '[2]');
  });

  test('a backward built from raw arrays has no second derivative', () => {
    const square = defineOp<undefined, undefined>({
      name: 'rawSquare',
      forward: ([x]) => x!.square(),
      backward: ({ inputs: [x], gradOutput }) => {
        const out = new Float64Array(x!.size);
        for (let i = 0; i < out.length; i++) out[i] = 2 * x!.data[i]! * gradOutput.data[i]!;
        return [new NDArray(out, x!.shape)];
      },
    });
    const x = nd.array([3], f64).attachGrad();
    const [first] = autograd.grad(
      autograd.record(() => square([x], undefined)),
      x,
      { createGraph: true },
    );
    assert.equal(first!.item(), 6);
    assert.equal(first!.requiresGrad, false);
  });
});
