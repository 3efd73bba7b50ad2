/**
 * Just enough Markdown for the tutorial page: headings, paragraphs, lists, fenced code, inline
 * code, links, images and bold. TeX math (`$…$`, `$$…$$`) is rendered by KaTeX while the page is
 * built. The seed's pictures are not shipped: an image is replaced by a figure gloss drew (the
 * `figures` option, by alt text) or else shown as its alt text.
 * @module
 */
import { escapeXml as escapeHtml } from '../plot/svg.js';
import { renderTex } from './_math.js';

/** HTML to show in place of `![alt](…)` images, by alt text. */
export type ImageFigures = Readonly<Record<string, string>>;

/**
 * Escapes text for HTML element content and attribute values: the same five characters as text in
 * SVG, so the charts' escaper serves both.
 */
export { escapeHtml };

/** Relative links in the seed point into the MXNet documentation site. */
const LINK_BASE = 'https://mxnet.apache.org';

/** Renders `markdown` to HTML; `figures` replace the images with those alt texts. */
export function renderMarkdown(markdown: string, figures: ImageFigures = {}): string {
  const lines = markdown.split(/\r?\n/);
  const html: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      html.push(`<h${level}>${renderInline(heading[2]!.trim(), figures)}</h${level}>`);
      i++;
      continue;
    }
    if (line.startsWith('```')) {
      const language = line.slice(3).replace(/[{}.]/g, ' ').trim().split(/\s+/)[0] ?? '';
      const code: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.startsWith('```')) code.push(lines[i++]!);
      i++;
      const className = language ? ` class="language-${escapeHtml(language)}"` : '';
      html.push(`<pre><code${className}>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const items: string[] = [];
      while (i < lines.length && lines[i]!.trim() !== '' && !/^#{1,6}\s/.test(lines[i]!)) {
        const item = LIST_ITEM.exec(lines[i]!);
        if (item) items.push(item[1]!);
        else items[items.length - 1] += ` ${lines[i]!.trim()}`;
        i++;
      }
      html.push(`<ul>${items.map((item) => `<li>${renderInline(item.trim(), figures)}</li>`).join('')}</ul>`);
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '' && !startsBlock(lines[i]!, paragraph))
      paragraph.push(lines[i++]!);
    const text = paragraph.join('\n');
    // A paragraph that is only an image becomes the figure itself: a <figure> may not sit in a <p>.
    const lone = /^!\[([^\]]*)\]\([^)\s]+\)$/.exec(text.trim());
    if (lone && figures[lone[1]!] !== undefined) html.push(figures[lone[1]!]!);
    else html.push(`<p>${renderInline(text, figures)}</p>`);
  }
  return html.join('\n');
}

const LIST_ITEM = /^\s*[-*]\s+(.*)$/;

/** Whether `line` begins a new block (ends the paragraph being collected). */
function startsBlock(line: string, paragraph: readonly string[]): boolean {
  if (paragraph.length === 0) return false;
  return /^#{1,6}\s/.test(line) || line.startsWith('```') || LIST_ITEM.test(line);
}

/**
 * Inline Markdown. Code spans and math are cut out first (code is shown as written, math is
 * rendered by KaTeX), the rest is escaped, then links, images and bold are turned into HTML.
 */
export function renderInline(text: string, figures: ImageFigures = {}): string {
  const kept: string[] = [];
  const keep = (html: string) => `\uE000${kept.push(html) - 1}\uE000`;
  let rest = text
    .replace(/(`+)([\s\S]+?)\1/g, (_, _ticks: string, code: string) =>
      keep(`<code>${escapeHtml(code.trim())}</code>`),
    )
    .replace(/\$\$([\s\S]+?)\$\$/g, (match: string, tex: string, offset: number, whole: string) => {
      // The seed writes $$…$$ inside sentences too; only a formula on lines of its own is set apart.
      const end = offset + match.length;
      const ownLines =
        (offset === 0 || whole[offset - 1] === '\n') && (end === whole.length || whole[end] === '\n');
      return keep(renderTex(tex.trim(), ownLines));
    })
    .replace(/\$([^$\n]+?)\$/g, (_, tex: string) => keep(renderTex(tex, false)));
  rest = escapeHtml(rest)
    .replace(
      /!\[([^\]]*)\]\(([^)\s]+)\)/g,
      (_, alt: string) => figures[alt] ?? `<span class="image-missing">[image: ${alt}]</span>`,
    )
    .replace(
      /\[([^\]]+)\]\(([^)\s]+)\)/g,
      (_, label: string, href: string) => `<a href="${linkTarget(href)}">${label}</a>`,
    )
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
  return rest.replace(/\uE000(\d+)\uE000/g, (_, index: string) => kept[Number(index)]!);
}

/** Absolute links stay; site-relative ones go to the MXNet docs. The href is already escaped. */
function linkTarget(href: string): string {
  return href.startsWith('/') ? `${LINK_BASE}${href}` : href;
}
