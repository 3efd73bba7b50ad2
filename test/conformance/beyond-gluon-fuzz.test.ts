/**
 * PyTorch references on cases the loss fuzz test's generators drew (random shapes, axes, options,
 * extreme and subnormal values; fixtures in test/fixtures/beyond-gluon/cases/fuzz-*.json,
 * generated in float64 with PyTorch 1.13 by generate_fuzz_references.py) through the conformance
 * runner that `gloss conformance` uses, in float64 at each case's tolerance (rtol 1e-9) and in
 * float32 at the README's.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { CaseFile } from '../../src/conformance/run.js';
import { testCaseFile } from './_case-tests.js';

const folder = join(import.meta.dirname, '..', 'fixtures', 'beyond-gluon', 'cases');
const files = readdirSync(folder).filter((name) => name.startsWith('fuzz-'));

test('the fuzz references cover sixteen losses, each in every reduction', () => {
  assert.equal(files.length, 16);
});

for (const name of files) {
  const parsed = JSON.parse(readFileSync(join(folder, name), 'utf8')) as CaseFile;
  describe(`fuzz references ${parsed.loss}`, () => {
    test('cases in every reduction', () => {
      for (const reduction of ['perSample', 'none', 'sum', 'mean', 'batchmean'])
        assert.ok(
          parsed.cases.some((c) => c.options?.reduction === reduction),
          reduction,
        );
    });
    testCaseFile(parsed);
  });
}
