// The option and shape checks every loss shares (src/loss/_base/validation.ts), tested directly:
// each returns what it was given (or its fallback) when valid, and otherwise throws the typed
// error whose message names the loss, the option or argument, and the value or shapes at fault.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  booleanOption,
  checkBoolean,
  checkChoice,
  checkDomain,
  checkFinite,
  checkKnownOptions,
  checkRank,
  assertSignLabels,
  checkSignLabels,
  choiceOption,
  finiteOption,
  integerOption,
  lossBatchAxis,
  PROBABILITIES,
  reshapeLike,
} from '../../../src/loss/_base/validation.js';
import { ShapeError, ValueError } from '../../../src/ndarray/errors.js';
import { nd } from '../../../src/index.js';

/** Asserts `run` throws `type` with every one of `parts` in its message. */
function throwsNaming(
  run: () => unknown,
  type: typeof ValueError | typeof ShapeError,
  parts: string[],
): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    for (const part of parts) assert.ok(error.message.includes(part), `"${error.message}" lacks "${part}"`);
    return true;
  });
}

describe('option checks', () => {
  it('fallbacks apply only to undefined; null and wrong types are errors naming loss, option and value', () => {
    assert.equal(finiteOption('L1Loss', 'weight', undefined, 2.5), 2.5);
    assert.equal(finiteOption('L1Loss', 'weight', -0.5, 2.5), -0.5);
    throwsNaming(() => finiteOption('L1Loss', 'weight', null, 2.5), ValueError, ['L1Loss', 'weight', 'null']);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '1', true]) {
      throwsNaming(() => checkFinite('HuberLoss', 'rho', bad), ValueError, ['HuberLoss', 'rho', String(bad)]);
    }

    assert.equal(integerOption('TripletLoss', 'batchAxis', undefined, 0), 0);
    assert.equal(integerOption('TripletLoss', 'batchAxis', -1, 0), -1);
    for (const bad of [1.5, null, '0', Number.NaN]) {
      throwsNaming(() => integerOption('TripletLoss', 'batchAxis', bad, 0), ValueError, [
        'TripletLoss',
        'batchAxis',
        String(bad),
      ]);
    }

    assert.equal(booleanOption('SigmoidBCELoss', 'fromSigmoid', undefined, false), false);
    assert.equal(booleanOption('SigmoidBCELoss', 'fromSigmoid', true, false), true);
    throwsNaming(() => booleanOption('SigmoidBCELoss', 'fromSigmoid', 1, false), ValueError, [
      'SigmoidBCELoss',
      'fromSigmoid',
      '1',
    ]);
    throwsNaming(() => checkBoolean('SigmoidBCELoss', 'fromSigmoid', null), ValueError, [
      'true or false',
      'null',
    ]);
  });

  it('choices are case-sensitive and list what is allowed', () => {
    const allowed = ['signed', 'binary'] as const;
    assert.equal(choiceOption('LogisticLoss', 'labelFormat', undefined, allowed, 'signed'), 'signed');
    assert.equal(checkChoice('LogisticLoss', 'labelFormat', 'binary', allowed), 'binary');
    throwsNaming(() => checkChoice('LogisticLoss', 'labelFormat', 'Binary', allowed), ValueError, [
      'LogisticLoss',
      'labelFormat',
      "'signed', 'binary'",
      '"Binary"',
    ]);
    throwsNaming(() => choiceOption('LogisticLoss', 'labelFormat', null, allowed, 'signed'), ValueError, [
      'null',
    ]);
  });

  it('unknown option names are errors that list the known ones', () => {
    checkKnownOptions('L2Loss', { weight: 1, batchAxis: 0 }, ['weight', 'batchAxis']);
    throwsNaming(() => checkKnownOptions('L2Loss', { weigth: 1 }, ['weight', 'batchAxis']), ValueError, [
      'L2Loss',
      'weigth',
      'weight, batchAxis',
    ]);
  });
});

