/**
 * `npm run bench`: gloss against TensorFlow.js 4.22 (cpu and wasm backends) and, when python3
 * with torch is installed, PyTorch on one thread (bench/pytorch_worker.py), on the workloads of
 * the performance issues, with identical seeded inputs. Every workload is first checked for
 * numerical agreement, then every cell (workload × library, plus the floor pass and the plain JS
 * loop) is warmed up (after a garbage collection) and measured in at least 3 runs, in rotating
 * rounds; a cell whose spread (max/min − 1) is above 20% is measured again (bench/stats.ts). Reports the median and minimum of every cell and
 * ratios of medians from this run with their range. A full run (no filter, no --skip, not
 * --quick) writes bench/results.json, bench/results.md and the README's table; a partial run
 * writes bench/results-partial.json and .md only.
 *
 * The TF.js training-step rows (T1, T2: bench/tfjs-steps.ts) follow, on every TF.js backend loaded.
 *
 * Run: npm run bench [-- --quick] [-- W1,W2,M512,T1] [-- --skip tfjs-cpu,pytorch] [-- --note "text"]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import { useFusedMultiplyAdd } from 'gloss-ml';
import { kernelThreadsReady, useKernelThreads } from 'gloss-ml/node';
import { PyTorchWorker } from './pytorch.js';
import { markdown, type Row, type Run, type TfjsStepCells, type TfjsStepRow, withTable } from './report.js';
import {
  type CellResult,
  defaultMeasureOptions,
  differenceOf,
  type MeasureOptions,
  measureCells,
  ratioOf,
} from './stats.js';
import { type TfjsStepWorkload, tfjsStepWorkloads } from './tfjs-steps.js';
import { type Step, type Tf, workloads } from './workloads.js';

// Node 20 validates relaxed SIMD only with this V8 flag (Chrome 114+ and Node 22+ have it on): set
// before any module compiles, for the M512f row alone; no other workload asks for it.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const args = process.argv.slice(2);
const argumentAfter = (flag: string) => {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
};
const quick = args.includes('--quick');
const only = args.find((a) => /^[WMT]\d/.test(a))?.split(',');
const skip = new Set(argumentAfter('--skip')?.split(',') ?? []);
const runNote = argumentAfter('--note');
const budgetMs = quick ? 100 : 400;
const options: MeasureOptions = { ...defaultMeasureOptions, maxReruns: quick ? 1 : 3 };

/** A cell's untimed calls before its first run: until this many ms passed or WARM_UP_CALLS were made. */
const warmUpMs = quick ? 50 : 200;
const WARM_UP_CALLS = 20000;

function warmUp(fn: () => unknown): void {
  const start = performance.now();
  for (let calls = 0; calls < WARM_UP_CALLS && (calls === 0 || performance.now() - start < warmUpMs); calls++)
    fn();
}

/** One run of a cell: calls `fn` until `budget` ms passed (at least once); median ms per call. */
function timeBatch(fn: () => unknown, budget: number, maxCalls: number): number {
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < maxCalls && (samples.length === 0 || performance.now() - start < budget)) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const middle = samples.length >> 1;
  return samples.length % 2 ? samples[middle]! : (samples[middle - 1]! + samples[middle]!) / 2;
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

