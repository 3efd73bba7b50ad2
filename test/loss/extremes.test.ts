/**
 * "No silent wrong numbers" at float32's extremes: every registered loss, fed finite inputs at
 * ±3.4e38 (float32 max), ±1e30, subnormals (1e-45, 1e-40), ±0 and mixtures of them, must give
 * the same numbers with the wasm and the TypeScript kernels, on every path a call can take
 * (unrecorded forward, the one-pass recorded forward used when only the prediction needs a
 * gradient, the block forward and backward with gradients for label, sampleWeight, posWeight).
 *
 * The truth is the float64 computation on the same values (DECISIONS 15: kernels compute in
 * float64 and round on store), itself checked against closed forms in extremes-closed-forms.test.ts.
 * A float32 result must be that truth rounded to float32; where the true value is beyond
 * float32's range it rounds to ±Infinity, and both backends must give that same infinity. Such
 * overflows are allowed only where EXPECTED_OVERFLOW lists them, with the reason.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ALL_LOSSES } from '../../src/loss/index.js';
import { kernelBackend, setKernelBackend } from '../../src/kernels/index.js';
import type { DType } from '../../src/ndarray/dtype.js';
import { CONFIGURATIONS, type Configuration, inputsFor } from './_extreme-configurations.js';
import {
  compareOutcomes,
  describeInputs,
  F32_MAX,
  type Outcome,
  runLoss,
  SCENARIOS,
  type Scenario,
  TOLERANCE,
} from './_extreme-runs.js';

/** Outcomes that are the loss itself or scale with it: ∂(w·ℓ)/∂w = ℓ. */
const LOSS_LIKE = /^(loss|recorded loss .*|d\/dsampleWeight .*)$/;
/** Every outcome. */
const ANY = /./;

/**
 * Where the true value exceeds float32's range, so that the float32 result is ±Infinity — the
 * same infinity in both backends, checked against the float64 truth, which must be beyond
 * ±3.4028235e38 there (float64 results stay finite unless `float64` is set). Keyed by
 * configuration; `outputs` matches the outcome names that may overflow, `reason` says why the
 * true value is that large.
 */
