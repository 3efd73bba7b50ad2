/**
 * A minimal notebook runtime for the TypeScript twin of a Jupyter notebook
 * (examples/tutorial.ts): what IPython gives the original — cells, the displayed value of a cell,
 * `print`, and `plt.show()` — so the twin's code reads like the notebook's.
 *
 * Run directly (`npx tsx examples/tutorial.ts`) it prints to the console. Run by
 * `gloss tutorial`, a session collects every cell's outputs and figures instead; the session is
 * handed over through `globalThis`, because the runner may load the twin with its own copy of
 * this module.
 * @module
 */
import { type LineChartOptions, lineChart, type Series } from '../plot/index.js';

/** An array as recorded for tests and pages: its printed form and its values. */
export interface RecordedArray {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly data: readonly number[];
}

/** One output of a cell. */
export type CellOutput =
  /** A displayed value (the notebook's `Out[n]`), with the array when it is one. */
  | { readonly kind: 'value'; readonly text: string; readonly array?: RecordedArray }
  /** Printed text, with every array among the printed values. */
  | {
      readonly kind: 'stream';
      readonly text: string;
      readonly arrays: readonly RecordedArray[];
      readonly lists: readonly unknown[];
    }
  /** A chart shown with {@link show}. */
  | {
      readonly kind: 'figure';
      readonly title: string;
      readonly svg: string;
      readonly series: readonly RecordedSeries[];
    }
  /** An error thrown by the cell (the notebook prints the traceback and goes on here). */
  | { readonly kind: 'error'; readonly text: string };

/** A chart series as recorded: plain numbers. */
export interface RecordedSeries {
  readonly label: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
}

/** Where outputs go when `gloss tutorial` runs the twin. */
export interface NotebookSession {
  /** Called when cell `index` starts. */
  beginCell(index: number): void;
  /** Called for every output of the current cell. */
  output(index: number, output: CellOutput): void;
}

const SESSION_KEY = Symbol.for('gloss.notebook.session');

/** Installs `session` as the receiver of every notebook output until {@link endSession}. */
export function beginSession(session: NotebookSession): void {
  (globalThis as Record<symbol, unknown>)[SESSION_KEY] = session;
}

/** Removes the installed session; outputs go to the console again. */
export function endSession(): void {
  delete (globalThis as Record<symbol, unknown>)[SESSION_KEY];
}

function currentSession(): NotebookSession | null {
  return ((globalThis as Record<symbol, unknown>)[SESSION_KEY] as NotebookSession | undefined) ?? null;
}

let currentCell = 0;

/** The console fallback: how a standalone run shows each output. */
function emit(output: CellOutput): void {
  const session = currentSession();
  if (session) {
    session.output(currentCell, output);
    return;
  }
  if (output.kind === 'value') console.log(`Out[${currentCell}]: ${output.text}`);
  else if (output.kind === 'stream') console.log(output.text);
  else if (output.kind === 'figure') console.log(`[figure: ${output.title}, ${output.series.length} series]`);
  else console.log(output.text);
}

/**
 * Code cell `index` of the notebook. With `body`, runs it now; an error it throws is shown as
 * the cell's output and the notebook goes on, so one failing cell does not hide the rest.
 * Without `body`, marks a cell whose code is declarations only (imports, function definitions).
 */
export function cell(index: number, body?: () => void): void {
  currentCell = index;
  const session = currentSession();
  if (session) session.beginCell(index);
  else console.log(`\nIn [${index}]:`);
  if (!body) return;
  try {
    body();
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    emit({ kind: 'error', text });
  }
}

/** Duck-typed NDArray check (the twin may use another copy of gloss than the runner). */
function isNDArray(
  value: unknown,
): value is { shape: readonly number[]; dtype: string; data: ArrayLike<number>; toString(): string } {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { shape?: unknown; dtype?: unknown; data?: unknown };
  return (
    Array.isArray(candidate.shape) &&
    typeof candidate.dtype === 'string' &&
    ArrayBuffer.isView(candidate.data)
  );
}

function recordArray(value: {
  shape: readonly number[];
  dtype: string;
  data: ArrayLike<number>;
}): RecordedArray {
  return { shape: [...value.shape], dtype: value.dtype, data: Array.from(value.data) };
}

/**
 * Python's `repr` of a value: lists as `[a, b]`, numbers shortest round-trip (as Python's floats,
 * except that a whole float prints as `1`, not `1.0`: JS numbers carry no int/float distinction).
 */
function pythonRepr(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return String(value);
  }
  return String(value);
}

/**
 * MXNet's `repr` of an array (what the notebook shows, starting with a newline): `repr()` when
 * the twin's copy of gloss has it, else its `toString()` with the newline added.
 */
function mxnetRepr(value: { toString(): string; repr?: () => string }): string {
  if (typeof value.repr === 'function') return value.repr();
  const text = value.toString();
  return text.startsWith('\n') ? text : `\n${text}`;
}

/** Python's `str`: strings as they are, lists as Python prints them, arrays as MXNet prints them. */
function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isNDArray(value)) return mxnetRepr(value);
  return pythonRepr(value);
}

/** The value a notebook shows for a cell's last expression (`Out[n]`); NDArrays print as MXNet's repr. */
export function display(value: unknown): void {
  if (isNDArray(value)) emit({ kind: 'value', text: mxnetRepr(value), array: recordArray(value) });
  else emit({ kind: 'value', text: pythonStr(value) });
}

/** Python's `print`: the values' `str`, separated by spaces. */
export function print(...values: unknown[]): void {
  emit({
    kind: 'stream',
    text: values.map(pythonStr).join(' '),
    arrays: values.filter(isNDArray).map(recordArray),
    lists: values.filter((v) => Array.isArray(v)),
  });
}

/**
 * `plt.plot(...)` then `plt.show()`: draws `series` with {@link lineChart} and shows the chart
 * as the cell's figure.
 */
export function show(series: readonly Series[], options: LineChartOptions = {}): void {
  const svg = lineChart(series, options);
  emit({
    kind: 'figure',
    title: options.title ?? `figure ${currentCell}`,
    svg,
    series: series.map((s, i) => ({
      label: s.label ?? `series ${i}`,
      x: Array.from(s.x),
      y: Array.from(s.y),
    })),
  });
}
