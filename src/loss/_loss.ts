/**
 * The `Loss` base: the one pipeline every Gluon loss runs through.
 *
 * For each call it converts the inputs, lets the loss validate and reshape them, runs the loss's
 * fused forward kernel block by block over the unreduced loss ℓ, and applies to each block —
 * always in this order — `sampleWeight` (per sample when it is 1-D of batch length, otherwise
 * broadcast to ℓ), the scalar `weight`, and the mean over
 * every non-batch axis, so ℓ never exists as a full buffer. All of that is exactly one autograd
 * node. Its backward scales the incoming per-sample gradient back into dℓ, block by block, and
 * calls the loss's analytic backward kernel, which writes straight into the final gradient
 * arrays. When gradients are recorded (`createGraph`), it differentiates the loss's composed twin
 * instead, so second derivatives of every loss are right.
 *
 * A recorded call that differentiates only the prediction (the usual training step) takes a
 * one-pass path where the loss offers one (`forwardGradient`: L2, L1, Huber, SigmoidBCE on
 * logits, Logistic, Triplet, SoftmaxCE with sparse labels): the forward computes the per-sample
 * sums and the gradient already scaled by weight, sampleWeight and 1/M, and the backward only
 * multiplies it by the head gradient. That gradient belongs to the call's node until the graph is
 * freed; only then does it go back to the loss's {@link CallMemory} for a later call, so no call
 * can ever be handed memory another call still needs. Gradients of the block path come from the
 * same memory and go back the same way; the autograd engine copies every gradient into `.grad`
 * only when the whole pass has succeeded.
 * @module
 */
import { backward as runBackward } from '../autograd/backward.js';
import { isRecording } from '../autograd/state.js';
import { asArray, array as makeArray } from '../ndarray/create.js';
import { allocate, type DType, isFloat, type TypedArray } from '../ndarray/dtype.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import type { RandomGenerator } from '../ndarray/random.js';
import { normalizeAxis, sameShape, sizeOf, stridesOf } from '../ndarray/shape.js';
import { defineOp } from '../ops/_define.js';
import { mean } from '../ops/reduce.js';
import { mul } from '../ops/elementwise.js';
import { reshape } from '../ops/movement.js';
import { CallMemory } from './_call-memory.js';
import { type ArenaRegion, allocateRegion, regionView, releaseRegion } from '../wasm/arena.js';

/** Options every loss accepts. */
export interface LossOptions {
  /** Scalar multiplier applied after `sampleWeight`; null (the default) means none. */
  weight?: number | null;
  /** The axis that indexes samples (default 0, may be negative). */
  batchAxis?: number;
}

/** Anything a loss accepts as an input: an NDArray, nested JS arrays, a typed array or a number. */
export type LossInput = NDArray | number | readonly unknown[] | TypedArray;

/** What a loss's `prepare` step hands to its kernels. */
export interface Prepared {
  /**
   * The differentiable (or discrete) arrays the kernels read, in a fixed order chosen by the loss.
   * Gradients are reported for float arrays that need them.
   */
  readonly arrays: readonly NDArray[];
  /**
   * For each entry of `arrays`, the position of the user's positional input it came from (so
   * gradients can be reshaped back), or -1 for an internal array.
   */
  readonly sources: readonly number[];
  /** Shape of the unreduced loss ℓ. */
  readonly lossShape: readonly number[];
  /** Batch axis of ℓ, already normalised against `lossShape`. */
  readonly batchAxis: number;
  /** Scalars and other per-call settings the kernels need (e.g. Poisson's epsilon). */
  readonly extra?: unknown;
}

// ---- option checks shared by every loss ---------------------------------------------------

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

/** Throws a ValueError for option names the loss does not know (a typo would otherwise be silent). */
function checkKnownOptions(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ValueError(`${where}: unknown option ${key}; the options are ${known.join(', ')}`);
    }
  }
}

// ---- shape helpers for prepare() ----------------------------------------------------------

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

/** The floats-of-input dtype for converting nested-array inputs. */
function floatDType(reference: NDArray | null): DType {
  return reference && isFloat(reference.dtype) ? reference.dtype : 'float32';
}

// ---- the base class -----------------------------------------------------------------------

/** Options understood by the base: `weight` and `batchAxis`. */
const BASE_OPTIONS = ['weight', 'batchAxis'] as const;

