/**
 * The tables of `npm run bench` (bench/results.md, and the README's block between the
 * bench-table markers after a full run), built from the measured rows.
 */
import type { CellResult, DifferenceRange, RatioRange } from './stats.js';

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
  /** The TF.js training-step rows (bench/tfjs-steps.ts); absent in runs made before them. */
  tfjsSteps?: TfjsStepRow[];
  notes: string[];
}

/** One backend's cells of a TF.js training-step row. */
export interface TfjsStepCells {
  backend: string;
  /** The step with TF.js's own loss (null: TF.js has no such loss). */
  tfjs: CellResult | null;
  /** The same step with the gloss loss through tfjsLoss. */
  adapter: CellResult;
  /** tf.valueAndGrad of the loss alone: TF.js's own, and gloss's through tfjsLoss. */
  lossTfjs: CellResult | null;
  lossAdapter: CellResult;
  /** adapter step ms / TF.js step ms (below 1: the step with gloss's loss is faster). */
  adapterOverTfjs: RatioRange | null;
  /** ms per step the adapter adds over the loss itself: lossAdapter − the row's lossGloss. */
  overhead: DifferenceRange;
  /** overhead.median / adapter step median. */
  overheadShareOfStep: number;
}

/** A TF.js training-step row: one LayersModel SGD step, TF.js's loss vs gloss's via tfjsLoss. */
export interface TfjsStepRow {
  id: string;
  title: string;
  /** Why the TF.js cells are empty (e.g. 'TF.js has no CTC loss'), or null. */
  tfjsMissing: string | null;
  /** The gloss loss's value and gradient on the same logits as typed arrays, no TF.js. */
  lossGloss: CellResult;
  /** Bytes crossing the adapter per step (yPred and yTrue read, the gradient written). */
  adapterBytes: number;
  backends: TfjsStepCells[];
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
      "Matrix product, float32, one thread unless the row says otherwise (gloss `nd.dot` in the M rows and Dense's float32 kernel in the M…d rows, TF.js `tf.matMul` with `dataSync`, PyTorch `torch.mm`): " +
        'GFLOP/s from the median run (range from the slowest to the fastest run).',
      '',
      `| product | gloss GFLOP/s | ${libraries.map((l) => `${title(l)} GFLOP/s`).join(' | ')} | gloss/PyTorch time |`,
      `|---|---:|${libraries.map(() => '---:').join('|')}|---:|`,
      ...products.map(
        (r) =>
          `| ${r.id} ${r.title} | ${gflops(r.cells.gloss, r.flops!)} | ${libraries.map((l) => gflops(r.cells[l], r.flops!)).join(' | ')} | ${ratio(r.ratios.glossOverPyTorch)} |`,
      ),
    );
  if (run.tfjsSteps && run.tfjsSteps.length > 0) lines.push('', ...tfjsStepTable(run.tfjsSteps));
  lines.push(
    '',
    ...run.notes.map((n) => `- ${n}`),
    ...run.rows.flatMap((r) => r.notes.map((n) => `- ${r.id}: ${n}`)),
    ...(run.tfjsSteps ?? []).flatMap((r) => r.notes.map((n) => `- ${r.id}: ${n}`)),
  );
  return `${lines.join('\n')}\n`;
}

const signedMs = (value: number) => (value >= 0 ? `+${digits(value)}` : `-${digits(-value)}`);

/** The TF.js training-step table: per backend, the step both ways, the loss alone three ways. */
export function tfjsStepTable(rows: readonly TfjsStepRow[]): string[] {
  return [
    "TF.js training steps (bench/tfjs-steps.ts): one SGD step of a TF.js LayersModel on the backend named, with TF.js's own " +
      'loss and with the gloss loss through `tfjsLoss` (gloss-ml/tfjs), same model, inputs and initial weights; then the ' +
      "loss alone (`tf.valueAndGrad` of the logits) with TF.js's loss, with gloss's through the adapter, and gloss's " +
      'without TF.js (typed arrays, as the adapter calls it). **Adapter overhead** = loss alone through the adapter − ' +
      'loss alone without TF.js: the `dataSync` reads of yPred and yTrue, the label cast, `tf.customGrad` and the value ' +
      'and gradient tensors, per step (its share of the step in brackets; range from the runs). Cells as above.',
    '',
    '| workload | backend | step, TF.js loss ms | step, gloss via tfjsLoss ms | gloss/TF.js step time | loss alone, TF.js ms | loss alone, gloss via tfjsLoss ms | loss alone, gloss without TF.js ms | adapter overhead ms per step | KB through the adapter |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.flatMap((r) =>
      r.backends.map((b) => {
        const missing = r.tfjsMissing ? `n/a: ${r.tfjsMissing}` : 'n/a';
        const overhead =
          `${signedMs(b.overhead.median)} (${signedMs(b.overhead.low)} to ${signedMs(b.overhead.high)}; ` +
          `${(b.overheadShareOfStep * 100).toFixed(1)}% of the step)`;
        return (
          `| ${r.id} ${r.title} | tfjs-${b.backend} | ${b.tfjs ? ms(b.tfjs) : missing} | ${ms(b.adapter)} | ` +
          `${b.adapterOverTfjs ? ratio(b.adapterOverTfjs) : missing} | ${b.lossTfjs ? ms(b.lossTfjs) : missing} | ` +
          `${ms(b.lossAdapter)} | ${ms(r.lossGloss)} | ${overhead} | ${(r.adapterBytes / 1024).toFixed(1)} |`
        );
      }),
    ),
  ];
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
