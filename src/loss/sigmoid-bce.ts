import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { sameShape } from '../ndarray/shape.js';
import { add, mul, neg, softplus, sub } from '../ops/elementwise.js';
import { ElementwiseLoss } from './_elementwise.js';
import {
  asFloat,
  booleanOption,
  broadcastOffsets,
  checkDomain,
  checkFinite,
  type Domain,
  floatDTypeOf,
  type Loss,
  lossBatchAxis,
  reshapeLike,
} from './_base/index.js';
import { coefficientTimesLog } from './_coefficient-times-log.js';
import { BlockSum } from './_block-sum.js';
import {
  type FloatArray,
  floatData,
  sigmoidBinaryCrossEntropyBackward,
  sigmoidBinaryCrossEntropyForward,
  sigmoidBinaryCrossEntropyGradient,
} from '../kernels/index.js';
import {
  type LogitCrossEntropyInputs,
  type ProbabilityCrossEntropyInputs,
  PROBABILITY_EPSILON,
  probabilityCrossEntropyBackward,
  probabilityCrossEntropyForward,
} from '../kernels/binary-cross-entropy.js';

/** Options of {@link SigmoidBinaryCrossEntropyLoss}. */
export interface SigmoidBinaryCrossEntropyLossOptions extends Loss.Options {
  /** `pred` holds probabilities (already through a sigmoid) instead of logits (default false). */
  fromSigmoid?: boolean;
  /**
   * Label smoothing ε in [0, 1) (default 0): the label z becomes z·(1 − ε) + ε/2, as Keras's
   * `BinaryCrossentropy(label_smoothing=ε)`.
   */
  labelSmoothing?: number;
}

/** What `prepare` passes to the kernels besides the arrays. */
interface BceExtra {
  /**
   * posWeight's offset for each element of pred (see broadcastOffsets), or null when posWeight
   * has pred's layout (element k pairs with offset k).
   */
  readonly posWeightOffsets: Int32Array | null;
}

/** Per-call scratch shared by the forward and backward blocks (only with posWeight). */
interface BceState {
  /** posWeight's gradient while it is summed over its broadcast axes; null when it has pred's layout. */
  readonly posWeightGradient: BlockSum | null;
  /** A broadcast posWeight gathered for the current block (one value per element), for the kernels. */
  gathered: Float64Array;
  /** The kernels' per-element posWeight gradient of the current block, before it is summed. */
  blockGradient: Float64Array;
}

/** The probabilities Gluon's formula has a value for (the kernels' arguments of log, as they compute them). */
const GLUON_PROBABILITIES: Domain = {
  outside: (p) => p + PROBABILITY_EPSILON < 0 || 1 - p + PROBABILITY_EPSILON < 0,
  rule: 'probabilities must lie in [0, 1]',
};

/**
 * Binary cross-entropy with an optional weight p on the positive term, with x = pred, z = label:
 *
 * $$
 * \begin{aligned}
 * \text{logits (default):} \quad \ell &= p z \operatorname{softplus}(-x) + (1 - z) \operatorname{softplus}(x) \\
 * &= x - x z + \bigl(1 + (p - 1) z\bigr) \operatorname{softplus}(-x) \\
 * \text{fromSigmoid:} \quad \ell &= -\bigl(p z \log(x + 10^{-12}) + (1 - z) \log(1 - x + 10^{-12})\bigr)
 * \end{aligned}
 * $$
 *
 * then weight, averaged over the non-batch axes. Without `posWeight`, p = 1.
 *
 * **Inputs** (positional, Gluon's order): `pred` any shape, real logits (or probabilities in
 * [0, 1] with `fromSigmoid`: a finite p where Gluon's formula is NaN, below −1e-12 or above
 * 1 + 1e-12, is a ValueError naming its position, as PyTorch's BCELoss rejects p outside
 * [0, 1]; within 1e-12 of [0, 1] Gluon's value is kept); `label` the same number of elements (reshaped like `pred`),
 * documented as 0/1, but any finite real (a soft label) is accepted and used as written; `sampleWeight`
 * optional, broadcastable to `pred` (a 1-D array of batch length is per sample); `posWeight`
 * optional, broadcastable to `pred` without enlarging it (e.g. `[1, C]` against `[N, C]`).
 *
 * **Output**: shape `(batch,)`.
 *
 * **Options**: `fromSigmoid` (default false), `labelSmoothing` (default 0; ε in [0, 1), else a
 * ValueError: every label z is replaced by z·(1 − ε) + ε/2 before the formula, Keras's
 * `label_smoothing`, and the label's gradient is (1 − ε) times that of the smoothed label),
 * `weight` (default none), `batchAxis` (default 0).
 *
 * **Gradient** (logits): sigmoid(x) − z without posWeight, (1 − z)·sigmoid(x) − p·z·sigmoid(−x)
 * with it, everywhere including x = 0 (MXNet returns −z there). `label` and
 * `posWeight` get gradients too (posWeight's summed over its broadcast axes).
 *
 * **Stability**: the logit form shares one log1p(exp(−|x|)) between softplus(x) and softplus(−x):
 * finite for every finite logit (±1e30 included), no cancellation for labels in [0, 1]. The
 * probability form keeps Gluon's 1e-12, so p = 0 or 1 gives a large finite loss;
 * a term whose coefficient and log argument are both 0 counts as 0 (0·log 0 = 0).
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.SigmoidBinaryCrossEntropyLoss();
 * loss.forward(nd.array([[0, 2]]), nd.array([[1, 0]])); // [1.410038]
 * ```
 */
