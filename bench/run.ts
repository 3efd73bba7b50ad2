/**
 * `npm run bench`: gloss against TensorFlow.js 4.22 (cpu and wasm backends) on the workloads of
 * the performance issue, in one process run, with identical seeded inputs. Every workload is
 * first checked for numerical agreement, then timed (median and min), and compared with a
 * measured floor (a plain pass that only reads the inputs and writes the outputs) and, where
 * given, a plain hand-fused JS loop. Writes bench/results.json and bench/results.md.
 *
 * Run: npm run bench [-- --quick] [-- W1,W2]
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { autograd, gluon, nd, type NDArray } from 'gloss-ml';
import { kernelThreadsReady, useKernelThreads } from 'gloss-ml/node';
import { plainCtc, plainSigmoidBce, plainSoftmaxCe } from './plain-loops.js';

type Tf = typeof import('@tensorflow/tfjs-core');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => /^W/.test(a))?.split(',');

/** Runs forward + backward once; returns the per-sample losses and the gradient w.r.t. pred. */
type Step = () => { loss: ArrayLike<number>; grad: ArrayLike<number> };

interface Workload {
  id: string;
  title: string;
  /** Elements of the prediction. */
  elements: number;
  /** Bytes a minimal pass must read and write. */
  bytes: number;
  gloss: Step;
  /** Builds the TF.js step for the current backend, or null when TF.js has no equivalent. */
  tfjs: ((tf: Tf) => Step) | null;
  tfjsNote?: string;
  floor: () => void;
  plain?: Step;
  /** Threads for gloss's compute-bound kernels during this workload (gloss-ml/node useKernelThreads). */
  threads?: number;
  /** Optional note on memory (W8). */
  logitsBytes?: number;
}

function seeded<T>(seed: number, make: () => T): T {
  nd.random.seed(seed);
  return make();
}

function glossStep(loss: { forward(...x: unknown[]): NDArray }, pred: NDArray, ...rest: unknown[]): Step {
  pred.attachGrad();
  return () => {
    const l = autograd.record(() => loss.forward(pred, ...rest));
    l.backward();
    return { loss: l.data, grad: pred.grad!.data };
  };
}

/**
 * The floor: one plain pass that reads every input once and writes every output once, into
 * buffers allocated up front — as gloss writes gradients into an existing .grad buffer.
 *
 * The pass is generated as its own function per workload (`new Function`), with the arrays bound
 * as constants of its closure: V8 then specialises the loop to those arrays (no per-element
 * reloads of their length and data pointer), which makes it 2-2.5x faster than the same loop
 * taking the arrays as parameters. A floor should be the fastest plain pass, not a generic one.
 */
let floorCount = 0;

function floorPass(inputs: Float32Array[], outputs: number[]): () => void {
  const outs = outputs.map((n) => new Float32Array(n));
  const out = outs[0]!;
  const lines: string[] = [];
  if (inputs.length === 1)
    lines.push('out.set(first.length === out.length ? first : first.subarray(0, out.length));');
  else if (inputs[1]!.length === out.length)
    lines.push('for (let k = 0; k < size; k++) out[k] = first[k] + second[k];');
  else
    lines.push(
      'for (let k = 0, j = 0; k < size; k++) { out[k] = first[k] + second[j]; if (++j === period) j = 0; }',
    );
  for (let i = 2; i < inputs.length; i++)
    lines.push(
      `{ const x = extra[${i - 2}]; let s = 0; for (let k = 0; k < x.length; k++) s += x[k]; out[0] = s; }`,
    );
  for (let i = 1; i < outs.length; i++) lines.push(`outs[${i}].fill(1);`);
  // The numbered comment makes every source text distinct: V8 caches `new Function` by source,
  // so two workloads with the same floor code would share one function, specialised to the
  // first workload's arrays and then deoptimised to the slow generic loop for the second.
  lines.push(`/* floor ${++floorCount} */`);
  const make = new Function(
    'first',
    'second',
    'extra',
    'out',
    'outs',
    'size',
    'period',
    `return () => { ${lines.join(' ')} };`,
  ) as (...args: unknown[]) => () => void;
  const second = inputs[1] ?? null;
  return make(inputs[0]!, second, inputs.slice(2), out, outs, out.length, second ? second.length : 1);
}

