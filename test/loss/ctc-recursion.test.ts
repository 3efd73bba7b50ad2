// CTCLoss recursions: the rescaled linear-space α/β and their log-space fallback, and the blank
// given as a class index (PyTorch's blank).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { CTCLoss, type CTCLossOptions } from '../../src/loss/ctc.js';
import { array } from '../../src/ndarray/create.js';
import type { DType } from '../../src/ndarray/dtype.js';
import { ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator } from '../../src/ndarray/random.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { assertClose, i32, logits, lossAndGradient } from './_ctc-test-helpers.js';

describe('CTCLoss recursion', () => {
  describe('rescaled linear-space recursion and its log-space fallback', () => {
    const LINEAR = 1;
    const LOG_SPACE = 2;

    /** CTCLoss with the linear-space recursion on or off, recording the modes of its last call. */
    class ProbedCTC extends CTCLoss {
      readonly modes = { forward: [] as number[], backward: [] as number[] };
      constructor(
        options: CTCLossOptions,
        private readonly allowLinear: boolean,
      ) {
        super(options);
      }
      protected override get linearSpace(): boolean {
        return this.allowLinear;
      }
      protected override observeModes(modes: Uint8Array, after: 'forward' | 'backward'): void {
        this.modes[after] = Array.from(modes);
      }
    }

    /** Loss, gradient and the per-sample modes after forward and after backward. */
    function run(loss: CTCLoss, inputs: readonly (NDArray | null)[], linearSpace: boolean) {
      const probed = new ProbedCTC(
        {
          layout: loss.layout,
          labelLayout: loss.labelLayout,
          blankLabel: loss.blankLabel,
          zeroInfinity: loss.zeroInfinity,
          weight: loss.weight,
        },
        linearSpace,
      );
      const pred = inputs[0]!;
      pred.attachGrad();
      const out = record(() => probed.forward(...inputs));
      const afterForward = probed.modes.forward;
      out.backward();
      return {
        loss: Array.from(out.data),
        grad: Array.from(pred.grad!.data),
        afterForward,
        afterBackward: probed.modes.backward,
      };
    }

    /** Frames given as rows of logits, shaped (1, T, C) in `dtype`. */
    function frames(rows: number[][], dtype: DType = 'float64'): NDArray {
      return array([rows], { dtype });
    }

    for (const backend of ['wasm', 'js'] as const) {
      test(`random batches agree with the log-space path to rounding (${backend} kernels, both dtypes and layouts)`, () => {
        setKernelBackend(backend);
        try {
          const label = i32([
            [0, 1, 1, 2],
            [3, 3, 2, -1],
            [-1, -1, -1, -1],
            [2, 0, 2, 0],
          ]);
          for (const dtype of ['float64', 'float32'] as const) {
            for (const options of [{}, { layout: 'TNC' }] as CTCLossOptions[]) {
              const shape = options.layout === 'TNC' ? [30, 4, 5] : [4, 30, 5];
              const pred = logits(31, shape, 2, dtype);
              const inputs = [pred, label, i32([30, 25, 7, 30])];
              const loss = new CTCLoss(options);
              const linear = run(loss, inputs, true);
              const logSpace = run(loss, inputs, false);
              const what = `${dtype} ${JSON.stringify(options)}`;
              assert.deepEqual(linear.afterBackward, [LINEAR, LINEAR, LINEAR, LINEAR], `${what} modes`);
              assert.deepEqual(logSpace.afterForward, [LOG_SPACE, LOG_SPACE, LOG_SPACE, LOG_SPACE]);
              assertClose(linear.loss, logSpace.loss, 1e-12, 0, `${what} loss`);
              // The softmax term is the same in both; only γ comes from the other recursion.
              assertClose(linear.grad, logSpace.grad, 0, dtype === 'float64' ? 1e-13 : 2e-7, `${what} grad`);
            }
          }
        } finally {
          setKernelBackend('auto');
        }
      });
    }

    test('peaked frames underflow harmless states and stay in linear space, exactly', () => {
      // The label's class wins every frame by 60 nats: states off the best path fall below the
      // smallest float64 relative to it within a dozen frames, while p ≈ 1.
      const rows: number[][] = [];
      const path = [1, 1, 0, 2, 2, 2, 0, 1, 0, 3, 3, 0];
      for (let t = 0; t < 40; t++) {
        const row = [0, 0, 0, 0];
        row[path[Math.floor((t * path.length) / 40)]!] = 60;
        rows.push(row);
      }
      const inputs = [frames(rows), i32([[1, 2, 1, 3]])];
      const loss = new CTCLoss({ blankLabel: 'first' });
      const linear = run(loss, inputs, true);
      const logSpace = run(loss, inputs, false);
      assert.deepEqual(linear.afterBackward, [LINEAR]);
      assertClose(linear.loss, logSpace.loss, 1e-12, 1e-15, 'loss');
      assertClose(linear.grad, logSpace.grad, 0, 1e-13, 'grad');
    });

    test('the forward falls back when a path dropped by underflow would have dominated', () => {
      // Classes: 0 blank, 1 a, 2 b; label [a, b]. Frame 1 makes staying on a cost e^−750, which
      // underflows to 0 in linear space, but the frames after it cost every other alignment
      // e^−800: the true loss is ≈ 750, the linear recursion alone would give ≈ 800.
      const rows = [
        [0, 1000, 0],
        [-2000, -750, 0],
        [-400, 0, -400],
        [-400, 0, -400],
        [-1000, -1000, 0],
      ];
      for (const dtype of ['float64', 'float32'] as const) {
        const inputs = [frames(rows, dtype), i32([[1, 2]])];
        const loss = new CTCLoss({ blankLabel: 'first' });
        const result = run(loss, inputs, true);
        const logSpace = run(loss, inputs, false);
        assert.deepEqual(result.afterForward, [LOG_SPACE], dtype);
        assert.ok(Math.abs(result.loss[0]! - 750) < 1e-9, `${dtype} loss ${result.loss[0]}`);
        assertClose(result.loss, logSpace.loss, 0, 0, `${dtype} loss`);
        assertClose(result.grad, logSpace.grad, 0, 0, `${dtype} grad`);
        assertClose(result.loss, loss.reference(...inputs).data, 1e-12, 0, `${dtype} twin`);
      }
    });

    test('the backward falls back on its own when β underflows far above p', () => {
      // Classes: 0 blank, 1 a, 2 b, 3 unused. Every frame gives the label's classes e^−100, so
      // log p ≈ −800 and the forward's scales follow p down; the last frame's blank emission
      // (e^−1100) underflows, which for β happens at scale ≈ 1, e^800 above p.
      const rows: number[][] = [];
      for (let t = 0; t < 7; t++) rows.push([0, 0, 0, 100]);
      rows.push([-1000, 0, 0, 100]);
      const inputs = [frames(rows), i32([[1, 2]])];
      const loss = new CTCLoss({ blankLabel: 'first' });
      const result = run(loss, inputs, true);
      const logSpace = run(loss, inputs, false);
      assert.deepEqual(result.afterForward, [LINEAR]);
      assert.deepEqual(result.afterBackward, [LOG_SPACE]);
      assertClose(result.loss, logSpace.loss, 1e-12, 0, 'loss');
      // The fallback reads α converted from the rescaled forward (log α̂ + log C_t).
      assertClose(result.grad, logSpace.grad, 0, 1e-13, 'grad');
      // A second backward (retainGraph) starts from the converted α and gives the same.
      const pred = inputs[0]!;
      const out = record(() => loss.forward(...inputs));
      out.backward(null, { retainGraph: true });
      const first = Array.from(pred.grad!.data);
      out.backward();
      assertClose(Array.from(pred.grad!.data), first, 0, 0, 'second backward');
    });

    test('state buffers are reused only once the previous graph is freed', () => {
      const loss = new CTCLoss();
      const label = i32([
        [0, 1, -1],
        [2, 2, 1],
      ]);
      const [a, b, c] = [41, 42, 43].map((seed) => logits(seed, [2, 9, 4]).attachGrad());
      const fresh = (pred: NDArray) => lossAndGradient(new CTCLoss(), [pred, label]);
      const expected = [a, b, c].map((pred) => fresh(pred!));
      // a's graph is retained: b's call must not take a's state, or a's second pass reads b's α.
      const first = record(() => loss.forward(a!, label));
      first.backward(null, { retainGraph: true });
      const second = record(() => loss.forward(b!, label));
      second.backward();
      first.backward();
      assertClose(a!.grad!.data, expected[0]!.grad.data, 0, 1e-15, 'a after b');
      assertClose(b!.grad!.data, expected[1]!.grad.data, 0, 1e-15, 'b');
      // b's graph is freed: c's call may reuse b's buffers, and an unrecorded call too.
      const third = record(() => loss.forward(c!, label));
      assertClose(loss.forward(b!, label).data, expected[1]!.loss, 1e-15, 0, 'unrecorded b');
      third.backward();
      assertClose(third.data, expected[2]!.loss, 1e-15, 0, 'c loss');
      assertClose(c!.grad!.data, expected[2]!.grad.data, 0, 1e-15, 'c');
    });

    test('±1e30 and −∞ logits take the log-space path', () => {
      const label = i32([
        [0, 1],
        [2, 2],
      ]);
      const huge = run(new CTCLoss(), [logits(17, [2, 5, 4], 1e30), label], true);
      assert.deepEqual(huge.afterForward, [LOG_SPACE, LOG_SPACE]);
      // A −∞ logit on a class of the label in one frame: alignments avoiding it survive.
      const pred = logits(5, [2, 5, 4]);
      pred.data[1 * 4 + 0] = Number.NEGATIVE_INFINITY;
      const masked = run(new CTCLoss(), [pred, label], true);
      const reference = run(new CTCLoss(), [pred, label], false);
      assert.ok(masked.loss.every(Number.isFinite), `${masked.loss}`);
      assertClose(masked.loss, reference.loss, 1e-12, 0, 'masked loss');
      assertClose(masked.grad, reference.grad, 0, 1e-13, 'masked grad');
    });
  });
});

