/**
 * The shared layer of the fuzz cases: one perturbation applied to a valid draft (a NaN or an
 * infinity in one sample, extreme or subnormal values, int32 in a float input, a bad or unknown
 * option, a wrong shape, an out-of-range label, a bad sampleWeight or input), recording the typed
 * error it must cause, if any.
 */
import type { RandomGenerator } from '../../../src/ndarray/random.js';
import type { Draft, ErrorClass, FuzzCase, InputSpec, SampleLayout } from './case.js';
import { chance, draw, input, pick } from './draw.js';

/** Invalid values of each option (DECISIONS 9b), and option names every loss must reject. */
const BAD_OPTIONS: Readonly<Record<string, readonly unknown[]>> = {
  weight: [Number.NaN, Number.POSITIVE_INFINITY, '2', true],
  // null is "none" only for weight; for every other option it is a mistake, not the default.
  batchAxis: [1.5, Number.NaN, '0', null],
  rho: [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1', null],
  margin: [Number.NaN, Number.NEGATIVE_INFINITY, '1', null],
  labelFormat: ['Signed', 'sign', 1, null],
  fromSigmoid: [1, 'true', null],
  fromLogits: [0, 'false', null],
  computeFull: [1, 'yes', null],
  sparseLabel: [1, 'true', null],
  axis: [0.5, Number.NaN, '1', null],
  classReduction: ['Sum', 'batchmean', 3, null],
  layout: ['ntc', 'NCT', 0, null],
  labelLayout: ['nt', 'NTC', null],
  blankLabel: ['Last', -1, 1.5, 'middle', null],
  zeroInfinity: [1, 'false', null],
  // (null is logTarget's default, as undefined.)
  logTarget: [1, 'true'],
  smoothingParameter: [1.0001, -0.1, Number.NaN, 2, '0.3', null],
  smooth: [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1', null],
  activation: ['Sigmoid', 'relu', 1, null],
  // Bad for every loss with the option: Tversky takes any α ≥ 0, the focal losses α in [0, 1] or null.
  alpha: [-0.5, Number.NaN, Number.POSITIVE_INFINITY, '0.5'],
  beta: [-0.5, Number.NaN, Number.POSITIVE_INFINITY, '0.5', null],
  // Bad for both: MultiMarginLoss takes p = 1 or 2, TripletMarginLoss any p ≥ 1.
  p: [0.5, 0, Number.NaN, Number.POSITIVE_INFINITY, '1', null],
  classWeight: [[1, Number.NaN], 'abc', 3, [1, '2'], 'x', [[1, 2]]],
  gamma: [-1, Number.NaN, Number.POSITIVE_INFINITY, '2', null],
  ignoreIndex: [0.5, Number.NaN, '1'],
  labelSmoothing: [1, -0.1, Number.NaN, Number.POSITIVE_INFINITY, '0.1'],
  temperature: [0, -1, 5e-324, Number.NaN, Number.POSITIVE_INFINITY, '0.1', null],
  full: [1, 'true', null],
  eps: [Number.NaN, Number.POSITIVE_INFINITY, '1e-6', null],
  swap: [1, 'false', null],
};
const LOSS_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  HuberLoss: ['rho'],
  HingeLoss: ['margin'],
  SquaredHingeLoss: ['margin'],
  LogisticLoss: ['labelFormat'],
  SigmoidBinaryCrossEntropyLoss: ['fromSigmoid', 'labelSmoothing'],
  PoissonNLLLoss: ['fromLogits', 'computeFull'],
  SoftmaxCrossEntropyLoss: [
    'axis',
    'sparseLabel',
    'fromLogits',
    'labelSmoothing',
    'ignoreIndex',
    'classWeight',
  ],
  KLDivLoss: ['fromLogits', 'axis', 'classReduction', 'logTarget'],
  CosineEmbeddingLoss: ['margin'],
  TripletLoss: ['margin'],
  CTCLoss: ['layout', 'labelLayout', 'blankLabel', 'zeroInfinity'],
  SDMLLoss: ['smoothingParameter'],
  DiceLoss: ['smooth', 'activation', 'axis'],
  TverskyLoss: ['smooth', 'activation', 'axis', 'alpha', 'beta'],
  MultiMarginLoss: ['p', 'margin', 'classWeight'],
  MultiLabelMarginLoss: [],
  MultiLabelSoftMarginLoss: ['classWeight'],
  NLLLoss: ['axis', 'classWeight', 'ignoreIndex'],
  SigmoidFocalLoss: ['alpha', 'gamma', 'fromSigmoid'],
  SoftmaxFocalLoss: ['alpha', 'gamma', 'axis', 'sparseLabel', 'fromLogits'],
  NTXentLoss: ['temperature'],
  SmoothL1Loss: ['beta'],
  MarginRankingLoss: ['margin'],
  HingeEmbeddingLoss: ['margin'],
  GaussianNLLLoss: ['full', 'eps'],
  CosineSimilarityLoss: ['axis'],
  TripletMarginLoss: ['margin', 'p', 'eps', 'swap'],
};

/** Largest finite float32, and values whose products or exponentials overflow. */
export const FLOAT32_MAX = 3.4028234663852886e38;
const EXTREMES = [3.4e38, -3.4e38, FLOAT32_MAX, 1e30, -88.8, 100];
const SUBNORMALS = [1e-40, -1e-40, 1.4e-45, 5e-324, -0];

const PERTURBATIONS: readonly [string, number][] = [
  ['clean', 14],
  ['nan', 14],
  ['infinity', 10],
  ['extreme', 14],
  ['subnormal', 8],
  ['outsideDomain', 6],
  ['int32', 5],
  ['badOption', 8],
  ['unknownOption', 3],
  ['batchAxisOutOfRange', 3],
  ['wrongShape', 7],
  ['outOfRangeLabel', 8],
  ['badSampleWeight', 4],
  ['badInput', 4],
];

export function weighted(g: RandomGenerator): string {
  const total = PERTURBATIONS.reduce((s, [, w]) => s + w, 0);
  let r = g.nextDouble() * total;
  for (const [name, w] of PERTURBATIONS) if ((r -= w) < 0) return name;
  return 'clean';
}

const cloneInputs = (inputs: (InputSpec | null)[]) =>
  inputs.map((x) => (x ? { ...x, shape: [...x.shape], values: x.values.slice() } : null));

/** Element `flat` of a spec belongs to this sample (layouts are never null here). */
export const sampleOf = (layout: SampleLayout, flat: number): number =>
  layout.batch === 0 ? -1 : Math.floor(flat / layout.inner) % layout.batch;

export function applyPerturbation(g: RandomGenerator, c: FuzzCase, draft: Draft): void {
  const present = c.inputs.filter((x): x is InputSpec => x !== null && x.values.length > 0);
  const continuous = present.filter((x) => x.role !== 'discrete' && !x.scalar);
  // A case the draft already made invalid (a 0-d pred, …) may report either problem first.
  const expectForward = (argument: string, kind: ErrorClass) => {
    const previous = c.expected ?? { arguments: [], classes: [] };
    c.expected = {
      arguments: [...previous.arguments, argument],
      classes: [...previous.classes, kind],
      when: 'forward',
    };
  };
  switch (c.perturbation) {
    case 'nan':
    case 'infinity': {
      // One element of one sample: the other samples' losses and gradients must not change.
      const target = continuous.filter((x) => x.layout !== null);
      if (target.length === 0) break;
      const spec = pick(g, target);
      const at = g.nextInt(0, spec.values.length);
      c.clean = cloneInputs(c.inputs);
      c.poisonedSample = sampleOf(spec.layout!, at);
      // A non-negative input (a variance, a rate, a weight) is poisoned with +Infinity only: −Infinity
      // there is an invalid value (GaussianNLLLoss's variance < 0 is a ValueError), not a poison.
      const sign = c.perturbation === 'nan' ? 1 : pick(g, [1, -1]);
      spec.values[at] =
        c.perturbation === 'nan'
          ? Number.NaN
          : (spec.role === 'nonnegative' ? 1 : sign) * Number.POSITIVE_INFINITY;
      c.finite = false;
      c.perturbation += ` in ${spec.name}[${at}] (sample ${c.poisonedSample})`;
      break;
    }
    case 'extreme':
    case 'subnormal': {
      const real = c.perturbation === 'extreme';
      const targets = real ? continuous.filter((x) => x.role === 'real') : continuous;
      for (const spec of targets) {
        for (let i = 0; i < spec.values.length; i++) {
          if (!chance(g, 0.4)) continue;
          const value = pick(g, real ? EXTREMES : SUBNORMALS);
          // A non-negative input (a variance, a rate, a weight) stays non-negative.
          spec.values[i] = spec.role === 'nonnegative' ? Math.abs(value) : value;
        }
      }
      break;
    }
    case 'outsideDomain': {
      // One finite value outside what a probability or a non-negative input holds: a loss that
      // checks that input's domain must say so (its draft's invalidAfterPerturbation names it, see
      // domainChecked); one that accepts it as written (a soft label of 1.5, a negative sample
      // weight) must still return finite values.
      const target = continuous.filter((x) => x.role === 'probability' || x.role === 'nonnegative');
      if (target.length === 0) break;
      const spec = pick(g, target);
      const at = g.nextInt(0, spec.values.length);
      spec.values[at] = pick(g, spec.role === 'probability' ? [-0.5, 1.5, 3, -1e-30] : [-0.5, -3, -1e-30]);
      c.perturbation += ` ${spec.name}[${at}] = ${spec.values[at]}`;
      break;
    }
    case 'int32': {
      const real = continuous.filter((x) => x.role === 'real');
      if (real.length === 0) break;
      const spec = pick(g, real);
      spec.dtype = 'int32';
      spec.values = spec.values.map(Math.round);
      c.perturbation += ` ${spec.name}`;
      break;
    }
    case 'badOption':
    case 'unknownOption': {
      const known = [
        ...(LOSS_OPTIONS[c.lossName] ?? []),
        'weight',
        ...(c.lossName === 'CTCLoss' ? [] : ['batchAxis']),
      ];
      const key =
        c.perturbation === 'unknownOption'
          ? pick(g, ['notAnOption', 'Weight', 'batch_axis', 'reduction'])
          : pick(g, known);
      c.options[key] = c.perturbation === 'unknownOption' ? 1 : pick(g, BAD_OPTIONS[key]!);
      c.expected = { arguments: [key], classes: ['ValueError'], when: 'construct' };
      c.perturbation += ` ${key}=${String(c.options[key])}`;
      break;
    }
    case 'batchAxisOutOfRange':
      if (c.lossName === 'CTCLoss') {
        // CTC has no batchAxis option at all.
        c.options.batchAxis = 0;
        c.expected = { arguments: ['batchAxis'], classes: ['ValueError'], when: 'construct' };
      } else if (c.lossName !== 'SDMLLoss') {
        c.options.batchAxis = pick(g, [draft.lossRank, -draft.lossRank - 1, 9]);
        expectForward('batchAxis', 'ShapeError');
      }
      break;
    case 'wrongShape':
      if (draft.breakShape) expectForward(draft.breakShape(), 'ShapeError');
      break;
    case 'outOfRangeLabel':
      if (draft.breakValue) expectForward(draft.breakValue(), 'ValueError');
      break;
    case 'badInput': {
      // A required input left out, or something that is no array at all: a ValueError naming it.
      const spec = pick(g, present.length > 0 ? present : [null]);
      if (!spec || spec.scalar) break;
      const slot = c.inputs.indexOf(spec);
      spec.raw = slot === 1 && chance(g, 0.4) ? null : pick(g, ['abc', {}, true, [[1], [2, 3]]]);
      // A ragged nested array is a shape problem (nd.array's ShapeError).
      expectForward(spec.name, Array.isArray(spec.raw) ? 'ShapeError' : 'ValueError');
      c.perturbation += ` ${spec.name}`;
      break;
    }
    case 'badSampleWeight':
      if (draft.sampleWeightIndex >= 0) {
        // Rank 6 is above every loss's rank: it can only enlarge ℓ (DECISIONS 6).
        while (c.inputs.length < draft.sampleWeightIndex) c.inputs.push(null);
        const shape = [2, 1, 1, 1, 1, 3];
        c.inputs[draft.sampleWeightIndex] = input(
          'sampleWeight',
          shape,
          c.dtype,
          'real',
          draw(g, 6, 'real'),
          null,
        );
        expectForward('sampleWeight', 'ShapeError');
      }
      break;
  }
  c.finite = c.inputs.every((x) => !x || x.values.every(Number.isFinite));
}