const EXPECTED_OVERFLOW: Readonly<Record<string, { outputs: RegExp; reason: string; float64?: true }>> = {
  L2Loss: {
    outputs: ANY,
    reason: 'd²/2 with |d| = |pred − label| up to 6.8e38 is up to 2.3e77; the gradient d/M is up to 6.8e38/M',
  },
  L1Loss: {
    outputs: LOSS_LIKE,
    reason: '|d| up to 6.8e38: a mean over 3 elements of two such residuals is 4.5e38',
  },
  HuberLoss: { outputs: LOSS_LIKE, reason: '|d| − ρ/2 with |d| up to 6.8e38, as L1Loss' },
  HingeLoss: {
    outputs: /^(loss|recorded loss .*|d\/dsampleWeight .*|d\/dlabel .*)$/,
    reason: 'margin − pred·label with |pred| = 3.4e38 and |label| = 3 is 1e39; ∂/∂label = −pred/M',
  },
  SquaredHingeLoss: {
    outputs: ANY,
    reason: '(margin − pred·label)² is up to 1e78 (and 1e60 at |pred| = 1e30); its gradients are up to 2e39',
  },
  LogisticLoss: {
    outputs: /^(loss|recorded loss .*|d\/dsampleWeight .*|d\/dlabel .*)$/,
    reason:
      'softplus(x) − x·z with x = ±3.4e38 and z = (label + 1)/2 up to 2 is up to 6.8e38; ∂/∂label = −x/2',
  },
  'LogisticLoss(binary)': {
    outputs: /^(loss|recorded loss .*|d\/dsampleWeight .*|d\/dlabel .*)$/,
    reason: 'softplus(x) − x·z with x = ±3.4e38 and soft labels z up to ±3 is up to 1e39; ∂/∂label = −x',
  },
  SigmoidBinaryCrossEntropyLoss: {
    outputs: /^(loss|recorded loss .*|d\/dsampleWeight .*|d\/dlabel .*)$/,
    reason: 'as LogisticLoss(binary): (1 − z)·softplus(x) with x = 3.4e38 and z = −3 is 1.4e39',
  },
  'SigmoidBinaryCrossEntropyLoss(posWeight)': {
    outputs: /^(loss|recorded loss .*|d\/dsampleWeight .*|d\/dlabel .*|d\/dposWeight .*)$/,
    reason: 'as SigmoidBinaryCrossEntropyLoss; ∂/∂p = z·softplus(−x) is up to 3·3.4e38',
  },
  PoissonNLLLoss: {
    outputs: ANY,
    float64: true,
    reason:
      'exp(x) at x = 1e30 or 3.4e38 overflows float64 too (x > 709.78): the true value is finite but beyond ' +
      'every float format; t·x with t, x up to 3.4e38 is up to 1.2e77',
  },
  'PoissonNLLLoss(rates, computeFull)': {
    outputs: ANY,
    reason: 'pred up to 3.4e38 summed with t·log t terms, and ∂/∂pred = 1 − t/(x + ε) up to 3.4e38/1e-8',
  },
  SoftmaxCrossEntropyLoss: {
    outputs: LOSS_LIKE,
    reason: '−log softmax(x)_label = max(x) − x_label + … is up to 6.8e38',
  },
  'SoftmaxCrossEntropyLoss(dense)': {
    outputs: /^(loss|recorded loss .*|d\/dsampleWeight .*|d\/dlabel .*)$/,
    reason: '−Σ label·log softmax(x) is up to 6.8e38 per class; ∂/∂label = −log softmax(x)',
  },
  'SoftmaxCrossEntropyLoss(labelSmoothing, classWeight, ignoreIndex)': {
    outputs: LOSS_LIKE,
    reason: 'w_c · (max(x) − x_c) summed over the classes is up to 3 · 6.8e38 (class weight 3)',
  },
  'SoftmaxCrossEntropyLoss(dense, labelSmoothing, classWeight)': {
    outputs: /^(loss|recorded loss .*|d\/dsampleWeight .*|d\/dlabel .*)$/,
    reason:
      '−Σ w_c t_c log softmax(x)_c is up to 3 · 6.8e38 per class; ∂/∂label = −(1 − ε) w_c log softmax(x)_c',
  },
  KLDivLoss: {
    outputs: /^d\/dlabel .*$/,
    reason: '∂/∂label = log(label) + 1 − pred with pred = −3.4e38, times sampleWeight 2',
  },
  'KLDivLoss(logits, sum)': {
    outputs: /^(loss|recorded loss .*|d\/dsampleWeight .*|d\/dlabel .*)$/,
    reason: 'label·(log label − log softmax(x)) with −log softmax(x) up to 6.8e38, summed over classes',
  },
  TripletLoss: {
    outputs: ANY,
    reason:
      'squared distances of 3.4e38 (1e30) apart are up to 4.6e77 (4e60); the gradients 2·(q − p) up to 1.4e39',
  },
  SDMLLoss: {
    outputs: ANY,
    reason:
      'the smoothed KL of softmax(−‖x1 − x2‖²) has terms up to 4.6e77; the gradients scale with x1 − x2',
  },
  'MultiMarginLoss(p 2, classWeight)': {
    outputs: ANY,
    reason:
      'the squared hinge (6.8e38)² is 4.6e77 (and 1.4e61 at 1e30); its gradient 2·w_y·h/C is up to 8e38',
  },
  MultiLabelMarginLoss: {
    outputs: LOSS_LIKE,
    reason: '1 − x_j + x_i with |x| = 3.4e38 is up to 6.8e38, summed over target and non-target pairs',
  },
  MultiLabelSoftMarginLoss: {
    outputs: /^(loss|recorded loss .*|d\/dlabel .*)$/,
    reason:
      'as SigmoidBinaryCrossEntropyLoss: (1 − y)·softplus(x) with x = 3.4e38, y = −3 and w_c = 3 is 4e39 before /C',
  },
  NLLLoss: {
    outputs: LOSS_LIKE,
    reason: '−logProb at the label with logProb = −3.4e38, times sampleWeight 2, is 6.8e38',
  },
  'NLLLoss(classWeight, ignoreIndex)': {
    outputs: LOSS_LIKE,
    reason: '−w·logProb with logProb = −3.4e38 and class weights up to 3 is up to 1e39',
  },
  'SigmoidFocalLoss(alpha null, gamma 0.5)': {
    outputs: /^(loss|recorded loss .*|d\/dsampleWeight .*|d\/dlabel .*)$/,
    reason:
      'without alpha, BCE(x, t) = softplus(∓x) is up to 3.4e38, times sampleWeight 2; ∂/∂t holds −x + γ·BCE/(1 − p_t)·∂(1 − p_t)/∂t, up to 6.8e38',
  },
  'SoftmaxFocalLoss(dense, per-class alpha, gamma 0.5)': {
    outputs: /^(loss|recorded loss .*|d\/dsampleWeight .*|d\/dlabel .*)$/,
    reason: '−Σ a_j (1 − p_j)^γ y_j log p_j with −log p_j up to 6.8e38 and a_j up to 2, over classes',
  },
  SmoothL1Loss: { outputs: LOSS_LIKE, reason: '|d| − β/2 with |d| up to 6.8e38, as HuberLoss' },
  'SmoothL1Loss(beta 0)': { outputs: LOSS_LIKE, reason: '|d| up to 6.8e38, as L1Loss' },
  MSELoss: {
    outputs: ANY,
    reason: 'd² with |d| = |pred − label| up to 6.8e38 is up to 4.6e77; the gradient 2d/M is up to 1.4e39/M',
  },
  LogCoshLoss: { outputs: LOSS_LIKE, reason: 'log cosh d ≈ |d| − log 2 with |d| up to 6.8e38, as L1Loss' },
  SoftMarginLoss: {
    outputs: /^(loss|recorded loss .*|d\/dsampleWeight .*|d\/dlabel .*)$/,
    reason:
      'softplus(−label·pred) with |pred| = 3.4e38 and soft labels up to ±3 is up to 1e39; ∂/∂label = −pred·σ',
  },
  MarginRankingLoss: {
    outputs: /^(loss|recorded loss .*|d\/dsampleWeight .*|d\/dlabel .*)$/,
    reason:
      'margin − label·(input1 − input2) with a difference up to 6.8e38 and labels up to ±3 is up to 2e39',
  },
  GaussianNLLLoss: {
    outputs: ANY,
    reason:
      '(pred − target)²/v with |pred − target| up to 6.8e38 and v down to eps = 1e-6 is up to 4.6e83; ∂/∂pred = d/v',
  },
  TripletMarginLoss: {
    outputs: LOSS_LIKE,
    reason: 'the 2-norm of a difference of 3 components up to 6.8e38 is up to 1.2e39',
  },
  'TripletMarginLoss(p 1, swap)': {
    outputs: LOSS_LIKE,
    reason: 'the 1-norm of a difference of 3 components up to 6.8e38 is up to 2e39',
  },
  CTCLoss: {
    outputs: LOSS_LIKE,
    reason: 'the negative log-likelihood of a path through a frame with x = −3.4e38 next to 3.4e38 is 6.8e38',
  },
};

