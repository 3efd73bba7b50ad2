/**
 * `scatterChart`: points (with optional segments joining them) on shared axes, as a standalone
 * SVG document — e.g. embeddings in 2-D, with lines from each anchor to its positive and
 * negative. Same conventions as {@link lineChart}: pure strings, classes for tests.
 * @module
 */
import { scaleLinear } from 'd3-scale';
import { ValueError } from '../ndarray/errors.js';
import { axisTicks, bottomAxis, leftAxis, type PlotArea, type TickScale } from './axis.js';
import { type LegendEntry, legendPosition, legendSize, renderLegend } from './legend.js';
import { seriesColor } from './palette.js';
import { checkSeries, type DataSeries, extentOf } from './series.js';
import { element, estimateTextWidth, type MarkerShape, marker, svgDocument, titleText } from './svg.js';

/** One group of points, drawn with one marker and colour and named once in the legend. */
export interface PointSeries extends DataSeries {
  /** Marker shape (default `'circle'`). */
  readonly marker?: MarkerShape;
}

/** A straight line between two data points, drawn under the markers. */
export interface Segment {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly color?: string;
  readonly dashed?: boolean;
}

/** Options of {@link scatterChart}. */
export interface ScatterChartOptions {
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Width in pixels (default 480). */
  readonly width?: number;
  /** Height in pixels (default 400). */
  readonly height?: number;
  /** Fixed ranges (e.g. the same for two panels to compare); by default the data's extent. */
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
  /** Lines between points (segments' ends count towards the default ranges). */
  readonly segments?: readonly Segment[];
  readonly fontFamily?: string;
  readonly fontSize?: number;
}

const WHERE = 'scatterChart';
const MARKER_RADIUS = 5;

/** Draws `points` (and `options.segments`) and returns a standalone SVG document. */
export function scatterChart(points: readonly PointSeries[], options: ScatterChartOptions = {}): string {
  checkSeries(WHERE, points);
  const width = options.width ?? 480;
  const height = options.height ?? 400;
  const fontSize = options.fontSize ?? 12;
  const segments = options.segments ?? [];
  const segmentEnds = segments.flatMap((s) => [{ x: [s.x1, s.x2], y: [s.y1, s.y2] }]);
  const xScale = scaleLinear().domain(options.xDomain ?? paddedExtent([...points, ...segmentEnds], 'x'));
  const yScale = scaleLinear().domain(options.yDomain ?? paddedExtent([...points, ...segmentEnds], 'y'));
  if (!options.xDomain) xScale.nice(5);
  if (!options.yDomain) yScale.nice(5);

  const yTickLabelWidth = Math.max(
    0,
    ...axisTicks(yScale as TickScale, { tickCount: 5, fontSize }).map((t) =>
      estimateTextWidth(t.text, fontSize),
    ),
  );
  const left = 9 + yTickLabelWidth + (options.yLabel ? fontSize * 1.8 : 0) + 8;
  const top = options.title ? fontSize * 3 : fontSize;
  const bottom = 9 + fontSize * 1.2 + (options.xLabel ? fontSize * 1.6 : 0) + 8;
  const area: PlotArea = { left, top, width: width - left - 20, height: height - top - bottom };
  if (area.width <= 20 || area.height <= 20)
    throw new ValueError(`${WHERE}: width ${width} and height ${height} leave no room for the plot`);
  xScale.range([area.left, area.left + area.width]);
  yScale.range([area.top + area.height, area.top]);

  const lines = segments.map((s) =>
    element('line', {
      x1: xScale(s.x1),
      y1: yScale(s.y1),
      x2: xScale(s.x2),
      y2: yScale(s.y2),
      stroke: s.color ?? '#999',
      'stroke-width': 1.5,
      'stroke-dasharray': s.dashed ? '5 3' : undefined,
    }),
  );
  const pixels: [number, number][] = [];
  const groups = points.map((s, i) => {
    const color = s.color ?? seriesColor(i);
    const markers: string[] = [];
    for (let k = 0; k < s.x.length; k++) {
      if (!Number.isFinite(s.x[k]!) || !Number.isFinite(s.y[k]!)) continue;
      const at: [number, number] = [xScale(s.x[k]!), yScale(s.y[k]!)];
      pixels.push(at);
      markers.push(marker(s.marker ?? 'circle', at[0], at[1], MARKER_RADIUS, color));
    }
    return element(
      'g',
      { class: 'points', 'data-label': s.label, 'data-points': s.x.length },
      { children: markers },
    );
  });
  const entries: LegendEntry[] = points.flatMap((s, i) =>
    s.label
      ? [{ label: s.label, color: s.color ?? seriesColor(i), dashed: false, marker: s.marker ?? 'circle' }]
      : [],
  );
  const legend =
    entries.length > 0
      ? renderLegend(entries, legendPosition(area, legendSize(entries, fontSize), pixels), fontSize)
      : '';
  const children = [
    options.title ? element('title', {}, { text: options.title }) : '',
    element('rect', { class: 'background', width, height, fill: 'white' }),
    ...Object.values(
      axes(xScale as TickScale, yScale as TickScale, area, options, fontSize, yTickLabelWidth),
    ),
    element('g', { class: 'segments' }, { children: lines }),
    ...groups,
    legend,
    titleText(options.title, width, fontSize),
  ];
  return svgDocument(
    { width, height, title: options.title, fontSize, fontFamily: options.fontFamily },
    children,
  );
}

function axes(
  xScale: TickScale,
  yScale: TickScale,
  area: PlotArea,
  options: ScatterChartOptions,
  fontSize: number,
  yTickLabelWidth: number,
): { xGrid: string; yGrid: string; xAxis: string; yAxis: string } {
  const x = bottomAxis(xScale, area, { tickCount: 5, label: options.xLabel, fontSize });
  const y = leftAxis(yScale, area, { tickCount: 5, label: options.yLabel, fontSize }, yTickLabelWidth);
  return { xGrid: x.grid, yGrid: y.grid, xAxis: x.axis, yAxis: y.axis };
}

/** The data's extent along `axis`, widened by 10% each side so no marker sits on the frame. */
function paddedExtent(
  series: readonly { x: ArrayLike<number>; y: ArrayLike<number> }[],
  axis: 'x' | 'y',
): [number, number] {
  const extent = extentOf(series, axis);
  if (extent === null) return [0, 1];
  const [low, high] = extent;
  const pad = low < high ? (high - low) * 0.1 : 1;
  return [low - pad, high + pad];
}
