/**
 * Matrix-product throughput: the mul + add ceiling of wasm SIMD on this machine, the float32 kernel
 * (src/kernels/matmul.ts, as Dense calls it) on square sizes, `nd.dot`
 * in float32 and float64, and the Dense(784→H) products and training steps of the issue's
 * shapes. Optionally times another checkout in the same process, alternating round by round
 * (like bench/compare-trees.ts), so both see the same machine load.
 *
 * The machine is shared: every number is the median of several rounds (the range is the 2nd
 * lowest to the 2nd highest round), never a single run.
 *
 * Run: node --import tsx bench/matmul.ts [--against /tmp/base] [--rounds 7] [--quick] [--wall] [--only text]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type Library = typeof import('../src/index.js');
type Kernels = typeof import('../src/kernels/index.js');
type NDArray = import('../src/index.js').NDArray;

interface Tree {
  readonly name: string;
  readonly lib: Library;
  readonly kernels: Kernels;
}

const args = process.argv.slice(2);
const optionValue = (flag: string) => {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
};
const quick = args.includes('--quick');
const rounds = Number(optionValue('--rounds') ?? (quick ? 3 : 7));
const against = optionValue('--against');
/** Only the cases whose label contains this text. */
const only = optionValue('--only');

async function load(root: string, name: string): Promise<Tree> {
  const url = (path: string) => pathToFileURL(resolve(root, path)).href;
  return {
    name,
    lib: (await import(url('src/index.ts'))) as Library,
    kernels: (await import(url('src/kernels/index.ts'))) as Kernels,
  };
}

const trees: Tree[] = [await load('.', 'this')];
if (against) trees.push(await load(against, against));

/**
 * ms per call: calls repeated until `budget` ms have passed (at least 2). With `--wall` wall-clock
 * time, else this process's CPU time (user + system), which time slices lost to the other
 * sessions on a shared machine do not inflate (their cache and memory traffic still does).
 */
