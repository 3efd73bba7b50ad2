/** The lattice of the CTC recursions: the extended label and its allowed jumps, and the rescaling of the linear-space recursions. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  divideWindow,
  extendLabel,
  MIN_NORMAL,
  ScaleTrack,
  underflowMargin,
  usableScale,
} from '../../src/loss/_ctc-lattice.js';
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

  test('usableScale: a frame sum can rescale only when normal and finite', () => {
    for (const total of [1, MIN_NORMAL, 1e300]) assert.equal(usableScale(total), true, String(total));
    for (const total of [0, MIN_NORMAL / 2, Number.POSITIVE_INFINITY, Number.NaN]) {
      assert.equal(usableScale(total), false, String(total));
    }
  });

  test('divideWindow divides only the window and reports values it pushed below the normal range', () => {
    const values = Float64Array.of(9, 2, 6, 9);
    assert.equal(divideWindow(values, 1, 0, 1, 8), false);
    assert.deepEqual(Array.from(values), [9, 0.25, 0.75, 9]);
    // A tiny value divided by a large sum underflows; an exact 0 does not count.
    const tiny = Float64Array.of(0, 2 ** -1000, 1);
    assert.equal(divideWindow(tiny, 0, 0, 2, 2 ** 30), true);
    assert.equal(tiny[0], 0);
    assert.equal(divideWindow(Float64Array.of(0, 1), 0, 0, 1, 1), false);
  });

  test('ScaleTrack sums the logs of the frame sums and keeps the worst scale around an underflow', () => {
    const scales = new ScaleTrack();
    assert.equal(scales.advance(Math.E, false), 1);
    assert.equal(scales.worst, Number.NEGATIVE_INFINITY);
    assert.equal(scales.advance(Math.E ** -3, true), -2);
    // The larger of the scales before and after the frame.
    assert.equal(scales.worst, 1);
    assert.equal(scales.logScale, -2);
    // Trusted while worst − log p stays within the margin.
    const margin = underflowMargin(2, 3);
    assert.equal(scales.trusted(1 - margin, 2, 3), true);
    assert.equal(scales.trusted(1 - margin - 1, 2, 3), false);
    assert.equal(new ScaleTrack().trusted(-1e308, 2, 3), true);
  });
});
