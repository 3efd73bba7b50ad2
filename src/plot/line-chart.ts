/**
 * `lineChart`: series of (x, y) points in, a standalone SVG document out — axes with nice ticks,
 * grid, axis labels, title and legend. Pure string building (d3-scale for scales and ticks,
 * d3-shape for the path data), so the same call works in Node and in the browser.
 * @module
 */
import { scaleLinear, scaleLog } from 'd3-scale';
import { line } from 'd3-shape';
import { ValueError } from '../ndarray/errors.js';
import { axisTicks, bottomAxis, leftAxis, type PlotArea, type TickScale } from './axis.js';
import { type LegendEntry, legendPosition, legendSize, renderLegend } from './legend.js';
import { seriesColor } from './palette.js';
import { pullIntoRange, readableYRange } from './readable-range.js';
import { checkSeries, extentOf, type Series } from './series.js';
import { element, estimateTextWidth, hashId, svgDocument, titleText } from './svg.js';

/** Options of {@link lineChart}. Every one is optional. */
export interface LineChartOptions {
  /** Title above the plot. */
  readonly title?: string;
  /** Label under the x axis. */
  readonly xLabel?: string;
  /** Label left of the y axis (rotated). */
  readonly yLabel?: string;
  /** Width of the SVG in pixels (default 640). */
  readonly width?: number;
  /** Height of the SVG in pixels (default 400). */
  readonly height?: number;
  /** `'linear'` (default) or `'log'` (for training curves; values ≤ 0 leave gaps). */
  readonly yScale?: 'linear' | 'log';
  /** Fixed x range; by default the data's extent, widened to nice tick values. */
  readonly xDomain?: readonly [number, number];
  /** Fixed y range; by default the data's extent, widened to nice tick values. */
  readonly yDomain?: readonly [number, number];
  /** d3-format specifier for x tick labels (e.g. `'.1f'`); by default d3 picks the precision. */
  readonly xTickFormat?: string;
  /** d3-format specifier for y tick labels. */
  readonly yTickFormat?: string;
  /** Show the legend (default: when at least one series has a label). */
  readonly legend?: boolean;
  /** CSS font-family list (default `'DejaVu Sans', sans-serif`, the font the PNG helper loads). */
  readonly fontFamily?: string;
  /** Base font size in pixels (default 12; the title is 1.25 times larger). */
  readonly fontSize?: number;
  /** Background fill (default `'white'`; `'none'` for transparent). */
  readonly background?: string;
  /**
   * Keep the y axis readable when a curve runs off towards ±∞ (default true on a linear scale
   * without `yDomain`): the range follows the bulk of the values, curves that leave it are drawn
   * running off the edge, and a note under the title says how far they go.
   */
  readonly clampY?: boolean;
}

const WHERE = 'lineChart';
/** Lines may overhang the plot area by half their stroke width, so a line along an edge stays whole. */
const CLIP_MARGIN = 2;

/**
 * Draws `series` as lines on shared axes and returns a standalone SVG document.
 *
 * The SVG is self-contained (no CSS, no scripts, no external fonts): write it to a `.svg` file,
 * set it as `innerHTML`, or render it to PNG with `svgToPng` from `gloss/node`. Elements carry
 * classes (`title`, `x-axis`, `y-axis`, `tick`, `axis-label`, `series`, `legend`) and
 * `data-label` attributes so tests and style sheets can find them.
 *
 * @example
 * ```ts
 * const x = [-2, -1, 0, 1, 2];
 * const svg = plot.lineChart([{ label: 'x²', x, y: x.map((v) => v * v) }], { title: 'square', xLabel: 'x' });
 * ```
 * @throws ValueError for no series, series whose x and y lengths differ, or invalid options.
 */
