/**
 * The n-dimensional array: a contiguous, row-major typed array with a shape and a dtype, plus the
 * autograd bookkeeping (`attachGrad`, `grad`, `backward`). Methods return new arrays; operands may
 * be NDArrays or plain numbers and broadcast numpy-style.
 * @module
 */
import type { GradReq, GraphNode } from '../autograd/node.js';
import { isRecording } from '../autograd/state.js';
import { backward as runBackward } from '../autograd/backward.js';
import { allocate, type DType, dtypeOf, floatOf, isFloat, type TypedArray } from './dtype.js';
import { AutogradError, formatShape, ShapeError, ValueError } from './errors.js';
import { formatArray } from './format.js';
import { sizeOf } from './shape.js';
import * as elementwise from '../ops/elementwise.js';
import * as reduce from '../ops/reduce.js';
import * as movement from '../ops/movement.js';
import * as linalg from '../ops/linalg.js';
import * as activation from '../ops/activation.js';

/** An operand of an array method: an NDArray or a plain number (broadcast as a scalar). */
export type Operand = NDArray | number;

/** Options of {@link NDArray.backward}. */
export interface BackwardOptions {
  /** Keep the graph after this pass so backward can run again (default false). */
  retainGraph?: boolean;
}

/** Nested JS arrays of numbers, as returned by {@link NDArray.toArray}. */
export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional array: contiguous row-major elements in a typed array, a shape and a dtype, plus
 * autograd state. Every op method returns a new array.
 */
export class NDArray {
  /** Dimensions, outermost first. `[]` for a 0-d (scalar) array. */
  readonly shape: readonly number[];
  /** Element type: 'float32', 'float64' or 'int32'. */
  readonly dtype: DType;
  /**
   * The elements in row-major order. Writing to it bypasses autograd checks. Its `buffer` may hold
   * other arrays too (arrays of 65 to 1,024 bytes are carved from shared 8 KiB blocks, as Node's
   * `Buffer` pool does): read the buffer through `byteOffset` and `byteLength`, and send
   * `data.slice()`, not `data.buffer`, in a transfer list.
   */
  readonly data: TypedArray;
  /**
   * The gradient buffer written by backward, or null when no gradient is attached. Backward writes
   * into the same buffer each time (as MXNet does): gradReq 'write' overwrites it (with zeros when
   * the head does not depend on this array), 'add' accumulates into it.
   */
  grad: NDArray | null = null;
  /** @internal The recorded operation that produced this array, or null for a leaf. */
  _node: GraphNode | null = null;
  /** @internal Gradient request set by attachGrad, or null when this is not a variable. */
  _gradReq: GradReq | null = null;
  /** @internal Bumped by every in-place write; recorded nodes compare it at backward time. */
  _version = 0;
  /**
   * @internal The gradient buffer backward allocated for this array (attachGrad or a backward
   * pass). Backward writes in place only into this one: an array the user assigned to `grad`
   * instead is replaced, never overwritten.
   */
  _ownedGrad: NDArray | null = null;

  /** Wraps `data` (not copied) as an array of `shape`; the dtype follows the typed array. */
  constructor(data: TypedArray, shape: readonly number[]) {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(
        `NDArray: data holds ${data.length} elements but shape ${formatShape(shape)} needs ${sizeOf(shape)}`,
      );
    }
    this.data = data;
    // A frozen shape (another array's, which is how most are made) cannot change: shared as is.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** True when backward will produce a gradient for this array (a variable or a recorded result). */
  get requiresGrad(): boolean {
    return this._node !== null || (this._gradReq !== null && this._gradReq !== 'null');
  }

  // ---- autograd -------------------------------------------------------------------------

  /**
   * Marks this array as a variable and allocates a zero gradient buffer (MXNet `attach_grad`).
   * Only float32 and float64 arrays can require a gradient (PyTorch's rule); on an int32 array
   * anything but 'null' is an AutogradError.
   * @param gradReq 'write' (default) overwrites the gradient on each backward, 'add' accumulates,
   *   'null' requests none.
   */
  attachGrad(gradReq: GradReq = 'write'): this {
    if (gradReq !== 'write' && gradReq !== 'add' && gradReq !== 'null') {
      throw new ValueError(`attachGrad: gradReq must be 'write', 'add' or 'null', got ${String(gradReq)}`);
    }
    // PyTorch's rule: only floating arrays can require gradients. An int32 variable would get a
    // gradient from some ops and silently none from others (losses treat int inputs as labels).
    if (!isFloat(this.dtype) && gradReq !== 'null') {
      throw new AutogradError(
        `attachGrad: an ${this.dtype} array of shape ${formatShape(this.shape)} cannot require a gradient; ` +
          `only float32 and float64 arrays can. Convert it first: x = x.astype('float32')`,
      );
    }
    this._gradReq = gradReq;
    this._node = null;
    this.grad = gradReq === 'null' ? null : new NDArray(allocate(floatOf(this.dtype), this.size), this.shape);
    this._ownedGrad = this.grad;
    return this;
  }

