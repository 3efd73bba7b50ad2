// The `reduction` option of the base, on real losses with closed forms: each reduction's value and
// shape, its gradients on the one-pass and the block path, sampleWeight's gradient under 'none',
// second derivatives through the twin, the squeezed class axis, and a meanDenominator of 0.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { grad, record } from '../../../src/autograd/index.js';
import {
  type BackwardBlockCall,
  type ForwardBlockCall,
  Loss,
  type LossOptions,
  type LossReduction,
  type Prepared,
} from '../../../src/loss/_base/index.js';
import {
  CosineSimilarityLoss,
  KLDivLoss,
  L2Loss,
  NLLLoss,
  SoftmaxCrossEntropyLoss,
  SoftmaxFocalLoss,
} from '../../../src/loss/index.js';
import { array } from '../../../src/ndarray/create.js';
import { ValueError } from '../../../src/ndarray/errors.js';
import type { NDArray } from '../../../src/ndarray/ndarray.js';
import { square } from '../../../src/ops/elementwise.js';
import { conformanceCommand } from '../../../src/cli/conformance.js';
import { assertClose } from '../../ops/_op-checks.js';

const f64 = { dtype: 'float64' } as const;
const close = { rtol: 1e-14, atol: 0 };
// L2Loss: ℓ = ½(x − y)², here with y = 0 and per-sample weights [1, 2].
const x0 = [
  [1, 2],
  [3, 4],
];
const zeros = [
  [0, 0],
  [0, 0],
];
const perSampleWeight = [1, 2];
const weightedNone = [
  [0.5, 2],
  [9, 16],
];
const weightedSum = 27.5;

/** L2's value under `reduction` for x0, y = 0, sampleWeight [1, 2]; `pred` may record. */
function l2(reduction: LossReduction, pred: NDArray = array(x0, f64)): NDArray {
  return new L2Loss({ reduction }).forward(pred, array(zeros, f64), array(perSampleWeight, f64));
}

