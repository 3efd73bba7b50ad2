import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { array } from '../../src/ndarray/create.js';
import { ShapeError } from '../../src/ndarray/errors.js';
import { RandomGenerator, uniform } from '../../src/ndarray/random.js';
import { fullyConnected } from '../../src/nn/fully-connected.js';
import { checkGradient, checkSecondGradient } from '../../src/testing/gradcheck.js';

const f64 = (values: number[] | number[][]) => array(values, { dtype: 'float64' });
const random = (shape: number[], seedValue: number) =>
  uniform(-1, 1, shape, { dtype: 'float64', generator: new RandomGenerator(seedValue) });

describe('fullyConnected', () => {
  test('closed form: x · Wᵀ + b', () => {
    const x = f64([
      [1, 2],
      [3, 4],
    ]);
    const weight = f64([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    const out = fullyConnected(x, weight, f64([10, 20, 30]));
    assert.deepEqual(out.shape, [2, 3]);
    assert.deepEqual(out.toArray(), [
      [11, 22, 33],
      [13, 24, 37],
    ]);
    assert.deepEqual(fullyConnected(x, weight).toArray(), [
      [1, 2, 3],
      [3, 4, 7],
    ]);
  });

  test('flatten=true folds every non-batch axis; flatten=false maps the last axis', () => {
    const x = random([2, 3, 4], 1);
    const flatWeight = random([5, 12], 2);
    const flat = fullyConnected(x, flatWeight, null, { flatten: true });
    assert.deepEqual(flat.shape, [2, 5]);
    const reference = fullyConnected(x.reshape([2, 12]), flatWeight);
    assert.deepEqual(Array.from(flat.data), Array.from(reference.data));
    const lastAxis = fullyConnected(x, random([5, 4], 3), random([5], 4), { flatten: false });
    assert.deepEqual(lastAxis.shape, [2, 3, 5]);
  });

  test('gradients match finite differences (flatten true and false, with and without bias)', () => {
    const withBias = checkGradient(
      (x, w, b) => fullyConnected(x!, w!, b!).square(),
      [random([3, 2, 2], 5), random([4, 4], 6), random([4], 7)],
    );
    assert.ok(withBias.ok, `worst ${withBias.worst}`);
    const lastAxis = checkGradient(
      (x, w) => fullyConnected(x!, w!, null, { flatten: false }).tanh(),
      [random([2, 3, 4], 8), random([2, 4], 9)],
    );
    assert.ok(lastAxis.ok, `worst ${lastAxis.worst}`);
  });

  test('second derivatives (createGraph) match finite differences', () => {
    const result = checkSecondGradient(
      (x, w, b) => fullyConnected(x!, w!, b!).tanh(),
      [random([2, 3], 10), random([2, 3], 11), random([2], 12)],
    );
    assert.ok(result.ok, `worst ${result.worst}`);
  });

  test('integer inputs are converted to the weight dtype', () => {
    const out = fullyConnected(array([[1, 2]], { dtype: 'int32' }), f64([[0.5, 0.25]]));
    assert.equal(out.dtype, 'float64');
    assert.deepEqual(out.toArray(), [[1]]);
  });

  test('shape errors name the argument and shapes', () => {
    assert.throws(() => fullyConnected(random([2, 3], 1), random([4, 2], 2)), ShapeError);
    assert.throws(
      () => fullyConnected(random([2, 3], 1), random([4, 2], 2)),
      /input \[2,3\] has 3 features.*weight \[4,2\] expects 2/,
    );
    assert.throws(
      () => fullyConnected(random([2, 3], 1), random([4, 3], 2), random([3], 3)),
      /bias must have shape \[4\]/,
    );
    assert.throws(() => fullyConnected(random([2, 3], 1), random([12], 2)), /weight must have 2 axes/);
  });
});
