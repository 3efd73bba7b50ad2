/**
 * `decisionMap`: what a binary classifier says over a 2-D input square — cells shaded by the
 * probability of class 1, the decision boundary (where the predicted class changes) drawn as a
 * line, and the labelled data points on top. Redrawn each epoch, it shows the boundary moving
 * as a network trains.
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import { element, marker, px, svgDocument, titleText } from './svg.js';

/** Classifier scores on a regular grid over [xMin, xMax] × [yMin, yMax]. */
export interface ScoreGrid {
  readonly xMin: number;
  readonly xMax: number;
  readonly yMin: number;
  readonly yMax: number;
  readonly columns: number;
  readonly rows: number;
  /**
   * P(class 1) at each cell centre, row-major with row 0 at yMin (bottom); values ≥ 0.5 are
   * predicted class 1.
   */
  readonly scores: ArrayLike<number>;
}

/** Options of {@link decisionMap}. */
export interface DecisionMapOptions {
  readonly title?: string;
  /** Width of the plot in pixels (default 360); the height keeps the grid's aspect ratio. */
  readonly size?: number;
  /** Data points and their classes (0 or 1). */
  readonly points?: {
    readonly x: ArrayLike<number>;
    readonly y: ArrayLike<number>;
    readonly classes: ArrayLike<number>;
  };
  readonly fontSize?: number;
}

const CLASS_COLORS = ['#1f77b4', '#ff7f0e'] as const;

/** A light tint of the class colour, stronger the surer the score. */
function cellFill(score: number): string {
  const confidence = Math.min(1, Math.abs(score - 0.5) * 2);
  const [r, g, b] = score >= 0.5 ? [255, 127, 14] : [31, 119, 180];
  const mix = (c: number) => Math.round(255 + (c - 255) * (0.12 + 0.33 * confidence));
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

/** Draws the grid, its decision boundary and the points; returns a standalone SVG document. */
export function decisionMap(grid: ScoreGrid, options: DecisionMapOptions = {}): string {
  const { columns, rows, scores } = grid;
  if (
    !(columns >= 2 && rows >= 2) ||
    scores.length !== columns * rows ||
    !(grid.xMin < grid.xMax && grid.yMin < grid.yMax)
  )
    throw new ValueError(
      `decisionMap: ${scores.length} scores do not fill a ${columns} × ${rows} grid over a valid square`,
    );
  const fontSize = options.fontSize ?? 12;
  const size = options.size ?? 360;
  const top = options.title ? fontSize * 2.6 : 8;
  const margin = 8;
  const width = size + 2 * margin;
  const plotHeight = (size * (grid.yMax - grid.yMin)) / (grid.xMax - grid.xMin);
  const height = top + plotHeight + margin;
  const cellWidth = size / columns;
  const cellHeight = plotHeight / rows;
  const toX = (x: number) => margin + ((x - grid.xMin) / (grid.xMax - grid.xMin)) * size;
  const toY = (y: number) => top + plotHeight - ((y - grid.yMin) / (grid.yMax - grid.yMin)) * plotHeight;
  const cellLeft = (c: number) => margin + c * cellWidth;
  const cellTop = (r: number) => top + plotHeight - (r + 1) * cellHeight;

  const cells: string[] = [];
  const boundary: string[] = [];
  const classOf = (r: number, c: number) => (scores[r * columns + c]! >= 0.5 ? 1 : 0);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      cells.push(
        element('rect', {
          x: cellLeft(c),
          y: cellTop(r),
          width: cellWidth + 0.5,
          height: cellHeight + 0.5,
          fill: cellFill(scores[r * columns + c]!),
        }),
      );
      // An edge between two cells of different predicted classes is a piece of the boundary.
      if (c + 1 < columns && classOf(r, c) !== classOf(r, c + 1)) {
        const x = px(cellLeft(c + 1));
        boundary.push(`M${x},${px(cellTop(r))}V${px(cellTop(r) + cellHeight)}`);
      }
      if (r + 1 < rows && classOf(r, c) !== classOf(r + 1, c)) {
        const y = px(cellTop(r));
        boundary.push(`M${px(cellLeft(c))},${y}H${px(cellLeft(c) + cellWidth)}`);
      }
    }
  }
  const markers: string[] = [];
  const points = options.points;
  if (points) {
    for (let i = 0; i < points.x.length; i++) {
      const cls = points.classes[i]! >= 0.5 ? 1 : 0;
      markers.push(
        marker(cls ? 'triangle' : 'circle', toX(points.x[i]!), toY(points.y[i]!), 3.5, CLASS_COLORS[cls]),
      );
    }
  }
  const children = [
    options.title ? element('title', {}, { text: options.title }) : '',
    element('rect', { class: 'background', width, height, fill: 'white' }),
    element('g', { class: 'cells' }, { children: cells }),
    element('path', {
      class: 'boundary',
      d: boundary.join('') || 'M0,0',
      fill: 'none',
      stroke: '#222',
      'stroke-width': 2,
      'stroke-linecap': 'round',
      'data-segments': boundary.length,
    }),
    element('g', { class: 'points', 'data-points': markers.length }, { children: markers }),
    element('rect', { x: margin, y: top, width: size, height: plotHeight, fill: 'none', stroke: '#999' }),
    titleText(options.title, width, fontSize, { baseline: 1.7, scale: 1.15 }),
  ];
  return svgDocument({ width, height, title: options.title, fontSize }, children);
}