describe('reduction option: values and shapes', () => {
  test("'perSample' is Gluon's per-sample mean, and the default", () => {
    assertClose(l2('perSample'), [1.25, 12.5], close);
    assert.equal(new L2Loss().reduction, 'perSample');
  });

  test("'none' is the weighted ℓ in the prediction's shape", () => {
    assertClose(l2('none'), weightedNone, close);
  });

  test("'sum', 'mean' and 'batchmean' are 0-d: the sum, over the element count, over the batch", () => {
    for (const [reduction, value] of [
      ['sum', weightedSum],
      ['mean', weightedSum / 4],
      ['batchmean', weightedSum / 2],
    ] as const) {
      const out = l2(reduction);
      assert.deepEqual([...out.shape], [], reduction);
      assertClose(out.data, [value], { ...close, message: reduction });
    }
  });

  test('the scalar weight applies before each reduction', () => {
    const loss = new L2Loss({ reduction: 'sum', weight: 3 });
    const out = loss.forward(array(x0, f64), array(zeros, f64));
    assertClose(out.data, [3 * (0.5 + 2 + 4.5 + 8)], close);
  });

  test('a class-axis loss leaves the class axis out of ℓ: SoftmaxCE (N, T, C) gives (N, T)', () => {
    const pred = array(
      [
        [
          [1, 2, 0],
          [0, 0, 0],
        ],
        [
          [3, -1, 2],
          [0.5, 0.5, 1],
        ],
      ],
      f64,
    );
    const label = array(
      [
        [1, 0],
        [2, 2],
      ],
      f64,
    );
    const none = new SoftmaxCrossEntropyLoss({ reduction: 'none' }).forward(pred, label);
    assert.deepEqual([...none.shape], [2, 2]);
    const logSumExp = (row: number[]) => Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
    const rows = pred.toArray() as number[][][];
    const expected = rows.map((sample, n) =>
      sample.map((row, t) => logSumExp(row) - row[(label.toArray() as number[][])[n]![t]!]!),
    );
    assertClose(none, expected, { rtol: 1e-13, atol: 0 });
    const perSample = new SoftmaxCrossEntropyLoss().forward(pred, label);
    assertClose(
      perSample,
      [(expected[0]![0]! + expected[0]![1]!) / 2, (expected[1]![0]! + expected[1]![1]!) / 2],
      {
        rtol: 1e-13,
        atol: 0,
      },
    );
  });

  test("NLL, SoftmaxFocal and CosineSimilarity leave their reduced axis out of 'none' too (PyTorch's nll_loss gives (N, d) for (N, C, d))", () => {
    // (2, 3, 4): the class (or vector) axis is 1 or the last; 'none' drops it, as SoftmaxCE does.
    const values = Array.from({ length: 24 }, (_, k) => Math.sin(k + 1) - 0.2);
    const pred = array(values, f64).reshape([2, 3, 4]);
    const other = array(
      values.map((v) => Math.cos(3 * v)),
      f64,
    ).reshape([2, 3, 4]);
    for (const [axis, classes, rows] of [
      [1, 3, [2, 4]],
      [-1, 4, [2, 3]],
    ] as const) {
      const labels = array(
        Array.from({ length: rows[0] * rows[1] }, (_, r) => r % classes),
        { dtype: 'int32' },
      ).reshape([...rows]);
      const losses = [
        new NLLLoss({ axis, reduction: 'none' }).forward(pred, labels),
        new SoftmaxFocalLoss({ axis, reduction: 'none' }).forward(pred, labels),
        new CosineSimilarityLoss({ axis, reduction: 'none' }).forward(pred, other),
      ];
      for (const none of losses) assert.deepEqual([...none.shape], [...rows], `axis ${axis}`);
      // NLL's ℓ is −logProb at the label, row by row in the order of the remaining axes.
      const at = (n: number, c: number, j: number) =>
        axis === 1 ? values[n * 12 + c * 4 + j]! : values[n * 12 + j * 4 + c]!;
      const expected = Array.from({ length: rows[0] * rows[1] }, (_, r) => {
        const n = Math.floor(r / rows[1]);
        return -at(n, r % classes, r % rows[1]);
      });
      assertClose(losses[0]!.data, expected, { rtol: 0, atol: 0 });
    }
  });

  test("KLDiv: 'none' is elementwise by default and per distribution with classReduction 'sum'", () => {
    const pred = array([[Math.log(0.25), Math.log(0.75)]], f64);
    const label = array([[0.5, 0.5]], f64);
    const elementwise = new KLDivLoss({ reduction: 'none' }).forward(pred, label);
    assert.deepEqual([...elementwise.shape], [1, 2]);
    const summed = new KLDivLoss({ reduction: 'none', classReduction: 'sum' }).forward(pred, label);
    assert.deepEqual([...summed.shape], [1]);
    const kl = 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75);
    assertClose(summed.data, [kl], { rtol: 1e-10, atol: 0 }); // Gluon's ε in log(label + ε)
    const batchmean = new KLDivLoss({ reduction: 'batchmean' }).forward(pred, label);
    assertClose(batchmean.data, [kl], { rtol: 1e-10, atol: 0 });
  });

  test('reference() follows the reduction', () => {
    for (const reduction of ['none', 'sum', 'mean', 'batchmean', 'perSample'] as const) {
      const loss = new L2Loss({ reduction });
      const inputs = [array(x0, f64), array(zeros, f64), array(perSampleWeight, f64)];
      const out = loss.forward(...inputs);
      const reference = loss.reference(...inputs);
      assert.deepEqual([...reference.shape], [...out.shape], reduction);
      assertClose(reference.data, out.data, { ...close, message: reduction });
    }
  });

  test('an unknown reduction is a ValueError naming the loss, the option and the choices', () => {
    assert.throws(
      () => new L2Loss({ reduction: 'avg' as never }),
      (error: unknown) =>
        error instanceof ValueError &&
        /^L2Loss: option reduction must be one of 'perSample', 'none', 'sum', 'mean', 'batchmean', got "avg"/.test(
          error.message,
        ),
    );
  });
});

describe('reduction option: gradients', () => {
  // d/dx of Σ ½ s_n x² is s_n · x.
  const dSum = [
    [1, 2],
    [6, 8],
  ];
  const scaled = (factor: number) => dSum.map((row) => row.map((v) => v * factor));

  for (const [reduction, factor] of [
    ['sum', 1],
    ['mean', 1 / 4],
    ['batchmean', 1 / 2],
  ] as const) {
    test(`'${reduction}': one-pass and block paths give the gradient of the number`, () => {
      // One pass: only pred needs a gradient.
      const x = array(x0, f64).attachGrad();
      record(() => l2(reduction, x)).backward();
      assertClose(x.grad!, scaled(factor), close);
      // Block path: the label needs a gradient too.
      const x2 = array(x0, f64).attachGrad();
      const label = array(zeros, f64).attachGrad();
      const out = record(() => new L2Loss({ reduction }).forward(x2, label, array(perSampleWeight, f64)));
      out.backward(array(2, f64));
      assertClose(x2.grad!, scaled(2 * factor), close);
      assertClose(label.grad!, scaled(-2 * factor), close);
    });
  }

  test("'none': a head of one value per element; sampleWeight's gradient is ℓ times the head", () => {
    const x = array(x0, f64).attachGrad();
    const weight = array(perSampleWeight, f64).attachGrad();
    const head = array(
      [
        [1, -1],
        [0.5, 2],
      ],
      f64,
    );
    const out = record(() => new L2Loss({ reduction: 'none' }).forward(x, array(zeros, f64), weight));
    out.backward(head);
    assertClose(
      x.grad!,
      [
        [1, -2],
        [3, 16],
      ],
      close,
    );
    // ∂/∂s_n of Σ_j h_nj · s_n · ½x_nj²: [0.5 − 2, 0.5·4.5 + 2·8].
    assertClose(weight.grad!, [-1.5, 18.25], close);
    // Only pred recorded: 'none' still takes the block path and gives the same gradient.
    const x2 = array(x0, f64).attachGrad();
    record(() => l2('none', x2)).backward(head);
    assertClose(x2.grad!, x.grad!, close);
  });

  test('createGraph differentiates the twin under each reduction (second derivatives)', () => {
    for (const [reduction, factor] of [
      ['sum', 1],
      ['mean', 1 / 4],
      ['batchmean', 1 / 2],
      ['none', 1],
    ] as const) {
      const x = array(x0, f64).attachGrad();
      const [dx] = record(() => {
        const out = l2(reduction, x);
        return grad([out], [x], { createGraph: true });
      });
      assertClose(dx!, scaled(factor), { ...close, message: reduction });
      // d/dx Σ (dL/dx)² = 2 · dL/dx · d²L/dx², with d²L/dx² = s_n · factor.
      const [ddx] = grad([record(() => square(dx!).sum())], [x]);
      const expected = scaled(factor).map((row, n) => row.map((v) => 2 * v * perSampleWeight[n]! * factor));
      assertClose(ddx!, expected, { ...close, message: reduction });
    }
  });
});