async function loadTfjs(): Promise<{ tf: Tf; backends: string[] }> {
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  await import('@tensorflow/tfjs-core/dist/register_all_gradients' as string);
  await import('@tensorflow/tfjs-backend-cpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const backends: string[] = skip.has('tfjs-cpu') ? [] : ['cpu'];
  if (!skip.has('tfjs-wasm')) {
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
  }
  return { tf, backends };
}

/** Calls a TF.js step twice and throws when the second call leaves tensors behind. */
function checkNoLeak(tf: Tf, where: string, step: () => unknown): void {
  step();
  const before = tf.memory().numTensors;
  step();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${where}: one call leaves ${after - before} tensors behind`);
}

/**
 * A TF.js training-step row: on every backend, the first steps of both arms are checked to agree
 * (loss value and updated weights, and the adapter's gradient of the logits against gloss's),
 * then all cells of the row are measured together in rotating rounds.
 */
async function measureTfjsSteps(w: TfjsStepWorkload, tf: Tf, backends: string[]): Promise<TfjsStepRow> {
  const tfl = await import('@tensorflow/tfjs-layers');
  const notes = [w.tfjsNote];
  const cells = new Map<string, () => unknown>();
  for (const backend of backends) {
    await tf.setBackend(backend);
    await tf.ready();
    const built = w.build(tf, tfl);
    const { first } = built;
    const gradientMismatch = agree(
      { loss: [first.adapterLoss], grad: first.adapterGradient },
      { loss: [w.lossGloss()], grad: first.glossGradient },
    );
    if (gradientMismatch)
      throw new Error(
        `${w.id}: on tfjs-${backend} the adapter's loss alone disagrees with gloss's: ${gradientMismatch}`,
      );
    if (first.tfjsLoss !== null && first.tfjsWeights) {
      const stepMismatch = agree(
        { loss: [first.tfjsLoss], grad: first.tfjsWeights },
        { loss: [first.adapterLoss], grad: first.adapterWeights },
        notes,
        `tfjs-${backend}`,
      );
      if (stepMismatch)
        throw new Error(
          `${w.id}: on tfjs-${backend} the first steps with TF.js's loss and gloss's disagree: ${stepMismatch}`,
        );
    }
    for (const [name, step] of [
      [`tfjs-${backend}`, built.tfjs],
      [`adapter-${backend}`, built.adapter],
      [`loss-tfjs-${backend}`, built.lossTfjs],
      [`loss-adapter-${backend}`, built.lossAdapter],
    ] as const) {
      if (!step) continue;
      checkNoLeak(tf, `${w.id} ${name}`, step);
      cells.set(name, step);
    }
  }
  cells.set('loss-gloss', w.lossGloss);
  const maxCalls = quick ? 50 : 500;
  // As the loss rows: a collected heap and warm cells before the first timed run.
  (globalThis as { gc?: () => void }).gc?.();
  for (const [cell, step] of cells) {
    const backend = backends.find((b) => cell.endsWith(`-${b}`));
    if (backend) await tf.setBackend(backend);
    warmUp(step);
  }
  const measured = await measureCells(
    [...cells.keys()],
    async (cell) => {
      const backend = backends.find((b) => cell.endsWith(`-${b}`));
      if (backend) await tf.setBackend(backend);
      return timeBatch(cells.get(cell)!, budgetMs, maxCalls);
    },
    options,
  );
  const lossGloss = measured.get('loss-gloss')!;
  const perBackend: TfjsStepCells[] = backends.map((backend) => {
    const tfjs = measured.get(`tfjs-${backend}`) ?? null;
    const adapter = measured.get(`adapter-${backend}`)!;
    const lossAdapter = measured.get(`loss-adapter-${backend}`)!;
    const overhead = differenceOf(lossAdapter, lossGloss);
    return {
      backend,
      tfjs,
      adapter,
      lossTfjs: measured.get(`loss-tfjs-${backend}`) ?? null,
      lossAdapter,
      adapterOverTfjs: tfjs ? ratioOf(adapter, tfjs) : null,
      overhead,
      overheadShareOfStep: overhead.median / adapter.median,
    };
  });
  console.log(
    `${w.id.padEnd(5)} ${[...measured].map(([name, c]) => `${name} ${c.median.toFixed(3)}/${c.min.toFixed(3)} (${(c.spread * 100).toFixed(0)}%${c.attempts > 1 ? `, ${c.attempts} sets` : ''})`).join(' | ')}`,
  );
  return {
    id: w.id,
    title: w.title,
    tfjsMissing: w.tfjsMissing,
    lossGloss,
    adapterBytes: w.adapterBytes,
    backends: perBackend,
    notes,
  };
}

async function main(): Promise<void> {
  const loadStart = os.loadavg()[0]!;
  const { tf, backends } = await loadTfjs();
  const runNotes: string[] = runNote ? [runNote] : [];
  let pytorch: Awaited<ReturnType<typeof PyTorchWorker.start>> | null = null;
  if (skip.has('pytorch')) runNotes.push('PyTorch column skipped (--skip pytorch)');
  else {
    pytorch = await PyTorchWorker.start();
    if ('reason' in pytorch) {
      console.log(
        `PyTorch column skipped: ${pytorch.reason} (apt-get install -y python3-torch libopenblas0)`,
      );
      runNotes.push(
        `PyTorch column skipped: ${pytorch.reason} (apt-get install -y python3-torch libopenblas0)`,
      );
    } else console.log(`PyTorch worker: torch ${pytorch.torch}, 1 thread, BLAS ${pytorch.blas}`);
  }
  const worker = pytorch && 'worker' in pytorch ? pytorch.worker : null;
  const rows: Row[] = [];
  for (const w of workloads(only)) {
    const notes: string[] = [];
    if (w.tfjsNote) notes.push(w.tfjsNote);
    if (w.fused) {
      if (!useFusedMultiplyAdd(true)) {
        console.log(`${w.id}: skipped, this engine has no relaxed SIMD`);
        continue;
      }
      notes.push('gloss with useFusedMultiplyAdd(true): relaxed SIMD fused multiply-adds (opt-in)');
    }
    if (w.threads) {
      useKernelThreads(w.threads);
      if (!(await kernelThreadsReady())) throw new Error(`${w.id}: the kernel threads did not start`);
      notes.push(
        `gloss with useKernelThreads(${w.threads}) (gloss-ml/node): the calling thread and ${w.threads - 1} worker; PyTorch stays on 1 thread`,
      );
    }
    const first = w.gloss();
    const reference = { loss: Float64Array.from(first.loss), grad: Float32Array.from(first.grad) };
    const steps = new Map<string, Step | 'pytorch'>([['gloss', w.gloss]]);
    if (w.floor) steps.set('floor', w.floor as Step);
    if (w.plain) {
      const mismatch = agree(w.gloss(), w.plain());
      if (mismatch) throw new Error(`${w.id}: gloss and the plain JS loop disagree: ${mismatch}`);
      steps.set('plain', w.plain);
    }
    for (const backend of backends) {
      if (!w.tfjs) continue;
      await tf.setBackend(backend);
      await tf.ready();
      const step = w.tfjs(tf);
      // A TF.js step that computes a different loss (W2o) is timed, not compared.
      const mismatch = w.tfjsComputesOther ? null : agree(reference, step(), notes, `tfjs-${backend}`);
      if (mismatch) throw new Error(`${w.id}: gloss and tfjs-${backend} disagree: ${mismatch}`);
      steps.set(`tfjs-${backend}`, step);
    }
    if (worker && w.pytorch) {
      try {
        const mismatch = agree(reference, await worker.setup(w.id, w.pytorch), notes, 'PyTorch');
        if (mismatch) notes.push(`PyTorch not timed: it disagrees with gloss (${mismatch})`);
        else steps.set('pytorch', 'pytorch');
      } catch (error) {
        notes.push(`PyTorch not timed: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    const maxCalls = quick ? 50 : 500;
    // Every cell starts on a collected heap and warm: the earlier workloads' garbage is not
    // charged to this one, and a tiny call's first runs (500 calls of a few µs) are not its JIT's
    // tier-up, which otherwise showed as runs falling from 12 to 4 µs and decided which set was kept.
    (globalThis as { gc?: () => void }).gc?.();
    for (const [cell, step] of steps) {
      if (step === 'pytorch') await worker!.time(w.id, warmUpMs, WARM_UP_CALLS);
      else {
        if (cell.startsWith('tfjs-')) await tf.setBackend(cell.slice(5));
        warmUp(step);
      }
    }
    const measured = await measureCells(
      [...steps.keys()],
      async (cell) => {
        const step = steps.get(cell)!;
        if (step === 'pytorch') return worker!.time(w.id, budgetMs, maxCalls);
        if (cell.startsWith('tfjs-')) await tf.setBackend(cell.slice(5));
        return timeBatch(step, budgetMs, maxCalls);
      },
      options,
    );
    if (worker && steps.has('pytorch')) await worker.drop(w.id);
    const cells: Record<string, CellResult | null> = {};
    for (const name of ['gloss', 'floor', 'plain', ...backends.map((b) => `tfjs-${b}`), 'pytorch'])
      cells[name] = measured.get(name) ?? null;
    const gloss = cells.gloss!;
    const tfjsCells = backends.map((b) => [`tfjs-${b}`, cells[`tfjs-${b}`]] as const).filter(([, c]) => c);
    const best = tfjsCells.sort((x, y) => x[1]!.median - y[1]!.median)[0] ?? null;
    const peak = peakExtraBytes(w.gloss);
    rows.push({
      id: w.id,
      title: w.title,
      kind: w.kind,
      cells,
      ratios: {
        glossOverPyTorch: cells.pytorch ? ratioOf(gloss, cells.pytorch) : null,
        bestTfjsOverGloss: best ? ratioOf(best[1]!, gloss) : null,
        bestTfjs: best ? best[0] : null,
        glossOverFloor: cells.floor ? ratioOf(gloss, cells.floor) : null,
        plainOverGloss: cells.plain ? ratioOf(cells.plain, gloss) : null,
      },
      elementsPerSecond: w.elements / (gloss.median / 1000),
      gigabytesPerSecond: w.bytes / (gloss.median / 1000) / 1e9,
      flops: w.flops ?? null,
      peakExtraBytes: peak,
      peakExtraOverLogits: w.logitsBytes ? peak / w.logitsBytes : null,
      notes,
    });
    if (w.threads) useKernelThreads(1);
    if (w.fused) useFusedMultiplyAdd(false);
    console.log(
      `${w.id.padEnd(5)} ${[...measured].map(([name, c]) => `${name} ${c.median.toFixed(3)}/${c.min.toFixed(3)} (${(c.spread * 100).toFixed(0)}%${c.attempts > 1 ? `, ${c.attempts} sets` : ''})`).join(' | ')}`,
    );
  }
  worker?.close();
  const tfjsSteps: TfjsStepRow[] = [];
  if (backends.length > 0) {
    for (const w of tfjsStepWorkloads(only)) tfjsSteps.push(await measureTfjsSteps(w, tf, backends));
  }
  const cpus = os.cpus();
  const run: Run = {
    date: new Date().toISOString(),
    machine: `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    load: { start: loadStart, end: os.loadavg()[0]! },
    options: { ...options, budgetMs },
    backends,
    pytorch: pytorch && 'torch' in pytorch ? `torch ${pytorch.torch}, 1 thread, BLAS ${pytorch.blas}` : null,
    rows,
    tfjsSteps,
    notes: runNotes,
  };
  // A partial run (a filter, --skip or --quick) must not replace the committed results of the
  // last full run, which the README's table comes from.
  const full = !quick && !only && skip.size === 0;
  const base = full ? 'bench/results' : 'bench/results-partial';
  writeFileSync(`${base}.json`, `${JSON.stringify(run, null, 1)}\n`);
  const table = markdown(run);
  writeFileSync(`${base}.md`, table);
  console.log(`\n${table}`);
  if (!full) console.log(`${base}.json and .md: this partial run (bench/results.* keep the last full run).`);
  if (full) {
    const readme = withTable(readFileSync('README.md', 'utf8'), table);
    if (readme) {
      writeFileSync('README.md', readme);
      console.log('README.md: the benchmark table was replaced with this run.');
    }
  }
}

await main();
