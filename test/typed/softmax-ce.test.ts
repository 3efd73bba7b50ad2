/**
 * gloss-ml/kernels softmaxCEKernel: sparse and dense labels, with the class's options, equal the
 * class's recorded call (the same numbers in float64 and float32; with and without sampleWeight,
 * on both kernel backends); what a call allocates; typed errors naming the function and argument.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setKernelBackend } from '../../src/kernels/index.js';
import { SoftmaxCrossEntropyLoss, type SoftmaxCrossEntropyLossOptions } from '../../src/loss/softmax-ce.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import { softmaxCEKernel } from '../../src/typed/index.js';
import { allocationsOf } from './_allocations.js';
import { assertKernelMatches, classPath, values } from './_compare.js';

const SAMPLES = 5;

/** Options, pred's shape and whether the call takes the class's one-pass hook. */
const cases: [string, SoftmaxCrossEntropyLossOptions, number[]][] = [
  ['sparse', {}, [SAMPLES, 7]],
  ['sparse, weight 2', { weight: 2 }, [SAMPLES, 7]],
  ['sparse, 3 rows per sample', {}, [SAMPLES, 3, 7]],
  ['sparse, 300 classes', {}, [SAMPLES, 300]],
  ['sparse, fromLogits', { fromLogits: true }, [SAMPLES, 7]],
  ['sparse, axis 1 of (N, C, 4)', { axis: 1 }, [SAMPLES, 6, 4]],
  ['dense', { sparseLabel: false }, [SAMPLES, 7]],
  ['dense, fromLogits, weight 0.5', { sparseLabel: false, fromLogits: true, weight: 0.5 }, [SAMPLES, 7]],
  ['dense, axis 1 of (N, C, 4)', { sparseLabel: false, axis: 1 }, [SAMPLES, 6, 4]],
];

const CLASS_WEIGHT = [0.5, 1, 2, 0, 1.5, 0.25, 3];

/**
 * PyTorch's options on sparse labels with the class axis last: the class's one-pass path, each
 * option alone and all three together (one and three rows per sample). With ignoreIndex every
 * third row holds it (see inputsOf); 2 is a class index, −100 and −1 are not.
 */
const optionCases: [string, SoftmaxCrossEntropyLossOptions, number[]][] = [
  ['labelSmoothing 0.1', { labelSmoothing: 0.1 }, [SAMPLES, 7]],
  ['classWeight', { classWeight: CLASS_WEIGHT }, [SAMPLES, 7]],
  ['ignoreIndex -100', { ignoreIndex: -100 }, [SAMPLES, 7]],
  ['ignoreIndex 2 (a class)', { ignoreIndex: 2 }, [SAMPLES, 7]],
  [
    'labelSmoothing, classWeight and ignoreIndex',
    { labelSmoothing: 0.2, classWeight: CLASS_WEIGHT, ignoreIndex: -1 },
    [SAMPLES, 7],
  ],
  [
    'all three, 3 rows per sample',
    { labelSmoothing: 0.2, classWeight: CLASS_WEIGHT, ignoreIndex: -1, weight: 2 },
    [SAMPLES, 3, 7],
  ],
  // The forms the one-pass hook does not cover: the class's block hooks.
  [
    'all three, axis 1 of (N, C, 4)',
    { axis: 1, labelSmoothing: 0.2, classWeight: CLASS_WEIGHT.slice(0, 6), ignoreIndex: -1 },
    [SAMPLES, 6, 4],
  ],
  [
    'fromLogits, classWeight and ignoreIndex',
    { fromLogits: true, classWeight: CLASS_WEIGHT, ignoreIndex: 2 },
    [SAMPLES, 7],
  ],
  [
    'dense, labelSmoothing and classWeight',
    { sparseLabel: false, labelSmoothing: 0.1, classWeight: CLASS_WEIGHT },
    [SAMPLES, 7],
  ],
];