  /**
   * Back-propagates from this array. The head gradient defaults to ones shaped like this array,
   * so a per-sample loss vector back-propagates its sum (as in MXNet).
   */
  backward(headGrad?: NDArray | null, options: BackwardOptions = {}): void {
    runBackward([this], [headGrad ?? null], {
      retainGraph: options.retainGraph ?? false,
      createGraph: false,
    });
  }

  /** A new array with the same data, cut from the graph: no gradient flows through it. */
  detach(): NDArray {
    return new NDArray(this.data, this.shape);
  }

  // ---- in-place writes ----------------------------------------------------------------------

  private checkWritable(where: string): void {
    if (isRecording() && this.requiresGrad) {
      throw new AutogradError(
        `${where}: cannot write in place into an array that is part of a recorded graph; ` +
          'write into a copy, or do the write outside autograd.record()',
      );
    }
    this._version++;
  }

  /** Sets every element to `value`, in place. */
  fill(value: number): this {
    this.checkWritable('NDArray.fill');
    this.data.fill(value);
    return this;
  }

  /** Copies the elements of `source` (same element count) into this array, in place. */
  assign(source: NDArray | ArrayLike<number>): this {
    this.checkWritable('NDArray.assign');
    const values = source instanceof NDArray ? source.data : source;
    if (values.length !== this.size) {
      throw new ShapeError(
        `NDArray.assign: source has ${values.length} elements but the target ${formatShape(this.shape)} has ${this.size}`,
      );
    }
    this.data.set(values);
    return this;
  }

  // ---- conversion -----------------------------------------------------------------------

  /**
   * The elements as nested JS arrays (a number for a 0-d array), like `asnumpy().tolist()`. Built
   * level by level from the innermost axis outwards, without recursion, so any rank works.
   */
  toArray(): NestedArray {
    const rank = this.shape.length;
    if (rank === 0) return this.data[0]!;
    // rows[axis] = how many arrays the level of `axis` holds (the product of the outer dims).
    const rows = new Array<number>(rank);
    rows[0] = 1;
    for (let axis = 1; axis < rank; axis++) rows[axis] = rows[axis - 1]! * this.shape[axis - 1]!;
    let level: NestedArray[] = Array.from(this.data);
    for (let axis = rank - 1; axis >= 0; axis--) {
      const dim = this.shape[axis]!;
      const grouped: NestedArray[] = new Array(rows[axis]!);
      for (let row = 0; row < grouped.length; row++) grouped[row] = level.slice(row * dim, (row + 1) * dim);
      level = grouped;
    }
    return level[0]!;
  }

  /** The single element of a one-element array as a number. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError(`NDArray.item: the array has shape ${formatShape(this.shape)}, not one element`);
    }
    return this.data[0]!;
  }

  /**
   * Prints like MXNet: the values as numpy prints them, then `<NDArray 2x3 @cpu(0)>`, e.g.
   * `[0.5 1. ]\n<NDArray 2 @cpu(0)>`. MXNet's `repr` also starts with a newline: see {@link repr}.
   */
  toString(): string {
    return `${formatArray(this.data, this.shape, this.dtype)}\n<NDArray ${this.shape.join('x')} @cpu(0)>`;
  }

  /**
   * Exactly MXNet's `repr(x)` (also what `print(x)` and a notebook's `Out[n]` show): a newline,
   * then {@link toString}. The tutorial prints this form, to match the notebook character for character.
   */
  repr(): string {
    return `\n${this.toString()}`;
  }

  /**
   * How Node's `console.log(x)` and `util.inspect(x)` show the array: as {@link toString}. Keyed by
   * the registered symbol, so the core needs no Node import (browsers simply ignore it).
   */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /**
   * Walks the first axis, as iterating a numpy array or a PyTorch tensor does: an array of shape
   * `[n, ...rest]` yields `n` arrays of shape `rest`, so a 1-D array yields 0-d arrays (call
   * `.item()` for the number, or iterate `x.data` for plain numbers). Each item is `x[i]`, a copy
   * recorded by autograd like any op. Iterating a 0-d array throws a `ShapeError`, as numpy
   * raises "iteration over a 0-d array".
   */
  [Symbol.iterator](): IterableIterator<NDArray> {
    if (this.shape.length === 0) {
      throw new ShapeError('NDArray[Symbol.iterator]: iteration over a 0-d array (use item() for its value)');
    }
    const rest = this.shape.slice(1);
    const rows = this.shape[0]!;
    const iterate = function* (array: NDArray): IterableIterator<NDArray> {
      for (let i = 0; i < rows; i++) yield array.sliceAxis(0, i, i + 1).reshape(rest);
    };
    return iterate(this);
  }

