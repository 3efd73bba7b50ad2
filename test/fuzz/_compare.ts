/**
 * Helpers of the loss fuzz test: building a case's inputs, printing a case so it reproduces, and
 * the comparisons (exact with NaN, within ulps, within float32 tolerance).
 */
import { setKernelBackend } from '../../src/kernels/index.js';
import type { DType } from '../../src/ndarray/dtype.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import type { FuzzCase, InputSpec } from './generators/index.js';

/** The base seed of the case streams (GLOSS_FUZZ_SEED). */
export const BASE_SEED = Number(process.env.GLOSS_FUZZ_SEED ?? 20261206);
/** Cases drawn per loss (GLOSS_FUZZ_CASES). */
export const CASES_PER_LOSS = Number(process.env.GLOSS_FUZZ_CASES ?? 150);
/** GLOSS_FUZZ_CASE=<LossName>:<seed>: one case alone, as [name, seed], or undefined. */
export const ONLY = process.env.GLOSS_FUZZ_CASE?.split(':');

/**
 * Distinct seeds for every (base seed, loss, case), shared by the fuzz tests so that one
 * GLOSS_FUZZ_CASE reproduces a case in each; < 2^53 and reduced to 32 bits by the generator.
 */
export const caseSeed = (lossIndex: number, i: number): number =>
  BASE_SEED * 1_000_000 + lossIndex * 50_000 + i;

/** The backends that load here: the wasm kernels are optional, the TypeScript ones always run. */
export function availableBackends(): ('js' | 'wasm')[] {
  try {
    setKernelBackend('wasm');
    return ['js', 'wasm'];
  } catch {
    return ['js'];
  }
}

/**
 * The inputs a case differentiates (float, continuous arrays): the first only for an even seed
 * (the one-pass path), all of them for an odd one (the block path).
 */
export function variablesOf(c: FuzzCase): number[] {
  const all = c.inputs.flatMap((x, i) =>
    x && !x.scalar && x.raw === undefined && x.role !== 'discrete' && x.dtype !== 'int32' ? [i] : [],
  );
  return c.seed % 2 === 0 ? all.slice(0, 1) : all;
}

/** One line that names everything about a case, and how to rerun it alone. */
export function describeCase(c: FuzzCase): string {
  const options = Object.entries(c.options)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? `'${v}'` : String(v)}`)
    .join(', ');
  const inputs = c.inputs
    .map((x) => (x ? `${x.name}${JSON.stringify(x.shape)}:${x.dtype}` : 'null'))
    .join(' ');
  return `${c.lossName} seed=${c.seed} [${c.perturbation}] dtype=${c.dtype} options={${options}} inputs=${inputs} (GLOSS_FUZZ_CASE=${c.lossName}:${c.seed})`;
}

/**
 * The inputs as arrays of their dtypes; with `float`, float inputs are then widened to it (the
 * float64 reference sees exactly the values the float32 call saw, not the unrounded draws).
 */
export function build(specs: readonly (InputSpec | null)[], float?: DType): (NDArray | number | null)[] {
  return specs.map((spec) => {
    if (!spec) return null;
    if (spec.raw !== undefined) return spec.raw as number | null;
    if (spec.scalar) return spec.values[0]!;
    const stored =
      spec.dtype === 'int32'
        ? new Int32Array(spec.values)
        : spec.dtype === 'float64'
          ? new Float64Array(spec.values)
          : new Float32Array(spec.values);
    const data = float === 'float64' && spec.dtype !== 'int32' ? Float64Array.from(stored) : stored;
    return new NDArray(data, spec.shape);
  });
}

export const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

/** Equal within `relative` of the larger magnitude; NaN and infinities must match exactly. */
export function closeUlps(a: number, b: number, relative: number): boolean {
  if (same(a, b)) return true;
  return (
    Number.isFinite(a) &&
    Number.isFinite(b) &&
    // (Plus a subnormal floor: one path may round a 5e-324 sum to 0.)
    Math.abs(a - b) <= relative * Math.max(Math.abs(a), Math.abs(b)) + 1e-300
  );
}

/**
 * Index of the first element outside float32 tolerance, or -1: relative 1e-5, plus 1e-5 of the
 * array's largest magnitude (at least 1). The absolute part is for sums that cancel: the wasm
 * kernels round terms to float32 (the triplet kernel's (p − a)² − (q − a)² by design), and a
 * float32 log-probability is only that accurate (CTC's wasm normalisers give ±6e-9 for a float64 0).
 */
export function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!)) scale = Math.max(scale, Math.abs(a[i]!));
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (same(x, y)) continue;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return i;
    if (Math.abs(x - y) > 1e-5 * (Math.max(Math.abs(x), Math.abs(y)) + Math.max(scale, 1))) return i;
  }
  return -1;
}
