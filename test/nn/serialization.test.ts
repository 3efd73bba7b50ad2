import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { array } from '../../src/ndarray/create.js';
import { ValueError } from '../../src/ndarray/errors.js';
import { decodeArrays, encodeArrays } from '../../src/nn/serialization.js';
import { assertThrowsWith } from '../ops/_op-checks.js';
import {
  BIAS_VALUES,
  corruptParameterFiles,
  validParameterFile,
  WEIGHT_VALUES,
} from './_corrupt-parameter-files.js';

test('named arrays of every dtype round-trip bit for bit, with shapes, order and metadata', () => {
  const f32 = array([
    [1.1, -0, Number.POSITIVE_INFINITY],
    [Number.NaN, 3.4e38, 1e-45],
  ]);
  const f64 = array([Math.PI, -Number.MIN_VALUE], { dtype: 'float64' });
  const i32 = array([2147483647, -2147483648, 0], { dtype: 'int32' });
  const scalar = array(5);
  const bytes = encodeArrays(
    'test',
    [
      ['b', f32],
      ['a', f64],
      ['i', i32],
      ['s', scalar],
    ],
    { note: 'hello', n: 3 },
  );
  const decoded = decodeArrays(bytes, 'test');
  assert.equal(decoded.kind, 'test');
  assert.deepEqual(decoded.meta, { note: 'hello', n: 3 });
  assert.deepEqual([...decoded.arrays.keys()], ['b', 'a', 'i', 's']);
  for (const [name, original] of [
    ['b', f32],
    ['a', f64],
    ['i', i32],
    ['s', scalar],
  ] as const) {
    const copy = decoded.arrays.get(name)!;
    assert.equal(copy.dtype, original.dtype, name);
    assert.deepEqual(copy.shape, original.shape, name);
    // The bytes of each array (a small array's buffer is a block shared with others: read its region).
    const bytesOf = (data: ArrayBufferView) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    assert.deepEqual(bytesOf(copy.data), bytesOf(original.data), name);
  }
});

test('the file starts with the magic and decodes from an offset view', () => {
  const bytes = encodeArrays('k', [['x', array([1, 2])]]);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), 'GLOSSNDA');
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  assert.deepEqual(Array.from(decodeArrays(shifted.subarray(3)).arrays.get('x')!.data), [1, 2]);
});

test('invalid input is a ValueError that says what is wrong', () => {
  const bytes = encodeArrays('parameters', [['x', array([1, 2, 3])]]);
  assert.throws(
    () => decodeArrays(bytes, 'trainer-states'),
    /expected a file of trainer-states, got one of parameters/,
  );
  assert.throws(() => decodeArrays(new Uint8Array(4)), ValueError);
  assert.throws(
    () => decodeArrays(new TextEncoder().encode('NOTGLOSS and more bytes')),
    /does not start with "GLOSSNDA"/,
  );
  assert.throws(() => decodeArrays(bytes.subarray(0, bytes.length - 8)), /truncated/);
});

test('the hand-built reference file decodes, so each corruption below is the only fault', () => {
  const { arrays } = decodeArrays(validParameterFile(), 'parameters');
  assert.deepEqual([...arrays.keys()], ['weight', 'bias']);
  assert.deepEqual(arrays.get('weight')!.shape, [2, 3]);
  assert.deepEqual(Array.from(arrays.get('weight')!.data), WEIGHT_VALUES);
  assert.deepEqual(Array.from(arrays.get('bias')!.data), BIAS_VALUES);
});

describe('every malformed file is a ValueError saying what is wrong, never a crash', () => {
  for (const corruption of corruptParameterFiles()) {
    test(corruption.name, () => {
      assertThrowsWith(
        () => decodeArrays(corruption.bytes, 'parameters'),
        ValueError,
        'decodeArrays: not a valid gloss parameter file',
        corruption.fragment,
      );
    });
  }
});

test('a wrong-typed argument is a ValueError, not a TypeError', () => {
  for (const bad of [null, 'GLOSSNDA', new ArrayBuffer(16), [71, 76]]) {
    assertThrowsWith(() => decodeArrays(bad as never), ValueError, 'expected a Uint8Array');
  }
});
