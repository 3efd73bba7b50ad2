/**
 * CTCLoss's wasm recursions (src/kernels/ctc.ts, ctc.wat) against the float64 TypeScript
 * reference (_ctc-forward.ts, _ctc-backward.ts on the 'js' backend): the same losses, gradients
 * and per-sample modes (linear space, log-space fallback, gradient 0) on random and adversarial
 * float32 batches — long sequences, repeated labels, infeasible samples, −∞ and huge logits,
 * zeroInfinity — the emissions within float64 rounding of Math.exp, and the enumeration of
 * every alignment on small batches.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ctcBetaLinear, setKernelBackend } from '../../src/kernels/index.js';
import { backwardSamples } from '../../src/loss/_ctc-backward.js';
import { forwardSamples } from '../../src/loss/_ctc-forward.js';
import {
  allocateState,
  type CTCSetup,
  emissionIndex,
  LINEAR,
  LOG_SPACE,
} from '../../src/loss/_ctc-lattice.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import {
  type BatchOptions,
  type BatchSizes,
  bruteForce,
  ctcBatch,
  frameOffset,
  randomBatch,
} from '../loss/_ctc-enumeration.js';

interface Float32Batch {
  readonly setup: CTCSetup;
  readonly logits: Float32Array;
}

/**
 * A random NTC (or TNC) batch as the kernels get it: {@link ctcBatch}'s draw with blank 0 and at
 * most 10 frames dropped per sample, the logits rounded to float32.
 */
function batchOf(
  generator: RandomGenerator,
  sizes: BatchSizes,
  options: Pick<BatchOptions, 'layout' | 'repeats' | 'zeroInfinity'> = {},
): Float32Batch {
  const { setup, logits } = ctcBatch(generator, sizes, { blank: 'first', maxDroppedFrames: 10, ...options });
  return { setup, logits: Float32Array.from(logits) };
}

/** Forward and backward of the whole batch on one backend, dℓ = 1 + b/10. */
function run(batch: Float32Batch, backend: 'wasm' | 'js') {
  setKernelBackend(backend);
  const { setup, logits } = batch;
  const state = allocateState(setup.batch, setup.time, setup.width);
  const out = new Float64Array(setup.batch);
  forwardSamples({ setup, state, logits, begin: 0, end: setup.batch, out, linearSpace: true });
  const afterForward = Array.from(state.modes);
  const dLoss = Float64Array.from({ length: setup.batch }, (_, b) => 1 + b / 10);
  const gradient = new Float32Array(logits.length);
  backwardSamples({ setup, state, logits, begin: 0, end: setup.batch, dLoss, gradient });
  return { out, afterForward, afterBackward: Array.from(state.modes), gradient, state, dLoss };
}

/** wasm and js agree: modes exactly, losses and gradients within float32-appropriate tolerance. */
function assertBackendsAgree(batch: Float32Batch, what: string) {
  const wasm = run(batch, 'wasm');
  const js = run(batch, 'js');
  assert.deepEqual(wasm.afterForward, js.afterForward, `${what}: modes after the forward`);
  assert.deepEqual(wasm.afterBackward, js.afterBackward, `${what}: modes after the backward`);
  for (let b = 0; b < batch.setup.batch; b++) {
    const [got, want] = [wasm.out[b]!, js.out[b]!];
    if (!Number.isFinite(want)) assert.equal(got, want, `${what}: loss of sample ${b}`);
    else
      assert.ok(Math.abs(got - want) <= 1e-5 * (1 + Math.abs(want)), `${what}: loss ${b}: ${got} vs ${want}`);
  }
  for (let i = 0; i < batch.logits.length; i++) {
    const [got, want] = [wasm.gradient[i]!, js.gradient[i]!];
    assert.ok(
      Math.abs(got - want) <= 2e-6 || (Number.isNaN(got) && Number.isNaN(want)),
      `${what}: gradient ${i}: ${got} vs ${want}`,
    );
  }
  return { wasm, js };
}

