/**
 * The beyond-Gluon classification fixtures (test/fixtures/beyond-gluon/cases: NLLLoss,
 * SigmoidFocalLoss, SoftmaxFocalLoss, NTXentLoss, generated in float64 by
 * generate_classification.py from PyTorch and the stated formulas) through the conformance
 * runner, in float64 at each case's tolerance (rtol 1e-9) and in float32 at the README's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import type { CaseFile } from '../../src/conformance/run.js';
import { testCaseFile } from './_case-tests.js';

const directory = fileURLToPath(new URL('../fixtures/beyond-gluon/cases', import.meta.url));
const LOSSES = ['NLLLoss', 'SigmoidFocalLoss', 'SoftmaxFocalLoss', 'NTXentLoss'];

for (const loss of LOSSES) {
  const parsed = JSON.parse(readFileSync(join(directory, `${loss}.json`), 'utf8')) as CaseFile;
  describe(`beyond-Gluon conformance: ${loss}`, () => {
    test('has values, gradients and error cases', () => {
      assert.equal(parsed.loss, loss);
      assert.ok(
        parsed.cases.some((c) => c.expected.grads),
        'gradient cases',
      );
      assert.ok(
        parsed.cases.some((c) => c.expected.error),
        'error cases',
      );
      assert.ok(
        parsed.cases.some((c) => c.tags?.includes('extreme')),
        'extreme cases',
      );
    });
    testCaseFile(parsed);
  });
}