export function lineChart(input: readonly Series[], options: LineChartOptions = {}): string {
  let series = input;
  checkSeries(WHERE, series);
  const width = positive('width', options.width ?? 640);
  const height = positive('height', options.height ?? 400);
  const fontSize = positive('fontSize', options.fontSize ?? 12);
  const logY = checkScaleKind(options.yScale ?? 'linear') === 'log';

  const clamp =
    options.clampY !== false && !logY && !options.yDomain
      ? readableYRange(series, options.xLabel || 'x')
      : { domain: null, notes: [] };
  if (clamp.domain) {
    const domain = clamp.domain;
    series = series.map((s) => ({ ...s, y: Array.from(s.y, (v) => pullIntoRange(v, domain)) }));
  }
  const clipNote = clamp.notes.length > 0 ? `y axis clipped: ${clamp.notes.join('; ')}` : '';

  const xDomain = options.xDomain
    ? checkDomain('xDomain', options.xDomain, false)
    : padded(extentOf(series, 'x'), false);
  const keepY = logY ? (v: number) => Number.isFinite(v) && v > 0 : Number.isFinite;
  const yDomain = options.yDomain
    ? checkDomain('yDomain', options.yDomain, logY)
    : (clamp.domain ?? padded(extentOf(series, 'y', keepY), logY));

  const xTickCount = Math.max(2, Math.round(width / 80));
  const yTickCount = Math.max(2, Math.round(height / 50));
  const xScale = scaleLinear().domain(xDomain);
  const yScale = logY ? scaleLog().domain(yDomain) : scaleLinear().domain(yDomain);
  if (!options.xDomain) xScale.nice(xTickCount);
  if (!options.yDomain) yScale.nice(yTickCount);
  const yTickFormat = options.yTickFormat ?? (logY ? '~g' : undefined);

  // Margins leave room for the tick labels, the axis titles and the chart title.
  const yTickLabelWidth = Math.max(
    0,
    ...axisTicks(yScale as TickScale, { tickCount: yTickCount, tickFormat: yTickFormat, fontSize }).map((t) =>
      estimateTextWidth(t.text, fontSize),
    ),
  );
  const left = 9 + yTickLabelWidth + (options.yLabel ? fontSize * 1.8 : 0) + 8;
  const top = (options.title ? fontSize * 3 : fontSize) + (clipNote ? fontSize * 1.3 : 0);
  const bottom = 9 + fontSize * 1.2 + (options.xLabel ? fontSize * 1.6 : 0) + 8;
  const right = 20;
  const area: PlotArea = { left, top, width: width - left - right, height: height - top - bottom };
  if (area.width <= 20 || area.height <= 20) {
    throw new ValueError(
      `${WHERE}: width ${width} and height ${height} leave no room for the plot; use at least 200 x 150`,
    );
  }
  xScale.range([area.left, area.left + area.width]);
  yScale.range([area.top + area.height, area.top]);

  const toPixel = (x: number, y: number): [number, number] => [xScale(x), yScale(y)];
  const defined = (x: number, y: number) => Number.isFinite(x) && keepY(y);
  const pathOf = line<[number, number]>()
    .defined(([x, y]) => defined(x, y))
    .x(([x]) => xScale(x))
    .y(([, y]) => yScale(y))
    .digits(2);

  const pixels: [number, number][] = [];
  const lines = series.map((s, i) => {
    const points: [number, number][] = [];
    for (let k = 0; k < s.x.length; k++) {
      points.push([s.x[k]!, s.y[k]!]);
      if (defined(s.x[k]!, s.y[k]!)) pixels.push(toPixel(s.x[k]!, s.y[k]!));
    }
    return {
      label: s.label,
      color: s.color ?? seriesColor(i),
      dashed: s.dashed === true,
      d: pathOf(points) ?? '',
      count: s.x.length,
    };
  });

  const clipId = `gloss-clip-${hashId(`${width}x${height}|${lines.map((l) => l.d).join('|')}`)}`;
  const xAxis = bottomAxis(xScale as TickScale, area, {
    tickCount: xTickCount,
    tickFormat: options.xTickFormat,
    label: options.xLabel,
    fontSize,
  });
  const yAxis = leftAxis(
    yScale as TickScale,
    area,
    { tickCount: yTickCount, tickFormat: yTickFormat, label: options.yLabel, fontSize },
    yTickLabelWidth,
  );

  const seriesGroups = lines.map((l) =>
    element(
      'g',
      { class: 'series', 'data-label': l.label, 'data-points': l.count },
      {
        children: [
          element('path', {
            class: 'line',
            d: l.d,
            fill: 'none',
            stroke: l.color,
            'stroke-width': 2,
            'stroke-linejoin': 'round',
            'stroke-linecap': 'round',
            'stroke-dasharray': l.dashed ? '6 4' : undefined,
          }),
        ],
      },
    ),
  );

  const entries: LegendEntry[] = lines
    .filter((l): l is typeof l & { label: string } => l.label !== undefined && l.label !== '')
    .map((l) => ({ label: l.label, color: l.color, dashed: l.dashed }));
  const showLegend = options.legend ?? entries.length > 0;
  const legend =
    showLegend && entries.length > 0
      ? renderLegend(entries, legendPosition(area, legendSize(entries, fontSize), pixels), fontSize)
      : '';

  const background = options.background ?? 'white';
  const children = [
    options.title ? element('title', {}, { text: options.title }) : '',
    element(
      'defs',
      {},
      {
        children: [
          element(
            'clipPath',
            { id: clipId },
            {
              children: [
                element('rect', {
                  x: area.left - CLIP_MARGIN,
                  y: area.top - CLIP_MARGIN,
                  width: area.width + 2 * CLIP_MARGIN,
                  height: area.height + 2 * CLIP_MARGIN,
                }),
              ],
            },
          ),
        ],
      },
    ),
    background === 'none' ? '' : element('rect', { class: 'background', width, height, fill: background }),
    xAxis.grid,
    yAxis.grid,
    xAxis.axis,
    yAxis.axis,
    element('g', { class: 'plot-area', 'clip-path': `url(#${clipId})` }, { children: seriesGroups }),
    legend,
    titleText(options.title, width, fontSize),
    clipNote
      ? element(
          'text',
          {
            class: 'clip-note',
            x: width / 2,
            y: top - fontSize * 0.7,
            'text-anchor': 'middle',
            'font-size': fontSize * 0.95,
            'font-style': 'italic',
            fill: '#a12622',
          },
          { text: clipNote },
        )
      : '',
  ];
  return svgDocument(
    {
      width,
      height,
      title: options.title,
      fontSize,
      fontFamily: options.fontFamily,
      attributes: { 'data-y-clipped': clipNote ? 'true' : undefined },
    },
    children,
  );
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValueError(`${WHERE}: option ${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

function checkScaleKind(kind: string): 'linear' | 'log' {
  if (kind !== 'linear' && kind !== 'log') {
    throw new ValueError(`${WHERE}: option yScale must be 'linear' or 'log', got ${JSON.stringify(kind)}`);
  }
  return kind;
}

function checkDomain(name: string, domain: readonly [number, number], log: boolean): [number, number] {
  const [low, high] = domain;
  const valid = Number.isFinite(low) && Number.isFinite(high) && low < high && (!log || low > 0);
  if (!valid) {
    throw new ValueError(
      `${WHERE}: option ${name} must be [low, high] with finite low < high${log ? ' and low > 0 on a log scale' : ''}, got [${low}, ${high}]`,
    );
  }
  return [low, high];
}

/**
 * A usable domain from a data extent: a missing extent (no drawable values) becomes [0, 1]
 * (or [1, 10] on a log scale); a single value is widened so the line sits mid-plot.
 */
function padded(extent: [number, number] | null, log: boolean): [number, number] {
  if (extent === null) return log ? [1, 10] : [0, 1];
  const [low, high] = extent;
  if (low < high) return [low, high];
  if (log) return [low / 2, high * 2];
  const pad = low === 0 ? 1 : Math.abs(low) / 2;
  return [low - pad, high + pad];
}
