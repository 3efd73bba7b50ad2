/**
 * Micro-benchmark of the kernel layer (src/kernels) against the plain hand-fused Math.exp/Math.log
 * loops of bench/plain-loops.ts, on the sizes of the performance issue's W2, W3 and W5, plus the
 * float32 matrix product against a plain JS loop. Not a test: it prints medians and ratios from
 * one run. Each kernel step does what the loss's block kernels will do (forward with ℓ in
 * float64, per-sample sums, backward into a float32 gradient), without the autograd pipeline.
 *
 * Run: npx tsx bench/kernels.ts [--quick]
 */
import {
  matmul,
  setKernelBackend,
  sigmoidBinaryCrossEntropyBackward,
  sigmoidBinaryCrossEntropyForward,
  softmaxGradientRows,
  softmaxRowNormalizers,
  sparseSoftmaxCrossEntropyRows,
} from '../src/kernels/index.js';
import { plainCtc, plainSigmoidBce, plainSoftmaxCe } from './plain-loops.js';

const quick = process.argv.includes('--quick');

function median(fn: () => unknown, budgetMs: number): number {
  fn();
  fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < 5 || (performance.now() - start < budgetMs && samples.length < 200)) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((x, y) => x - y);
  return samples[Math.floor(samples.length / 2)]!;
}

/** A deterministic stream of normal deviates (Box–Muller over a small LCG). */
function normals(count: number, sigma: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++)
    out[i] = sigma * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

function integers(count: number, low: number, high: number, seed: number): Int32Array {
  const u = normals(count, 1, seed);
  return Int32Array.from(u, (v) => low + Math.floor(((Math.abs(v) * 7919) % 1) * (high - low)));
}

interface Line {
  name: string;
  plain: number;
  wasm: number;
  js: number;
}

function softmaxStep(logits: Float32Array, labels: Int32Array, n: number, c: number) {
  const shift = new Float64Array(n);
  const logSum = new Float64Array(n);
  const loss = new Float64Array(n);
  const grad = new Float32Array(n * c);
  return () => {
    // Forward in blocks of 4096 ℓ elements (= rows), then backward with dℓ = 1 per row.
    sparseSoftmaxCrossEntropyRows({ x: logits, classes: c, shift, logSum, labels, loss });
    softmaxGradientRows({ x: logits, classes: c, shift, logSum, scale: 1, labels, out: grad });
    return grad;
  };
}

function bceStep(logits: Float32Array, labels: Float32Array, n: number, d: number) {
  const block = new Float64Array(4096);
  const dLoss = new Float64Array(4096).fill(1 / d);
  const totals = new Float64Array(n);
  const grad = new Float32Array(n * d);
  return () => {
    for (let begin = 0; begin < n * d; begin += 4096) {
      const length = Math.min(4096, n * d - begin);
      sigmoidBinaryCrossEntropyForward(
        {
          logits: logits.subarray(begin, begin + length),
          labels: labels.subarray(begin, begin + length),
          posWeight: null,
          labelScale: 1,
          labelShift: 0,
        },
        block.subarray(0, length),
      );
      let sum = 0;
      for (let k = 0; k < length; k++) sum += block[k]!;
      totals[Math.floor(begin / d)]! += sum;
    }
    for (let begin = 0; begin < n * d; begin += 4096) {
      const length = Math.min(4096, n * d - begin);
      sigmoidBinaryCrossEntropyBackward(
        {
          logits: logits.subarray(begin, begin + length),
          labels: labels.subarray(begin, begin + length),
          posWeight: null,
          labelScale: 1,
          labelShift: 0,
        },
        {
          dLoss: dLoss.subarray(0, length),
          dPred: grad.subarray(begin, begin + length),
          dLabels: null,
          dPosWeight: null,
        },
      );
    }
    return grad;
  };
}

/** The parts of CTC the kernel layer serves: frame log-softmax normalisers and the softmax term of the gradient. */
function ctcKernelParts(acts: Float32Array, n: number, t: number, c: number) {
  const shift = new Float64Array(n * t);
  const logSum = new Float64Array(n * t);
  const grad = new Float32Array(n * t * c);
  return () => {
    softmaxRowNormalizers({ x: acts, classes: c, shift, logSum });
    softmaxGradientRows({ x: acts, classes: c, shift, logSum, scale: 1, labels: null, out: grad });
    return grad;
  };
}