  /** A copy of this array, converted to `dtype` (differentiable between float dtypes). */
  astype(dtype: DType): NDArray {
    return elementwise.cast(this, dtype);
  }

  /** A differentiable copy. */
  copy(): NDArray {
    return elementwise.cast(this, this.dtype);
  }

  // ---- elementwise ----------------------------------------------------------------------

  /** this + other (numpy broadcasting; a number takes this array's dtype when it fits). */
  add(other: Operand): NDArray {
    return elementwise.add(this, other);
  }
  /** this − other. */
  sub(other: Operand): NDArray {
    return elementwise.sub(this, other);
  }
  /** this · other, elementwise. */
  mul(other: Operand): NDArray {
    return elementwise.mul(this, other);
  }
  /** this / other (true division: int32 gives float32). */
  div(other: Operand): NDArray {
    return elementwise.div(this, other);
  }
  /** this ^ other. */
  pow(other: Operand): NDArray {
    return elementwise.pow(this, other);
  }
  /** Elementwise maximum; NaN wins, ties send the gradient to this array. */
  maximum(other: Operand): NDArray {
    return elementwise.maximum(this, other);
  }
  /** Elementwise minimum; NaN wins, ties send the gradient to this array. */
  minimum(other: Operand): NDArray {
    return elementwise.minimum(this, other);
  }
  /** 1 where this == other, else 0. */
  equal(other: Operand): NDArray {
    return elementwise.equal(this, other);
  }
  /** 1 where this != other, else 0. */
  notEqual(other: Operand): NDArray {
    return elementwise.notEqual(this, other);
  }
  /** 1 where this > other, else 0. */
  greater(other: Operand): NDArray {
    return elementwise.greater(this, other);
  }
  /** 1 where this >= other, else 0. */
  greaterEqual(other: Operand): NDArray {
    return elementwise.greaterEqual(this, other);
  }
  /** 1 where this < other, else 0. */
  lesser(other: Operand): NDArray {
    return elementwise.lesser(this, other);
  }
  /** 1 where this <= other, else 0. */
  lesserEqual(other: Operand): NDArray {
    return elementwise.lesserEqual(this, other);
  }
  /** −x. */
  neg(): NDArray {
    return elementwise.neg(this);
  }
  /** |x| (gradient 0 at 0). */
  abs(): NDArray {
    return elementwise.abs(this);
  }
  /** e^x. */
  exp(): NDArray {
    return elementwise.exp(this);
  }
  /** e^x − 1, accurate near 0. */
  expm1(): NDArray {
    return elementwise.expm1(this);
  }
  /** Natural logarithm. */
  log(): NDArray {
    return elementwise.log(this);
  }
  /** log(1 + x), accurate near 0. */
  log1p(): NDArray {
    return elementwise.log1p(this);
  }
  /** √x. */
  sqrt(): NDArray {
    return elementwise.sqrt(this);
  }
  /** x². */
  square(): NDArray {
    return elementwise.square(this);
  }
  /** 1/x. */
  reciprocal(): NDArray {
    return elementwise.reciprocal(this);
  }
  /** −1, 0 or 1 (no gradient). */
  sign(): NDArray {
    return elementwise.sign(this);
  }
  /** max(x, 0); NaN passes through, gradient 0 at 0. */
  relu(): NDArray {
    return elementwise.relu(this);
  }
  /** 1 / (1 + e^−x), without overflow. */
  sigmoid(): NDArray {
    return elementwise.sigmoid(this);
  }
  /** log σ(x) = −softplus(−x), without overflow. */
  logSigmoid(): NDArray {
    return elementwise.logSigmoid(this);
  }
  /** Hyperbolic tangent. */
  tanh(): NDArray {
    return elementwise.tanh(this);
  }
  /** log(1 + e^x) (MXNet `softrelu`), without overflow. */
  softplus(): NDArray {
    return elementwise.softplus(this);
  }
  /** x / (1 + |x|). */
  softsign(): NDArray {
    return elementwise.softsign(this);
  }
  /** Sine. */
  sin(): NDArray {
    return elementwise.sin(this);
  }
  /** Cosine. */
  cos(): NDArray {
    return elementwise.cos(this);
  }
  /** Clamps every element into [min, max]. */
  clip(min: number, max: number): NDArray {
    return elementwise.clip(this, min, max);
  }

