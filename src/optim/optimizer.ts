/**
 * The optimizer base (MXNet 1.x `mxnet.optimizer.Optimizer`): shared hyper-parameters, per-weight
 * state and update counts. Each concrete optimizer supplies its update formula as one loop over
 * typed arrays, in its own file, following MXNet's kernels (`optimizer_op-inl.h`) so that
 * clipping and weight decay happen in the same order.
 * @module
 */
import { allocate, type TypedArray } from '../ndarray/dtype.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';

/** Options every optimizer accepts. */
export interface OptimizerOptions {
  /** Step size (default 0.01; Adam and RMSProp default to 0.001). */
  learningRate?: number;
  /** Weight decay: adds `wd · weight` to the gradient (default 0). */
  wd?: number;
  /** Multiplies every gradient first (default 1; `Trainer.step(n)` sets it to 1/n). */
  rescaleGrad?: number;
  /** Clips the (rescaled) gradient into [−c, c]; null (default) means no clipping. */
  clipGradient?: number | null;
}

/** Per-weight state: named arrays laid out like the weight (e.g. Adam's `mean` and `variance`). */
export type OptimizerState = Record<string, TypedArray>;

/**
 * One update: the weight, its gradient and its state (all updated in place but the gradient), and
 * the hyper-parameters after the parameter's multipliers are applied.
 */
export interface UpdateContext {
  /** The weight's elements, updated in place. */
  readonly weight: TypedArray;
  /** The gradient's elements, laid out like the weight. */
  readonly grad: TypedArray;
  /** The weight's state arrays (see {@link Optimizer.stateNames}), updated in place. */
  readonly state: OptimizerState;
  /** Learning rate × the parameter's lrMult. */
  readonly learningRate: number;
  /** Weight decay × the parameter's wdMult. */
  readonly wd: number;
  /** Gradient multiplier. */
  readonly rescaleGrad: number;
  /** Clipping bound, or Infinity for none. */
  readonly clipGradient: number;
  /** How many updates this weight has had, counting this one (1 on the first). */
  readonly count: number;
}

/** A snapshot of an optimizer's progress: update counts and state arrays per weight index. */
export interface OptimizerSnapshot {
  /** The largest update count. */
  numUpdate: number;
  /** Updates so far, per weight index. */
  counts: Map<number, number>;
  /** State arrays, per weight index. */
  states: Map<number, OptimizerState>;
}

/** Clamps `value` into [−bound, bound] (MXNet's `clip`; Infinity leaves it alone). */
export function clipValue(value: number, bound: number): number {
  return Math.min(Math.max(value, -bound), bound);
}

/** Throws a ValueError unless `value` is a finite number within [min, max]. */
export function checkNumber(
  where: string,
  option: string,
  value: unknown,
  min = -Infinity,
  max = Infinity,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = min === -Infinity && max === Infinity ? '' : ` in [${min}, ${max}]`;
    throw new ValueError(`${where}: ${option} must be a finite number${range}, got ${String(value)}`);
  }
  return value;
}

/** Throws a ValueError unless `value` is null/undefined or a positive number; returns null or it. */
export function checkOptionalBound(where: string, option: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new ValueError(`${where}: ${option} must be a positive number or null, got ${String(value)}`);
  }
  return value;
}

const BASE_OPTIONS = ['learningRate', 'wd', 'rescaleGrad', 'clipGradient'];

/** Base of the optimizers: hyper-parameters, per-weight state and update counts. */
export abstract class Optimizer {
  /** The registry name, e.g. 'sgd'. */
  abstract readonly name: string;
  /** Step size. */
  learningRate: number;
  /** Weight decay coefficient. */
  wd: number;
  /** Gradient multiplier (the Trainer sets it to 1/batchSize on each step). */
  rescaleGrad: number;
  /** Gradient clipping bound, or null for none. */
  clipGradient: number | null;
  /** The largest update count over all weights (MXNet `num_update`). */
  numUpdate = 0;
  private readonly counts = new Map<number, number>();
  private readonly states = new Map<number, OptimizerState>();

  protected constructor(
    options: OptimizerOptions & object,
    known: readonly string[],
    defaultLearningRate = 0.01,
  ) {
    const where = this.constructor.name;
    if (options === null || typeof options !== 'object') {
      throw new ValueError(`${where}: options must be an object, got ${String(options)}`);
    }
    const allowed = [...BASE_OPTIONS, ...known];
    for (const key of Object.keys(options)) {
      if (!allowed.includes(key))
        throw new ValueError(`${where}: unknown option ${key}; the options are ${allowed.join(', ')}`);
    }
    this.learningRate = checkNumber(where, 'learningRate', options.learningRate ?? defaultLearningRate, 0);
    this.wd = checkNumber(where, 'wd', options.wd ?? 0);
    this.rescaleGrad = checkNumber(where, 'rescaleGrad', options.rescaleGrad ?? 1);
    this.clipGradient = checkOptionalBound(where, 'clipGradient', options.clipGradient);
  }

