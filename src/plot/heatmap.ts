/**
 * `heatmap`: a grid of values in [0, 1] (e.g. per-frame class posteriors) as coloured cells, with
 * row and column labels, a colour bar, and optionally a path of marked cells (e.g. CTC's best
 * path) drawn as outlined cells joined by a line.
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import { element, estimateTextWidth, px, svgDocument, titleText } from './svg.js';

/** Options of {@link heatmap}. */
export interface HeatmapOptions {
  readonly title?: string;
  /** One label per row, drawn left of the grid. */
  readonly rowLabels: readonly string[];
  /** One label per column, drawn under the grid. */
  readonly columnLabels: readonly string[];
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Cells to outline and join, as `[row, column]` in drawing order. */
  readonly path?: readonly (readonly [number, number])[];
  /** Legend text of the path (default `'marked path'`). */
  readonly pathLabel?: string;
  /** Size of a cell in pixels (default 36). */
  readonly cellSize?: number;
  readonly fontFamily?: string;
  readonly fontSize?: number;
}

const PATH_COLOR = '#ff7f0e';

/** Blue with opacity `value`: 0 white, 1 deep blue; values are clamped into [0, 1]. */
function cellColor(value: number): string {
  const v = Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0));
  const mix = (from: number, to: number) => Math.round(from + (to - from) * v);
  return `rgb(${mix(255, 8)},${mix(255, 48)},${mix(255, 107)})`;
}

/**
 * Draws `values` (row-major, `rowLabels.length` × `columnLabels.length`) and returns a
 * standalone SVG document. Values are read as probabilities: the colour scale runs from 0 to 1.
 */
export function heatmap(values: ArrayLike<number>, options: HeatmapOptions): string {
  const rows = options.rowLabels.length;
  const columns = options.columnLabels.length;
  if (rows === 0 || columns === 0 || values.length !== rows * columns) {
    throw new ValueError(`heatmap: ${values.length} values do not fill ${rows} rows × ${columns} columns`);
  }
  const fontSize = options.fontSize ?? 12;
  const cell = options.cellSize ?? 36;
  const rowLabelWidth = Math.max(...options.rowLabels.map((l) => estimateTextWidth(l, fontSize)));
  const left = 12 + (options.yLabel ? fontSize * 1.8 : 0) + rowLabelWidth;
  const top = options.title ? fontSize * 3 : fontSize;
  const gridWidth = columns * cell;
  const gridHeight = rows * cell;
  const bar = { x: left + gridWidth + 24, width: 14 };
  const titleWidth = options.title ? estimateTextWidth(options.title, fontSize * 1.25) + 24 : 0;
  const width = Math.max(bar.x + bar.width + 40, titleWidth);
  const legendHeight = options.path ? fontSize * 2 : 0;
  const height = top + gridHeight + fontSize * 2 + (options.xLabel ? fontSize * 1.6 : 0) + legendHeight + 8;

  const cells: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const value = values[r * columns + c]!;
      cells.push(
        element(
          'rect',
          { x: left + c * cell, y: top + r * cell, width: cell, height: cell, fill: cellColor(value) },
          {
            children: [
              element(
                'title',
                {},
                { text: `${options.rowLabels[r]} at ${options.columnLabels[c]}: ${value.toFixed(3)}` },
              ),
            ],
          },
        ),
      );
    }
  }
  const labels = [
    ...options.rowLabels.map((label, r) =>
      element(
        'text',
        { x: left - 6, y: top + (r + 0.5) * cell, dy: '0.32em', 'text-anchor': 'end' },
        { text: label },
      ),
    ),
    ...options.columnLabels.map((label, c) =>
      element(
        'text',
        { x: left + (c + 0.5) * cell, y: top + gridHeight + fontSize * 1.3, 'text-anchor': 'middle' },
        { text: label },
      ),
    ),
  ];
  if (options.xLabel)
    labels.push(
      element(
        'text',
        {
          class: 'axis-label x-label',
          x: left + gridWidth / 2,
          y: top + gridHeight + fontSize * 2.9,
          'text-anchor': 'middle',
        },
        { text: options.xLabel },
      ),
    );
  if (options.yLabel)
    labels.push(
      element(
        'text',
        {
          class: 'axis-label y-label',
          transform: 'rotate(-90)',
          x: -(top + gridHeight / 2),
          y: fontSize * 1.2,
          'text-anchor': 'middle',
        },
        { text: options.yLabel },
      ),
    );

  const path = options.path ?? [];
  const centre = ([r, c]: readonly [number, number]) =>
    [left + (c + 0.5) * cell, top + (r + 0.5) * cell] as const;
  const pathMarks = path.length
    ? [
        element('polyline', {
          points: path.map((p) => centre(p).map(px).join(',')).join(' '),
          fill: 'none',
          stroke: PATH_COLOR,
          'stroke-width': 2.5,
          'stroke-linejoin': 'round',
        }),
        ...path.map(([r, c]) =>
          element('rect', {
            x: left + c * cell + 2,
            y: top + r * cell + 2,
            width: cell - 4,
            height: cell - 4,
            fill: 'none',
            stroke: PATH_COLOR,
            'stroke-width': 2.5,
            rx: 3,
          }),
        ),
      ]
    : [];
  const legendY = top + gridHeight + fontSize * 2 + (options.xLabel ? fontSize * 1.6 : 0) + fontSize;
  const pathLegend = path.length
    ? element(
        'g',
        { class: 'legend' },
        {
          children: [
            element('rect', {
              x: left,
              y: legendY - 7,
              width: 14,
              height: 14,
              fill: 'none',
              stroke: PATH_COLOR,
              'stroke-width': 2.5,
              rx: 3,
            }),
            element(
              'text',
              { x: left + 22, y: legendY, dy: '0.32em' },
              { text: options.pathLabel ?? 'marked path' },
            ),
          ],
        },
      )
    : '';

  // The colour bar: a vertical gradient from 1 (top) to 0 (bottom), ticks at 0, 0.5 and 1.
  const gradientId = `gloss-heat-${rows}x${columns}`;
  const colourBar = element(
    'g',
    { class: 'colour-bar' },
    {
      children: [
        element(
          'defs',
          {},
          {
            children: [
              element(
                'linearGradient',
                { id: gradientId, x1: 0, y1: 1, x2: 0, y2: 0 },
                {
                  children: [0, 0.5, 1].map((v) =>
                    element('stop', { offset: v, 'stop-color': cellColor(v) }),
                  ),
                },
              ),
            ],
          },
        ),
        element('rect', {
          x: bar.x,
          y: top,
          width: bar.width,
          height: gridHeight,
          fill: `url(#${gradientId})`,
          stroke: '#ccc',
        }),
        ...[0, 0.5, 1].map((v) =>
          element(
            'text',
            { x: bar.x + bar.width + 4, y: top + (1 - v) * gridHeight, dy: '0.32em' },
            { text: String(v) },
          ),
        ),
      ],
    },
  );

  const children = [
    options.title ? element('title', {}, { text: options.title }) : '',
    element('rect', { class: 'background', width, height, fill: 'white' }),
    element('g', { class: 'cells' }, { children: cells }),
    element('g', { class: 'labels', fill: '#333' }, { children: labels }),
    element('g', { class: 'path', 'data-cells': path.length }, { children: pathMarks }),
    pathLegend,
    colourBar,
    titleText(options.title, width, fontSize),
  ];
  return svgDocument(
    { width, height, title: options.title, fontSize, fontFamily: options.fontFamily },
    children,
  );
}
