/**
 * What a fuzz case is: a pure description of one call (options, positional inputs as plain numbers
 * with shapes and dtypes, the perturbation applied, what must happen), and the valid draft a
 * per-loss generator returns before the perturbation (see index.ts).
 */
import type { DType } from '../../../src/ndarray/dtype.js';
import type { RandomGenerator } from '../../../src/ndarray/random.js';

/** What an input's values mean: decides which perturbations may touch it. */
export type Role = 'real' | 'probability' | 'nonnegative' | 'discrete';

/** How an input's elements map to samples: sample = floor(flat / inner) % batch. */
export interface SampleLayout {
  readonly inner: number;
  readonly batch: number;
}

export interface InputSpec {
  readonly name: string;
  shape: number[];
  dtype: DType;
  readonly role: Role;
  values: Float64Array;
  /** null when elements are shared by several samples (a broadcast posWeight, SDML's x2). */
  readonly layout: SampleLayout | null;
  /** Passed as a plain JS number instead of an NDArray (PoissonNLL's epsilon). */
  readonly scalar?: boolean;
  /** Passed as is instead of an array: something no loss accepts (a string, an object). */
  raw?: unknown;
}

export type ErrorClass = 'ShapeError' | 'ValueError';

/** The typed error a case must raise, and the argument (input or option) its message must name. */
export interface Expected {
  /** The message must name one of these (a case broken twice may report either). */
  readonly arguments: readonly string[];
  /** …and be one of these classes (DECISIONS 5-9b: shapes are ShapeErrors, values ValueErrors). */
  readonly classes: readonly ErrorClass[];
  readonly when: 'construct' | 'forward';
}

export interface FuzzCase {
  readonly lossName: string;
  readonly seed: number;
  readonly dtype: DType;
  options: Record<string, unknown>;
  inputs: (InputSpec | null)[];
  /** Expected output length (the batch axis of ℓ). */
  batch: number;
  perturbation: string;
  expected: Expected | null;
  /** Every input value finite: losses and gradients must then be finite (see the exceptions). */
  finite: boolean;
  /** The poisoned sample (NaN / ±Infinity cases), to compare the others with `clean`. */
  poisonedSample: number | null;
  clean: (InputSpec | null)[] | null;
  /** Samples whose loss is +Infinity by definition (CTC, infeasible alignments). */
  infiniteSamples: number[];
}

/** A loss generator's valid draw, plus ways to break it deliberately. */
export interface Draft {
  options: Record<string, unknown>;
  inputs: (InputSpec | null)[];
  batch: number;
  expected?: Expected;
  /** Rank of ℓ (for an out-of-range batchAxis). */
  lossRank: number;
  /** ℓ's shape and batch axis, for sampleWeights that broadcast (none for SDML). */
  lossShape?: number[];
  lossAxis?: number;
  /** Makes one input's shape invalid; returns the input's name. */
  breakShape?: (() => string) | undefined;
  /** Puts an out-of-range value into a discrete input; returns the input's name. */
  breakValue?: (() => string) | undefined;
  infiniteSamples?: number[];
  sampleWeightIndex: number;
  /**
   * After the perturbation: the input whose values the loss must reject, or null (SigmoidFocal's
   * probabilities with fromSigmoid, which a negative subnormal takes outside [0, 1]).
   */
  invalidAfterPerturbation?: (inputs: readonly (InputSpec | null)[]) => string | null;
}

/** A per-loss generator: one valid draft from the stream `g`, in the call's float dtype. */
export type Generator = (g: RandomGenerator, dtype: DType) => Draft;
