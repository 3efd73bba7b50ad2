/**
 * The TF.js training-step rows of `npm run bench` (issue 14, item 5): one optimiser step of a
 * TF.js LayersModel on a TF.js backend, with TF.js's own loss and with a gloss loss through
 * `gloss-ml/tfjs`'s `tfjsLoss`, plus the loss alone three ways, which isolates what the adapter
 * costs per step over the loss itself (reading `yPred`/`yTrue` with `dataSync`, the label cast,
 * `tf.customGrad`, the value and the gradient made into tensors):
 *
 * - `tfjs-<backend>`: the step with TF.js's own loss (null where TF.js has none: CTC);
 * - `adapter-<backend>`: the same step, same model, inputs and SGD, with gloss's loss via tfjsLoss;
 * - `loss-tfjs-<backend>`: `tf.valueAndGrad` of TF.js's loss of the logits alone;
 * - `loss-adapter-<backend>`: `tf.valueAndGrad` of the tfjsLoss function of the logits alone;
 * - `loss-gloss`: the gloss loss's value and gradient on the same logits as typed arrays, exactly
 *   as the adapter calls it (evaluateGlossLoss), with no TF.js at all.
 *
 * Adapter overhead = loss-adapter − loss-gloss (bench/stats.ts differenceOf).
 */
import { gluon, NDArray, nd } from 'gloss-ml';
import { tfjsLoss, packTargets } from 'gloss-ml/tfjs';
import type { LossInput } from '../src/loss/index.js';
import type { Loss } from '../src/loss/index.js';
import { evaluateGlossLoss } from '../src/tfjs/loss.js';

type Tf = typeof import('@tensorflow/tfjs-core');
type Tfl = typeof import('@tensorflow/tfjs-layers');
type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Scalar = import('@tensorflow/tfjs-core').Scalar;

/** One timed call; returns the loss value (batch mean) of the call, for the agreement check. */
export type TimedStep = () => number;

/** What the run checks before timing: first-step losses and updated weights of the two arms. */
export interface FirstSteps {
  /** Loss values of the first step: TF.js's own (null when none), through the adapter. */
  tfjsLoss: number | null;
  adapterLoss: number;
  /** Weights after the first step (all trainable weights, concatenated). */
  tfjsWeights: Float32Array | null;
  adapterWeights: Float32Array;
  /** Loss alone: the adapter's gradient of the logits, and gloss's own, for the same logits. */
  adapterGradient: Float32Array;
  glossGradient: Float32Array;
}

/** The cells of one backend. */
export interface BackendSteps {
  tfjs: TimedStep | null;
  adapter: TimedStep;
  lossTfjs: TimedStep | null;
  lossAdapter: TimedStep;
  first: FirstSteps;
}

export interface TfjsStepWorkload {
  id: string;
  title: string;
  /** What each side is given (a note under the table). */
  tfjsNote: string;
  /** Why the TF.js cells are empty, or null when TF.js has the loss. */
  tfjsMissing: string | null;
  /** Bytes that cross the adapter per step: yPred and yTrue read, the gradient written. */
  adapterBytes: number;
  /** The loss alone without TF.js (backend-independent). */
  lossGloss: TimedStep;
  /** Builds the cells on the current backend (models, tensors and optimizers live on it). */
  build(tf: Tf, tfl: Tfl): BackendSteps;
}

/** One SGD step of `model` minimising `loss(output)`; returns the loss value. */
function sgdStep(
  tf: Tf,
  model: import('@tensorflow/tfjs-layers').LayersModel,
  input: Tensor,
  learningRate: number,
  loss: (output: Tensor) => Tensor,
): TimedStep {
  const optimizer = tf.train.sgd(learningRate);
  const variables = model.trainableWeights.map((w) => w.read()) as import('@tensorflow/tfjs-core').Variable[];
  return () => {
    const cost = optimizer.minimize(
      () => loss(model.apply(input, { training: true }) as Tensor) as Scalar,
      true,
      variables,
    )!;
    const value = cost.dataSync()[0]!;
    cost.dispose();
    return value;
  };
}

/** tf.valueAndGrad of a scalar function of `x`; returns the value (the gradient is disposed). */
function lossAlone(tf: Tf, x: Tensor, loss: (x: Tensor) => Tensor): TimedStep {
  const g = tf.valueAndGrad(loss as (x: Tensor) => Scalar);
  return () => {
    const { value, grad } = g(x);
    const v = value.dataSync()[0]!;
    value.dispose();
    grad.dispose();
    return v;
  };
}

