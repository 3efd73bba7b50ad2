/**
 * Helpers for extremes.test.ts: extreme finite inputs by domain, one loss call run three ways
 * (unrecorded, the one-pass recorded path, the block path with every gradient) under a chosen
 * kernel backend, and float comparisons that treat infinities and NaN exactly.
 */
import { grad, record } from '../../src/autograd/index.js';
import { allocate, type DType } from '../../src/ndarray/dtype.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import type { Loss } from '../../src/loss/_base/index.js';
import { type KernelBackend, setKernelBackend } from '../../src/kernels/index.js';
import { orderedBits } from '../kernels/_ulp.js';

/** The largest finite float32 rounded down to 3.4e38 (as the issue states it), and its neighbours. */
export const F32_MAX = 3.4028234663852886e38;
export const MAX = Math.fround(3.4e38);

/** What values an input may take (its documented domain, so the inputs stay meaningful). */
export type Domain =
  | 'real' // any finite real: logits, predictions, regression targets
  | 'label' // soft labels: documented {0, 1} or {−1, 1}, any finite real accepted (DECISIONS 8)
  | 'probability' // [0, 1]
  | 'nonNegative' // rates and counts
  | 'logProbability' // (−∞, 0]
  | 'weight'; // sampleWeight and posWeight: non-negative, mostly ordinary

/** The scenarios: which extremes the inputs are drawn from. */
export type Scenario = 'max' | 'large' | 'tiny' | 'mixed' | 'weights';
/** 'weights': ordinary inputs with sampleWeight and posWeight at the extremes. */
export const SCENARIOS: readonly Scenario[] = ['max', 'large', 'tiny', 'mixed', 'weights'];

const TINY = [1e-45, -1e-45, 1e-40, -1e-40, 0, -0];

const POOLS: Record<Domain, Record<Scenario, readonly number[]>> = {
  real: {
    max: [MAX, -MAX, MAX, -MAX, 1, 0],
    large: [1e30, -1e30, 1e30, -2e30, 3, -0],
    tiny: TINY,
    mixed: [MAX, -MAX, 1e30, -1e30, 1e-45, -1e-40, 0, -0, 3, -3, 100, -100],
    weights: [0.5, -2, 3, -0.25, 1, 0],
  },
  label: {
    max: [1, -1, 3, -3, 0, 1],
    large: [1, 0, -1, 0.5, 3, -3],
    tiny: [1e-45, 1e-40, -1e-45, 0, -0, 1],
    mixed: [1, -1, 0, 3, -3, 1e-45, 0.25],
    weights: [1, 0, -1, 0.5],
  },
  probability: {
    max: [1, 0, 1, 0.5],
    large: [1, 0, 1e-30, 0.5],
    tiny: [1e-45, 1e-40, 0, 1],
    mixed: [1, 0, 1e-45, 1e-40, 0.5, 1e-30],
    weights: [1, 0, 0.25, 0.5],
  },
  nonNegative: {
    max: [MAX, 0, MAX, 1],
    large: [1e30, 0, 2e30, 3],
    tiny: [1e-45, 1e-40, 0, 1e-45],
    mixed: [MAX, 1e30, 0, 1e-45, 1e-40, 3],
    weights: [0.5, 2, 0, 3],
  },
  logProbability: {
    max: [-MAX, 0, -MAX, -1],
    large: [-1e30, 0, -2e30, -3],
    tiny: [-1e-45, -1e-40, -0, 0],
    mixed: [-MAX, -1e30, -0, -1e-45, -1e-40, -3],
    weights: [-0.5, -2, 0, -3],
  },
  weight: {
    max: [1, 0.5, 2, 1],
    large: [0.5, 2, 1, 0.25],
    tiny: [1e-45, 1e-40, 0, 1],
    mixed: [1, 1e-40, 2, 0],
    weights: [MAX, 1e30, 1e-45, 0, 1e-40, 3],
  },
};

/** `count` values of `domain` under `scenario`, deterministically shuffled by `seed`. */
export function extremeValues(domain: Domain, scenario: Scenario, count: number, seed: number): number[] {
  const pool = POOLS[domain][scenario];
  let state = (seed * 2654435761) >>> 0;
  return Array.from({ length: count }, (_, k) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    // Walk the pool in order for the first pass (every value appears), then at random.
    return pool[k < pool.length ? (k + seed) % pool.length : state % pool.length]!;
  });
}

/** One input of a call: values, shape and dtype (fresh arrays are built per run). */
export interface InputSpec {
  readonly values: readonly number[];
  readonly shape: readonly number[];
  readonly dtype: DType;
}

function build(spec: InputSpec | null): NDArray | null {
  if (!spec) return null;
  const data = allocate(spec.dtype, spec.values.length);
  data.set(spec.values);
  return new NDArray(data, spec.shape);
}