/**
 * Base of every Gluon loss. Subclasses supply `prepare` (validation and reshaping), a fused
 * `forwardBlock`/`backwardBlock` pair (with optional per-call state from `createState`), and
 * `twin`, the same loss composed from differentiable NDArray ops.
 */
export abstract class Loss {
  /** Brand used by the registry to recognise loss classes. */
  static readonly isLoss = true;
  /**
   * The Gluon class name. Every loss declares it, because bundlers that minify rename classes and
   * `constructor.name` would then print mangled names in messages and the registry.
   */
  static readonly lossName?: string;
  /** Scalar weight, or null for none. */
  readonly weight: number | null;
  /** Batch axis as given (may be negative). */
  readonly batchAxis: number;
  /** Gluon's positional input names, in order (e.g. pred, label, sampleWeight). */
  abstract readonly inputNames: readonly string[];

  protected constructor(
    options: LossOptions & object,
    known: readonly string[],
    defaultWeight: number | null = null,
  ) {
    const where = (this.constructor as { lossName?: string }).lossName ?? this.constructor.name;
    if (options === null || typeof options !== 'object') {
      throw new ValueError(`${where}: options must be an object, got ${String(options)}`);
    }
    checkKnownOptions(where, options, [...BASE_OPTIONS, ...known]);
    const weight = options.weight === undefined ? defaultWeight : options.weight;
    this.weight = weight === null ? null : checkFinite(where, 'weight', weight);
    // undefined means the default; null is rejected like any other non-integer, as for every option.
    const batchAxis = options.batchAxis === undefined ? 0 : options.batchAxis;
    if (!Number.isInteger(batchAxis))
      throw new ValueError(`${where}: option batchAxis must be an integer, got ${String(batchAxis)}`);
    this.batchAxis = batchAxis;
  }

  /** The loss's name in messages (the Gluon class name). */
  get name(): string {
    const own = this.constructor as { lossName?: string; name: string };
    return own.lossName ?? own.name;
  }

  /** Validates and reshapes the positional inputs (sampleWeight excluded). */
  protected abstract prepare(
    inputs: readonly (NDArray | null)[],
    raw: readonly (LossInput | null | undefined)[],
  ): Prepared;

  /**
   * Per-call state shared by the forward and backward blocks (for example SoftmaxCE's per-row
   * log-sum-exp). Keep it O(batch) where the math allows. It is created once per forward call
   * and kept for that call's backward passes (there may be several, with `retainGraph`).
   */
  protected createState(_prepared: Prepared): unknown {
    return undefined;
  }

  /**
   * Fused forward over a block of ℓ: writes ℓ[k] for `begin <= k < end` (row-major over
   * `lossShape`) into `out[k - begin]`. The base calls it on small blocks so that ℓ never exists
   * as a full buffer, and reduces each block (sampleWeight, weight, per-sample mean) while it is
   * still in cache. Every block is forwarded before any is backwarded; the blocks are at most
   * 4096 elements long but may start and end anywhere, and a block may be forwarded again during
   * the backward pass (for sampleWeight's gradient), so the same block must give the same ℓ.
   */
  protected abstract forwardBlock(
    prepared: Prepared,
    state: unknown,
    begin: number,
    end: number,
    out: Float64Array,
  ): void;

  /**
   * Fused backward over a block of ℓ: given dℓ[k] in `dLoss[k - begin]` for `begin <= k < end`,
   * adds the gradient contributions of those ℓ elements to `grads[i]` for each entry of
   * `prepared.arrays` (null where no gradient is needed). The grads start at zero (unless
   * {@link assignsGradient} says the loss assigns every element) and have the shape and dtype of
   * their array (new array objects for each backward pass; the memory may be the variable's own
   * `.grad` buffer); an entry touched by exactly one ℓ element may be assigned, one touched by
   * several must be accumulated — in float64 across blocks, copied out when the pass has seen
   * every ℓ element, where float32 rounding per term would lose precision.
   */
  protected abstract backwardBlock(
    prepared: Prepared,
    state: unknown,
    begin: number,
    end: number,
    dLoss: Float64Array,
    grads: readonly (TypedArray | null)[],
  ): void;

  /**
   * Whether `backwardBlock` assigns every element of `prepared.arrays[index]`'s gradient over a
   * pass (each element written, none only accumulated into). Then a gradient written straight
   * into the variable's existing `.grad` buffer (see offeredGradientBuffer) need not be zeroed
   * first. Default false; a loss overrides it for the arrays where it holds.
   */
  protected assignsGradient(_prepared: Prepared, _index: number): boolean {
    return false;
  }

