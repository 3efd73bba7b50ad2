/**
 * The option and shape checks every loss shares: each throws a ValueError or ShapeError that
 * names the loss, the option or argument, and what is wrong.
 * @module
 */
import { formatShape, ShapeError, ValueError } from '../../ndarray/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { normalizeAxis, sameShape } from '../../ndarray/shape.js';
import { reshape } from '../../ops/movement.js';

/** Throws a ValueError unless `value` is one of `allowed` (case-sensitive). */
export function checkChoice<T extends string>(
  where: string,
  option: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ValueError(
      `${where}: option ${option} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

/** Throws a ValueError unless `value` is a finite number. */
export function checkFinite(where: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(`${where}: option ${option} must be a finite number, got ${String(value)}`);
  }
  return value;
}

/** Throws a ValueError unless `value` is a boolean. */
export function checkBoolean(where: string, option: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new ValueError(`${where}: option ${option} must be true or false, got ${String(value)}`);
  return value;
}

/** An integer option (an axis, …): `fallback` when undefined, otherwise a ValueError unless an integer (null included). */
export function integerOption(where: string, option: string, value: unknown, fallback: number): number {
  const given = value === undefined ? fallback : value;
  if (!Number.isInteger(given))
    throw new ValueError(`${where}: option ${option} must be an integer, got ${String(given)}`);
  return given as number;
}

/** A finite-number option: `fallback` when undefined, otherwise a ValueError unless a finite number (null included). */
export function finiteOption(where: string, option: string, value: unknown, fallback: number): number {
  return checkFinite(where, option, value === undefined ? fallback : value);
}

/** One of `allowed`: `fallback` when undefined, otherwise a ValueError unless one of them. */
export function choiceOption<T extends string>(
  where: string,
  option: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  return checkChoice(where, option, value === undefined ? fallback : value, allowed);
}

/** A true/false option: `fallback` when undefined, otherwise a ValueError unless a boolean (null included). */
export function booleanOption(where: string, option: string, value: unknown, fallback: boolean): boolean {
  return checkBoolean(where, option, value === undefined ? fallback : value);
}

/** Throws a ValueError for option names the loss does not know (a typo would otherwise be silent). */
export function checkKnownOptions(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ValueError(`${where}: unknown option ${key}; the options are ${known.join(', ')}`);
    }
  }
}

/**
 * Gluon's `_reshape_like`: `second` is reshaped to `like`'s shape when the element counts agree;
 * otherwise a ShapeError names both arguments and shapes.
 */
export function reshapeLike(
  where: string,
  name: string,
  second: NDArray,
  likeName: string,
  like: NDArray,
): NDArray {
  if (sameShape(second.shape, like.shape)) return second;
  if (second.size !== like.size) {
    throw new ShapeError(
      `${where}: ${name} shape ${formatShape(second.shape)} (${second.size} elements) does not match ${likeName} shape ` +
        `${formatShape(like.shape)} (${like.size} elements); give ${name} the shape ${formatShape(like.shape)}`,
    );
  }
  return reshape(second, [...like.shape]);
}

/** Throws a ShapeError unless `x` has rank `rank`. */
export function checkRank(where: string, name: string, x: NDArray, rank: number, layout?: string): void {
  if (x.ndim !== rank) {
    throw new ShapeError(
      `${where}: ${name} must have ${rank} axes${layout ? ` (${layout})` : ''}, got shape ${formatShape(x.shape)}`,
    );
  }
}

/** Normalises a loss's batch axis against the rank of ℓ (ShapeError when out of range). */
export function lossBatchAxis(where: string, batchAxis: number, lossShape: readonly number[]): number {
  return normalizeAxis(batchAxis, lossShape.length, where, 'batchAxis');
}

/**
 * A ValueError naming the loss, the argument and the first position of `label` that holds
 * anything but 1 or −1 (NaN included); nothing when every label is ±1. Allocates nothing.
 */
export function assertSignLabels(where: string, name: string, label: NDArray): void {
  const data = label.data;
  // v · v is exactly 1 only for v = ±1 (NaN and ±∞ included: neither squares to 1). One pass with
  // no branch on the label: random ±1 labels mispredict `v !== 1 && v !== -1` half the time, which
  // made this check ~5 ns an element.
  let bad = 0;
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    bad |= v * v !== 1 ? 1 : 0;
  }
  if (bad === 0) return;
  const k = data.findIndex((v) => v !== 1 && v !== -1);
  throw new ValueError(`${where}: ${name} at flat position ${k} is ${data[k]}; labels must be 1 or -1`);
}

/** The values of `label` as ±1 (row-major), after {@link assertSignLabels}. */
export function checkSignLabels(where: string, name: string, label: NDArray): Int8Array {
  assertSignLabels(where, name, label);
  return Int8Array.from(label.data);
}

/**
 * The values an input may hold where its loss takes a logarithm or a fractional power of them
 * (probabilities, rates, log-probabilities): `outside(v)` is true for a finite value the loss has
 * no value for, and `rule` states the domain for the message.
 */
export interface Domain {
  readonly outside: (value: number) => boolean;
  /** What the values must be, for the message, e.g. `probabilities must lie in [0, 1]`. */
  readonly rule: string;
}

/** Probabilities: [0, 1]. */
export const PROBABILITIES: Domain = {
  outside: (value) => value < 0 || value > 1,
  rule: 'probabilities must lie in [0, 1]',
};

/**
 * Throws a ValueError naming the first finite value of `x` outside `domain` (of those at the flat
 * positions `at`, when the loss reads only those), for an input whose loss has no value there (a
 * logarithm of a negative number is NaN; PyTorch's BCELoss rejects a probability outside [0, 1]
 * the same way). NaN and ±Infinity propagate instead, confined to their sample (DECISIONS 9).
 */
export function checkDomain(
  where: string,
  name: string,
  x: NDArray,
  domain: Domain,
  at?: ArrayLike<number>,
): void {
  const data = x.data;
  for (let j = 0, count = at ? at.length : data.length; j < count; j++) {
    const k = at ? at[j]! : j;
    const v = data[k]!;
    if (Number.isFinite(v) && domain.outside(v))
      throw new ValueError(`${where}: ${name} at flat position ${k} is ${v}; ${domain.rule}`);
  }
}