/** Seeded inputs of a case: pred (log-probabilities with fromLogits) and the label. */
function inputsOf(
  options: SoftmaxCrossEntropyLossOptions,
  shape: number[],
  Type: typeof Float32Array | typeof Float64Array,
) {
  const size = shape.reduce((a, b) => a * b, 1);
  const axis = options.axis === undefined ? shape.length - 1 : options.axis;
  const classes = shape[axis]!;
  const pred = values(Type, size, 11, -4, 4);
  if (options.fromLogits) for (let i = 0; i < size; i++) pred[i] = -Math.abs(pred[i]!) - 0.01;
  const rowShape = shape.filter((_, i) => i !== axis);
  const generator = new RandomGenerator(12);
  if (options.sparseLabel === false) {
    // Rows of probabilities along the class axis: positive values normalised per row.
    const label = values(Type, size, 13, 0.05, 1);
    const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    for (let o = 0; o < size / (classes * inner); o++) {
      for (let i = 0; i < inner; i++) {
        let total = 0;
        for (let c = 0; c < classes; c++) total += label[(o * classes + c) * inner + i]!;
        for (let c = 0; c < classes; c++) label[(o * classes + c) * inner + i]! /= total;
      }
    }
    return { pred, label, labelArray: new NDArray(label, shape) };
  }
  const label = new Int32Array(size / classes);
  for (let r = 0; r < label.length; r++) label[r] = Math.floor(generator.nextDouble() * classes);
  const ignoreIndex = options.ignoreIndex ?? null;
  if (ignoreIndex !== null) for (let r = 1; r < label.length; r += 3) label[r] = ignoreIndex;
  return { pred, label, labelArray: new NDArray(label, rowShape) };
}

for (const backend of ['wasm', 'js'] as const) {
  describe(`softmaxCEKernel equals SoftmaxCrossEntropyLoss (${backend} kernels)`, () => {
    after(() => setKernelBackend('auto'));
    for (const [name, options, shape] of [...cases, ...optionCases]) {
      for (const Type of [Float32Array, Float64Array]) {
        for (const weighted of [false, true]) {
          test(`${name}, ${Type.name}${weighted ? ', sampleWeight' : ''}`, () => {
            setKernelBackend(backend);
            const { pred, label, labelArray } = inputsOf(options, shape, Type);
            // 0.3 and 1.1 are not float32 numbers: a float32 call must still use them as given.
            const sampleWeight = weighted ? Float64Array.from([1, 0, 0.3, 2, 1.1]) : null;
            const expected = classPath(
              new SoftmaxCrossEntropyLoss(options),
              pred,
              shape,
              [labelArray],
              sampleWeight,
            );
            const out = new Type(SAMPLES);
            const gradient = new Type(pred.length);
            const kernel = softmaxCEKernel(options);
            const args = { pred, predShape: shape, label, sampleWeight, loss: out, gradient };
            // The same bits (with a [N] sampleWeight the class takes the one-pass path too), twice.
            assertKernelMatches(kernel, args, expected);
          });
        }
      }
    }
  });
}

describe('softmaxCEKernel: memory per call', () => {
  // The class's sparse one-pass path checks int32 labels in place (no copy), and the per-row
  // scratch (scales, losses, normalisers) comes back from the loss's CallMemory: after the first
  // call nothing is allocated, for one row per sample or several, either float type.
  const shapes: [string, number[]][] = [
    ['(N, C)', [SAMPLES, 7]],
    ['(N, 3, C)', [SAMPLES, 3, 7]],
  ];
  for (const [name, shape] of shapes) {
    for (const Type of [Float32Array, Float64Array]) {
      test(`sparse on logits ${name}, ${Type.name}: no array per call`, () => {
        const { pred, label } = inputsOf({}, shape, Type);
        const args = {
          pred,
          predShape: shape,
          label,
          sampleWeight: Float64Array.from([1, 0, 0.5, 2, 1.25]),
          loss: new Type(SAMPLES),
          gradient: new Type(pred.length),
        };
        const kernel = softmaxCEKernel();
        kernel(args);
        assert.deepEqual(allocationsOf(() => kernel(args)).lengths, []);
      });
    }
  }

  // Every form, with PyTorch's options too: the one-pass fix-up's working memory (the kernel's
  // labels and scales, the uniform parts, spreads and done flags, the class-weight bias), the
  // block forms' normalisers, dense target weights and block memory come from the loss's
  // CallMemory, int32 labels with an ignoreIndex are checked in place, and the block forms write
  // into the caller's arrays (no output, no head gradient). What a block form still allocates is
  // the scratch of two shared row helpers of loss/_class-rows.ts, one per block: the running
  // argmax of a non-last class axis (logSoftmaxRows, min(inner, rows)) and a dense label's
  // per-row mass (denseSoftmaxGradient, rows). Dense labels without options on the last axis run
  // the one-pass hook, whose scratch is the loss's CallMemory.
  function helperScratch(options: SoftmaxCrossEntropyLossOptions, shape: number[]): number[] {
    const axis = options.axis === undefined || options.axis < 0 ? shape.length - 1 : options.axis;
    const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const rows = shape.reduce((a, b) => a * b, 1) / shape[axis]!;
    const normalized = !options.fromLogits && axis !== shape.length - 1 ? [Math.min(inner, rows)] : [];
    // Dense labels on logits along the last axis without options take the one-pass hook instead.
    const onePass =
      !options.fromLogits && axis === shape.length - 1 && !options.labelSmoothing && !options.classWeight;
    return [...normalized, ...(options.sparseLabel === false && !onePass ? [rows] : [])];
  }
  for (const [name, options, shape] of [...cases, ...optionCases]) {
    for (const Type of [Float32Array, Float64Array]) {
      for (const weighted of [false, true]) {
        const what =
          helperScratch(options, shape).length === 0 ? 'no array' : "only the row helpers' scratch";
        test(`${name}, ${Type.name}${weighted ? ', sampleWeight' : ''}: ${what} per call`, () => {
          const { pred, label } = inputsOf(options, shape, Type);
          const args = {
            pred,
            predShape: shape,
            label,
            sampleWeight: weighted ? Float64Array.from([1, 0, 0.5, 2, 1.25]) : null,
            loss: new Type(SAMPLES),
            gradient: new Type(pred.length),
          };
          const kernel = softmaxCEKernel(options);
          kernel(args);
          const expected = helperScratch(options, shape);
          assert.deepEqual(allocationsOf(() => kernel(args)).lengths, expected);
          assert.equal(
            allocationsOf(() => {
              for (let i = 0; i < 10; i++) kernel(args);
            }).count,
            10 * expected.length,
          );
        });
      }
    }
  }
});