describe('CTCLoss blankLabel as a class index (PyTorch blank)', () => {
  const pred = normal(0, 1, [2, 5, 4], { dtype: 'float64', generator: new RandomGenerator(41) });

  test("index C − 1 is 'last', and index 0 is 'first' with −1 padding", () => {
    const labels = array(
      [
        [0, 2, -1],
        [1, 1, 0],
      ],
      { dtype: 'int32' },
    );
    assert.deepEqual(
      Array.from(new CTCLoss({ blankLabel: 3 }).forward(pred, labels).data),
      Array.from(new CTCLoss().forward(pred, labels).data),
    );
    const shifted = array(
      [
        [1, 3, 0],
        [2, 2, 1],
      ],
      { dtype: 'int32' },
    );
    const lengths = array([2, 3], { dtype: 'int32' });
    assert.deepEqual(
      Array.from(
        new CTCLoss({ blankLabel: 0 }).forward(
          pred,
          array(
            [
              [1, 3, -1],
              [2, 2, 1],
            ],
            { dtype: 'int32' },
          ),
        ).data,
      ),
      Array.from(new CTCLoss({ blankLabel: 'first' }).forward(pred, shifted, null, lengths).data),
    );
  });

  test('a middle blank equals the last blank with the classes permuted', () => {
    // Blank 1: classes (0, 1, 2, 3) → move class 1 to the end: (0, 2, 3, 1); labels 2 → 1, 3 → 2.
    const permuted = array(
      Array.from({ length: 2 }, (_, b) =>
        Array.from({ length: 5 }, (_, t) => [0, 2, 3, 1].map((c) => pred.data[(b * 5 + t) * 4 + c]!)),
      ),
      { dtype: 'float64' },
    );
    assertClose(
      new CTCLoss({ blankLabel: 1 }).forward(
        pred,
        array(
          [
            [0, 2, 3],
            [3, -1, -1],
          ],
          { dtype: 'int32' },
        ),
      ).data,
      new CTCLoss().forward(
        permuted,
        array(
          [
            [0, 1, 2],
            [2, -1, -1],
          ],
          { dtype: 'int32' },
        ),
      ).data,
      1e-14,
      0,
      'blank 1',
    );
  });

  test('the blank as a label, an index ≥ C, or a negative or fractional index are ValueErrors', () => {
    assert.throws(
      () =>
        new CTCLoss({ blankLabel: 1 }).forward(
          pred,
          array(
            [
              [1, 0],
              [0, 0],
            ],
            { dtype: 'int32' },
          ),
        ),
      ValueError,
    );
    assert.throws(
      () =>
        new CTCLoss({ blankLabel: 4 }).forward(
          pred,
          array(
            [
              [1, 0],
              [0, 0],
            ],
            { dtype: 'int32' },
          ),
        ),
      (e: Error) => e instanceof ValueError && /blankLabel 4 is not a class/.test(e.message),
    );
    for (const blankLabel of [-1, 1.5]) assert.throws(() => new CTCLoss({ blankLabel }), ValueError);
  });
});
