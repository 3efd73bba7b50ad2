/**
 * SVG to PNG in Node, through the optional dependency `@resvg/resvg-js` (a prebuilt native
 * renderer: no browser, no canvas).
 *
 * resvg draws text only with fonts it was given and drops the rest **silently**. So this helper
 * never relies on system font discovery: it loads the font files of one directory (DejaVu, found
 * on Debian and Ubuntu machines) and names `DejaVu Sans` as the default and sans-serif family —
 * the family gloss charts ask for — and refuses to render text when no font file is there.
 * @module
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Where the DejaVu fonts live on Debian/Ubuntu (package fonts-dejavu-core). */
export const DEFAULT_FONT_DIR = '/usr/share/fonts/truetype/dejavu';

/** The font family text is drawn in when the SVG names none that is loaded. */
export const DEFAULT_PNG_FONT_FAMILY = 'DejaVu Sans';

/** Options of {@link svgToPng}. */
export interface PngOptions {
  /** Directories whose font files are loaded (default: {@link DEFAULT_FONT_DIR}). */
  readonly fontDirs?: readonly string[];
  /** Extra font files to load. */
  readonly fontFiles?: readonly string[];
  /** Default and sans-serif family (default {@link DEFAULT_PNG_FONT_FAMILY}). */
  readonly fontFamily?: string;
  /** Zoom factor: 2 gives a PNG twice as wide and high as the SVG (default 1). */
  readonly scale?: number;
  /** Background colour painted under the SVG (default: transparent, the SVG's own background shows). */
  readonly background?: string;
}

/** Thrown when PNG output is asked for but `@resvg/resvg-js` is not installed. */
export class PngUnavailableError extends Error {
  override name = 'PngUnavailableError';
}

/**
 * The part of `@resvg/resvg-js` used here, declared locally so gloss type-checks and builds
 * where the optional dependency is not installed.
 */
interface ResvgModule {
  Resvg: new (
    svg: string,
    options: {
      font: {
        loadSystemFonts: boolean;
        fontFiles: string[];
        defaultFontFamily: string;
        sansSerifFamily: string;
      };
      fitTo: { mode: 'zoom'; value: number };
      background?: string;
      logLevel: 'off';
    },
  ) => { render(): { asPng(): Uint8Array } };
}

/** A variable, so TypeScript does not resolve the (optional) package at compile time. */
const RESVG_PACKAGE = '@resvg/resvg-js';
let resvgModule: Promise<ResvgModule | null> | null = null;

/** Loads resvg once; null when the optional dependency is missing. */
function loadResvg(): Promise<ResvgModule | null> {
  resvgModule ??= import(RESVG_PACKAGE).then(
    (module: ResvgModule) => module,
    () => null,
  );
  return resvgModule;
}

/** True when PNG rendering is available (the optional dependency `@resvg/resvg-js` is installed). */
export async function pngAvailable(): Promise<boolean> {
  return (await loadResvg()) !== null;
}

const FONT_FILE = /\.(ttf|otf|ttc)$/i;

/** The font files directly inside `dir` (empty when it does not exist). */
function fontFilesIn(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((name) => FONT_FILE.test(name))
    .map((name) => join(dir, name));
}

/**
 * Renders `svg` to PNG bytes with an explicit font (see the module note).
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { lineChart } from 'gloss-ml/plot';
 * import { svgToPng } from 'gloss-ml/node';
 * writeFileSync('chart.png', await svgToPng(lineChart([{ x: [0, 1], y: [1, 0] }])));
 * ```
 * @throws PngUnavailableError when `@resvg/resvg-js` is not installed.
 * @throws Error when the SVG has text but no font file was found (rather than a PNG without text).
 */
export async function svgToPng(svg: string, options: PngOptions = {}): Promise<Uint8Array> {
  const resvg = await loadResvg();
  if (resvg === null) {
    throw new PngUnavailableError(
      'svgToPng: PNG output needs the optional dependency @resvg/resvg-js; install it with npm i @resvg/resvg-js',
    );
  }
  const fontDirs = options.fontDirs ?? [DEFAULT_FONT_DIR];
  const fontFiles = [...(options.fontFiles ?? [])];
  const available = [...fontDirs.flatMap(fontFilesIn), ...fontFiles.filter((file) => existsSync(file))];
  if (available.length === 0 && /<text[\s>]/.test(svg)) {
    throw new Error(
      `svgToPng: the SVG has text but no font file was found in ${fontDirs.join(', ') || '(no fontDirs)'}` +
        `${fontFiles.length ? ` or ${fontFiles.join(', ')}` : ''}; install the DejaVu fonts (Debian: fonts-dejavu-core) or pass fontDirs/fontFiles`,
    );
  }
  const scale = options.scale ?? 1;
  if (!Number.isFinite(scale) || scale <= 0)
    throw new Error(`svgToPng: option scale must be a positive number, got ${scale}`);
  const family = options.fontFamily ?? DEFAULT_PNG_FONT_FAMILY;
  const renderer = new resvg.Resvg(svg, {
    font: {
      loadSystemFonts: false,
      fontFiles: available,
      defaultFontFamily: family,
      sansSerifFamily: family,
    },
    fitTo: { mode: 'zoom', value: scale },
    // Only when given: resvg's option is optional, not undefined-able.
    ...(options.background === undefined ? {} : { background: options.background }),
    logLevel: 'off',
  });
  return new Uint8Array(renderer.render().asPng());
}
