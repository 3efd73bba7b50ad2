/**
 * `npm run bench:ops`: NDArray kernels on 4M float32 elements (elementwise, broadcasting,
 * reductions, softmax) and matmul 1024×1024, each next to a plain typed-array loop doing the
 * same memory traffic (the floor), so the ratio says how close a kernel is to memory speed.
 * A benchmark, not a test: nothing here asserts timings.
 */
import { nd } from 'gloss-ml';

const SIZE = 4 * 1024 * 1024;
const quick = process.argv.includes('--quick');

function time(fn: () => unknown): number {
  fn();
  const samples: number[] = [];
  const start = performance.now();
  while (
    samples.length < (quick ? 3 : 7) ||
    (performance.now() - start < (quick ? 200 : 1500) && samples.length < 50)
  ) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

nd.random.seed(0);
const a = nd.random.normal(0, 1, [1024, 4096]);
const b = nd.random.normal(0, 1, [1024, 4096]);
const row = nd.random.normal(0, 1, [4096]);
const x = a.data as Float32Array;
const y = b.data as Float32Array;

const floorBinary = () => {
  const out = new Float32Array(SIZE);
  for (let i = 0; i < SIZE; i++) out[i] = x[i]! + y[i]!;
};
const floorUnary = () => {
  const out = new Float32Array(SIZE);
  for (let i = 0; i < SIZE; i++) out[i] = x[i]!;
};
const floorReduce = () => {
  let s = 0;
  for (let i = 0; i < SIZE; i++) s += x[i]!;
  return s;
};

const rows: [string, () => unknown, () => unknown][] = [
  ['add (same shape)', () => a.add(b), floorBinary],
  ['mul by scalar', () => a.mul(0.5), floorUnary],
  ['add row broadcast [1024,4096]+[4096]', () => a.add(row), floorBinary],
  ['exp', () => a.exp(), floorUnary],
  ['sigmoid', () => a.sigmoid(), floorUnary],
  ['relu', () => a.relu(), floorUnary],
  ['sum (all)', () => a.sum(), floorReduce],
  ['sum axis 1', () => a.sum(1), floorReduce],
  ['sum axis 0', () => a.sum(0), floorReduce],
  ['max axis 1', () => a.max(1), floorReduce],
  ['logSumExp axis 1', () => a.logSumExp(1), floorReduce],
  ['softmax axis 1', () => a.softmax(1), floorUnary],
];

console.log(`| op on 4M float32 | gloss ms | floor ms | gloss/floor |`);
console.log(`|---|---:|---:|---:|`);
for (const [name, op, floor] of rows) {
  const t = time(op);
  const f = time(floor);
  console.log(`| ${name} | ${t.toFixed(2)} | ${f.toFixed(2)} | ${(t / f).toFixed(2)} |`);
}

const m1 = nd.random.normal(0, 1, [1024, 1024]);
const m2 = nd.random.normal(0, 1, [1024, 1024]);
const t = time(() => m1.dot(m2));
console.log(
  `\nmatmul 1024x1024 (float32): ${t.toFixed(1)} ms, ${((2 * 1024 ** 3) / (t / 1000) / 1e9).toFixed(2)} GFLOP/s`,
);
