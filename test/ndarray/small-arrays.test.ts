import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { autograd, gluon, nd } from '../../src/index.js';
import { allocate, type DType, type TypedArray } from '../../src/ndarray/dtype.js';
import { BLOCK_BYTES, isCarved, LARGEST_CARVED_BYTES } from '../../src/ndarray/small-arrays.js';
import { RandomGenerator } from '../../src/ndarray/random.js';

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };

/** The [start, end) byte range of an array in its buffer. */
function range(data: TypedArray): [number, number] {
  return [data.byteOffset, data.byteOffset + data.byteLength];
}

describe('small arrays carved from shared blocks (small-arrays.ts)', () => {
  test('which sizes are carved: 65 to 1,024 bytes; smaller and larger arrays own their buffer', () => {
    for (const [dtype, size, carved] of [
      ['float32', 16, false], // 64 bytes: on V8's heap already
      ['float32', 17, true],
      ['float64', 9, true],
      ['int32', 256, true], // 1,024 bytes
      ['float32', 257, false],
      ['float64', 129, false],
      ['float32', 0, false],
    ] as const) {
      const data = allocate(dtype, size);
      const bytes = size * BYTES[dtype];
      assert.equal(isCarved(bytes), carved, `${dtype} × ${size}`);
      assert.equal(data.length, size);
      assert.equal(data.buffer.byteLength === BLOCK_BYTES && data.byteLength < BLOCK_BYTES, carved);
      if (!carved) assert.equal(data.buffer.byteLength, bytes, `${dtype} × ${size} owns its buffer`);
    }
    assert.equal(LARGEST_CARVED_BYTES, 1024);
  });

  test('every region is handed out once: zeros, 16-byte aligned, never overlapping a live array', () => {
    const random = new RandomGenerator(7);
    const dtypes: DType[] = ['float32', 'float64', 'int32'];
    const live: { data: TypedArray; mark: number }[] = [];
    // Enough arrays to fill many blocks, including regions that just fit and ones that do not.
    for (let i = 0; i < 3000; i++) {
      const dtype = dtypes[i % 3]!;
      const size = 9 + Math.floor(random.nextDouble() * (LARGEST_CARVED_BYTES / BYTES[dtype] - 9));
      const data = allocate(dtype, size);
      assert.ok(
        data.every((v) => v === 0),
        `array ${i} starts as zeros although its neighbours were written`,
      );
      assert.equal(data.byteOffset % 16, 0, `array ${i} is 16-byte aligned`);
      const mark = i + 1;
      data.fill(mark);
      live.push({ data, mark });
    }
    for (const [i, { data, mark }] of live.entries())
      assert.ok(
        data.every((v) => v === mark),
        `array ${i} still holds its own values`,
      );
    // No two arrays on one block share a byte.
    const byBlock = new Map<ArrayBufferLike, [number, number][]>();
    for (const { data } of live) {
      const list = byBlock.get(data.buffer) ?? [];
      list.push(range(data));
      byBlock.set(data.buffer, list);
    }
    assert.ok(byBlock.size > 100, `${byBlock.size} blocks`);
    for (const list of byBlock.values()) {
      list.sort((a, b) => a[0] - b[0]);
      for (let k = 1; k < list.length; k++) assert.ok(list[k - 1]![1] <= list[k]![0], 'disjoint regions');
      assert.ok(list.at(-1)![1] <= BLOCK_BYTES);
    }
  });

  test('op outputs and loss outputs on a block keep their values while neighbours are made and written', () => {
    const x = nd.array(
      Array.from({ length: 40 }, (_, i) => i - 20),
      { dtype: 'float32' },
    );
    const doubled = x.mul(2);
    const expected = Array.from(doubled.data);
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const logits = nd
      .array(
        Array.from({ length: 32 * 10 }, (_, i) => Math.sin(i)),
        { dtype: 'float32' },
      )
      .reshape([32, 10]);
    const labels = nd.array(
      Array.from({ length: 32 }, (_, i) => i % 10),
      { dtype: 'int32' },
    );
    logits.attachGrad();
    const first = autograd.record(() => loss.forward(logits, labels));
    first.backward();
    const firstValues = Array.from(first.data);
    for (let i = 0; i < 200; i++) {
      const other = autograd.record(() => loss.forward(logits, labels));
      other.backward();
      other.data.fill(Number.NaN);
      nd.zeros([50]).data.fill(Number.NaN);
    }
    assert.equal(first.data.buffer.byteLength, BLOCK_BYTES, 'the [32] loss is carved');
    assert.deepEqual(Array.from(first.data), firstValues);
    assert.deepEqual(Array.from(doubled.data), expected);
  });
});