const wall = args.includes('--wall');
function clock(): number {
  if (wall) return performance.now();
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
function timeOnce(fn: () => void, budget: number): number {
  let calls = 0;
  const start = clock();
  do {
    fn();
    calls++;
  } while (calls < 2 || clock() - start < budget);
  return (clock() - start) / calls;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function spread(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const low = sorted[Math.min(1, sorted.length - 1)]!;
  const high = sorted[Math.max(sorted.length - 2, 0)]!;
  return `${low.toFixed(1)}-${high.toFixed(1)}`;
}

function seeded(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 32 - 0.5;
  }
  return out;
}

/** The kernel with either calling convention (argument object now, positional before). */
function kernelCall(
  kernels: Kernels,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  n: number,
): () => void {
  const matmul = kernels.matmul as unknown as (...x: unknown[]) => void;
  if (matmul.length > 1) return () => matmul(a, 0, b, 0, out, 0, n, n, n, false, false);
  return () => matmul({ a, b, out, rows: n, columns: n, inner: n });
}

interface Case {
  readonly label: string;
  /** Floating-point operations per call, for GFLOP/s; 0 reports ms only. */
  readonly flops: number;
  readonly make: (tree: Tree) => () => void;
}

const cases: Case[] = [];

/** Independent sums of the ceiling loop: 8-12 measured alike here; 16 spill (x64 wasm has 15 xmm). */
const CEILING_SUMS = 12;
/**
 * The machine's ceiling for these kernels: f32x4 multiplies and adds (wasm SIMD has no fused
 * multiply-add without relaxed SIMD) in 12 independent sums, operands from L1, in a loop of
 * `steps` iterations of 12 · 8 flop. The matrix products can at best match it.
 */
async function mulAddCeiling(steps: number): Promise<() => void> {
  const { default: wabt } = await import('wabt');
  const sums = Array.from({ length: CEILING_SUMS }, (_, i) => i);
  const text = `(module (memory 1)
    (func (export "run") (param $n i32) (result f32) (local $p i32) (local $y v128)
      ${sums.map((i) => `(local $c${i} v128)`).join(' ')}
      (local.set $y (v128.load (i32.const 512)))
      (loop $step
        ${sums.map((i) => `(local.set $c${i} (f32x4.add (local.get $c${i}) (f32x4.mul (v128.load offset=${16 * (i % 8)} (local.get $p)) (local.get $y))))`).join('\n')}
        (local.set $p (i32.and (i32.add (local.get $p) (i32.const 16)) (i32.const 255)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_if $step (local.get $n)))
      (f32x4.extract_lane 0 ${sums.map((i) => `(local.get $c${i})`).reduce((x, y) => `(f32x4.add ${x} ${y})`)})))`;
  const module = (await wabt()).parseWat('ceiling.wat', text, { simd: true });
  const instance = new WebAssembly.Instance(
    new WebAssembly.Module(new Uint8Array(module.toBinary({}).buffer)),
  );
  const run = instance.exports.run as (n: number) => number;
  return () => void run(steps);
}
const ceilingSteps = 1 << 20;
const ceiling = await mulAddCeiling(ceilingSteps);
cases.push({
  label: `ceiling: f32x4 mul + add, ${CEILING_SUMS} independent sums from L1`,
  flops: ceilingSteps * CEILING_SUMS * 8,
  make: () => ceiling,
});
for (const n of quick ? [256, 512] : [256, 512, 1024]) {
  const a = seeded(n * n, 1);
  const b = seeded(n * n, 2);
  cases.push({
    label: `float32 accumulation (Dense, kernels entry) ${n}³`,
    flops: 2 * n ** 3,
    make: (tree) => kernelCall(tree.kernels, a, b, new Float32Array(n * n), n),
  });
}
for (const [dtype, n] of [
  ['float32', 512],
  ['float64', 256],
  ['float64', 512],
] as const) {
  cases.push({
    label: `nd.dot (float64 accumulation, DECISIONS 15) ${dtype} ${n}³`,
    flops: 2 * n ** 3,
    make: ({ lib: { nd } }) => {
      nd.random.seed(3);
      const a = nd.random.uniform(-1, 1, [n, n]).astype(dtype);
      const b = nd.random.uniform(-1, 1, [n, n]).astype(dtype);
      return () => void nd.dot(a, b);
    },
  });
}
for (const batch of [256, 4096]) {
  for (const units of [10, 128]) {
    const shape = `batch ${batch}, 784→${units}`;
    const make = (tree: Tree) => {
      const { nd, gluon } = tree.lib;
      nd.random.seed(7);
      const x = nd.random.uniform(0, 1, [batch, 784]);
      const net = new gluon.nn.Dense(units, { inUnits: 784 });
      nd.random.seed(8);
      net.initialize();
      return { nd, gluon, x, net };
    };
    cases.push({
      label: `Dense forward ${shape}`,
      flops: 2 * batch * 784 * units,
      make: (tree) => {
        const { x, net } = make(tree);
        return () => void net.forward(x);
      },
    });
    cases.push({
      label: `Dense+SoftmaxCE+SGD step ${shape}`,
      flops: 2 * 2 * batch * 784 * units, // forward and dW (x needs no gradient)
      make: (tree) => {
        const { nd, gluon, x, net } = make(tree);
        const classes = nd.random.randint(0, units, [batch]);
        const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
        const loss = new (
          gluon.loss as unknown as Record<string, new () => { forward(...x: unknown[]): NDArray }>
        ).SoftmaxCrossEntropyLoss!();
        return () => {
          const l = tree.lib.autograd.record(() => loss.forward(net.forward(x), classes));
          l.backward();
          trainer.step(batch);
        };
      },
    });
  }
}

const budget = quick ? 60 : 150;
const header = trees.map((t) => `${t.name}: ms | GFLOP/s (range)`).join(' | ');
console.log(
  `matmul bench: median of ${rounds} alternating rounds, ~${budget} ms each, ${wall ? 'wall-clock' : 'CPU'} time\n`,
);
console.log(`| case | ${header} |${trees.length > 1 ? ' this/other |' : ''}`);
console.log(`|---|${trees.map(() => '---:|---:|').join('')}${trees.length > 1 ? '---:|' : ''}`);
for (const c of cases) {
  if (only && !c.label.includes(only)) continue;
  const steps = trees.map((tree) => c.make(tree));
  for (const step of steps) step();
  const times: number[][] = trees.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? steps.keys() : [...steps.keys()].reverse();
    for (const t of order) times[t]!.push(timeOnce(steps[t]!, budget));
  }
  const cells = times.map((ms) => {
    const rates = ms.map((m) => c.flops / m / 1e6);
    return `${median(ms).toFixed(3)} | ${median(rates).toFixed(1)} (${spread(rates)})`;
  });
  const ratio = trees.length > 1 ? ` ${(median(times[0]!) / median(times[1]!)).toFixed(2)} |` : '';
  console.log(`| ${c.label} | ${cells.join(' | ')} |${ratio}`);
}
