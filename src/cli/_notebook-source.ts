/**
 * Reads the TypeScript twin of a notebook (Jupytext "percent" layout, see examples/tutorial.ts)
 * back into notebook blocks: the markdown text, and the code of each cell as a reader should
 * see it — without the `cell(n, () => { ... })` wrapper that only exists to run it.
 * @module
 */

/** One block of the notebook, in document order. */
export type NotebookBlock =
  | { readonly kind: 'markdown'; readonly text: string }
  | { readonly kind: 'code'; readonly cell: number; readonly code: string };

const MARKDOWN_MARKER = /^\/\/ %% \[markdown\]\s*$/;
const CELL_MARKER = /^\/\/ %% \[(\d+)\]\s*$/;

/** Splits the twin's source into markdown and code blocks; text before the first marker is skipped. */
export function parseNotebookSource(source: string): NotebookBlock[] {
  const blocks: NotebookBlock[] = [];
  let kind: 'none' | 'markdown' | 'code' = 'none';
  let cellIndex = 0;
  let lines: string[] = [];
  const flush = () => {
    if (kind === 'markdown') blocks.push({ kind, text: trimBlankLines(lines).join('\n') });
    if (kind === 'code') blocks.push({ kind, cell: cellIndex, code: cellCode(cellIndex, lines) });
    lines = [];
  };
  for (const line of source.split(/\r?\n/)) {
    const cellMatch = CELL_MARKER.exec(line);
    if (MARKDOWN_MARKER.test(line) || cellMatch) {
      flush();
      kind = cellMatch ? 'code' : 'markdown';
      cellIndex = cellMatch ? Number(cellMatch[1]) : 0;
      continue;
    }
    if (kind === 'markdown') {
      // A markdown block is a run of comment lines; the first other line ends it.
      if (!line.startsWith('//')) {
        flush();
        kind = 'none';
        continue;
      }
      lines.push(line.replace(/^\/\/ ?/, ''));
    } else if (kind === 'code') {
      lines.push(line);
    }
  }
  flush();
  return blocks;
}

function trimBlankLines(lines: readonly string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]!.trim() === '') start++;
  while (end > start && lines[end - 1]!.trim() === '') end--;
  return lines.slice(start, end);
}

/**
 * The code of cell `index` as shown to readers: bare `cell(n);` markers dropped and a
 * `cell(n, () => {` … `});` wrapper replaced by its body, dedented.
 */
function cellCode(index: number, raw: readonly string[]): string {
  const lines = raw.filter((line) => line.trim() !== `cell(${index});`);
  const open = lines.indexOf(`cell(${index}, () => {`);
  const close = lines.lastIndexOf('});');
  if (open >= 0 && close > open) {
    const body = lines.slice(open + 1, close).map((line) => line.replace(/^ {2}/, ''));
    return trimBlankLines([...lines.slice(0, open), ...body, ...lines.slice(close + 1)]).join('\n');
  }
  return trimBlankLines(lines).join('\n');
}
