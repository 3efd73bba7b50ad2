/**
 * gloss in a real browser: the demo page (demo/), served by Vite in-process, loaded in Debian's
 * Chromium through playwright-core. The page imports gloss through its package entry, so this
 * proves the core runs in a browser: the tutorial cells print what they print in Node, the
 * plot module draws into the page, and autograd trains a network frame by frame. The page is
 * then built as `npm run build:demo` builds it (minified) and loaded again, because a minifier
 * that renamed the loss classes would empty ALL_LOSSES.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`). Without it the test fails under CI
 * (CI set) and is skipped, with that hint, elsewhere.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build, createServer, type ViteDevServer } from 'vite';
import { autograd, gluon, nd } from '../../src/index.js';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  collectErrors,
  requireChromium,
  type StaticServer,
  serveFolder,
  skipWithoutChromium,
} from './_chromium.js';

const CONFIG_FILE = fileURLToPath(new URL('../../demo/vite.config.ts', import.meta.url));
const SCREENSHOT = fileURLToPath(new URL('../../.tmp/demo.png', import.meta.url));

/** The tutorial's Dense cell (In [5]–[6]) run in Node: the page must print the same text. */
function denseCellInNode(): string[] {
  nd.random.seed(0);
  const X = nd.random.uniform(0, 1, [2, 4]);
  const net = new gluon.nn.Dense(1);
  net.initialize();
  const l = autograd.record(() => new gluon.loss.L2Loss().forward(net.forward(X), nd.ones([2]).mul(2)));
  l.backward();
  return [l.toString(), net.weight.grad().toString()].map((text) => text.replace(/^\n/, ''));
}

/** The printed outputs of tutorial cell `cell`. */
function cellOutputs(page: Page, cell: string): Promise<string[]> {
  return page.locator(`#tutorial-cells article[data-cell="${cell}"] pre.output`).allTextContents();
}

/**
 * Picks `loss` in the training panel and waits until the classifier has trained `epochs` epochs;
 * returns the status element's data (task, epoch, losses, accuracy).
 */
async function trainClassifier(page: Page, loss: string, epochs: number): Promise<Record<string, string>> {
  await page.locator('#training-loss').selectOption(loss);
  await page.waitForFunction(
    (wanted) => {
      const status = document.getElementById('training-status');
      return status?.dataset.task === 'classification' && Number(status.dataset.epoch) >= wanted;
    },
    epochs,
    { timeout: 30_000 },
  );
  return page
    .locator('#training-status')
    .evaluate((element) => ({ ...(element as HTMLElement).dataset }) as Record<string, string>);
}

/** The `d` attribute of the chart's path for the series labelled `label`. */
function seriesPath(page: Page, chart: string, label: string): Promise<string | null> {
  return page.locator(`${chart} g.series[data-label="${label}"] path`).getAttribute('d');
}

