/** The lattice of the CTC recursions: the extended label and its allowed jumps. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extendLabel } from '../../src/loss/_ctc-lattice.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import { randomBatch } from './_ctc-enumeration.js';

describe('CTC lattice', () => {
  test('extendLabel: blanks around every label, jumps only between different labels', () => {
    const setup = randomBatch(new RandomGenerator(1), 'NTC', 1).setup;
    const labels = new Int32Array([0, 0, 1]);
    const three = { ...setup, width: 3, blank: 2, labels, labelLengths: new Int32Array([3]) };
    const extended = new Int32Array(7);
    const skip = new Uint8Array(7);
    assert.equal(extendLabel(three, 0, extended, skip), 7);
    assert.deepEqual(Array.from(extended), [2, 0, 2, 0, 2, 1, 2]);
    assert.deepEqual(Array.from(skip), [0, 0, 0, 0, 0, 1, 0]);
  });
});
