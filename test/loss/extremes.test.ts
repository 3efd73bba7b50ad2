/**
 * "No silent wrong numbers" at float32's extremes: every registered loss, fed finite inputs at
 * ±3.4e38 (float32 max), ±1e30, subnormals (1e-45, 1e-40), ±0 and mixtures of them, must give
 * the same numbers with the wasm and the TypeScript kernels, on every path a call can take
 * (unrecorded forward, the one-pass recorded forward used when only the prediction needs a
 * gradient, the block forward and backward with gradients for label, sampleWeight, posWeight).
 *
 * The truth is the float64 computation on the same values (DECISIONS 15: kernels compute in
 * float64 and round on store), itself checked against closed forms at the end of this file.
 * A float32 result must be that truth rounded to float32; where the true value is beyond
 * float32's range it rounds to ±Infinity, and both backends must give that same infinity. Such
 * overflows are allowed only where EXPECTED_OVERFLOW lists them, with the reason.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALL_LOSSES,
  HuberLoss,
  L1Loss,
  L2Loss,
  LogisticLoss,
  PoissonNLLLoss,
  SigmoidBinaryCrossEntropyLoss,
} from '../../src/loss/index.js';
import type { Loss } from '../../src/loss/_base/index.js';
import { kernelBackend, setKernelBackend } from '../../src/kernels/index.js';
import type { DType } from '../../src/ndarray/dtype.js';
import { CONFIGURATIONS, type Configuration, inputsFor } from './_extreme-configurations.js';
import {
  compareOutcomes,
  describeInputs,
  F32_MAX,
  MAX,
  matches,
  type Outcome,
  runLoss,
  SCENARIOS,
  type Scenario,
  type Tolerance,
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

/** Float32 tolerance: 1e-6 relative or 4 ulps (the kernels' float32 exp and log are within 2). */
const TOLERANCE: Tolerance = { rtol: 1e-6, ulps: 4 };

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

/** Runs `loss` under both backends in float32 and float64; every outcome must equal `expected`. */
function expectClosedForm(
  loss: Loss,
  inputs: readonly (readonly number[] | null)[],
  shape: readonly number[],
  differentiable: readonly number[],
  expected: Readonly<Record<string, readonly number[]>>,
  /** Input index → shape, for inputs not shaped like `shape` (sampleWeight is [batch]). */
  shapes: Readonly<Record<number, readonly number[]>> = {},
): void {
  for (const dtype of ['float32', 'float64'] as const) {
    // Values float32 can hold, so that both dtypes compute on the same numbers.
    const specs = inputs.map((values, i) =>
      values
        ? {
            values: values.map(Math.fround),
            shape: shapes[i] ?? (i === loss.sampleWeightIndex ? [shape[0]!] : shape),
            dtype,
          }
        : null,
    );
    for (const backend of ['wasm', 'js'] as const) {
      const outcome = runLoss(loss, specs, differentiable, backend);
      for (const [name, values] of Object.entries(expected)) {
        const got = outcome.get(name);
        assert.ok(got, `${loss.name}: no outcome ${name}`);
        values.forEach((e, i) => {
          const want = dtype === 'float32' ? Math.fround(e) : e;
          assert.ok(
            matches(got[i]!, want, dtype, TOLERANCE),
            `${loss.name} ${dtype} ${backend} ${name}[${i}]: got ${got[i]}, expected ${want}`,
          );
        });
      }
    }
  }
}

/** Runs after the configurations above (node:test runs a file's tests in order). */
test('every listed overflow occurs (the list documents what happens, nothing more)', () => {
  assert.deepEqual([...OVERFLOWS_SEEN].sort(), [...Object.keys(EXPECTED_OVERFLOW), WEIGHTS_SCENARIO].sort());
});