test('the demo page runs gloss in Chromium', { skip: skipWithoutChromium, timeout: 120_000 }, async (t) => {
  requireChromium();
  const workDir = mkdtempSync(join(tmpdir(), 'gloss-demo-test-'));
  let server: ViteDevServer | undefined;
  let staticServer: StaticServer | undefined;
  let context: BrowserContext | undefined;
  try {
    server = await createServer({
      configFile: CONFIG_FILE,
      // A private cache keeps concurrent runs apart; no watching or HMR for a one-shot load.
      cacheDir: join(workDir, 'vite-cache'),
      server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false, watch: null },
      logLevel: 'error',
      clearScreen: false,
    });
    await server.listen();
    const url = server.resolvedUrls?.local[0];
    assert.ok(url, 'Vite reports the URL it listens on');

    context = await chromium.launchPersistentContext(join(workDir, 'profile'), {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1400, height: 1100 },
    });
    // Everything here takes well under a second; a broken page should fail fast, not in 30 s.
    context.setDefaultTimeout(10_000);
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = collectErrors(page);

    await page.goto(url, { waitUntil: 'load' });
    await page.locator('#tutorial-cells pre.output').nth(4).waitFor();

    await t.test('the tutorial cells print what MXNet (and gloss in Node) print', async () => {
      assert.deepEqual(await cellOutputs(page, '3'), ['[0.5 0.5]\n<NDArray 2 @cpu(0)>']);
      assert.deepEqual(await cellOutputs(page, '13'), ['[9.000123  6.0024757]\n<NDArray 2 @cpu(0)>']);
      assert.deepEqual(await cellOutputs(page, '19'), ['[0.5 1. ]\n<NDArray 2 @cpu(0)>']);
      // Same seed, same generator, same float32 arithmetic: the browser matches Node to the digit.
      assert.deepEqual(await cellOutputs(page, '5–6'), denseCellInNode());
    });

    await t.test('the picker lists ALL_LOSSES and draws the loss and its gradient with axes', async () => {
      const listed = await page.locator('#loss-picker option').allTextContents();
      assert.deepEqual([...listed].sort(), Object.keys(gluon.loss.ALL_LOSSES).sort());
      const drawable = await page.locator('#loss-picker option:not([disabled])').allTextContents();
      assert.ok(
        drawable.includes('HuberLoss') && drawable.includes('L2Loss') && !drawable.includes('CTCLoss'),
      );
      assert.equal(await page.locator('#loss-picker').inputValue(), 'HuberLoss');
      // A loss the page cannot draw says why (the table's reason) as its tooltip.
      assert.match(
        (await page.locator('#loss-picker option[value="CTCLoss"]').getAttribute('title')) ?? '',
        /sequence of per-frame predictions/,
      );

      const chart = '#loss-chart svg';
      assert.equal(await page.locator(chart).count(), 1);
      assert.equal(await page.locator(`${chart} g.series path`).count(), 2);
      assert.match(
        (await seriesPath(page, '#loss-chart', 'loss')) ?? '',
        /^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){100,}$/,
      );
      const xTicks = await page.locator(`${chart} .x-axis .tick text`).allTextContents();
      const yTicks = await page.locator(`${chart} .y-axis .tick text`).allTextContents();
      assert.ok(xTicks.length >= 3 && yTicks.length >= 3, `ticks: x ${xTicks}, y ${yTicks}`);
      assert.ok(xTicks.includes('−4') || xTicks.includes('-4'), `x ticks span the range: ${xTicks}`);
      assert.ok(
        yTicks.every((text) => Number.isFinite(Number(text.replace('−', '-')))),
        `${yTicks}`,
      );
      assert.match(
        (await page.locator(`${chart} .title`).textContent()) ?? '',
        /^HuberLoss\(rho=1\), label = 0$/,
      );
    });

    await t.test('choosing another loss redraws the chart, for every loss in the picker', async () => {
      const drawable = await page.locator('#loss-picker option:not([disabled])').allTextContents();
      let before = await seriesPath(page, '#loss-chart', 'loss');
      for (const name of [...drawable.filter((n) => n !== 'HuberLoss'), 'LogisticLoss']) {
        await page.locator('#loss-picker').selectOption(name);
        await page.locator('#loss-chart .title', { hasText: new RegExp(`^${name}\\(`) }).waitFor();
        assert.equal(await page.locator('#loss-status.error').count(), 0, name);
        assert.equal(await page.locator('#loss-chart g.series path').count(), 2, name);
        const after = await seriesPath(page, '#loss-chart', 'loss');
        assert.ok(after && after !== before, `the loss path changed for ${name}`);
        before = after;
      }
      // LogisticLoss has a labelFormat choice instead of rho, and a label of 1.
      assert.equal(await page.locator('#loss-options [data-option="labelFormat"]').inputValue(), 'signed');
      assert.equal(await page.locator('#label-input').inputValue(), '1');
    });

    await t.test('a switch that changes the domain (fromSigmoid) moves the range with it', async () => {
      await page.locator('#loss-picker').selectOption('SigmoidBinaryCrossEntropyLoss');
      await page.locator('#loss-options [data-option="fromSigmoid"]').check();
      await page.locator('#loss-chart .title', { hasText: 'fromSigmoid=true' }).waitFor();
      assert.equal(await page.locator('#range-from').inputValue(), '0.001');
      assert.equal(await page.locator('#range-to').inputValue(), '0.999');
      await page.locator('#loss-picker').selectOption('LogisticLoss');
      await page.locator('#loss-chart .title', { hasText: 'LogisticLoss(' }).waitFor();
    });

    await t.test(
      'an invalid setting shows an error instead of a chart, and a valid one draws again',
      async () => {
        await page.locator('#range-from').fill('9');
        await page.locator('#loss-status.error').waitFor();
        assert.match((await page.locator('#loss-status').textContent()) ?? '', /from < to/);
        assert.equal(await page.locator('#loss-chart svg').count(), 0);
        await page.locator('#range-from').fill('-5');
        await page.locator('#loss-chart svg').waitFor();
        assert.equal(await page.locator('#loss-status.error').count(), 0);
      },
    );

    await t.test('the MLP trains frame by frame and its loss goes down', async () => {
      await page.waitForFunction(
        () => Number(document.getElementById('training-status')?.dataset.epoch) >= 15,
      );
      const data = await page.locator('#training-status').evaluate((element) => ({ ...element.dataset }));
      const first = Number(data.firstLoss);
      const latest = Number(data.loss);
      assert.ok(Number.isFinite(first) && Number.isFinite(latest), JSON.stringify(data));
      assert.ok(latest < 0.5 * first, `loss fell from ${first} to ${latest} in ${data.epoch} epochs`);
      assert.equal(await page.locator('#training-chart g.series path').count(), 1);
    });

    await t.test('a classification loss trains on two moons and draws its decision boundary', async () => {
      const data = await trainClassifier(page, 'SoftmaxCrossEntropyLoss', 25);
      assert.ok(Number(data.loss) < 0.5 * Number(data.firstLoss), JSON.stringify(data));
      assert.ok(Number(data.accuracy) >= 0.9, `training accuracy ${data.accuracy}`);
      const map = page.locator('#training-boundary svg');
      assert.match((await map.locator('.title').textContent()) ?? '', /^decision boundary after epoch \d+$/);
      assert.ok(Number(await map.locator('path.boundary').getAttribute('data-segments')) > 10);
      assert.equal(Number(await map.locator('g.points').getAttribute('data-points')), 256);
      assert.match(
        (await page.locator('#training-chart .title').textContent()) ?? '',
        /→ 2, SoftmaxCrossEntropyLoss,/,
      );
      // Each of the panel's classification losses trains from the same seed.
      for (const loss of ['SigmoidBinaryCrossEntropyLoss', 'HingeLoss', 'LogisticLoss']) {
        const run = await trainClassifier(page, loss, 3);
        assert.ok(
          Number.isFinite(Number(run.loss)) && Number(run.accuracy) > 0.5,
          `${loss}: ${JSON.stringify(run)}`,
        );
        assert.equal(await page.locator('#training-boundary svg path.boundary').count(), 1, loss);
      }
      // Back to regression: the boundary panel empties.
      await page.locator('#training-loss').selectOption('L2Loss');
      await page.waitForFunction(
        () => document.getElementById('training-status')?.dataset.task === 'regression',
      );
      assert.equal(await page.locator('#training-boundary svg').count(), 0);
    });

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    await t.test('nothing was logged as an error', () => {
      assert.deepEqual(errors, []);
    });

    await t.test('the minified build runs from a subpath of a static server', async () => {
      const outDir = join(workDir, 'dist');
      await build({ configFile: CONFIG_FILE, logLevel: 'error', build: { outDir } });
      // A plain file server under /sub/path/: every asset URL must be relative to the page.
      staticServer = await serveFolder(outDir, '/sub/path');
      const built = await context!.newPage();
      const builtErrors = collectErrors(built);
      const requested: string[] = [];
      built.on('request', (request) => requested.push(new URL(request.url()).pathname));
      await built.goto(staticServer.url, { waitUntil: 'load' });
      // The tutorial cells render first; the picker is filled right after, in the same task.
      await built.locator('#tutorial-cells pre.output').nth(4).waitFor();
      assert.deepEqual(await cellOutputs(built, '13'), ['[9.000123  6.0024757]\n<NDArray 2 @cpu(0)>']);
      // The minifier keeps the loss class names: ALL_LOSSES is complete.
      const listed = await built.locator('#loss-picker option').allTextContents();
      assert.deepEqual([...listed].sort(), Object.keys(gluon.loss.ALL_LOSSES).sort());
      await built.locator('#loss-chart svg').waitFor();
      assert.match((await built.locator('#loss-chart .title').textContent()) ?? '', /^HuberLoss\(rho=1\)/);
      const run = await trainClassifier(built, 'HingeLoss', 5);
      assert.ok(Number(run.accuracy) > 0.5, JSON.stringify(run));
      assert.equal(await built.locator('#training-boundary svg path.boundary').count(), 1);
      assert.ok(
        requested.length > 1 && requested.every((path) => path.startsWith('/sub/path/')),
        requested.join(', '),
      );
      assert.deepEqual(builtErrors, []);
    });
  } finally {
    await context?.close();
    await staticServer?.close();
    await server?.close();
    rmSync(workDir, { recursive: true, force: true });
  }
});