function tensorsOf(tf: Tf, ...arrays: NDArray[]) {
  return arrays.map((a) =>
    tf.tensor(a.data as Float32Array, [...a.shape], a.dtype === 'int32' ? 'int32' : 'float32'),
  );
}

function workloads(): Workload[] {
  const list: Workload[] = [];
  const elementwise = (
    id: string,
    title: string,
    n: number,
    d: number,
    make: () => { forward(...x: unknown[]): NDArray },
    tfLoss: (
      tf: Tf,
      label: import('@tensorflow/tfjs-core').Tensor,
      pred: import('@tensorflow/tfjs-core').Tensor,
    ) => import('@tensorflow/tfjs-core').Scalar,
    labels: 'normal' | 'binary' = 'normal',
  ) => {
    const [pred, label] = seeded(1, () => [
      nd.random.normal(0, 1, [n, d]),
      labels === 'binary'
        ? nd.random.randint(0, 2, [n, d]).astype('float32')
        : nd.random.normal(0, 1, [n, d]),
    ]);
    list.push({
      id,
      title,
      elements: n * d,
      bytes: 4 * (3 * n * d + n),
      gloss: glossStep(make(), pred!, label!),
      tfjs: (tf) => {
        const [p, y] = tensorsOf(tf, pred!, label!);
        const g = tf.valueAndGrad((x: import('@tensorflow/tfjs-core').Tensor) => tfLoss(tf, y!, x));
        return () => {
          const { value, grad } = g(p!);
          const out = {
            loss: [(value as import('@tensorflow/tfjs-core').Tensor).dataSync()[0]!],
            grad: grad.dataSync(),
          };
          (value as import('@tensorflow/tfjs-core').Tensor).dispose();
          grad.dispose();
          return out;
        };
      },
      floor: floorPass([pred!.data as Float32Array, label!.data as Float32Array], [n * d, n]),
    });
  };
  elementwise(
    'W1',
    'L2Loss [4096,1024]',
    4096,
    1024,
    () => new gluon.loss.L2Loss(),
    (tf, y, p) => tf.mul(tf.losses.meanSquaredError(y, p, undefined, tf.Reduction.SUM), 0.5 / 1024) as never,
  );
  elementwise(
    'W1s',
    'L2Loss [32,10]',
    32,
    10,
    () => new gluon.loss.L2Loss(),
    (tf, y, p) => tf.mul(tf.losses.meanSquaredError(y, p, undefined, tf.Reduction.SUM), 0.5 / 10) as never,
  );
  const losses = gluon.loss as unknown as Record<
    string,
    new (
      o?: object,
    ) => { forward(...x: unknown[]): NDArray }
  >;
  const has = (name: string) => typeof losses[name] === 'function';

  const softmax = (id: string, title: string, n: number, c: number) => {
    if (!has('SoftmaxCrossEntropyLoss')) return;
    const [logits, labels] = seeded(2, () => [nd.random.normal(0, 2, [n, c]), nd.random.randint(0, c, [n])]);
    const oneHot = labels!.oneHot(c);
    list.push({
      id,
      title,
      elements: n * c,
      bytes: 4 * (2 * n * c + 2 * n),
      logitsBytes: 4 * n * c,
      gloss: glossStep(new losses.SoftmaxCrossEntropyLoss!(), logits!, labels!),
      tfjs: (tf) => {
        const [p, y] = tensorsOf(tf, logits!, oneHot);
        const g = tf.valueAndGrad(
          (x: import('@tensorflow/tfjs-core').Tensor) =>
            tf.losses.softmaxCrossEntropy(y!, x, undefined, 0, tf.Reduction.SUM) as never,
        );
        return () => {
          const { value, grad } = g(p!);
          const out = {
            loss: [(value as import('@tensorflow/tfjs-core').Tensor).dataSync()[0]!],
            grad: grad.dataSync(),
          };
          (value as import('@tensorflow/tfjs-core').Tensor).dispose();
          grad.dispose();
          return out;
        };
      },
      tfjsNote: 'tfjs has no sparse labels: given one-hot labels built outside the timed region',
      floor: floorPass(
        [logits!.data as Float32Array, labels!.astype('float32').data as Float32Array],
        [n * c, n],
      ),
      plain: () => plainSoftmaxCe(logits!.data as Float32Array, labels!.data as Int32Array, n, c),
    });
  };
  // W2t and W3t: W2 and W3 with gloss-ml/node's opt-in kernel threads (this thread and one
  // worker), where the machine has a second core.
  const twoCores = (os.availableParallelism?.() ?? os.cpus().length) >= 2;
  softmax('W2', 'SoftmaxCrossEntropyLoss sparse [4096,1000]', 4096, 1000);
  if (twoCores) {
    softmax('W2t', 'SoftmaxCrossEntropyLoss sparse [4096,1000], useKernelThreads(2)', 4096, 1000);
    list[list.length - 1]!.threads = 2;
  }
  softmax('W2s', 'SoftmaxCrossEntropyLoss sparse [32,10]', 32, 10);

  if (has('SigmoidBinaryCrossEntropyLoss')) {
    for (const [id, title] of [
      ['W3', 'SigmoidBCE from logits [4096,1024]'],
      ...(twoCores ? [['W3t', 'SigmoidBCE from logits [4096,1024], useKernelThreads(2)']] : []),
    ] as const) {
      elementwise(
        id,
        title,
        4096,
        1024,
        () => new losses.SigmoidBinaryCrossEntropyLoss!(),
        (tf, y, p) =>
          tf.div(tf.losses.sigmoidCrossEntropy(y, p, undefined, 0, tf.Reduction.SUM), 1024) as never,
        'binary',
      );
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
    elementwise(
      'W4',
      'HuberLoss rho=1 [4096,1024]',
      4096,
      1024,
      () => new losses.HuberLoss!({ rho: 1 }),
      (tf, y, p) => tf.div(tf.losses.huberLoss(y, p, undefined, 1, tf.Reduction.SUM), 1024) as never,
    );
  }
  if (has('CTCLoss')) {
    const [T, N, C, L] = [100, 32, 41, 20];
    const [acts, labels] = seeded(5, () => [
      nd.random.normal(0, 1, [N, T, C]),
      nd.random.randint(1, C, [N, L]),
    ]);
    list.push({
      id: 'W5',
      title: `CTCLoss T=${T} N=${N} C=${C} L=${L} NTC, blank first`,
      elements: N * T * C,
      bytes: 4 * (2 * N * T * C + N * L + N),
      gloss: glossStep(new losses.CTCLoss!({ blankLabel: 'first' }), acts!, labels!),
      tfjs: null,
      tfjsNote: 'TF.js has no CTC loss',
      floor: floorPass(
        [acts!.data as Float32Array, labels!.astype('float32').data as Float32Array],
        [N * T * C, N],
      ),
      plain: () => plainCtc(acts!.data as Float32Array, labels!.data as Int32Array, N, T, C, L),
    });
  }
  if (has('TripletLoss')) {
    const [n, d] = [4096, 256];
    const [pred, pos, neg] = seeded(6, () => [
      nd.random.normal(0, 1, [n, d]),
      nd.random.normal(0, 1, [n, d]),
      nd.random.normal(0, 1, [n, d]),
    ]);
    list.push({
      id: 'W6',
      title: `TripletLoss margin 1 [${n},${d}] x3`,
      elements: n * d,
      bytes: 4 * (4 * n * d + n),
      gloss: glossStep(new losses.TripletLoss!({ margin: 1 }), pred!, pos!, neg!),
      tfjs: (tf) => {
        const [p, a, b] = tensorsOf(tf, pred!, pos!, neg!);
        const g = tf.valueAndGrad(
          (x: import('@tensorflow/tfjs-core').Tensor) =>
            tf.sum(
              tf.relu(tf.add(tf.sum(tf.sub(tf.square(tf.sub(a!, x)), tf.square(tf.sub(b!, x))), 1), 1)),
            ) as never,
        );
        return () => {
          const { value, grad } = g(p!);
          const out = {
            loss: [(value as import('@tensorflow/tfjs-core').Tensor).dataSync()[0]!],
            grad: grad.dataSync(),
          };
          (value as import('@tensorflow/tfjs-core').Tensor).dispose();
          grad.dispose();
          return out;
        };
      },
      tfjsNote: 'TF.js has no triplet loss: composed from its ops',
      floor: floorPass(
        [pred!.data as Float32Array, pos!.data as Float32Array, neg!.data as Float32Array],
        [n * d, n],
      ),
    });
  }
  softmax('W8', 'SoftmaxCrossEntropyLoss vocabulary [64,50000]', 64, 50000);
  const trainerAvailable =
    typeof (gluon as Record<string, unknown>).Trainer === 'function' &&
    typeof (gluon as Record<string, unknown>).nn === 'object';
  if (trainerAvailable && has('SoftmaxCrossEntropyLoss')) list.push(trainingStep());
  return list.filter((w) => !only || only.includes(w.id));
}

function trainingStep(): Workload {
  const g = gluon as unknown as {
    nn: {
      Dense: new (
        units: number,
        o?: object,
      ) => {
        forward(x: NDArray): NDArray;
        initialize(): void;
        collectParams(): unknown;
        weight: { data(): NDArray };
        bias: { data(): NDArray };
      };
    };
    Trainer: new (p: unknown, name: string, o: object) => { step(batch: number): void };
  };
  const batch = 256;
  const [x, labels] = seeded(7, () => [
    nd.random.uniform(0, 1, [batch, 784]),
    nd.random.randint(0, 10, [batch]),
  ]);
  const net = new g.nn.Dense(10, { inUnits: 784 });
  nd.random.seed(8);
  net.initialize();
  const trainer = new g.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  const loss = new (gluon.loss as unknown as Record<string, new () => { forward(...x: unknown[]): NDArray }>)
    .SoftmaxCrossEntropyLoss!();
  const initialWeight = Float32Array.from(net.weight.data().data);
  return {
    id: 'W7',
    title: 'training step: Dense(784→10) + SoftmaxCE + SGD, batch 256',
    elements: batch * 784,
    bytes: 4 * (batch * 784 + 2 * 2 * 7850),
    gloss: () => {
      const l = autograd.record(() => loss.forward(net.forward(x!), labels!));
      l.backward();
      trainer.step(batch);
      return { loss: l.data, grad: net.weight.data().data };
    },
    tfjs: (tf) => {
      const [input] = tensorsOf(tf, x!);
      const oneHot = tf.oneHot(tf.tensor1d(labels!.data as Int32Array, 'int32'), 10);
      const weight = tf.variable(tf.transpose(tf.tensor2d(initialWeight, [10, 784])));
      const bias = tf.variable(tf.zeros([10]));
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
            ) as never,
          true,
        )!;
        const out = { loss: [value.dataSync()[0]!], grad: tf.transpose(weight).dataSync() };
        value.dispose();
        return out;
      };
    },
    tfjsNote: 'agreement checked on the first step only (both start from the same weights)',
    floor: floorPass([x!.data as Float32Array], [batch * 784, 7850]),
  };
}