export class SigmoidBinaryCrossEntropyLoss extends ElementwiseLoss<BceExtra, BceState | undefined> {
  /** The Gluon class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'SigmoidBinaryCrossEntropyLoss';

  override readonly inputNames: readonly string[] = ['pred', 'label', 'sampleWeight', 'posWeight'];
  /** Whether `pred` holds probabilities rather than logits. */
  readonly fromSigmoid: boolean;
  /** Label smoothing ε: labels become z·(1 − ε) + ε/2. */
  readonly labelSmoothing: number;
  /**
   * The smoothed label z·(1 − ε) + ε/2 as the kernels' affine map of the label, so that they
   * apply it, and its factor 1 − ε in the label's gradient, in float64: composed from float32
   * ops, a label slope past float32's range (a logit of −3.4e38 with posWeight 2) rounded to
   * Infinity before the factor 0.01 of ε = 0.99 could bring it back to 7e36.
   */
  private readonly labelMap: { readonly labelScale: number; readonly labelShift: number };
  /**
   * The last broadcast posWeight's offsets table, reused while the shapes repeat (a training loop
   * calls with the same shapes every step; the table has one entry per pred element).
   */
  private posWeightOffsetsCache: {
    readonly predShape: readonly number[];
    readonly posWeightShape: readonly number[];
    readonly offsets: Int32Array;
  } | null = null;

  constructor(options: SigmoidBinaryCrossEntropyLossOptions = {}) {
    super(options, ['fromSigmoid', 'labelSmoothing']);
    this.fromSigmoid = booleanOption(this.name, 'fromSigmoid', options.fromSigmoid, false);
    const smoothing = checkFinite(this.name, 'labelSmoothing', options.labelSmoothing ?? 0);
    if (smoothing < 0 || smoothing >= 1)
      throw new ValueError(`${this.name}: option labelSmoothing must be in [0, 1), got ${smoothing}`);
    this.labelSmoothing = smoothing;
    this.labelMap = { labelScale: 1 - smoothing, labelShift: 0.5 * smoothing };
  }

  // Integer inputs are converted to the call's float dtype here, so every kernel reads floats
  // (and the output dtype, that of the first float input, is unchanged). The copies are not
  // recorded: integer inputs have no gradient either way.
  protected override prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<BceExtra> {
    const given = inputs[0]!;
    const givenPosWeight = inputs[3] ?? null;
    const dtype = floatDTypeOf([given, inputs[1], givenPosWeight]);
    const pred = asFloat(given, dtype);
    const label = asFloat(reshapeLike(this.name, 'label', inputs[1]!, 'pred', given), dtype);
    const batchAxis = lossBatchAxis(this.name, this.batchAxis, pred.shape);
    if (!givenPosWeight) return { arrays: [pred, label], sources: [0, 1], lossShape: pred.shape, batchAxis };
    checkPosWeightShape(this.name, givenPosWeight, pred);
    const posWeight = asFloat(givenPosWeight, dtype);
    const extra: BceExtra = {
      posWeightOffsets:
        posWeight.size === pred.size ? null : this.posWeightOffsets(pred.shape, posWeight.shape),
    };
    return { arrays: [pred, label, posWeight], sources: [0, 1, 3], lossShape: pred.shape, batchAxis, extra };
  }

