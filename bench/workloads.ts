/**
 * The workloads of `npm run bench`: each one's seeded inputs, gloss's step, and the equivalent
 * TF.js step and PyTorch spec on the very same input buffers, plus the floor pass and, where
 * written, a plain hand-fused JS loop (bench/plain-loops.ts).
 */
import os from 'node:os';
import { autograd, gluon, nd, type NDArray } from 'gloss-ml';
import { softmaxFamily } from './family-workloads.js';
import { plainCtc, plainSigmoidBce, plainSoftmaxCe } from './plain-loops.js';
import type { PyTorchSpec } from './pytorch.js';
import {
  floorPass,
  glossStep,
  has,
  losses,
  seeded,
  type Step,
  type Tensor,
  type Tf,
  tensorsOf,
  tfjsLossStep,
  torchInput,
  type Workload,
} from './workload-parts.js';

export type { Step, Tf, Workload };

function elementwise(
  list: Workload[],
  spec: {
    id: string;
    title: string;
    n: number;
    d: number;
    make: () => { forward(...x: unknown[]): NDArray };
    tfLoss: (tf: Tf, label: Tensor, pred: Tensor) => Tensor;
    torch: Pick<PyTorchSpec, 'kind' | 'options'>;
    labels?: 'normal' | 'binary';
  },
): void {
  const { n, d } = spec;
  const [pred, label] = seeded(1, () => [
    nd.random.normal(0, 1, [n, d]),
    spec.labels === 'binary'
      ? nd.random.randint(0, 2, [n, d]).astype('float32')
      : nd.random.normal(0, 1, [n, d]),
  ]);
  list.push({
    id: spec.id,
    title: spec.title,
    kind: 'loss',
    elements: n * d,
    bytes: 4 * (3 * n * d + n),
    gloss: glossStep(spec.make(), pred!, label!),
    tfjs: (tf) => {
      const [p, y] = tensorsOf(tf, pred!, label!);
      return tfjsLossStep(tf, p!, (x) => spec.tfLoss(tf, y!, x));
    },
    pytorch: { ...spec.torch, inputs: { pred: torchInput(pred!), label: torchInput(label!) } },
    floor: floorPass([pred!.data as Float32Array, label!.data as Float32Array], [n * d, n]),
  });
}

function softmax(list: Workload[], id: string, title: string, n: number, c: number): void {
  if (!has('SoftmaxCrossEntropyLoss')) return;
  const [logits, labels] = seeded(2, () => [nd.random.normal(0, 2, [n, c]), nd.random.randint(0, c, [n])]);
  const oneHot = labels!.oneHot(c);
  list.push({
    id,
    title,
    kind: 'loss',
    elements: n * c,
    bytes: 4 * (2 * n * c + 2 * n),
    logitsBytes: 4 * n * c,
    gloss: glossStep(new losses.SoftmaxCrossEntropyLoss!(), logits!, labels!),
    tfjs: (tf) => {
      const [p, y] = tensorsOf(tf, logits!, oneHot);
      return tfjsLossStep(tf, p!, (x) =>
        tf.losses.softmaxCrossEntropy(y!, x, undefined, 0, tf.Reduction.SUM),
      );
    },
    tfjsNote: 'tfjs has no sparse labels: given one-hot labels built outside the timed region',
    pytorch: { kind: 'softmax_ce', inputs: { pred: torchInput(logits!), label: torchInput(labels!) } },
    floor: floorPass(
      [logits!.data as Float32Array, labels!.astype('float32').data as Float32Array],
      [n * c, n],
    ),
    plain: () => plainSoftmaxCe(logits!.data as Float32Array, labels!.data as Int32Array, n, c),
  });
}

/**
 * W2o: W2's logits with SoftmaxCrossEntropyLoss's PyTorch options — labelSmoothing 0.1,
 * ignoreIndex −1 (every tenth label) and a classWeight — next to TF.js's label-smoothed
 * softmaxCrossEntropy, which has neither ignored labels nor class weights (it gets the one-hot of
 * the labels without the ignored ones, built outside the timed region).
 */
