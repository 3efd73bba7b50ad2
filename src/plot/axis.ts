/**
 * Axes: a domain line, tick marks with labels, light grid lines and the axis title, for a d3
 * linear or log scale. Layout follows d3-axis (tick length 6, labels 3 px beyond the tick).
 * @module
 */
import { element, px } from './svg.js';

/** The part of a d3 scale (linear or log) an axis needs. */
export interface TickScale {
  (value: number): number | undefined;
  ticks(count?: number): number[];
  tickFormat(count?: number, specifier?: string): (value: number) => string;
  range(): number[];
}

/** The rectangle the data is drawn in, in SVG pixels. */
export interface PlotArea {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** How an axis is drawn. */
export interface AxisOptions {
  /** Roughly how many ticks to aim for (d3 picks "nice" values near it). */
  readonly tickCount: number;
  /** d3-format specifier for tick labels; undefined lets the scale choose. */
  readonly tickFormat?: string | undefined;
  /** Axis title, drawn centred outside the tick labels. */
  readonly label?: string | undefined;
  readonly fontSize: number;
}

const TICK_SIZE = 6;
const TICK_PADDING = 3;
const AXIS_COLOR = '#333';
const GRID_COLOR = '#e5e5e5';

/** The tick values and their labels (empty labels are kept as ticks without text, as d3 does for log minors). */
export function axisTicks(scale: TickScale, options: AxisOptions): { value: number; text: string }[] {
  const format = scale.tickFormat(options.tickCount, options.tickFormat);
  return scale.ticks(options.tickCount).map((value) => ({ value, text: format(value) }));
}

/** The horizontal axis under `area`, with vertical grid lines across it. */
export function bottomAxis(
  scale: TickScale,
  area: PlotArea,
  options: AxisOptions,
): { grid: string; axis: string } {
  const bottom = area.top + area.height;
  const grid: string[] = [];
  const ticks: string[] = [];
  for (const { value, text } of axisTicks(scale, options)) {
    const x = scale(value);
    if (x === undefined || !Number.isFinite(x)) continue;
    if (text !== '') grid.push(element('line', { x1: x, x2: x, y1: area.top, y2: bottom }));
    ticks.push(
      element(
        'g',
        { class: 'tick', 'data-value': String(value), transform: `translate(${px(x)},0)` },
        {
          children: [
            element('line', { y2: TICK_SIZE, stroke: AXIS_COLOR }),
            text === ''
              ? ''
              : element(
                  'text',
                  { y: TICK_SIZE + TICK_PADDING + options.fontSize * 0.8, 'text-anchor': 'middle' },
                  { text },
                ),
          ],
        },
      ),
    );
  }
  const children = [
    element('line', {
      class: 'domain',
      x1: area.left,
      x2: area.left + area.width,
      y1: 0,
      y2: 0,
      stroke: AXIS_COLOR,
    }),
    ...ticks,
  ];
  if (options.label) {
    const y = TICK_SIZE + TICK_PADDING + options.fontSize * 2.2;
    children.push(
      element(
        'text',
        { class: 'axis-label x-label', x: area.left + area.width / 2, y, 'text-anchor': 'middle' },
        { text: options.label },
      ),
    );
  }
  return {
    grid: element('g', { class: 'grid x-grid', stroke: GRID_COLOR }, { children: grid }),
    axis: element(
      'g',
      { class: 'axis x-axis', transform: `translate(0,${px(bottom)})`, fill: AXIS_COLOR },
      { children },
    ),
  };
}

/** The vertical axis left of `area`, with horizontal grid lines across it. `labelOffset` is the tick-label width. */
export function leftAxis(
  scale: TickScale,
  area: PlotArea,
  options: AxisOptions,
  labelOffset: number,
): { grid: string; axis: string } {
  const right = area.left + area.width;
  const grid: string[] = [];
  const ticks: string[] = [];
  for (const { value, text } of axisTicks(scale, options)) {
    const y = scale(value);
    if (y === undefined || !Number.isFinite(y)) continue;
    if (text !== '') grid.push(element('line', { x1: area.left, x2: right, y1: y, y2: y }));
    ticks.push(
      element(
        'g',
        { class: 'tick', 'data-value': String(value), transform: `translate(0,${px(y)})` },
        {
          children: [
            element('line', { x2: -TICK_SIZE, stroke: AXIS_COLOR }),
            text === ''
              ? ''
              : element(
                  'text',
                  { x: -(TICK_SIZE + TICK_PADDING), dy: '0.32em', 'text-anchor': 'end' },
                  { text },
                ),
          ],
        },
      ),
    );
  }
  const children = [
    element('line', {
      class: 'domain',
      x1: 0,
      x2: 0,
      y1: area.top,
      y2: area.top + area.height,
      stroke: AXIS_COLOR,
    }),
    ...ticks,
  ];
  if (options.label) {
    // Rotated a quarter turn: x is then the negated vertical position, y the horizontal one.
    const x = -(area.top + area.height / 2);
    const y = -(TICK_SIZE + TICK_PADDING + labelOffset + options.fontSize * 0.6);
    children.push(
      element(
        'text',
        { class: 'axis-label y-label', transform: 'rotate(-90)', x, y, 'text-anchor': 'middle' },
        { text: options.label },
      ),
    );
  }
  return {
    grid: element('g', { class: 'grid y-grid', stroke: GRID_COLOR }, { children: grid }),
    axis: element(
      'g',
      { class: 'axis y-axis', transform: `translate(${px(area.left)},0)`, fill: AXIS_COLOR },
      { children },
    ),
  };
}
