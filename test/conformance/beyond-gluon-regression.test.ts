/**
 * The beyond-Gluon regression and ranking fixtures (test/fixtures/beyond-gluon/cases, generated in
 * float64 with PyTorch 1.13 by generate_regression.py next to them) through the conformance runner
 * that `gloss conformance` uses: in float64 at each case's tolerance (rtol 1e-9) and in float32 at
 * the conformance README's float32 tolerance.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type CaseFile, runCase } from '../../src/conformance/run.js';

const CASES = join(import.meta.dirname, '..', 'fixtures', 'beyond-gluon', 'cases');

/** This file's fixtures: one per new loss, one per new option of a Gluon loss. */
const FILES = [
  'SmoothL1Loss',
  'MSELoss',
  'LogCoshLoss',
  'SoftMarginLoss',
  'MarginRankingLoss',
  'HingeEmbeddingLoss',
  'GaussianNLLLoss',
  'CosineSimilarityLoss',
  'TripletMarginLoss',
  'SigmoidBinaryCrossEntropyLoss-labelSmoothing',
  'KLDivLoss-logTarget',
  'CTCLoss-blankIndex',
];

for (const name of FILES) {
  const parsed = JSON.parse(readFileSync(join(CASES, `${name}.json`), 'utf8')) as CaseFile;
  describe(`beyond-Gluon fixtures ${name}`, () => {
    test('has value, gradient and error cases', () => {
      assert.ok(parsed.cases.some((c) => c.expected.grads && Object.keys(c.expected.grads).length > 0));
      assert.ok(parsed.cases.some((c) => c.expected.error));
    });
    for (const dtype of ['float64', 'float32'] as const) {
      test(`all ${parsed.cases.length} cases pass in ${dtype}`, () => {
        const failures = parsed.cases
          .map((c) => runCase(c, parsed.loss, dtype))
          .filter((r) => !r.passed)
          .map((r) => `${r.loss} ${r.id}: ${r.message}`);
        assert.deepEqual(failures, []);
      });
    }
  });
}
