/**
 * A trainable array with its gradient buffer, initializer and deferred initialization (Gluon's
 * `Parameter`). A dimension of 0 in the shape means "not known yet": `initialize()` then only
 * records the initializer, and the owning layer completes the shape on its first forward.
 * @module
 */
import type { GradReq } from '../autograd/node.js';
import { isRecording } from '../autograd/state.js';
import {
  create as createInitializer,
  type Initializer,
  type InitializerLike,
  Uniform,
} from '../init/initializer.js';
import { asArray, type ArrayInput, zeros } from '../ndarray/create.js';
import { checkElementCount, type DType } from '../ndarray/dtype.js';
import { AutogradError, formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { globalGenerator, type RandomGenerator } from '../ndarray/random.js';
import { sameShape, sizeOf } from '../ndarray/shape.js';

/**
 * Thrown when a parameter's data is read before its shape is known (MXNet
 * `DeferredInitializationError`). Run one forward pass first, or give the layer its input size.
 */
export class DeferredInitializationError extends Error {
  override name = 'DeferredInitializationError';
}

/** Thrown when a parameter's data is read before `initialize()` was called. */
export class ParameterNotInitializedError extends Error {
  override name = 'ParameterNotInitializedError';
}

/** Options of the {@link Parameter} constructor. */
export interface ParameterOptions {
  /** The shape; a 0 marks a dimension inferred later (deferred initialization). Default `[]`. */
  shape?: readonly number[];
  /** Element type (default 'float32'). */
  dtype?: 'float32' | 'float64';
  /** The parameter's own initializer; it wins over the block-wide default of `initialize()`. */
  init?: InitializerLike | null;
  /** 'write' (default), 'add' (gradients accumulate across backward passes) or 'null' (frozen). */
  gradReq?: GradReq;
  /** Multiplier on the optimizer's learning rate for this parameter (default 1). */
  lrMult?: number;
  /** Multiplier on the optimizer's weight decay for this parameter (default 1). */
  wdMult?: number;
}

/** Options of {@link Parameter.initialize}. */
export interface ParameterInitializeOptions {
  /** Used when neither `init` nor the parameter's own initializer is given (default `Uniform(0.07)`). */
  defaultInit?: InitializerLike;
  /** Re-initialize even when the data already exists (otherwise a warning, as in Gluon). */
  forceReinit?: boolean;
  /** Random stream for the draws (default: the global one behind `nd.random`). */
  generator?: RandomGenerator;
}

/** Prints a shape as Python prints a tuple: `(1, 4)`, `(4,)`. */
export function formatTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function checkGradReq(where: string, gradReq: unknown): GradReq {
  if (gradReq !== 'write' && gradReq !== 'add' && gradReq !== 'null') {
    throw new ValueError(
      `${where}: gradReq must be 'write', 'add' or 'null', got ${JSON.stringify(gradReq)}`,
    );
  }
  return gradReq;
}

function checkMultiplier(where: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(`${where}: ${option} must be a finite number, got ${String(value)}`);
  }
  return value;
}

/**
 * A trainable array (Gluon `Parameter`): its data is an autograd variable whose gradient
 * backward fills, created by an initializer once the shape is known.
 */
export class Parameter {
  /** Name within its block, e.g. `weight`. Blocks prefix it with the path when collecting. */
  readonly name: string;
  /** Element type of the data and gradient. */
  readonly dtype: 'float32' | 'float64';
  /** The parameter's own initializer, or null to use the block-wide default. */
  init: Initializer | null;
  /** Learning-rate multiplier read by the optimizers. */
  lrMult: number;
  /** Weight-decay multiplier read by the optimizers. */
  wdMult: number;
  private currentShape: number[];
  private currentGradReq: GradReq;
  private value: NDArray | null = null;
  /** The initializer and stream recorded by `initialize()` while the shape is still unknown. */
  private pending: { initializer: Initializer; generator: RandomGenerator } | null = null;
  /**
   * The gradient buffer and its version when the last optimizer step consumed it (or when
   * attachGrad/zeroGrad made it). Backward either writes into the buffer, bumping its version, or
   * installs a new array, so any difference means a fresh gradient.
   */
  private consumed: { grad: NDArray | null; version: number } = { grad: null, version: 0 };

