// CTCLoss edge cases: gradient rows and masks, infeasible samples, extreme activations, float
// labels and lengths, errors naming the argument, and sampleInputs.
import { sampleInputs } from './_sample-inputs.js';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { CTCLoss, type CTCLossOptions } from '../../src/loss/ctc.js';
import { array } from '../../src/ndarray/create.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { assertClose, f64, i32, logits, lossAndGradient } from './_ctc-test-helpers.js';

describe('CTCLoss edge cases', () => {
  test('each gradient row sums to 0; frames beyond predLengths get 0; the mask equals truncation', () => {
    const pred = logits(15, [3, 8, 5]);
    const label = i32([
      [0, 1, 2],
      [3, 3, -1],
      [1, -1, -1],
    ]);
    const predLengths = i32([8, 5, 2]);
    const { loss, grad: dPred } = lossAndGradient(
      new CTCLoss(),
      [pred, label, predLengths],
      f64([1, 2, 0.5]),
    );
    for (let b = 0; b < 3; b++) {
      for (let t = 0; t < 8; t++) {
        const row = Array.from(dPred.data.subarray((b * 8 + t) * 5, (b * 8 + t + 1) * 5));
        if (t >= predLengths.data[b]!) assert.deepEqual(row, [0, 0, 0, 0, 0], `b${b} t${t} masked`);
        else assert.ok(Math.abs(row.reduce((s, v) => s + v, 0)) < 1e-13, `b${b} t${t} sums to ${row}`);
      }
      // The masked sample equals the same sample cut to its frames.
      const frames = predLengths.data[b]!;
      const cut = f64(Array.from(pred.data.subarray(b * 40, b * 40 + frames * 5))).reshape([1, frames, 5]);
      const row = Array.from(label.data.subarray(b * 3, b * 3 + Math.min(3, frames)));
      const alone = lossAndGradient(new CTCLoss(), [cut, i32([row])]);
      assertClose([loss[b]!], alone.loss, 1e-14, 0, `sample ${b} loss`);
      const scale = [1, 2, 0.5][b]!;
      assertClose(
        dPred.data.subarray(b * 40, b * 40 + frames * 5),
        alone.grad.data.map((v) => v * scale),
        1e-13,
        1e-15,
        `sample ${b} grad`,
      );
    }
  });

  test('infeasible samples: +Infinity (or 0 with zeroInfinity) and a zero gradient; others unaffected', () => {
    const pred = logits(16, [3, 4, 4]);
    const label = i32([
      [0, 0, 0],
      [1, 2, -1],
      [2, 2, 1],
    ]); // needs 5, 2 and 4 frames
    const reference = lossAndGradient(new CTCLoss(), [
      pred,
      i32([[1, 2, -1]])
        .reshape([1, 3])
        .broadcastTo([3, 3]),
    ]);
    for (const zeroInfinity of [false, true]) {
      const { loss, grad: dPred } = lossAndGradient(new CTCLoss({ zeroInfinity }), [
        pred,
        label,
        i32([4, 4, 3]),
      ]);
      const bad = zeroInfinity ? 0 : Number.POSITIVE_INFINITY;
      assert.equal(loss[0], bad);
      assert.equal(loss[2], bad);
      assertClose([loss[1]!], [reference.loss[1]!], 1e-15, 0, 'feasible sample');
      assert.ok(dPred.data.subarray(0, 16).every((v) => v === 0));
      assert.ok(dPred.data.subarray(32, 48).every((v) => v === 0));
      assertClose(
        dPred.data.subarray(16, 32),
        reference.grad.data.subarray(16, 32),
        0,
        0,
        'feasible gradient',
      );
    }
    // A −∞ logit on the only path makes the label impossible too.
    const masked = pred.copy();
    for (let t = 0; t < 4; t++) masked.data[t * 4 + 1] = Number.NEGATIVE_INFINITY;
    const { loss, grad: dPred } = lossAndGradient(new CTCLoss(), [
      masked,
      i32([
        [1, -1],
        [0, -1],
        [0, -1],
      ]),
    ]);
    assert.equal(loss[0], Number.POSITIVE_INFINITY);
    assert.ok(dPred.data.subarray(0, 16).every((v) => v === 0));
    assert.ok(Number.isFinite(loss[1]!) && Number.isFinite(loss[2]!));
  });

  test('extreme activations (±1e3, ±1e4, ±1e30) keep losses and gradients finite, in float64 and float32', () => {
    for (const scale of [1e3, 1e4]) {
      for (const dtype of ['float64', 'float32'] as const) {
        const pred = logits(17, [3, 7, 5], scale, dtype);
        const label = i32([
          [0, 1, 2],
          [3, 3, -1],
          [1, 0, 1],
        ]);
        const { loss, grad: dPred } = lossAndGradient(new CTCLoss(), [pred, label]);
        assert.ok(
          loss.every((v) => Number.isFinite(v) && v >= 0),
          `${scale} ${dtype} loss ${loss}`,
        );
        assert.ok(
          dPred.data.every((v) => Number.isFinite(v) && Math.abs(v) <= 1 + 1e-6),
          `${scale} ${dtype} grad`,
        );
        // The twin agrees (log space throughout, so nothing under- or overflows).
        const twin = new CTCLoss().reference(pred, label);
        assertClose(loss, twin.data, dtype === 'float64' ? 1e-12 : 1e-6, 0, `${scale} ${dtype} twin`);
      }
    }
    // At ±1e30 the rounding in α + β is ~1e15 nats; the per-frame normalised occupancy still
    // gives bounded gradients whose rows sum to 0.
    const huge = lossAndGradient(new CTCLoss(), [
      logits(17, [2, 5, 4], 1e30),
      i32([
        [0, 1],
        [2, 2],
      ]),
    ]);
    assert.ok(huge.loss.every(Number.isFinite), `1e30 loss ${huge.loss}`);
    for (let row = 0; row < 10; row++) {
      const values = Array.from(huge.grad.data.subarray(row * 4, row * 4 + 4));
      assert.ok(
        values.every((v) => Number.isFinite(v) && Math.abs(v) <= 1 + 1e-12),
        `1e30 grad row ${row}: ${values}`,
      );
      assert.ok(
        Math.abs(values.reduce((a, v) => a + v, 0)) < 1e-12,
        `1e30 grad row ${row} sums to ${values}`,
      );
    }
  });

  test('labels and lengths may be float arrays holding integers', () => {
    const pred = logits(18, [2, 6, 4]);
    const asInt = new CTCLoss().forward(
      pred,
      i32([
        [0, 1, -1],
        [2, 2, 1],
      ]),
      i32([6, 5]),
      i32([2, 3]),
    );
    const asFloat = new CTCLoss().forward(
      pred,
      f64([
        [0, 1, -1],
        [2, 2, 1],
      ]),
      f64([6, 5]),
      f64([2, 3]),
    );
    assert.deepEqual(Array.from(asFloat.data), Array.from(asInt.data));
    const nested = new CTCLoss().forward(
      pred,
      [
        [0, 1, -1],
        [2, 2, 1],
      ],
      [6, 5],
      [2, 3],
    );
    assert.deepEqual(Array.from(nested.data), Array.from(asInt.data));
  });

  test('errors: shapes, label values, lengths and options', () => {
    const pred = logits(19, [2, 4, 3]);
    const label = i32([
      [0, 1],
      [1, -1],
    ]);
    const shape = (f: () => unknown, what: string) => assert.throws(f, ShapeError, what);
    const value = (f: () => unknown, what: string) => assert.throws(f, ValueError, what);
    const loss = new CTCLoss();
    shape(() => loss.forward(logits(1, [2, 4]), label), 'pred rank 2');
    shape(() => loss.forward(pred, i32([0, 1])), 'label rank 1');
    shape(() => loss.forward(pred, i32([[0], [1], [1]])), 'batch mismatch');
    shape(
      () =>
        new CTCLoss({ labelLayout: 'TN' }).forward(pred, label.reshape([2, 2]).transpose().reshape([1, 4])),
      'TN batch',
    );
    shape(
      () =>
        loss.forward(
          pred,
          i32([
            [0, 1, 0, 1, 0],
            [1, 0, 1, 0, 1],
          ]),
        ),
      'L > T',
    );
    shape(() => loss.forward(pred, label, i32([4, 4, 4])), 'predLengths count');
    shape(
      () => loss.forward(pred, label, null, null, f64([[1, 2]])),
      'sampleWeight (1, 2) would grow the loss',
    );
    value(
      () =>
        loss.forward(
          pred,
          i32([
            [0, 2],
            [1, -1],
          ]),
        ),
      'label equal to the blank',
    );
    value(
      () =>
        loss.forward(
          pred,
          i32([
            [0, 3],
            [1, -1],
          ]),
        ),
      'label = C',
    );
    value(
      () =>
        loss.forward(
          pred,
          i32([
            [-2, 1],
            [1, -1],
          ]),
        ),
      'label -2',
    );
    value(
      () =>
        loss.forward(
          pred,
          f64([
            [0.5, 1],
            [1, -1],
          ]),
        ),
      'label not an integer',
    );
    value(
      () =>
        loss.forward(
          pred,
          f64([
            [Number.NaN, 1],
            [1, -1],
          ]),
        ),
      'label NaN',
    );
    value(
      () =>
        loss.forward(
          pred,
          i32([
            [0, -1],
            [1, -1],
          ]),
          null,
          i32([2, 1]),
        ),
      '-1 inside labelLengths',
    );
    value(
      () =>
        new CTCLoss({ blankLabel: 'first' }).forward(
          pred,
          i32([
            [3, 1],
            [1, 0],
          ]),
        ),
      'blank first: C',
    );
    value(
      () =>
        new CTCLoss({ blankLabel: 'first' }).forward(
          pred,
          i32([
            [1, 0],
            [2, 2],
          ]),
          null,
          i32([2, 2]),
        ),
      'blank first: 0 used',
    );
    value(() => loss.forward(pred, label, i32([5, 4])), 'predLengths > T');
    value(() => loss.forward(pred, label, i32([-1, 4])), 'predLengths < 0');
    value(() => loss.forward(pred, label, f64([2.5, 4])), 'predLengths not an integer');
    value(() => loss.forward(pred, label, f64([Number.NaN, 4])), 'predLengths NaN');
    value(() => loss.forward(pred, label, null, i32([3, 1])), 'labelLengths > L');
    value(() => loss.forward(pred, label, null, i32([1, -1])), 'labelLengths < 0');
    value(() => new CTCLoss({ layout: 'NCT' as 'NTC' }), 'layout');
    value(() => new CTCLoss({ labelLayout: 'nt' as 'NT' }), 'labelLayout is case-sensitive');
    value(() => new CTCLoss({ blankLabel: 'middle' as 'last' }), 'blankLabel');
    value(() => new CTCLoss({ zeroInfinity: 1 as unknown as boolean }), 'zeroInfinity');
    value(() => new CTCLoss({ weight: Number.NaN }), 'weight');
    value(() => new CTCLoss({ batchAxis: 1 } as CTCLossOptions), 'no batchAxis option');
    value(() => new CTCLoss({ blank: 'last' } as CTCLossOptions), 'unknown option');
    assert.throws(
      () =>
        loss.forward(
          pred,
          i32([
            [0, 3],
            [1, -1],
          ]),
        ),
      /CTCLoss: label value 3 of sample 0 at position 1/,
    );
  });

  test('sampleInputs give a feasible batch the fused kernel and the twin agree on', () => {
    const loss = new CTCLoss();
    for (const extreme of [undefined, 1e3]) {
      const inputs = sampleInputs(loss, new RandomGenerator(20), 'float64', extreme)!;
      const fused = loss.forward(...inputs);
      assert.ok(Array.from(fused.data).every(Number.isFinite));
      assertClose(fused.data, loss.reference(...inputs).data, 1e-12, 0, `sampleInputs ${extreme}`);
    }
  });

  test('a float32 gradient whose terms exceed float32 but whose value does not stays finite', () => {
    // dℓ = 9e38 (weight 3 × sampleWeight 3e38): dℓ·y overflows float32 before dℓ·γ is subtracted,
    // while dℓ·(y − γ) = ±1.5e38 fits. Sample 1 (weight 1) must not change.
    for (const backend of ['js', 'wasm'] as const) {
      for (const layout of ['NTC', 'TNC'] as const) {
        setKernelBackend(backend);
        const pred = array(
          new Array(2).fill([
            [0, 0],
            [0, 0],
          ]),
        ).attachGrad();
        const loss = new CTCLoss({ weight: 3, layout });
        const out = record(() => loss.forward(pred, i32([[0], [0]]), null, null, array([3e38, 1])));
        out.backward();
        const big = layout === 'NTC' ? [0, 1, 2, 3] : [0, 1, 4, 5];
        Array.from(pred.grad!.data).forEach((g, k) => {
          const expected = (big.includes(k) ? 9e38 : 3) * (k % 2 === 0 ? -1 / 6 : 1 / 6);
          assert.ok(
            Math.abs(g - expected) <= 1e-6 * Math.abs(expected),
            `${backend} ${layout} [${k}]: ${g}, expected ${expected}`,
          );
        });
      }
    }
    setKernelBackend('auto');
  });
});
