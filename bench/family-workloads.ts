/**
 * SoftmaxCrossEntropyLoss's family on W2's shape [4096,1000] (issue 15, deliverable 1):
 * SoftmaxCrossEntropyLoss with dense labels (W2d), KLDivLoss on log-probabilities (W10, Gluon's
 * default) and on logits (W10l), SoftmaxFocalLoss with sparse labels (W11) and NLLLoss (W12). TF.js has none of them as a loss, so its steps compose them
 * from its ops, as a TF.js user would; PyTorch has kl_div and nll_loss, and focal composed.
 */
import { nd, type NDArray } from 'gloss-ml';
import {
  floorPass,
  glossStep,
  has,
  losses,
  seeded,
  type Tensor,
  type Tf,
  tensorsOf,
  tfjsLossStep,
  torchInput,
  type Workload,
} from './workload-parts.js';

const N = 4096;
const C = 1000;
/** Gluon's ε inside log(label + ε) (KLDivLoss). */
const EPSILON = 1e-12;
/** SoftmaxFocalLoss's defaults. */
const ALPHA = 0.25;
const GAMMA = 2;

/** The bytes a minimal pass moves: pred read, label read, gradient written, a loss per sample. */
const denseBytes = 4 * (3 * N * C + N);
const sparseBytes = 4 * (2 * N * C + 2 * N);

export function softmaxFamily(list: Workload[]): void {
  const [logits, labels, target] = seeded(7, () => [
    nd.random.normal(0, 2, [N, C]),
    nd.random.randint(0, C, [N]),
    nd.softmax(nd.random.normal(0, 1, [N, C])),
  ]);
  const logProbabilities = nd.logSoftmax(logits!);
  const oneHot = labels!.oneHot(C);
  const floats = (a: NDArray) => a.data as Float32Array;
  const denseFloor = (pred: NDArray) => floorPass([floats(pred), floats(target!)], [N * C, N]);
  const sparseFloor = (pred: NDArray) =>
    floorPass([floats(pred), floats(labels!.astype('float32'))], [N * C, N]);
  // Σ_samples of gloss's per-sample output: Σ ℓ / C for KLDiv's Gluon mean, Σ ℓ for the others.
  const klTerms = (tf: Tf, z: Tensor, logP: Tensor) => tf.mul(z, tf.sub(tf.log(tf.add(z, EPSILON)), logP));
  if (has('KLDivLoss')) {
    list.push({
      id: 'W10',
      title: `KLDivLoss on log-probabilities [${N},${C}] (Gluon default)`,
      kind: 'loss',
      elements: N * C,
      bytes: denseBytes,
      gloss: glossStep(new losses.KLDivLoss!(), logProbabilities, target!),
      tfjs: (tf) => {
        const [p, z] = tensorsOf(tf, logProbabilities, target!);
        return tfjsLossStep(tf, p!, (x) => tf.div(tf.sum(klTerms(tf, z!, x)), C) as Tensor);
      },
      tfjsNote: 'tfjs has no KL-divergence loss: composed from log, sub, mul and sum',
      pytorch: {
        kind: 'kl_div',
        inputs: { pred: torchInput(logProbabilities), label: torchInput(target!) },
      },
      floor: denseFloor(logProbabilities),
    });
    list.push({
      id: 'W10l',
      title: `KLDivLoss fromLogits: false [${N},${C}]`,
      kind: 'loss',
      elements: N * C,
      bytes: denseBytes,
      gloss: glossStep(new losses.KLDivLoss!({ fromLogits: false }), logits!, target!),
      tfjs: (tf) => {
        const [p, z] = tensorsOf(tf, logits!, target!);
        return tfjsLossStep(tf, p!, (x) => tf.div(tf.sum(klTerms(tf, z!, tf.logSoftmax(x))), C) as Tensor);
      },
      tfjsNote: 'tfjs has no KL-divergence loss: composed from logSoftmax, log, sub, mul and sum',
      pytorch: {
        kind: 'kl_div_logits',
        inputs: { pred: torchInput(logits!), label: torchInput(target!) },
      },
      floor: denseFloor(logits!),
    });
  }
  if (has('SoftmaxCrossEntropyLoss')) {
    list.push({
      id: 'W2d',
      title: `SoftmaxCrossEntropyLoss dense labels [${N},${C}]`,
      kind: 'loss',
      elements: N * C,
      bytes: denseBytes,
      gloss: glossStep(new losses.SoftmaxCrossEntropyLoss!({ sparseLabel: false }), logits!, target!),
      tfjs: (tf) => {
        const [p, z] = tensorsOf(tf, logits!, target!);
        return tfjsLossStep(tf, p!, (x) =>
          tf.losses.softmaxCrossEntropy(z!, x, undefined, 0, tf.Reduction.SUM),
        );
      },
      pytorch: {
        kind: 'softmax_ce_dense',
        inputs: { pred: torchInput(logits!), label: torchInput(target!) },
      },
      floor: denseFloor(logits!),
    });
  }
  if (has('SoftmaxFocalLoss')) {
    list.push({
      id: 'W11',
      title: `SoftmaxFocalLoss sparse [${N},${C}] alpha ${ALPHA}, gamma ${GAMMA}`,
      kind: 'loss',
      elements: N * C,
      bytes: sparseBytes,
      gloss: glossStep(new losses.SoftmaxFocalLoss!({ alpha: ALPHA, gamma: GAMMA }), logits!, labels!),
      tfjs: (tf) => {
        const [p, y] = tensorsOf(tf, logits!, oneHot);
        return tfjsLossStep(tf, p!, (x) => {
          // −α (1 − p_y)^γ log p_y, with log p_y picked by the one-hot row.
          const logPy = tf.sum(tf.mul(y!, tf.logSoftmax(x)), 1);
          const focus = tf.pow(tf.sub(1, tf.exp(logPy)), GAMMA);
          return tf.mul(-ALPHA, tf.sum(tf.mul(focus, logPy))) as Tensor;
        });
      },
      tfjsNote:
        'tfjs has no focal loss: composed from logSoftmax and one-hot labels built outside the timed region',
      pytorch: {
        kind: 'softmax_focal',
        options: { alpha: ALPHA, gamma: GAMMA },
        inputs: { pred: torchInput(logits!), label: torchInput(labels!) },
      },
      floor: sparseFloor(logits!),
    });
  }
  if (has('NLLLoss')) {
    list.push({
      id: 'W12',
      title: `NLLLoss [${N},${C}] on log-probabilities`,
      kind: 'loss',
      elements: N * C,
      bytes: sparseBytes,
      gloss: glossStep(new losses.NLLLoss!(), logProbabilities, labels!),
      tfjs: (tf) => {
        const [p, y] = tensorsOf(tf, logProbabilities, oneHot);
        return tfjsLossStep(tf, p!, (x) => tf.neg(tf.sum(tf.mul(y!, x))) as Tensor);
      },
      tfjsNote: 'tfjs has no NLL loss: −Σ onehot · logProb, one-hot labels built outside the timed region',
      pytorch: { kind: 'nll', inputs: { pred: torchInput(logProbabilities), label: torchInput(labels!) } },
      floor: sparseFloor(logProbabilities),
    });
  }
}
