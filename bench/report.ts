/**
 * The tables of `npm run bench` (bench/results.md, and the README's block between the
 * bench-table markers after a full run), built from the measured rows.
 */
import type { CellResult, RatioRange } from './stats.js';

/** One workload's measured cells (null: that library has no equivalent or did not run). */
export interface Row {
  id: string;
  title: string;
  kind: 'loss' | 'matmul';
  /** gloss, floor, plain, tfjs-cpu, tfjs-wasm, pytorch */
  cells: Record<string, CellResult | null>;
  ratios: {
    /** gloss ms / PyTorch ms (below 1: gloss is faster). */
    glossOverPyTorch: RatioRange | null;
    /** best TF.js ms / gloss ms (above 1: gloss is faster). */
    bestTfjsOverGloss: RatioRange | null;
    bestTfjs: string | null;
    glossOverFloor: RatioRange | null;
    plainOverGloss: RatioRange | null;
  };
  elementsPerSecond: number;
  gigabytesPerSecond: number;
  flops: number | null;
  peakExtraBytes: number;
  peakExtraOverLogits: number | null;
  notes: string[];
}

export interface Run {
  date: string;
  machine: string;
  /** 1-minute load averages at the start and the end of the run (os.loadavg()). */
  load: { start: number; end: number };
  options: { runs: number; maxSpread: number; maxReruns: number; budgetMs: number };
  backends: string[];
  pytorch: string | null;
  rows: Row[];
  notes: string[];
}

/** ms with 3 significant digits below 1 ms (0.0153, 0.00038), 2 decimals above. */
const digits = (value: number) =>
  value >= 1 ? value.toFixed(2) : value >= 0.1 ? value.toFixed(3) : value.toPrecision(3);

const ms = (cell: CellResult | null | undefined) =>
  cell
    ? `${digits(cell.median)} / ${digits(cell.min)} (${(cell.spread * 100).toFixed(0)}%${cell.stable ? '' : '!'})`
    : 'n/a';

const ratio = (r: RatioRange | null, suffix = '') =>
  r ? `${r.median.toFixed(2)}x${suffix} (${r.low.toFixed(2)}-${r.high.toFixed(2)})` : 'n/a';

const gflops = (cell: CellResult | null | undefined, flops: number) =>
  cell
    ? `${(flops / cell.median / 1e6).toFixed(1)} (${(flops / cell.max / 1e6).toFixed(1)}-${(flops / cell.min / 1e6).toFixed(1)})`
    : 'n/a';

/** The markdown of a run: how to read it, the loss table, the matmul table, the notes. */
export function markdown(run: Run): string {
  const libraries = [...run.backends.map((b) => `tfjs-${b}`), 'pytorch'];
  const title = (library: string) => (library === 'pytorch' ? 'PyTorch' : library);
  const losses = run.rows.filter((r) => r.kind === 'loss');
  const products = run.rows.filter((r) => r.kind === 'matmul');
  const { runs, maxSpread, maxReruns, budgetMs } = run.options;
  const lines = [
    `Machine: ${run.machine}. ${run.pytorch ? `PyTorch: ${run.pytorch}.` : 'PyTorch: not run.'}`,
    `Load average (1 min) ${run.load.start.toFixed(2)} at the start, ${run.load.end.toFixed(2)} at the end of the run.`,
    '',
    `Each cell is measured in at least ${runs} runs (a run: median ms per call over a ~${budgetMs} ms batch of calls, ` +
      `all cells of a workload in rotating rounds), shown as **median / minimum ms (spread)**, spread = slowest/fastest run − 1. ` +
      `A cell above ${(maxSpread * 100).toFixed(0)}% is measured again (a fresh set, at most ${maxReruns} times; the set with the ` +
      'smallest spread is shown, every set is in results.json); `!` marks a cell still above it. Ratios are of medians from ' +
      'this run, with their range in brackets (fastest/slowest to slowest/fastest run).',
    '',
    `| workload | gloss ms | ${libraries.map((l) => `${title(l)} ms`).join(' | ')} | gloss/PyTorch time | best tfjs/gloss time | floor ms | gloss/floor | plain JS/gloss | Melem/s | GB/s | peak extra MB |`,
    `|---|---:|${libraries.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|---:|---:|---:|`,
    ...losses.map(
      (r) =>
        `| ${r.id} ${r.title} | ${ms(r.cells.gloss)} | ${libraries.map((l) => ms(r.cells[l])).join(' | ')} | ` +
        `${ratio(r.ratios.glossOverPyTorch)} | ${ratio(r.ratios.bestTfjsOverGloss)} | ${ms(r.cells.floor)} | ` +
        `${ratio(r.ratios.glossOverFloor)} | ${ratio(r.ratios.plainOverGloss)} | ` +
        `${(r.elementsPerSecond / 1e6).toFixed(0)} | ${r.gigabytesPerSecond.toFixed(2)} | ` +
        `${(r.peakExtraBytes / 2 ** 20).toFixed(1)}${r.peakExtraOverLogits === null ? '' : ` (${r.peakExtraOverLogits.toFixed(2)}x logits)`} |`,
    ),
  ];
  if (products.length > 0)
    lines.push(
      '',
      'Matrix product, float32, one thread (gloss `nd.dot`, TF.js `tf.matMul` with `dataSync`, PyTorch `torch.mm`): ' +
        'GFLOP/s from the median run (range from the slowest to the fastest run).',
      '',
      `| product | gloss GFLOP/s | ${libraries.map((l) => `${title(l)} GFLOP/s`).join(' | ')} | gloss/PyTorch time |`,
      `|---|---:|${libraries.map(() => '---:').join('|')}|---:|`,
      ...products.map(
        (r) =>
          `| ${r.id} ${r.title} | ${gflops(r.cells.gloss, r.flops!)} | ${libraries.map((l) => gflops(r.cells[l], r.flops!)).join(' | ')} | ${ratio(r.ratios.glossOverPyTorch)} |`,
      ),
    );
  lines.push(
    '',
    ...run.notes.map((n) => `- ${n}`),
    ...run.rows.flatMap((r) => r.notes.map((n) => `- ${r.id}: ${n}`)),
  );
  return `${lines.join('\n')}\n`;
}

export const README_START = '<!-- bench-table:start (generated by npm run bench; do not edit by hand) -->';
export const README_END = '<!-- bench-table:end -->';

/** The README with the text between the bench-table markers replaced, or null when it has no markers. */
export function withTable(readme: string, table: string): string | null {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return null;
  return `${readme.slice(0, start + README_START.length)}\n${table}${readme.slice(end)}`;
}