/** Every number a call produces, by name ("loss", "one-pass d/dpred", "d/dlabel", …). */
export type Outcome = Map<string, Float64Array>;

/**
 * Runs `loss` on `inputs` under `backend`: unrecorded; recorded with only `inputs[first]`
 * differentiated (the one-pass path where the loss has one); recorded with every index in
 * `differentiable` (sampleWeight included) differentiated through the block path, with a head
 * gradient that is not all ones. Restores the 'auto' backend.
 */
export function runLoss(
  loss: Loss,
  inputs: readonly (InputSpec | null)[],
  differentiable: readonly number[],
  backend: KernelBackend,
): Outcome {
  setKernelBackend(backend);
  try {
    const outcome: Outcome = new Map();
    const keep = (name: string, x: NDArray) => {
      outcome.set(name, Float64Array.from(x.data));
    };
    keep('loss', loss.forward(...inputs.map(build)));

    const onePass = inputs.map(build);
    const first = differentiable[0]!;
    const x = onePass[first]!.attachGrad();
    const out = record(() => loss.forward(...onePass));
    keep('recorded loss (one-pass)', out);
    out.backward();
    keep(`d/d${loss.inputNames[first]} (one-pass)`, x.grad!);

    const all = inputs.map(build);
    const variables = differentiable.map((i) => all[i]!.attachGrad());
    const blockOut = record(() => loss.forward(...all));
    keep('recorded loss (block)', blockOut);
    const head = Array.from({ length: blockOut.size }, (_, n) => [1, 0.5, 2, 0.25][n % 4]!);
    const headArray = build({ values: head, shape: [head.length], dtype: blockOut.dtype })!;
    const grads = grad(blockOut, variables, { headGrads: headArray });
    differentiable.forEach((i, k) => {
      keep(`d/d${loss.inputNames[i]} (block)`, grads[k]!);
    });
    return outcome;
  } finally {
    setKernelBackend('auto');
  }
}

/** Distance in float32 ulps (both finite). */
export function ulps32(a: number, b: number): number {
  return Math.abs(orderedBits(Math.fround(a)) - orderedBits(Math.fround(b)));
}

const bits64 = new BigInt64Array(1);
const float64 = new Float64Array(bits64.buffer);
function ordered64(x: number): bigint {
  float64[0] = x;
  const b = bits64[0]!;
  return b >= 0n ? b : -0x8000000000000000n - b;
}

/** Distance in float64 ulps (both finite). */
export function ulps64(a: number, b: number): number {
  const d = ordered64(a) - ordered64(b);
  return Number(d < 0n ? -d : d);
}

/** How close two results must be: relative, in ulps of the dtype, or absolute (default 0). */
export interface Tolerance {
  readonly rtol: number;
  readonly ulps: number;
  readonly atol?: number;
}

/** Float32 tolerance: 1e-6 relative or 4 ulps (the kernels' float32 exp and log are within 2). */
export const TOLERANCE: Tolerance = { rtol: 1e-6, ulps: 4 };

/**
 * Whether `got` matches `expected` for `dtype`: an infinity or NaN only by the same value;
 * finite numbers within the relative, ulp or absolute tolerance (subnormals and zeros are
 * compared in ulps, where a relative tolerance means nothing).
 */
export function matches(got: number, expected: number, dtype: DType, tolerance: Tolerance): boolean {
  if (!Number.isFinite(got) || !Number.isFinite(expected))
    return Object.is(got, expected) || (Number.isNaN(got) && Number.isNaN(expected));
  const difference = Math.abs(got - expected);
  if (difference <= tolerance.rtol * Math.max(Math.abs(got), Math.abs(expected))) return true;
  if (difference <= (tolerance.atol ?? 0)) return true;
  return (dtype === 'float32' ? ulps32(got, expected) : ulps64(got, expected)) <= tolerance.ulps;
}

/** The first mismatch between two outcomes (`expected` passed through `round`), described, or null. */
export function compareOutcomes(
  got: Outcome,
  expected: Outcome,
  dtype: DType,
  tolerance: Tolerance,
  round: (x: number) => number = (x) => x,
): string | null {
  for (const [name, values] of expected) {
    const other = got.get(name);
    if (!other) return `${name}: missing`;
    for (let i = 0; i < values.length; i++) {
      const e = round(values[i]!);
      if (!matches(other[i]!, e, dtype, tolerance)) return `${name}[${i}]: got ${other[i]}, expected ${e}`;
    }
  }
  return null;
}

/** Describes an input set compactly for failure messages. */
export function describeInputs(names: readonly string[], inputs: readonly (InputSpec | null)[]): string {
  return inputs
    .map((spec, i) =>
      spec
        ? `${names[i]}=[${spec.values.slice(0, 12).join(', ')}${spec.values.length > 12 ? ', …' : ''}]`
        : null,
    )
    .filter((s) => s !== null)
    .join(' ');
}
