/**
 * How a `gloss-ml/kernels` call runs a loss: through the loss's own one-pass hook when it has one
 * that covers the call ({@link OnePassRunner}, the code of the classes' training step), else
 * through the class's block hooks (typed/_block.ts). Both keep their buffers in the kernel
 * function that made them (never shared between kernels), and every call finishes before it
 * returns, so no call can be handed memory another call still reads.
 * @module
 */
import { type Loss, type OnePassKernel, onePassKernel, type Prepared } from '../loss/_base/loss.js';
import { ShapeError, ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { sizeOf } from '../ndarray/shape.js';
import type { FloatArray } from './kernels.js';

/** Throws unless `array` is a float array of `like`'s type with `length` elements. */
export function checkFloatArray(
  where: string,
  name: string,
  array: unknown,
  like: FloatArray,
  length: number,
): void {
  if (!(array instanceof Float32Array || array instanceof Float64Array)) {
    throw new ValueError(`${where}: ${name} must be a Float32Array or Float64Array`);
  }
  if (array.constructor !== like.constructor) {
    throw new ValueError(
      `${where}: ${name} is a ${array.constructor.name} but pred is a ${like.constructor.name}`,
    );
  }
  if (array.length !== length) {
    throw new ShapeError(`${where}: ${name} has ${array.length} elements, pred has ${length}`);
  }
}

/**
 * Throws a ValueError unless pred and the loss output are float arrays: the check every typed
 * kernel makes first (TypeScript callers cannot pass anything else; JavaScript ones can).
 */
export function checkFloatOperands(where: string, pred: unknown, loss: unknown): void {
  if (!(pred instanceof Float32Array || pred instanceof Float64Array)) {
    throw new ValueError(`${where}: pred must be a Float32Array or Float64Array`);
  }
  if (!(loss instanceof Float32Array || loss instanceof Float64Array)) {
    throw new ValueError(`${where}: loss must be a Float32Array or Float64Array`);
  }
}

/** Throws a ShapeError unless `sampleWeight`, when given, has one entry per sample. */
export function checkSampleWeight(
  where: string,
  sampleWeight: ArrayLike<number> | null | undefined,
  samples: number,
): void {
  if (sampleWeight && sampleWeight.length !== samples) {
    throw new ShapeError(`${where}: sampleWeight has ${sampleWeight.length} entries for ${samples} samples`);
  }
}

/** Throws unless `array` is an Int32Array of `length` elements (`expected` says why that many). */
export function checkInt32Array(
  where: string,
  name: string,
  array: unknown,
  length: number,
  expected: string,
): asserts array is Int32Array {
  if (!(array instanceof Int32Array)) {
    const got = array === null || typeof array !== 'object' ? String(array) : array.constructor.name;
    throw new ValueError(`${where}: ${name} must be an Int32Array, got ${got}`);
  }
  if (array.length !== length) {
    throw new ShapeError(`${where}: ${name} has ${array.length} elements, expected ${length} (${expected})`);
  }
}

/** Throws unless `shape` is a list of non-negative integers with `length` elements in all. */
export function checkShape(where: string, name: string, shape: readonly number[], length: number): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ValueError(`${where}: ${name} must be an array of non-negative integers, got ${String(shape)}`);
  }
  if (sizeOf(shape) !== length) {
    throw new ShapeError(
      `${where}: ${name} [${shape.join(', ')}] has ${sizeOf(shape)} elements, pred has ${length}`,
    );
  }
}

/** Runs `fn`, prefixing the message of a ShapeError or ValueError the loss throws with `where`. */
export function naming<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ShapeError) throw new ShapeError(`${where}: ${error.message}`);
    if (error instanceof ValueError) throw new ValueError(`${where}: ${error.message}`);
    throw error;
  }
}

/**
 * A loss's one-pass hook on caller-owned arrays, with the scaling of the classes' one-pass node
 * (pipelines.ts, onePassOp): scales = weight · sampleWeight / M, the per-sample loss = the sum
 * times weight · sampleWeight / M, where M is the number of ℓ elements per sample. Keeps two
 * float64 arrays of one entry per sample, made again only when the sample count changes.
 */
export class OnePassRunner {
  private readonly kernel: OnePassKernel;
  private scales = new Float64Array(0);
  private sums = new Float64Array(0);

  constructor(
    private readonly loss: Loss,
    private readonly where: string,
  ) {
    const kernel = onePassKernel(loss);
    if (!kernel) throw new ValueError(`${where}: ${loss.name} has no one-pass kernel`);
    this.kernel = kernel;
  }

  /** The loss's validation and reshaping of `arrays` (its positional inputs, sampleWeight excluded). */
  prepare(arrays: readonly NDArray[]): Prepared {
    return naming(this.where, () => this.kernel.prepare(arrays));
  }

  /** Whether the one-pass hook covers this call (the class's own test). */
  covers(prepared: Prepared): boolean {
    return this.kernel.canFuse(prepared);
  }

  /** Gives back what `prepare` took for a call the hook does not cover (see Loss.releasePrepared). */
  release(prepared: Prepared): void {
    this.kernel.release(prepared);
  }

  /** Writes the per-sample losses into `out` and d(Σ out)/d pred into `gradient`. */
  run(
    prepared: Prepared,
    sampleWeight: ArrayLike<number> | null,
    out: FloatArray,
    gradient: FloatArray,
  ): void {
    const samples = out.length;
    checkSampleWeight(this.where, sampleWeight, samples);
    if (this.scales.length !== samples) {
      this.scales = new Float64Array(samples);
      this.sums = new Float64Array(samples);
    }
    const { scales } = this;
    // Zeroed as the class's pipeline does: nothing of the last call's sums reaches this one's.
    const sums = this.sums.fill(0);
    const weight = this.loss.weight;
    const count = sizeOf(prepared.lossShape) / samples;
    const unit = (weight === null ? 1 : weight) / count;
    for (let s = 0; s < samples; s++) scales[s] = sampleWeight ? unit * sampleWeight[s]! : unit;
    const sampleSize = prepared.arrays[0]!.size / samples;
    this.kernel.run({ prepared, state: undefined, sampleSize, scales, sums, gradient });
    for (let s = 0; s < samples; s++) {
      // (An infinite or NaN weight: the sample's sum and gradient from the block hooks, as the
      // class takes them.)
      const w = sampleWeight ? sampleWeight[s]! : 1;
      let total = sums[s]! * w;
      if (!Number.isFinite(w)) {
        const elements = { begin: s * count, end: (s + 1) * count, weight: w };
        const own = { data: gradient, first: s * sampleSize, size: sampleSize, scale: scales[s]! };
        total = this.kernel.weighEachElement(prepared, elements, own);
      }
      out[s] = weight === null ? total / count : total * unit;
    }
  }
}

/**
 * Throws a ValueError unless `loss` has the per-sample reduction: the typed kernels write one loss
 * per sample and the gradient of their sum, so a reduced value is the caller's to take.
 */
export function requirePerSample(where: string, loss: Loss): void {
  if (loss.reduction === 'perSample') return;
  throw new ValueError(
    `${where}: the typed-array kernels write one loss per sample (reduction 'perSample', the default); ` +
      `got reduction '${loss.reduction}'. Reduce \`loss\` yourself: the gradient written is d(Σ loss)/d pred, ` +
      `so for a mean over N samples divide it by N`,
  );
}
