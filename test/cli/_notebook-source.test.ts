import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNotebookSource } from '../../src/cli/_notebook-source.js';

const SOURCE = `/** header, not part of the notebook */

// %% [markdown]
// # Title
//
// Some *text*.

// %% [1]
import { x } from './x.js';

let y: number;

cell(1);

// %% [markdown]
// More text.

// %% [2]
// Why this cell looks different.
cell(2, () => {
  y = 1;
  if (y) {
    print(y);
  }
});
`;

test('markdown comment blocks and code cells come back in document order', () => {
  const blocks = parseNotebookSource(SOURCE);
  assert.deepEqual(
    blocks.map((b) => (b.kind === 'markdown' ? 'md' : b.cell)),
    ['md', 1, 'md', 2],
  );
  assert.deepEqual(blocks[0], { kind: 'markdown', text: '# Title\n\nSome *text*.' });
  assert.deepEqual(blocks[2], { kind: 'markdown', text: 'More text.' });
});

test('a cell shows its declarations without the bare cell(n) marker', () => {
  const block = parseNotebookSource(SOURCE)[1]!;
  assert.equal(block.kind === 'code' && block.code, "import { x } from './x.js';\n\nlet y: number;");
});

test('a cell(n, () => { ... }) wrapper is replaced by its dedented body; comments before it stay', () => {
  const block = parseNotebookSource(SOURCE)[3]!;
  assert.equal(
    block.kind === 'code' && block.code,
    '// Why this cell looks different.\ny = 1;\nif (y) {\n  print(y);\n}',
  );
});