/** The gradient of a scalar function of `x`, read back. */
function gradientOf(tf: Tf, x: Tensor, loss: (x: Tensor) => Tensor): Float32Array {
  const grad = tf.grad(loss)(x);
  const data = Float32Array.from(grad.dataSync());
  grad.dispose();
  return data;
}

function weightsOf(model: import('@tensorflow/tfjs-layers').LayersModel): Float32Array {
  const parts = model.trainableWeights.map((w) => w.read().dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** The gloss loss's value and gradient of `logits` without TF.js, as the adapter calls it. */
function glossAlone(loss: Loss, logits: NDArray, named: ReadonlyMap<string, LossInput | null>) {
  const pred = { data: logits.data as Float32Array, shape: logits.shape };
  return {
    step: (() => {
      const evaluation = evaluateGlossLoss(loss, pred, named);
      evaluation.gradient();
      return evaluation.value;
    }) as TimedStep,
    gradient: () => Float32Array.from(evaluateGlossLoss(loss, pred, named).gradient()),
  };
}

/**
 * T1: Dense(784→10) + softmax cross-entropy + SGD (learning rate 0.1 on the batch mean), batch
 * 256, the inputs and initial weights of W7 (gloss's seeded Dense). TF.js's loss takes one-hot
 * labels (it has no sparse form; built outside the timed region); gloss's takes the class
 * indices as a float32 yTrue, as `fit` would pass them.
 */
function denseSoftmaxStep(batch: number): TfjsStepWorkload {
  nd.random.seed(7);
  const x = nd.random.uniform(0, 1, [batch, 784]);
  const labels = nd.random.randint(0, 10, [batch]);
  const net = new gluon.nn.Dense(10, { inUnits: 784 });
  nd.random.seed(8);
  net.initialize();
  const weight = net.weight.data(); // [10, 784]
  const bias = net.bias!.data();
  const logits = nd.add(nd.dot(x, weight.transpose()), bias);
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const named = new Map<string, LossInput | null>([['label', labels]]);
  const alone = glossAlone(loss, logits, named);
  return {
    id: 'T1',
    title: `TF.js training step: Dense(784→10) + softmax CE + SGD, batch ${batch}`,
    tfjsNote:
      'TF.js: tf.losses.softmaxCrossEntropy on one-hot labels (it has no sparse labels; built outside the timed region); gloss: SoftmaxCrossEntropyLoss via tfjsLoss on the class indices',
    tfjsMissing: null,
    adapterBytes: 4 * (2 * batch * 10 + batch),
    lossGloss: alone.step,
    build(tf, tfl) {
      const input = tf.tensor2d(x.data as Float32Array, [batch, 784]);
      const kernel = tf.transpose(tf.tensor2d(weight.data as Float32Array, [10, 784]));
      const biasTensor = tf.tensor1d(bias.data as Float32Array);
      const model = () => {
        const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [784], units: 10 })] });
        m.setWeights([kernel, biasTensor]);
        return m;
      };
      const oneHot = tf.oneHot(tf.tensor1d(labels.data as Int32Array, 'int32'), 10);
      const yTrue = tf.tensor1d(Float32Array.from(labels.data as Int32Array));
      const ownLoss = (output: Tensor) => tf.losses.softmaxCrossEntropy(oneHot, output);
      const glossLoss = tfjsLoss(loss);
      const adapterLoss = (output: Tensor) => glossLoss(yTrue, output);
      const logitsTensor = tf.tensor2d(logits.data as Float32Array, [batch, 10]);
      const [firstOwn, firstAdapter] = [model(), model()];
      const first: FirstSteps = {
        tfjsLoss: sgdStep(tf, firstOwn, input, 0.1, ownLoss)(),
        adapterLoss: sgdStep(tf, firstAdapter, input, 0.1, adapterLoss)(),
        tfjsWeights: weightsOf(firstOwn),
        adapterWeights: weightsOf(firstAdapter),
        adapterGradient: gradientOf(tf, logitsTensor, adapterLoss),
        glossGradient: alone.gradient(),
      };
      firstOwn.dispose();
      firstAdapter.dispose();
      return {
        tfjs: sgdStep(tf, model(), input, 0.1, ownLoss),
        adapter: sgdStep(tf, model(), input, 0.1, adapterLoss),
        lossTfjs: lossAlone(tf, logitsTensor, ownLoss),
        lossAdapter: lossAlone(tf, logitsTensor, adapterLoss),
        first,
      };
    },
  };
}

