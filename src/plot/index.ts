/**
 * `gloss-ml/plot`: charts as standalone SVG strings, with no DOM and no Node built-ins — the same code
 * draws in Node (write the string to a file, or to PNG with `gloss-ml/node`) and in the browser
 * (`element.innerHTML = svg`).
 *
 * ```ts
 * import { lineChart } from 'gloss-ml/plot';
 * const svg = lineChart([{ label: 'loss', x, y }], { title: 'L2Loss', xLabel: 'pred' });
 * ```
 * @module
 */
export { type LineChartOptions, lineChart } from './line-chart.js';
export { PALETTE } from './palette.js';
export type { DataSeries, Series } from './series.js';
export { DEFAULT_FONT_FAMILY, escapeXml } from './svg.js';
export { type DecisionMapOptions, decisionMap, type ScoreGrid } from './decision-map.js';
export { type HeatmapOptions, heatmap } from './heatmap.js';
export {
  describeLoss,
  LOSS_VIEW_POINTS,
  type LossCurve,
  type LossOptionKind,
  type LossOptionValues,
  type LossView,
  linspace,
  lossesWithoutView,
  lossView,
  lossViewChart,
  lossViews,
  lossViewTitle,
  whyNoLossView,
} from './loss-views.js';
export { sideBySide } from './panels.js';
export { type PointSeries, type ScatterChartOptions, type Segment, scatterChart } from './scatter-chart.js';
export type { MarkerShape } from './svg.js';
