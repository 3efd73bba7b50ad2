/**
 * Case generators for the loss fuzz test (losses.test.ts). A case is a pure description — options,
 * positional inputs as plain numbers with shapes and dtypes, the perturbation applied, and what
 * must happen — built from one seed, so any failure reproduces from the seed the test prints.
 *
 * Every per-loss generator (one file per loss family here) draws *valid* inputs by construction
 * (random rank, odd sizes, batch 0 and 1 included); the shared layer (perturbations.ts) then
 * applies one perturbation and records the error it must cause, if any. This file holds the
 * registry of generators by loss name and `makeCase`, which runs both from one seed.
 */
import type { DType } from '../../../src/ndarray/dtype.js';
import { RandomGenerator } from '../../../src/ndarray/random.js';
import type { FuzzCase, Generator, InputSpec } from './case.js';
import { klDiv, nll, softmaxCE, softmaxFocal } from './classification.js';
import { boolOption, chance, count, draw, innerOf, input, pick, signs } from './draw.js';
import { elementwise, sameShapeInputs } from './elementwise.js';
import { cosine, cosineSimilarity, ntxent, sdml, triplet, tripletMargin } from './embedding.js';
import { multiLabelMargin, multiLabelSoftMargin, multiMargin } from './margin.js';
import { applyPerturbation, weighted } from './perturbations.js';
import { overlap } from './segmentation.js';
import { ctc } from './sequence.js';

export type { ErrorClass, Expected, FuzzCase, InputSpec, Role, SampleLayout } from './case.js';
export { enlarged, LARGE_ELEMENTS } from './enlarge.js';
export { FLOAT32_MAX, sampleOf } from './perturbations.js';