  /**
   * Optional fused forward and backward. `prepared.arrays[0]` must hold each sample's elements
   * contiguously, `sampleSize` of them per sample (as many samples as `scales` has entries), and
   * the loss must assign every gradient element. Writes `sums[s] = Σ ℓ` over sample s's ℓ
   * elements (the same ℓ as `forwardBlock`) and `gradient[k] = scales[s] · ∂(Σ ℓ)/∂arrays[0][k]`
   * for each element k of sample s. For the elementwise losses ℓ has arrays[0]'s shape; for
   * TripletLoss a sample has one ℓ element and a row of arrays[0].
   *
   * In a recorded call where only `arrays[0]` needs a gradient (and any sampleWeight is one value
   * per sample and needs none) the base runs this instead of `forwardBlock`, so a training step
   * reads the inputs once: the backward only multiplies the stored gradient by the head gradient
   * (a plain copy for the usual head of ones). {@link canFuseGradient} may decline per call.
   */
  protected forwardGradient?(
    prepared: Prepared,
    state: unknown,
    sampleSize: number,
    scales: Float64Array,
    sums: Float64Array,
    gradient: TypedArray,
  ): void;

  /**
   * Whether this call may use {@link forwardGradient} (default: whenever the loss has one); a
   * loss declines options its one-pass kernel does not cover, or a layout where arrays[0]'s
   * samples are not contiguous.
   */
  protected canFuseGradient(_prepared: Prepared): boolean {
    return true;
  }

  /** The same ℓ as `forwardBlock`, composed from differentiable ops (slow, obviously right). */
  abstract twin(prepared: Prepared): NDArray;

  /**
   * Random inputs for the contract suite, away from kinks, as positional inputs (sampleWeight
   * excluded). With `extreme`, the logits (or predictions) have magnitude around `extreme` for
   * the stability checks; return null if the loss has no such input.
   */
  abstract sampleInputs(
    generator: RandomGenerator,
    dtype: DType,
    extreme?: number,
  ): (NDArray | null)[] | null;

  /**
   * Inputs that are discrete (class indices, ±1 labels, lengths): they get no gradient. The
   * contract suite differentiates every other float input.
   */
  get discreteInputs(): readonly string[] {
    return [];
  }

  /** Index of the sampleWeight input among the positional inputs, or -1 if the loss takes none. */
  get sampleWeightIndex(): number {
    return this.inputNames.indexOf('sampleWeight');
  }

  /** Number of leading positional inputs that are required. */
  protected get requiredInputs(): number {
    return 2;
  }

  /** Gluon-like description, e.g. `HuberLoss(batchAxis=0, w=null)`. */
  toString(): string {
    return `${this.name}(batchAxis=${this.batchAxis}, w=${this.weight === null ? 'null' : this.weight})`;
  }

  // ---- the pipeline ---------------------------------------------------------------------

  private convert(raw: readonly (LossInput | null | undefined)[]): (NDArray | null)[] {
    const where = this.name;
    if (raw.length > this.inputNames.length) {
      throw new ValueError(
        `${where}: takes at most ${this.inputNames.length} inputs (${this.inputNames.join(', ')}), got ${raw.length}`,
      );
    }
    const first = raw[0] instanceof NDArray ? raw[0] : null;
    return this.inputNames.map((name, i) => {
      const value = raw[i];
      if (value === undefined || value === null) {
        if (i < this.requiredInputs) throw new ValueError(`${where}: input ${name} is required`);
        return null;
      }
      if (value instanceof NDArray) return value;
      if (typeof value !== 'number' && !Array.isArray(value) && !ArrayBuffer.isView(value)) {
        throw new ValueError(
          `${where}: input ${name} must be an NDArray, nested array, typed array or number`,
        );
      }
      if (ArrayBuffer.isView(value)) return asArray(value as TypedArray);
      try {
        return makeArray(value as number, { dtype: floatDType(first) });
      } catch (error) {
        // Name the loss and the input: nd.array's own message names neither.
        if (error instanceof ShapeError || error instanceof ValueError) {
          const Type = error.constructor as new (message: string) => Error;
          throw new Type(`${where}: input ${name}: ${error.message}`);
        }
        throw error;
      }
    });
  }

