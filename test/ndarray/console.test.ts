/**
 * NDArray in a JavaScript console: `console.log` / `util.inspect` print MXNet's form (through the
 * registered inspect symbol, no Node import in the core) and `for … of` walks the first axis.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, test } from 'node:test';
import { autograd, nd, ShapeError } from 'gloss-ml';

describe('util.inspect and console.log', () => {
  test('print the array as toString(), without a leading newline', () => {
    const x = nd.array([
      [1, 2],
      [3, 4],
    ]);
    assert.equal(inspect(x), '[[1. 2.]\n [3. 4.]]\n<NDArray 2x2 @cpu(0)>');
    assert.equal(inspect(x), x.toString());
  });

  test('inside an object, the array prints in the same form', () => {
    assert.match(inspect({ loss: nd.array([0.5, 1]) }), /loss: \[0\.5 1\. \]\n\s*<NDArray 2 @cpu\(0\)>/);
  });
});

describe('iteration walks the first axis, like numpy and PyTorch', () => {
  test('a matrix yields its rows as 1-D arrays', () => {
    const rows = [
      ...nd.array([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    ];
    assert.deepEqual(
      rows.map((row) => row.toArray()),
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    );
    assert.deepEqual(rows[0]!.shape, [2]);
  });

  test('a 1-D array yields 0-d arrays; item() gives the number', () => {
    const items = [...nd.array([1.5, 2.5, 3.5], { dtype: 'float64' })];
    assert.deepEqual(
      items.map((item) => item.shape),
      [[], [], []],
    );
    assert.deepEqual(
      items.map((item) => item.item()),
      [1.5, 2.5, 3.5],
    );
    assert.equal(items[0]!.dtype, 'float64');
  });

  test('a 3-D array yields 2-D arrays; an empty first axis yields nothing', () => {
    assert.deepEqual(
      [...nd.zeros([2, 3, 4])].map((a) => a.shape),
      [
        [3, 4],
        [3, 4],
      ],
    );
    assert.deepEqual([...nd.zeros([0, 3])], []);
  });

  test('iterating a 0-d array throws a ShapeError at once, as numpy raises for a 0-d array', () => {
    const scalar = nd.array(3);
    assert.throws(() => scalar[Symbol.iterator](), ShapeError);
    assert.throws(() => [...scalar], /iteration over a 0-d array/);
  });

  test('items are recorded by autograd, so a loop over rows is differentiable', () => {
    const x = nd.array([
      [1, 2],
      [3, 4],
    ]);
    x.attachGrad();
    const total = autograd.record(() => {
      let sum = nd.zeros([]);
      for (const row of x) sum = sum.add(row.sum().square());
      return sum;
    });
    total.backward();
    assert.deepEqual(x.grad!.toArray(), [
      [6, 6],
      [14, 14],
    ]);
  });
});
