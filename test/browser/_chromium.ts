/**
 * What the browser tests share: Debian's Chromium driven by playwright-core (its flags, the skip
 * rule when it is missing), an error collector, and a tiny static file server that serves a
 * folder under a URL prefix, so pages are loaded over http from a subpath as they would be
 * deployed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const chromiumMissing = !existsSync(CHROMIUM);

/** The `skip` option of a browser test: skipped without Chromium, except under CI where it fails. */
export const skipWithoutChromium =
  chromiumMissing && !process.env.CI
    ? `${CHROMIUM} not found: install it with "apt-get install -y chromium" to run the browser test`
    : false;

/** Throws the CI hint when Chromium is missing (the test was not skipped because CI is set). */
export function requireChromium(): void {
  if (chromiumMissing)
    throw new Error(`${CHROMIUM} not found; CI must install it: apt-get install -y chromium`);
}

/** Everything the page reports as an error: console errors, uncaught exceptions, failed requests. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
  page.on('requestfailed', (request) =>
    errors.push(`request: ${request.url()} ${request.failure()?.errorText}`),
  );
  return errors;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** A running static server: `url` ends with the prefix and a slash. */
export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `folder` at `http://127.0.0.1:PORT{prefix}/` (a free port). Requests outside the prefix
 * or the folder are 404s, so a page that uses absolute paths breaks visibly.
 */
export async function serveFolder(folder: string, prefix = ''): Promise<StaticServer> {
  const root = normalize(folder);
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const inside = path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : null;
    let file = inside === null ? null : normalize(join(root, inside));
    if (file && !(file === root || file.startsWith(root + sep))) file = null;
    if (file && existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!file || !existsSync(file)) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end(`not found: ${path}`);
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The page's visible text must hold no TeX source: KaTeX rendered every formula. */
export async function rawTexIn(page: Page): Promise<string[]> {
  // TypeDoc's pages keep the body hidden until their script shows it, and the innerText of a
  // hidden element is its raw text (TeX annotations included): read it once the body shows.
  await page.waitForFunction(() => getComputedStyle(document.body).display !== 'none');
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point: KaTeX hides its TeX annotations with CSS
  const text = await page.evaluate(() => document.body.innerText);
  return ['\\begin', '\\sum', '\\frac', '\\ell', '$$'].filter((tex) => text.includes(tex));
}

/** Whether KaTeX's main font is loaded (formulas would fall back to a system font otherwise). */
export function katexFontLoaded(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    await document.fonts.ready;
    return (
      document.fonts.check('16px KaTeX_Main') &&
      [...document.fonts].some((f) => f.family.includes('KaTeX') && f.status === 'loaded')
    );
  });
}
