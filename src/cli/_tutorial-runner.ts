/**
 * Runs the TypeScript twin of the seed tutorial (examples/tutorial.ts) and collects, per cell,
 * what the notebook would show: displayed values, printed text, figures and errors.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beginSession, type CellOutput, endSession } from './_notebook.js';
import { type NotebookBlock, parseNotebookSource } from './_notebook-source.js';

/**
 * The twin of the seed tutorial, found from this file in `src/cli/` and in `dist/cli/` alike: the
 * package ships it (its text is the page's prose and code), so an installed CLI finds it too.
 */
export const TUTORIAL_SOURCE = fileURLToPath(new URL('../../examples/tutorial.ts', import.meta.url));

/**
 * The twin compiled by `npm run build` (tsconfig.examples.json). The compiled CLI runs this one, so
 * an installed package needs no TypeScript runtime; from `src/cli/` this path does not exist.
 */
const COMPILED_TUTORIAL = fileURLToPath(new URL('../examples/tutorial.js', import.meta.url));

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

/** Counts runs: each import of the twin gets a new query string, so a new module instance. */
let runCount = 0;

/**
 * Loads the twin as a fresh module, so each run executes every cell again (a query string makes a
 * new module instance). From source (tsx) the TypeScript is imported directly; the compiled CLI
 * imports the compiled seed twin, and needs tsx (a development dependency) only for another
 * TypeScript notebook.
 */
async function importFresh(path: string): Promise<void> {
  runCount++;
  if (import.meta.url.endsWith('.ts')) {
    await import(`${pathToFileURL(path).href}?run=${runCount}`);
    return;
  }
  if (path === TUTORIAL_SOURCE && existsSync(COMPILED_TUTORIAL)) {
    await import(`${pathToFileURL(COMPILED_TUTORIAL).href}?run=${runCount}`);
    return;
  }
  let api: typeof import('tsx/esm/api');
  try {
    api = await import('tsx/esm/api');
  } catch {
    throw new Error(`the notebook ${path} is TypeScript; running it needs tsx: npm i -D tsx`);
  }
  // In the checkout, the repository's tsconfig.json maps `gloss-ml` to src/ whatever the working
  // folder; an installed package has no tsconfig and resolves the name through its exports.
  const tsconfig = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
  await api.tsImport(
    pathToFileURL(path).href,
    existsSync(tsconfig) ? { parentURL: import.meta.url, tsconfig } : import.meta.url,
  );
}

/** Runs the notebook twin at `path` (default: the seed tutorial's) and returns what each cell produced. */
export async function runNotebook(path: string = TUTORIAL_SOURCE): Promise<NotebookRun> {
  if (!existsSync(path)) {
    throw new Error(`the notebook ${path} was not found`);
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