  /**
   * Computes the loss: one value per sample (a 1-D array along the batch axis). Inputs follow
   * Gluon's positional order (`inputNames`), with null for a skipped optional input.
   */
  forward(...inputs: (LossInput | null | undefined)[]): NDArray {
    const converted = this.convert(inputs);
    const swIndex = this.sampleWeightIndex;
    const sampleWeight = swIndex >= 0 ? (converted[swIndex] ?? null) : null;
    const prepared = this.prepare(
      converted.map((x, i) => (i === swIndex ? null : x)),
      inputs,
    );
    const weightShape = sampleWeight ? alignSampleWeight(this.name, sampleWeight, prepared) : null;
    const arrays = sampleWeight ? [...prepared.arrays, sampleWeight] : [...prepared.arrays];
    const weights =
      sampleWeight && weightShape ? new WeightReader(sampleWeight, weightShape, prepared) : null;
    const fused = this.fusesGradient(prepared, sampleWeight, weights);
    // Whether the op below builds a graph node, i.e. whether a backward may still read the call's
    // state after its forward (the forward itself runs with recording paused).
    const recorded = isRecording() && arrays.some((x) => x.requiresGrad);
    return (
      fused ? this.fusedOp(prepared, weights) : this.blockOp(prepared, sampleWeight, weights, recorded)
    )(arrays, undefined);
  }

  /**
   * Whether this call computes `arrays[0]`'s gradient during its forward: a recorded call of a
   * loss with {@link forwardGradient}, where that array is the only float input that needs
   * a gradient, each sample's ℓ elements are contiguous, and a sampleWeight (if any) is one
   * value per sample that needs no gradient.
   */
  private fusesGradient(
    prepared: Prepared,
    sampleWeight: NDArray | null,
    weights: WeightReader | null,
  ): boolean {
    if (!this.forwardGradient || !isRecording() || !this.canFuseGradient(prepared)) return false;
    const [first, ...rest] = prepared.arrays;
    if (!first || !isFloat(first.dtype) || !first.requiresGrad) return false;
    if (rest.some((x) => isFloat(x.dtype) && x.requiresGrad)) return false;
    if (sampleWeight && (sampleWeight.requiresGrad || !weights?.perSample)) return false;
    const layout = batchLayout(prepared);
    return layout.inner === layout.count && layout.count > 0;
  }

  /**
   * The autograd node of a fused call (see {@link forwardGradient}): the forward sums ℓ per
   * sample and fills a gradient buffer already scaled by weight, sampleWeight and 1/M; the
   * backward multiplies it by the head gradient into `arrays[0]`'s gradient.
   */
  private fusedOp(prepared: Prepared, weights: WeightReader | null) {
    const layout = batchLayout(prepared);
    const pred = prepared.arrays[0]!;
    const dtype = outputDType(prepared);
    const fused = this.forwardGradient!.bind(this);
    const perSample = pred.size / layout.batch;
    return defineOp<undefined, FusedSaved>({
      name: this.name,
      forward: () => {
        const state = this.createState(prepared);
        // The gradient belongs to this call's node until its graph is freed: a float32 one in a
        // region of the kernels' arena memory, which the one-pass kernels write in place (see
        // arena.ts), otherwise memory of this loss's earlier calls (see CallMemory).
        const owner: FusedSaved = { state, gradient: null, region: null };
        if (pred.dtype === 'float32') owner.region = allocateRegion(pred.size, owner);
        const gradient = owner.region
          ? regionView(owner.region)
          : this.callMemory.takeArray(pred.dtype, pred.size);
        if (!owner.region) owner.gradient = gradient;
        const unit = (this.weight === null ? 1 : this.weight) / layout.count;
        const scales = new Float64Array(layout.batch);
        for (let sample = 0; sample < layout.batch; sample++)
          scales[sample] = weights ? unit * weights.ofSample(sample) : unit;
        const sums = new Float64Array(layout.batch);
        fused(prepared, state, perSample, scales, sums, gradient);
        const out = allocate(dtype, layout.batch);
        for (let sample = 0; sample < layout.batch; sample++) {
          const total = weights ? sums[sample]! * weights.ofSample(sample) : sums[sample]!;
          out[sample] = this.weight === null ? total / layout.count : total * unit;
        }
        return { output: new NDArray(out, [layout.batch]), saved: owner };
      },
      backward: ({ gradOutput, saved, retainGraph, onGraphFreed }) => {
        onGraphFreed(() => {
          if (saved.region) releaseRegion(saved.region);
          if (saved.gradient) this.callMemory.giveBackArray(saved.gradient);
        });
        if (isRecording()) {
          const sampleWeight = weights ? weights.array : null;
          const shape = weights ? weights.shape : null;
          return this.twinGradients(prepared, sampleWeight, shape, gradOutput);
        }
        // A view made now: the region stays allocated, and so unmoved, until the graph is freed.
        const stored = saved.region ? regionView(saved.region) : saved.gradient!;
        const head = gradOutput.data;
        let ones = true;
        for (let n = 0; n < head.length && ones; n++) ones = head[n] === 1;
        let result: TypedArray;
        if (ones && !retainGraph) {
          // This is the last run: the stored gradient itself is the result (the engine copies it
          // into .grad before the graph is freed and the memory goes back).
          result = stored;
        } else {
          // A retained graph may run again, so the stored gradient must stay as it is.
          const scaled = this.callMemory.takeArray(pred.dtype, pred.size);
          onGraphFreed(() => this.callMemory.giveBackArray(scaled));
          if (ones) scaled.set(stored);
          else scaleBySample(stored, head, perSample, scaled);
          result = scaled;
        }
        const nulls = prepared.arrays.slice(1).map(() => null);
        if (weights) nulls.push(null);
        return [new NDArray(result, pred.shape), ...nulls];
      },
    });
  }