/** Real predictions and labels without options of their own. */
const realPairs = elementwise(
  () => {},
  () => ['real', 'real'],
);
export const GENERATORS: Readonly<Record<string, Generator>> = {
  L1Loss: elementwise(
    () => {},
    () => ['real', 'real'],
  ),
  L2Loss: elementwise(
    () => {},
    () => ['real', 'real'],
  ),
  HuberLoss: elementwise(
    (g, o) => chance(g, 0.5) && (o.rho = pick(g, [0.1, 1, 2.5, 1e6])),
    () => ['real', 'real'],
  ),
  HingeLoss: elementwise(
    (g, o) => chance(g, 0.4) && (o.margin = pick(g, [-1, 0, 1, 3])),
    () => ['real', 'real', signs],
  ),
  SquaredHingeLoss: elementwise(
    (g, o) => chance(g, 0.4) && (o.margin = pick(g, [-1, 0, 1, 3])),
    () => ['real', 'real', signs],
  ),
  LogisticLoss: elementwise(
    (g, o) => chance(g, 0.6) && (o.labelFormat = pick(g, ['signed', 'binary'])),
    (o) => (o.labelFormat === 'binary' ? ['real', 'probability', [0, 1]] : ['real', 'real', signs]),
  ),
  SigmoidBinaryCrossEntropyLoss: domainChecked(
    elementwise(
      (g, o) => {
        o.fromSigmoid = chance(g, 0.3);
        if (chance(g, 0.3)) o.labelSmoothing = pick(g, [0, 0.1, 0.5, 0.99]);
      },
      (o) => [o.fromSigmoid ? 'probability' : 'real', 'probability'],
      'label',
      true,
    ),
    (o) => (o.fromSigmoid === true ? [gluonProbabilities(0)] : []),
  ),
  PoissonNLLLoss: domainChecked(
    elementwise(
      (g, o) => {
        boolOption('fromLogits')(g, o);
        boolOption('computeFull')(g, o);
      },
      (o) => [o.fromLogits === false ? 'nonnegative' : 'real', 'nonnegative'],
      'target',
    ),
    // log(x + epsilon) is NaN below −epsilon (the epsilon input, or Gluon's 1e-8).
    (o) =>
      o.fromLogits === false
        ? [{ index: 0, outside: (x, inputs) => x + (inputs[3]?.values[0] ?? 1e-8) < 0 }]
        : [],
  ),
  SoftmaxCrossEntropyLoss: softmaxCE,
  NLLLoss: nll,
  // With fromLogits, a log-probability above 0 where the loss reads pred (label entries when sparse).
  SoftmaxFocalLoss: domainChecked(softmaxFocal, (o) =>
    o.fromLogits === true
      ? [
          {
            index: 0,
            outside: (v) => v > 0,
            positions: o.sparseLabel === false ? undefined : (inputs) => labelEntries(o, inputs),
          },
        ]
      : [],
  ),
  NTXentLoss: ntxent,
  SigmoidFocalLoss: domainChecked(
    elementwise(
      (g, options) => {
        if (chance(g, 0.5)) options.alpha = pick(g, [null, 0, 0.25, 1]);
        if (chance(g, 0.5)) options.gamma = pick(g, [0, 0.5, 1, 2, 3]);
        if (chance(g, 0.3)) options.fromSigmoid = chance(g, 0.5);
      },
      (o) => [o.fromSigmoid === true ? 'probability' : 'real', 'probability'],
    ),
    (o) => (o.fromSigmoid === true ? [probabilities(0), probabilities(1)] : [probabilities(1)]),
  ),
  // Gluon's log(label + 1e-12) is NaN below −1e-12.
  KLDivLoss: domainChecked(klDiv, (o) =>
    o.logTarget === true ? [] : [{ index: 1, outside: (z) => z + 1e-12 < 0 }],
  ),
  CosineEmbeddingLoss: cosine,
  TripletLoss: triplet,
  CTCLoss: ctc,
  SDMLLoss: sdml,
  DiceLoss: overlap(() => {}),
  TverskyLoss: overlap((g, o) => {
    if (chance(g, 0.5)) o.alpha = pick(g, [0, 0.3, 0.5, 1]);
    if (chance(g, 0.5)) o.beta = pick(g, [0, 0.7, 0.5, 1]);
  }),
  MultiMarginLoss: multiMargin,
  MultiLabelMarginLoss: multiLabelMargin,
  MultiLabelSoftMarginLoss: multiLabelSoftMargin,
  SmoothL1Loss: elementwise(
    (g, o) => chance(g, 0.5) && (o.beta = pick(g, [0, 0.1, 1, 2.5, 1e6])),
    () => ['real', 'real'],
  ),
  MSELoss: realPairs,
  LogCoshLoss: realPairs,
  SoftMarginLoss: realPairs,
  MarginRankingLoss: sameShapeInputs(
    (g, o) => chance(g, 0.4) && (o.margin = pick(g, [-1, 0, 0.5, 2])),
    [
      ['input1', 'real'],
      ['input2', 'real'],
      ['label', 'real'],
    ],
    3,
  ),
  HingeEmbeddingLoss: sameShapeInputs(
    (g, o) => chance(g, 0.4) && (o.margin = pick(g, [-1, 0, 1, 3])),
    [
      ['pred', 'real'],
      ['label', 'discrete'],
    ],
    2,
  ),
  GaussianNLLLoss: domainChecked(
    sameShapeInputs(
      (g, o) => {
        boolOption('full')(g, o);
        if (chance(g, 0.3)) o.eps = pick(g, [1e-6, 1e-3, 0.5]);
      },
      [
        ['pred', 'real'],
        ['target', 'real'],
        ['variance', 'nonnegative', 'exact'],
      ],
      3,
    ),
    () => [{ index: 2, outside: (v) => v < 0 }],
  ),
  CosineSimilarityLoss: cosineSimilarity,
  TripletMarginLoss: tripletMargin,
};

