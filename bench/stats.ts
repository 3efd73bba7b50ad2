/**
 * The statistics of `npm run bench`, kept free of timing so they can be tested: every cell
 * (workload × library) is measured at least `runs` times, a cell whose spread (max/min − 1) is
 * above `maxSpread` is measured again (a fresh set of runs, at most `maxReruns` times), and the
 * set with the smallest spread is reported as its minimum, median and spread. The sets that were
 * set aside are kept too, so results.json shows everything that was measured.
 */

/** Minimum, median, maximum and spread of one set of runs (ms per call, one value per run). */
export interface Summary {
  min: number;
  median: number;
  max: number;
  /** max / min − 1: 0.2 means the slowest run took 20% longer than the fastest. */
  spread: number;
  /** The runs, in the order they were measured. */
  runs: number[];
}

/** A cell's result: the reported set of runs and how it was obtained. */
export interface CellResult extends Summary {
  /** Sets of runs measured for this cell (1 = no rerun was needed). */
  attempts: number;
  /** Whether the reported set's spread is within the limit. */
  stable: boolean;
  /** The sets of runs that were measured and not reported (their spread was larger). */
  setAside: number[][];
}

export interface MeasureOptions {
  /** Runs per set (at least 3). */
  runs: number;
  /** A set whose spread is above this is measured again (0.2 = 20%). */
  maxSpread: number;
  /** At most this many further sets per cell. */
  maxReruns: number;
}

export const defaultMeasureOptions: MeasureOptions = { runs: 3, maxSpread: 0.2, maxReruns: 3 };

/** The middle value (for an even count, the mean of the two middle values). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** max / min − 1 of positive values. */
export function spreadOf(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('spreadOf: no values');
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min > 0 ? max / min - 1 : Number.POSITIVE_INFINITY;
}

export function summarize(runs: readonly number[]): Summary {
  if (runs.length === 0) throw new RangeError('summarize: no runs');
  return {
    min: Math.min(...runs),
    median: median(runs),
    max: Math.max(...runs),
    spread: spreadOf(runs),
    runs: [...runs],
  };
}

/**
 * Measures every cell: `runs` rounds over all cells (one run of each cell per round, so all cells
 * see the same stretch of machine time), then, while some cells are above the spread limit and
 * reruns are left, a fresh set of rounds over those cells only. A fresh set replaces the kept one
 * when its spread is smaller. `measure` returns ms per call for one run of one cell.
 */
export async function measureCells<Cell>(
  cells: readonly Cell[],
  measure: (cell: Cell) => number | Promise<number>,
  options: MeasureOptions = defaultMeasureOptions,
): Promise<Map<Cell, CellResult>> {
  if (options.runs < 3) throw new RangeError(`measureCells: options.runs is ${options.runs}, at least 3`);
  const measureSet = async (group: readonly Cell[]) => {
    const sets = new Map<Cell, number[]>(group.map((cell) => [cell, []]));
    for (let round = 0; round < options.runs; round++) {
      // Rotate the order each round, so no cell always runs first (on a colder cache) or last.
      for (let k = 0; k < group.length; k++) {
        const cell = group[(k + round) % group.length]!;
        sets.get(cell)!.push(await measure(cell));
      }
    }
    return sets;
  };
  const kept = new Map<Cell, { runs: number[]; attempts: number; setAside: number[][] }>();
  for (const [cell, runs] of await measureSet(cells)) kept.set(cell, { runs, attempts: 1, setAside: [] });
  for (let rerun = 0; rerun < options.maxReruns; rerun++) {
    const unstable = cells.filter((cell) => spreadOf(kept.get(cell)!.runs) > options.maxSpread);
    if (unstable.length === 0) break;
    for (const [cell, runs] of await measureSet(unstable)) {
      const entry = kept.get(cell)!;
      entry.attempts++;
      if (spreadOf(runs) < spreadOf(entry.runs)) {
        entry.setAside.push(entry.runs);
        entry.runs = runs;
      } else entry.setAside.push(runs);
    }
  }
  const results = new Map<Cell, CellResult>();
  for (const cell of cells) {
    const { runs, attempts, setAside } = kept.get(cell)!;
    const summary = summarize(runs);
    results.set(cell, { ...summary, attempts, stable: summary.spread <= options.maxSpread, setAside });
  }
  return results;
}

/** A ratio of two cells' medians and the range it can take given their runs. */
export interface RatioRange {
  median: number;
  /** numerator.min / denominator.max */
  low: number;
  /** numerator.max / denominator.min */
  high: number;
}

/** numerator / denominator of two measured cells: the ratio of medians, and its extreme values. */
export function ratioOf(numerator: Summary, denominator: Summary): RatioRange {
  return {
    median: numerator.median / denominator.median,
    low: numerator.min / denominator.max,
    high: numerator.max / denominator.min,
  };
}

/** a − b of two measured cells (ms): the difference of medians, and its extreme values. */
export interface DifferenceRange {
  median: number;
  /** a.min − b.max */
  low: number;
  /** a.max − b.min */
  high: number;
}

/** a − b of two measured cells: what a costs over b, with the range its runs allow. */
export function differenceOf(a: Summary, b: Summary): DifferenceRange {
  return { median: a.median - b.median, low: a.min - b.max, high: a.max - b.min };
}
