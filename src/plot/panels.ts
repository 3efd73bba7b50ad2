/**
 * `sideBySide`: several chart SVGs in one row, as one standalone SVG (each chart nested as an
 * `<svg>` element at its offset), e.g. "before" and "after" panels that belong together.
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import { element, px, svgDocument, titleText } from './svg.js';

function sizeOf(svg: string): { width: number; height: number } {
  const open = /^\s*<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const width = Number(/\swidth="([\d.]+)"/.exec(open)?.[1]);
  const height = Number(/\sheight="([\d.]+)"/.exec(open)?.[1]);
  if (!(width > 0) || !(height > 0))
    throw new ValueError('sideBySide: each chart needs numeric width and height');
  return { width, height };
}

/** `charts` left to right in one SVG, with an optional `title` above them all. */
export function sideBySide(
  charts: readonly string[],
  options: { title?: string; fontSize?: number } = {},
): string {
  if (charts.length === 0) throw new ValueError('sideBySide: give at least one chart');
  const fontSize = options.fontSize ?? 12;
  const top = options.title ? fontSize * 2.6 : 0;
  let x = 0;
  const nested = charts.map((chart) => {
    const size = sizeOf(chart);
    const placed = chart.trim().replace(/^<svg\b/, `<svg x="${px(x)}" y="${px(top)}"`);
    x += size.width;
    return placed;
  });
  const width = x;
  const height = top + Math.max(...charts.map((c) => sizeOf(c).height));
  const title = titleText(options.title, width, fontSize, { baseline: 1.7, scale: 1.35 });
  return svgDocument({ width, height, title: options.title, fontSize }, [
    element('rect', { width, height, fill: 'white' }),
    title,
    ...nested,
  ]);
}
