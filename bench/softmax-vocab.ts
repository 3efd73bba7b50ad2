/**
 * Nanoseconds per logit of SoftmaxCrossEntropyLoss (sparse labels, float32, forward + backward
 * through autograd, as bench/workloads.ts's W2/W8/W9 run it) across class counts, with the
 * number of rows chosen so every size holds about the same number of logits. The point is the
 * shape of the curve: no step where a row stops fitting one kernel chunk (C = 16384 → 16385)
 * or the caches (C = 131072). Not a test: it prints the median and the range of a few rounds,
 * the sizes interleaved within each round so a loaded machine slows them alike.
 *
 * With `--against DIR` (another checkout, e.g. a baseline worktree) the same sizes of that
 * tree's src run alternately with this tree's, in the same process, and the table gains its
 * column and the ratio.
 *
 * With `--cpu-time` a call is timed by the process's CPU time (user + system, microseconds)
 * instead of the wall clock: on a machine shared with other jobs, the time spent descheduled
 * does not count (cache pollution by the other jobs still does).
 *
 * Run: npx tsx bench/softmax-vocab.ts [--rounds 5] [--classes 1000,16384,16385,50000,131072] [--against DIR] [--cpu-time]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as here from 'gloss-ml';

type Library = typeof here;

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
};
const rounds = Number(argument('--rounds', '5'));
const classCounts = argument('--classes', '1000,16384,16385,50000,131072').split(',').map(Number);
const againstDir = argument('--against', '');
const cpuTime = process.argv.includes('--cpu-time');
/** Milliseconds: the wall clock, or the process's CPU time with --cpu-time. */
const now = cpuTime
  ? () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    }
  : () => performance.now();
const libraries: Library[] = [here];
if (againstDir)
  libraries.push((await import(pathToFileURL(resolve(againstDir, 'src/index.ts')).href)) as Library);
/** Logits per call (about 8 MiB of float32): 2097 rows of 1000 … 16 rows of 131072. */
const LOGITS = 1 << 21;

interface Size {
  classes: number;
  rows: number;
  step: () => void;
  samples: number[];
}

function size({ autograd, gluon, nd }: Library, classes: number): Size {
  const rows = Math.max(1, Math.round(LOGITS / classes));
  nd.random.seed(3);
  const logits = nd.random.normal(0, 2, [rows, classes]);
  const labels = nd.random.randint(0, classes, [rows]);
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  logits.attachGrad();
  const step = () => {
    const l = autograd.record(() => loss.forward(logits, labels));
    l.backward();
  };
  return { classes, rows, step, samples: [] };
}

const runs = libraries.map((library) => classCounts.map((classes) => size(library, classes)));
for (const s of runs.flat()) for (let i = 0; i < 3; i++) s.step();
for (let round = 0; round < rounds; round++) {
  for (const s of runs.flat()) {
    // The fastest of a few calls: the machine is shared, the slow calls are someone else's.
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i++) {
      const t = now();
      s.step();
      best = Math.min(best, now() - t);
    }
    s.samples.push((best * 1e6) / (s.rows * s.classes));
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const range = (values: number[]) => `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;
const [mine, other] = runs as [Size[], Size[] | undefined];
const first = median(mine[0]!.samples);
console.log(
  `classes    rows  ns/logit median (range)  vs C=${mine[0]!.classes}` +
    (other ? `  | ${againstDir}: ns/logit (range)  this/other` : ''),
);
mine.forEach((s, i) => {
  const m = median(s.samples);
  let line = `${String(s.classes).padStart(7)} ${String(s.rows).padStart(7)}  ${m.toFixed(3).padStart(7)} (${range(s.samples)})`;
  line += `  ${(m / first).toFixed(2)}x`;
  if (other) {
    const o = other[i]!;
    // Per-round ratios: the two trees ran back to back in each round.
    const ratios = s.samples.map((v, k) => v / o.samples[k]!);
    line += `  | ${median(o.samples).toFixed(3)} (${range(o.samples)})  ${median(ratios).toFixed(2)} (${range(ratios)})`;
  }
  console.log(line);
});
