/** Registers the node:test tests that run one conformance case file in float64 and float32. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CaseFile, runCase } from '../../src/conformance/run.js';

/** One test per dtype: every case passes at its tolerance (float64) or the README's float32 one. */
export function testCaseFile(parsed: CaseFile): void {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`all ${parsed.cases.length} cases pass in ${dtype}`, () => {
      const failures = parsed.cases
        .map((c) => runCase(c, parsed.loss, dtype))
        .filter((r) => !r.passed)
        .map((r) => `${r.loss} ${r.id}: ${r.message}`);
      assert.deepEqual(failures, []);
    });
  }
}
