/**
 * Every conformance case in ../shared/conformance (cases/, tutorial.json, kinks.json) in float64
 * at each case's tolerance and in float32 at the README's float32 tolerance.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type CaseFile, tolerance } from '../../src/conformance/run.js';
import { testCaseFile } from './_case-tests.js';

const root = process.env.GLOSS_SHARED
  ? join(process.env.GLOSS_SHARED, 'conformance')
  : '../shared/conformance';
const files = existsSync(root)
  ? [
      ...readdirSync(join(root, 'cases')).map((f) => join(root, 'cases', f)),
      join(root, 'tutorial.json'),
      join(root, 'kinks.json'),
    ]
  : [];

test('the shared conformance cases are present', () => {
  assert.ok(files.length >= 16, `expected the conformance files under ${root}`);
});

for (const file of files) {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as CaseFile;
  describe(`conformance ${file}`, () => testCaseFile(parsed));
}

test('float32 tolerances follow the conformance README', () => {
  const normal = { id: 'x', args: [], expected: {}, tol: { rtol: 1e-9, atol: 2e-10 } };
  assert.deepEqual(tolerance(normal, 'float32'), { rtol: 1e-4, atol: 2e-5 });
  assert.deepEqual(tolerance({ ...normal, tags: ['extreme'] }, 'float32'), { rtol: 2e-3, atol: 4e-3 });
  assert.deepEqual(tolerance(normal, 'float64'), normal.tol);
});
