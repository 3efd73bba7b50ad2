// @ts-check
/**
 * typedoc plugin for gloss's API docs (typedoc.json lists it):
 *
 * - renders TeX math of doc comments (`$$…$$`) with KaTeX at build time and ships KaTeX's style
 *   sheet and fonts in assets/katex/, so pages show formulas without any script, offline;
 * - puts the chart of every loss with a one-dimensional view under its description;
 * - fills the gallery document (docs/gallery.md) with every loss's chart, grouped by task.
 *
 * The content comes from docs-content.ts, loaded through tsx so it draws with src/ as it is.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { JSX, MarkdownEvent, PageEvent, ReflectionKind, RendererEvent } from 'typedoc';

/** @param {import('typedoc').Application} app */
export async function load(app) {
  /** @type {typeof import('./docs-content.ts')} */
  const content = await tsImport('./docs-content.ts', import.meta.url);
  /** @type {typeof import('../../src/cli/_math.ts')} */
  const math = await tsImport('../../src/cli/_math.ts', import.meta.url);

  // Math out before markdown-it sees it (priority above typedoc's parser), back in after.
  /** @type {Map<MarkdownEvent, import('./docs-content.ts').PendingMath>} */
  const pending = new Map();
  app.renderer.on(
    MarkdownEvent.PARSE,
    (event) => {
      if (!event.parsedText.includes('$$')) return;
      const taken = content.takeOutMath(event.parsedText);
      event.parsedText = taken.markdown;
      pending.set(event, taken);
    },
    100,
  );
  app.renderer.on(
    MarkdownEvent.PARSE,
    (event) => {
      const taken = pending.get(event);
      if (!taken) return;
      pending.delete(event);
      event.parsedText = taken.restore(event.parsedText);
    },
    -100,
  );

  app.renderer.hooks.on('head.end', (context) =>
    JSX.createElement(
      JSX.Fragment,
      null,
      JSX.createElement('link', {
        rel: 'stylesheet',
        href: context.relativeURL('assets/katex/katex.min.css'),
      }),
      JSX.createElement('style', null, JSX.createElement(JSX.Raw, { html: content.DOCS_CSS })),
    ),
  );

  /** URL of each loss class page, from the project root, filled as pages are rendered. */
  app.renderer.on(PageEvent.END, (page) => {
    if (!page.contents) return;
    const model = page.model;
    if (model.kindOf?.(ReflectionKind.Class)) {
      const figure = content.lossPageFigure(model.name);
      if (figure) page.contents = insertAfterDescription(page.contents, figure);
    }
    if (page.contents.includes('<!-- gloss:gallery -->')) {
      const prefix = '../'.repeat(page.url.split('/').length - 1);
      const pageOf = (/** @type {string} */ name) => {
        const url = lossPages.get(name);
        return url ? prefix + url : null;
      };
      page.contents = page.contents.replace(
        /(<p>)?<!-- gloss:gallery -->(<\/p>)?/,
        content.galleryHtml(pageOf),
      );
    }
  });

  /** @type {Map<string, string>} */
  const lossPages = new Map();
  app.renderer.on(RendererEvent.BEGIN, (event) => {
    for (const page of event.pages ?? []) {
      const model = page.model;
      if (model.kindOf?.(ReflectionKind.Class) && /Loss$/.test(model.name))
        lossPages.set(model.name, page.url);
    }
  });

  app.renderer.on(RendererEvent.END, (event) => {
    const target = join(event.outputDirectory, 'assets', 'katex');
    for (const file of math.katexAssetFiles()) {
      mkdirSync(dirname(join(target, file)), { recursive: true });
      copyFileSync(join(math.katexDistFolder(), file), join(target, file));
    }
    writeFileSync(
      join(target, 'README.txt'),
      'KaTeX style sheet and fonts (MIT licence), for the math in these pages.\n',
    );
  });
}

/**
 * `html` with `figure` after the reflection's description (the first comment panel), or after
 * the page title when there is no description.
 * @param {string} html
 * @param {string} figure
 */
function insertAfterDescription(html, figure) {
  const panel = html.indexOf('<section class="tsd-panel tsd-comment">');
  if (panel >= 0) {
    const end = html.indexOf('</section>', panel);
    if (end >= 0) return html.slice(0, end + 10) + figure + html.slice(end + 10);
  }
  return html.replace(/(<h1>[\s\S]*?<\/h1>)/, `$1${figure}`);
}