function plainCtcParts(acts: Float32Array, n: number, t: number, c: number) {
  const grad = new Float32Array(n * t * c);
  return () => {
    for (let f = 0; f < n * t; f++) {
      const row = f * c;
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < c; k++) max = Math.max(max, acts[row + k]!);
      let total = 0;
      for (let k = 0; k < c; k++) total += Math.exp(acts[row + k]! - max);
      const lse = max + Math.log(total);
      for (let k = 0; k < c; k++) grad[row + k] = Math.exp(acts[row + k]! - lse);
    }
    return grad;
  };
}

function plainMatmul(a: Float32Array, b: Float32Array, m: number, n: number, k: number) {
  const out = new Float32Array(m * n);
  return () => {
    out.fill(0);
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const v = a[i * k + p]!;
        const row = p * n;
        const to = i * n;
        for (let j = 0; j < n; j++) out[to + j]! += v * b[row + j]!;
      }
    }
    return out;
  };
}

function compare(name: string, plain: () => unknown, kernel: () => unknown, budget: number): Line {
  setKernelBackend('wasm');
  const wasm = median(kernel, budget);
  setKernelBackend('js');
  const js = median(kernel, budget);
  setKernelBackend('auto');
  const plainTime = median(plain, budget);
  return { name, plain: plainTime, wasm, js };
}

function main(): void {
  const budget = quick ? 400 : 2000;
  const lines: Line[] = [];
  {
    const [n, c] = [4096, 1000];
    const logits = normals(n * c, 2, 2);
    const labels = integers(n, 0, c, 3);
    lines.push(
      compare(
        'W2 SoftmaxCE sparse [4096,1000] fwd+bwd',
        () => plainSoftmaxCe(logits, labels, n, c),
        softmaxStep(logits, labels, n, c),
        budget,
      ),
    );
  }
  {
    const [n, d] = [4096, 1024];
    const logits = normals(n * d, 1, 1);
    const labels = Float32Array.from(integers(n * d, 0, 2, 4));
    lines.push(
      compare(
        'W3 SigmoidBCE logits [4096,1024] fwd+bwd',
        () => plainSigmoidBce(logits, labels, n, d),
        bceStep(logits, labels, n, d),
        budget,
      ),
    );
  }
  {
    const [t, n, c, l] = [100, 32, 41, 20];
    const acts = normals(n * t * c, 1, 5);
    const labels = integers(n * l, 1, c, 6);
    lines.push(
      compare(
        'W5 CTC frame softmax parts only (N·T=3200 rows of 41)',
        plainCtcParts(acts, n, t, c),
        ctcKernelParts(acts, n, t, c),
        budget,
      ),
    );
    const whole = median(() => plainCtc(acts, labels, n, t, c, l), budget);
    console.log(
      `(whole plain CTC T=${t} N=${n} C=${c} L=${l}: ${whole.toFixed(2)} ms; the recursion is the loss's own code)`,
    );
  }
  {
    const [m, n, k] = [256, 512, 512];
    const a = normals(m * k, 1, 7);
    const b = normals(k * n, 1, 8);
    const out = new Float32Array(m * n);
    lines.push(
      compare(
        `matmul f32 [${m},${k}]x[${k},${n}]`,
        plainMatmul(a, b, m, n, k),
        () => matmul({ a, b, out, rows: m, columns: n, inner: k }),
        budget,
      ),
    );
    lines.push(
      compare(
        `matmul f32 A·Bᵀ [${m},${k}]x[${n},${k}]ᵀ`,
        plainMatmul(a, b, m, n, k),
        () => matmul({ a, b, out, rows: m, columns: n, inner: k, transposeB: true }),
        budget,
      ),
    );
  }
  console.log('\n| workload | plain JS ms | kernels wasm ms | kernels js ms | wasm vs plain |');
  console.log('|---|---:|---:|---:|---:|');
  for (const line of lines) {
    console.log(
      `| ${line.name} | ${line.plain.toFixed(2)} | ${line.wasm.toFixed(2)} | ${line.js.toFixed(2)} | ${(line.plain / line.wasm).toFixed(1)}x |`,
    );
  }
}

main();