describe('softmaxCEKernel: errors name the function and the argument', () => {
  const pred = new Float32Array(10);
  const loss = new Float32Array(2);
  const gradient = new Float32Array(10);
  const sparse = softmaxCEKernel();
  const dense = softmaxCEKernel({ sparseLabel: false });

  function throwsNaming(fn: () => void, Type: typeof ShapeError | typeof ValueError, pattern: RegExp): void {
    assert.throws(
      fn,
      (error: Error) =>
        error instanceof Type && /^softmaxCEKernel/.test(error.message) && pattern.test(error.message),
    );
  }

  test('labels of the wrong type or length', () => {
    throwsNaming(
      () => sparse({ pred, label: new Float32Array(2), loss, gradient }),
      ValueError,
      /label must be an Int32Array, got Float32Array/,
    );
    throwsNaming(
      () => sparse({ pred, label: new Int32Array(3), loss, gradient }),
      ShapeError,
      /label has 3 elements, expected 2/,
    );
    throwsNaming(
      () => dense({ pred, label: new Int32Array(10) as never, loss, gradient }),
      ValueError,
      /label must be a Float32Array or Float64Array/,
    );
    throwsNaming(
      () => dense({ pred, label: new Float64Array(10) as never, loss, gradient }),
      ValueError,
      /label is a Float64Array but pred is a Float32Array/,
    );
    throwsNaming(
      () => dense({ pred, label: new Float32Array(8), loss, gradient }),
      ShapeError,
      /label has 8 elements, pred has 10/,
    );
  });

  test("class indices outside the classes: the class's ValueError, named", () => {
    throwsNaming(
      () => sparse({ pred, label: Int32Array.from([1, 5]), loss, gradient }),
      ValueError,
      /label .* is 5/,
    );
  });

  test('shapes, gradient, sampleWeight and dtypes', () => {
    throwsNaming(
      () => sparse({ pred, predShape: [2, 4], label: new Int32Array(2), loss, gradient }),
      ShapeError,
      /predShape \[2, 4\] has 8 elements, pred has 10/,
    );
    throwsNaming(
      () => sparse({ pred, predShape: [5, 2], label: new Int32Array(5), loss, gradient }),
      ShapeError,
      /samples = loss.length = 2/,
    );
    throwsNaming(
      () => sparse({ pred: new Float32Array(9), label: new Int32Array(2), loss, gradient }),
      ShapeError,
      /pred has 9 elements, not a whole number per sample/,
    );
    throwsNaming(
      () => sparse({ pred, label: new Int32Array(2), loss, gradient: new Float64Array(10) as never }),
      ValueError,
      /gradient is a Float64Array/,
    );
    throwsNaming(
      () => sparse({ pred, label: new Int32Array(2), loss, gradient, sampleWeight: [1, 2, 3] }),
      ShapeError,
      /sampleWeight has 3 entries for 2 samples/,
    );
    throwsNaming(
      () => sparse({ pred: [1, 2] as never, label: new Int32Array(2), loss, gradient }),
      ValueError,
      /pred must be a Float32Array or Float64Array/,
    );
    throwsNaming(() => softmaxCEKernel({ batchAxis: 1 }), ValueError, /batchAxis is 1/);
    throwsNaming(() => softmaxCEKernel({ axis: 0.5 }), ValueError, /axis/);
  });
});
