import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValueError } from '../../src/ndarray/errors.js';
import { lineChart } from '../../src/plot/index.js';
import { allElements, byClass, parseXml, pathRuns, textOf } from './_svg.js';

const xs = Array.from({ length: 100 }, (_, i) => -5 + i * 0.1);
const lossChart = () =>
  lineChart(
    [
      { label: 'loss', x: xs, y: xs.map((v) => 0.5 * v * v) },
      { label: 'gradient', x: xs, y: xs, dashed: true },
    ],
    { title: 'L2Loss', xLabel: 'x', yLabel: 'loss' },
  );

test('lineChart returns one well-formed SVG document with its size', () => {
  const svg = parseXml(lossChart());
  assert.equal(svg.name, 'svg');
  assert.equal(svg.attributes.xmlns, 'http://www.w3.org/2000/svg');
  assert.equal(svg.attributes.width, '640');
  assert.equal(svg.attributes.height, '400');
  assert.equal(svg.attributes.viewBox, '0 0 640 400');
});

test('each series is one path, drawn in its order with its own colour and dash', () => {
  const svg = parseXml(lossChart());
  const series = byClass(svg, 'series');
  assert.deepEqual(
    series.map((s) => s.attributes['data-label']),
    ['loss', 'gradient'],
  );
  const [loss, gradient] = series.map((s) => byClass(s, 'line')[0]!);
  assert.notEqual(loss!.attributes.stroke, gradient!.attributes.stroke);
  assert.equal(loss!.attributes['stroke-dasharray'], undefined);
  assert.ok(gradient!.attributes['stroke-dasharray']);
  assert.equal(pathRuns(loss!.attributes.d!)[0]!.length, 100);
});

test('points sit where the scales put them: equal x steps, y distances proportional to the data', () => {
  const svg = parseXml(
    lineChart([{ x: [0, 1, 2], y: [0, 1, 4] }], {
      xDomain: [0, 2],
      yDomain: [0, 4],
      width: 400,
      height: 300,
    }),
  );
  const [points] = pathRuns(byClass(svg, 'line')[0]!.attributes.d!);
  const [[x0, y0], [x1, y1], [x2, y2]] = points as [[number, number], [number, number], [number, number]];
  assert.ok(Math.abs(x1! - x0! - (x2! - x1!)) < 0.02, 'x steps are equal');
  assert.ok(x2! > x1! && y1! < y0!, 'x grows to the right, y grows upwards');
  assert.ok(Math.abs(y1! - y2! - 3 * (y0! - y1!)) < 0.05, 'the second rise is three times the first');
  // The plot area spans the domains: the first point is on the left axis, the last on the top edge.
  const xAxisLine = byClass(byClass(svg, 'x-axis')[0]!, 'domain')[0]!;
  assert.equal(Number(xAxisLine.attributes.x1), x0);
  assert.equal(Number(xAxisLine.attributes.x2), x2);
});

test('axes have nice ticks covering the data, with labels (minus signs included)', () => {
  const svg = parseXml(lossChart());
  const xTicks = byClass(byClass(svg, 'x-axis')[0]!, 'tick').map((t) => Number(t.attributes['data-value']));
  assert.deepEqual(xTicks, [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5]);
  const labels = byClass(byClass(svg, 'x-axis')[0]!, 'tick').map(textOf);
  assert.equal(labels[0], '−5');
  assert.equal(labels[10], '5');
  const yTicks = byClass(byClass(svg, 'y-axis')[0]!, 'tick').map((t) => Number(t.attributes['data-value']));
  assert.ok(yTicks[0]! <= -5 && yTicks[yTicks.length - 1]! >= 12.5, `y ticks ${yTicks} cover [-5, 12.5]`);
  for (let i = 1; i < yTicks.length; i++) {
    assert.ok(Math.abs(yTicks[i]! - yTicks[i - 1]! - (yTicks[1]! - yTicks[0]!)) < 1e-9, 'evenly spaced');
  }
});

test('the title, axis labels and legend carry their text, escaped', () => {
  const svg = parseXml(
    lineChart([{ label: 'a<b & "c"', x: [0, 1], y: [1, 2] }], {
      title: 'loss <&> title',
      xLabel: 'pred',
      yLabel: 'ℓ',
    }),
  );
  assert.equal(textOf(byClass(svg, 'title')[0]!), 'loss <&> title');
  assert.equal(textOf(byClass(svg, 'x-label')[0]!), 'pred');
  assert.equal(textOf(byClass(svg, 'y-label')[0]!), 'ℓ');
  const entries = byClass(svg, 'legend-entry');
  assert.equal(entries.length, 1);
  assert.equal(textOf(entries[0]!), 'a<b & "c"');
  assert.equal(allElements(svg).find((e) => e.name === 'title')?.text, 'loss <&> title');
});

