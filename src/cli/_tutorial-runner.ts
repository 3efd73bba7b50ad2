/**
 * Runs the TypeScript twin of the seed tutorial (examples/tutorial.ts) and collects, per cell,
 * what the notebook would show: displayed values, printed text, figures and errors.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beginSession, type CellOutput, endSession } from './_notebook.js';
import { type NotebookBlock, parseNotebookSource } from './_notebook-source.js';

/** The twin of the seed tutorial, found from this file in `src/cli/` and in `dist/cli/` alike. */
export const TUTORIAL_SOURCE = fileURLToPath(new URL('../../examples/tutorial.ts', import.meta.url));

/** What one code cell produced. */
export interface CellRun {
  readonly cell: number;
  readonly outputs: CellOutput[];
}

/** A whole run: the notebook's blocks (text and code, from the source) and every cell's outputs. */
export interface NotebookRun {
  readonly blocks: readonly NotebookBlock[];
  /** Runs in execution order, one per code cell that started. */
  readonly cells: readonly CellRun[];
  /** Code cells of the source that never started (the script stopped before them). */
  readonly missing: readonly number[];
}

/**
 * Loads the twin as a fresh module, so each run executes every cell again: tsx's `tsImport`
 * compiles the TypeScript into a module namespace of its own per call (tsx is a development
 * dependency). It is given the repository's tsconfig.json explicitly, whatever the working
 * folder, because the twin imports `gloss-ml` and that file's paths map it to src/.
 */
async function importFresh(path: string): Promise<void> {
  let api: typeof import('tsx/esm/api');
  try {
    api = await import('tsx/esm/api');
  } catch {
    throw new Error(
      `the tutorial is TypeScript (${path}); running it needs tsx: npm i -D tsx, or run npm start`,
    );
  }
  const tsconfig = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
  await api.tsImport(pathToFileURL(path).href, { parentURL: import.meta.url, tsconfig });
}

/** Runs the notebook twin at `path` (default: the seed tutorial's) and returns what each cell produced. */
export async function runNotebook(path: string = TUTORIAL_SOURCE): Promise<NotebookRun> {
  if (!existsSync(path)) {
    throw new Error(
      `the notebook ${path} was not found; the tutorial runs from a checkout of the gloss repository`,
    );
  }
  const blocks = parseNotebookSource(readFileSync(path, 'utf8'));
  const cells: CellRun[] = [];
  beginSession({
    beginCell: (cell) => {
      cells.push({ cell, outputs: [] });
    },
    output: (cell, output) => {
      const current = cells[cells.length - 1];
      if (current && current.cell === cell) current.outputs.push(output);
      else cells.push({ cell, outputs: [output] });
    },
  });
  try {
    await importFresh(path);
  } finally {
    endSession();
  }
  const started = new Set(cells.map((c) => c.cell));
  const missing = blocks.flatMap((b) => (b.kind === 'code' && !started.has(b.cell) ? [b.cell] : []));
  return { blocks, cells, missing };
}
