import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  beginSession,
  type CellOutput,
  cell,
  display,
  endSession,
  print,
  show,
} from '../../src/cli/_notebook.js';
import { nd } from 'gloss-ml';

/** Runs `body` with a session installed and returns the outputs by cell. */
function capture(body: () => void): Map<number, CellOutput[]> {
  const outputs = new Map<number, CellOutput[]>();
  beginSession({
    beginCell: (index) => outputs.set(index, []),
    output: (index, output) => outputs.get(index)!.push(output),
  });
  try {
    body();
  } finally {
    endSession();
  }
  return outputs;
}

test('display records an NDArray as MXNet prints it, with its values', () => {
  const outputs = capture(() => cell(3, () => display(nd.array([0.5, 1]))));
  assert.deepEqual(outputs.get(3), [
    {
      kind: 'value',
      text: '\n[0.5 1. ]\n<NDArray 2 @cpu(0)>',
      array: { shape: [2], dtype: 'float32', data: [0.5, 1] },
    },
  ]);
});

test('print joins values like Python: strings as they are, lists in Python syntax', () => {
  const outputs = capture(() => cell(16, () => print('softmax:', [[0.25, 0.5]], 3, Number.NaN)));
  const [output] = outputs.get(16)!;
  assert.equal(output?.kind === 'stream' && output.text, 'softmax: [[0.25, 0.5]] 3 nan');
});

test('an error in a cell is its output, and the next cell still runs', () => {
  const outputs = capture(() => {
    cell(1, () => {
      throw new RangeError('boom');
    });
    cell(2, () => print('after'));
  });
  assert.deepEqual(outputs.get(1), [{ kind: 'error', text: 'RangeError: boom' }]);
  assert.equal(outputs.get(2)?.[0]?.kind, 'stream');
});

test('show draws a chart and records its series', () => {
  const outputs = capture(() =>
    cell(9, () => show([{ label: 'loss', x: [0, 1], y: [1, 0] }], { title: 'L1Loss' })),
  );
  const [figure] = outputs.get(9)!;
  assert.equal(figure?.kind, 'figure');
  if (figure?.kind !== 'figure') return;
  assert.equal(figure.title, 'L1Loss');
  assert.deepEqual(figure.series, [{ label: 'loss', x: [0, 1], y: [1, 0] }]);
  assert.match(figure.svg, /^<svg /);
});

test('a cell without a body only marks the cell', () => {
  assert.deepEqual(capture(() => cell(7)).get(7), []);
});
