/**
 * What the CTC recursion tests share (_ctc-forward.test.ts, _ctc-backward.test.ts): random batches
 * small enough to enumerate (C^T paths) in either pred layout, the loss and gradient of a sample
 * by a brute-force sum over every frame alignment, and a run of the recursions over a batch.
 */
import assert from 'node:assert/strict';
import { backwardSamples } from '../../src/loss/_ctc-backward.js';
import { forwardSamples } from '../../src/loss/_ctc-forward.js';
import { allocateState, type CTCSetup, type CTCState } from '../../src/loss/_ctc-lattice.js';
import type { RandomGenerator } from '../../src/ndarray/random.js';

/** One batch: float64 logits in NTC or TNC order, labels and lengths. */
export interface Batch {
  readonly setup: CTCSetup;
  readonly logits: Float64Array;
}

/** A batch's sizes, and the logits' spread: each logit is uniform in (−scale, scale). */
export interface BatchSizes {
  readonly batch: number;
  readonly time: number;
  readonly classes: number;
  /** Label columns: each sample's label length is uniform in [0, width]. */
  readonly width: number;
  readonly scale: number;
}

/** How {@link ctcBatch} draws; every default is what {@link randomBatch} uses. */
export interface BatchOptions {
  /** Order of the logits: NTC (default) or TNC. */
  readonly layout?: 'NTC' | 'TNC';
  /** The blank class: 'last' (C − 1, default, Gluon's) or 'first' (0); labels never use it. */
  readonly blank?: 'first' | 'last';
  /** Each label after the first repeats its predecessor with probability 1/2 (default: independent). */
  readonly repeats?: boolean;
  /** A sample's frames are uniform in [max(0, time − this), time] (default: in [0, time]). */
  readonly maxDroppedFrames?: number;
  readonly zeroInfinity?: boolean;
}

/**
 * One random batch of the given sizes: per sample a label length, a frame count and the labels
 * (in that order from `generator`), then the logits; a sample is feasible when its labels and their
 * repeats fit its frames. Seeded draws depend only on the sizes and options.
 */
export function ctcBatch(generator: RandomGenerator, sizes: BatchSizes, options: BatchOptions = {}): Batch {
  const { batch, time, classes, width, scale } = sizes;
  const layout = options.layout ?? 'NTC';
  const blank = options.blank === 'first' ? 0 : classes - 1;
  const [lowest, end] = blank === 0 ? [1, classes] : [0, blank];
  const fewestFrames = Math.max(0, time - (options.maxDroppedFrames ?? Number.POSITIVE_INFINITY));
  const labels = new Int32Array(batch * width);
  const labelLengths = new Int32Array(batch);
  const predLengths = new Int32Array(batch);
  const feasible = new Uint8Array(batch);
  for (let b = 0; b < batch; b++) {
    labelLengths[b] = generator.nextInt(0, width + 1);
    predLengths[b] = generator.nextInt(fewestFrames, time + 1);
    let repeats = 0;
    for (let j = 0; j < labelLengths[b]!; j++) {
      const repeat = options.repeats && j > 0 && generator.nextDouble() < 0.5;
      labels[b * width + j] = repeat ? labels[b * width + j - 1]! : generator.nextInt(lowest, end);
      if (j > 0 && labels[b * width + j] === labels[b * width + j - 1]) repeats++;
    }
    feasible[b] = labelLengths[b]! + repeats <= predLengths[b]! ? 1 : 0;
  }
  const logits = new Float64Array(batch * time * classes);
  for (let i = 0; i < logits.length; i++) logits[i] = (2 * generator.nextDouble() - 1) * scale;
  const setup: CTCSetup = {
    batch,
    time,
    classes,
    width,
    batchRowStride: layout === 'NTC' ? time : 1,
    timeRowStride: layout === 'NTC' ? 1 : batch,
    blank,
    labels,
    labelLengths,
    predLengths,
    feasible,
    zeroInfinity: options.zeroInfinity ?? false,
  };
  return { setup, logits };
}

/**
 * A batch small enough to enumerate every alignment (at most 3 samples, 5 frames, 4 classes, labels
 * of up to 3), its sizes drawn from `generator` first; blank = C − 1, any frame count.
 */
export function randomBatch(generator: RandomGenerator, layout: 'NTC' | 'TNC', scale: number): Batch {
  const batch = generator.nextInt(1, 4);
  const time = generator.nextInt(1, 6);
  const classes = generator.nextInt(2, 5);
  const width = generator.nextInt(0, Math.min(time, 3) + 1);
  return ctcBatch(generator, { batch, time, classes, width, scale }, { layout });
}

/** Offset of frame (b, t) in the logits. */
export function frameOffset(setup: CTCSetup, b: number, t: number): number {
  return (b * setup.batchRowStride + t * setup.timeRowStride) * setup.classes;
}