  // Gluon's log(p + ε) and log(1 − p + ε) (ε = 1e-12) have a value within ε of [0, 1], kept
  // (DECISIONS 12), and are NaN exactly beyond: a finite p there has no loss.
  protected override explainNaN(prepared: Loss.Prepared<BceExtra>): void {
    if (this.fromSigmoid) checkDomain(this.name, 'pred', prepared.arrays[0]!, GLUON_PROBABILITIES);
  }

  /**
   * labelMap composed from ops, for the twin (the hooks' kernels apply it themselves); the label
   * itself without smoothing.
   */
  private smoothed(label: NDArray): NDArray {
    const { labelScale, labelShift } = this.labelMap;
    return this.labelSmoothing === 0 ? label : add(mul(label, labelScale), labelShift);
  }

  private posWeightOffsets(predShape: readonly number[], posWeightShape: readonly number[]): Int32Array {
    const cached = this.posWeightOffsetsCache;
    if (
      cached &&
      sameShape(cached.predShape, predShape) &&
      sameShape(cached.posWeightShape, posWeightShape)
    ) {
      return cached.offsets;
    }
    // Not null: the caller passes shapes of different sizes.
    const offsets = broadcastOffsets(predShape, posWeightShape)!;
    this.posWeightOffsetsCache = { predShape: [...predShape], posWeightShape: [...posWeightShape], offsets };
    return offsets;
  }

  protected override createState(prepared: Loss.Prepared<BceExtra>): BceState | undefined {
    const pred = prepared.arrays[0]!;
    const posWeight = prepared.arrays[2];
    if (!posWeight) return undefined;
    return {
      posWeightGradient: prepared.extra!.posWeightOffsets ? new BlockSum(posWeight.size, pred.size) : null,
      gathered: new Float64Array(0),
      blockGradient: new Float64Array(0),
    };
  }

  // Every element of pred's and label's gradients belongs to one ℓ element and is assigned; so is
  // posWeight's when it has pred's layout (a broadcast one is summed through BlockSum).
  protected override assignsGradient(prepared: Loss.Prepared<BceExtra>, index: number): boolean {
    return index < 2 || prepared.arrays[2]!.size === prepared.arrays[0]!.size;
  }

  // Logits go through the kernel layer's fused BCE (wasm SIMD for float32, float64 Math
  // otherwise); probabilities through its float64 loop. Both are written out in
  // src/kernels/binary-cross-entropy.ts.
  protected forwardBlock(call: Loss.ForwardBlockCall<BceExtra, BceState | undefined>): void {
    const { prepared, state, begin, end, out } = call;
    const block = blockOperands(prepared, state, begin, end, this.labelMap);
    const loss = out.subarray(0, end - begin);
    if (this.fromSigmoid) probabilityCrossEntropyForward(block, loss);
    else sigmoidBinaryCrossEntropyForward(block, loss);
  }

  /** The one-pass kernel covers logits without posWeight. */
  protected override canFuseGradient(prepared: Loss.Prepared<BceExtra>): boolean {
    return !this.fromSigmoid && prepared.arrays.length === 2;
  }

  // The same ℓ and gradient in one pass, for recorded calls on logits without posWeight (see
  // Loss.forwardGradient).
  protected override forwardGradient(call: Loss.ForwardGradientCall<BceExtra, BceState | undefined>): void {
    const { prepared, sampleSize, scales, sums, gradient } = call;
    const [pred, label] = prepared.arrays;
    sigmoidBinaryCrossEntropyGradient(
      {
        logits: pred!.data,
        labels: label!.data,
        labelScale: this.labelMap.labelScale,
        labelShift: this.labelMap.labelShift,
      },
      { sampleSize, scales, sums, gradient },
    );
  }