describe('CTC wasm recursions', () => {
  after(() => setKernelBackend('auto'));

  test('random batches, short and long, with and without repeated labels, agree with the reference', () => {
    const generator = new RandomGenerator(41);
    let linearSamples = 0;
    for (let trial = 0; trial < 24; trial++) {
      const long = trial % 4 === 3;
      const sizes = {
        batch: generator.nextInt(1, 6),
        time: long ? generator.nextInt(150, 260) : generator.nextInt(1, 30),
        classes: generator.nextInt(2, 12),
        width: long ? generator.nextInt(20, 70) : generator.nextInt(0, 8),
        scale: [0.5, 3, 8][trial % 3]!,
      };
      const batch = batchOf(generator, sizes, { repeats: trial % 2 === 1 });
      const { wasm } = assertBackendsAgree(batch, `trial ${trial}`);
      linearSamples += wasm.afterBackward.filter((mode) => mode === LINEAR).length;
    }
    assert.ok(linearSamples > 40, `only ${linearSamples} samples ran in linear space`);
  });

  test('the W5 shape (T=100, N=32, C=41, L=20) agrees with the reference in linear space', () => {
    const generator = new RandomGenerator(5);
    const batch = batchOf(generator, { batch: 32, time: 100, classes: 41, width: 20, scale: 2 });
    const { wasm } = assertBackendsAgree(batch, 'W5');
    assert.ok(wasm.afterBackward.filter((mode) => mode === LINEAR).length >= 30);
  });

  test('the emissions are e^{log y} within float64 rounding (the wasm exp)', () => {
    const generator = new RandomGenerator(43);
    for (const scale of [1, 30, 200]) {
      const batch = batchOf(generator, { batch: 4, time: 40, classes: 9, width: 6, scale });
      const { setup, logits } = batch;
      const { state } = run(batch, 'wasm');
      for (let b = 0; b < setup.batch; b++) {
        // Every frame of a sample that stayed in linear space has its emissions written.
        if (state.modes[b] !== LINEAR) continue;
        const labelCount = setup.labelLengths[b]!;
        for (let t = 0; t < setup.predLengths[b]!; t++) {
          const row = b * setup.time + t;
          for (let k = 0; k <= labelCount; k++) {
            const s = 2 * k - (k > 0 ? 1 : 0);
            assert.equal(emissionIndex(s), k);
            const cls = k === 0 ? setup.blank : setup.labels[b * setup.width + k - 1]!;
            const want = Math.exp(
              logits[frameOffset(setup, b, t) + cls]! - state.shift[row]! - state.logSum[row]!,
            );
            const got = state.emissions[row * (setup.width + 1) + k]!;
            assert.ok(
              Math.abs(got - want) <= 4e-16 * want,
              `scale ${scale}, (${b}, ${t}, ${k}): ${got} vs ${want}`,
            );
          }
        }
      }
    }
  });

  test('huge and −∞ logits take the same fallbacks as the reference', () => {
    const generator = new RandomGenerator(44);
    const sizes = { batch: 5, time: 60, classes: 6, width: 10, scale: 2 };
    // Logits so spread that the rescaled recursion underflows (log-space fallback).
    let fallbacks = 0;
    for (const scale of [120, 400, 1e4]) {
      const { wasm } = assertBackendsAgree(batchOf(generator, { ...sizes, scale }), `scale ${scale}`);
      fallbacks += wasm.afterBackward.filter((mode) => mode === LOG_SPACE).length;
    }
    assert.ok(fallbacks >= 3, `only ${fallbacks} samples fell back to log space`);
    // −∞ on a label class in every frame of sample 0 (probability 0: infinite loss, gradient 0),
    // on the blank in half the frames of sample 1, and ±1e30 in sample 2.
    const batch = batchOf(generator, sizes);
    const { setup, logits } = batch;
    setup.labelLengths[0] = Math.max(1, setup.labelLengths[0]!);
    setup.labels[0] = 3;
    for (let t = 0; t < setup.time; t++) {
      logits[frameOffset(setup, 0, t) + 3] = Number.NEGATIVE_INFINITY;
      if (t % 2 === 0) logits[frameOffset(setup, 1, t) + setup.blank] = Number.NEGATIVE_INFINITY;
      logits[frameOffset(setup, 2, t) + (t % setup.classes)] = t % 3 === 0 ? 1e30 : -1e30;
    }
    const { wasm } = assertBackendsAgree(batch, '−∞ and ±1e30 logits');
    assert.equal(wasm.out[0], Number.POSITIVE_INFINITY);
  });

  test('infeasible samples, zeroInfinity and the TNC layout agree with the reference', () => {
    const generator = new RandomGenerator(45);
    for (const zeroInfinity of [false, true]) {
      for (const layout of ['NTC', 'TNC'] as const) {
        // Labels of up to 12 with repeats in as few as 5 frames: many infeasible samples.
        const batch = batchOf(
          generator,
          { batch: 8, time: 14, classes: 4, width: 12, scale: 2 },
          { layout, repeats: true, zeroInfinity },
        );
        const { wasm } = assertBackendsAgree(batch, `zeroInfinity ${zeroInfinity}, ${layout}`);
        for (let b = 0; b < batch.setup.batch; b++) {
          if (batch.setup.feasible[b]) continue;
          assert.equal(wasm.out[b], zeroInfinity ? 0 : Number.POSITIVE_INFINITY);
        }
      }
    }
  });

  test('the wasm losses and gradients equal the sum over all alignments', () => {
    setKernelBackend('wasm');
    const generator = new RandomGenerator(46);
    let compared = 0;
    for (let trial = 0; trial < 40; trial++) {
      const small = randomBatch(generator, 'NTC', 3);
      const logits = Float32Array.from(small.logits);
      const exact = Float64Array.from(logits);
      const { setup } = small;
      const { out, gradient, dLoss } = run({ setup, logits }, 'wasm');
      for (let b = 0; b < setup.batch; b++) {
        if (!setup.feasible[b]) continue;
        const expected = bruteForce(setup, exact, b);
        assert.ok(Math.abs(out[b]! - expected.loss) <= 1e-5 * (1 + expected.loss), `trial ${trial}: loss`);
        for (let t = 0; t < setup.predLengths[b]!; t++) {
          for (let k = 0; k < setup.classes; k++) {
            const got = gradient[frameOffset(setup, b, t) + k]!;
            assert.ok(Math.abs(got - dLoss[b]! * expected.grad[t]![k]!) <= 2e-6, `trial ${trial}: gradient`);
          }
        }
        compared++;
      }
    }
    assert.ok(compared > 30, `only ${compared} samples compared`);
  });

  test('the β kernel subtracts dℓ·γ from strided gradient rows, and only from an accepted sample', () => {
    setKernelBackend('wasm');
    // A blank-only label (S = 1) over 2 frames: γ_t(blank) = 1, so dℓ = 3 comes off each frame's
    // blank; rows of C = 3 at a stride of 5 (the TNC layout), the 2 elements between them untouched.
    const recursion = (alphas: Float64Array, gradient: Float32Array, underflowMargin = 700) =>
      ctcBetaLinear({
        emissions: Float64Array.of(0.5, 0, 0.25, 0),
        emissionWidth: 2,
        // Frame 1's emission flagged as underflowed: the β step into frame 0 counts for the bound.
        emissionUnderflows: Uint8Array.of(0, 1),
        alphas,
        states: 3,
        extended: Int32Array.of(1),
        skip: new Uint8Array(1),
        count: 1,
        frames: 2,
        scale: 3,
        gradient,
        classes: 3,
        frameStride: 5,
        logLikelihood: Math.log(0.125),
        underflowMargin,
      });
    const gradient = Float32Array.of(1, 2, 4, 8, 16, 32, 64, 128);
    assert.equal(recursion(Float64Array.of(1, 0, 0, 1, 0, 0), gradient), true);
    assert.deepEqual(Array.from(gradient), [1, -1, 4, 8, 16, 32, 61, 128]);
    // α̂ of 0 in a frame: the occupancy sum is 0, the caller falls back, the rows stay as they were.
    assert.equal(recursion(Float64Array.of(1, 0, 0, 0, 0, 0), gradient), false);
    assert.deepEqual(Array.from(gradient), [1, -1, 4, 8, 16, 32, 61, 128]);
    // Every sum usable but the underflow bound missed (the kernel ran; its rows are dropped).
    assert.equal(recursion(Float64Array.of(1, 0, 0, 1, 0, 0), gradient, -1000), false);
    assert.deepEqual(Array.from(gradient), [1, -1, 4, 8, 16, 32, 61, 128]);
  });
});
