import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Constant,
  create,
  Normal,
  One,
  RandomInitializer,
  Uniform,
  Xavier,
  Zero,
} from '../../src/init/initializer.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { normal, RandomGenerator, seed, uniform } from '../../src/ndarray/random.js';

function moments(values: ArrayLike<number>): { mean: number; variance: number; min: number; max: number } {
  let total = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    total += values[i]!;
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  }
  const mean = total / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - mean) ** 2;
  return { mean, variance: squares / values.length, min, max };
}

describe('init', () => {
  test('Uniform: default scale 0.07, draws in [−scale, scale] with variance scale²/3', () => {
    assert.equal(new Uniform().scale, 0.07);
    const values = new Uniform(0.5).create([100, 100], 'float64', new RandomGenerator(1));
    const { mean, variance, min, max } = moments(values.data);
    assert.ok(min >= -0.5 && max <= 0.5);
    assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
    // 10⁴ draws: the variance estimate is within a few percent of 0.25/3.
    assert.ok(Math.abs(variance / (0.25 / 3) - 1) < 0.05, `variance ${variance}`);
  });

  test('Normal: default sigma 0.01, deviation sigma', () => {
    assert.equal(new Normal().sigma, 0.01);
    const { mean, variance } = moments(new Normal(2).create([10000], 'float64', new RandomGenerator(2)).data);
    assert.ok(Math.abs(mean) < 0.06, `mean ${mean}`);
    assert.ok(Math.abs(Math.sqrt(variance) / 2 - 1) < 0.03, `deviation ${Math.sqrt(variance)}`);
  });

  test('Xavier: scale = sqrt(magnitude / factor) with fans from [out, in, ...receptive field]', () => {
    const avg = new Xavier();
    assert.equal(avg.scaleFor([64, 128]), Math.sqrt(3 / 96));
    // [4, 3, 2, 2]: receptive field 4, fan-in 12, fan-out 16.
    assert.equal(new Xavier({ factorType: 'in', magnitude: 2 }).scaleFor([4, 3, 2, 2]), Math.sqrt(2 / 12));
    assert.equal(new Xavier({ factorType: 'out', magnitude: 2 }).scaleFor([4, 3, 2, 2]), Math.sqrt(2 / 16));
    const uniformDraws = avg.create([64, 128], 'float64', new RandomGenerator(3)).data;
    const bound = Math.sqrt(3 / 96);
    const { min, max } = moments(uniformDraws);
    assert.ok(min >= -bound && max <= bound && max > 0.95 * bound);
    const gaussian = new Xavier({ rndType: 'gaussian', magnitude: 2 }).create(
      [200, 100],
      'float64',
      new RandomGenerator(4),
    );
    const deviation = Math.sqrt(moments(gaussian.data).variance);
    assert.ok(Math.abs(deviation / Math.sqrt(2 / 150) - 1) < 0.03, `deviation ${deviation}`);
  });

  test('Xavier rejects vectors and invalid options', () => {
    assert.throws(() => new Xavier().create([5], 'float32', undefined, 'bias'), ShapeError);
    assert.throws(() => new Xavier().create([5]), /needs at least 2 axes/);
    assert.throws(() => new Xavier({ rndType: 'normal' as 'gaussian' }), ValueError);
    assert.throws(() => new Xavier({ factorType: 'sum' as 'avg' }), /factorType/);
    assert.throws(() => new Xavier({ magnitude: -1 }), /magnitude/);
  });

  test('the random initializers draw uniform(−s, s) or normal(0, s) at their scaleFor(shape)', () => {
    const draws = (init: RandomInitializer, shape: number[]) =>
      Array.from(init.create(shape, 'float64', new RandomGenerator(7)).data);
    const cases: [RandomInitializer, number[], number][] = [
      [new Uniform(0.3), [4, 5], 0.3],
      [new Normal(0.2), [4, 5], 0.2],
      [new Xavier(), [4, 5], Math.sqrt(3 / 4.5)],
      [new Xavier({ rndType: 'gaussian', factorType: 'in' }), [4, 5], Math.sqrt(3 / 5)],
    ];
    for (const [init, shape, scale] of cases) {
      assert.ok(init instanceof RandomInitializer);
      assert.equal(init.scaleFor(shape), scale, init.toString());
      const options = { dtype: 'float64' as const, generator: new RandomGenerator(7) };
      const expected =
        init.rndType === 'uniform'
          ? uniform(-scale, scale, shape, options)
          : normal(0, scale, shape, options);
      assert.deepEqual(draws(init, shape), Array.from(expected.data), init.toString());
    }
  });

  test('Zero, One and Constant fill every element, in the requested dtype', () => {
    assert.deepEqual(Array.from(new Zero().create([3]).data), [0, 0, 0]);
    assert.deepEqual(Array.from(new One().create([2, 2]).data), [1, 1, 1, 1]);
    const constant = new Constant(0.25).create([2], 'float64');
    assert.equal(constant.dtype, 'float64');
    assert.deepEqual(Array.from(constant.data), [0.25, 0.25]);
    assert.throws(() => new Constant(Number.NaN), ValueError);
  });

  test('draws come from the global seeded generator by default', () => {
    seed(42);
    const first = new Uniform().create([5]);
    seed(42);
    const second = new Uniform().create([5]);
    assert.deepEqual(Array.from(first.data), Array.from(second.data));
    const third = new Uniform().create([5]);
    assert.notDeepEqual(Array.from(third.data), Array.from(second.data));
  });

  test('create resolves MXNet short names and rejects unknown ones', () => {
    assert.ok(create('zeros') instanceof Zero);
    assert.ok(create('ones') instanceof One);
    assert.ok(create('xavier') instanceof Xavier);
    const given = new Normal(1);
    assert.equal(create(given), given);
    assert.throws(() => create('glorot' as 'xavier'), /unknown initializer "glorot"/);
  });

  test('toString describes the initializer', () => {
    assert.equal(new Uniform().toString(), 'Uniform(scale=0.07)');
    assert.equal(
      new Xavier({ magnitude: 2 }).toString(),
      'Xavier(rndType=uniform, factorType=avg, magnitude=2)',
    );
  });
});
