/**
 * A TensorFlow.js model trained with `model.fit` on gloss's CTCLoss, which TF.js does not have.
 *
 * The task: read short digit strings ("3", "0 7 7", …) from sequences of frames. Each digit is
 * drawn as 2 noisy one-hot frames, with a "silence" frame between two equal digits (and sometimes
 * elsewhere); the model never sees where a digit starts. CTC learns the alignment; greedy decoding
 * (most likely class per frame, repeats merged, blanks dropped) reads the string back.
 *
 * Run: `npx tsx examples/tfjs-ctc.ts` (about a few seconds on one CPU core).
 */
import './_tfjs-node.js'; // Node only: tfjs-core's gradients without the @tensorflow/tfjs bundle
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { gluon } from 'gloss-ml';
import { packTargets, tfjsLoss } from 'gloss-ml/tfjs';

const FRAMES = 12; // T
const DIGITS = 10; // classes 0..9; class 10 is CTC's blank (gloss's default: the last class)
const FEATURES = DIGITS + 1; // one-hot digit or silence
const MAX_LENGTH = 4; // labels per sequence, padded with -1
const NOISE = 0.2;

/** A small seeded generator (mulberry32), so that every run trains the same model. */
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

/** `count` digit strings drawn as frames: inputs [count, T, F], labels [count, 4], lengths [count]. */
function makeData(count: number, seed: number) {
  const random = generator(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const frames = new Float32Array(count * FRAMES * FEATURES);
  const labels = new Float32Array(count * MAX_LENGTH).fill(-1);
  const lengths = new Float32Array(count);
  const strings: number[][] = [];
  for (let n = 0; n < count; n++) {
    const length = 1 + Math.floor(random() * MAX_LENGTH);
    const digits: number[] = [];
    const classes: number[] = []; // per frame: a digit, or DIGITS for silence
    for (let i = 0; i < length; i++) {
      const digit = Math.floor(random() * DIGITS);
      if (i > 0 && (digit === digits[i - 1] || random() < 0.3)) classes.push(DIGITS);
      digits.push(digit);
      classes.push(digit, digit);
    }
    while (classes.length < FRAMES) classes.push(DIGITS);
    classes.forEach((c, t) => {
      for (let f = 0; f < FEATURES; f++) {
        frames[(n * FRAMES + t) * FEATURES + f] = (f === c ? 1 : 0) + NOISE * gaussian();
      }
    });
    digits.forEach((digit, i) => {
      labels[n * MAX_LENGTH + i] = digit;
    });
    lengths[n] = length;
    strings.push(digits);
  }
  return { inputs: tf.tensor3d(frames, [count, FRAMES, FEATURES]), labels, lengths, strings };
}

/** Greedy CTC decoding of logits [count, T, C]: best class per frame, repeats merged, blanks dropped. */
function greedyDecode(logits: Float32Array, count: number): number[][] {
  const classes = DIGITS + 1;
  const decoded: number[][] = [];
  for (let n = 0; n < count; n++) {
    const out: number[] = [];
    let previous = -1;
    for (let t = 0; t < FRAMES; t++) {
      let best = 0;
      for (let c = 1; c < classes; c++) {
        if (logits[(n * FRAMES + t) * classes + c]! > logits[(n * FRAMES + t) * classes + best]!) best = c;
      }
      if (best !== previous && best !== DIGITS) out.push(best);
      previous = best;
    }
    decoded.push(out);
  }
  return decoded;
}

// The model: the same two dense layers on every frame; its output is CTC's logits [N, T, C].
const model = tfl.sequential({
  layers: [
    tfl.layers.dense({
      inputShape: [FRAMES, FEATURES],
      units: 32,
      activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
    tfl.layers.dense({ units: DIGITS + 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
  ],
});

// gloss's CTC as the model's loss. `model.fit` passes one target tensor shaped like the output
// ([N, T, C]), so the labels and their lengths are packed into it: each sample's row starts with
// its 4 labels, then its label length.
const targets = { label: [MAX_LENGTH], labelLengths: [] };
model.compile({ optimizer: tf.train.adam(0.03), loss: tfjsLoss(new gluon.loss.CTCLoss(), { targets }) });

const train = makeData(1000, 1);
const yTrain = packTargets(targets, { label: train.labels, labelLengths: train.lengths }, [
  FRAMES,
  DIGITS + 1,
]);
const history = await model.fit(train.inputs, yTrain, {
  epochs: 8,
  batchSize: 50,
  shuffle: false,
  verbose: 0,
});
const losses = history.history.loss as number[];
console.log(
  `CTC loss per sequence: ${losses[0]!.toFixed(3)} (epoch 1) -> ${losses.at(-1)!.toFixed(3)} (epoch ${losses.length})`,
);

const heldOut = makeData(300, 2);
const prediction = model.predict(heldOut.inputs) as tf.Tensor;
const decoded = greedyDecode(prediction.dataSync() as Float32Array, 300);
const correct = decoded.filter((digits, n) => digits.join(' ') === heldOut.strings[n]!.join(' ')).length;
console.log(`held-out sequences read exactly: ${correct}/300 = ${((100 * correct) / 300).toFixed(1)}%`);
console.log(`e.g. ${heldOut.strings[0]!.join(' ')} -> ${decoded[0]!.join(' ')}`);