  /**
   * Memory this loss object reuses across its calls: a call's gradient and, for some losses, its
   * state go back here once its graph is freed (see CallMemory for why that is safe).
   */
  protected readonly callMemory = new CallMemory();

  /**
   * Called with a call's state (from {@link createState}) once nothing can read it any more: right
   * after the forward of a call that built no graph node, or when the call's graph was freed by a
   * successful backward pass. A loss whose state is large gives it back to {@link callMemory}
   * here; the default does nothing.
   */
  protected releaseState(_state: unknown): void {}

  /** The single autograd node of a call, built on the block kernels. */
  private blockOp(
    prepared: Prepared,
    sampleWeight: NDArray | null,
    weights: WeightReader | null,
    recorded: boolean,
  ) {
    const layout = batchLayout(prepared);
    const weightShape = weights ? weights.shape : null;
    const total = sizeOf(prepared.lossShape);
    const dtype = outputDType(prepared);
    const forwardBlock = this.forwardBlock.bind(this);
    return defineOp<undefined, { state: unknown }>({
      name: this.name,
      forward: () => {
        const state = this.createState(prepared);
        const totals = new Float64Array(layout.batch);
        const block = new Float64Array(Math.min(total, BLOCK_SIZE));
        const samples = new Int32Array(block.length);
        const offsets = weights ? new Int32Array(block.length) : null;
        for (const [begin, end, sample] of blocks(total, layout)) {
          const length = end - begin;
          forwardBlock(prepared, state, begin, end, block);
          if (weights && offsets) {
            sampleIndices(begin, length, layout, samples);
            weights.offsets(begin, length, offsets);
            const w = weights.values;
            for (let k = 0; k < length; k++) totals[samples[k]!]! += block[k]! * w[offsets[k]!]!;
          } else if (sample >= 0) {
            // The whole block belongs to one sample (batch axis 0): a plain sum.
            // Four partial sums: one chain of dependent float64 adds costs ~4 cycles per element.
            let s0 = 0;
            let s1 = 0;
            let s2 = 0;
            let s3 = 0;
            let k = 0;
            for (; k + 4 <= length; k += 4) {
              s0 += block[k]!;
              s1 += block[k + 1]!;
              s2 += block[k + 2]!;
              s3 += block[k + 3]!;
            }
            for (; k < length; k++) s0 += block[k]!;
            totals[sample]! += s0 + s1 + (s2 + s3);
          } else {
            sampleIndices(begin, length, layout, samples);
            for (let k = 0; k < length; k++) totals[samples[k]!]! += block[k]!;
          }
        }
        const scale = (this.weight === null ? 1 : this.weight) / layout.count;
        const out = allocate(dtype, layout.batch);
        for (let n = 0; n < layout.batch; n++)
          out[n] = this.weight === null ? totals[n]! / layout.count : totals[n]! * scale;
        if (!recorded) this.releaseState(state);
        return { output: new NDArray(out, [layout.batch]), saved: { state } };
      },
      backward: ({ gradOutput, needsGrad, saved, onGraphFreed }) => {
        onGraphFreed(() => this.releaseState(saved.state));
        if (isRecording()) return this.twinGradients(prepared, sampleWeight, weightShape, gradOutput);
        const grads = this.blockBackward(prepared, weights, saved.state, gradOutput, needsGrad);
        onGraphFreed(() => {
          for (const grad of grads) if (grad) this.callMemory.giveBackArray(grad.data);
        });
        return grads;
      },
    });
  }

