/**
 * examples/tutorial.ts, the TypeScript twin of the seed tutorial: every code cell has a twin, the
 * cells run without error, and their outputs match ../shared/conformance/tutorial.json (float32
 * tolerance from the conformance README: rtol 1e-4, atol 1e5 · the case's atol).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { CellOutput, RecordedArray } from '../../src/cli/_notebook.js';
import { type NotebookRun, runNotebook, TUTORIAL_SOURCE } from '../../src/cli/_tutorial-runner.js';

const shared = process.env.GLOSS_SHARED ?? '../shared';
const seedPath = join(shared, 'seed', '000_225f1ba68c66f00b.txt');
const conformancePath = join(shared, 'conformance', 'tutorial.json');

interface TensorRecord {
  shape: number[];
  data: (number | string)[];
}
interface TutorialCase {
  id: string;
  cell: number;
  args: (TensorRecord & { name: string })[];
  expected: { loss: TensorRecord; grads: Record<string, TensorRecord> };
  tol: { rtol: number; atol: number };
  expression_check?: { cell: number; value: TensorRecord };
  printed?: Record<string, TensorRecord>;
}

const cases: TutorialCase[] = existsSync(conformancePath)
  ? JSON.parse(readFileSync(conformancePath, 'utf8')).cases
  : [];
const caseOf = (cell: number) => cases.find((c) => c.cell === cell)!;

let run: NotebookRun;
before(async () => {
  run = await runNotebook();
});

const outputsOf = (cell: number): CellOutput[] => run.cells.find((c) => c.cell === cell)?.outputs ?? [];

/** The float32 tolerance of the conformance README. */
function assertClose(
  actual: readonly number[],
  expected: TensorRecord,
  tol: { atol: number },
  what: string,
): void {
  const values = expected.data.map(Number);
  assert.equal(actual.length, values.length, `${what}: ${actual.length} values, expected ${values.length}`);
  values.forEach((e, i) => {
    const limit = 1e5 * tol.atol + 1e-4 * Math.abs(e);
    assert.ok(Math.abs(actual[i]! - e) <= limit, `${what}[${i}]: ${actual[i]} vs ${e}`);
  });
}

function displayedArray(cell: number): RecordedArray {
  const output = outputsOf(cell).find((o) => o.kind === 'value' || o.kind === 'stream');
  assert.ok(output, `cell ${cell} shows a value`);
  const array =
    output.kind === 'value' ? output.array : output.kind === 'stream' ? output.arrays[0] : undefined;
  assert.ok(array, `cell ${cell} shows an NDArray`);
  return array;
}

test('the shared tutorial files are present', () => {
  assert.ok(existsSync(seedPath), seedPath);
  assert.ok(cases.length >= 12, conformancePath);
});

