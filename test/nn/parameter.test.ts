import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { Constant, One, Zero } from '../../src/init/initializer.js';
import { array, zeros } from '../../src/ndarray/create.js';
import { MAX_ELEMENTS } from '../../src/ndarray/dtype.js';
import { AutogradError, ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { seed } from '../../src/ndarray/random.js';
import { Dense } from '../../src/nn/dense.js';
import {
  DeferredInitializationError,
  Parameter,
  ParameterNotInitializedError,
} from '../../src/nn/parameter.js';
import { assertThrowsWith } from '../ops/_op-checks.js';

/** Runs `fn` with console.warn captured; returns the warnings. */
function captureWarnings(fn: () => void): string[] {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (message: string) => warnings.push(message);
  try {
    fn();
  } finally {
    console.warn = original;
  }
  return warnings;
}

describe('Parameter', () => {
  test('deferred initialization: data() explains what to do until the shape is known', () => {
    const p = new Parameter('weight', { shape: [2, 0] });
    p.initialize(new One());
    assert.ok(p.isDeferred && !p.isInitialized);
    assert.throws(() => p.data(), DeferredInitializationError);
    assert.throws(() => p.data(), /Run one forward pass.*inUnits/s);
    assert.throws(() => p.grad(), DeferredInitializationError);
    p.inferShape([2, 3]);
    assert.ok(p.isInitialized && !p.isDeferred);
    assert.deepEqual(p.data().shape, [2, 3]);
    assert.deepEqual(Array.from(p.data().data), [1, 1, 1, 1, 1, 1]);
  });

  test('data() before initialize() is a ParameterNotInitializedError', () => {
    assert.throws(() => new Parameter('w', { shape: [2] }).data(), ParameterNotInitializedError);
    assert.throws(() => new Parameter('w', { shape: [2] }).data(), /call initialize\(\)/);
  });

  test('initializer precedence: explicit init > own init > default (Gluon)', () => {
    const own = new Parameter('bias', { shape: [2], init: 'zeros' });
    own.initialize(null, { defaultInit: new One() });
    assert.deepEqual(Array.from(own.data().data), [0, 0]);
    const explicit = new Parameter('bias', { shape: [2], init: 'zeros' });
    explicit.initialize(new Constant(3), { defaultInit: new One() });
    assert.deepEqual(Array.from(explicit.data().data), [3, 3]);
    const fallback = new Parameter('w', { shape: [2] });
    fallback.initialize(null, { defaultInit: new One() });
    assert.deepEqual(Array.from(fallback.data().data), [1, 1]);
  });

  test('without any initializer the default is Uniform(0.07)', () => {
    seed(0);
    const p = new Parameter('w', { shape: [1000] });
    p.initialize();
    const values = Array.from(p.data().data);
    assert.ok(values.every((v) => Math.abs(v) <= 0.07));
    assert.ok(Math.max(...values) > 0.06 && Math.min(...values) < -0.06);
  });

  test('re-initializing warns and keeps the data unless forceReinit', () => {
    const p = new Parameter('w', { shape: [2] });
    p.initialize(new One());
    const warnings = captureWarnings(() => p.initialize(new Zero()));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /already initialized.*forceReinit/);
    assert.deepEqual(Array.from(p.data().data), [1, 1]);
    p.initialize(new Zero(), { forceReinit: true });
    assert.deepEqual(Array.from(p.data().data), [0, 0]);
  });

  test('grad(): zeros first, written by backward, zeroGrad resets it', () => {
    const p = new Parameter('w', { shape: [2], dtype: 'float64' });
    p.setData([1, 2]);
    assert.deepEqual(Array.from(p.grad().data), [0, 0]);
    record(() => p.data().square().sum()).backward();
    assert.deepEqual(Array.from(p.grad().data), [2, 4]);
    p.zeroGrad();
    assert.deepEqual(Array.from(p.grad().data), [0, 0]);
  });

  test("gradReq 'add' accumulates across backward passes; 'null' has no gradient", () => {
    const p = new Parameter('w', { shape: [1], dtype: 'float64', gradReq: 'add' });
    p.setData([3]);
    record(() => p.data().mul(2).sum()).backward();
    record(() => p.data().mul(5).sum()).backward();
    assert.deepEqual(Array.from(p.grad().data), [7]);
    p.gradReq = 'null';
    assert.throws(() => p.grad(), ValueError);
    assert.throws(() => p.grad(), /gradReq is 'null'/);
    assert.throws(() => new Parameter('w', { gradReq: 'sometimes' as 'add' }), /gradReq must be/);
  });

  test('hasFreshGradient: true after a backward, false once consumed', () => {
    const p = new Parameter('w', { shape: [1] });
    p.initialize(new One());
    assert.equal(p.hasFreshGradient, false);
    record(() => p.data().sum()).backward();
    assert.equal(p.hasFreshGradient, true);
    p.markGradientConsumed();
    assert.equal(p.hasFreshGradient, false);
    record(() => p.data().sum()).backward();
    assert.equal(p.hasFreshGradient, true);
  });

  test('inferShape only fills unknown dimensions', () => {
    const p = new Parameter('w', { shape: [2, 0] });
    assert.throws(() => p.inferShape([3, 4]), ShapeError);
    assert.throws(() => p.inferShape([2, 4, 1]), /incompatible with the declared shape \[2,0\]/);
    p.inferShape([2, 4]);
    assert.deepEqual(p.shape, [2, 4]);
    assert.ok(p.shapeKnown);
  });

  test('setData: in place on initialized data (same array), initializes otherwise', () => {
    const p = new Parameter('w', { shape: [0] });
    p.setData([1, 2, 3]);
    assert.deepEqual(p.shape, [3]);
    const data = p.data();
    p.setData(array([4, 5, 6]));
    assert.equal(p.data(), data);
    assert.deepEqual(Array.from(data.data), [4, 5, 6]);
    assert.throws(() => p.setData([1, 2]), /value shape \[2\] differs from the parameter shape \[3\]/);
    assert.throws(() => record(() => p.setData([1, 2, 3])), AutogradError);
  });

  test('a deferred parameter loaded by setData does not run its pending initializer', () => {
    const p = new Parameter('w', { shape: [0] });
    p.initialize(new One());
    p.setData([7, 8]);
    assert.ok(!p.isDeferred);
    assert.deepEqual(Array.from(p.data().data), [7, 8]);
  });

  test('an impossible shape is a ShapeError naming the parameter and the limit, declared or inferred', () => {
    const limit = String(MAX_ELEMENTS);
    assertThrowsWith(
      () => new Parameter('weight', { shape: [1e5, 1e5] }),
      ShapeError,
      "Parameter 'weight'",
      '[100000,100000]',
      limit,
    );
    assertThrowsWith(() => new Parameter('weight', { shape: [1e5, 0, 1e5] }), ShapeError, limit);
    const deferred = new Parameter('weight', { shape: [1e5, 0] });
    deferred.initialize();
    assertThrowsWith(() => deferred.inferShape([1e5, 1e5]), ShapeError, "Parameter 'weight'", limit);
    assert.deepEqual(deferred.shape, [1e5, 0]);
    assert.equal(deferred.isDeferred, true);
    assertThrowsWith(() => new Dense(1e5, { inUnits: 1e5 }), ShapeError, "Parameter 'weight'", limit);
    // A deferred layer meets the limit on its first input instead.
    const dense = new Dense(1e5).initialize();
    assertThrowsWith(() => dense.forward(zeros([1, 1e5])), ShapeError, "Parameter 'weight'", limit);
  });

  test('constructor validation and toString', () => {
    assert.throws(() => new Parameter('w', { shape: [-1] }), ShapeError);
    assert.throws(() => new Parameter('w', { dtype: 'int32' as 'float32' }), ValueError);
    assert.equal(
      new Parameter('weight', { shape: [1, 0] }).toString(),
      'Parameter weight (shape=(1, 0), dtype=float32)',
    );
    assert.equal(
      new Parameter('bias', { shape: [4] }).toString(),
      'Parameter bias (shape=(4,), dtype=float32)',
    );
  });
});
