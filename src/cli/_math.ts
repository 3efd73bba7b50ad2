/**
 * TeX math rendered to HTML at build time with KaTeX, so pages read without any script: the
 * tutorial page and the API docs call {@link renderTex} while they are generated, and ship
 * KaTeX's style sheet with its fonts (inlined, or copied next to the pages) so formulas look
 * right offline.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import katex from 'katex';

/**
 * Macros the seed tutorial uses that TeX does not define (`\softmax`), and Sphinx-style
 * `{rho}` names it writes as plain braces.
 */
const MACROS: Readonly<Record<string, string>> = {
  '\\softmax': '\\operatorname{softmax}',
};

/**
 * `tex` as KaTeX HTML: `display` for a formula set apart, otherwise inline. A formula KaTeX
 * cannot parse is shown as its TeX source in a `code.math-error` element, so one bad formula
 * never breaks a page and tests can find it.
 */
export function renderTex(tex: string, display: boolean): string {
  try {
    return katex.renderToString(tex, {
      displayMode: display,
      throwOnError: true,
      strict: 'ignore',
      macros: { ...MACROS },
      // HTML for the eye plus MathML for screen readers (KaTeX hides it visually).
      output: 'htmlAndMathml',
    });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return `<code class="math-error" title="${escapeAttribute(why)}">${escapeAttribute(tex)}</code>`;
  }
}

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** KaTeX's dist folder (style sheet and fonts), found through Node's resolution. */
export function katexDistFolder(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('katex/dist/katex.min.css'));
}

/**
 * KaTeX's style sheet with every font as a `data:` URL (woff2 only: every browser that runs
 * the pages reads it), so a single HTML file renders its formulas offline.
 */
export function inlineKatexCss(): string {
  const folder = katexDistFolder();
  const css = readFileSync(join(folder, 'katex.min.css'), 'utf8');
  return css.replace(/src:([^;}]*)/g, (whole, sources: string) => {
    const woff2 = /url\((fonts\/[^)]+\.woff2)\)/.exec(sources);
    if (!woff2) return whole;
    const data = readFileSync(join(folder, woff2[1]!)).toString('base64');
    return `src:url(data:font/woff2;base64,${data}) format("woff2")`;
  });
}

/**
 * The files to copy next to pages that link KaTeX's style sheet instead of inlining it: the
 * style sheet and its woff2 fonts, as paths relative to {@link katexDistFolder}.
 */
export function katexAssetFiles(): string[] {
  const fonts = readdirSync(join(katexDistFolder(), 'fonts')).filter((f) => f.endsWith('.woff2'));
  return ['katex.min.css', ...fonts.map((f) => `fonts/${f}`)];
}