  // ---- reductions -----------------------------------------------------------------------

  /** Sum over `axis` (all axes by default, giving a 0-d array), accumulated in float64. */
  sum(axis?: number | readonly number[] | null, keepDims = false): NDArray {
    return reduce.sum(this, axis, keepDims);
  }
  /** Mean over `axis` (all axes by default); int32 gives float32. */
  mean(axis?: number | readonly number[] | null, keepDims = false): NDArray {
    return reduce.mean(this, axis, keepDims);
  }
  /** Maximum over `axis`; NaN wins; tied maxima share the gradient. */
  max(axis?: number | readonly number[] | null, keepDims = false): NDArray {
    return reduce.max(this, axis, keepDims);
  }
  /** Minimum over `axis`; NaN wins; tied minima share the gradient. */
  min(axis?: number | readonly number[] | null, keepDims = false): NDArray {
    return reduce.min(this, axis, keepDims);
  }
  /** log Σ e^x over `axis`, without overflow. */
  logSumExp(axis?: number | readonly number[] | null, keepDims = false): NDArray {
    return reduce.logSumExp(this, axis, keepDims);
  }
  /** Index of the largest element along `axis` (int32; the first NaN wins). */
  argmax(axis = -1): NDArray {
    return reduce.argmax(this, axis);
  }
  /** L2 norm over `axis` (all axes by default). */
  norm(axis?: number | readonly number[] | null, keepDims = false): NDArray {
    return reduce.sum(elementwise.square(this), axis, keepDims).sqrt();
  }

  // ---- shape ----------------------------------------------------------------------------

  /** Same data, new shape (one dimension may be -1). */
  reshape(...shape: (number | readonly number[])[]): NDArray {
    const dims =
      shape.length === 1 && typeof shape[0] !== 'number'
        ? [...(shape[0] as readonly number[])]
        : (shape as number[]);
    return movement.reshape(this, dims);
  }
  /** Permutes the axes (reverses them by default). */
  transpose(axes?: readonly number[]): NDArray {
    return movement.transpose(this, axes);
  }
  /** The transpose (axes reversed). */
  get T(): NDArray {
    return movement.transpose(this);
  }
  /** Inserts a size-1 axis at `axis` (negative counts from the end). */
  expandDims(axis: number): NDArray {
    return movement.expandDims(this, axis);
  }
  /** Removes size-1 axes (all, or those named). */
  squeeze(axis?: number | readonly number[]): NDArray {
    return movement.squeeze(this, axis);
  }
  /** Reshapes to `[shape[0], rest]`. */
  flatten(): NDArray {
    return movement.reshape(this, [this.shape[0] ?? 1, -1]);
  }
  /** Repeats size-1 (or missing leading) axes to reach `shape`. */
  broadcastTo(shape: readonly number[]): NDArray {
    return movement.broadcastTo(this, shape);
  }
  /** Elements `begin[i] <= index < end[i]` along each axis (null = whole axis; negatives count from the end). */
  slice(begin: readonly (number | null)[], end: readonly (number | null)[]): NDArray {
    return movement.slice(this, begin, end);
  }
  /** Elements `begin <= index < end` along one axis. */
  sliceAxis(axis: number, begin: number, end: number | null): NDArray {
    return movement.sliceAxis(this, axis, begin, end);
  }
  /** Gathers one element along `axis` per position of `index` (MXNet `pick`). */
  pick(index: NDArray | ArrayLike<number>, axis = -1, keepDims = false): NDArray {
    return movement.pick(this, index, axis, keepDims);
  }
  /** One-hot encoding of these integer indices along a new last axis of length `depth`. */
  oneHot(depth: number, dtype?: DType): NDArray {
    return movement.oneHot(this, depth, dtype);
  }

  // ---- linear algebra and activations -----------------------------------------------------

  /** MXNet `dot`: contracts the last axis of this array with the first axis of `other`. */
  dot(other: NDArray): NDArray {
    return linalg.dot(this, other);
  }
  /** Matrix product with numpy `matmul` semantics (batched, broadcast; 1-D operands allowed). */
  matmul(other: NDArray): NDArray {
    return linalg.matmul(this, other);
  }
  /** e^x / Σ e^x along `axis` (default last), computed stably. */
  softmax(axis = -1): NDArray {
    return activation.softmax(this, axis);
  }
  /** x − log Σ e^x along `axis` (default last), computed stably. */
  logSoftmax(axis = -1): NDArray {
    return activation.logSoftmax(this, axis);
  }
}
