/**
 * How far rounding may move a sample's loss, for the fuzz test's comparisons of two evaluations
 * (recorded against unrecorded, wasm against TypeScript): the same rule for every loss, from the
 * public API only (record, backward), tight where ℓ_n is well conditioned and loose only where its
 * terms cancel.
 */
import { record } from '../../src/autograd/index.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import type { Loss } from '../../src/loss/_base/index.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { build } from './_compare.js';
import { type FuzzCase, sampleOf } from './generators/index.js';

/** The smallest magnitude float32 rounds to Infinity (to within a half ulp): 2^128. */
const FLOAT32_OVERFLOW = 2 ** 128;

/** Elements of one sample: a sum over this many terms may round by up to as many ulps of Σ|terms|. */
export const perSampleOf = (c: FuzzCase): number => (c.batch > 0 ? c.inputs[0]!.values.length / c.batch : 1);

/**
 * Per sample n, Σ |x · ∂ℓ_n/∂x| over every float input element x of that sample (plus the elements
 * shared by all samples), at the values the call saw, in float64 on the TypeScript kernels: the
 * size of the terms ℓ_n is made of (for ℓ_n = mean of terms t(x), x·t'(x) ≈ t once |x| is large), so
 * ε·Σ is how far rounding the terms to ε may move ℓ_n, whatever the loss. It is the numerator of
 * ℓ_n's condition number: where the terms cancel (labels of ±3.4e38 in LogisticLoss give terms of
 * ±5.8e76 that cancel; anchors of ±3.4e38 in TripletLoss give squared distances of 1e77 that
 * cancel), ℓ_n in float64 is rounding noise, and two summation orders may disagree even in sign.
 * 0 (no slack) for a sample whose bound is not finite: one with a NaN or infinite input that its
 * ℓ depends on (a nonzero slope), or every sample when an element they all share is not (a sample of finite inputs beside one
 * with a NaN or an infinity keeps its bound: its value is still summed, and rounded, differently
 * by the one-pass and block paths).
 *
 * The larger of two evaluations: every float input differentiated in float64 on the TypeScript
 * kernels (the block path), and the first alone in the case's own dtype on the wasm kernels (the
 * one-pass path where the loss has one, as the test's recorded call). A sample on a kink (a hinge
 * or relu whose argument is rounding noise) has a zero gradient on its inactive side, which says
 * nothing of the size of its terms; when the two evaluations fall on different sides, the active
 * one gives it.
 */
export function roundingScale(loss: Loss, c: FuzzCase): Float64Array {
  const float64 = scaleOn(loss, c, 'js', 'float64', false);
  const own = scaleOn(loss, c, 'wasm', undefined, true);
  setKernelBackend('js');
  return float64.map((v, n) => Math.max(v, own[n]!));
}

/**
 * roundingScale's sum for one evaluation: `backend`, the inputs in `float` (undefined: as drawn),
 * every float input differentiated or only the first.
 */
function scaleOn(
  loss: Loss,
  c: FuzzCase,
  backend: 'js' | 'wasm',
  float: 'float64' | undefined,
  firstOnly: boolean,
): Float64Array {
  const scale = new Float64Array(c.batch);
  setKernelBackend(backend);
  const inputs = build(c.inputs, float);
  const variables = c.inputs
    .flatMap((spec, i) =>
      spec && !spec.scalar && spec.raw === undefined && spec.role !== 'discrete' && spec.dtype !== 'int32'
        ? [i]
        : [],
    )
    .slice(0, firstOnly ? 1 : undefined);
  let shared = 0;
  try {
    const arrays = variables.map((i) => (inputs[i] as NDArray).attachGrad());
    record(() => loss.forward(...inputs)).backward();
    arrays.forEach((x, k) => {
      const g = x.grad?.data;
      const layout = c.inputs[variables[k]!]!.layout;
      if (!g) return;
      // A float32 gradient that overflowed is at least float32's overflow threshold in size.
      const overflow = g instanceof Float32Array ? FLOAT32_OVERFLOW : Number.POSITIVE_INFINITY;
      for (let i = 0; i < x.data.length; i++) {
        // An element ℓ does not depend on (a zero slope: NLL's other classes) adds nothing, even
        // a NaN or an infinity there (NaN · 0 would take the whole sample's slack away).
        if (g[i] === 0) continue;
        const term = Math.abs(x.data[i]!) * Math.min(Math.abs(g[i]!), overflow);
        if (layout) scale[sampleOf(layout, i)]! += term;
        else shared += term;
      }
    });
  } catch {
    return scale.fill(0);
  }
  return scale.map((v) => (Number.isFinite(v + shared) ? v + shared : 0));
}

/**
 * The samples whose loss is rounding noise on either side: the rounding bound reaches |ℓ_n| (the
 * relative condition number passes 1/ε), so not even ℓ_n's sign, or a branch taken on it, is
 * determined. ±Infinity counts as float32's overflow threshold, as in mismatchBeyondRounding.
 */
export function noiseSamples(
  c: FuzzCase,
  scale: Float64Array,
  termEpsilon: number,
  a: NDArray,
  b: NDArray,
): boolean[] {
  const limit = a.dtype === 'float32' || b.dtype === 'float32' ? 2 ** 128 : Number.POSITIVE_INFINITY;
  const size = (v: number) => Math.min(Math.abs(v), limit);
  return Array.from(
    a.data,
    (x, n) => boundOf(c, scale, n, termEpsilon) >= Math.max(size(x), size(b.data[n]!)),
  );
}

/** How far sample n may move by rounding at `epsilon` (see roundingScale). */
export const boundOf = (c: FuzzCase, scale: Float64Array, n: number, epsilon: number): number =>
  (8 + perSampleOf(c)) * epsilon * (scale[n] ?? 0);

/**
 * The first element where `close` finds a and b apart, after forgiving the samples whose values
 * lie within their rounding bound of each other, with terms rounded to `termEpsilon` (see
 * roundingScale): ±Infinity in a float32 result stands for the overflow threshold 2^128 there, so
 * noise beyond float32's range may round to either infinity. Without finite inputs, just `close`.
 */
export function mismatchBeyondRounding(
  close: (a: ArrayLike<number>, b: ArrayLike<number>) => number,
  a: NDArray,
  b: NDArray,
  c: FuzzCase,
  rounding: () => Float64Array,
  termEpsilon: number,
): number {
  const strict = close(a.data, b.data);
  // (A case with a NaN or an infinity somewhere forgives only the samples whose bound is finite.)
  if (strict < 0) return strict;
  const limit = a.dtype === 'float32' || b.dtype === 'float32' ? 2 ** 128 : Number.POSITIVE_INFINITY;
  const lift = (v: number) =>
    v === Number.POSITIVE_INFINITY ? limit : v === Number.NEGATIVE_INFINITY ? -limit : v;
  const scale = rounding();
  const forgiven = Float64Array.from(b.data, (y, n) => {
    const x = a.data[n]!;
    const gap = Math.abs(lift(x) - lift(y));
    return Number.isFinite(gap) && gap <= boundOf(c, scale, n, termEpsilon) ? x : y;
  });
  return close(a.data, forgiven);
}
