/** The kernel layer's argument checks (src/kernels/_spans.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkCount, checkLength, viewsOverlap } from '../../src/kernels/_spans.js';
import { ValueError } from '../../src/ndarray/errors.js';

test('viewsOverlap: views share a byte only on one buffer, with overlapping byte ranges, neither empty', () => {
  const buffer = new ArrayBuffer(64);
  const floats = new Float32Array(buffer);
  // Adjacent views touch without sharing a byte.
  assert.equal(viewsOverlap(floats.subarray(0, 4), floats.subarray(4, 8)), false);
  assert.equal(viewsOverlap(floats.subarray(4, 8), floats.subarray(0, 4)), false);
  assert.equal(viewsOverlap(floats.subarray(0, 5), floats.subarray(4, 8)), true);
  assert.equal(viewsOverlap(floats.subarray(2, 3), floats), true, 'one inside the other');
  // Element sizes differ: a float64 view over bytes 8..16 meets float32 elements 2 and 3.
  const doubles = new Float64Array(buffer, 8, 1);
  assert.equal(viewsOverlap(doubles, floats.subarray(3, 4)), true);
  assert.equal(viewsOverlap(doubles, floats.subarray(4, 5)), false);
  // An empty view holds no byte, wherever it sits.
  assert.equal(viewsOverlap(floats.subarray(2, 2), floats), false);
  // Another buffer never overlaps.
  assert.equal(viewsOverlap(new Float32Array(16), floats), false);
});

test('checkLength and checkCount: a ValueError naming the function, the argument and the values', () => {
  checkLength('f', 'x', new Float32Array(3), 3);
  assert.throws(
    () => checkLength('f', 'x', new Float32Array(3), 4),
    (error: unknown) => {
      assert.ok(error instanceof ValueError);
      assert.equal(error.message, 'f: x must have 4 elements, got 3');
      return true;
    },
  );
  checkCount('f', 'rows', 0);
  for (const bad of [-1, 1.5, Number.NaN])
    assert.throws(() => checkCount('f', 'rows', bad), /^ValueError: f: rows must be an integer >= 0/);
});
