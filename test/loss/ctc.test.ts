// CTCLoss values and gradients: conformance cases, MXNet's own test, closed forms, finite
// differences, the composed twin and second derivatives.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { grad, record } from '../../src/autograd/index.js';
import { type CaseFile, runFile } from '../../src/conformance/run.js';
import { CTCLoss, type CTCLossOptions } from '../../src/loss/ctc.js';
import { array, ones } from '../../src/ndarray/create.js';
import { ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { checkGradient } from '../../src/testing/gradcheck.js';
import { assertClose, CASES, f64, i32, logits, logSoftmaxRow, lossAndGradient } from './_ctc-test-helpers.js';

describe('CTCLoss', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`conformance cases (${dtype})`, () => {
      const file = JSON.parse(readFileSync(CASES, 'utf8')) as CaseFile;
      const results = runFile(file, dtype);
      const failed = results.filter((r) => !r.passed).map((r) => `${r.id}: ${r.message}`);
      assert.deepEqual(failed, []);
      assert.ok(results.length >= 35, `only ${results.length} cases ran`);
    });
  }

  test('MXNet test_ctc_loss: all six calls give [18.82820702, 16.50581741]', () => {
    const expected = [18.82820702, 16.50581741];
    const check = (out: NDArray, what: string) => {
      assert.deepEqual(out.shape, [2]);
      // MXNet's assert_almost_equal default for float32 (|a − b| ≤ 1e-3 + 1e-4·|b|) ...
      assertClose(out.data, expected, 1e-4, 1e-3, what);
      // ... and the float64 reference values, tightly.
      if (out.dtype === 'float64')
        assertClose(out.data, [18.8282049089, 16.5058171887], 1e-10, 0, `${what} (float64)`);
    };
    // Calls 4–6 of the MXNet test use the label 3 with C = 4, which is the blank; MXNet accepts
    // it (with uniform activations only the label length and the repeats matter) but gloss
    // rejects it (DECISIONS 13a). Here 3 becomes 0, which keeps the lengths and the repeats.
    for (const dtype of ['float32', 'float64'] as const) {
      const labels = [
        [1, 0, -1, -1],
        [2, 1, 1, -1],
      ];
      const transposed = [
        [1, 2],
        [0, 1],
        [-1, 1],
        [-1, -1],
      ];
      check(new CTCLoss().forward(ones([2, 20, 4], { dtype }), array(labels, { dtype })), `1 ${dtype}`);
      check(
        new CTCLoss({ layout: 'TNC' }).forward(ones([20, 2, 4], { dtype }), array(labels, { dtype })),
        `2 ${dtype}`,
      );
      check(
        new CTCLoss({ layout: 'TNC', labelLayout: 'TN' }).forward(
          ones([20, 2, 4], { dtype }),
          array(transposed, { dtype }),
        ),
        `3 ${dtype}`,
      );
      check(
        new CTCLoss().forward(
          ones([2, 20, 4], { dtype }),
          array(
            [
              [2, 1, 2, 2],
              [0, 2, 2, 2],
            ],
            { dtype },
          ),
          null,
          array([2, 3], { dtype }),
        ),
        `4 ${dtype}`,
      );
      check(
        new CTCLoss().forward(
          ones([2, 25, 4], { dtype }),
          array(
            [
              [2, 1, -1, -1],
              [0, 2, 2, -1],
            ],
            { dtype },
          ),
          array([20, 20], { dtype }),
        ),
        `5 ${dtype}`,
      );
      check(
        new CTCLoss().forward(
          ones([2, 25, 4], { dtype }),
          array(
            [
              [2, 1, 3, 3],
              [0, 2, 2, 3],
            ],
            { dtype },
          ),
          array([20, 20], { dtype }),
          array([2, 3], { dtype }),
        ),
        `6 ${dtype}`,
      );
    }
    // The literal MXNet labels of calls 4–6 hold the blank inside the used part: a ValueError.
    assert.throws(
      () =>
        new CTCLoss().forward(
          ones([2, 20, 4]),
          array([
            [2, 1, 2, 2],
            [3, 2, 2, 2],
          ]),
          null,
          array([2, 3]),
        ),
      ValueError,
    );
    assert.throws(
      () =>
        new CTCLoss().forward(
          ones([2, 25, 4]),
          array([
            [2, 1, -1, -1],
            [3, 2, 2, -1],
          ]),
          array([20, 20]),
        ),
      ValueError,
    );
  });

  test('T equal to the label length with distinct labels: exactly one path', () => {
    const pred = logits(1, [2, 4, 6]);
    const label = i32([
      [0, 3, 1, 4],
      [2, 1, 0, 3],
    ]);
    const { loss, grad: dPred } = lossAndGradient(new CTCLoss(), [pred, label]);
    for (let b = 0; b < 2; b++) {
      let expected = 0;
      for (let t = 0; t < 4; t++) {
        const row = logSoftmaxRow(pred.data.subarray((b * 4 + t) * 6, (b * 4 + t + 1) * 6));
        const target = label.data[b * 4 + t]!;
        expected -= row[target]!;
        // One path: γ is the one-hot of the label at every frame, so the gradient is softmax − onehot.
        const gradRow = Array.from(dPred.data.subarray((b * 4 + t) * 6, (b * 4 + t + 1) * 6));
        assertClose(
          gradRow,
          row.map((v, k) => Math.exp(v) - (k === target ? 1 : 0)),
          1e-12,
          1e-14,
          `grad b${b} t${t}`,
        );
      }
      assertClose([loss[b]!], [expected], 1e-13, 0, `loss ${b}`);
    }
  });

  test('empty label: −Σ_t log p_t(blank), for either blank', () => {
    const pred = logits(2, [1, 5, 3]);
    let expectedLast = 0;
    let expectedFirst = 0;
    for (let t = 0; t < 5; t++) {
      const row = logSoftmaxRow(pred.data.subarray(t * 3, t * 3 + 3));
      expectedLast -= row[2]!;
      expectedFirst -= row[0]!;
    }
    assertClose(new CTCLoss().forward(pred, i32([[-1, -1]])).data, [expectedLast], 1e-13, 0, 'blank last');
    assertClose(
      new CTCLoss({ blankLabel: 'first' }).forward(pred, i32([[0, 2]])).data,
      [expectedFirst],
      1e-13,
      0,
      'blank first',
    );
    assertClose(
      new CTCLoss().forward(pred, i32([[1, 1]]), null, i32([0])).data,
      [expectedLast],
      1e-13,
      0,
      'labelLengths 0',
    );
    // No frames and no label: probability 1.
    assertClose(new CTCLoss().forward(pred, i32([[-1, -1]]), i32([0])).data, [0], 0, 0, 'no frames');
  });

  test('blankLabel first equals blankLabel last with the classes rotated', () => {
    const pred = logits(3, [2, 7, 4]);
    const rotated = f64(
      Array.from({ length: 2 * 7 }, (_, r) => [1, 2, 3, 0].map((k) => pred.data[r * 4 + k]!)),
    ).reshape([2, 7, 4]);
    // class k (blank first) is class k − 1 (blank last); blank 0 becomes blank 3.
    const last = lossAndGradient(new CTCLoss(), [
      rotated,
      i32([
        [0, 0, 2],
        [1, -1, -1],
      ]),
    ]);
    const first = lossAndGradient(new CTCLoss({ blankLabel: 'first' }), [
      pred,
      i32([
        [1, 1, 3],
        [2, 0, 0],
      ]),
    ]);
    assertClose(first.loss, last.loss, 1e-13, 0, 'loss');
    const back = Array.from({ length: 2 * 7 }, (_, r) =>
      [3, 0, 1, 2].map((k) => last.grad.data[r * 4 + k]!),
    ).flat();
    assertClose(first.grad.data, back, 1e-12, 1e-14, 'grad');
  });

  test('gradients match finite differences (float64), with lengths, layouts and sampleWeight', () => {
    const cases: [CTCLossOptions, (NDArray | null)[]][] = [
      [
        {},
        [
          logits(4, [2, 6, 4]),
          i32([
            [0, 1, 1],
            [2, -1, -1],
          ]),
        ],
      ],
      [
        {},
        [
          logits(5, [3, 5, 3]),
          i32([
            [0, 1],
            [1, 1],
            [0, -1],
          ]),
          i32([5, 3, 2]),
          null,
          f64([0.5, 2, -1]),
        ],
      ],
      [
        { layout: 'TNC', labelLayout: 'TN', weight: 1.5 },
        [
          logits(6, [6, 2, 4]),
          i32([
            [2, 1],
            [0, 1],
            [0, 2],
          ]),
          null,
          i32([3, 1]),
        ],
      ],
      [
        { blankLabel: 'first' },
        [
          logits(7, [2, 5, 4]),
          i32([
            [3, 3, 0],
            [1, 2, 3],
          ]),
          i32([4, 5]),
        ],
      ],
    ];
    for (const [options, inputs] of cases) {
      const loss = new CTCLoss(options);
      const positions = inputs.map((x) => x !== null);
      const given = inputs.filter((x): x is NDArray => x !== null);
      const f = (...xs: NDArray[]) => {
        let k = 0;
        return loss.forward(...positions.map((p) => (p ? xs[k++]! : null)));
      };
      const result = checkGradient(f, given, { rtol: 1e-6, atol: 1e-8 });
      assert.ok(result.ok, `${JSON.stringify(options)}: worst ${result.worst}`);
      assert.ok(
        result.analytic[0]!.some((v) => Math.abs(v) > 1e-3),
        'the gradient is not trivially zero',
      );
    }
  });

  test('the fused loss equals the composed twin (values and gradients)', () => {
    const cases: [CTCLossOptions, (NDArray | null)[]][] = [
      [
        {},
        [
          logits(8, [3, 9, 5]),
          i32([
            [0, 1, 1, 2],
            [3, 3, -1, -1],
            [-1, -1, -1, -1],
          ]),
        ],
      ],
      [
        { layout: 'TNC' },
        [
          logits(9, [8, 3, 4]),
          i32([
            [0, 1, 2],
            [2, 2, 2],
            [1, -1, -1],
          ]),
          i32([8, 6, 1]),
        ],
      ],
      [
        { labelLayout: 'TN', blankLabel: 'first' },
        [
          logits(10, [2, 7, 4]),
          i32([
            [1, 3],
            [1, 2],
            [2, 0],
          ]),
          null,
          i32([3, 2]),
        ],
      ],
      [
        { zeroInfinity: true },
        [
          logits(11, [3, 4, 4]),
          i32([
            [0, 0, 0],
            [1, 2, -1],
            [2, 2, -1],
          ]),
        ],
      ],
      [
        {},
        [
          logits(12, [2, 6, 3], 1e3),
          i32([
            [0, 1, 0],
            [1, 1, -1],
          ]),
        ],
      ],
    ];
    for (const [options, inputs] of cases) {
      const loss = new CTCLoss(options);
      const fused = lossAndGradient(loss, inputs);
      const pred = inputs[0]!;
      const out = record(() => loss.reference(...inputs));
      const [twinGrad] = grad(out, [pred]);
      const what = JSON.stringify(options);
      assertClose(fused.loss, Array.from(out.data), 1e-12, 0, `${what} loss`);
      assertClose(fused.grad.data, twinGrad!.data, 1e-9, 1e-12, `${what} grad`);
    }
  });

  test('second derivatives: double backward (twin) matches finite differences of the gradient', () => {
    const pred = logits(13, [2, 4, 3]);
    const label = i32([
      [0, 1],
      [1, -1],
    ]);
    const predLengths = i32([4, 3]);
    const loss = new CTCLoss();
    const direction = logits(14, [2, 4, 3]);
    // Hessian-vector product H·v through autograd.grad({createGraph}) and a second grad.
    pred.attachGrad();
    const out = record(() => loss.forward(pred, label, predLengths));
    const [first] = grad(out, [pred], { createGraph: true });
    const projected = record(() => first!.mul(direction).sum());
    const [hessianVector] = grad(projected, [pred]);
    // Central differences of the fused first derivative along v.
    const step = 1e-5;
    const gradientAt = (sign: number) => {
      const shifted = pred.add(direction.mul(sign * step));
      return lossAndGradient(loss, [shifted, label, predLengths]).grad.data;
    };
    const plus = gradientAt(1);
    const minus = gradientAt(-1);
    const numeric = Array.from(plus, (v, i) => (v - minus[i]!) / (2 * step));
    assertClose(hessianVector!.data, numeric, 1e-5, 1e-7, 'H·v');
    assert.ok(
      numeric.some((v) => Math.abs(v) > 1e-2),
      'the curvature is not trivially zero',
    );
    // Masked frames (t ≥ predLengths) have no curvature either.
    for (let k = 0; k < 3; k++) assert.equal(hessianVector!.data[(1 * 4 + 3) * 3 + k], 0);
  });
});