function softmaxOptions(list: Workload[], n: number, c: number): void {
  if (!has('SoftmaxCrossEntropyLoss')) return;
  const [logits, labels, classWeight] = seeded(2, () => [
    nd.random.normal(0, 2, [n, c]),
    nd.random.randint(0, c, [n]),
    nd.random.uniform(0.5, 1.5, [c]),
  ]);
  const oneHot = labels!.oneHot(c);
  const withIgnored = labels!.data.map((y: number, i: number) => (i % 10 === 3 ? -1 : y));
  const ignoring = nd.array(Array.from(withIgnored), { dtype: 'int32' });
  const options = { labelSmoothing: 0.1, ignoreIndex: -1, classWeight: classWeight! };
  list.push({
    id: 'W2o',
    title: `SoftmaxCrossEntropyLoss sparse [${n},${c}] labelSmoothing 0.1, ignoreIndex -1, classWeight`,
    kind: 'loss',
    elements: n * c,
    bytes: 4 * (2 * n * c + 2 * n),
    logitsBytes: 4 * n * c,
    gloss: glossStep(new losses.SoftmaxCrossEntropyLoss!(options), logits!, ignoring),
    tfjs: (tf) => {
      const [p, y] = tensorsOf(tf, logits!, oneHot);
      return tfjsLossStep(tf, p!, (x) =>
        tf.losses.softmaxCrossEntropy(y!, x, undefined, 0.1, tf.Reduction.SUM),
      );
    },
    tfjsNote:
      'tfjs: label smoothing only (no ignoreIndex, no class weights): one-hot labels built outside the timed region',
    tfjsComputesOther: true,
    pytorch: null,
    floor: floorPass(
      [logits!.data as Float32Array, labels!.astype('float32').data as Float32Array],
      [n * c, n],
    ),
  });
}

export function workloads(only?: readonly string[]): Workload[] {
  const list: Workload[] = [];
  const l2 = (id: string, n: number, d: number) =>
    elementwise(list, {
      id,
      title: `L2Loss [${n},${d}]`,
      n,
      d,
      make: () => new gluon.loss.L2Loss(),
      tfLoss: (tf, y, p) =>
        tf.mul(tf.losses.meanSquaredError(y, p, undefined, tf.Reduction.SUM), 0.5 / d) as Tensor,
      torch: { kind: 'l2' },
    });
  l2('W1', 4096, 1024);
  // W2t and W3t: W2 and W3 with gloss-ml/node's opt-in kernel threads (this thread and one
  // worker), where the machine has a second core.
  const twoCores = (os.availableParallelism?.() ?? os.cpus().length) >= 2;
  softmax(list, 'W2', 'SoftmaxCrossEntropyLoss sparse [4096,1000]', 4096, 1000);
  softmaxOptions(list, 4096, 1000);
  if (twoCores) {
    softmax(list, 'W2t', 'SoftmaxCrossEntropyLoss sparse [4096,1000], useKernelThreads(2)', 4096, 1000);
    list[list.length - 1]!.threads = 2;
  }
  if (has('SigmoidBinaryCrossEntropyLoss')) {
    for (const [id, title] of [
      ['W3', 'SigmoidBCE from logits [4096,1024]'],
      ...(twoCores ? [['W3t', 'SigmoidBCE from logits [4096,1024], useKernelThreads(2)']] : []),
    ] as const) {
      elementwise(list, {
        id,
        title,
        n: 4096,
        d: 1024,
        make: () => new losses.SigmoidBinaryCrossEntropyLoss!(),
        tfLoss: (tf, y, p) =>
          tf.div(tf.losses.sigmoidCrossEntropy(y, p, undefined, 0, tf.Reduction.SUM), 1024) as Tensor,
        torch: { kind: 'sigmoid_bce' },
        labels: 'binary',
      });
    }
    const [pred, label] = seeded(1, () => [
      nd.random.normal(0, 1, [4096, 1024]),
      nd.random.randint(0, 2, [4096, 1024]).astype('float32'),
    ]);
    const plain = () => plainSigmoidBce(pred!.data as Float32Array, label!.data as Float32Array, 4096, 1024);
    for (const w of list.filter((w) => w.id === 'W3' || w.id === 'W3t')) w.plain = plain;
    const w3t = list.find((w) => w.id === 'W3t');
    if (w3t) w3t.threads = 2;
  }
  if (has('HuberLoss')) {
    elementwise(list, {
      id: 'W4',
      title: 'HuberLoss rho=1 [4096,1024]',
      n: 4096,
      d: 1024,
      make: () => new losses.HuberLoss!({ rho: 1 }),
      tfLoss: (tf, y, p) => tf.div(tf.losses.huberLoss(y, p, undefined, 1, tf.Reduction.SUM), 1024) as Tensor,
      torch: { kind: 'huber', options: { rho: 1 } },
    });
  }
  if (has('CTCLoss')) list.push(ctc());
  if (has('TripletLoss')) list.push(triplet());
  softmax(list, 'W8', 'SoftmaxCrossEntropyLoss vocabulary [64,50000]', 64, 50000);
  softmax(list, 'W9', 'SoftmaxCrossEntropyLoss vocabulary [16,131072]', 16, 131072);
  softmaxFamily(list);
  const trainerAvailable =
    typeof (gluon as Record<string, unknown>).Trainer === 'function' &&
    typeof (gluon as Record<string, unknown>).nn === 'object';
  if (trainerAvailable && has('SoftmaxCrossEntropyLoss')) {
    list.push(trainingStep('W7', 256));
    list.push(trainingStep('W7b', 4096));
  }
  for (const n of [256, 512, 1024]) list.push(matmul(n));
  if (trainerAvailable) {
    list.push(denseProduct(512));
    // The same product with the opt-in kernel threads (its rows split between two threads).
    const dense = denseProduct(512);
    if (twoCores)
      list.push({ ...dense, id: 'M512dt', title: `${dense.title}, useKernelThreads(2)`, threads: 2 });
    // The same product with relaxed SIMD's fused multiply-add (opt-in: useFusedMultiplyAdd).
    const fused = denseProduct(512);
    list.push({ ...fused, id: 'M512f', title: `${fused.title}, useFusedMultiplyAdd(true)`, fused: true });
  }
  // The tiny calls last, after every other loss ran in this process: their cost then includes
  // whatever the earlier workloads did to V8's call sites (the issue's "measured after").
  l2('W1s', 32, 10);
  softmax(list, 'W2s', 'SoftmaxCrossEntropyLoss sparse [32,10]', 32, 10);
  return list.filter((w) => !only || only.includes(w.id));
}