/** Builds the case of `seed` for `lossName`: a valid draft, then one perturbation. */
export function makeCase(lossName: string, seed: number): FuzzCase {
  const g = new RandomGenerator(seed);
  const dtype: DType = chance(g, 0.6) ? 'float32' : 'float64';
  const draft = GENERATORS[lossName]!(g, dtype);
  const options = draft.options;
  if (chance(g, 0.3)) options.weight = pick(g, [null, 0, 0.5, 2, -1.5]);
  const c: FuzzCase = {
    lossName,
    seed,
    dtype,
    options,
    inputs: draft.inputs,
    batch: draft.batch,
    perturbation: weighted(g),
    expected: draft.expected ?? null,
    finite: true,
    poisonedSample: null,
    clean: null,
    infiniteSamples: draft.infiniteSamples ?? [],
  };
  const swIndex = draft.sampleWeightIndex;
  if (swIndex >= 0 && chance(g, 0.35)) {
    // One weight per sample (DECISIONS 6); shared by nothing else. Not 'real': a weight of
    // 3.4e38 would only amplify float32 rounding of ℓ past any tolerance.
    // DECISIONS 6 shapes: [batch], one per element of ℓ, or ℓ's shape with 1 off the batch axis.
    while (c.inputs.length < swIndex) c.inputs.push(null);
    const lossShape = draft.lossShape ?? [draft.batch];
    const lossAxis = draft.lossAxis ?? 0;
    const shape = pick(g, [[draft.batch], lossShape, lossShape.map((d, i) => (i === lossAxis ? d : 1))]);
    const layout = { inner: innerOf(shape, lossAxis), batch: draft.batch };
    const values = draw(g, count(shape), 'nonnegative');
    c.inputs[swIndex] = input(
      'sampleWeight',
      shape,
      dtype,
      'nonnegative',
      values,
      shape.length === 1 ? { inner: 1, batch: draft.batch } : layout,
    );
  }
  // Discrete inputs stay integers; one float input may come in the other float dtype.
  const floats = c.inputs.filter((x): x is InputSpec => x !== null && x.role !== 'discrete');
  if (floats.length > 1 && chance(g, 0.1)) {
    const other = pick(g, floats.slice(1));
    other.dtype = other.dtype === 'float32' ? 'float64' : 'float32';
  }
  applyPerturbation(g, c, draft);
  // A value the perturbation took outside its input's domain; with a problem the draft or the
  // perturbation already made at the call (a 0-d pred's batchAxis), the loss may report either.
  const invalid =
    c.expected?.when === 'construct' ? null : (draft.invalidAfterPerturbation?.(c.inputs) ?? null);
  if (invalid) {
    const { arguments: names, classes } = c.expected ?? { arguments: [], classes: [] };
    c.expected = { arguments: [...names, invalid], classes: [...classes, 'ValueError'], when: 'forward' };
  }
  return c;
}

/**
 * An input's domain for the options drawn (checkDomain in src/loss/_base/validation.ts): `outside`
 * is true for a finite value the loss has no value for (given the case's inputs: PoissonNLL's
 * epsilon), as the loss computes it; `positions`, the flat positions the loss reads (all without).
 */
interface CheckedDomain {
  readonly index: number;
  readonly outside: (value: number, inputs: readonly (InputSpec | null)[]) => boolean;
  readonly positions?: ((inputs: readonly (InputSpec | null)[]) => readonly number[]) | undefined;
}

const probabilities = (index: number): CheckedDomain => ({ index, outside: (v) => v < 0 || v > 1 });
/** Gluon's probabilities (fromSigmoid): log(p + 1e-12) or log(1 − p + 1e-12) is NaN outside. */
const gluonProbabilities = (index: number): CheckedDomain => ({
  index,
  outside: (p) => p + 1e-12 < 0 || 1 - p + 1e-12 < 0,
});

/** The flat position in pred of each row's label entry, for sparse labels along `axis` (default −1). */
function labelEntries(
  options: Record<string, unknown>,
  [pred, label]: readonly (InputSpec | null)[],
): number[] {
  if (!pred || !label || label.raw !== undefined) return [];
  const shape = pred.shape;
  const given = typeof options.axis === 'number' ? options.axis : -1;
  const axis = given < 0 ? given + shape.length : given;
  const size = shape[axis] ?? 1;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return Array.from(label.values, (c, row) => (Math.floor(row / inner) * size + c) * inner + (row % inner));
}

/**
 * A generator whose inputs the loss checks against their domains (probabilities, rates,
 * log-probabilities), listed in the order the loss checks them: a finite value outside one after
 * the perturbation (a negative subnormal, an extreme value) is a ValueError naming that input.
 */
function domainChecked(
  generator: Generator,
  domains: (options: Record<string, unknown>) => readonly CheckedDomain[],
): Generator {
  return (g, dtype) => {
    const draft = generator(g, dtype);
    const checked = domains(draft.options);
    if (checked.length === 0) return draft;
    draft.invalidAfterPerturbation = (inputs) => {
      for (const { index, outside, positions } of checked) {
        const spec = inputs[index];
        if (!spec || spec.raw !== undefined) continue;
        const seen = (v: number) => (spec.dtype === 'float32' ? Math.fround(v) : v);
        const read = positions ? positions(inputs).map((k) => spec.values[k]!) : Array.from(spec.values);
        if (read.some((v) => Number.isFinite(v) && outside(seen(v), inputs))) return spec.name;
      }
      return null;
    };
    return draft;
  };
}
