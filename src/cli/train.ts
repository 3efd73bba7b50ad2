/**
 * `gloss train`: fits a small MLP to a seeded synthetic dataset with a chosen loss and optimizer,
 * shows a progress bar with the running loss, and writes the training curve as SVG and PNG.
 * @module
 */
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { autograd, gluon, init, nd } from '../index.js';
import type { Loss } from '../loss/index.js';
import { ValueError } from '../ndarray/errors.js';
import { RandomGenerator } from '../ndarray/random.js';
import { lineChart } from '../plot/index.js';
import { describeLoss } from '../plot/loss-views.js';
import { countOption, kebabCase, numberOption, parseLooseArgs } from './_args.js';
import { writeFigure } from './_figures.js';
import { resolveLossClass } from './_loss-views.js';
import { batchOf, type Dataset, TRAINABLE_LOSSES, type TrainingTask, taskFor } from './_train-tasks.js';

const OPTIMIZERS = ['sgd', 'adam', 'rmsprop'] as const;
/** Learning rates that train these small problems well in the default number of epochs. */
const DEFAULT_LEARNING_RATE: Readonly<Record<(typeof OPTIMIZERS)[number], number>> = {
  sgd: 0.1,
  adam: 0.01,
  rmsprop: 0.01,
};

/** Options of `gloss train` itself; every other `--name` is an option of the loss. */
const OWN_OPTIONS = new Set([
  'loss',
  'optimizer',
  'lr',
  'epochs',
  'batchSize',
  'samples',
  'hidden',
  'seed',
  'out',
  'progress',
  'help',
]);

export const TRAIN_HELP = `Usage: gloss train [--loss NAME] [--LOSS-OPTION VALUE ...] [--optimizer sgd|adam|rmsprop] [--lr R]
                   [--epochs N] [--batch-size N] [--samples N] [--hidden N] [--seed N] [--out FILE]

Trains a multilayer perceptron (2 inputs, two ReLU layers, Xavier init) on a synthetic dataset
drawn with a seeded generator — regression, binary or 3-class classification, target
distributions or counts, whichever the loss expects — shows a progress bar with the running
loss, and writes the training and validation loss per epoch as a chart (SVG and PNG).

Options:
  --loss NAME             ${TRAINABLE_LOSSES.join(', ')}
                          (default L2Loss; case and the "Loss" suffix are optional)
  --LOSS-OPTION VALUE     an option of the loss, e.g. --rho 0.5, --label-format binary
  --optimizer NAME        sgd, adam or rmsprop (default adam)
  --lr R                  learning rate (default 0.1 for sgd, 0.01 otherwise)
  --epochs N              passes over the data (default 30)
  --batch-size N          samples per step (default 32)
  --samples N             training samples (default 512; validation gets a quarter as many, at least 64)
  --hidden N              units per hidden layer (default 32)
  --seed N                seeds the data, the shuffling and the initial weights (default 0)
  --out FILE              write only FILE, SVG or PNG by its extension (default: out/train-LOSS.svg and .png)
  --progress true|false   show the progress bar (default: when stderr is a terminal; otherwise one line per epoch)
  -h, --help              show this help`;

/** A loss option's text as a value: true/false, a number, or the text itself. */
function lossOptionValue(text: string | true): boolean | number | string {
  if (text === true || text === 'true') return true;
  if (text === 'false') return false;
  const number = Number(text);
  return text.trim() !== '' && Number.isFinite(number) ? number : text;
}

/** Per-epoch results. */
interface EpochResult {
  readonly epoch: number;
  readonly trainingLoss: number;
  readonly validationLoss: number;
  readonly accuracy: number | null;
}

/** Mean loss over `data` and the accuracy when the task has classes, without recording. */
function evaluate(
  net: gluon.nn.Block,
  loss: Loss,
  task: TrainingTask,
  data: Dataset,
): { loss: number; accuracy: number | null } {
  const all = Int32Array.from({ length: data.size }, (_, i) => i);
  const { inputs, labels } = batchOf(data, all);
  const output = net.forward(inputs);
  const mean = loss.forward(task.prediction(output), labels).mean().item();
  if (!task.predictedClass || !data.classes) return { loss: mean, accuracy: null };
  const predicted = task.predictedClass(output);
  let correct = 0;
  for (let i = 0; i < data.size; i++) if (predicted[i] === data.classes[i]) correct++;
  return { loss: mean, accuracy: correct / data.size };
}

