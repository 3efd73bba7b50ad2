/**
 * The CTC recursions on their own: the rescaled linear-space and the log-space α/β recursions
 * against a brute-force sum over every frame alignment, for sizes small enough to enumerate
 * (C^T paths), in both pred layouts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  allocateState,
  backwardSamples,
  type CTCSetup,
  extendLabel,
  forwardSamples,
  LINEAR,
  LOG_SPACE,
  ZERO_GRADIENT,
} from '../../src/loss/_ctc-recursions.js';
import { RandomGenerator } from '../../src/ndarray/random.js';

/** One random batch: logits in NTC or TNC order, labels and lengths (blank = C − 1). */
interface Batch {
  readonly setup: CTCSetup;
  readonly logits: Float64Array;
}

function randomBatch(generator: RandomGenerator, layout: 'NTC' | 'TNC', scale: number): Batch {
  const batch = generator.nextInt(1, 4);
  const time = generator.nextInt(1, 6);
  const classes = generator.nextInt(2, 5);
  const width = generator.nextInt(0, Math.min(time, 3) + 1);
  const blank = classes - 1;
  const labels = new Int32Array(batch * width);
  const labelLengths = new Int32Array(batch);
  const predLengths = new Int32Array(batch);
  const feasible = new Uint8Array(batch);
  for (let b = 0; b < batch; b++) {
    labelLengths[b] = generator.nextInt(0, width + 1);
    predLengths[b] = generator.nextInt(0, time + 1);
    let repeats = 0;
    for (let j = 0; j < labelLengths[b]!; j++) {
      labels[b * width + j] = generator.nextInt(0, blank);
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
    zeroInfinity: false,
  };
  return { setup, logits };
}

/** Offset of frame (b, t) in the logits. */
function frameOffset(setup: CTCSetup, b: number, t: number): number {
  return (b * setup.batchRowStride + t * setup.timeRowStride) * setup.classes;
}

/**
 * −log p and ∂ℓ/∂x by enumeration: p = Σ over the C^{T_b} paths π that collapse (merge repeats,
 * drop blanks) to the label of Π_t y_t(π_t), and ∂ℓ/∂x_t(k) = y_t(k) − γ_t(k) with γ_t(k) the
 * share of p carried by paths with π_t = k. Path probabilities stay logs (log p = log Σ e^{log P(π)}
 * with the largest factored out), so logits of ±1e3 enumerate without underflow.
 */
function bruteForce(setup: CTCSetup, logits: Float64Array, b: number): { loss: number; grad: number[][] } {
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

/** Compares a run's loss and gradient of sample b with enumeration (dℓ = dLoss[b]). */
function assertMatchesEnumeration(
  run: { out: Float64Array; gradient: Float64Array },
  batch: Batch,
  b: number,
  dLoss: Float64Array,
  what: string,
) {
  const { setup } = batch;
  const expected = bruteForce(setup, batch.logits, b);
  assertNear(run.out[b]!, expected.loss, 1e-12, `${what}: loss`);
  for (let t = 0; t < setup.time; t++) {
    const at = frameOffset(setup, b, t);
    for (let k = 0; k < setup.classes; k++) {
      // Frames past the sample's length get no gradient.
      const want = t < setup.predLengths[b]! ? dLoss[b]! * expected.grad[t]![k]! : 0;
      assertNear(run.gradient[at + k]!, want, 1e-12, `${what}: gradient (t ${t}, k ${k})`);
    }
  }
}

/** Runs forwardSamples and backwardSamples over the whole batch with dℓ = `dLoss`. */
function recursions(batch: Batch, linearSpace: boolean, dLoss: Float64Array) {
  const { setup, logits } = batch;
  const state = allocateState(setup.batch, setup.time, setup.width);
  const out = new Float64Array(setup.batch);
  const common = { setup, state, logits, begin: 0, end: setup.batch };
  forwardSamples({ ...common, out, linearSpace });
  const afterForward = Array.from(state.modes);
  const gradient = new Float64Array(logits.length);
  backwardSamples({ ...common, dLoss, gradient });
  return { out, gradient, afterForward, afterBackward: Array.from(state.modes) };
}

function assertNear(actual: number, expected: number, tolerance: number, what: string) {
  assert.ok(
    Math.abs(actual - expected) <= tolerance * (1 + Math.abs(expected)),
    `${what}: got ${actual}, expected ${expected}`,
  );
}

describe('CTC recursions', () => {
  test('extendLabel: blanks around every label, jumps only between different labels', () => {
    const setup = randomBatch(new RandomGenerator(1), 'NTC', 1).setup;
    const labels = new Int32Array([0, 0, 1]);
    const three = { ...setup, width: 3, blank: 2, labels, labelLengths: new Int32Array([3]) };
    const extended = new Int32Array(7);
    const skip = new Uint8Array(7);
    assert.equal(extendLabel(three, 0, extended, skip), 7);
    assert.deepEqual(Array.from(extended), [2, 0, 2, 0, 2, 1, 2]);
    assert.deepEqual(Array.from(skip), [0, 0, 0, 0, 0, 1, 0]);
  });

  for (const layout of ['NTC', 'TNC'] as const) {
    test(`linear-space and log-space recursions equal the sum over all alignments (${layout})`, () => {
      const generator = new RandomGenerator(layout === 'NTC' ? 11 : 12);
      let feasibleSamples = 0;
      for (let trial = 0; trial < 60; trial++) {
        const batch = randomBatch(generator, layout, 3);
        const { setup } = batch;
        const dLoss = new Float64Array(setup.batch);
        for (let b = 0; b < setup.batch; b++) dLoss[b] = 0.5 + generator.nextDouble();
        const linear = recursions(batch, true, dLoss);
        const logSpace = recursions(batch, false, dLoss);
        for (let b = 0; b < setup.batch; b++) {
          const what = `trial ${trial} (${layout}), sample ${b}`;
          if (!setup.feasible[b]) {
            for (const run of [linear, logSpace]) {
              assert.equal(run.out[b], Number.POSITIVE_INFINITY, `${what}: loss`);
              assert.equal(run.afterForward[b], ZERO_GRADIENT, `${what}: mode`);
            }
            continue;
          }
          feasibleSamples++;
          assert.equal(linear.afterForward[b], LINEAR, `${what}: the linear path ran`);
          assert.equal(linear.afterBackward[b], LINEAR, `${what}: the linear backward held`);
          assert.equal(logSpace.afterForward[b], LOG_SPACE, `${what}: the log-space path ran`);
          assertMatchesEnumeration(linear, batch, b, dLoss, `${what}, linear space`);
          assertMatchesEnumeration(logSpace, batch, b, dLoss, `${what}, log space`);
        }
      }
      assert.ok(feasibleSamples > 50, `only ${feasibleSamples} feasible samples were compared`);
    });
  }

  test('logits of ±1e3: samples the rescaled recursion cannot carry fall back to log space', () => {
    const generator = new RandomGenerator(21);
    let fellBack = 0;
    let compared = 0;
    for (let trial = 0; trial < 40; trial++) {
      const batch = randomBatch(generator, trial % 2 ? 'NTC' : 'TNC', 1e3);
      const { setup } = batch;
      const dLoss = new Float64Array(setup.batch).fill(1);
      const linear = recursions(batch, true, dLoss);
      for (let b = 0; b < setup.batch; b++) {
        if (!setup.feasible[b]) continue;
        compared++;
        if (linear.afterBackward[b] === LOG_SPACE) fellBack++;
        assertMatchesEnumeration(linear, batch, b, dLoss, `trial ${trial}, sample ${b}`);
      }
    }
    assert.ok(compared > 20, `only ${compared} samples were compared`);
    assert.ok(fellBack > 0, 'no sample took the log-space fallback');
  });
});