/**
 * −log p and ∂ℓ/∂x by enumeration: p = Σ over the C^{T_b} paths π that collapse (merge repeats,
 * drop blanks) to the label of Π_t y_t(π_t), and ∂ℓ/∂x_t(k) = y_t(k) − γ_t(k) with γ_t(k) the
 * share of p carried by paths with π_t = k. Path probabilities stay logs (log p = log Σ e^{log P(π)}
 * with the largest factored out), so logits of ±1e3 enumerate without underflow.
 */
export function bruteForce(
  setup: CTCSetup,
  logits: Float64Array,
  b: number,
): { loss: number; grad: number[][] } {
  const { classes, blank, width } = setup;
  const frames = setup.predLengths[b]!;
  const label = Array.from(setup.labels.subarray(b * width, b * width + setup.labelLengths[b]!));
  const logSoftmax: number[][] = [];
  for (let t = 0; t < frames; t++) {
    const row = Array.from(logits.subarray(frameOffset(setup, b, t), frameOffset(setup, b, t) + classes));
    const peak = Math.max(...row);
    const logTotal = peak + Math.log(row.reduce((sum, v) => sum + Math.exp(v - peak), 0));
    logSoftmax.push(row.map((v) => v - logTotal));
  }
  const aligned: { path: number[]; logProbability: number }[] = [];
  const paths = classes ** frames;
  for (let index = 0; index < paths; index++) {
    const path: number[] = [];
    for (let t = 0, rest = index; t < frames; t++, rest = Math.floor(rest / classes))
      path.push(rest % classes);
    const collapsed = path.filter((k, t) => k !== blank && (t === 0 || k !== path[t - 1]));
    if (collapsed.length !== label.length || collapsed.some((k, j) => k !== label[j])) continue;
    aligned.push({ path, logProbability: path.reduce((sum, k, t) => sum + logSoftmax[t]![k]!, 0) });
  }
  const peak = Math.max(...aligned.map((a) => a.logProbability));
  const logP = peak + Math.log(aligned.reduce((sum, a) => sum + Math.exp(a.logProbability - peak), 0));
  const occupancy = Array.from({ length: frames }, () => new Array<number>(classes).fill(0));
  for (const { path, logProbability } of aligned) {
    const share = Math.exp(logProbability - logP);
    for (let t = 0; t < frames; t++) occupancy[t]![path[t]!]! += share;
  }
  const grad = logSoftmax.map((row, t) => row.map((logY, k) => Math.exp(logY) - occupancy[t]![k]!));
  return { loss: -logP, grad };
}

/** Runs forwardSamples over the whole batch; the state is left for {@link backwardOfBatch}. */
export function forwardOfBatch(batch: Batch, linearSpace: boolean) {
  const { setup, logits } = batch;
  const state = allocateState(setup.batch, setup.time, setup.width);
  const out = new Float64Array(setup.batch);
  forwardSamples({ setup, state, logits, begin: 0, end: setup.batch, out, linearSpace });
  return { state, out, afterForward: Array.from(state.modes) };
}

/** Runs backwardSamples over the whole batch with dℓ = `dLoss`, from the state the forward left. */
export function backwardOfBatch(batch: Batch, state: CTCState, dLoss: Float64Array) {
  const { setup, logits } = batch;
  const gradient = new Float64Array(logits.length);
  backwardSamples({ setup, state, logits, begin: 0, end: setup.batch, dLoss, gradient });
  return { gradient, afterBackward: Array.from(state.modes) };
}

/** Runs forwardSamples and backwardSamples over the whole batch with dℓ = `dLoss`. */
export function recursions(batch: Batch, linearSpace: boolean, dLoss: Float64Array) {
  const { state, out, afterForward } = forwardOfBatch(batch, linearSpace);
  return { out, afterForward, ...backwardOfBatch(batch, state, dLoss) };
}

/** Compares the loss of sample b with enumeration. */
export function assertLossMatchesEnumeration(out: Float64Array, batch: Batch, b: number, what: string) {
  assertNear(out[b]!, bruteForce(batch.setup, batch.logits, b).loss, 1e-12, `${what}: loss`);
}

/** Compares the gradient of sample b with enumeration (dℓ = dLoss[b]). */
export function assertGradientMatchesEnumeration(
  gradient: Float64Array,
  batch: Batch,
  b: number,
  dLoss: Float64Array,
  what: string,
) {
  const { setup } = batch;
  const expected = bruteForce(setup, batch.logits, b);
  for (let t = 0; t < setup.time; t++) {
    const at = frameOffset(setup, b, t);
    for (let k = 0; k < setup.classes; k++) {
      // Frames past the sample's length get no gradient.
      const want = t < setup.predLengths[b]! ? dLoss[b]! * expected.grad[t]![k]! : 0;
      assertNear(gradient[at + k]!, want, 1e-12, `${what}: gradient (t ${t}, k ${k})`);
    }
  }
}

function assertNear(actual: number, expected: number, tolerance: number, what: string) {
  assert.ok(
    Math.abs(actual - expected) <= tolerance * (1 + Math.abs(expected)),
    `${what}: got ${actual}, expected ${expected}`,
  );
}
