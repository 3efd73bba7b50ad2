/** Adding a loss is one source file, one test file and one export line: this checks all three. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ALL_LOSSES } from '../../src/loss/index.js';

const sources = readdirSync('src/loss').filter(
  (f) => f.endsWith('.ts') && !f.startsWith('_') && f !== 'index.ts' && f !== 'exports.ts',
);
const exportsFile = readFileSync('src/loss/exports.ts', 'utf8');

test('every loss source file is exported and has a test file', () => {
  assert.ok(sources.length > 0);
  for (const file of sources) {
    assert.ok(
      exportsFile.includes(`'./${file.replace(/\.ts$/, '.js')}'`),
      `${file} has no export line in src/loss/exports.ts`,
    );
    assert.ok(
      readdirSync('test/loss').includes(file.replace(/\.ts$/, '.test.ts')),
      `${file} has no test/loss test file`,
    );
  }
});

test('every registered loss is a distinct Gluon class with positional input names', () => {
  for (const [name, LossClass] of Object.entries(ALL_LOSSES)) {
    const loss = new LossClass();
    assert.equal(loss.name, name);
    // Declared, not taken from constructor.name, so minified bundles keep the Gluon names.
    assert.equal(
      (LossClass as unknown as { lossName?: string }).lossName,
      name,
      `${name} declares static lossName`,
    );
    assert.ok(loss.inputNames.length >= 2, `${name} has input names`);
  }
});
