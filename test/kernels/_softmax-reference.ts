// The float64 reference and seeded cases of the softmax kernel tests (softmax.test.ts,
// softmax-long-rows.test.ts).
import { softmaxGradientRows, sparseSoftmaxCrossEntropyRows } from '../../src/kernels/index.js';
import { uniforms } from './_ulp.js';

/** Float64 reference: per row lse = log Σ e^x (max-shifted), ℓ = lse − x_label, grad = s·(p − onehot). */
export function reference(
  x: ArrayLike<number>,
  rows: number,
  classes: number,
  labels: Int32Array,
  scale: number[],
) {
  const lse = new Float64Array(rows);
  const loss = new Float64Array(rows);
  const grad = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    let maximum = Number.NEGATIVE_INFINITY;
    let nan = false;
    for (let c = 0; c < classes; c++) {
      const v = x[r * classes + c]!;
      if (Number.isNaN(v)) nan = true;
      maximum = Math.max(maximum, v);
    }
    let total = 0;
    for (let c = 0; c < classes; c++) total += Math.exp(x[r * classes + c]! - maximum);
    lse[r] = nan ? Number.NaN : maximum + Math.log(total);
    loss[r] = lse[r]! - x[r * classes + labels[r]!]!;
    for (let c = 0; c < classes; c++) {
      grad[r * classes + c] =
        scale[r]! * (Math.exp(x[r * classes + c]! - lse[r]!) - (c === labels[r] ? 1 : 0));
    }
  }
  return { lse, loss, grad };
}

export function run(
  x: Float32Array | Float64Array,
  rows: number,
  classes: number,
  labels: Int32Array,
  scale: Float64Array,
) {
  const shift = new Float64Array(rows);
  const logSum = new Float64Array(rows);
  const loss = new Float64Array(rows);
  sparseSoftmaxCrossEntropyRows({ x, classes, shift, logSum, labels, loss });
  const grad = new Float32Array(rows * classes);
  softmaxGradientRows({ x, classes, shift, logSum, scale, labels, out: grad });
  return { loss, grad, shift, logSum };
}

export function randomCase(rows: number, classes: number, spread: number, seed: number) {
  const next = uniforms(seed);
  const x = new Float32Array(rows * classes);
  for (let i = 0; i < x.length; i++) x[i] = (next() - 0.5) * 2 * spread;
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) labels[r] = Math.floor(next() * classes);
  const scale = new Float64Array(rows);
  for (let r = 0; r < rows; r++) scale[r] = 0.25 + next();
  return { x, labels, scale };
}

export const BACKENDS = ['wasm', 'js'] as const;
