/**
 * What every workload of `npm run bench` is built from (bench/workloads.ts, bench/family-workloads.ts):
 * the Workload record, seeded inputs, gloss's and TF.js's steps, the floor pass and the PyTorch
 * worker's input form.
 */
import { autograd, gluon, nd, type NDArray } from 'gloss-ml';
import type { PyTorchSpec } from './pytorch.js';

export type Tf = typeof import('@tensorflow/tfjs-core');
export type Tensor = import('@tensorflow/tfjs-core').Tensor;

/** Runs forward + backward once; returns the per-sample losses and the gradient w.r.t. pred. */
export type Step = () => { loss: ArrayLike<number>; grad: ArrayLike<number> };

export interface Workload {
  id: string;
  title: string;
  /** 'loss': forward + backward (ms table); 'matmul': one product (GFLOP/s table). */
  kind: 'loss' | 'matmul';
  /** Elements of the prediction. */
  elements: number;
  /** Bytes a minimal pass must read and write. */
  bytes: number;
  /** Floating-point operations of one call (matmul rows). */
  flops?: number;
  gloss: Step;
  /** Builds the TF.js step for the current backend, or null when TF.js has no equivalent. */
  tfjs: ((tf: Tf) => Step) | null;
  tfjsNote?: string;
  /** The TF.js step computes a related but different loss (W2o): timed, not compared with gloss. */
  tfjsComputesOther?: boolean;
  /** What the PyTorch worker builds (same input buffers), or null when it has no equivalent. */
  pytorch: PyTorchSpec | null;
  /** The floor pass, or null where none is meaningful (matmul). */
  floor: (() => void) | null;
  plain?: Step;
  /** Threads for gloss's compute-bound kernels during this workload (gloss-ml/node useKernelThreads). */
  threads?: number;
  /**
   * gloss's matrix products with fused multiply-adds during this workload (useFusedMultiplyAdd,
   * relaxed SIMD): skipped where the engine has none.
   */
  fused?: boolean;
  /** Optional note on memory (W8). */
  logitsBytes?: number;
}

export function seeded<T>(seed: number, make: () => T): T {
  nd.random.seed(seed);
  return make();
}

export function glossStep(
  loss: { forward(...x: unknown[]): NDArray },
  pred: NDArray,
  ...rest: unknown[]
): Step {
  pred.attachGrad();
  return () => {
    const l = autograd.record(() => loss.forward(pred, ...rest));
    l.backward();
    return { loss: l.data, grad: pred.grad!.data };
  };
}

/** A TF.js forward + backward of a scalar loss of the prediction, disposing what it made. */
export function tfjsLossStep(tf: Tf, pred: Tensor, loss: (x: Tensor) => Tensor): Step {
  const g = tf.valueAndGrad(loss as (x: Tensor) => import('@tensorflow/tfjs-core').Scalar);
  return () => {
    const { value, grad } = g(pred);
    const out = { loss: [value.dataSync()[0]!], grad: grad.dataSync() };
    value.dispose();
    grad.dispose();
    return out;
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

export function floorPass(inputs: Float32Array[], outputs: number[]): () => void {
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

export function tensorsOf(tf: Tf, ...arrays: NDArray[]) {
  return arrays.map((a) =>
    tf.tensor(a.data as Float32Array, [...a.shape], a.dtype === 'int32' ? 'int32' : 'float32'),
  );
}

/** An NDArray's buffer and shape, as sent to the PyTorch worker (the same values, not a copy made by a generator). */
export const torchInput = (a: NDArray) => ({ shape: a.shape, data: a.data as Float32Array | Int32Array });

export type LossClass = new (o?: object) => { forward(...x: unknown[]): NDArray };
export const losses = gluon.loss as unknown as Record<string, LossClass>;
export const has = (name: string) => typeof losses[name] === 'function';
