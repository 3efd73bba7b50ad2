/**
 * Small helpers for writing SVG as text: escaping, attribute lists and the default font.
 * @module
 */

/**
 * The font every chart names first. resvg (our PNG renderer) silently drops text whose font it
 * cannot find, so charts name one font that the PNG helper loads explicitly; browsers fall back to
 * their sans-serif when DejaVu Sans is not installed.
 */
export const DEFAULT_FONT_FAMILY = "'DejaVu Sans', sans-serif";

/** Escapes the five XML special characters so any label can go into text or an attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!);
}

const XML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** A coordinate rounded to 2 decimals (a hundredth of a pixel), without trailing zeros. */
export function px(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** Attribute value types accepted by {@link element}; null and undefined attributes are left out. */
export type AttributeValue = string | number | null | undefined;

/**
 * One SVG element as text. Attribute values are escaped; `children` is raw SVG (already built
 * by this function) or, with `text`, a string to escape.
 */
export function element(
  name: string,
  attributes: Readonly<Record<string, AttributeValue>>,
  content: { children?: readonly string[]; text?: string } = {},
): string {
  const attributeText = Object.entries(attributes)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXml(typeof value === 'number' ? px(value) : String(value))}"`)
    .join('');
  if (content.text !== undefined) return `<${name}${attributeText}>${escapeXml(content.text)}</${name}>`;
  if (content.children && content.children.length > 0) {
    return `<${name}${attributeText}>${content.children.join('')}</${name}>`;
  }
  return `<${name}${attributeText}/>`;
}

/**
 * A rough width of `text` in pixels at `fontSize`, for layout (margins, legend boxes). DejaVu
 * Sans averages about 0.6 em per character; being a little generous only widens a margin.
 */
export function estimateTextWidth(text: string, fontSize: number): number {
  return [...text].length * fontSize * 0.62;
}

/**
 * A short, deterministic id suffix (FNV-1a of `text`). Charts inlined into one HTML page share
 * one id namespace, so each chart's clip path gets an id derived from its own content.
 */
export function hashId(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

/** The point markers of scatter charts. */
export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond';

/** A filled marker of `shape` centred on (x, y), `radius` pixels from centre to edge. */
export function marker(shape: MarkerShape, x: number, y: number, radius: number, color: string): string {
  const style = { fill: color, stroke: 'white', 'stroke-width': 1 };
  if (shape === 'circle') return element('circle', { cx: x, cy: y, r: radius, ...style });
  if (shape === 'square')
    return element('rect', { x: x - radius, y: y - radius, width: 2 * radius, height: 2 * radius, ...style });
  const corners =
    shape === 'triangle'
      ? [
          [x, y - radius * 1.2],
          [x + radius * 1.1, y + radius * 0.8],
          [x - radius * 1.1, y + radius * 0.8],
        ]
      : [
          [x, y - radius * 1.3],
          [x + radius, y],
          [x, y + radius * 1.3],
          [x - radius, y],
        ];
  return element('polygon', {
    points: corners.map(([cx, cy]) => `${px(cx!)},${px(cy!)}`).join(' '),
    ...style,
  });
}

/**
 * A chart's bold title centred above it, or '' without one. `baseline` and `scale` are in units
 * of the chart's font size (the single charts use 1.8 and 1.25; panels and maps a little less).
 */
export function titleText(
  title: string | undefined,
  width: number,
  fontSize: number,
  placement: { readonly baseline: number; readonly scale: number } = { baseline: 1.8, scale: 1.25 },
): string {
  if (!title) return '';
  return element(
    'text',
    {
      class: 'title',
      x: width / 2,
      y: fontSize * placement.baseline,
      'text-anchor': 'middle',
      'font-size': fontSize * placement.scale,
      'font-weight': 'bold',
    },
    { text: title },
  );
}

/** What every chart's root `<svg>` carries. */
export interface SvgFrame {
  readonly width: number;
  readonly height: number;
  readonly title?: string | undefined;
  readonly fontSize: number;
  readonly fontFamily?: string | undefined;
  /** Further attributes of the root (e.g. data-* flags the tests read). */
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A whole SVG document: the root element with its size, label and font, around `children`. */
export function svgDocument(frame: SvgFrame, children: readonly string[]): string {
  return `${element(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width: frame.width,
      height: frame.height,
      viewBox: `0 0 ${px(frame.width)} ${px(frame.height)}`,
      role: 'img',
      'aria-label': frame.title,
      ...frame.attributes,
      'font-family': frame.fontFamily ?? DEFAULT_FONT_FAMILY,
      'font-size': frame.fontSize,
    },
    { children: children.filter((c) => c !== '') },
  )}\n`;
}