/** The configurations whose listed overflow occurred (each listed one must, see the last test). */
const OVERFLOWS_SEEN = new Set<string>();

/**
 * Absolute tolerances where the result is a difference of terms much larger than itself.
 * CTCLoss: its gradient is softmax − occupation, two probabilities that are both 1 at frames
 * with one dominant logit; float64 arithmetic leaves 2^-52 of rounding there, float32
 * arithmetic 0, and the difference means nothing beside the terms' size, 1.
 */
const ABSOLUTE_TOLERANCE: Readonly<Record<string, number>> = { CTCLoss: 2 ** -23 };

/** Float32 rounding of the float64 truth (±Infinity past float32's range). */
const toFloat32 = (x: number) => Math.fround(x);

/**
 * In the 'weights' scenario every loss may overflow: a sampleWeight (or posWeight) of 3.4e38 or
 * 1e30 times a loss or a slope above 1e-8 is beyond float32, truly.
 */
const WEIGHTS_SCENARIO = 'the weights scenario (any loss)';
const WEIGHT_OVERFLOW = {
  outputs: ANY,
  reason: 'sampleWeight and posWeight up to 3.4e38 times a loss or slope of ordinary size',
};

function checkFinite(
  config: Configuration,
  scenario: Scenario,
  dtype: DType,
  outcome: Outcome,
  truth: Outcome,
  where: string,
) {
  const rules: [string, { outputs: RegExp; float64?: true } | undefined][] = [
    [config.name, EXPECTED_OVERFLOW[config.name]],
  ];
  if (scenario === 'weights') rules.unshift([WEIGHTS_SCENARIO, WEIGHT_OVERFLOW]);
  for (const [name, values] of outcome) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      assert.ok(!Number.isNaN(v), `${where}: ${name}[${i}] is NaN from finite inputs`);
      if (Number.isFinite(v)) continue;
      const rule = rules.find(([, allowed]) => {
        if (!allowed?.outputs.test(name)) return false;
        return dtype === 'float32' ? Math.abs(truth.get(name)![i]!) > F32_MAX : allowed.float64 === true;
      });
      assert.ok(
        rule,
        `${where}: ${name}[${i}] = ${v} is not a listed overflow (true value ${truth.get(name)![i]})`,
      );
      OVERFLOWS_SEEN.add(rule[0]);
    }
  }
}

