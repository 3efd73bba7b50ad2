/**
 * `npm run bench:compare -- <other tree>`: the bench's gloss workloads timed in ONE process for
 * two source trees, this one and another checkout (e.g. the previous commit, made with
 * `git worktree add /tmp/base HEAD~1`), in alternation, so both see the same machine state.
 * Reports each tree's median ms, the ratio this/other per round (median and the spread of the
 * per-round ratios), which is what "within 10% of the previous commit" is judged by.
 *
 * Run: npm run bench:compare -- /tmp/base [W1,W2,M512] [--rounds 15]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type Library = typeof import('../src/index.js');
type Step = () => void;

const args = process.argv.slice(2);
const otherTree = args.find((a) => !a.startsWith('-') && !/^[WMT]\d/.test(a));
if (!otherTree) {
  console.error('usage: npm run bench:compare -- <path of another gloss tree> [W1,W2,M512,...] [--rounds N]');
  process.exit(2);
}
const only = args.find((a) => /^[WMT]\d/.test(a))?.split(',');
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 15;

/** The bench's workloads (same shapes and seeds as bench/run.ts), built with one tree's library. */
function workloads(lib: Library): Map<string, Step> {
  const { nd, autograd, gluon } = lib;
  const losses = gluon.loss as unknown as Record<
    string,
    new (
      o?: object,
    ) => { forward(...x: unknown[]): unknown }
  >;
  const step = (
    loss: { forward(...x: unknown[]): unknown },
    pred: ReturnType<typeof nd.zeros>,
    ...rest: unknown[]
  ) => {
    pred.attachGrad();
    return () => {
      const l = autograd.record(() => loss.forward(pred, ...rest)) as { backward(): void };
      l.backward();
    };
  };
  const list = new Map<string, Step>();
  nd.random.seed(1);
  const pred = nd.random.normal(0, 1, [4096, 1024]);
  const label = nd.random.normal(0, 1, [4096, 1024]);
  list.set('W1', step(new losses.L2Loss!(), pred, label));
  nd.random.seed(1);
  const small = nd.random.normal(0, 1, [32, 10]);
  const smallLabel = nd.random.normal(0, 1, [32, 10]);
  list.set('W1s', step(new losses.L2Loss!(), small, smallLabel));
  const softmax = (id: string, n: number, c: number) => {
    nd.random.seed(2);
    const logits = nd.random.normal(0, 2, [n, c]);
    const labels = nd.random.randint(0, c, [n]);
    list.set(id, step(new losses.SoftmaxCrossEntropyLoss!(), logits, labels));
  };
  softmax('W2', 4096, 1000);
  {
    // W2o: W2 with labelSmoothing, ignoreIndex (every tenth label −1) and classWeight (see
    // bench/workloads.ts); absent from a tree whose SoftmaxCrossEntropyLoss lacks the options.
    nd.random.seed(2);
    const logits = nd.random.normal(0, 2, [4096, 1000]);
    const labels = nd.random.randint(0, 1000, [4096]);
    const classWeight = nd.random.uniform(0.5, 1.5, [1000]);
    const ignoring = nd.array(
      Array.from(labels.data, (y, i) => (i % 10 === 3 ? -1 : y)),
      { dtype: 'int32' },
    );
    try {
      const loss = new losses.SoftmaxCrossEntropyLoss!({ labelSmoothing: 0.1, ignoreIndex: -1, classWeight });
      list.set('W2o', step(loss, logits, ignoring));
    } catch {
      // The other tree has no such options.
    }
  }
  softmax('W2s', 32, 10);
  nd.random.seed(1);
  const logits = nd.random.normal(0, 1, [4096, 1024]);
  const binary = nd.random.randint(0, 2, [4096, 1024]).astype('float32');
  list.set('W3', step(new losses.SigmoidBinaryCrossEntropyLoss!(), logits, binary));
  nd.random.seed(1);
  const huberPred = nd.random.normal(0, 1, [4096, 1024]);
  const huberLabel = nd.random.normal(0, 1, [4096, 1024]);
  list.set('W4', step(new losses.HuberLoss!({ rho: 1 }), huberPred, huberLabel));
  nd.random.seed(5);
  const activations = nd.random.normal(0, 1, [32, 100, 41]);
  const sequences = nd.random.randint(1, 41, [32, 20]);
  list.set('W5', step(new losses.CTCLoss!({ blankLabel: 'first' }), activations, sequences));
  nd.random.seed(6);
  const anchor = nd.random.normal(0, 1, [4096, 256]);
  const positive = nd.random.normal(0, 1, [4096, 256]);
  const negative = nd.random.normal(0, 1, [4096, 256]);
  list.set('W6', step(new losses.TripletLoss!({ margin: 1 }), anchor, positive, negative));
  softmax('W8', 64, 50000);
  softmax('W9', 16, 131072);
  {
    // SoftmaxCE's family on W2's shape (bench/family-workloads.ts); a loss the other tree lacks is left out.
    nd.random.seed(7);
    const familyLogits = nd.random.normal(0, 2, [4096, 1000]);
    const familyLabels = nd.random.randint(0, 1000, [4096]);
    const target = nd.softmax(nd.random.normal(0, 1, [4096, 1000]));
    const logProbabilities = nd.logSoftmax(familyLogits);
    const family: [string, string, object, ReturnType<typeof nd.zeros>, unknown][] = [
      ['W2d', 'SoftmaxCrossEntropyLoss', { sparseLabel: false }, familyLogits, target],
      ['W10', 'KLDivLoss', {}, logProbabilities, target],
      ['W10l', 'KLDivLoss', { fromLogits: false }, familyLogits, target],
      ['W11', 'SoftmaxFocalLoss', { alpha: 0.25, gamma: 2 }, familyLogits, familyLabels],
      ['W12', 'NLLLoss', {}, logProbabilities, familyLabels],
    ];
    for (const [id, name, options, input, labelled] of family) {
      const make = losses[name];
      if (make) list.set(id, step(new make(options), input.copy(), labelled));
    }
  }
  const trainingStep = (id: string, batch: number) => {
    nd.random.seed(7);
    const x = nd.random.uniform(0, 1, [batch, 784]);
    const classes = nd.random.randint(0, 10, [batch]);
    const net = new gluon.nn.Dense(10, { inUnits: 784 });
    nd.random.seed(8);
    net.initialize();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
    const crossEntropy = new losses.SoftmaxCrossEntropyLoss!();
    list.set(id, () => {
      const l = autograd.record(() => crossEntropy.forward(net.forward(x), classes)) as { backward(): void };
      l.backward();
      trainer.step(batch);
    });
  };
  trainingStep('W7', 256);
  trainingStep('W7b', 4096);
  for (const n of [256, 512, 1024]) {
    nd.random.seed(9);
    const a = nd.random.normal(0, 1, [n, n]);
    const b = nd.random.normal(0, 1, [n, n]);
    list.set(`M${n}`, () => nd.dot(a, b));
  }
  return list;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** ms per call of `fn`, repeated until 25 ms have passed (at least 3 calls). */
function timeOnce(fn: Step): number {
  let calls = 0;
  const start = performance.now();
  do {
    fn();
    calls++;
  } while (calls < 3 || performance.now() - start < 25);
  return (performance.now() - start) / calls;
}

const here = (await import('../src/index.js')) as Library;
const there = (await import(pathToFileURL(resolve(otherTree, 'src/index.ts')).href)) as Library;
const mine = workloads(here);
const theirs = workloads(there);
console.log(`this tree vs ${otherTree}: ${rounds} alternating rounds per workload\n`);
console.log('| workload | this ms | other ms | this/other (median) | per-round range |');
console.log('|---|---:|---:|---:|---:|');
const absent: string[] = [];
for (const [id, step] of mine) {
  if (only && !only.includes(id)) continue;
  const other = theirs.get(id);
  if (!other) {
    absent.push(id);
    continue;
  }
  step();
  other();
  const thisTimes: number[] = [];
  const otherTimes: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate which tree goes first, so neither always runs on a warmer cache.
    const a = round % 2 === 0 ? timeOnce(step) : 0;
    const b = timeOnce(other);
    const c = round % 2 === 0 ? a : timeOnce(step);
    thisTimes.push(c);
    otherTimes.push(b);
    ratios.push(c / b);
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  console.log(
    `| ${id} | ${median(thisTimes).toFixed(3)} | ${median(otherTimes).toFixed(3)} | ${median(ratios).toFixed(2)} | ` +
      `${sorted[1]!.toFixed(2)}-${sorted[sorted.length - 2]!.toFixed(2)} |`,
  );
}
if (absent.length > 0) console.log(`\nnot in the other tree: ${absent.join(', ')}`);
const unknown = only?.filter((id) => !mine.has(id)) ?? [];
if (unknown.length > 0)
  console.log(
    `\nnot timed here: ${unknown.join(', ')} (bench:compare times gloss's NDArray workloads; the TF.js training steps T1, T2 run in npm run bench)`,
  );
