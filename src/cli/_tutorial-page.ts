/**
 * The tutorial as one HTML page: the notebook's text, each cell's TypeScript code, its output and
 * its charts (inline SVG, with links to the SVG and PNG files). Self-contained: no scripts, no
 * external styles or fonts — the math is KaTeX HTML rendered at build time, with KaTeX's style
 * sheet and fonts inlined.
 * @module
 */
import type { CellOutput } from './_notebook.js';
import type { NotebookRun } from './_tutorial-runner.js';
import { escapeHtml, type ImageFigures, renderMarkdown } from './_markdown.js';
import { inlineKatexCss } from './_math.js';

/** The files a figure was written to, relative to the page. */
export type FigureFiles = ReadonlyMap<CellOutput, readonly string[]>;

const STYLE = `
body { font-family: 'DejaVu Sans', system-ui, sans-serif; line-height: 1.5; color: #222; background: #fafafa; margin: 0; }
main { max-width: 860px; margin: 0 auto; padding: 24px 20px 64px; background: white; }
h1, h2, h3, h4 { line-height: 1.25; }
pre { background: #f4f4f4; padding: 8px 12px; overflow-x: auto; border-radius: 4px; font-size: 13px; }
code { font-family: 'DejaVu Sans Mono', ui-monospace, monospace; font-size: 0.92em; }
.note { color: #555; font-size: 14px; border-left: 3px solid #1f77b4; padding-left: 10px; }
.cell { margin: 16px 0 24px; }
.prompt { font-family: 'DejaVu Sans Mono', ui-monospace, monospace; font-size: 12px; color: #1f77b4; }
.cell pre.code { background: #f0f4f8; border-left: 3px solid #1f77b4; }
.output .prompt { color: #d62728; }
.output pre { background: white; border: 1px solid #eee; }
pre.error { background: #fdecea; color: #a12622; }
figure { margin: 8px 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 13px; color: #555; }
.katex-display { overflow-x: auto; overflow-y: hidden; padding: 2px 0; }
.math-error { color: #a12622; }
.image-missing { color: #777; font-style: italic; }
figure.drawn { margin: 16px 0; }
`;

/**
 * The whole page. `figureFiles` gives, for each figure output, the files it was saved as;
 * `drawnFigures` replace the seed's images (by alt text) with figures gloss drew.
 */
export function tutorialPage(
  run: NotebookRun,
  figureFiles: FigureFiles,
  drawnFigures: ImageFigures = {},
  title = 'Loss functions',
): string {
  const outputsByCell = new Map<number, CellOutput[]>();
  for (const cell of run.cells)
    outputsByCell.set(cell.cell, [...(outputsByCell.get(cell.cell) ?? []), ...cell.outputs]);
  const body = run.blocks.map((block) => {
    if (block.kind === 'markdown') return renderMarkdown(block.text, drawnFigures);
    const ran = outputsByCell.has(block.cell);
    const outputs = (outputsByCell.get(block.cell) ?? []).map((output) =>
      renderOutput(block.cell, output, figureFiles),
    );
    if (!ran) outputs.push('<pre class="error">this cell did not run</pre>');
    return [
      `<section class="cell" id="cell-${block.cell}">`,
      `<div class="prompt">In [${block.cell}]:</div>`,
      `<pre class="code"><code class="language-ts">${escapeHtml(block.code)}</code></pre>`,
      ...outputs,
      '</section>',
    ].join('\n');
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — gloss tutorial</title>
<link rel="icon" href="data:,">
<style>${inlineKatexCss()}</style>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="note">The MXNet Gluon tutorial “${escapeHtml(title)}”, run by <code>gloss tutorial</code>: each code cell is its
TypeScript twin from <code>examples/tutorial.ts</code>, followed by what it printed and drew with gloss. The charts
also show each loss's gradient (dashed). The original's two pictures (triplet and CTC) are replaced by figures gloss
draws from short training runs with those losses.</p>
${body.join('\n')}
</main>
</body>
</html>
`;
}

function renderOutput(cell: number, output: CellOutput, figureFiles: FigureFiles): string {
  switch (output.kind) {
    case 'value':
      return `<div class="output"><div class="prompt">Out[${cell}]:</div><pre>${escapeHtml(output.text.replace(/^\n/, ''))}</pre></div>`;
    case 'stream':
      return `<div class="output"><pre>${escapeHtml(output.text.replace(/^\n/, ''))}</pre></div>`;
    case 'error':
      return `<pre class="error">${escapeHtml(output.text)}</pre>`;
    case 'figure': {
      const links = (figureFiles.get(output) ?? [])
        .map(
          (file) =>
            `<a href="${escapeHtml(file)}">${escapeHtml(file.replace(/^.*\./, '').toUpperCase())}</a>`,
        )
        .join(' · ');
      return `<figure>${output.svg}<figcaption>${escapeHtml(output.title)}${links ? ` — ${links}` : ''}</figcaption></figure>`;
    }
  }
}
