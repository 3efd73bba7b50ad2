/**
 * src/node/png.ts: the PNG really contains text (resvg drops text silently when it has no font),
 * checked on the decoded pixels of the PNG bytes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FONT_DIR, pngAvailable, svgToPng } from '../../src/node/png.js';
import { lineChart } from '../../src/plot/index.js';
import { darkPixels, decodePng } from './_png.js';

const label = (text: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="60"><rect width="240" height="60" fill="white"/>` +
  `${text ? `<text x="10" y="42" font-family="'DejaVu Sans', sans-serif" font-size="28" fill="black">${text}</text>` : ''}</svg>`;
const labelBox = { x0: 5, y0: 10, x1: 235, y1: 55 };

test('the PNG renderer (optional dependency @resvg/resvg-js) is installed here', async () => {
  assert.equal(await pngAvailable(), true);
});

test('a label-only SVG renders its text: dark pixels in the label area, none without the text', async () => {
  const withText = decodePng(await svgToPng(label('Loss 0.5')));
  const without = decodePng(await svgToPng(label('')));
  assert.equal(withText.width, 240);
  assert.equal(withText.height, 60);
  assert.ok(darkPixels(withText, labelBox) > 300, `only ${darkPixels(withText, labelBox)} dark pixels`);
  assert.equal(darkPixels(without, labelBox), 0);
});

test('longer text inks more pixels (glyphs are drawn, not a box)', async () => {
  const short = darkPixels(decodePng(await svgToPng(label('L'))), labelBox);
  const long = darkPixels(decodePng(await svgToPng(label('LLLL'))), labelBox);
  assert.ok(short > 20 && long > 3 * short, `L: ${short}, LLLL: ${long}`);
});

test('a chart PNG has its title drawn above the plot', async () => {
  const x = [0, 1, 2, 3];
  const svg = lineChart([{ label: 'loss', x, y: x.map((v) => v * v) }], {
    title: 'TITLE',
    width: 400,
    height: 300,
  });
  const image = decodePng(await svgToPng(svg));
  // The title is centred, its baseline at 1.8 font sizes (21.6 px); nothing else is drawn there.
  assert.ok(darkPixels(image, { x0: 150, y0: 5, x1: 250, y1: 26 }) > 50);
  const untitled = decodePng(
    await svgToPng(lineChart([{ label: 'loss', x, y: x.map((v) => v * v) }], { width: 400, height: 300 })),
  );
  assert.equal(darkPixels(untitled, { x0: 150, y0: 0, x1: 250, y1: 10 }), 0);
});

test('scale 2 doubles both dimensions', async () => {
  const image = decodePng(await svgToPng(label('x'), { scale: 2 }));
  assert.deepEqual([image.width, image.height], [480, 120]);
});

test('text with no font file available is an error, not a PNG without text', async () => {
  await assert.rejects(svgToPng(label('x'), { fontDirs: ['/nonexistent-fonts'] }), /no font file was found/);
  // Without text no font is needed.
  const image = decodePng(await svgToPng(label(''), { fontDirs: ['/nonexistent-fonts'] }));
  assert.equal(image.width, 240);
  assert.ok(DEFAULT_FONT_DIR.includes('dejavu'));
});