/** Fisher–Yates with the run's generator, so the batch order is reproducible. */
function shuffle(indices: Int32Array, generator: RandomGenerator): void {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = generator.nextInt(0, i + 1);
    const swap = indices[i]!;
    indices[i] = indices[j]!;
    indices[j] = swap;
  }
}

const format = (value: number) => (Number.isFinite(value) ? value.toPrecision(4) : String(value));

/** Runs `gloss train`. Returns the exit code (1 when training diverges). */
export async function trainCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { positionals, options } = parseLooseArgs(argv);
  if (options.has('help')) {
    out(TRAIN_HELP);
    return 0;
  }
  if (positionals.length > 0)
    throw new ValueError(`takes no positional arguments, got ${positionals.join(' ')}; use --loss NAME`);
  const typedLoss = options.get('loss') ?? 'L2Loss';
  if (typedLoss === true) throw new ValueError(`--loss needs a name: ${TRAINABLE_LOSSES.join(', ')}`);
  const { lossClass, name } = resolveLossClass(typedLoss, TRAINABLE_LOSSES);
  const lossOptions: Record<string, boolean | number | string> = {};
  for (const [key, value] of options) if (!OWN_OPTIONS.has(key)) lossOptions[key] = lossOptionValue(value);
  const task = taskFor(name, lossOptions);
  let loss: Loss;
  try {
    loss = new lossClass(lossOptions);
  } catch (error) {
    // The loss names its own options; say they are given as --kebab-case here.
    const message = (error as Error).message
      .replace(/option (\w+)/g, (_, option: string) => `option --${kebabCase(option)}`)
      .replace(
        /the options are ([\w, ]+)/,
        (_, list: string) =>
          `the options are ${list
            .split(', ')
            .map((o) => `--${kebabCase(o)}`)
            .join(', ')}`,
      );
    throw new ValueError(message);
  }

  const optimizerText = options.get('optimizer') ?? 'adam';
  const optimizer = OPTIMIZERS.find((o) => o === (optimizerText === true ? '' : optimizerText.toLowerCase()));
  if (!optimizer)
    throw new ValueError(`--optimizer must be one of ${OPTIMIZERS.join(', ')}, got ${String(optimizerText)}`);
  const learningRate = options.has('lr')
    ? numberOption('lr', options.get('lr')!)
    : DEFAULT_LEARNING_RATE[optimizer];
  if (!(learningRate > 0)) throw new ValueError(`--lr must be positive, got ${learningRate}`);
  const epochs = options.has('epochs') ? countOption('epochs', options.get('epochs')!) : 30;
  const batchSize = options.has('batchSize') ? countOption('batchSize', options.get('batchSize')!) : 32;
  const samples = options.has('samples') ? countOption('samples', options.get('samples')!) : 512;
  const hidden = options.has('hidden') ? countOption('hidden', options.get('hidden')!) : 32;
  const seed = options.has('seed') ? numberOption('seed', options.get('seed')!) : 0;
  if (!Number.isInteger(seed)) throw new ValueError(`--seed must be an integer, got ${seed}`);
  const progressOption = options.get('progress');
  const showBar = progressOption === undefined ? process.stderr.isTTY === true : progressOption !== 'false';

  // Initial weights come from nd.random's global stream; data and shuffling from their own.
  nd.random.seed(seed);
  const generator = new RandomGenerator(seed);
  const training = task.makeData(samples, generator);
  const validation = task.makeData(Math.max(64, Math.round(samples / 4)), generator);
  const { nn } = gluon;
  const net = new nn.Sequential().add(
    new nn.Dense(hidden, { activation: 'relu' }),
    new nn.Dense(hidden, { activation: 'relu' }),
    new nn.Dense(task.outputs),
  );
  net.initialize(new init.Xavier());
  const trainer = new gluon.Trainer(net.collectParams(), optimizer, { learningRate });

  const lossText = describeLoss(name, lossOptions);
  out(
    `training an MLP (2 → ${hidden} → ${hidden} → ${task.outputs}) with ${lossText}, ${optimizer} lr=${learningRate}`,
  );
  out(
    `data: ${task.description}; ${samples} training and ${validation.size} validation samples, seed ${seed}`,
  );

  const batchesPerEpoch = Math.ceil(samples / batchSize);
  const bar = showBar
    ? new cliProgress.SingleBar(
        {
          format: 'epoch {epoch}/{epochs} |{bar}| {percentage}% | running loss {runningLoss}',
          hideCursor: true,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(epochs * batchesPerEpoch, 0, { epoch: 1, epochs, runningLoss: '-' });

  const results: EpochResult[] = [];
  const order = Int32Array.from({ length: samples }, (_, i) => i);
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      shuffle(order, generator);
      let total = 0;
      let seen = 0;
      for (let start = 0; start < samples; start += batchSize) {
        const { inputs, labels } = batchOf(
          training,
          order.subarray(start, Math.min(samples, start + batchSize)),
        );
        const perSample = autograd.record(() => loss.forward(task.prediction(net.forward(inputs)), labels));
        perSample.backward();
        trainer.step(inputs.shape[0]!);
        total += perSample.sum().item();
        seen += inputs.shape[0]!;
        bar?.increment(1, { epoch, runningLoss: format(total / seen) });
      }
      const trainingLoss = total / seen;
      const check = evaluate(net, loss, task, validation);
      results.push({ epoch, trainingLoss, validationLoss: check.loss, accuracy: check.accuracy });
      if (!bar) out(epochLine(results[results.length - 1]!, epochs));
      if (!Number.isFinite(trainingLoss)) break;
    }
  } finally {
    bar?.stop();
  }

  const last = results[results.length - 1]!;
  if (!Number.isFinite(last.trainingLoss)) {
    out(`training diverged: the loss is ${last.trainingLoss} at epoch ${last.epoch}; try a smaller --lr`);
    return 1;
  }
  if (bar) out(epochLine(last, epochs));
  const first = results[0]!;
  out(
    `training loss ${format(first.trainingLoss)} after epoch 1 → ${format(last.trainingLoss)} after epoch ${last.epoch}`,
  );

  const svg = trainingChart(results, `${lossText}, ${optimizer} lr=${learningRate}`);
  const target = options.get('out');
  if (target === true) throw new ValueError('--out needs a file name ending in .svg or .png');
  const base = join('out', `train-${name}`);
  const paths =
    target === undefined
      ? { svgPath: `${base}.svg`, pngPath: `${base}.png` }
      : /\.svg$/i.test(target)
        ? { svgPath: target }
        : /\.png$/i.test(target)
          ? { pngPath: target }
          : null;
  if (paths === null) throw new ValueError(`--out must end in .svg or .png, got ${JSON.stringify(target)}`);
  const written = await writeFigure(svg, paths);
  if (written.note) out(written.note);
  if (written.files.length > 0) out(`wrote ${written.files.join(', ')}`);
  return 0;
}

function epochLine(result: EpochResult, epochs: number): string {
  const accuracy =
    result.accuracy === null ? '' : `, validation accuracy ${(result.accuracy * 100).toFixed(1)}%`;
  return (
    `epoch ${String(result.epoch).padStart(String(epochs).length)}/${epochs}: training loss ${format(result.trainingLoss)}, ` +
    `validation loss ${format(result.validationLoss)}${accuracy}`
  );
}

/** The training curve: training and validation loss per epoch, on a log axis when it spans a decade. */
function trainingChart(results: readonly EpochResult[], title: string): string {
  const epochs = results.map((r) => r.epoch);
  const values = results.flatMap((r) => [r.trainingLoss, r.validationLoss]);
  const positive = values.every((v) => v > 0);
  const spansDecade = positive && Math.max(...values) / Math.min(...values) >= 10;
  return lineChart(
    [
      { label: 'training loss', x: epochs, y: results.map((r) => r.trainingLoss) },
      { label: 'validation loss', x: epochs, y: results.map((r) => r.validationLoss), dashed: true },
    ],
    { title, xLabel: 'epoch', yLabel: 'loss', yScale: spansDecade ? 'log' : 'linear' },
  );
}
