import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodePng } from '../plot/_png.js';
import { byClass, parseXml, textOf } from '../plot/_svg.js';
import { runCli, runInProcess, temporaryFolder } from './_run-cli.js';

test('gloss plot huber --rho 2 writes out/HuberLoss.svg and .png in the working folder', () => {
  const folder = temporaryFolder();
  const { status, stdout, stderr } = runCli(['plot', 'huber', '--rho', '2'], folder);
  assert.equal(status, 0, stderr + stdout);
  assert.match(stdout, /HuberLoss\(rho=2\), label = 0: pred from -5 to 5 \(201 points\)/);
  assert.match(stdout, /smallest loss 0 at pred 0, largest 4 at pred -5/);
  const svg = parseXml(readFileSync(join(folder, 'out', 'HuberLoss.svg'), 'utf8'));
  assert.equal(textOf(byClass(svg, 'title')[0]!), 'HuberLoss(rho=2), label = 0');
  assert.deepEqual(
    byClass(svg, 'series').map((s) => s.attributes['data-label']),
    ['loss', 'gradient d loss / d pred'],
  );
  assert.equal(textOf(byClass(svg, 'x-label')[0]!), 'pred');
  const png = decodePng(readFileSync(join(folder, 'out', 'HuberLoss.png')));
  assert.deepEqual([png.width, png.height], [1280, 800]);
});

test('--out chooses one file and its format; --label, --from, --to and --points set the sweep', async () => {
  const folder = temporaryFolder();
  const svgPath = join(folder, 'sub', 'l2.svg');
  const result = await runInProcess([
    'plot',
    'L2Loss',
    '--label',
    '1',
    '--from',
    '-2',
    '--to',
    '4',
    '--points',
    '7',
    '--out',
    svgPath,
  ]);
  assert.equal(result.code, 0, result.output);
  assert.match(
    result.output,
    /L2Loss\(\), label = 1: pred from -2 to 4 \(7 points\); smallest loss 0 at pred 1, largest 4\.5 at pred -2/,
  );
  const series = byClass(parseXml(readFileSync(svgPath, 'utf8')), 'series');
  assert.equal(series[0]!.attributes['data-points'], '7');
  const pngPath = join(folder, 'hinge.png');
  assert.equal((await runInProcess(['plot', 'HingeLoss', '--margin=2', '--out', pngPath])).code, 0);
  assert.equal(decodePng(readFileSync(pngPath)).width, 1280);
  assert.equal(existsSync(join(folder, 'hinge.svg')), false);
});

test('loss names are case-insensitive, the Loss suffix and Gluon aliases are accepted', async () => {
  const folder = temporaryFolder();
  for (const [typed, name] of [
    ['sigmoidbce', 'SigmoidBinaryCrossEntropyLoss'],
    ['SigmoidBCELoss', 'SigmoidBinaryCrossEntropyLoss'],
    ['poisson', 'PoissonNLLLoss'],
    ['l1loss', 'L1Loss'],
  ]) {
    const result = await runInProcess([
      'plot',
      typed!,
      '--points',
      '3',
      '--out',
      join(folder, `${typed}.svg`),
    ]);
    assert.equal(result.code, 0, result.output);
    assert.ok(result.output.startsWith(`${name}(`), result.output);
  }
});

test('errors list the valid loss names and options', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['plot', 'nosuch'],
      /gloss plot: unknown loss 'nosuch'; choose one of L1Loss, L2Loss, HuberLoss, HingeLoss/,
    ],
    [['plot', 'l'], /'l' could be L1Loss, L2Loss, LogCoshLoss, LogisticLoss/],
    [
      ['plot', 'softmaxce'],
      /SoftmaxCrossEntropyLoss has no one-dimensional view, so gloss plot cannot draw it: each sample's loss is a softmax over all of its class scores.*the losses with one are L1Loss/,
    ],
    [
      ['plot', 'ctc'],
      /CTCLoss has no one-dimensional view, so gloss plot cannot draw it: it scores a whole sequence of per-frame predictions/,
    ],
    [['plot', 'triplet'], /TripletLoss has no one-dimensional view.*three embeddings per sample/],
    [['plot', 'cosineembedding'], /CosineEmbeddingLoss has no one-dimensional view.*two embedding vectors/],
    [['plot', 'sdml'], /SDMLLoss has no one-dimensional view.*the whole batch/],
    [
      ['plot', 'huber', '--rhoo', '2'],
      /HuberLoss has no option --rhoo; its options are --rho NUMBER, --weight NUMBER/,
    ],
    [['plot', 'huber', '--rho', 'two'], /HuberLoss option --rho needs a number, got "two"/],
    [['plot', 'huber', '--rho', '-1'], /HuberLoss: option rho must be > 0/],
    [['plot', 'logistic', '--label-format', 'Binary'], /option --label-format needs one of signed, binary/],
    [['plot', 'kldiv', '--from-logits', 'false'], /KLDivLoss cannot be drawn against one prediction/],
    [['plot', 'l2', '--from', '3', '--to', '1'], /--from must be below --to/],
    [['plot', 'l2', '--points', '1.5'], /--points needs a positive integer/],
    [['plot', 'l2', '--out', 'chart.pdf'], /--out must end in .svg or .png/],
    [['plot'], /give exactly one LOSS, got none; the losses are L1Loss/],
  ];
  for (const [args, message] of cases) {
    const result = await runInProcess(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.output, message);
  }
});

test('gloss plot --help lists every loss with a view and its options', async () => {
  const result = await runInProcess(['plot', '--help']);
  assert.equal(result.code, 0);
  assert.match(result.output, /^Usage: gloss plot LOSS/);
  assert.match(result.output, /HuberLoss\s+label 0; --rho NUMBER, --weight NUMBER/);
  assert.match(
    result.output,
    /PoissonNLLLoss\s+target 1; --from-logits true\|false, --compute-full true\|false/,
  );
  assert.match(
    result.output,
    /Losses without a one-dimensional view \(gloss plot LOSS says why\): .*CTCLoss/,
  );
});