  /** The names of the state arrays this optimizer keeps per weight (may be empty). */
  abstract stateNames(): readonly string[];

  /** This optimizer's own hyper-parameters (beyond the base ones), as saved with its states. */
  abstract hyperParameters(): Record<string, number | boolean | null>;

  /** Restores hyper-parameters saved by {@link hyperParameters} (and the base ones). */
  abstract setHyperParameters(values: Record<string, unknown>): void;

  /** The update formula: updates `weight` and `state` in place from `grad`. */
  protected abstract applyUpdate(update: UpdateContext): void;

  /** Zero state arrays for a weight. */
  createState(weight: NDArray): OptimizerState {
    const state: OptimizerState = {};
    for (const name of this.stateNames()) state[name] = allocate(weight.dtype, weight.size);
    return state;
  }

  /**
   * Updates the weight at `index` in place from its gradient (MXNet `Optimizer.update`). State is
   * created on the first update of each index.
   */
  update(
    index: number,
    weight: NDArray,
    grad: NDArray,
    multipliers: { lrMult?: number; wdMult?: number } = {},
  ): void {
    const where = `${this.constructor.name}.update`;
    if (weight.size !== grad.size) {
      throw new ShapeError(
        `${where}: grad ${formatShape(grad.shape)} does not match weight ${formatShape(weight.shape)}`,
      );
    }
    if (weight.dtype === 'int32') throw new ValueError(`${where}: cannot update an int32 weight`);
    const count = (this.counts.get(index) ?? 0) + 1;
    this.counts.set(index, count);
    this.numUpdate = Math.max(this.numUpdate, count);
    let state = this.states.get(index);
    if (!state) {
      state = this.createState(weight);
      this.states.set(index, state);
    }
    // A hyper-parameter change (e.g. momentum from 0 to 0.9) can call for state not made before.
    for (const name of this.stateNames()) {
      state[name] ??= allocate(weight.dtype, weight.size);
      if (state[name].length !== weight.size) {
        throw new ShapeError(
          `${where}: state '${name}' of weight ${index} has ${state[name].length} elements but the weight ${formatShape(weight.shape)} has ${weight.size}`,
        );
      }
    }
    this.applyUpdate({
      weight: weight.data,
      grad: grad.data,
      state,
      learningRate: this.learningRate * (multipliers.lrMult ?? 1),
      wd: this.wd * (multipliers.wdMult ?? 1),
      rescaleGrad: this.rescaleGrad,
      clipGradient: this.clipGradient ?? Infinity,
      count,
    });
    // The weight changed in place: a graph recorded before this update must not be replayed.
    weight._version++;
  }

  /** The update counts and state arrays (copies), for saving. */
  getStates(): OptimizerSnapshot {
    const states = new Map<number, OptimizerState>();
    for (const [index, state] of this.states) {
      const copy: OptimizerState = {};
      for (const [name, values] of Object.entries(state)) copy[name] = values.slice();
      states.set(index, copy);
    }
    return { numUpdate: this.numUpdate, counts: new Map(this.counts), states };
  }

  /** Replaces the update counts and state arrays (as returned by {@link getStates}). */
  setStates(snapshot: OptimizerSnapshot): void {
    const names = this.stateNames();
    for (const [index, state] of snapshot.states) {
      for (const name of names) {
        if (!(name in state)) {
          throw new ValueError(
            `${this.constructor.name}.setStates: state of weight ${index} lacks '${name}'`,
          );
        }
      }
    }
    this.counts.clear();
    this.states.clear();
    for (const [index, count] of snapshot.counts) this.counts.set(index, count);
    for (const [index, state] of snapshot.states) this.states.set(index, state);
    this.numUpdate = snapshot.numUpdate;
  }

  /** Base hyper-parameters, shared by every optimizer's {@link hyperParameters}. */
  protected baseHyperParameters(): Record<string, number | null> {
    return {
      learningRate: this.learningRate,
      wd: this.wd,
      rescaleGrad: this.rescaleGrad,
      clipGradient: this.clipGradient,
    };
  }

  /** Restores the base hyper-parameters from saved values, validating them. */
  protected setBaseHyperParameters(values: Record<string, unknown>): void {
    const where = `${this.constructor.name}.setHyperParameters`;
    if ('learningRate' in values)
      this.learningRate = checkNumber(where, 'learningRate', values.learningRate, 0);
    if ('wd' in values) this.wd = checkNumber(where, 'wd', values.wd);
    if ('rescaleGrad' in values) this.rescaleGrad = checkNumber(where, 'rescaleGrad', values.rescaleGrad);
    if ('clipGradient' in values)
      this.clipGradient = checkOptionalBound(where, 'clipGradient', values.clipGradient);
  }

  /** Gluon-like description with the hyper-parameters. */
  toString(): string {
    const parts = Object.entries(this.hyperParameters()).map(([key, value]) => `${key}=${String(value)}`);
    return `${this.constructor.name}(${parts.join(', ')})`;
  }
}