// ---- timing -------------------------------------------------------------------------------

function time(
  fn: () => unknown,
  budgetMs: number,
  maxRuns: number,
): { median: number; min: number; runs: number } {
  fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < maxRuns && (samples.length < 3 || performance.now() - start < budgetMs)) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)]!, min: samples[0]!, runs: samples.length };
}

/**
 * Times two functions in alternation (one run of each per round), so that both see the same
 * machine state: on a shared VM the speed drifts by tens of percent over seconds, and a ratio of
 * two separately timed medians would carry that drift.
 */
function timePair(
  first: () => unknown,
  second: () => unknown,
  budgetMs: number,
  maxRuns: number,
): [{ median: number; min: number; runs: number }, { median: number; min: number; runs: number }] {
  first();
  second();
  const a: number[] = [];
  const b: number[] = [];
  const start = performance.now();
  while (a.length < maxRuns && (a.length < 3 || performance.now() - start < 2 * budgetMs)) {
    let t = performance.now();
    first();
    a.push(performance.now() - t);
    t = performance.now();
    second();
    b.push(performance.now() - t);
  }
  const stats = (samples: number[]) => {
    samples.sort((x, y) => x - y);
    return { median: samples[Math.floor(samples.length / 2)]!, min: samples[0]!, runs: samples.length };
  };
  return [stats(a), stats(b)];
}