/** ℓ = x elementwise, with a meanDenominator that counts the positive labels (0 when none). */
class CountedLoss extends Loss<undefined, undefined> {
  static override readonly lossName = 'CountedLoss';
  override readonly inputNames = ['pred', 'label'];

  constructor(options: LossOptions = {}) {
    super(options, []);
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Prepared<undefined> {
    const [x, y] = inputs as NDArray[];
    return { arrays: [x!, y!], sources: [0, 1], lossShape: x!.shape, batchAxis: 0 };
  }

  protected override meanDenominator(prepared: Prepared<undefined>): number {
    return Array.from(prepared.arrays[1]!.data).filter((v) => v > 0).length;
  }

  protected forwardBlock({ prepared, begin, end, out }: ForwardBlockCall<undefined, undefined>) {
    const [x, y] = prepared.arrays.map((a) => a.data);
    for (let k = begin; k < end; k++) out[k - begin] = y![k]! > 0 ? x![k]! : 0;
  }

  protected backwardBlock({ prepared, begin, end, dLoss, grads }: BackwardBlockCall<undefined, undefined>) {
    const [dx] = grads;
    const y = prepared.arrays[1]!.data;
    for (let k = begin; k < end; k++) if (dx) dx[k] = y[k]! > 0 ? dLoss[k - begin]! : 0;
  }

  twin(prepared: Prepared<undefined>): NDArray {
    const [x, y] = prepared.arrays;
    return x!.mul(y!.greater(0));
  }
}

describe('reduction option: meanDenominator', () => {
  test("'mean' divides by the loss's count of counted terms", () => {
    const x = array([1, 2, 3, 4], f64).attachGrad();
    const out = record(() => new CountedLoss({ reduction: 'mean' }).forward(x, array([1, 0, 1, 0], f64)));
    assertClose(out.data, [(1 + 3) / 2], close);
    out.backward();
    assertClose(x.grad!, [0.5, 0, 0.5, 0], close);
  });

  test('nothing counted gives 0 and a zero gradient, not NaN, on the pipeline and the twin', () => {
    const loss = new CountedLoss({ reduction: 'mean' });
    const x = array([1, 2], f64).attachGrad();
    const out = record(() => loss.forward(x, array([0, 0], f64)));
    assert.deepEqual([...out.data], [0]);
    out.backward();
    assert.deepEqual([...x.grad!.data], [0, 0]);
    assert.deepEqual([...loss.reference(x, array([0, 0], f64)).data], [0]);
  });
});

describe('reduction option: PyTorch reference values', () => {
  // test/fixtures/beyond-gluon/generate_reduction.py: l1_loss, 0.5·mse_loss, smooth_l1_loss,
  // binary_cross_entropy_with_logits, poisson_nll_loss, cross_entropy, kl_div and ctc_loss under
  // every reduction, with sampleWeight and weight, in float64 with autograd gradients.
  const cases = fileURLToPath(new URL('../../fixtures/beyond-gluon/cases', import.meta.url));
  for (const dtype of ['float64', 'float32'] as const) {
    test(`every case passes through the conformance runner (${dtype})`, () => {
      const lines: string[] = [];
      const status = conformanceCommand([cases, '--dtype', dtype], (line) => lines.push(line));
      const summary = lines.at(-1) ?? '';
      assert.equal(status, 0, lines.join('\n'));
      assert.match(summary, /^(\d+) passed, 0 failed$/);
      assert.ok(Number(/^(\d+)/.exec(summary)![1]) >= 80, summary);
    });
  }
});