test('series without labels get no legend, and legend: false hides it', () => {
  assert.equal(byClass(parseXml(lineChart([{ x: [0, 1], y: [0, 1] }])), 'legend').length, 0);
  assert.equal(
    byClass(parseXml(lineChart([{ label: 'a', x: [0, 1], y: [0, 1] }], { legend: false })), 'legend').length,
    0,
  );
});

test('the legend goes to the corner with the fewest data points', () => {
  // A line rising from bottom left to top right leaves the top-left corner empty.
  const n = 50;
  const x = Array.from({ length: n }, (_, i) => i);
  const svg = parseXml(lineChart([{ label: 'rising', x, y: x }], { width: 400, height: 300 }));
  const [, lx, ly] = /translate\(([\d.]+),([\d.]+)\)/.exec(byClass(svg, 'legend')[0]!.attributes.transform!)!;
  assert.ok(Number(lx) < 200 && Number(ly) < 150, `legend at (${lx}, ${ly}) is top left`);
});

test('NaN and infinite values leave gaps in the line', () => {
  const svg = parseXml(lineChart([{ x: [0, 1, 2, 3, 4, 5], y: [0, 1, Number.NaN, 3, Infinity, 5] }]));
  const runs = pathRuns(byClass(svg, 'line')[0]!.attributes.d!);
  assert.deepEqual(
    runs.map((r) => r.length),
    [2, 1, 1],
  );
});

test('a log y axis skips values <= 0 and ticks powers of ten', () => {
  const svg = parseXml(lineChart([{ x: [1, 2, 3, 4], y: [0, 0.01, 1, 100] }], { yScale: 'log' }));
  assert.deepEqual(
    pathRuns(byClass(svg, 'line')[0]!.attributes.d!).map((r) => r.length),
    [3],
  );
  const labelled = byClass(byClass(svg, 'y-axis')[0]!, 'tick')
    .map(textOf)
    .filter((t) => t !== '');
  for (const label of ['0.01', '0.1', '1', '10', '100'])
    assert.ok(labelled.includes(label), `${label} in ${labelled}`);
});

test('a constant series still gets a usable axis range', () => {
  const svg = parseXml(lineChart([{ x: [0, 1, 2], y: [3, 3, 3] }]));
  const yTicks = byClass(byClass(svg, 'y-axis')[0]!, 'tick').map((t) => Number(t.attributes['data-value']));
  assert.ok(yTicks[0]! < 3 && yTicks[yTicks.length - 1]! > 3);
});

test('the same input gives the same SVG; different charts get different clip-path ids', () => {
  assert.equal(lossChart(), lossChart());
  const id = (svg: string) => /clipPath id="([^"]+)"/.exec(svg)![1];
  assert.notEqual(id(lossChart()), id(lineChart([{ x: [0, 1], y: [0, 1] }])));
  assert.match(lossChart(), /clip-path="url\(#gloss-clip-[a-z0-9]+\)"/);
});

test('text names the DejaVu Sans font first, for the PNG renderer', () => {
  assert.match(parseXml(lossChart()).attributes['font-family']!, /^'DejaVu Sans'/);
});

test('invalid input is a ValueError that says what is wrong', () => {
  assert.throws(
    () => lineChart([]),
    (e: unknown) => e instanceof ValueError && /lineChart: series must be a non-empty/.test(e.message),
  );
  assert.throws(
    () => lineChart([{ label: 'loss', x: [1, 2, 3], y: [1, 2] }]),
    (e: unknown) =>
      e instanceof ValueError && /series 0 \("loss"\) has 3 x values but 2 y values/.test(e.message),
  );
  assert.throws(
    () => lineChart([{ x: [1], y: [1] }], { width: -1 }),
    /option width must be a positive number/,
  );
  assert.throws(
    () => lineChart([{ x: [1], y: [1] }], { yScale: 'sqrt' as 'log' }),
    /yScale must be 'linear' or 'log'/,
  );
  assert.throws(
    () => lineChart([{ x: [1], y: [1] }], { yDomain: [0, 1], yScale: 'log' }),
    /low > 0 on a log scale/,
  );
  assert.throws(() => lineChart([{ x: [1], y: [1] }], { xDomain: [2, 1] }), /xDomain must be \[low, high\]/);
  assert.throws(() => lineChart([{ x: [1], y: [1] }], { width: 100, height: 50 }), /leave no room/);
});
