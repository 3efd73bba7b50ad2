import { ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { add, exp, greater, log, mul, sub, where } from '../ops/elementwise.js';
import { ElementwiseLoss } from './_elementwise.js';
import { booleanOption, checkDomain, type Loss, type LossInput } from './_base/index.js';
import { coefficientTimesLog } from './_coefficient-times-log.js';
import { expInto, isFloatArray } from '../kernels/index.js';

/** Gluon's default `epsilon` (the fourth positional input). */
const DEFAULT_EPSILON = 1e-8;

/** Elements whose exponentials the one-pass step takes per kernel call. */
const ONE_PASS_CHUNK = 4096;

/** ½·log(2π), the constant of Stirling's term. */
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Stirling: log t! ≈ t·log t − t + ½·log(2π·t) = (t + ½)·log t − t + ½·log 2π (one log), with
 * derivative log t + 1/(2t); `computeFull` adds it where t > 1.
 */
function stirlingLogFactorial(count: number): number {
  return (count + 0.5) * Math.log(count) - count + HALF_LOG_TWO_PI;
}

/** Options of {@link PoissonNLLLoss}. */
export interface PoissonNLLLossOptions extends Loss.Options {
  /** `pred` is the log of the rate (default true); otherwise it is the rate itself. */
  fromLogits?: boolean;
  /** Add Stirling's approximation of log(target!) where target > 1 (default false). */
  computeFull?: boolean;
}

/** What `prepare` passes to the kernels besides the arrays. */
interface PoissonExtra {
  readonly epsilon: number;
}

/** Per-call scratch of the log-rate form: e^x of the current block. */
interface PoissonState {
  exponentials: Float64Array;
}

/** e^x for pred elements [begin, end) in the state's scratch (kernel layer: wasm SIMD for float32). */
function blockExponentials(x: Float32Array | Float64Array, state: PoissonState, begin: number, end: number) {
  if (state.exponentials.length < end - begin) state.exponentials = new Float64Array(end - begin);
  const e = state.exponentials;
  // Into a float64 destination, expInto keeps float64's range (e^100 ≈ 2.7e43 stays finite), so
  // ℓ stays finite until weighting and the mean (a weight of 0 or 1e-30 keeps it finite).
  expInto(x.subarray(begin, end), e.subarray(0, end - begin));
  return e;
}

/**
 * Negative log-likelihood of a Poisson distribution, with x = pred, t = target:
 *
 * $$
 * \begin{aligned}
 * \text{fromLogits (default):} \quad \ell &= e^{x} - t x \\
 * \text{rates:} \quad \ell &= x - t \log(x + \epsilon)
 * \end{aligned}
 * $$
 *
 * and `computeFull` adds Stirling's approximation of log t! where t > 1:
 * $$ t \log t - t + \tfrac{1}{2} \log(2 \pi t) $$
 *
 * then weight, averaged over the non-batch axes (one value per sample).
 *
 * **Inputs** (positional, Gluon's order): `pred` any shape, real log-rates (or rates ≥ 0 when
 * `fromLogits` is false: a finite rate below −epsilon, where Gluon's log(x + epsilon) and
 * PyTorch return NaN, is a ValueError naming its position); `target` the same number of elements (reshaped like `pred`), counts
 * ≥ 0 (any real accepted); `sampleWeight` optional, broadcastable to `pred` (a 1-D array of batch
 * length is per sample); `epsilon` optional plain number ≥ 0 (default 1e-8), used only with rates.
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `fromLogits` (default true), `computeFull` (default false), `weight` (default
 * none), `batchAxis` (default 0).
 *
 * **Gradient**: with respect to `pred` exp(x) − t, or 1 − t/(x + epsilon) for rates (Stirling's
 * term does not depend on `pred`); with respect to `target` −x, or −log(x + epsilon), plus
 * log t + 1/(2t) where t > 1 with `computeFull`.
 *
 * **Stability**: Stirling's term is selected where t > 1, never multiplied by a mask, so a target
 * of 0 gives a finite loss; the value jumps at t = 1. The rate form keeps Gluon's
 * epsilon and takes t·log(x + epsilon) as 0 when both factors are 0. exp(x)
 * overflows to Infinity for logits above ~709 (~88 in float32), where the loss is infinite.
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.PoissonNLLLoss();
 * loss.forward(nd.array([[0, 1]]), nd.array([[1, 2]])); // [0.8591409]
 * ```
 */
export class PoissonNLLLoss extends ElementwiseLoss<PoissonExtra, PoissonState | undefined> {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'PoissonNLLLoss';

  override readonly inputNames: readonly string[] = ['pred', 'target', 'sampleWeight', 'epsilon'];
  /** Whether `pred` is the log of the rate. */
  readonly fromLogits: boolean;
  /** Whether Stirling's term is added. */
  readonly computeFull: boolean;

  constructor(options: PoissonNLLLossOptions = {}) {
    super(options, ['fromLogits', 'computeFull']);
    this.fromLogits = booleanOption(this.name, 'fromLogits', options.fromLogits, true);
    this.computeFull = booleanOption(this.name, 'computeFull', options.computeFull, false);
  }

  protected override prepare(
    inputs: readonly (NDArray | null)[],
    raw: readonly (LossInput | null | undefined)[] = inputs,
  ): Loss.Prepared<PoissonExtra> {
    const prepared = super.prepare(inputs);
    return { ...prepared, extra: { epsilon: this.readEpsilon(raw[3], inputs[3] ?? null) } };
  }

  // log(x + epsilon) has a value down to x = −epsilon, kept (Gluon's formula), and is NaN exactly
  // below: a finite rate there has no likelihood.
  protected override explainNaN(prepared: Loss.Prepared<PoissonExtra>): void {
    if (this.fromLogits) return;
    const { epsilon } = prepared.extra!;
    checkDomain(this.name, 'pred', prepared.arrays[0]!, {
      outside: (x) => x + epsilon < 0,
      rule: 'rates must be ≥ 0 (fromLogits: true takes log-rates)',
    });
  }

  /**
   * The epsilon input as a number. A plain number is read from the raw input, before the base's
   * conversion to an array would round it to pred's dtype; a one-element array is accepted too.
   */
  private readEpsilon(raw: LossInput | null | undefined, converted: NDArray | null): number {
    if (raw === undefined || raw === null) return DEFAULT_EPSILON;
    const value =
      typeof raw === 'number' ? raw : converted && converted.size === 1 ? converted.data[0]! : null;
    if (value === null) {
      const shape = raw instanceof NDArray ? ` (got shape [${raw.shape.join(', ')}])` : '';
      throw new ValueError(`${this.name}: input epsilon must be a number${shape}`);
    }
    if (!(Number.isFinite(value) && value >= 0))
      throw new ValueError(`${this.name}: input epsilon must be finite and ≥ 0, got ${value}`);
    return value;
  }

  /** Each gradient element belongs to one ℓ element and is assigned. */
  protected override assignsGradient(): boolean {
    return true;
  }

  protected override createState(): PoissonState | undefined {
    return this.fromLogits ? { exponentials: new Float64Array(0) } : undefined;
  }

  /** The one-pass step covers the log-rate form of float predictions (the exponentials' kernel). */
  protected override canFuseGradient(prepared: Loss.Prepared<PoissonExtra>): boolean {
    return this.fromLogits && isFloatArray(prepared.arrays[0]!.data);
  }

  // ℓ and pred's gradient in one pass, for recorded calls (see Loss.forwardGradient): each e^x is
  // taken once for both, where the block path takes it again for the slopes; ℓ and the gradient
  // are forwardBlock's and backwardBlock's expressions.
  protected override forwardGradient(
    call: Loss.ForwardGradientCall<PoissonExtra, PoissonState | undefined>,
  ): void {
    const { prepared, sampleSize, scales, sums, gradient } = call;
    const [pred, target] = prepared.arrays;
    const x = pred!.data as Float32Array | Float64Array;
    const t = target!.data;
    const full = this.computeFull;
    sums.fill(0);
    // Working memory for one chunk's exponentials, given back before the call returns.
    const e = this.callMemory.takeArray('float64', Math.min(x.length, ONE_PASS_CHUNK)) as Float64Array;
    let sample = 0;
    let inSample = 0;
    let total = 0;
    for (let start = 0; start < x.length; start += ONE_PASS_CHUNK) {
      const end = Math.min(x.length, start + ONE_PASS_CHUNK);
      expInto(x.subarray(start, end), e.subarray(0, end - start));
      for (let k = start, j = 0; k < end; k++, j++) {
        const count = t[k]!;
        let value = e[j]! - count * x[k]!;
        if (full && count > 1) value += stirlingLogFactorial(count);
        total += value;
        gradient[k] = scales[sample]! * (e[j]! - count);
        if (++inSample === sampleSize) {
          sums[sample++] = total;
          total = 0;
          inSample = 0;
        }
      }
    }
    this.callMemory.giveBackArray(e);
  }

  // computeFull adds stirlingLogFactorial(t) where t > 1 (see there).
  protected forwardBlock(call: Loss.ForwardBlockCall<PoissonExtra, PoissonState | undefined>): void {
    const { prepared, state, begin, end, out } = call;
    const [pred, target] = prepared.arrays;
    const extra = prepared.extra;
    const x = pred!.data;
    const t = target!.data;
    if (this.fromLogits && isFloatArray(x)) {
      const e = blockExponentials(x, state!, begin, end);
      for (let k = begin, j = 0; k < end; k++, j++) out[j] = e[j]! - t[k]! * x[k]!;
    } else if (this.fromLogits) {
      for (let k = begin, j = 0; k < end; k++, j++) out[j] = Math.exp(x[k]!) - t[k]! * x[k]!;
    } else {
      const epsilon = extra!.epsilon;
      for (let k = begin, j = 0; k < end; k++, j++) {
        const count = t[k]!;
        const argument = x[k]! + epsilon;
        // 0·log 0 = 0; every other case is the product as written.
        out[j] = x[k]! - (count === 0 && argument === 0 ? 0 : count * Math.log(argument));
      }
    }
    if (this.computeFull) {
      // A second pass over the block while it is in cache: ℓ is float64, so adding here rounds
      // exactly as adding inside the first loop would.
      for (let k = begin, j = 0; k < end; k++, j++) {
        const count = t[k]!;
        if (count > 1) out[j]! += stirlingLogFactorial(count);
      }
    }
  }

  // dℓ/dx = exp(x) − t, or 1 − t/(x + epsilon) for rates; dℓ/dt = −x, or −log(x + epsilon), plus
  // Stirling's log t + 1/(2t) where t > 1. Each gradient entry depends on one ℓ element: assigned,
  // in one float64 expression so a float32 gradient is rounded once.
  protected backwardBlock(call: Loss.BackwardBlockCall<PoissonExtra, PoissonState | undefined>): void {
    const { prepared, state, begin, end, dLoss, grads } = call;
    const [pred, target] = prepared.arrays;
    const extra = prepared.extra;
    const [dPred, dTarget] = grads;
    const x = pred!.data;
    const t = target!.data;
    const full = this.computeFull;
    if (this.fromLogits) {
      if (dPred && isFloatArray(x)) {
        const e = blockExponentials(x, state!, begin, end);
        for (let k = begin, j = 0; k < end; k++, j++) dPred[k] = dLoss[j]! * (e[j]! - t[k]!);
      } else if (dPred) {
        for (let k = begin, j = 0; k < end; k++, j++) dPred[k] = dLoss[j]! * (Math.exp(x[k]!) - t[k]!);
      }
      if (dTarget && !full) {
        for (let k = begin, j = 0; k < end; k++, j++) dTarget[k] = -dLoss[j]! * x[k]!;
      }
      if (dTarget && full) {
        for (let k = begin, j = 0; k < end; k++, j++) {
          const g = dLoss[j]!;
          const count = t[k]!;
          const own = -g * x[k]!;
          dTarget[k] = count > 1 ? own + g * (Math.log(count) + 0.5 / count) : own;
        }
      }
      return;
    }
    const epsilon = extra!.epsilon;
    // The 0·log 0 term is the constant 0: no gradient through it.
    if (dPred) {
      for (let k = begin, j = 0; k < end; k++, j++) {
        const count = t[k]!;
        const argument = x[k]! + epsilon;
        dPred[k] = dLoss[j]! * (count === 0 && argument === 0 ? 1 : 1 - count / argument);
      }
    }
    if (dTarget && !full) {
      for (let k = begin, j = 0; k < end; k++, j++) {
        const count = t[k]!;
        const argument = x[k]! + epsilon;
        dTarget[k] = count === 0 && argument === 0 ? 0 : -dLoss[j]! * Math.log(argument);
      }
    }
    if (dTarget && full) {
      for (let k = begin, j = 0; k < end; k++, j++) {
        const g = dLoss[j]!;
        const count = t[k]!;
        const argument = x[k]! + epsilon;
        const own = count === 0 && argument === 0 ? 0 : -g * Math.log(argument);
        dTarget[k] = count > 1 ? own + g * (Math.log(count) + 0.5 / count) : own;
      }
    }
  }

  twin({ arrays: [pred, target], extra }: Loss.Prepared<PoissonExtra>): NDArray {
    const x = pred!;
    const t = target!;
    let loss = this.fromLogits
      ? sub(exp(x), mul(t, x))
      : sub(x, coefficientTimesLog(t, add(x, extra!.epsilon)));
    if (this.computeFull) {
      const above = greater(t, 1);
      // Stirling's term sees only the targets it keeps (2 elsewhere): log 0 at t = 0 would send
      // 0 · ∞ = NaN back through the branch `where` discards.
      const kept = where(above, t, 2);
      const stirling = add(sub(mul(add(kept, 0.5), log(kept)), kept), HALF_LOG_TWO_PI);
      loss = add(loss, where(above, stirling, 0));
    }
    return loss;
  }
}
