/**
 * SoftmaxCrossEntropyLoss's PyTorch options (labelSmoothing, ignoreIndex, classWeight; fixtures
 * in test/fixtures/beyond-gluon/cases, generated in float64 with PyTorch 1.13 by
 * generate_softmax_options.py) through the conformance runner that `gloss conformance` uses, in
 * float64 at each case's tolerance (rtol 1e-9) and in float32 at the README's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { CaseFile } from '../../src/conformance/run.js';
import { testCaseFile } from './_case-tests.js';

const file = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'beyond-gluon',
  'cases',
  'SoftmaxCrossEntropyLoss-options.json',
);
const parsed = JSON.parse(readFileSync(file, 'utf8')) as CaseFile;

describe('beyond-Gluon fixtures SoftmaxCrossEntropyLoss-options', () => {
  test('covers every reduction, sparse and dense labels, extremes and errors', () => {
    assert.equal(parsed.loss, 'SoftmaxCrossEntropyLoss');
    for (const reduction of ['perSample', 'none', 'sum', 'mean', 'batchmean'])
      assert.ok(
        parsed.cases.some((c) => c.options?.reduction === reduction && c.expected.grads),
        reduction,
      );
    assert.ok(parsed.cases.some((c) => c.options?.sparseLabel === false && c.expected.grads));
    assert.ok(parsed.cases.some((c) => c.tags?.includes('extreme')));
    assert.ok(parsed.cases.some((c) => c.expected.error === 'ShapeError'));
    assert.ok(parsed.cases.some((c) => c.expected.error === 'ValueError'));
  });
  testCaseFile(parsed);
});
