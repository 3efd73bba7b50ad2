/**
 * The chart kinds behind the tutorial's drawn figures and the demo's decision boundary:
 * scatterChart, heatmap, decisionMap and sideBySide produce well-formed SVG with what they
 * promise, and reject input they cannot draw.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ctcRun, tripletFigureSvg } from '../../src/cli/_tutorial-figures.js';
import { ValueError } from '../../src/ndarray/errors.js';
import { decisionMap, heatmap, scatterChart, sideBySide } from '../../src/plot/index.js';
import { allElements, byClass, parseXml, textOf } from './_svg.js';

test('scatterChart draws one marker per point, segments under them, and a marker legend', () => {
  const svg = parseXml(
    scatterChart(
      [
        { label: 'anchor', x: [0, 1], y: [0, 1], marker: 'circle' },
        { label: 'negative', x: [2], y: [2], marker: 'triangle' },
      ],
      { title: 'embeddings', segments: [{ x1: 0, y1: 0, x2: 2, y2: 2, dashed: true }] },
    ),
  );
  const groups = byClass(svg, 'points');
  assert.deepEqual(
    groups.map((g) => g.children.length),
    [2, 1],
  );
  assert.equal(groups[1]!.children[0]!.name, 'polygon');
  assert.equal(byClass(svg, 'segments')[0]!.children.length, 1);
  assert.deepEqual(
    byClass(svg, 'legend-entry').map((e) => e.attributes['data-label']),
    ['anchor', 'negative'],
  );
  assert.equal(textOf(byClass(svg, 'title')[0]!), 'embeddings');
});

test('heatmap colours every cell, labels rows and columns, and marks the path', () => {
  const svg = parseXml(
    heatmap([0, 1, 0.5, 0.25, 0.75, 1], {
      rowLabels: ['a', 'b'],
      columnLabels: ['t1', 't2', 't3'],
      path: [
        [1, 0],
        [0, 1],
      ],
      pathLabel: 'best',
    }),
  );
  assert.equal(byClass(svg, 'cells')[0]!.children.length, 6);
  assert.equal(byClass(svg, 'path')[0]!.attributes['data-cells'], '2');
  assert.ok(allElements(svg).some((e) => e.name === 'text' && e.text === 'best'));
  assert.throws(() => heatmap([1, 2, 3], { rowLabels: ['a'], columnLabels: ['x', 'y'] }), ValueError);
});

test('decisionMap draws the boundary where the predicted class changes', () => {
  // Class 1 on the right half of a 4 × 2 grid: one vertical boundary through both rows.
  const scores = [0.1, 0.2, 0.8, 0.9, 0.1, 0.3, 0.7, 0.9];
  const svg = parseXml(
    decisionMap(
      { xMin: 0, xMax: 4, yMin: 0, yMax: 2, columns: 4, rows: 2, scores },
      { points: { x: [0.5, 3.5], y: [1, 1], classes: [0, 1] } },
    ),
  );
  const boundary = byClass(svg, 'boundary')[0]!;
  assert.equal(boundary.attributes['data-segments'], '2');
  assert.equal(byClass(svg, 'points')[0]!.attributes['data-points'], '2');
  assert.throws(
    () => decisionMap({ xMin: 0, xMax: 1, yMin: 0, yMax: 1, columns: 2, rows: 2, scores: [1] }),
    ValueError,
  );
});

test('sideBySide nests the charts left to right in one SVG', () => {
  const chart = scatterChart([{ x: [0], y: [0] }], { width: 300, height: 200 });
  const svg = parseXml(sideBySide([chart, chart], { title: 'both' }));
  assert.equal(svg.attributes.width, '600');
  const nested = svg.children.filter((c) => c.name === 'svg');
  assert.deepEqual(
    nested.map((n) => n.attributes.x),
    ['0', '300'],
  );
});

test("the tutorial's figures: triplets clear the margin, the CTC best path decodes to CAT", () => {
  const triplet = tripletFigureSvg();
  assert.match(triplet, /after 25 steps: mean loss 0\.00/);
  const run = ctcRun();
  assert.equal(run.decoded, 'CAT');
  assert.ok(run.lossAfter < run.lossBefore / 5, `${run.lossBefore} → ${run.lossAfter}`);
  // Each frame's posteriors sum to 1 (classes × frames, column t).
  for (let t = 0; t < 8; t++) {
    let sum = 0;
    for (let c = 0; c < 4; c++) sum += run.posteriors[c * 8 + t]!;
    assert.ok(Math.abs(sum - 1) < 1e-9);
  }
});
