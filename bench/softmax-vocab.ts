/**
 * Nanoseconds per logit of SoftmaxCrossEntropyLoss (sparse labels, float32, forward + backward
 * through autograd, as bench/workloads.ts's W2/W8/W9 run it) across class counts, with the
 * number of rows chosen so every size holds about the same number of logits. The point is the
 * shape of the curve: no step where a row stops fitting one kernel chunk (C = 16384 → 16385)
 * or the caches (C = 131072). Not a test: it prints the median and the range of a few rounds,
 * the sizes interleaved within each round so a loaded machine slows them alike.
 *
 * Run: npx tsx bench/softmax-vocab.ts [--rounds 5] [--classes 1000,16384,16385,50000,131072]
 */
import { autograd, gluon, nd, type NDArray } from '../src/index.js';

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
};
const rounds = Number(argument('--rounds', '5'));
const classCounts = argument('--classes', '1000,16384,16385,50000,131072').split(',').map(Number);
/** Logits per call (about 8 MiB of float32): 2097 rows of 1000 … 16 rows of 131072. */
const LOGITS = 1 << 21;

interface Size {
  classes: number;
  rows: number;
  step: () => void;
  samples: number[];
}

function size(classes: number): Size {
  const rows = Math.max(1, Math.round(LOGITS / classes));
  nd.random.seed(3);
  const logits = nd.random.normal(0, 2, [rows, classes]);
  const labels = nd.random.randint(0, classes, [rows]);
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  logits.attachGrad();
  const step = () => {
    const l: NDArray = autograd.record(() => loss.forward(logits, labels));
    l.backward();
  };
  return { classes, rows, step, samples: [] };
}

const sizes = classCounts.map(size);
for (const s of sizes) for (let i = 0; i < 3; i++) s.step();
for (let round = 0; round < rounds; round++) {
  for (const s of sizes) {
    // The fastest of a few calls: the machine is shared, the slow calls are someone else's.
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      s.step();
      best = Math.min(best, performance.now() - t);
    }
    s.samples.push((best * 1e6) / (s.rows * s.classes));
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log('classes    rows   ns/logit (median)   range          vs C=first');
const first = median(sizes[0]!.samples);
for (const s of sizes) {
  const m = median(s.samples);
  const range = `${Math.min(...s.samples).toFixed(3)}-${Math.max(...s.samples).toFixed(3)}`;
  console.log(
    `${String(s.classes).padStart(7)} ${String(s.rows).padStart(7)}   ${m.toFixed(3).padStart(8)}            ${range.padEnd(14)} ${(m / first).toFixed(2)}x`,
  );
}
