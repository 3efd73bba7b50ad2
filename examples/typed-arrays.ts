/**
 * A two-layer network written by hand on Float32Arrays, trained with gloss's SigmoidBCE from
 * `gloss-ml/kernels`: one call gives each sample's loss and the gradient with respect to the
 * logits, into arrays this file owns; everything else (forward, backward, SGD) is plain loops.
 *
 * The task: XOR in the plane (label 1 where x·y > 0), which no linear model separates.
 *
 * Run: `npx tsx examples/typed-arrays.ts`.
 */
import { sigmoidBCEKernel } from 'gloss-ml/kernels';

const SAMPLES = 256;
const HIDDEN = 16;
const STEPS = 1500;
const LEARNING_RATE = 0.5;

/** A small seeded generator (mulberry32). */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = generator(7);

// Data: points in [-1, 1]², label 1 where x·y > 0.
const inputs = new Float32Array(SAMPLES * 2);
const labels = new Float32Array(SAMPLES);
for (let n = 0; n < SAMPLES; n++) {
  const x = 2 * random() - 1;
  const y = 2 * random() - 1;
  inputs[2 * n] = x;
  inputs[2 * n + 1] = y;
  labels[n] = x * y > 0 ? 1 : 0;
}

// Parameters: hidden = tanh(inputs · w1 + b1), logit = hidden · w2 + b2.
const w1 = Float32Array.from({ length: 2 * HIDDEN }, () => 2 * random() - 1);
const b1 = new Float32Array(HIDDEN);
const w2 = Float32Array.from({ length: HIDDEN }, () => (2 * random() - 1) / Math.sqrt(HIDDEN));
const b2 = new Float32Array(1);

// Every buffer of a step, made once.
const hidden = new Float32Array(SAMPLES * HIDDEN);
const logits = new Float32Array(SAMPLES);
const losses = new Float32Array(SAMPLES);
const dLogits = new Float32Array(SAMPLES);
const dW1 = new Float32Array(2 * HIDDEN);
const dB1 = new Float32Array(HIDDEN);
const dW2 = new Float32Array(HIDDEN);
const bce = sigmoidBCEKernel();

function forward(): void {
  for (let n = 0; n < SAMPLES; n++) {
    let logit = b2[0]!;
    for (let h = 0; h < HIDDEN; h++) {
      const a = Math.tanh(inputs[2 * n]! * w1[h]! + inputs[2 * n + 1]! * w1[HIDDEN + h]! + b1[h]!);
      hidden[n * HIDDEN + h] = a;
      logit += a * w2[h]!;
    }
    logits[n] = logit;
  }
}

function accuracy(): number {
  let correct = 0;
  for (let n = 0; n < SAMPLES; n++) if (logits[n]! > 0 === (labels[n] === 1)) correct++;
  return correct / SAMPLES;
}

const mean = (values: Float32Array) => values.reduce((sum, v) => sum + v, 0) / values.length;

forward();
bce({ pred: logits, label: labels, loss: losses, gradient: dLogits });
const startLoss = mean(losses);
const startAccuracy = accuracy();

for (let step = 0; step < STEPS; step++) {
  forward();
  // gloss: each sample's loss and d(Σ losses)/d logits, in one call.
  bce({ pred: logits, label: labels, loss: losses, gradient: dLogits });
  // Backward by hand: gradients of the summed loss, accumulated over the batch.
  dW1.fill(0);
  dB1.fill(0);
  dW2.fill(0);
  let dB2 = 0;
  for (let n = 0; n < SAMPLES; n++) {
    const g = dLogits[n]!;
    dB2 += g;
    for (let h = 0; h < HIDDEN; h++) {
      const a = hidden[n * HIDDEN + h]!;
      const dPre = g * w2[h]! * (1 - a * a);
      dW2[h] = dW2[h]! + g * a;
      dW1[h] = dW1[h]! + dPre * inputs[2 * n]!;
      dW1[HIDDEN + h] = dW1[HIDDEN + h]! + dPre * inputs[2 * n + 1]!;
      dB1[h] = dB1[h]! + dPre;
    }
  }
  // SGD on the batch mean: rate / SAMPLES times the summed gradient.
  const rate = LEARNING_RATE / SAMPLES;
  for (let i = 0; i < w1.length; i++) w1[i] = w1[i]! - rate * dW1[i]!;
  for (let h = 0; h < HIDDEN; h++) {
    b1[h] = b1[h]! - rate * dB1[h]!;
    w2[h] = w2[h]! - rate * dW2[h]!;
  }
  b2[0] = b2[0]! - rate * dB2;
}

forward();
bce({ pred: logits, label: labels, loss: losses, gradient: dLogits });
console.log(`mean loss: ${startLoss.toFixed(4)} -> ${mean(losses).toFixed(4)}`);
console.log(`accuracy: ${(100 * startAccuracy).toFixed(1)}% -> ${(100 * accuracy()).toFixed(1)}%`);
