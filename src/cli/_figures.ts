/**
 * Writing charts to disk: the SVG text as is, and a PNG through `gloss/node`'s resvg helper when
 * the optional renderer is installed.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pngAvailable, svgToPng } from '../node/png.js';

/** What {@link writeFigure} wrote, and why a PNG is missing when it is. */
export interface WrittenFigure {
  readonly files: string[];
  readonly note: string | null;
}

/** The note shown when PNG files are skipped. */
export const PNG_SKIPPED = 'PNG skipped: the optional dependency @resvg/resvg-js is not installed';

/** Writes `text` to `path`, creating its folder. */
export function writeText(path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * Writes `svg` to each requested path: `svgPath` gets the SVG, `pngPath` the PNG rendering
 * (skipped, with a note, when resvg is not installed).
 */
export async function writeFigure(
  svg: string,
  paths: { svgPath?: string; pngPath?: string },
): Promise<WrittenFigure> {
  const files: string[] = [];
  let note: string | null = null;
  if (paths.svgPath) {
    writeText(paths.svgPath, svg);
    files.push(paths.svgPath);
  }
  if (paths.pngPath) {
    if (await pngAvailable()) {
      writeText(paths.pngPath, await svgToPng(svg, { scale: 2 }));
      files.push(paths.pngPath);
    } else {
      note = PNG_SKIPPED;
    }
  }
  return { files, note };
}