describe('closed forms at float32 extremes (both backends, both dtypes)', () => {
  test('LogisticLoss: softplus(x) − x·z with |x| = 3.4e38 and labels ±3 (z = 2, −1)', () => {
    // ℓ(x, z) = softplus(x) − x·z; softplus(x) = x for x ≫ 0 and 0 for x ≪ 0.
    // x = M, z = 2: −M; x = M, z = −1: 2M (mean M/2). x = −M, z = −1: −M (mean −M).
    // ∂ℓ/∂x = σ(x) − z: −1 and 2 (over 2 elements: −0.5, 1); σ(−M) + 1 = 1 (0.5).
    expectClosedForm(
      new LogisticLoss(),
      [
        [MAX, MAX],
        [3, -3],
      ],
      [1, 2],
      [0, 1],
      {
        loss: [MAX / 2],
        'recorded loss (one-pass)': [MAX / 2],
        'd/dpred (one-pass)': [-0.5, 1],
        'd/dpred (block)': [-0.5, 1],
        // ∂ℓ/∂label = −x/2 (z = (label + 1)/2), over 2 elements.
        'd/dlabel (block)': [-MAX / 4, -MAX / 4],
      },
    );
    expectClosedForm(
      new LogisticLoss(),
      [
        [MAX, -MAX],
        [3, -3],
      ],
      [1, 2],
      [0],
      {
        loss: [-MAX],
        'd/dpred (one-pass)': [-0.5, 0.5],
      },
    );
  });

  test('SigmoidBCE with posWeight at ±3.4e38: finite, p·z·softplus(−x) + (1 − z)·softplus(x)', () => {
    // x = M, z = 1, p = 3: 3·softplus(−M) = 0. x = −M, z = 1, p = 3: 3·M.
    // x = M, z = 0: softplus(M) = M. x = −M, z = 0: 0. Mean over 4: (3M + M)/4 = M.
    // ∂ℓ/∂x = (1 − z)·σ(x) − p·z·σ(−x): 0, −3, 1, 0 (over 4).
    // ∂ℓ/∂p = z·softplus(−x): 0, M, 0, 0 (over 4).
    const x = [MAX, -MAX, MAX, -MAX];
    expectClosedForm(
      new SigmoidBinaryCrossEntropyLoss(),
      [x, [1, 1, 0, 0], null, [3, 3, 3, 3]],
      [1, 4],
      [0, 3],
      {
        loss: [MAX],
        'd/dpred (block)': [0, -0.75, 0.25, 0],
        'd/dposWeight (block)': [0, MAX / 4, 0, 0],
      },
    );
  });

  test('L1Loss and HuberLoss: |3.4e38 − (−3.4e38)| = 6.8e38 over two elements is 3.4e38', () => {
    // The residual 6.8e38 exceeds float32, the per-sample mean does not.
    const inputs = [
      [MAX, 0],
      [-MAX, 0],
    ];
    expectClosedForm(new L1Loss(), inputs, [1, 2], [0, 1], {
      loss: [MAX],
      'recorded loss (one-pass)': [MAX],
      'd/dpred (one-pass)': [0.5, 0],
      'd/dlabel (block)': [-0.5, 0],
    });
    // Huber (ρ = 1): |d| − ρ/2 = 6.8e38 − 0.5.
    expectClosedForm(new HuberLoss(), inputs, [1, 2], [0], {
      loss: [MAX],
      'd/dpred (one-pass)': [0.5, 0],
    });
  });

  test('L2Loss: d = 3.4e38 − (−3.4e38) gives d²/2 ≈ 2.3e77, Infinity in float32; the gradient d/2 is finite', () => {
    const inputs = [
      [MAX, 0],
      [-MAX, 0],
    ];
    for (const backend of ['wasm', 'js'] as const) {
      const f32 = runLoss(
        new L2Loss(),
        inputs.map((values) => ({ values, shape: [1, 2], dtype: 'float32' as const })),
        [0, 1],
        backend,
      );
      assert.equal(f32.get('loss')![0], Number.POSITIVE_INFINITY, backend);
      assert.equal(f32.get('recorded loss (one-pass)')![0], Number.POSITIVE_INFINITY, backend);
      // ∂(mean of d²/2)/∂pred = d/2 = M.
      assert.equal(f32.get('d/dpred (one-pass)')![0], MAX, backend);
      assert.equal(f32.get('d/dlabel (block)')![0], -MAX, backend);
    }
    expectClosedForm(new L2Loss(), inputs, [1, 2], [0], { loss: [(2 * MAX) ** 2 / 4] });
  });

  test('PoissonNLLLoss from logits: exp(x) − t·x at x = −3.4e38 is 3.4e38·t', () => {
    expectClosedForm(
      new PoissonNLLLoss(),
      [
        [-MAX, 0],
        [0.5, 0],
      ],
      [1, 2],
      [0],
      {
        loss: [(0.5 * MAX) / 2],
        // exp(x) − t: −0.5 and 1 (over 2).
        'd/dpred (one-pass)': [-0.25, 0.5],
      },
    );
  });

  test('subnormal and signed-zero inputs: residuals of 1e-45 keep their sign in the gradient', () => {
    expectClosedForm(
      new L1Loss(),
      [
        [1e-45, -0],
        [0, 1e-45],
      ],
      [1, 2],
      [0],
      {
        loss: [Math.fround(1e-45)],
        'd/dpred (one-pass)': [0.5, -0.5],
      },
    );
  });

  test('TripletLoss: two equal squared distances of (6.8e38)² cancel exactly, ℓ = margin + 1', () => {
    // p − a = q − a = −6.8e38 in the first element, (1, 0) in the second: Σ (p − a)² − (q − a)²
    // = 1, ℓ = 1 + margin = 2; ∂ℓ/∂a = 2·(q − p) = (0, −2). Float32 squares were ∞ − ∞ = NaN.
    // (∂ℓ/∂p = 2·(p − a) = −1.4e39 is a true float32 overflow.)
    expectClosedForm(
      new ALL_LOSSES.TripletLoss!(),
      [
        [MAX, 0],
        [-MAX, 1],
        [-MAX, 0],
      ],
      [1, 2],
      [0, 1, 2],
      {
        loss: [2],
        'recorded loss (one-pass)': [2],
        'd/dpred (one-pass)': [0, -2],
      },
    );
  });

  test('SoftmaxCrossEntropyLoss: −log softmax = 6.8e38 times a sampleWeight of 0.25 is finite', () => {
    // logsumexp(M, −M) − (−M) = 2M exactly; ∂/∂x = w·(softmax(x) − onehot) = (0.25, −0.25).
    expectClosedForm(
      new ALL_LOSSES.SoftmaxCrossEntropyLoss!(),
      [[MAX, -MAX], [1], [0.25]],
      [1, 2],
      [0],
      {
        loss: [MAX / 2],
        'recorded loss (one-pass)': [MAX / 2],
        'd/dpred (one-pass)': [0.25, -0.25],
      },
      { 1: [1] },
    );
  });

  test('PoissonNLLLoss: exp(100) exceeds float32, exp(100)·1e-40 does not', () => {
    const w = Math.fround(1e-40);
    expectClosedForm(new PoissonNLLLoss(), [[100], [0], [w]], [1, 1], [0], {
      loss: [Math.exp(100) * w],
      'd/dpred (one-pass)': [Math.exp(100) * w],
    });
  });

  test('a per-sample scale below the float32 normal range keeps its precision (L2, Logistic, Triplet)', () => {
    // sampleWeight 1e-40 over 3 elements: the scale w/3 is a float32 subnormal with ~13 bits,
    // and the slope 1e30 carries its rounding into a normal gradient, 1e30·w/3 ≈ 3.3e-11.
    const w = Math.fround(1e-40);
    const x = Math.fround(1e30);
    expectClosedForm(new L2Loss(), [[x, 0, 0], [0, 0, 0], [w]], [1, 3], [0], {
      'd/dpred (one-pass)': [(x * w) / 3, 0, 0],
    });
    // Logistic (signed) with label −3: ∂ℓ/∂x = σ(x) − z = 1 − (−1) = 2.
    expectClosedForm(new LogisticLoss(), [[x, 0, 0], [-3, 1, 1], [w]], [1, 3], [0], {
      'd/dpred (one-pass)': [(2 * w) / 3, (0.5 - 1) * (w / 3), (0.5 - 1) * (w / 3)],
    });
    // Triplet (one ℓ per sample, weight 1/3 for the same scale w/3): ∂ℓ/∂a = 2·(q − p)·w/3 with
    // q − p = −1e30 on an active sample (distance 1e60 + margin > 0).
    expectClosedForm(
      new ALL_LOSSES.TripletLoss!({ weight: 1 / 3 }),
      [[0, 0, 0], [x, 0, 0], [0, 0, 0], [w]],
      [1, 3],
      [0],
      {
        'd/dpred (one-pass)': [(-2 * x * w) / 3, 0, 0],
      },
    );
  });
});
