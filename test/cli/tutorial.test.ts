import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { figureBaseName } from '../../src/cli/tutorial.js';
import { decodePng } from '../plot/_png.js';
import { byClass, parseXml } from '../plot/_svg.js';
import { runCli, runInProcess, temporaryFolder } from './_run-cli.js';

const CHARTS = [
  'cell09-L1Loss',
  'cell10-L2Loss',
  'cell11-HuberLoss',
  'cell12-SigmoidBinaryCrossEntropyLoss',
  'cell14-HingeLoss',
  'cell15-LogisticLoss',
];

test('gloss tutorial prints every cell and writes the charts and the page into ./out', () => {
  const folder = temporaryFolder();
  const { status, stdout, stderr } = runCli(['tutorial'], folder);
  assert.equal(status, 0, stderr + stdout);
  for (let cell = 1; cell <= 19; cell++) assert.ok(stdout.includes(`\nIn [${cell}]:\n`), `In [${cell}]`);
  assert.ok(stdout.includes('Out[3]: \n[0.5 0.5]\n<NDArray 2 @cpu(0)>'));
  assert.ok(stdout.includes('Out[13]: \n[9.000123  6.0024757]\n<NDArray 2 @cpu(0)>'));
  assert.ok(stdout.includes('Out[19]: \n[0.5 1. ]\n<NDArray 2 @cpu(0)>'));
  assert.match(stdout, /loss \(kl divergence\): \[0\.0254\d+\]/);
  assert.match(stdout, /\[chart: HuberLoss → out\/cell11-HuberLoss\.svg, out\/cell11-HuberLoss\.png\]/);
  assert.match(stdout, /wrote 6 charts and out\/tutorial\.html/);

  const files = readdirSync(join(folder, 'out')).sort();
  assert.deepEqual(files, [...CHARTS.flatMap((c) => [`${c}.png`, `${c}.svg`]), 'tutorial.html'].sort());
  for (const chart of CHARTS) {
    const svg = parseXml(readFileSync(join(folder, 'out', `${chart}.svg`), 'utf8'));
    assert.equal(byClass(svg, 'series').length, 2, chart);
    assert.equal(decodePng(readFileSync(join(folder, 'out', `${chart}.png`))).width, 1280);
  }

  const page = readFileSync(join(folder, 'out', 'tutorial.html'), 'utf8');
  assert.ok(page.startsWith('<!doctype html>'));
  for (let cell = 1; cell <= 19; cell++)
    assert.ok(page.includes(`<section class="cell" id="cell-${cell}">`), `cell ${cell}`);
  // 6 loss charts, the CTC heatmap, and the triplet figure (one SVG holding two panels).
  assert.equal(page.match(/<svg /g)?.length, 10);
  assert.ok(page.includes('<figure class="drawn" id="figure-triplet_loss">'));
  assert.ok(page.includes('<figure class="drawn" id="figure-ctc_loss">'));
  assert.ok(!page.includes('[image:'));
  assert.ok(page.includes('<span class="katex-display">'));
  assert.ok(!page.includes('class="math-error"'));
  assert.ok(page.includes('import { autograd, gluon, type NDArray, nd } from &#39;gloss-ml&#39;;'));
  assert.ok(page.includes('<h1>Loss functions</h1>'));
  assert.ok(page.includes('<h2>Advanced: Weighted Loss</h2>'));
  assert.ok(page.includes('showRegressionLoss(new gloss.HuberLoss({ rho: 1 }));'));
  assert.ok(page.includes('<pre>[9.000123  6.0024757]\n&lt;NDArray 2 @cpu(0)&gt;</pre>'));
  assert.ok(page.includes('<a href="cell11-HuberLoss.svg">SVG</a> · <a href="cell11-HuberLoss.png">PNG</a>'));
  assert.ok(!page.includes('this cell did not run'));
});

test("--out chooses the folder, and --code prints each cell's code", async () => {
  const folder = join(temporaryFolder(), 'pages');
  const result = await runInProcess(['tutorial', '--out', folder, '--code']);
  assert.equal(result.code, 0, result.output);
  assert.ok(result.output.includes('In [2]:\n    loss = new gloss.L2Loss();'));
  assert.ok(readdirSync(folder).includes('tutorial.html'));
});

test('gloss tutorial rejects unknown options and arguments', async () => {
  assert.match(
    (await runInProcess(['tutorial', '--dir', 'x'])).output,
    /gloss tutorial: unknown option --dir/,
  );
  assert.match((await runInProcess(['tutorial', 'extra'])).output, /takes no arguments, got extra/);
  assert.equal((await runInProcess(['tutorial', '--out'])).code, 2);
});

test('chart file names carry the cell number and the title', () => {
  assert.equal(figureBaseName(9, 0, 1, 'L1Loss'), 'cell09-L1Loss');
  assert.equal(figureBaseName(11, 1, 2, 'HuberLoss(rho=1)'), 'cell11-HuberLoss-rho-1-2');
});