describe('losses at float32 extremes: wasm and TypeScript kernels agree, no NaN, no spurious overflow', () => {
  test('the wasm kernels load (otherwise both runs would be TypeScript), whatever GLOSS_KERNELS says', () => {
    setKernelBackend('wasm');
    try {
      assert.equal(kernelBackend(), 'wasm');
    } finally {
      setKernelBackend('auto');
    }
  });

  test('every registered loss has a configuration here', () => {
    for (const name of Object.keys(ALL_LOSSES)) {
      assert.ok(
        CONFIGURATIONS.some((c) => c.make().name === name),
        `${name} has no configuration in extremes.test.ts`,
      );
    }
  });

  for (const config of CONFIGURATIONS) {
    for (const scenario of SCENARIOS) {
      test(`${config.name}, ${scenario}`, () => {
        const loss = config.make();
        for (const seed of [1, 2]) {
          // The float32 inputs' exact values, computed in float64.
          const rounded = inputsFor(config, loss, 'float32', scenario, seed);
          const truthSpecs = rounded.specs.map((spec) =>
            spec && spec.dtype === 'float32' ? { ...spec, dtype: 'float64' as const } : spec,
          );
          const truth = runLoss(loss, truthSpecs, rounded.differentiable, 'js');
          for (const dtype of ['float32', 'float64'] as const) {
            const { specs, differentiable } = inputsFor(config, loss, dtype, scenario, seed);
            const where = `${config.name} ${dtype} ${scenario} seed ${seed} (${describeInputs(loss.inputNames, specs)})`;
            const wasm = runLoss(loss, specs, differentiable, 'wasm');
            const js = runLoss(loss, specs, differentiable, 'js');
            const tolerance = { ...TOLERANCE, atol: ABSOLUTE_TOLERANCE[config.name] ?? 0 };
            const disagreement = compareOutcomes(wasm, js, dtype, tolerance);
            assert.equal(disagreement, null, `${where}: wasm vs js: ${disagreement}`);
            for (const [backend, outcome] of [
              ['wasm', wasm],
              ['js', js],
            ] as const) {
              checkFinite(config, scenario, dtype, outcome, truth, `${where} ${backend}`);
              const round = dtype === 'float32' ? toFloat32 : (x: number) => x;
              const wrong = compareOutcomes(outcome, truth, dtype, tolerance, round);
              assert.equal(wrong, null, `${where} ${backend} vs the float64 truth: ${wrong}`);
            }
          }
        }
      });
    }
  }
});

/** Runs after the configurations above (node:test runs a file's tests in order). */
test('every listed overflow occurs (the list documents what happens, nothing more)', () => {
  assert.deepEqual([...OVERFLOWS_SEEN].sort(), [...Object.keys(EXPECTED_OVERFLOW), WEIGHTS_SCENARIO].sort());
});