describe('shape checks', () => {
  it('reshapeLike keeps a same-shape array, reshapes an equal-size one, and names both shapes otherwise', () => {
    const like = nd.zeros([2, 3]);
    const same = nd.ones([2, 3]);
    assert.equal(reshapeLike('L1Loss', 'label', same, 'pred', like), same);
    const flat = nd.array([1, 2, 3, 4, 5, 6]);
    const reshaped = reshapeLike('L1Loss', 'label', flat, 'pred', like);
    assert.deepEqual(reshaped.shape, [2, 3]);
    assert.deepEqual([...reshaped.data], [1, 2, 3, 4, 5, 6]);
    throwsNaming(() => reshapeLike('L1Loss', 'label', nd.zeros([4]), 'pred', like), ShapeError, [
      'L1Loss',
      'label shape [4] (4 elements)',
      'pred shape [2,3] (6 elements)',
    ]);
  });

  it('checkRank and lossBatchAxis name the argument, the rank and the shape', () => {
    checkRank('CTCLoss', 'pred', nd.zeros([2, 3, 4]), 3);
    throwsNaming(() => checkRank('CTCLoss', 'pred', nd.zeros([2, 3]), 3, 'NTC'), ShapeError, [
      'CTCLoss',
      'pred',
      '3 axes (NTC)',
      '[2,3]',
    ]);
    assert.equal(lossBatchAxis('L2Loss', -1, [4, 5]), 1);
    assert.equal(lossBatchAxis('L2Loss', 0, [4, 5]), 0);
    throwsNaming(() => lossBatchAxis('L2Loss', 2, [4, 5]), ShapeError, ['L2Loss', 'batchAxis']);
  });

  it('checkSignLabels returns the ±1 labels and names the first position holding anything else', () => {
    assert.deepEqual([...checkSignLabels('HingeEmbeddingLoss', 'label', nd.array([1, -1, -1]))], [1, -1, -1]);
    for (const [values, position] of [
      [[1, 0, -1], 1],
      [[1, -1, Number.NaN], 2],
      [[2, -1], 0],
      [[1, -1, 1, Number.POSITIVE_INFINITY], 3],
      [[-1, 1 + 2 ** -52, 0.5], 1],
      [[1, -1, -(1 - 2 ** -53)], 2],
    ] as const) {
      for (const dtype of ['float64', 'float32', 'int32'] as const) {
        const array = nd.array([...values], { dtype });
        // (int32 and float32 round some of these to ±1, which are then valid labels)
        const expected = Array.from(array.data).findIndex((v) => v !== 1 && v !== -1);
        if (expected < 0) {
          assertSignLabels('HingeEmbeddingLoss', 'label', array);
          continue;
        }
        if (dtype === 'float64') assert.equal(expected, position);
        for (const check of [checkSignLabels, assertSignLabels])
          throwsNaming(() => check('HingeEmbeddingLoss', 'label', array), ValueError, [
            'HingeEmbeddingLoss',
            `label at flat position ${expected}`,
          ]);
      }
    }
  });
});

describe('value checks', () => {
  it('checkDomain names the first finite value outside the domain, its position and the rule; NaN and ±Infinity pass', () => {
    const rates = { outside: (v: number) => v < 0, rule: 'rates must be ≥ 0' };
    for (const dtype of ['float64', 'float32'] as const) {
      // Valid: the bounds themselves, and the non-finite values DECISIONS 9 lets propagate.
      checkDomain(
        'SigmoidFocalLoss',
        'pred',
        nd.array([0, 1, 0.5, Number.NaN, Infinity, -Infinity], { dtype }),
        PROBABILITIES,
      );
      checkDomain('PoissonNLLLoss', 'pred', nd.array([0, 1e30, Number.NaN, -Infinity], { dtype }), rates);
      for (const [values, domain, position] of [
        [[0.5, 1 + 2 ** -20, -1], PROBABILITIES, 1],
        [[0.5, 0.25, -1e-40], PROBABILITIES, 2],
        [[Infinity, -3, -2], rates, 1],
      ] as const) {
        const array = nd.array([...values], { dtype });
        throwsNaming(() => checkDomain('SomeLoss', 'label', array, domain), ValueError, [
          'SomeLoss',
          `label at flat position ${position} is ${array.data[position]}`,
          domain.rule,
        ]);
      }
    }
  });
});
