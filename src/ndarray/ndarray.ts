/**
 * The n-dimensional array: a contiguous, row-major typed array with a shape and a dtype, plus the
 * autograd bookkeeping (`attachGrad`, `grad`, `backward`). Methods return new arrays; operands may
 * be NDArrays or plain numbers and broadcast numpy-style.
 * @module
 */
import type { GradReq, GraphNode } from '../autograd/node.js';
import { isRecording } from '../autograd/state.js';
import { backward as runBackward } from '../autograd/backward.js';
import { type DType, dtypeOf, type TypedArray, allocate } from './dtype.js';
import { AutogradError, formatShape, ShapeError } from './errors.js';
import { formatElements, renderNested } from './format.js';
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

export class NDArray {
  /** Dimensions, outermost first. `[]` for a 0-d (scalar) array. */
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The elements in row-major order. Writing to it bypasses autograd checks. */
  readonly data: TypedArray;
  /**
   * The gradient buffer written by backward, or null when no gradient is attached.
   * With gradReq 'write' each backward replaces it; with 'add' it accumulates.
   */
  grad: NDArray | null = null;
  /** @internal The recorded operation that produced this array, or null for a leaf. */
  _node: GraphNode | null = null;
  /** @internal Gradient request set by attachGrad, or null when this is not a variable. */
  _gradReq: GradReq | null = null;
  /** @internal Bumped by every in-place write; recorded nodes compare it at backward time. */
  _version = 0;

