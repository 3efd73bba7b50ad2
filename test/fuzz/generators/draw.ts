/**
 * Small drawing helpers shared by the per-loss generators: picks, sizes, shapes, values of a role
 * and the options several losses share. Each consumes the random stream in a fixed order, which
 * the seeded cases depend on.
 */
import type { DType } from '../../../src/ndarray/dtype.js';
import type { RandomGenerator } from '../../../src/ndarray/random.js';
import type { InputSpec, Role, SampleLayout } from './case.js';

export const pick = <T>(g: RandomGenerator, items: readonly T[]): T => items[g.nextInt(0, items.length)]!;
export const chance = (g: RandomGenerator, p: number): boolean => g.nextDouble() < p;
/** One of `candidates` that `spec` can hold (an int32 array cannot hold NaN or 0.5). */
export const badValue = (g: RandomGenerator, spec: InputSpec, candidates: number[]): number =>
  pick(g, spec.dtype === 'int32' ? candidates.filter(Number.isInteger) : candidates);
/** Odd and small sizes; 0 only where a generator asks for a batch. */
export const dim = (g: RandomGenerator): number => pick(g, [1, 2, 3, 5, 7]);
export const batchSize = (g: RandomGenerator): number => pick(g, [0, 1, 1, 2, 3, 5, 6]);
export const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const innerOf = (shape: readonly number[], axis: number): number => count(shape.slice(axis + 1));

export function draw(g: RandomGenerator, n: number, role: Role): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (role === 'real') out[i] = 3 * (2 * g.nextDouble() - 1);
    else if (role === 'probability') out[i] = g.nextDouble();
    else out[i] = 4 * g.nextDouble();
  }
  return out;
}

export function input(
  name: string,
  shape: number[],
  dtype: DType,
  role: Role,
  values: Float64Array,
  layout: SampleLayout | null,
): InputSpec {
  return { name, shape, dtype, role, values, layout };
}

/** A shape of `rank` with `batch` at `axis` (when axis >= 0) and small odd sizes elsewhere. */
export function shapeWith(g: RandomGenerator, rank: number, axis: number, batch: number): number[] {
  return Array.from({ length: rank }, (_, i) => (i === axis ? batch : dim(g)));
}

/** Same element count, maybe another shape (Gluon reshapes a label like pred). */
export function sameCount(g: RandomGenerator, shape: number[]): number[] {
  if (shape.length === 0 || !chance(g, 0.3)) return [...shape];
  return chance(g, 0.5) ? [count(shape)] : [...shape].reverse();
}

/** A shape that cannot pass for `shape`: the last axis two longer (rank kept), or [2] for a scalar. */
export function grown(shape: number[]): number[] {
  return shape.length === 0 ? [2] : [...shape.slice(0, -1), shape[shape.length - 1]! + 2];
}

export function resize(spec: InputSpec, shape: number[], g: RandomGenerator): void {
  spec.shape = shape;
  spec.values = draw(g, count(shape), spec.role === 'discrete' ? 'nonnegative' : spec.role);
  if (spec.role === 'discrete') spec.values = spec.values.map(Math.floor);
}

export const floatOrInt = (g: RandomGenerator, dtype: DType): DType => (chance(g, 0.5) ? 'int32' : dtype);

/** Random valid batchAxis for a loss of rank `rank` (default 0 half the time). */
export function batchAxisOption(g: RandomGenerator, rank: number, options: Record<string, unknown>): number {
  if (rank === 0 || chance(g, 0.5)) return 0;
  const axis = g.nextInt(-rank, rank);
  options.batchAxis = axis;
  return axis < 0 ? axis + rank : axis;
}

export const boolOption = (key: string) => (g: RandomGenerator, options: Record<string, unknown>) => {
  if (chance(g, 0.7)) options[key] = chance(g, 0.5);
};

/** Per-class values in [0, 2), some exactly 0 or tiny. */
export const perClass = (g: RandomGenerator, classes: number) =>
  Array.from({ length: classes }, () => {
    // About one class in ten weighs exactly 0 (a masked class, as PyTorch users pass them) and one
    // in forty 1e-6, from the same draw (the stream of later draws is unchanged).
    const weight = 2 * g.nextDouble();
    return weight < 0.2 ? 0 : weight < 0.25 ? 1e-6 : weight;
  });

/** C finite non-negative class weights, sometimes. */
export function classWeightOption(
  g: RandomGenerator,
  options: Record<string, unknown>,
  classes: number,
): void {
  if (chance(g, 0.3)) options.classWeight = Array.from(draw(g, classes, 'nonnegative'));
}

/** The labels {−1, 1} of the margin losses. */
export const signs = [-1, 1];
