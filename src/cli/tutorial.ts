/**
 * `gloss tutorial [--out DIR] [--code]`: runs every cell of the seed tutorial in TypeScript
 * (examples/tutorial.ts), prints each cell's output as the notebook would, and writes each chart
 * as SVG and PNG plus one HTML page of the whole tutorial into DIR (default ./out).
 * @module
 */
import { join } from 'node:path';
import { ValueError } from '../ndarray/errors.js';
import { parseLooseArgs } from './_args.js';
import { writeFigure, writeText } from './_figures.js';
import type { CellOutput } from './_notebook.js';
import { tutorialImageFigures } from './_tutorial-figures.js';
import { tutorialPage } from './_tutorial-page.js';
import { type NotebookRun, runNotebook } from './_tutorial-runner.js';

export const TUTORIAL_HELP = `Usage: gloss tutorial [--out DIR] [--code]

Runs every code cell of the seed tutorial "Loss functions" in TypeScript (examples/tutorial.ts),
prints each cell's output as the notebook would, and writes into DIR:
  cellNN-LOSS.svg / .png   each chart (a loss and its gradient against the prediction)
  tutorial.html            the tutorial's text with each cell's code, output and charts; its
                           math rendered by KaTeX and its two pictures (triplet, CTC) drawn by
                           gloss; one file that reads offline, with no script

Options:
  --out DIR    output folder (default ./out)
  --code       also print each cell's code
  -h, --help   show this help`;

/** The file name (without extension) of figure `index` of `cell`: `cell09-L1Loss`. */
export function figureBaseName(cell: number, index: number, count: number, title: string): string {
  const slug = title.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'figure';
  return `cell${String(cell).padStart(2, '0')}-${slug}${count > 1 ? `-${index + 1}` : ''}`;
}

/** Runs `gloss tutorial`. Exit code 0 when every cell ran without error, 1 otherwise. */
export async function tutorialCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { positionals, options } = parseLooseArgs(argv);
  if (options.has('help')) {
    out(TUTORIAL_HELP);
    return 0;
  }
  for (const name of options.keys()) {
    if (name !== 'out' && name !== 'code')
      throw new ValueError(`unknown option --${name}\n\n${TUTORIAL_HELP}`);
  }
  if (positionals.length > 0)
    throw new ValueError(`takes no arguments, got ${positionals.join(' ')}\n\n${TUTORIAL_HELP}`);
  const dir = options.get('out') ?? 'out';
  if (dir === true) throw new ValueError('--out needs a folder name');

  const run = await runNotebook();
  const figureFiles = new Map<CellOutput, string[]>();
  const notes = new Set<string>();
  for (const { cell, outputs } of run.cells) {
    const figures = outputs.filter((o) => o.kind === 'figure');
    for (const [index, figure] of figures.entries()) {
      const base = figureBaseName(cell, index, figures.length, figure.title);
      const written = await writeFigure(figure.svg, {
        svgPath: join(dir, `${base}.svg`),
        pngPath: join(dir, `${base}.png`),
      });
      figureFiles.set(
        figure,
        written.files.map((file) => file.slice(dir.length + 1)),
      );
      if (written.note) notes.add(written.note);
    }
  }
  const pagePath = join(dir, 'tutorial.html');
  writeText(pagePath, tutorialPage(run, figureFiles, tutorialImageFigures()));

  printTranscript(run, figureFiles, dir, options.has('code'), out);
  const errors = run.cells.filter((c) => c.outputs.some((o) => o.kind === 'error')).map((c) => c.cell);
  out('');
  for (const note of notes) out(note);
  const figureCount = figureFiles.size;
  out(`wrote ${figureCount} chart${figureCount === 1 ? '' : 's'} and ${pagePath}`);
  if (run.missing.length > 0) out(`cells that did not run: ${run.missing.join(', ')}`);
  if (errors.length > 0) out(`cells that raised an error: ${errors.join(', ')}`);
  return errors.length > 0 || run.missing.length > 0 ? 1 : 0;
}

/** The console transcript: `In [n]:` (with the code when asked), then what the cell showed. */
function printTranscript(
  run: NotebookRun,
  figureFiles: ReadonlyMap<CellOutput, readonly string[]>,
  dir: string,
  withCode: boolean,
  out: (line: string) => void,
): void {
  const codeOf = new Map(run.blocks.flatMap((b) => (b.kind === 'code' ? [[b.cell, b.code] as const] : [])));
  for (const { cell, outputs } of run.cells) {
    out(`\nIn [${cell}]:`);
    if (withCode) out((codeOf.get(cell) ?? '').replace(/^/gm, '    '));
    for (const output of outputs) {
      if (output.kind === 'value') out(`Out[${cell}]: ${output.text}`);
      else if (output.kind === 'stream') out(output.text);
      else if (output.kind === 'error') out(output.text);
      else {
        const files = (figureFiles.get(output) ?? []).map((file) => join(dir, file));
        out(`[chart: ${output.title}${files.length > 0 ? ` → ${files.join(', ')}` : ''}]`);
      }
    }
  }
}
