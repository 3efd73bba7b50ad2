/**
 * `npm run bench:tiny`: the cost of a tiny recorded training step (W1s: L2Loss on [32,10]; W2s:
 * SoftmaxCrossEntropyLoss with sparse labels on [32,10]), fresh and again after every registered
 * loss ran in the same process (recorded with backward and unrecorded, float32 and float64, every
 * reduction). A step that costs more afterwards has call sites in the shared pipeline
 * that other losses turned polymorphic.
 *
 * Each process measures one tree; the driver runs fresh processes for this tree (and, with
 * `--compare <other tree>`, for the other one, alternating) and reports the median µs per step
 * over all rounds of all runs, with the spread of the per-run medians. Times are process CPU time
 * (user + system), so other processes' turns on a shared machine do not count; each phase starts
 * with 300 ms of warm-up per step, whose own cost per step is reported too (after other losses
 * ran it includes re-optimizing what they deoptimized).
 *
 * Run: npm run bench:tiny [-- --compare /tmp/base] [--runs 4] [--rounds 9]
 * One process, e.g. under V8 flags: node --trace-deopt --import tsx bench/tiny-calls.ts --measure . --mark
 * (`--profile <dir>` writes a CPU profile of each phase).
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Library = typeof import('../src/index.js');
type Samples = typeof import('../test/loss/_sample-inputs.js');
type Random = typeof import('../src/ndarray/random.js');
type Registry = typeof import('../src/loss/_registry.js');
type Step = () => void;

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const ROUNDS = option('--rounds', 9);
const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Process CPU time in ms (user + system): unlike wall time, not inflated by other processes' turns. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** CPU ms per call of `fn`, repeated until `ms` milliseconds of CPU time have passed. */
function timeOnce(fn: Step, ms = 20): number {
  let calls = 0;
  const start = cpuMs();
  do {
    for (let i = 0; i < 16; i++) fn();
    calls += 16;
  } while (cpuMs() - start < ms);
  return (cpuMs() - start) / calls;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** W1s and W2s, built as bench/workloads.ts builds them. */
function tinySteps(lib: Library): Record<'W1s' | 'W2s', Step> {
  const { nd, autograd, gluon } = lib;
  const step = (
    loss: { forward(...x: unknown[]): unknown },
    pred: InstanceType<typeof nd.NDArray>,
    label: unknown,
  ) => {
    pred.attachGrad();
    return () => {
      const l = autograd.record(() => loss.forward(pred, label)) as { backward(): void };
      l.backward();
    };
  };
  nd.random.seed(1);
  const small = nd.random.normal(0, 1, [32, 10]);
  const smallLabel = nd.random.normal(0, 1, [32, 10]);
  nd.random.seed(2);
  const logits = nd.random.normal(0, 2, [32, 10]);
  const classes = nd.random.randint(0, 10, [32]);
  return {
    W1s: step(new gluon.loss.L2Loss(), small, smallLabel),
    W2s: step(new gluon.loss.SoftmaxCrossEntropyLoss(), logits, classes),
  };
}

/** µs per step of W1s and W2s: the median of ROUNDS alternating rounds. */
function measure(steps: Record<'W1s' | 'W2s', Step>) {
  // Long enough for the optimizing compiler (it runs concurrently, so late on a busy machine); the
  // warm-up's own cost per step is reported too (after other losses ran it includes the deopts).
  const warmUp = { W1s: 1000 * timeOnce(steps.W1s, 300), W2s: 1000 * timeOnce(steps.W2s, 300) };
  const times = { W1s: [] as number[], W2s: [] as number[], warmUp };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['W1s', 'W2s'] as const) : (['W2s', 'W1s'] as const);
    for (const id of order) times[id].push(1000 * timeOnce(steps[id]));
  }
  return times;
}

/**
 * Every registered loss, on its contract-suite sample inputs: recorded with backward (every
 * float input differentiated, and only the first) and unrecorded, float32 and float64, each
 * reduction. Returns the number of calls.
 */
function runEveryLoss(
  lib: Library,
  registry: Registry,
  samples: Samples,
  random: Random,
  repeats: number,
): number {
  const { autograd } = lib;
  let calls = 0;
  for (const [name, LossClass] of Object.entries(registry.ALL_LOSSES)) {
    for (const reduction of [undefined, 'mean', 'sum', 'none'] as const) {
      const loss = new LossClass(reduction ? { reduction } : {});
      for (const dtype of ['float32', 'float64'] as const) {
        const inputs = samples.sampleInputs(loss, new random.RandomGenerator(3), dtype);
        if (!inputs) throw new Error(`${name}: no sample inputs`);
        const floats = inputs.filter(
          (x, i): x is NonNullable<typeof x> =>
            x !== null && x.dtype !== 'int32' && !loss.discreteInputs.includes(loss.inputNames[i]!),
        );
        for (let r = 0; r < repeats; r++) {
          for (const [k, x] of floats.entries()) x.attachGrad(r % 2 === 0 || k === 0 ? 'write' : 'null');
          const out = autograd.record(() => loss.forward(...inputs));
          out.backward();
          loss.forward(...inputs);
          calls += 2;
        }
      }
    }
  }
  return calls;
}