  /** The backward of a block call: dℓ block by block, then the loss's backwardBlock. */
  private blockBackward(
    prepared: Prepared,
    weights: WeightReader | null,
    state: unknown,
    gradOutput: NDArray,
    needsGrad: readonly boolean[],
  ): (NDArray | null)[] {
    const layout = batchLayout(prepared);
    const total = sizeOf(prepared.lossShape);
    const sampleWeight = weights ? weights.array : null;
    const count = prepared.arrays.length;
    const grads = prepared.arrays.map((x, i) =>
      needsGrad[i] && isFloat(x.dtype) ? this.gradientArray(prepared, i) : null,
    );
    const wantWeightGrad = sampleWeight !== null && needsGrad[count] === true;
    const dWeight = wantWeightGrad ? new Float64Array(sampleWeight!.size) : null;
    const scale = (this.weight === null ? 1 : this.weight) / layout.count;
    const g = gradOutput.data;
    const dLoss = new Float64Array(Math.min(total, BLOCK_SIZE));
    const values = dWeight ? new Float64Array(dLoss.length) : null;
    const samples = new Int32Array(dLoss.length);
    const offsets = weights ? new Int32Array(dLoss.length) : null;
    for (const [begin, end, sample] of blocks(total, layout)) {
      const length = end - begin;
      if (weights && offsets) {
        sampleIndices(begin, length, layout, samples);
        weights.offsets(begin, length, offsets);
        const w = weights.values;
        for (let k = 0; k < length; k++) dLoss[k] = g[samples[k]!]! * scale * w[offsets[k]!]!;
        if (dWeight && values) {
          this.forwardBlock(prepared, state, begin, end, values);
          for (let k = 0; k < length; k++) dWeight[offsets[k]!]! += g[samples[k]!]! * scale * values[k]!;
        }
      } else if (sample >= 0) {
        dLoss.fill(g[sample]! * scale, 0, length);
      } else {
        sampleIndices(begin, length, layout, samples);
        for (let k = 0; k < length; k++) dLoss[k] = g[samples[k]!]! * scale;
      }
      this.backwardBlock(prepared, state, begin, end, dLoss, grads);
    }
    const result: (NDArray | null)[] = grads.map((data, i) =>
      data ? new NDArray(data, prepared.arrays[i]!.shape) : null,
    );
    if (sampleWeight) result.push(dWeight ? toArrayOf(dWeight, sampleWeight) : null);
    return result;
  }

  /**
   * The array `backwardBlock` writes the gradient of `prepared.arrays[index]` into: memory of this
   * loss object's earlier calls when there is some (zeroed first unless the loss assigns every
   * element), else a new zeroed array. It belongs to this call until its graph is freed.
   */
  private gradientArray(prepared: Prepared, index: number): TypedArray {
    const x = prepared.arrays[index]!;
    const memory = this.callMemory.takeArray(x.dtype, x.size);
    if (!this.assignsGradient(prepared, index)) memory.fill(0);
    return memory;
  }

  /** Alias of {@link forward}: `loss.call(pred, label)`. */
  call(...inputs: (LossInput | null | undefined)[]): NDArray {
    return this.forward(...inputs);
  }

  /**
   * The same loss computed entirely from differentiable ops (the twin, then weighting and the
   * per-sample mean). Slow; the tests compare it with {@link forward}.
   */
  reference(...inputs: (LossInput | null | undefined)[]): NDArray {
    const converted = this.convert(inputs);
    const swIndex = this.sampleWeightIndex;
    const sampleWeight = swIndex >= 0 ? (converted[swIndex] ?? null) : null;
    const prepared = this.prepare(
      converted.map((x, i) => (i === swIndex ? null : x)),
      inputs,
    );
    const weightShape = sampleWeight ? alignSampleWeight(this.name, sampleWeight, prepared) : null;
    return this.composedPipeline(prepared, sampleWeight, weightShape, prepared.arrays);
  }