function peakExtraBytes(fn: () => unknown): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().arrayBuffers;
  fn();
  return Math.max(0, process.memoryUsage().arrayBuffers - before);
}

function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
}

/**
 * Agreement of two steps: total loss within 1% (TF.js's wasm backend sums 4M float32 values in
 * float32 and drifts by ~0.4%; the drift is reported, not hidden) and every gradient entry within
 * 1e-3 of the largest.
 */
function agree(
  a: { loss: ArrayLike<number>; grad: ArrayLike<number> },
  b: { loss: ArrayLike<number>; grad: ArrayLike<number> },
  notes?: string[],
  label?: string,
): string | null {
  const la = sum(a.loss);
  const lb = sum(b.loss);
  const drift = Math.abs(la - lb) / Math.max(1, Math.abs(la));
  if (drift > 1e-2) return `loss ${la} vs ${lb}`;
  if (drift > 1e-4 && notes)
    notes.push(
      `${label}: total loss differs from gloss's float64-accumulated value by ${(drift * 100).toFixed(2)}%`,
    );
  if (a.grad.length !== b.grad.length) return `gradient length ${a.grad.length} vs ${b.grad.length}`;
  let scale = 0;
  for (let i = 0; i < b.grad.length; i++) scale = Math.max(scale, Math.abs(b.grad[i]!));
  for (let i = 0; i < a.grad.length; i++) {
    if (Math.abs(a.grad[i]! - b.grad[i]!) > 1e-3 * scale + 1e-7)
      return `gradient[${i}] ${a.grad[i]} vs ${b.grad[i]}`;
  }
  return null;
}

