/** broadcastOffsets: the base's table of which source element each target element pairs with. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { broadcastOffsets } from '../../../src/loss/_base/layout.js';

/** The numpy rule written out per element: unravel k in the target, clamp each index to the source. */
function bruteForce(target: readonly number[], source: readonly number[]): number[] {
  const size = target.reduce((a, b) => a * b, 1);
  const lead = target.length - source.length;
  const result: number[] = [];
  for (let k = 0; k < size; k++) {
    let rest = k;
    const index = new Array<number>(target.length);
    for (let axis = target.length - 1; axis >= 0; axis--) {
      index[axis] = rest % target[axis]!;
      rest = Math.floor(rest / target[axis]!);
    }
    let offset = 0;
    for (let axis = lead; axis < target.length; axis++) {
      const length = source[axis - lead]!;
      offset = offset * length + (length === 1 ? 0 : index[axis]!);
    }
    result.push(offset);
  }
  return result;
}

test('broadcastOffsets pairs each target element with its numpy-broadcast source element', () => {
  const cases: [number[], number[]][] = [
    [
      [4, 3],
      [1, 3],
    ],
    [[4, 3], [3]],
    [
      [4, 3],
      [4, 1],
    ],
    [[4, 3], [1]],
    [[4, 3], []],
    [
      [2, 3, 5],
      [2, 1, 5],
    ],
    [
      [2, 3, 5],
      [3, 1],
    ],
    [
      [2, 1, 5],
      [1, 1, 5],
    ],
    [
      [3, 0, 2],
      [1, 2],
    ],
  ];
  for (const [target, source] of cases) {
    const got = broadcastOffsets(target, source);
    assert.ok(got, `${JSON.stringify(source)} → ${JSON.stringify(target)}`);
    assert.deepEqual(
      Array.from(got),
      bruteForce(target, source),
      `${JSON.stringify(source)} → ${JSON.stringify(target)}`,
    );
  }
});

test('broadcastOffsets is null for the same shape (element k pairs with offset k)', () => {
  assert.equal(broadcastOffsets([4, 3], [4, 3]), null);
  assert.equal(broadcastOffsets([], []), null);
});