  private composedPipeline(
    prepared: Prepared,
    sampleWeight: NDArray | null,
    weightShape: readonly number[] | null,
    arrays: readonly NDArray[],
  ): NDArray {
    let loss = this.twin({ ...prepared, arrays });
    if (sampleWeight && weightShape) loss = mul(loss, reshape(sampleWeight, [...weightShape]));
    if (this.weight !== null) loss = mul(loss, this.weight);
    const axes = loss.shape.map((_, i) => i).filter((i) => i !== prepared.batchAxis);
    return axes.length > 0 ? mean(loss, axes) : loss;
  }

  private twinGradients(
    prepared: Prepared,
    sampleWeight: NDArray | null,
    weightShape: readonly number[] | null,
    gradOutput: NDArray,
  ): (NDArray | null)[] {
    const variables = sampleWeight ? [...prepared.arrays, sampleWeight] : [...prepared.arrays];
    const output = this.composedPipeline(prepared, sampleWeight, weightShape, prepared.arrays);
    if (!output.requiresGrad) return variables.map(() => null);
    const grads = runBackward([output], [gradOutput], {
      retainGraph: true,
      createGraph: true,
      variables,
      stopAtVariables: true,
    })!;
    return grads.map((g, i) => (isFloat(variables[i]!.dtype) ? g : null));
  }
}

/**
 * What a fused call keeps for its backward: its state and its gradient, owned by the call, in an
 * arena region or else in ordinary memory.
 */
interface FusedSaved {
  readonly state: unknown;
  gradient: TypedArray | null;
  region: ArenaRegion | null;
}

/** Elements of ℓ processed per kernel call: small enough to stay in cache. */
const BLOCK_SIZE = 4096;
/** Samples smaller than this are grouped into shared blocks (one kernel call per sample would cost more). */
const MIN_SAMPLE_BLOCK = 256;

/**
 * Splits ℓ into blocks of at most BLOCK_SIZE elements. When each sample's elements are contiguous
 * (batch axis 0), blocks never straddle two samples and carry that sample's index; otherwise the
 * sample is -1 and the caller maps elements to samples itself.
 */
function* blocks(
  total: number,
  layout: { inner: number; batch: number; count: number },
): Generator<[number, number, number]> {
  if (layout.inner === layout.count && layout.count >= MIN_SAMPLE_BLOCK) {
    for (let sample = 0; sample < layout.batch; sample++) {
      const sampleEnd = (sample + 1) * layout.count;
      for (let begin = sample * layout.count; begin < sampleEnd; begin += BLOCK_SIZE) {
        yield [begin, Math.min(begin + BLOCK_SIZE, sampleEnd), sample];
      }
    }
    return;
  }
  for (let begin = 0; begin < total; begin += BLOCK_SIZE)
    yield [begin, Math.min(begin + BLOCK_SIZE, total), -1];
}

/** Fills `out[j]` with the sample (batch index) of ℓ element `begin + j`. */
function sampleIndices(
  begin: number,
  length: number,
  layout: { inner: number; batch: number },
  out: Int32Array,
): void {
  const { inner, batch } = layout;
  let within = begin % inner;
  let sample = Math.floor(begin / inner) % batch;
  for (let j = 0; j < length; j++) {
    out[j] = sample;
    if (++within === inner) {
      within = 0;
      if (++sample === batch) sample = 0;
    }
  }
}

/** Reads sampleWeight values for ℓ elements, whatever broadcast pattern the weight has. */
class WeightReader {
  readonly values: TypedArray;
  private readonly mode: 'same' | 'sample' | 'scalar' | 'general';
  private readonly layout: { inner: number; batch: number };
  private readonly index: Int32Array | null;

  constructor(
    readonly array: NDArray,
    readonly shape: readonly number[],
    prepared: Prepared,
  ) {
    const weight = array;
    const weightShape = shape;
    this.values = weight.data;
    this.layout = batchLayout(prepared);
    const lossShape = prepared.lossShape;
    const perSample = weightShape.every((d, i) => d === 1 || i === prepared.batchAxis);
    if (sameShape(weightShape, lossShape)) this.mode = 'same';
    else if (weight.size === 1) this.mode = 'scalar';
    else if (perSample && weight.size === this.layout.batch) this.mode = 'sample';
    else this.mode = 'general';
    this.index = this.mode === 'general' ? weightIndex(lossShape, weightShape) : null;
  }

  /** Whether the weight is one value per sample (or one for all), see {@link ofSample}. */
  get perSample(): boolean {
    return this.mode === 'sample' || this.mode === 'scalar';
  }

  /** The weight of every ℓ element of `sample`; only when {@link perSample}. */
  ofSample(sample: number): number {
    return this.values[this.mode === 'scalar' ? 0 : sample]!;
  }