function ctc(): Workload {
  const [T, N, C, L] = [100, 32, 41, 20];
  const [acts, labels] = seeded(5, () => [
    nd.random.normal(0, 1, [N, T, C]),
    nd.random.randint(1, C, [N, L]),
  ]);
  return {
    id: 'W5',
    title: `CTCLoss T=${T} N=${N} C=${C} L=${L} NTC, blank first`,
    kind: 'loss',
    elements: N * T * C,
    bytes: 4 * (2 * N * T * C + N * L + N),
    gloss: glossStep(new losses.CTCLoss!({ blankLabel: 'first' }), acts!, labels!),
    tfjs: null,
    tfjsNote: 'TF.js has no CTC loss',
    pytorch: { kind: 'ctc', inputs: { pred: torchInput(acts!), label: torchInput(labels!) } },
    floor: floorPass(
      [acts!.data as Float32Array, labels!.astype('float32').data as Float32Array],
      [N * T * C, N],
    ),
    plain: () => plainCtc(acts!.data as Float32Array, labels!.data as Int32Array, N, T, C, L),
  };
}

function triplet(): Workload {
  const [n, d] = [4096, 256];
  const [pred, pos, neg] = seeded(6, () => [
    nd.random.normal(0, 1, [n, d]),
    nd.random.normal(0, 1, [n, d]),
    nd.random.normal(0, 1, [n, d]),
  ]);
  return {
    id: 'W6',
    title: `TripletLoss margin 1 [${n},${d}] x3`,
    kind: 'loss',
    elements: n * d,
    bytes: 4 * (4 * n * d + n),
    gloss: glossStep(new losses.TripletLoss!({ margin: 1 }), pred!, pos!, neg!),
    tfjs: (tf) => {
      const [p, a, b] = tensorsOf(tf, pred!, pos!, neg!);
      return tfjsLossStep(tf, p!, (x) =>
        tf.sum(tf.relu(tf.add(tf.sum(tf.sub(tf.square(tf.sub(a!, x)), tf.square(tf.sub(b!, x))), 1), 1))),
      );
    },
    tfjsNote: 'TF.js has no triplet loss: composed from its ops',
    pytorch: {
      kind: 'triplet',
      inputs: { pred: torchInput(pred!), positive: torchInput(pos!), negative: torchInput(neg!) },
      options: { margin: 1 },
    },
    floor: floorPass(
      [pred!.data as Float32Array, pos!.data as Float32Array, neg!.data as Float32Array],
      [n * d, n],
    ),
  };
}

interface DenseLike {
  forward(x: NDArray): NDArray;
  initialize(): void;
  collectParams(): unknown;
  weight: { data(): NDArray };
  bias: { data(): NDArray };
}

