/**
 * The beyond-Gluon reference cases of DiceLoss, TverskyLoss and PyTorch's three multi-class
 * margin losses (test/fixtures/beyond-gluon/cases, generated in float64 by
 * generate_segmentation.py: PyTorch 1.13 for the margin losses, the formula in torch ops for Dice
 * and Tversky), through the conformance runner: float64 at each case's tolerance (rtol 1e-9),
 * float32 at the README's float32 tolerance, with gradients.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type CaseFile, runCase } from '../../src/conformance/run.js';

const CASES = 'test/fixtures/beyond-gluon/cases';
const LOSSES = [
  'DiceLoss',
  'TverskyLoss',
  'MultiMarginLoss',
  'MultiLabelMarginLoss',
  'MultiLabelSoftMarginLoss',
] as const;

for (const loss of LOSSES) {
  const file = JSON.parse(readFileSync(join(CASES, `${loss}.json`), 'utf8')) as CaseFile;
  describe(`beyond-Gluon conformance: ${loss}`, () => {
    test('has value, gradient, extreme and error cases', () => {
      assert.equal(file.loss, loss);
      const tags = file.cases.flatMap((c) => c.tags ?? []);
      assert.ok(tags.includes('extreme'), 'an extreme case');
      assert.ok(tags.includes('error'), 'an error case');
      assert.ok(file.cases.some((c) => c.expected.grads && Object.keys(c.expected.grads).length > 0));
    });
    for (const dtype of ['float64', 'float32'] as const) {
      test(`all ${file.cases.length} cases pass in ${dtype}`, () => {
        const failures = file.cases
          .map((c) => runCase(c, file.loss, dtype))
          .filter((r) => !r.passed)
          .map((r) => `${r.id}: ${r.message}`);
        assert.deepEqual(failures, []);
      });
    }
  });
}