  /** Fills `out[j]` with the weight offset of ℓ element `begin + j`. */
  offsets(begin: number, length: number, out: Int32Array): void {
    switch (this.mode) {
      case 'same':
        for (let j = 0; j < length; j++) out[j] = begin + j;
        return;
      case 'scalar':
        out.fill(0, 0, length);
        return;
      case 'sample':
        sampleIndices(begin, length, this.layout, out);
        return;
      case 'general':
        for (let j = 0; j < length; j++) out[j] = this.index![begin + j]!;
        return;
    }
  }
}

/** `out[k] = gradient[k] · head[sample of k]`, with `count` contiguous elements per sample. */
function scaleBySample(gradient: TypedArray, head: TypedArray, count: number, out: TypedArray): void {
  for (let sample = 0, k = 0; sample < head.length; sample++) {
    const factor = head[sample]!;
    for (const end = k + count; k < end; k++) out[k] = gradient[k]! * factor;
  }
}

function outputDType(prepared: Prepared): DType {
  const first = prepared.arrays.find((x) => isFloat(x.dtype));
  return first ? first.dtype : 'float32';
}

function toArrayOf(values: Float64Array, like: NDArray): NDArray {
  const data = allocate(isFloat(like.dtype) ? like.dtype : 'float32', like.size);
  data.set(values);
  return new NDArray(data, like.shape);
}

/**
 * A 1-D weight whose length is the batch size is per sample, laid along the batch
 * axis; any other weight must broadcast to ℓ without enlarging it. Returns the shape the weight
 * takes when multiplied into ℓ.
 */
function alignSampleWeight(where: string, weight: NDArray, prepared: Prepared): number[] {
  const lossShape = prepared.lossShape;
  const batch = lossShape[prepared.batchAxis]!;
  if (weight.ndim === 1 && weight.shape[0] === batch && lossShape.length > 0) {
    return lossShape.map((_, i) => (i === prepared.batchAxis ? batch : 1));
  }
  const rank = lossShape.length;
  const fits =
    weight.ndim <= rank &&
    weight.shape.every((dim, i) => {
      const target = lossShape[rank - weight.ndim + i]!;
      return dim === target || dim === 1;
    });
  if (!fits) {
    const perSample = lossShape.map((d, i) => (i === prepared.batchAxis ? d : 1));
    throw new ShapeError(
      `${where}: sampleWeight shape ${formatShape(weight.shape)} does not broadcast to the loss shape ${formatShape(lossShape)} ` +
        `without enlarging it; use [${batch}] or ${formatShape(perSample)} for one weight per sample, or ${formatShape(lossShape)} for one per element`,
    );
  }
  return [...new Array<number>(rank - weight.ndim).fill(1), ...weight.shape];
}

/** Offsets of a weight of `weightShape` for each element of ℓ (0 strides on broadcast axes). */
function weightIndex(lossShape: readonly number[], weightShape: readonly number[]): Int32Array | null {
  if (sameShape(lossShape, weightShape)) return null;
  const own = stridesOf(weightShape);
  const strides = weightShape.map((d, i) => (d === 1 ? 0 : own[i]!));
  const size = sizeOf(lossShape);
  const index = new Int32Array(size);
  const counter = new Array<number>(lossShape.length).fill(0);
  let offset = 0;
  for (let k = 0; k < size; k++) {
    index[k] = offset;
    for (let axis = lossShape.length - 1; axis >= 0; axis--) {
      counter[axis]!++;
      offset += strides[axis]!;
      if (counter[axis]! < lossShape[axis]!) break;
      offset -= strides[axis]! * lossShape[axis]!;
      counter[axis] = 0;
    }
  }
  return index;
}

/** Position of each element of ℓ's batch index, and how many elements share a sample. */
function batchLayout(prepared: Prepared): { inner: number; batch: number; count: number } {
  const shape = prepared.lossShape;
  const axis = prepared.batchAxis;
  const inner = sizeOf(shape.slice(axis + 1));
  const batch = shape[axis] ?? 1;
  return { inner, batch, count: sizeOf(shape) / Math.max(batch, 1) };
}

/** Normalises a loss's batch axis against the rank of ℓ (ShapeError when out of range). */
export function lossBatchAxis(where: string, batchAxis: number, lossShape: readonly number[]): number {
  return normalizeAxis(batchAxis, lossShape.length, where, 'batchAxis');
}
