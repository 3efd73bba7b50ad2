import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodePng } from '../plot/_png.js';
import { byClass, parseXml, textOf } from '../plot/_svg.js';
import { runCli, runInProcess, temporaryFolder } from './_run-cli.js';

const SMALL = ['--epochs', '6', '--samples', '128', '--batch-size', '16', '--hidden', '16'];
const LONGER = ['--epochs', '10', '--samples', '128', '--batch-size', '16', '--hidden', '16'];

/** The training losses of the per-epoch lines. */
function epochLosses(output: string): number[] {
  return [...output.matchAll(/^epoch +\d+\/\d+: training loss ([\d.e+-]+)/gm)].map((m) => Number(m[1]));
}

test('gloss train fits L2Loss by default, reports each epoch and writes out/train-L2Loss.svg and .png', () => {
  const folder = temporaryFolder();
  const { status, stdout, stderr } = runCli(['train', ...SMALL], folder);
  assert.equal(status, 0, stderr + stdout);
  assert.match(stdout, /training an MLP \(2 → 16 → 16 → 1\) with L2Loss\(\), adam lr=0\.01/);
  const losses = epochLosses(stdout);
  assert.equal(losses.length, 6);
  assert.ok(losses[5]! < losses[0]! / 2, `the loss falls: ${losses}`);
  assert.match(stdout, /wrote out\/train-L2Loss\.svg, out\/train-L2Loss\.png/);
  const svg = parseXml(readFileSync(join(folder, 'out', 'train-L2Loss.svg'), 'utf8'));
  assert.deepEqual(
    byClass(svg, 'series').map((s) => [s.attributes['data-label'], s.attributes['data-points']]),
    [
      ['training loss', '6'],
      ['validation loss', '6'],
    ],
  );
  assert.equal(textOf(byClass(svg, 'x-label')[0]!), 'epoch');
  assert.ok(decodePng(readFileSync(join(folder, 'out', 'train-L2Loss.png'))).width > 0);
});

test('each kind of loss gets data it can learn: the loss falls, classifiers beat chance', async () => {
  const folder = temporaryFolder();
  for (const args of [
    ['--loss', 'huber', '--rho', '0.5'],
    ['--loss', 'hinge'],
    ['--loss', 'logistic', '--label-format', 'binary'],
    ['--loss', 'SigmoidBCELoss', '--from-sigmoid', 'true'],
    ['--loss', 'softmaxce', '--optimizer', 'rmsprop'],
    ['--loss', 'kldiv'],
    ['--loss', 'poisson', '--optimizer', 'sgd'],
  ]) {
    const result = await runInProcess(['train', ...args, ...LONGER, '--out', join(folder, 'curve.svg')]);
    assert.equal(result.code, 0, result.output);
    const losses = epochLosses(result.output);
    assert.ok(losses[losses.length - 1]! < losses[0]!, `${args.join(' ')}: ${losses}`);
    const accuracy = /validation accuracy ([\d.]+)%\n(?!epoch)/.exec(`${result.output}\n`);
    if (accuracy) assert.ok(Number(accuracy[1]) > 60, `${args.join(' ')}: accuracy ${accuracy[1]}%`);
  }
});

test('the same seed gives the same run; another seed another', async () => {
  const folder = temporaryFolder();
  const run = async (seed: string) =>
    (await runInProcess(['train', ...SMALL, '--seed', seed, '--out', join(folder, 'c.svg')])).output;
  const first = await run('3');
  assert.equal(await run('3'), first);
  assert.notEqual(await run('4'), first);
});

test('a learning rate that diverges is reported with exit code 1', async () => {
  const result = await runInProcess([
    'train',
    ...SMALL,
    '--optimizer',
    'sgd',
    '--lr',
    '1e6',
    '--out',
    join(temporaryFolder(), 'c.svg'),
  ]);
  assert.equal(result.code, 1);
  assert.match(
    result.output,
    /training diverged: the loss is (NaN|Infinity) at epoch \d+; try a smaller --lr/,
  );
});

test('errors name what is wrong and what would work', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['train', '--loss', 'ctc'],
      /CTCLoss cannot be trained by gloss train .*the losses it trains are L1Loss, L2Loss/,
    ],
    [['train', '--loss', 'nosuch'], /unknown loss 'nosuch'; choose one of L1Loss, L2Loss, HuberLoss/],
    [['train', '--optimizer', 'lbfgs'], /--optimizer must be one of sgd, adam, rmsprop, got lbfgs/],
    [['train', '--rho', '1'], /L2Loss: unknown option --rho; the options are --weight, --batch-axis/],
    [['train', '--loss', 'huber', '--rho', '-1'], /HuberLoss: option --rho must be > 0/],
    [['train', '--epochs', '0'], /option --epochs needs a positive integer, got 0/],
    [['train', '--lr', '-1'], /--lr must be positive/],
    [['train', '--out', 'curve.txt', ...SMALL], /--out must end in .svg or .png/],
    [['train', 'L2Loss'], /takes no positional arguments, got L2Loss; use --loss NAME/],
  ];
  for (const [args, message] of cases) {
    const result = await runInProcess(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.output}`);
    assert.match(result.output, message);
  }
});
