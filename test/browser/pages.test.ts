/**
 * The generated pages read in a real browser: out/tutorial.html (from `gloss tutorial`) and the
 * API docs (from `npm run docs`, with gloss's typedoc plugin) are built into a temporary folder,
 * served over http, and loaded in Chromium. Their formulas are KaTeX HTML (no TeX source left in
 * the visible text, KaTeX's fonts loaded from the files shipped with the page, no request leaves
 * the server) and their figures are drawn.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ALL_LOSSES } from '../../src/loss/index.js';
import { runInProcess } from '../cli/_run-cli.js';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  collectErrors,
  katexFontLoaded,
  rawTexIn,
  requireChromium,
  type StaticServer,
  serveFolder,
  skipWithoutChromium,
} from './_chromium.js';

/** Loads `url`, failing on any request that leaves `origin` (the pages must read offline). */
async function openOffline(
  browser: Browser,
  url: string,
): Promise<{ page: Page; errors: string[]; outside: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = collectErrors(page);
  const outside: string[] = [];
  const origin = new URL(url).origin;
  await page.route('**/*', (route) => {
    const target = route.request().url();
    if (target.startsWith(origin) || target.startsWith('data:')) return route.continue();
    outside.push(target);
    return route.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors, outside };
}

test('the tutorial page and the API docs render math and figures in Chromium', {
  skip: skipWithoutChromium,
  timeout: 180_000,
}, async (t) => {
  requireChromium();
  const workDir = mkdtempSync(join(tmpdir(), 'gloss-pages-test-'));
  const servers: StaticServer[] = [];
  let browser: Browser | undefined;
  try {
    const tutorialDir = join(workDir, 'tutorial');
    const tutorial = await runInProcess(['tutorial', '--out', tutorialDir]);
    assert.equal(tutorial.code, 0, tutorial.output);

    const docsDir = join(workDir, 'docs');
    // typedoc's package exports hide its bin: find it next to its package.json.
    const typedoc = join(
      dirname(createRequire(import.meta.url).resolve('typedoc/package.json')),
      'bin',
      'typedoc',
    );
    const docs = spawnSync(process.execPath, [typedoc, '--out', docsDir], {
      encoding: 'utf8',
      timeout: 150_000,
    });
    assert.equal(docs.status, 0, docs.stdout + docs.stderr);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });

    await t.test(
      'tutorial.html: KaTeX math with its inlined fonts, the triplet and CTC figures',
      async () => {
        const server = await serveFolder(tutorialDir, '/pages/tutorial');
        servers.push(server);
        const { page, errors, outside } = await openOffline(browser!, `${server.url}tutorial.html`);
        assert.deepEqual(await rawTexIn(page), []);
        assert.ok((await page.locator('.katex').count()) >= 15);
        assert.ok((await page.locator('.katex-display').count()) >= 8);
        assert.equal(await page.locator('.math-error').count(), 0);
        assert.ok(await katexFontLoaded(page), 'KaTeX fonts loaded');
        for (const id of ['figure-triplet_loss', 'figure-ctc_loss']) {
          const box = await page.locator(`#${id} > svg`).boundingBox();
          assert.ok(box && box.width > 300 && box.height > 150, `${id} is drawn: ${JSON.stringify(box)}`);
        }
        assert.equal(
          await page.locator('#figure-triplet_loss .points').count(),
          6,
          'three point groups per panel',
        );
        assert.equal(
          await page.locator('#figure-ctc_loss .path rect').count(),
          8,
          'the best path marks every frame',
        );
        assert.equal(await page.getByText('[image:').count(), 0);
        const firstCell = (await page.locator('#cell-1 pre.code').textContent()) ?? '';
        assert.match(firstCell, /from 'gloss-ml';/);
        assert.deepEqual(outside, []);
        assert.deepEqual(errors, []);
      },
    );

    const server = await serveFolder(docsDir, '/gloss/api');
    servers.push(server);
    const classPages = readdirSync(join(docsDir, 'classes'));
    const pageOf = (name: string) =>
      `${server.url}classes/${classPages.find((f) => f.endsWith(`.${name}.html`))}`;

    await t.test('an API docs page renders its formula and shows its chart', async () => {
      const { page, errors, outside } = await openOffline(browser!, pageOf('HuberLoss'));
      assert.deepEqual(await rawTexIn(page), []);
      assert.equal(await page.locator('.tsd-comment .katex-display').count(), 1);
      assert.ok(await katexFontLoaded(page), 'KaTeX fonts loaded from assets/katex');
      const chart = page.locator('#loss-chart svg');
      assert.match((await chart.locator('.title').textContent()) ?? '', /^HuberLoss\(\), label = 0$/);
      assert.equal(await chart.locator('g.series path').count(), 2);
      assert.deepEqual(outside, []);
      assert.deepEqual(errors, []);
    });

    await t.test('every loss page renders its math; every loss with a 1-D view has its chart', async () => {
      const withView = [
        'L1Loss',
        'L2Loss',
        'HuberLoss',
        'HingeLoss',
        'SquaredHingeLoss',
        'LogisticLoss',
        'SigmoidBinaryCrossEntropyLoss',
        'KLDivLoss',
        'PoissonNLLLoss',
        'SigmoidFocalLoss',
        'SmoothL1Loss',
        'MSELoss',
        'LogCoshLoss',
        'SoftMarginLoss',
        'HingeEmbeddingLoss',
      ];
      // One tab for all pages: opening a fresh one per page doubles the time.
      const page = await browser!.newPage();
      for (const name of Object.keys(ALL_LOSSES)) {
        await page.goto(pageOf(name), { waitUntil: 'load' });
        assert.deepEqual(await rawTexIn(page), [], name);
        assert.ok((await page.locator('.katex').count()) >= 1, `${name} has a formula`);
        assert.equal(await page.locator('#loss-chart svg').count(), withView.includes(name) ? 1 : 0, name);
      }
      await page.close();
    });

    await t.test('the gallery shows every loss, grouped by task', async () => {
      const gallery = readdirSync(join(docsDir, 'documents')).find((f) => /gallery/i.test(f));
      assert.ok(gallery, 'the gallery document is generated');
      const { page, errors } = await openOffline(browser!, `${server.url}documents/${gallery}`);
      const shown = await page
        .locator('.gloss-gallery-cell')
        .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-loss')));
      assert.deepEqual([...shown].sort(), Object.keys(ALL_LOSSES).sort());
      const tasks = await page.locator('.gloss-gallery-group h2').allTextContents();
      for (const task of ['Regression', 'Classification', 'Embeddings', 'Sequences'])
        assert.ok(tasks.includes(task), task);
      assert.equal(await page.locator('.gloss-gallery-cell svg').count(), shown.length);
      // Each caption links to the loss's API page, which exists.
      const first = page.locator('.gloss-gallery-cell figcaption a').first();
      await first.click();
      await page.locator('#loss-chart svg').waitFor();
      assert.deepEqual(errors, []);
    });
  } finally {
    await browser?.close();
    for (const server of servers) await server.close();
    rmSync(workDir, { recursive: true, force: true });
  }
});