  // Gradients of pred and label depend on one ℓ element each: the kernels assign them. A
  // broadcast posWeight's per-element gradient lands in the block scratch first and is summed
  // over its broadcast axes (see BlockSum).
  protected backwardBlock(call: Loss.BackwardBlockCall<BceExtra, BceState | undefined>): void {
    const { prepared, state, begin, end, dLoss, grads: gradients } = call;
    const block = blockOperands(prepared, state, begin, end, this.labelMap);
    const count = end - begin;
    const dPosWeight = gradients[2] ? floatData(this.name, gradients[2]) : null;
    const sum = dPosWeight && state ? state.posWeightGradient : null;
    if (sum && state!.blockGradient.length < count) state!.blockGradient = new Float64Array(count);
    const blockGradients = {
      dLoss: dLoss.subarray(0, count),
      dPred: gradients[0] ? floatData(this.name, gradients[0]).subarray(begin, end) : null,
      dLabels: gradients[1] ? floatData(this.name, gradients[1]).subarray(begin, end) : null,
      dPosWeight: sum ? state!.blockGradient.subarray(0, count) : (dPosWeight?.subarray(begin, end) ?? null),
    };
    if (this.fromSigmoid) probabilityCrossEntropyBackward(block, blockGradients);
    else sigmoidBinaryCrossEntropyBackward(block, blockGradients);
    if (sum) {
      const offsets = prepared.extra!.posWeightOffsets!;
      const blockGradient = state!.blockGradient;
      const target = sum.begin(dPosWeight!);
      for (let j = 0; j < count; j++) target[offsets[begin + j]!]! += blockGradient[j]!;
      sum.done(count, dPosWeight!);
    }
  }

  twin({ arrays: [pred, label, posWeight] }: Loss.Prepared<BceExtra>): NDArray {
    const x = pred!;
    const z = this.smoothed(label!);
    const positive = posWeight ? mul(posWeight, z) : z;
    const negative = sub(1, z);
    if (this.fromSigmoid) {
      const logPositive = coefficientTimesLog(positive, add(x, PROBABILITY_EPSILON));
      const logNegative = coefficientTimesLog(negative, add(sub(1, x), PROBABILITY_EPSILON));
      return neg(add(logPositive, logNegative));
    }
    return add(mul(positive, softplus(neg(x))), mul(negative, softplus(x)));
  }
}

/** Throws a ShapeError unless posWeight broadcasts to pred without enlarging it. */
function checkPosWeightShape(where: string, posWeight: NDArray, pred: NDArray): void {
  const lead = pred.ndim - posWeight.ndim;
  const fits = lead >= 0 && posWeight.shape.every((dim, i) => dim === pred.shape[lead + i] || dim === 1);
  if (!fits) {
    throw new ShapeError(
      `${where}: posWeight shape ${formatShape(posWeight.shape)} does not broadcast to pred shape ${formatShape(pred.shape)} ` +
        'without enlarging it; give posWeight a shape such as [1, C] or [C] for pred [N, C]',
    );
  }
}

/**
 * The kernels' operands for elements [begin, end), as views: posWeight is null (p = 1),
 * posWeight's own data when it has pred's layout, or the block's values gathered into the
 * state's buffer when it is broadcast; the label smoothing as `labelMap`. One object serves both
 * forms (logits and probabilities).
 */
function blockOperands(
  { arrays: [pred, label, posWeight], extra }: Loss.Prepared<BceExtra>,
  state: BceState | undefined,
  begin: number,
  end: number,
  { labelScale, labelShift }: { readonly labelScale: number; readonly labelShift: number },
): LogitCrossEntropyInputs & ProbabilityCrossEntropyInputs {
  const count = end - begin;
  let p: FloatArray | null =
    posWeight && state
      ? floatData('SigmoidBinaryCrossEntropyLoss', posWeight.data).subarray(begin, end)
      : null;
  const offsets = extra?.posWeightOffsets ?? null;
  if (p && offsets) {
    if (state!.gathered.length < count) state!.gathered = new Float64Array(count);
    const gathered = state!.gathered;
    const all = floatData('SigmoidBinaryCrossEntropyLoss', posWeight!.data);
    for (let j = 0; j < count; j++) gathered[j] = all[offsets[begin + j]!]!;
    p = gathered.subarray(0, count);
  }
  const predView = floatData('SigmoidBinaryCrossEntropyLoss', pred!.data).subarray(begin, end);
  // One literal of one shape for every case (spreading a partial object costs more than the
  // block's arithmetic at small sizes).
  return {
    logits: predView,
    pred: predView,
    labels: floatData('SigmoidBinaryCrossEntropyLoss', label!.data).subarray(begin, end),
    posWeight: p,
    labelScale,
    labelShift,
  };
}