function trainingStep(id: string, batch: number): Workload {
  const g = gluon as unknown as {
    nn: { Dense: new (units: number, o?: object) => DenseLike };
    Trainer: new (p: unknown, name: string, o: object) => { step(batch: number): void };
  };
  const [x, labels] = seeded(7, () => [
    nd.random.uniform(0, 1, [batch, 784]),
    nd.random.randint(0, 10, [batch]),
  ]);
  const net = new g.nn.Dense(10, { inUnits: 784 });
  nd.random.seed(8);
  net.initialize();
  const trainer = new g.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  const loss = new losses.SoftmaxCrossEntropyLoss!();
  const initialWeight = Float32Array.from(net.weight.data().data);
  const initialBias = Float32Array.from(net.bias.data().data);
  return {
    id,
    title: `training step: Dense(784→10) + SoftmaxCE + SGD, batch ${batch}`,
    kind: 'loss',
    elements: batch * 784,
    bytes: 4 * (batch * 784 + 2 * 2 * 7850),
    gloss: () => {
      const l = autograd.record(() => loss.forward(net.forward(x!), labels!));
      l.backward();
      trainer.step(batch);
      // The live weights, as the PyTorch worker returns layer.weight: the harness copies the
      // first step's result for its comparisons, and a training step copies no weights.
      return { loss: l.data, grad: net.weight.data().data };
    },
    tfjs: (tf) => {
      const [input] = tensorsOf(tf, x!);
      const oneHot = tf.oneHot(tf.tensor1d(labels!.data as Int32Array, 'int32'), 10);
      const weight = tf.variable(tf.transpose(tf.tensor2d(initialWeight, [10, 784])));
      const bias = tf.variable(tf.tensor1d(initialBias));
      const optimizer = tf.train.sgd(0.1 / batch);
      return () => {
        const value = optimizer.minimize(
          () =>
            tf.losses.softmaxCrossEntropy(
              oneHot,
              tf.add(tf.matMul(input!, weight), bias),
              undefined,
              0,
              tf.Reduction.SUM,
            ) as import('@tensorflow/tfjs-core').Scalar,
          true,
        )!;
        const out = { loss: [value.dataSync()[0]!], grad: tf.transpose(weight).dataSync() };
        value.dispose();
        return out;
      };
    },
    tfjsNote:
      'first steps compared (all start from the same weights); the "gradient" compared is the updated weight',
    pytorch: {
      kind: 'dense_step',
      inputs: {
        x: torchInput(x!),
        label: torchInput(labels!),
        weight: { shape: [10, 784], data: initialWeight },
        bias: { shape: [10], data: initialBias },
      },
      options: { learningRate: 0.1 },
    },
    floor: floorPass([x!.data as Float32Array], [batch * 784, 7850]),
  };
}

/** One float32 product of two n×n matrices (no autograd): gloss's nd.dot, tf.matMul, torch.mm. */
function matmul(n: number): Workload {
  const [a, b] = seeded(9, () => [nd.random.normal(0, 1, [n, n]), nd.random.normal(0, 1, [n, n])]);
  // No loss: agreement is checked on every entry of the product, and nothing but the product is timed.
  const result = (product: ArrayLike<number>) => ({ loss: [], grad: product });
  return {
    id: `M${n}`,
    title: `nd.dot float32 [${n},${n}]·[${n},${n}], float64 sums (DECISIONS 15)`,
    kind: 'matmul',
    elements: n * n,
    bytes: 4 * 3 * n * n,
    flops: 2 * n * n * n,
    gloss: () => result(nd.dot(a!, b!).data),
    tfjs: (tf) => {
      const [x, y] = tensorsOf(tf, a!, b!);
      return () => {
        const product = tf.matMul(x!, y!);
        const data = product.dataSync();
        product.dispose();
        return result(data);
      };
    },
    pytorch: { kind: 'matmul', inputs: { a: torchInput(a!), b: torchInput(b!) } },
    floor: null,
  };
}

/**
 * The product Dense computes, x · Wᵀ of two n×n float32 matrices (no bias, no autograd): gloss's
 * float32-accumulating matrix kernel (src/kernels/matmul.ts), where nd.dot (the M rows) sums in
 * float64 (DECISIONS 15). PyTorch gets Wᵀ as a matrix of its own, so torch.mm computes the same.
 */
function denseProduct(n: number): Workload {
  const [x] = seeded(9, () => [nd.random.normal(0, 1, [n, n])]);
  const g = gluon as unknown as { nn: { Dense: new (units: number, o?: object) => DenseLike } };
  const net = new g.nn.Dense(n, { inUnits: n, useBias: false });
  nd.random.seed(10);
  net.initialize();
  const weight = net.weight.data();
  const result = (product: ArrayLike<number>) => ({ loss: [], grad: product });
  return {
    id: `M${n}d`,
    title: `Dense x·Wᵀ float32 [${n},${n}]·[${n},${n}]ᵀ, float32 sums (kernels entry)`,
    kind: 'matmul',
    elements: n * n,
    bytes: 4 * 3 * n * n,
    flops: 2 * n * n * n,
    gloss: () => result(net.forward(x!).data),
    tfjs: (tf) => {
      const [input, w] = tensorsOf(tf, x!, weight);
      return () => {
        const product = tf.matMul(input!, w!, false, true);
        const data = product.dataSync();
        product.dispose();
        return result(data);
      };
    },
    pytorch: { kind: 'matmul', inputs: { a: torchInput(x!), b: torchInput(nd.transpose(weight).copy()) } },
    floor: null,
  };
}