  constructor(name: string, options: ParameterOptions = {}) {
    const where = `Parameter '${name}'`;
    this.name = name;
    const shape = options.shape ?? [];
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ShapeError(
        `${where}: shape must hold integers >= 0 (0 = unknown), got ${formatShape(shape)}`,
      );
    }
    // Unknown (0) dimensions count as 1 here; inferShape checks the completed shape again.
    checkElementCount(sizeOf(shape.map((d) => d || 1)), where, shape);
    this.currentShape = [...shape];
    const dtype = options.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new ValueError(`${where}: dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
    }
    this.dtype = dtype;
    this.init = options.init === undefined || options.init === null ? null : createInitializer(options.init);
    this.currentGradReq = checkGradReq(where, options.gradReq ?? 'write');
    this.lrMult = checkMultiplier(where, 'lrMult', options.lrMult ?? 1);
    this.wdMult = checkMultiplier(where, 'wdMult', options.wdMult ?? 1);
  }

  /** The shape; 0 marks a dimension not known yet. */
  get shape(): readonly number[] {
    return this.currentShape;
  }

  /** True when every dimension is known. */
  get shapeKnown(): boolean {
    return this.currentShape.every((d) => d > 0);
  }

  /** True once the data exists. */
  get isInitialized(): boolean {
    return this.value !== null;
  }

  /** True while `initialize()` has been called but the shape is still unknown. */
  get isDeferred(): boolean {
    return this.pending !== null;
  }

  /** How backward writes the gradient: 'write', 'add' or 'null'. Changing it resets the gradient. */
  get gradReq(): GradReq {
    return this.currentGradReq;
  }

  set gradReq(gradReq: GradReq) {
    this.currentGradReq = checkGradReq(`Parameter '${this.name}'`, gradReq);
    if (this.value) this.attach(this.value);
  }

  /**
   * Creates the data. The initializer used is, in order: `init`, the parameter's own `init`, then
   * `options.defaultInit` (Gluon's rule, so a bias's own 'zeros' survives `net.initialize(xavier)`).
   * With an unknown shape this only records the initializer; the data appears once the owning
   * layer sees its first input. An initialized parameter is left alone (with a warning) unless
   * `forceReinit` is set.
   */
  initialize(init?: InitializerLike | null, options: ParameterInitializeOptions = {}): void {
    if (this.value && !options.forceReinit) {
      console.warn(
        `Parameter '${this.name}' is already initialized, ignoring; pass {forceReinit: true} to re-initialize`,
      );
      return;
    }
    const chosen = init ?? this.init ?? options.defaultInit ?? new Uniform();
    const initializer = createInitializer(chosen);
    const generator = options.generator ?? globalGenerator;
    if (!this.shapeKnown) {
      this.value = null;
      this.pending = { initializer, generator };
      return;
    }
    this.pending = null;
    this.install(this.makeValue(initializer, generator));
  }

  /**
   * Fills in unknown (0) dimensions; known ones must agree. Runs a pending deferred
   * initialization once the shape is complete. Layers call this on their first forward.
   */
  inferShape(shape: readonly number[]): void {
    const where = `Parameter '${this.name}'`;
    const fits =
      shape.length === this.currentShape.length &&
      shape.every((d, i) => this.currentShape[i] === 0 || this.currentShape[i] === d);
    if (!fits || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ShapeError(
        `${where}: inferred shape ${formatShape(shape)} is incompatible with the declared shape ${formatShape(this.currentShape)}`,
      );
    }
    checkElementCount(sizeOf(shape), where, shape);
    this.currentShape = [...shape];
    if (this.pending && this.shapeKnown) {
      const { initializer, generator } = this.pending;
      this.pending = null;
      this.install(this.makeValue(initializer, generator));
    }
  }

  /**
   * The data array. It is an autograd variable: ops on it inside `autograd.record()` are
   * recorded and backward fills {@link grad}.
   * @throws DeferredInitializationError before the first forward of a layer with unknown input size.
   * @throws ParameterNotInitializedError before `initialize()`.
   */
  data(): NDArray {
    if (this.value) return this.value;
    if (this.pending) {
      throw new DeferredInitializationError(
        `Parameter '${this.name}' has not been initialized yet because initialization was deferred: its shape ` +
          `${formatShape(this.currentShape)} has unknown (0) dimensions that are inferred from the first input. ` +
          'Run one forward pass (e.g. net.forward(x)) before reading data() or grad(), or give the layer its ' +
          'input size up front (e.g. new nn.Dense(units, { inUnits: 4 })).',
      );
    }
    throw new ParameterNotInitializedError(
      `Parameter '${this.name}' has not been initialized: call initialize() on its block (e.g. net.initialize()) ` +
        'or on the parameter before using it',
    );
  }

  /** The gradient buffer (zeros until a backward pass writes it). */
  grad(): NDArray {
    const data = this.data();
    if (this.currentGradReq === 'null' || !data.grad) {
      throw new ValueError(`Parameter '${this.name}': grad() is unavailable because gradReq is 'null'`);
    }
    return data.grad;
  }

  /**
   * Sets the gradient to zeros (needed between steps when gradReq is 'add'). The zeros are a new
   * buffer: read `grad()` again afterwards rather than keeping the old array.
   */
  zeroGrad(): void {
    if (!this.value || this.currentGradReq === 'null') return;
    // A new zero buffer from attachGrad rather than fill(0): under createGraph the gradient may be
    // an array of the recorded graph, which must not be overwritten.
    this.attach(this.value);
  }

  /**
   * True when backward has written the gradient since the last {@link markGradientConsumed}
   * (Gluon's `_fresh_grad`; the Trainer uses it to catch parameters a forward pass skipped).
   */
  get hasFreshGradient(): boolean {
    const grad = this.value?.grad ?? null;
    return grad !== null && (grad !== this.consumed.grad || grad._version !== this.consumed.version);
  }

  /** Records that an optimizer step used the current gradient. */
  markGradientConsumed(): void {
    const grad = this.value?.grad ?? null;
    this.consumed = { grad, version: grad ? grad._version : 0 };
  }

  /**
   * True when {@link setData} accepts a value of `shape`: the parameter's shape once it is
   * initialized, otherwise any shape that fills in its unknown (0) dimensions.
   */
  acceptsValueShape(shape: readonly number[]): boolean {
    if (this.value) return sameShape(shape, this.value.shape);
    const current = this.currentShape;
    return shape.length === current.length && shape.every((d, i) => current[i] === 0 || current[i] === d);
  }

  /**
   * Replaces the values. On an initialized parameter the data array is updated in place (so
   * references stay valid); otherwise the value initializes it, filling in unknown dimensions.
   * The checks all run before anything is written, so a rejected value changes nothing.
   */
  setData(source: NDArray | ArrayInput): void {
    const where = `Parameter '${this.name}'.setData`;
    const array = asArray(source as ArrayInput);
    if (!this.acceptsValueShape(array.shape)) {
      throw new ShapeError(
        `${where}: value shape ${formatShape(array.shape)} differs from the parameter shape ${formatShape(this.currentShape)}` +
          (this.shapeKnown ? '' : ' (0 = any size)'),
      );
    }
    if (this.value) {
      if (isRecording()) {
        throw new AutogradError(`${where}: cannot overwrite a parameter inside autograd.record()`);
      }
      this.value.data.set(array.data);
      this.value._version++;
      return;
    }
    // Clear a pending deferred initialization first: the loaded value replaces it, and running
    // it would draw from the random stream for nothing.
    this.pending = null;
    this.inferShape(array.shape);
    const copy = zeros(array.shape, { dtype: this.dtype });
    copy.data.set(array.data);
    this.install(copy);
  }

  /** Gluon-like description: `Parameter weight (shape=(1, 4), dtype=float32)`. */
  toString(): string {
    return `Parameter ${this.name} (shape=${formatTuple(this.currentShape)}, dtype=${this.dtype})`;
  }

  private makeValue(initializer: Initializer, generator: RandomGenerator): NDArray {
    const made = initializer.create(this.currentShape, this.dtype, generator, this.name);
    if (!sameShape(made.shape, this.currentShape) || made.dtype !== (this.dtype as DType)) {
      throw new ShapeError(
        `Parameter '${this.name}': initializer ${initializer.toString()} returned ${made.dtype} ${formatShape(made.shape)}, ` +
          `expected ${this.dtype} ${formatShape(this.currentShape)}`,
      );
    }
    return made;
  }

  private install(value: NDArray): void {
    this.value = value;
    this.attach(value);
  }

  private attach(value: NDArray): void {
    value.attachGrad(this.currentGradReq);
    this.markGradientConsumed();
  }
}