/** With `--profile <dir>`: `fn` under the CPU profiler, written to <dir>/tiny-<phase>.cpuprofile. */
async function profiled<T>(phase: string, fn: () => T): Promise<T> {
  const at = args.indexOf('--profile');
  if (at < 0) return fn();
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
  const result = fn();
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(resolve(args[at + 1]!, `tiny-${phase}.cpuprofile`), JSON.stringify(profile));
  session.disconnect();
  return result;
}

async function measureTree(tree: string) {
  const at = (path: string) => pathToFileURL(resolve(tree, path)).href;
  const lib = (await import(at('src/index.ts'))) as Library;
  const registry = (await import(at('src/loss/_registry.ts'))) as Registry;
  const samples = (await import(at('test/loss/_sample-inputs.ts'))) as Samples;
  const random = (await import(at('src/ndarray/random.ts'))) as Random;
  const steps = tinySteps(lib);
  const fresh = await profiled('fresh', () => measure(steps));
  const calls = runEveryLoss(lib, registry, samples, random, option('--repeats', 20));
  // With --mark, a line that splits a V8 trace (--trace-deopt, --trace-ic) into its two phases.
  if (args.includes('--mark')) console.log('MARK after every loss ran');
  const after = await profiled('after', () => measure(steps));
  return { fresh, after, calls };
}

type Result = Awaited<ReturnType<typeof measureTree>>;

function runChild(tree: string): Result {
  const child = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--measure',
      tree,
      '--json',
      '--rounds',
      String(ROUNDS),
    ],
    { encoding: 'utf8', cwd: here, maxBuffer: 1 << 24 },
  );
  if (child.status !== 0) throw new Error(`measuring ${tree} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Result;
}

const measureAt = args.indexOf('--measure');
if (measureAt >= 0) {
  const result = await measureTree(resolve(args[measureAt + 1] ?? '.'));
  if (args.includes('--json')) console.log(JSON.stringify(result));
  else
    for (const id of ['W1s', 'W2s'] as const)
      console.log(
        `${id}: fresh ${median(result.fresh[id]).toFixed(2)} µs, after ${result.calls} calls of every loss ` +
          `${median(result.after[id]).toFixed(2)} µs (warm-up ${result.fresh.warmUp[id].toFixed(2)}, ` +
          `${result.after.warmUp[id].toFixed(2)})`,
      );
} else {
  const compareAt = args.indexOf('--compare');
  const trees = compareAt >= 0 ? [here, resolve(args[compareAt + 1]!)] : [here];
  const runs = option('--runs', 4);
  const all = new Map(trees.map((tree) => [tree, [] as Result[]]));
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? trees : [...trees].reverse();
    for (const tree of order) all.get(tree)!.push(runChild(tree));
  }
  console.log(
    `W1s/W2s CPU µs per recorded step (forward+backward), ${runs} processes per tree x ${ROUNDS} rounds\n`,
  );
  console.log(
    '| tree | step | fresh µs (median, per-run range) | after every loss µs | after/fresh | warm-up µs fresh, after |',
  );
  console.log('|---|---|---:|---:|---:|---:|');
  for (const [tree, results] of all) {
    for (const id of ['W1s', 'W2s'] as const) {
      const fresh = median(results.flatMap((r) => r.fresh[id]));
      const after = median(results.flatMap((r) => r.after[id]));
      const range = (phase: 'fresh' | 'after') => {
        const per = results.map((r) => median(r[phase][id]));
        return `${Math.min(...per).toFixed(2)}-${Math.max(...per).toFixed(2)}`;
      };
      console.log(
        `| ${tree === here ? 'this' : tree} | ${id} | ${fresh.toFixed(2)} (${range('fresh')}) | ` +
          `${after.toFixed(2)} (${range('after')}) | ${(after / fresh).toFixed(2)} | ` +
          `${median(results.map((r) => r.fresh.warmUp[id])).toFixed(1)}, ` +
          `${median(results.map((r) => r.after.warmUp[id])).toFixed(1)} |`,
      );
    }
  }
}