/**
 * T2: CTC training step: a LayersModel (per-frame Dense(F→32, relu) → Dense(32→C)) emitting
 * class scores [N, T, C], gloss's CTCLoss (blank last) via tfjsLoss with the labels (padded with
 * −1) and their lengths packed into yTrue by packTargets, SGD. TF.js has no CTC loss.
 */
function ctcStep(): TfjsStepWorkload {
  const [T, N, C, L, F] = [50, 32, 28, 10, 16];
  nd.random.seed(11);
  const frames = nd.random.normal(0, 1, [N, T, F]);
  const drawn = nd.random.randint(0, C - 1, [N, L]).data as Int32Array;
  const lengths = nd.random.randint(5, L + 1, [N]).data as Int32Array;
  const label = new Float32Array(N * L).fill(-1);
  for (let n = 0; n < N; n++) for (let i = 0; i < lengths[n]!; i++) label[n * L + i] = drawn[n * L + i]!;
  const loss = new gluon.loss.CTCLoss();
  const targets = { label: [L], labelLengths: [] };
  const named = new Map<string, LossInput | null>([
    ['label', new NDArray(Int32Array.from(label), [N, L])],
    ['labelLengths', new NDArray(Int32Array.from(lengths), [N])],
  ]);
  let aloneLogits: NDArray | null = null;
  let alone: ReturnType<typeof glossAlone> | null = null;
  return {
    id: 'T2',
    title: `TF.js CTC training step: per-frame Dense(${F}→32→${C}) + CTCLoss + SGD, T=${T} N=${N} C=${C} L=${L}`,
    tfjsNote: `gloss: CTCLoss (blank last) via tfjsLoss, labels padded with -1 and their lengths packed into yTrue [${N},${T},${C}] with packTargets; SGD learning rate 0.01`,
    tfjsMissing: 'TF.js has no CTC loss',
    adapterBytes: 4 * (2 * N * T * C + N * T * C),
    lossGloss: () => alone!.step(),
    build(tf, tfl) {
      const input = tf.tensor3d(frames.data as Float32Array, [N, T, F]);
      const model = () =>
        tfl.sequential({
          layers: [
            tfl.layers.dense({
              inputShape: [T, F],
              units: 32,
              activation: 'relu',
              kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
            }),
            tfl.layers.dense({ units: C, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
          ],
        });
      const yTrue = packTargets(targets, { label, labelLengths: Float32Array.from(lengths) }, [T, C]);
      const glossLoss = tfjsLoss(loss, { targets });
      const adapterLoss = (output: Tensor) => glossLoss(yTrue, output);
      const reference = model();
      const logitsTensor = reference.predict(input) as Tensor;
      // The loss-alone cells take the logits of the initial model (same seeds on every backend).
      aloneLogits ??= new NDArray(Float32Array.from(logitsTensor.dataSync() as Float32Array), [N, T, C]);
      alone ??= glossAlone(loss, aloneLogits, named);
      const firstAdapter = model();
      const first: FirstSteps = {
        tfjsLoss: null,
        adapterLoss: sgdStep(tf, firstAdapter, input, 0.01, adapterLoss)(),
        tfjsWeights: null,
        adapterWeights: weightsOf(firstAdapter),
        adapterGradient: gradientOf(tf, logitsTensor, adapterLoss),
        glossGradient: alone.gradient(),
      };
      reference.dispose();
      firstAdapter.dispose();
      return {
        tfjs: null,
        adapter: sgdStep(tf, model(), input, 0.01, adapterLoss),
        lossTfjs: null,
        lossAdapter: lossAlone(tf, logitsTensor, adapterLoss),
        first,
      };
    },
  };
}

export function tfjsStepWorkloads(only?: readonly string[]): TfjsStepWorkload[] {
  const ids = ['T1', 'T2'].filter((id) => !only || only.includes(id));
  return ids.map((id) => (id === 'T1' ? denseSoftmaxStep(256) : ctcStep()));
}
