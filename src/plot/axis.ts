/**
 * Axes: a domain line, tick marks with labels, light grid lines and the axis title, for a d3
 * linear or log scale. Layout follows d3-axis (tick length 6, labels 3 px beyond the tick).
 * @module
 */
import { type AttributeValue, element, px } from './svg.js';

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

/** Where an axis's parts go: what bottomAxis and leftAxis tell {@link drawAxis}. */
interface AxisSide {
  /** 'x' or 'y', for the groups' classes. */
  readonly letter: string;
  /** The axis group's translation (to the edge of the area). */
  readonly transform: string;
  /** The grid line across the area at pixel `at`. */
  gridLine(at: number): Readonly<Record<string, AttributeValue>>;
  /** The tick group's translation to pixel `at`. */
  tickTransform(at: number): string;
  /** The tick mark (a line from the axis) and its label's placement. */
  readonly mark: Readonly<Record<string, AttributeValue>>;
  readonly tickLabel: Readonly<Record<string, AttributeValue>>;
  /** The domain line along the area's edge. */
  readonly domain: Readonly<Record<string, AttributeValue>>;
  /** The axis title's placement (its class, position, anchor). */
  readonly title: Readonly<Record<string, AttributeValue>>;
}

/** An axis with its grid: ticks (a labelled tick also gets a grid line), domain line, title. */
function drawAxis(scale: TickScale, options: AxisOptions, side: AxisSide): { grid: string; axis: string } {
  const grid: string[] = [];
  const ticks: string[] = [];
  for (const { value, text } of axisTicks(scale, options)) {
    const at = scale(value);
    if (at === undefined || !Number.isFinite(at)) continue;
    if (text !== '') grid.push(element('line', side.gridLine(at)));
    ticks.push(
      element(
        'g',
        { class: 'tick', 'data-value': String(value), transform: side.tickTransform(at) },
        {
          children: [
            element('line', { ...side.mark, stroke: AXIS_COLOR }),
            text === '' ? '' : element('text', side.tickLabel, { text }),
          ],
        },
      ),
    );
  }
  const children = [element('line', { class: 'domain', ...side.domain, stroke: AXIS_COLOR }), ...ticks];
  if (options.label) children.push(element('text', side.title, { text: options.label }));
  return {
    grid: element('g', { class: `grid ${side.letter}-grid`, stroke: GRID_COLOR }, { children: grid }),
    axis: element(
      'g',
      { class: `axis ${side.letter}-axis`, transform: side.transform, fill: AXIS_COLOR },
      { children },
    ),
  };
}

/** The horizontal axis under `area`, with vertical grid lines across it. */
export function bottomAxis(
  scale: TickScale,
  area: PlotArea,
  options: AxisOptions,
): { grid: string; axis: string } {
  const bottom = area.top + area.height;
  return drawAxis(scale, options, {
    letter: 'x',
    transform: `translate(0,${px(bottom)})`,
    gridLine: (x) => ({ x1: x, x2: x, y1: area.top, y2: bottom }),
    tickTransform: (x) => `translate(${px(x)},0)`,
    mark: { y2: TICK_SIZE },
    tickLabel: { y: TICK_SIZE + TICK_PADDING + options.fontSize * 0.8, 'text-anchor': 'middle' },
    domain: { x1: area.left, x2: area.left + area.width, y1: 0, y2: 0 },
    title: {
      class: 'axis-label x-label',
      x: area.left + area.width / 2,
      y: TICK_SIZE + TICK_PADDING + options.fontSize * 2.2,
      'text-anchor': 'middle',
    },
  });
}

/** The vertical axis left of `area`, with horizontal grid lines across it. `labelOffset` is the tick-label width. */
export function leftAxis(
  scale: TickScale,
  area: PlotArea,
  options: AxisOptions,
  labelOffset: number,
): { grid: string; axis: string } {
  const right = area.left + area.width;
  return drawAxis(scale, options, {
    letter: 'y',
    transform: `translate(${px(area.left)},0)`,
    gridLine: (y) => ({ x1: area.left, x2: right, y1: y, y2: y }),
    tickTransform: (y) => `translate(0,${px(y)})`,
    mark: { x2: -TICK_SIZE },
    tickLabel: { x: -(TICK_SIZE + TICK_PADDING), dy: '0.32em', 'text-anchor': 'end' },
    domain: { x1: 0, x2: 0, y1: area.top, y2: area.top + area.height },
    // Rotated a quarter turn: x is then the negated vertical position, y the horizontal one.
    title: {
      class: 'axis-label y-label',
      transform: 'rotate(-90)',
      x: -(area.top + area.height / 2),
      y: -(TICK_SIZE + TICK_PADDING + labelOffset + options.fontSize * 0.6),
      'text-anchor': 'middle',
    },
  });
}
