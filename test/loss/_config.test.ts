// loss.toConfig() and gluon.loss.fromConfig() for every registered loss: the config is plain JSON
// with every option (defaults included), and the loss built from it, after a trip through
// JSON.stringify, has the same config and computes the same numbers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ALL_LOSSES, fromConfig, HuberLoss, type LossConfig } from '../../src/loss/index.js';
import { ValueError } from '../../src/ndarray/errors.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import { sampleInputs } from './_sample-inputs.js';

/** Options other than the defaults, per loss; a loss not listed gets the base's only. */
const NON_DEFAULT: Readonly<Record<string, Record<string, unknown>>> = {
  HuberLoss: { rho: 0.5 },
  HingeLoss: { margin: 2 },
  SquaredHingeLoss: { margin: 0.5 },
  LogisticLoss: { labelFormat: 'binary' },
  SigmoidBinaryCrossEntropyLoss: { fromSigmoid: true },
  PoissonNLLLoss: { fromLogits: false, computeFull: true },
  SoftmaxCrossEntropyLoss: { sparseLabel: false, fromLogits: false, axis: -1 },
  KLDivLoss: { fromLogits: false, classReduction: 'sum' },
  CosineEmbeddingLoss: { margin: 0.25 },
  TripletLoss: { margin: 0.5 },
  CTCLoss: { zeroInfinity: true },
  SDMLLoss: { smoothingParameter: 0.1 },
};

function roundTrip(config: LossConfig): LossConfig {
  return JSON.parse(JSON.stringify(config)) as LossConfig;
}

for (const [name, LossClass] of Object.entries(ALL_LOSSES)) {
  describe(`${name}: toConfig and fromConfig`, () => {
    for (const [label, options] of [
      ['default options', {}],
      ['non-default options', { weight: 0.75, reduction: 'sum', ...(NON_DEFAULT[name] ?? {}) }],
    ] as const) {
      test(`${label}: the config is JSON with every option, and round-trips`, () => {
        const loss = new LossClass(options);
        const config = loss.toConfig();
        assert.equal(config.className, name);
        assert.deepEqual(roundTrip(config), config, 'plain JSON');
        for (const option of ['weight', 'reduction', ...Object.keys(options)])
          assert.ok(Object.hasOwn(config.options, option), `${name}: config lacks ${option}`);
        for (const [option, value] of Object.entries(options)) {
          // Given values come back validated (SDMLLoss keeps no weight: Gluon never applies it).
          if (!(name === 'SDMLLoss' && option === 'weight'))
            assert.deepEqual(config.options[option], value, option);
        }
        const again = fromConfig(roundTrip(config));
        assert.equal(again.constructor, LossClass);
        assert.deepEqual(again.toConfig(), config);
        const inputs = sampleInputs(loss, new RandomGenerator(3), 'float64');
        assert.ok(inputs);
        assert.deepEqual([...again.forward(...inputs).data], [...loss.forward(...inputs).data]);
      });
    }
  });
}

describe('fromConfig', () => {
  test('a default config lists the defaults', () => {
    assert.deepEqual(new HuberLoss().toConfig(), {
      className: 'HuberLoss',
      options: { weight: null, batchAxis: 0, reduction: 'perSample', rho: 1 },
    });
  });

  test("Gluon's aliases are accepted as class names", () => {
    const loss = fromConfig({ className: 'SoftmaxCELoss', options: { axis: 1 } });
    assert.equal(loss.name, 'SoftmaxCrossEntropyLoss');
  });

  test('an unknown class, a malformed config or a bad option is a ValueError', () => {
    assert.throws(
      () => fromConfig({ className: 'NoSuchLoss', options: {} }),
      /^ValueError: fromConfig: unknown className "NoSuchLoss"; the losses are .*L2Loss/,
    );
    assert.throws(() => fromConfig({ className: 'toString', options: {} }), ValueError);
    assert.throws(() => fromConfig(null as never), /fromConfig: config must be an object/);
    assert.throws(
      () => fromConfig({ className: 'HuberLoss', options: [] as never }),
      /options of HuberLoss must be an object/,
    );
    assert.throws(() => fromConfig({ className: 'HuberLoss', options: { rho: -1 } }), ValueError);
  });
});