interface Row {
  id: string;
  title: string;
  gloss: { median: number; min: number };
  tfjs: Record<string, { median: number; min: number } | null>;
  floor: { median: number; min: number };
  plain: { median: number; min: number } | null;
  elementsPerSecond: number;
  gigabytesPerSecond: number;
  ratioToBestTfjs: number | null;
  ratioToFloor: number;
  ratioToPlain: number | null;
  peakExtraBytes: number;
  peakExtraOverLogits: number | null;
  notes: string[];
}

async function main(): Promise<void> {
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  await import('@tensorflow/tfjs-core/dist/register_all_gradients' as string);
  await import('@tensorflow/tfjs-backend-cpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const backends: string[] = ['cpu'];
  try {
    wasm.setThreadsCount?.(os.availableParallelism?.() ?? 2);
    await tf.setBackend('wasm');
    await tf.ready();
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    backends.push('wasm');
    console.log(`tfjs-backend-wasm loaded (SIMD ${simd}, threads ${threads})`);
  } catch (error) {
    console.log(`tfjs-backend-wasm did not load: ${(error as Error).message}`);
  }
  const budget = quick ? 300 : 1500;
  const rows: Row[] = [];
  for (const w of workloads()) {
    const notes: string[] = [];
    if (w.tfjsNote) notes.push(w.tfjsNote);
    if (w.threads) {
      useKernelThreads(w.threads);
      if (!(await kernelThreadsReady())) throw new Error(`${w.id}: the kernel threads did not start`);
      notes.push(
        `gloss with useKernelThreads(${w.threads}) (gloss-ml/node): the calling thread and ${w.threads - 1} worker`,
      );
    }
    const reference = w.gloss();
    const tfjs: Row['tfjs'] = {};
    for (const backend of backends) {
      if (!w.tfjs) {
        tfjs[backend] = null;
        continue;
      }
      await tf.setBackend(backend);
      await tf.ready();
      const step = w.tfjs(tf);
      const mismatch = w.id === 'W7' ? null : agree(reference, step(), notes, `tfjs-${backend}`);
      if (mismatch) throw new Error(`${w.id}: gloss and tfjs-${backend} disagree: ${mismatch}`);
      tfjs[backend] = time(step, budget, quick ? 20 : 200);
    }
    if (w.plain) {
      const mismatch = agree(w.gloss(), w.plain());
      if (mismatch) throw new Error(`${w.id}: gloss and the plain JS loop disagree: ${mismatch}`);
    }
    const [gloss, floor] = timePair(w.gloss, w.floor, budget, quick ? 50 : 500);
    const plain = w.plain ? time(w.plain, budget, quick ? 20 : 200) : null;
    const peak = peakExtraBytes(w.gloss);
    const tfTimes = Object.values(tfjs).filter((t): t is { median: number; min: number } => t !== null);
    const bestTf = tfTimes.length ? Math.min(...tfTimes.map((t) => t.median)) : null;
    rows.push({
      id: w.id,
      title: w.title,
      gloss,
      tfjs,
      floor,
      plain,
      elementsPerSecond: w.elements / (gloss.median / 1000),
      gigabytesPerSecond: w.bytes / (gloss.median / 1000) / 1e9,
      ratioToBestTfjs: bestTf === null ? null : bestTf / gloss.median,
      ratioToFloor: gloss.median / floor.median,
      ratioToPlain: plain ? plain.median / gloss.median : null,
      peakExtraBytes: peak,
      peakExtraOverLogits: w.logitsBytes ? peak / w.logitsBytes : null,
      notes,
    });
    if (w.threads) useKernelThreads(1);
    console.log(
      `${w.id.padEnd(4)} gloss ${gloss.median.toFixed(2)} ms | ${backends.map((b) => `tfjs-${b} ${tfjs[b] ? tfjs[b]!.median.toFixed(2) : 'n/a'}`).join(' | ')} | floor ${floor.median.toFixed(2)}${plain ? ` | plain JS ${plain.median.toFixed(2)}` : ''} ms`,
    );
  }
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  writeFileSync(
    'bench/results.json',
    `${JSON.stringify({ date: new Date().toISOString(), machine, backends, rows }, null, 1)}\n`,
  );
  const fmt = (t: { median: number } | null | undefined) => (t ? t.median.toFixed(2) : 'n/a');
  const ratio = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(2)}x`);
  const table = [
    `Machine: ${machine}. Median ms per forward+backward (lower is better); ratios from the same run.`,
    '',
    `| workload | gloss ms | ${backends.map((b) => `tfjs-${b} ms`).join(' | ')} | vs best tfjs | floor ms | gloss/floor | vs plain JS | Melem/s | GB/s | peak extra MB |`,
    `|---|---:|${backends.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|---:|---:|`,
    ...rows.map(
      (r) =>
        `| ${r.id} ${r.title} | ${fmt(r.gloss)} | ${backends.map((b) => fmt(r.tfjs[b])).join(' | ')} | ${ratio(r.ratioToBestTfjs)} faster | ${fmt(r.floor)} | ${r.ratioToFloor.toFixed(2)} | ${r.ratioToPlain === null ? 'n/a' : `${r.ratioToPlain.toFixed(2)}x faster`} | ${(r.elementsPerSecond / 1e6).toFixed(0)} | ${r.gigabytesPerSecond.toFixed(2)} | ${(r.peakExtraBytes / 2 ** 20).toFixed(1)}${r.peakExtraOverLogits === null ? '' : ` (${r.peakExtraOverLogits.toFixed(2)}x logits)`} |`,
    ),
    '',
    ...rows.flatMap((r) => r.notes.map((n) => `- ${r.id}: ${n}`)),
  ].join('\n');
  writeFileSync('bench/results.md', `${table}\n`);
  console.log(`\n${table}`);
}

await main();