  constructor(data: TypedArray, shape: readonly number[]) {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(
        `NDArray: data holds ${data.length} elements but shape ${formatShape(shape)} needs ${sizeOf(shape)}`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
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
   * @param gradReq 'write' (default) overwrites the gradient on each backward, 'add' accumulates,
   *   'null' requests none.
   */
  attachGrad(gradReq: GradReq = 'write'): this {
    if (gradReq !== 'write' && gradReq !== 'add' && gradReq !== 'null') {
      throw new AutogradError(`attachGrad: gradReq must be 'write', 'add' or 'null', got ${String(gradReq)}`);
    }
    this._gradReq = gradReq;
    this._node = null;
    this.grad = gradReq === 'null' ? null : new NDArray(allocate(this.dtype === 'int32' ? 'float32' : this.dtype, this.size), this.shape);
    return this;
  }

  /**
   * Back-propagates from this array. The head gradient defaults to ones shaped like this array,
   * so a per-sample loss vector back-propagates its sum (as in MXNet).
   */
  backward(headGrad?: NDArray | null, options: BackwardOptions = {}): void {
    runBackward([this], [headGrad ?? null], { retainGraph: options.retainGraph ?? false, createGraph: false });
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

  /** The elements as nested JS arrays (a number for a 0-d array), like `asnumpy().tolist()`. */
  toArray(): NestedArray {
    if (this.shape.length === 0) return this.data[0]!;
    const build = (depth: number, offset: number): NestedArray[] => {
      const dim = this.shape[depth]!;
      const out: NestedArray[] = new Array(dim);
      if (depth === this.shape.length - 1) {
        for (let i = 0; i < dim; i++) out[i] = this.data[offset + i]!;
        return out;
      }
      let block = 1;
      for (let i = depth + 1; i < this.shape.length; i++) block *= this.shape[i]!;
      for (let i = 0; i < dim; i++) out[i] = build(depth + 1, offset + i * block);
      return out;
    };
    return build(0, 0);
  }

  /** The single element of a one-element array as a number. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError(`NDArray.item: the array has shape ${formatShape(this.shape)}, not one element`);
    }
    return this.data[0]!;
  }

  /** Prints like MXNet: the values, then `<NDArray 2x3 @cpu(0)>`. */
  toString(): string {
    const values =
      this.shape.length === 0 && this.dtype !== 'int32'
        ? formatElements(this.data, this.dtype)[0]!.trim().replace(/\.$/, '.0')
        : renderNested(formatElements(this.data, this.dtype), this.shape);
    const dims = this.shape.length === 0 ? '' : this.shape.join('x');
    return `\n${values}\n<NDArray ${dims} @cpu(0)>`;
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

  add(other: Operand): NDArray { return elementwise.add(this, other); }
  sub(other: Operand): NDArray { return elementwise.sub(this, other); }
  mul(other: Operand): NDArray { return elementwise.mul(this, other); }
  div(other: Operand): NDArray { return elementwise.div(this, other); }
  pow(other: Operand): NDArray { return elementwise.pow(this, other); }
  maximum(other: Operand): NDArray { return elementwise.maximum(this, other); }
  minimum(other: Operand): NDArray { return elementwise.minimum(this, other); }
  equal(other: Operand): NDArray { return elementwise.equal(this, other); }
  notEqual(other: Operand): NDArray { return elementwise.notEqual(this, other); }
  greater(other: Operand): NDArray { return elementwise.greater(this, other); }
  greaterEqual(other: Operand): NDArray { return elementwise.greaterEqual(this, other); }
  lesser(other: Operand): NDArray { return elementwise.lesser(this, other); }
  lesserEqual(other: Operand): NDArray { return elementwise.lesserEqual(this, other); }
  neg(): NDArray { return elementwise.neg(this); }
  abs(): NDArray { return elementwise.abs(this); }
  exp(): NDArray { return elementwise.exp(this); }
  expm1(): NDArray { return elementwise.expm1(this); }
  log(): NDArray { return elementwise.log(this); }
  log1p(): NDArray { return elementwise.log1p(this); }
  sqrt(): NDArray { return elementwise.sqrt(this); }
  square(): NDArray { return elementwise.square(this); }
  reciprocal(): NDArray { return elementwise.reciprocal(this); }
  sign(): NDArray { return elementwise.sign(this); }
  relu(): NDArray { return elementwise.relu(this); }
  sigmoid(): NDArray { return elementwise.sigmoid(this); }
  logSigmoid(): NDArray { return elementwise.logSigmoid(this); }
  tanh(): NDArray { return elementwise.tanh(this); }
  softplus(): NDArray { return elementwise.softplus(this); }
  softsign(): NDArray { return elementwise.softsign(this); }
  sin(): NDArray { return elementwise.sin(this); }
  cos(): NDArray { return elementwise.cos(this); }
  /** Clamps every element into [min, max]. */
  clip(min: number, max: number): NDArray { return elementwise.clip(this, min, max); }

  // ---- reductions -----------------------------------------------------------------------

  sum(axis?: number | readonly number[] | null, keepDims = false): NDArray { return reduce.sum(this, axis, keepDims); }
  mean(axis?: number | readonly number[] | null, keepDims = false): NDArray { return reduce.mean(this, axis, keepDims); }
  max(axis?: number | readonly number[] | null, keepDims = false): NDArray { return reduce.max(this, axis, keepDims); }
  min(axis?: number | readonly number[] | null, keepDims = false): NDArray { return reduce.min(this, axis, keepDims); }
  logSumExp(axis?: number | readonly number[] | null, keepDims = false): NDArray {
    return reduce.logSumExp(this, axis, keepDims);
  }
  argmax(axis = -1): NDArray { return reduce.argmax(this, axis); }
  /** L2 norm over `axis` (all axes by default). */
  norm(axis?: number | readonly number[] | null, keepDims = false): NDArray {
    return reduce.sum(elementwise.square(this), axis, keepDims).sqrt();
  }

  // ---- shape ----------------------------------------------------------------------------

  /** Same data, new shape (one dimension may be -1). */
  reshape(...shape: (number | readonly number[])[]): NDArray {
    const dims = shape.length === 1 && typeof shape[0] !== 'number' ? [...(shape[0] as readonly number[])] : (shape as number[]);
    return movement.reshape(this, dims);
  }
  transpose(axes?: readonly number[]): NDArray { return movement.transpose(this, axes); }
  get T(): NDArray { return movement.transpose(this); }
  expandDims(axis: number): NDArray { return movement.expandDims(this, axis); }
  squeeze(axis?: number | readonly number[]): NDArray { return movement.squeeze(this, axis); }
  flatten(): NDArray { return movement.reshape(this, [this.shape[0] ?? 1, -1]); }
  broadcastTo(shape: readonly number[]): NDArray { return movement.broadcastTo(this, shape); }
  /** Elements `begin[i] <= index < end[i]` along each axis (null = whole axis; negatives count from the end). */
  slice(begin: readonly (number | null)[], end: readonly (number | null)[]): NDArray {
    return movement.slice(this, begin, end);
  }
  sliceAxis(axis: number, begin: number, end: number | null): NDArray { return movement.sliceAxis(this, axis, begin, end); }
  /** Gathers one element along `axis` per position of `index` (MXNet `pick`). */
  pick(index: NDArray | ArrayLike<number>, axis = -1, keepDims = false): NDArray {
    return movement.pick(this, index, axis, keepDims);
  }
  oneHot(depth: number, dtype?: DType): NDArray { return movement.oneHot(this, depth, dtype); }

  // ---- linear algebra and activations -----------------------------------------------------

  dot(other: NDArray): NDArray { return linalg.dot(this, other); }
  matmul(other: NDArray): NDArray { return linalg.matmul(this, other); }
  softmax(axis = -1): NDArray { return activation.softmax(this, axis); }
  logSoftmax(axis = -1): NDArray { return activation.logSoftmax(this, axis); }
}
