/**
 * A data series (one line of a chart) and the checks and extents charts need from it.
 * @module
 */
import { ValueError } from '../ndarray/errors.js';

/** Paired x and y values with an optional legend name and colour: a line ({@link Series}) or a group of points (`PointSeries`). */
export interface DataSeries {
  /** Name shown in the legend; a series without a label gets no legend entry. */
  readonly label?: string;
  /** x values (any array-like of numbers: a plain array, a typed array, `NDArray.data`). */
  readonly x: ArrayLike<number>;
  /** y values, as many as `x`. NaN and infinite values leave a gap in a line. */
  readonly y: ArrayLike<number>;
  /** Colour (any SVG colour); defaults to the palette colour of the series' position. */
  readonly color?: string;
}

/** One line of a chart: paired x and y values, drawn in order. */
export interface Series extends DataSeries {
  /** Draws the line dashed (e.g. a gradient next to its loss). */
  readonly dashed?: boolean;
}

/**
 * Throws a ValueError unless there is at least one series and every series has as many y as x
 * values. `where` names the calling function in the message.
 */
export function checkSeries(where: string, series: readonly DataSeries[]): void {
  if (!Array.isArray(series) || series.length === 0) {
    throw new ValueError(
      `${where}: series must be a non-empty array of {x, y} series, got ${describe(series)}`,
    );
  }
  series.forEach((s, i) => {
    const name = s.label === undefined ? `series ${i}` : `series ${i} ("${s.label}")`;
    if (!s || typeof s.x?.length !== 'number' || typeof s.y?.length !== 'number') {
      throw new ValueError(`${where}: ${name} needs array-like x and y values`);
    }
    if (s.x.length !== s.y.length) {
      throw new ValueError(
        `${where}: ${name} has ${s.x.length} x values but ${s.y.length} y values; give both the same length`,
      );
    }
  });
}

function describe(value: unknown): string {
  return Array.isArray(value) ? `an empty array` : typeof value;
}

/**
 * The [min, max] of the values that `keep` accepts over every series' `axis`, or null when
 * there are none.
 */
export function extentOf(
  series: readonly DataSeries[],
  axis: 'x' | 'y',
  keep: (value: number) => boolean = Number.isFinite,
): [number, number] | null {
  let low = Infinity;
  let high = -Infinity;
  for (const s of series) {
    const values = s[axis];
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!keep(v)) continue;
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  return low <= high ? [low, high] : null;
}
