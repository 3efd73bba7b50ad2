// CallMemory and the rule that makes it safe: a loss call gives memory back only once its graph
// is freed by a successful pass (or right after an unrecorded forward), so memory in the free
// lists never belongs to a live call.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { customOp, record } from '../../src/autograd/index.js';
import { arrayKind, CallMemory } from '../../src/loss/_call-memory.js';
import { L2Loss } from '../../src/loss/l2.js';
import * as nd from '../../src/ndarray/index.js';
import { assertClose } from '../ops/_op-checks.js';
import { liveRegionCount } from '../../src/kernels/arena.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { REGION_MINIMUM } from '../../src/loss/_base/pipelines.js';

/** The loss's CallMemory (protected: reached here for the test only). */
const memoryOf = (loss: L2Loss) => (loss as unknown as { callMemory: CallMemory }).callMemory;

describe('CallMemory', () => {
  test('take returns what was given back, once; new values otherwise', () => {
    const memory = new CallMemory();
    const first = memory.takeArray('float32', 8);
    assert.equal(memory.freeCount(arrayKind('float32', 8)), 0);
    memory.giveBackArray(first);
    memory.giveBackArray(first); // a second give-back of the same array is ignored
    assert.equal(memory.freeCount(arrayKind('float32', 8)), 1);
    assert.equal(memory.takeArray('float32', 8), first);
    assert.notEqual(memory.takeArray('float32', 8), first);
    assert.ok(memory.takeArray('float64', 8) instanceof Float64Array);
  });

  test('keeps a bounded number of buffers', () => {
    const memory = new CallMemory();
    for (let i = 0; i < 5; i++) memory.giveBackArray(new Float32Array(4));
    assert.equal(memory.freeCount(arrayKind('float32', 4)), 2);
    const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    for (const size of sizes) memory.giveBackArray(new Float32Array(size + 10));
    const kept = sizes.filter((size) => memory.freeCount(arrayKind('float32', size + 10)) > 0);
    assert.deepEqual(kept, [3, 4, 5, 6, 7, 8, 9, 10], 'the eight kinds given back last');
    // Giving back to a kept kind makes it the most recent: the next new kind drops the oldest other.
    memory.giveBackArray(new Float32Array(13));
    memory.giveBack('state', {});
    assert.equal(memory.freeCount(arrayKind('float32', 13)), 2);
    assert.equal(memory.freeCount(arrayKind('float32', 14)), 0);
    assert.equal(memory.freeCount('state'), 1);
  });
});

describe('a loss call gives its memory back only when nothing can read it', () => {
  // float64: float32 gradients on the wasm backend live in arena regions (tested below).
  const f64 = { dtype: 'float64' } as const;
  const inputs = () => {
    const pred = nd
      .array(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        f64,
      )
      .attachGrad();
    return { pred, label: nd.zeros([2, 3], f64) };
  };
  const kind = arrayKind('float64', 6);

  test('after a successful pass that frees the graph, not before', () => {
    const loss = new L2Loss();
    const { pred, label } = inputs();
    const out = record(() => loss.forward(pred, label));
    assert.equal(memoryOf(loss).freeCount(kind), 0, 'the live call owns its gradient');
    out.backward(undefined, { retainGraph: true });
    assert.equal(memoryOf(loss).freeCount(kind), 0, 'a retained graph may run again');
    out.backward();
    assert.equal(memoryOf(loss).freeCount(kind), 1);
  });

  test('never after a failed pass; the failed call still runs correctly afterwards', () => {
    const loss = new L2Loss();
    const { pred, label } = inputs();
    let fail = true;
    const gate = customOp<undefined, undefined>({
      name: 'gate',
      forward: ([x]) => x!.mul(1),
      backward: ({ gradOutput }) => {
        if (fail) throw new Error('gate');
        return [gradOutput];
      },
    });
    const out = record(() => loss.forward(gate([pred], undefined), label));
    assert.throws(() => out.backward(), /gate/);
    assert.equal(memoryOf(loss).freeCount(kind), 0);
    // Another call now cannot take the failed call's gradient memory.
    record(() =>
      loss.forward(
        nd
          .array(
            [
              [9, 9, 9],
              [9, 9, 9],
            ],
            f64,
          )
          .attachGrad(),
        label,
      ),
    ).backward();
    fail = false;
    out.backward();
    assertClose(
      pred.grad!.data,
      [1, 2, 3, 4, 5, 6].map((v) => v / 3),
      { rtol: 1e-15, atol: 0 },
    );
  });

  test('two live calls of one loss object never share memory', () => {
    const loss = new L2Loss();
    const a = inputs();
    const b = inputs();
    b.pred.data.set([6, 5, 4, 3, 2, 1]);
    const outA = record(() => loss.forward(a.pred, a.label));
    const outB = record(() => loss.forward(b.pred, b.label));
    outB.backward();
    // outB's memory is free now; a third call takes it, and outA's must still be intact.
    record(() =>
      loss.forward(
        nd
          .array(
            [
              [0, 0, 0],
              [0, 0, 7],
            ],
            f64,
          )
          .attachGrad(),
        a.label,
      ),
    );
    outA.backward();
    assertClose(
      a.pred.grad!.data,
      [1, 2, 3, 4, 5, 6].map((v) => v / 3),
      { rtol: 1e-15, atol: 0 },
    );
  });
});

describe('a float32 call on the wasm backend owns an arena region until its graph is freed', () => {
  after(() => setKernelBackend('auto'));

  test('allocated by the recorded forward, kept through retained passes, released after the last', () => {
    setKernelBackend('wasm');
    const before = liveRegionCount();
    const loss = new L2Loss();
    // The smallest gradient that gets a region: 64 samples of REGION_MINIMUM / 64 elements.
    const perSample = REGION_MINIMUM / 64;
    const values = Array.from({ length: REGION_MINIMUM }, (_, i) => (i % 17) - 8);
    const pred = nd.array(values).reshape(64, perSample).attachGrad();
    const out = record(() => loss.forward(pred, nd.zeros([64, perSample])));
    assert.equal(liveRegionCount(), before + 1);
    out.backward(undefined, { retainGraph: true });
    assert.equal(liveRegionCount(), before + 1);
    out.backward();
    assert.equal(liveRegionCount(), before);
    assertClose(
      pred.grad!.data,
      values.map((v) => v / perSample),
      { rtol: 1e-6, atol: 0 },
    );
  });

  test('a smaller gradient takes CallMemory instead (no region, nothing left live)', () => {
    setKernelBackend('wasm');
    const before = liveRegionCount();
    const loss = new L2Loss();
    const pred = nd
      .array([
        [1, 2, 3],
        [4, 5, 6],
      ])
      .attachGrad();
    const out = record(() => loss.forward(pred, nd.zeros([2, 3])));
    assert.equal(liveRegionCount(), before);
    out.backward();
    assert.equal(memoryOf(loss).freeCount(arrayKind('float32', 6)), 1);
    assertClose(
      pred.grad!.data,
      [1, 2, 3, 4, 5, 6].map((v) => v / 3),
      { rtol: 1e-6, atol: 0 },
    );
  });
});
