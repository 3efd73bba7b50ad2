/**
 * Charts whose curves run off to ±∞ keep a readable y axis, say so on the chart, and (for loss
 * charts) name the label they were drawn at.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runInProcess, temporaryFolder } from '../cli/_run-cli.js';
import { lineChart } from '../../src/plot/index.js';
import { pullIntoRange, readableYRange, shortNumber } from '../../src/plot/readable-range.js';
import { byClass, parseXml, pathRuns, textOf } from './_svg.js';

const tickValues = (svg: ReturnType<typeof parseXml>) =>
  byClass(byClass(svg, 'y-axis')[0]!, 'tick').map((t) => Number(t.attributes['data-value']));

test('the issue reproducer: SigmoidBCELoss from sigmoid on [0, 1] gets a readable axis and a note', async () => {
  const out = join(temporaryFolder(), 'bce.svg');
  const result = await runInProcess([
    'plot',
    'SigmoidBCELoss',
    '--from-sigmoid',
    'true',
    '--from',
    '0',
    '--to',
    '1',
    '--out',
    out,
  ]);
  assert.equal(result.code, 0, result.output);
  const svg = parseXml(readFileSync(out, 'utf8'));
  const ticks = tickValues(svg);
  // Before: ticks down to −1e12 and every curve flat on one pixel row.
  assert.ok(Math.min(...ticks) >= -100, `ticks ${ticks}`);
  assert.ok(Math.max(...ticks) <= 100, `ticks ${ticks}`);
  assert.equal(svg.attributes['data-y-clipped'], 'true');
  const note = textOf(byClass(svg, 'clip-note')[0]!);
  assert.match(note, /^y axis clipped: .*gradient d loss \/ d pred reaches −1e\+12 at pred = 0/);
  // The title names the label the curve was drawn at.
  assert.equal(
    textOf(byClass(svg, 'title')[0]!),
    'SigmoidBinaryCrossEntropyLoss(fromSigmoid=true), label = 1',
  );
  // The gradient is still drawn as one unbroken line that leaves through the bottom edge.
  const gradient = byClass(svg, 'series').find((s) => s.attributes['data-label']?.startsWith('gradient'))!;
  assert.equal(pathRuns(byClass(gradient, 'line')[0]!.attributes.d!).length, 1);
});

test('ordinary curves are not clamped and get no note', () => {
  const xs = Array.from({ length: 101 }, (_, i) => -5 + i * 0.1);
  const svg = parseXml(lineChart([{ label: 'loss', x: xs, y: xs.map((v) => 0.5 * v * v) }]));
  assert.equal(byClass(svg, 'clip-note').length, 0);
  assert.equal(svg.attributes['data-y-clipped'], undefined);
  assert.equal(Math.max(...tickValues(svg)), 14);
  assert.deepEqual(readableYRange([{ x: xs, y: xs }]), { domain: null, notes: [] });
});

test('infinite values leave gaps and are named in the note', () => {
  const x = [0, 1, 2, 3];
  const svg = parseXml(lineChart([{ label: 'loss', x, y: [Infinity, 2, 1, 0.5] }], { xLabel: 'p' }));
  assert.equal(textOf(byClass(svg, 'clip-note')[0]!), 'y axis clipped: loss reaches +∞ at p = 0');
  assert.deepEqual(
    pathRuns(byClass(svg, 'line')[0]!.attributes.d!).map((r) => r.length),
    [3],
  );
});

test('clampY false and a fixed yDomain keep the full range', () => {
  const x = Array.from({ length: 50 }, (_, i) => i);
  const y = x.map((v) => (v === 0 ? -1e12 : v));
  const full = parseXml(lineChart([{ x, y }], { clampY: false }));
  assert.ok(Math.min(...tickValues(full)) <= -1e12);
  const fixed = parseXml(lineChart([{ x, y }], { yDomain: [-1e12, 50] }));
  assert.equal(byClass(fixed, 'clip-note').length, 0);
});

test('pullIntoRange and shortNumber', () => {
  assert.equal(pullIntoRange(-1e12, [-10, 10]), -12);
  assert.equal(pullIntoRange(5, [-10, 10]), 5);
  assert.ok(Number.isNaN(pullIntoRange(Number.NaN, [0, 1])));
  assert.equal(pullIntoRange(Infinity, [0, 1]), Infinity);
  assert.equal(shortNumber(-1e12), '−1e+12');
  assert.equal(shortNumber(27.631), '27.6');
  assert.equal(shortNumber(-Infinity), '−∞');
});