test('every code block of the seed has a twin cell, in order (the non-executed KL block too)', () => {
  const seed = readFileSync(seedPath, 'utf8');
  const seedBlocks = [...seed.matchAll(/^```(\{\.python \.input\}|python)$/gm)].length;
  assert.equal(seedBlocks, 19);
  const twinCells = run.blocks.flatMap((b) => (b.kind === 'code' ? [b.cell] : []));
  assert.deepEqual(
    twinCells,
    Array.from({ length: seedBlocks }, (_, i) => i + 1),
  );
  assert.ok(readFileSync(TUTORIAL_SOURCE, 'utf8').includes('new gloss.KLDivLoss({ fromLogits: false })'));
});

test('every cell ran, in order, without an error', () => {
  assert.deepEqual(run.missing, []);
  assert.deepEqual(
    run.cells.map((c) => c.cell),
    Array.from({ length: 19 }, (_, i) => i + 1),
  );
  const errors = run.cells.flatMap((c) =>
    c.outputs
      .filter((o) => o.kind === 'error')
      .map((o) => `cell ${c.cell}: ${o.kind === 'error' ? o.text : ''}`),
  );
  assert.deepEqual(errors, []);
});

test('the markdown of the seed is kept: headings in order', () => {
  const headings = run.blocks.flatMap((b) =>
    b.kind === 'markdown' ? [...b.text.matchAll(/^#+ (.*)$/gm)].map((m) => m[1]) : [],
  );
  const seedHeadings = [...readFileSync(seedPath, 'utf8').matchAll(/^#+ (.*)$/gm)].map((m) => m[1]);
  assert.deepEqual(headings, seedHeadings);
});

test('cells 3, 4 and 19 print like the notebook and match tutorial.json', () => {
  const basic = caseOf(3);
  const out3 = outputsOf(3)[0]!;
  assert.equal(out3.kind === 'value' && out3.text, '\n[0.5 0.5]\n<NDArray 2 @cpu(0)>');
  assertClose(displayedArray(3).data, basic.expected.loss, basic.tol, 'cell 3');
  assertClose(displayedArray(4).data, basic.expression_check!.value, basic.tol, 'cell 4');
  const weighted = caseOf(19);
  const out19 = outputsOf(19)[0]!;
  assert.equal(out19.kind === 'value' && out19.text, '\n[0.5 1. ]\n<NDArray 2 @cpu(0)>');
  assertClose(displayedArray(19).data, weighted.expected.loss, weighted.tol, 'cell 19');
});

test('cell 13 (SoftmaxCrossEntropyLoss) prints [9.000123  6.0024757] and matches tutorial.json', () => {
  const out = outputsOf(13)[0]!;
  assert.equal(out.kind === 'value' && out.text, '\n[9.000123  6.0024757]\n<NDArray 2 @cpu(0)>');
  const c = caseOf(13);
  assertClose(displayedArray(13).data, c.expected.loss, c.tol, 'cell 13');
});

test('the plot cells draw the loss and its gradient of tutorial.json against x = arange(-5, 5, 0.1)', () => {
  for (const cell of [9, 10, 11, 12, 14, 15]) {
    const c = caseOf(cell);
    const figures = outputsOf(cell).filter((o) => o.kind === 'figure');
    assert.equal(figures.length, 1, `cell ${cell} draws one chart`);
    const [loss, gradient] = figures[0]!.kind === 'figure' ? figures[0]!.series : [];
    // The legend names the label each chart was drawn at: 0 for regression, 1 for classification.
    assert.equal(loss?.label, `loss at label ${cell <= 11 ? 0 : 1}`);
    assert.equal(gradient?.label, 'gradient');
    assertClose(loss!.x, c.args[0]!, c.tol, `cell ${cell} x`);
    assertClose(loss!.y, c.expected.loss, c.tol, `cell ${cell} loss`);
    assertClose(gradient!.y, c.expected.grads.pred!, c.tol, `cell ${cell} gradient`);
    assert.match(
      figures[0]!.kind === 'figure' ? figures[0]!.svg : '',
      /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/,
    );
  }
});

test('cell 16 (KLDivLoss, fromLogits false) prints the softmax and the divergence of tutorial.json', () => {
  const c = caseOf(16);
  const streams = outputsOf(16).filter((o) => o.kind === 'stream');
  assert.equal(streams.length, 2);
  const [softmax, divergence] = streams.map((s) => (s.kind === 'stream' ? s : null)!);
  assert.match(softmax!.text, /^output\.softmax\(\): \[\[0\.\d+, 0\.\d+, 0\.\d+, 0\.\d+\]\]$/);
  assertClose((softmax!.lists[0] as number[][])[0]!, c.printed!['output.softmax()']!, c.tol, 'softmax');
  assert.match(divergence!.text, /^loss \(kl divergence\): \[0\.0254\d+\]$/);
  assertClose(divergence!.lists[0] as number[], c.expected.loss, c.tol, 'kl divergence');
});

test('cells 17 and 18 (CosineEmbeddingLoss) print a loss of 0 as in tutorial.json', () => {
  for (const cell of [17, 18]) {
    const c = caseOf(cell);
    assertClose(displayedArray(cell).data, c.expected.loss, c.tol, `cell ${cell}`);
  }
});

test('cells 5 and 6 (random Dense layer) are seeded, shaped and within the bounds of the spec', async () => {
  const l = displayedArray(5);
  assert.deepEqual(l.shape, [2]);
  // pred = X·Wᵀ with X in [0, 1), W in ±0.07 ⇒ |pred| < 0.28 ⇒ ½(2 − pred)² in (1.4792, 2.5992).
  for (const v of l.data) assert.ok(v > 1.4792 && v < 2.5992, `l = ${v}`);
  const grad = displayedArray(6);
  assert.deepEqual(grad.shape, [1, 4]);
  for (const v of grad.data) assert.ok(v <= 0 && v > -4.56, `dW = ${v}`);
  const again = await runNotebook();
  const text = (r: NotebookRun, cell: number) =>
    JSON.stringify(r.cells.find((c) => c.cell === cell)?.outputs);
  assert.equal(text(again, 5), text(run, 5));
  assert.equal(text(again, 6), text(run, 6));
});
