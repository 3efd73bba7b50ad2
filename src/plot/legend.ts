/**
 * The legend: one entry (a line sample and the series label) per labelled series, in a box
 * placed in the corner of the plot that hides the fewest data points.
 * @module
 */
import type { PlotArea } from './axis.js';
import { element, estimateTextWidth, type MarkerShape, marker, px } from './svg.js';

/** One legend entry. */
export interface LegendEntry {
  readonly label: string;
  readonly color: string;
  readonly dashed: boolean;
  /** Draws a point marker instead of a line sample (scatter charts). */
  readonly marker?: MarkerShape;
}

const SAMPLE_LENGTH = 24;
const PADDING = 8;
const INSET = 10;

/** Width and height of the legend box for `entries`. */
export function legendSize(
  entries: readonly LegendEntry[],
  fontSize: number,
): { width: number; height: number } {
  const textWidth = Math.max(...entries.map((e) => estimateTextWidth(e.label, fontSize)));
  return {
    width: PADDING * 2 + SAMPLE_LENGTH + 6 + textWidth,
    height: PADDING * 2 + entries.length * fontSize * 1.4 - fontSize * 0.4,
  };
}

/**
 * The top-left corner of the legend box: the corner of `area` (top right first, as matplotlib's
 * "best" tries) whose box covers the fewest of `points` (pixel positions of the data).
 */
export function legendPosition(
  area: PlotArea,
  size: { width: number; height: number },
  points: readonly (readonly [number, number])[],
): { x: number; y: number } {
  const right = area.left + area.width - INSET - size.width;
  const bottom = area.top + area.height - INSET - size.height;
  const left = area.left + INSET;
  const top = area.top + INSET;
  const corners = [
    { x: right, y: top },
    { x: left, y: top },
    { x: right, y: bottom },
    { x: left, y: bottom },
  ];
  let best = corners[0]!;
  let fewest = Infinity;
  for (const corner of corners) {
    let covered = 0;
    for (const [x, y] of points) {
      if (x >= corner.x && x <= corner.x + size.width && y >= corner.y && y <= corner.y + size.height)
        covered++;
    }
    if (covered < fewest) {
      fewest = covered;
      best = corner;
    }
  }
  return best;
}

/** The legend as an SVG group at `position`. */
export function renderLegend(
  entries: readonly LegendEntry[],
  position: { x: number; y: number },
  fontSize: number,
): string {
  const size = legendSize(entries, fontSize);
  const rows = entries.map((entry, i) => {
    const y = PADDING + fontSize * 0.5 + i * fontSize * 1.4;
    return element(
      'g',
      { class: 'legend-entry', 'data-label': entry.label },
      {
        children: [
          entry.marker
            ? marker(entry.marker, PADDING + SAMPLE_LENGTH / 2, y, 5, entry.color)
            : element('line', {
                x1: PADDING,
                x2: PADDING + SAMPLE_LENGTH,
                y1: y,
                y2: y,
                stroke: entry.color,
                'stroke-width': 2,
                'stroke-dasharray': entry.dashed ? '6 4' : undefined,
              }),
          element('text', { x: PADDING + SAMPLE_LENGTH + 6, y, dy: '0.32em' }, { text: entry.label }),
        ],
      },
    );
  });
  return element(
    'g',
    { class: 'legend', transform: `translate(${px(position.x)},${px(position.y)})` },
    {
      children: [
        element('rect', {
          width: size.width,
          height: size.height,
          fill: 'white',
          'fill-opacity': 0.85,
          stroke: '#ccc',
          rx: 3,
        }),
        ...rows,
      ],
    },
  );
}
