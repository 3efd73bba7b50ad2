/**
 * gloss-ml/kernels ctcKernel equals CTCLoss's recorded call (float64 and float32 alike: the same
 * code runs) for both layouts, padded labels and length arrays, every kind of blank, infeasible
 * samples, weights; what a call allocates; typed errors naming the function and argument.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setKernelBackend } from '../../src/kernels/index.js';
import { CTCLoss, type CTCLossOptions } from '../../src/loss/ctc.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { ctcKernel } from '../../src/typed/index.js';
import { allocationsOf } from './_allocations.js';
import { assertKernelMatches, classPath, values } from './_compare.js';

const N = 4;
const T = 8;
const C = 5;
const L = 4;

interface Case {
  readonly options: CTCLossOptions;
  /** Label rows (N × L, batch first), padded as the blank says. */
  readonly labels: readonly (readonly number[])[];
  readonly predLengths?: readonly number[];
  readonly labelLengths?: readonly number[];
}

// Blank last (class 4): labels 0–3, padding −1. The third row repeats a label (needs a blank
// between), the last is empty.
const LAST = [
  [0, 1, 2, -1],
  [3, -1, -1, -1],
  [1, 1, 2, 2],
  [-1, -1, -1, -1],
];
const cases: [string, Case][] = [
  ['blank last, padded', { options: {}, labels: LAST }],
  [
    'weight 2, lengths',
    { options: { weight: 2 }, labels: LAST, predLengths: [8, 5, 7, 0], labelLengths: [2, 1, 4, 0] },
  ],
  [
    'TNC and TN layouts',
    { options: { layout: 'TNC', labelLayout: 'TN' }, labels: LAST, predLengths: [6, 8, 8, 3] },
  ],
  [
    'blank first, padded with 0',
    {
      options: { blankLabel: 'first' },
      labels: [
        [1, 2, 3, 0],
        [4, 0, 0, 0],
        [2, 2, 3, 3],
        [0, 0, 0, 0],
      ],
    },
  ],
  [
    'blank 2',
    {
      options: { blankLabel: 2 },
      labels: [
        [0, 1, 3, -1],
        [4, -1, -1, -1],
        [1, 1, 4, 4],
        [-1, -1, -1, -1],
      ],
    },
  ],
  // Sample 2 (a a b b) needs 6 frames; 3 make it infeasible: +Infinity, or 0 with zeroInfinity.
  ['infeasible sample', { options: {}, labels: LAST, predLengths: [8, 8, 3, 8] }],
  [
    'infeasible sample, zeroInfinity',
    { options: { zeroInfinity: true }, labels: LAST, predLengths: [8, 8, 3, 8] },
  ],
];

/** The case's inputs as the typed call takes them and as NDArrays for the class. */
function inputsOf(spec: Case, Type: typeof Float32Array | typeof Float64Array) {
  const batchFirst = spec.options.layout !== 'TNC';
  const labelsFirst = spec.options.labelLayout !== 'TN';
  const predShape: [number, number, number] = batchFirst ? [N, T, C] : [T, N, C];
  const pred = values(Type, N * T * C, 21, -3, 3);
  const label = new Int32Array(N * L);
  for (let n = 0; n < N; n++)
    for (let l = 0; l < L; l++) label[labelsFirst ? n * L + l : l * N + n] = spec.labels[n]![l]!;
  const labelShape: [number, number] = labelsFirst ? [N, L] : [L, N];
  const predLengths = spec.predLengths ? Int32Array.from(spec.predLengths) : null;
  const labelLengths = spec.labelLengths ? Int32Array.from(spec.labelLengths) : null;
  const arrays = [
    new NDArray(label, labelShape),
    predLengths ? new NDArray(predLengths, [N]) : null,
    labelLengths ? new NDArray(labelLengths, [N]) : null,
  ];
  return { pred, predShape, label, labelShape, predLengths, labelLengths, arrays };
}

for (const backend of ['wasm', 'js'] as const) {
  describe(`ctcKernel equals CTCLoss (${backend} kernels)`, () => {
    after(() => setKernelBackend('auto'));
    for (const [name, spec] of cases) {
      for (const Type of [Float32Array, Float64Array]) {
        for (const weighted of [false, true]) {
          test(`${name}, ${Type.name}${weighted ? ', sampleWeight' : ''}`, () => {
            setKernelBackend(backend);
            const { pred, predShape, label, labelShape, predLengths, labelLengths, arrays } = inputsOf(
              spec,
              Type,
            );
            const sampleWeight = weighted ? Float64Array.from([1, 0, 0.3, 1.1]) : null;
            const expected = classPath(new CTCLoss(spec.options), pred, predShape, arrays, sampleWeight);
            const out = new Type(N);
            const gradient = new Type(pred.length);
            const kernel = ctcKernel(spec.options);
            const args = {
              pred,
              predShape,
              label,
              labelShape,
              predLengths,
              labelLengths,
              sampleWeight,
              loss: out,
              gradient,
            };
            assertKernelMatches(kernel, args, expected);
          });
        }
      }
    }
  });
}

describe('ctcKernel: memory per call', () => {
  // CTCLoss's decoded labels, lengths and feasibility live in its call state, taken from the
  // loss's CallMemory with the block working memory and given back when the call returns; the
  // per-sample losses and the gradient are written into the caller's arrays. After the first call
  // nothing is allocated, with or without lengths and sampleWeight, whatever the options.
  for (const [name, spec] of cases) {
    for (const Type of [Float32Array, Float64Array]) {
      for (const weighted of [false, true]) {
        test(`${name}, ${Type.name}${weighted ? ', sampleWeight' : ''}: no array per call`, () => {
          const { pred, predShape, label, labelShape, predLengths, labelLengths } = inputsOf(spec, Type);
          const args = {
            pred,
            predShape,
            label,
            labelShape,
            predLengths,
            labelLengths,
            sampleWeight: weighted ? Float64Array.from([1, 0, 0.5, 2]) : null,
            loss: new Type(N),
            gradient: new Type(pred.length),
          };
          const kernel = ctcKernel(spec.options);
          kernel(args);
          assert.deepEqual(allocationsOf(() => kernel(args)).lengths, []);
          assert.equal(
            allocationsOf(() => {
              for (let i = 0; i < 10; i++) kernel(args);
            }).count,
            0,
          );
        });
      }
    }
  }

  test('the counting hook sees what a first call allocates (the lattice state)', () => {
    const { pred, predShape, label } = inputsOf(cases[0]![1], Float32Array);
    const args = {
      pred,
      predShape,
      label,
      loss: new Float32Array(N),
      gradient: new Float32Array(pred.length),
    };
    const first = allocationsOf(() => ctcKernel()(args));
    assert.ok(
      first.lengths.includes(N * T * (2 * L + 1)),
      `α (N·T·(2L+1)) among ${first.lengths.join(', ')}`,
    );
  });
});

describe('ctcKernel: errors name the function and the argument', () => {
  const pred = new Float32Array(N * T * C);
  const predShape: [number, number, number] = [N, T, C];
  const loss = new Float32Array(N);
  const gradient = new Float32Array(pred.length);
  const label = new Int32Array(N * L).fill(-1);
  const ctc = ctcKernel();

  function throwsNaming(fn: () => void, Type: typeof ShapeError | typeof ValueError, pattern: RegExp): void {
    assert.throws(
      fn,
      (error: Error) =>
        error instanceof Type && /^ctcKernel/.test(error.message) && pattern.test(error.message),
    );
  }

  test('shapes', () => {
    throwsNaming(
      () => ctc({ pred, predShape: [N, T, 4], label, loss, gradient }),
      ShapeError,
      /predShape \[4, 8, 4\] has 128 elements, pred has 160/,
    );
    throwsNaming(
      () => ctc({ pred, predShape: [T, N, C], label, loss, gradient }),
      ShapeError,
      /\(N, T, C\) with N = loss.length = 4/,
    );
    throwsNaming(
      () => ctc({ pred, predShape, label: new Int32Array(7), loss, gradient }),
      ShapeError,
      /label has 7 elements/,
    );
    throwsNaming(
      () => ctc({ pred, predShape, label, labelShape: [2, 8], loss, gradient }),
      ShapeError,
      /labelShape \[2, 8\]/,
    );
    throwsNaming(
      () => ctc({ pred, predShape, label, loss, gradient: new Float32Array(3) }),
      ShapeError,
      /gradient has 3 elements/,
    );
    throwsNaming(
      () => ctc({ pred, predShape, label, predLengths: new Int32Array(3), loss, gradient }),
      ShapeError,
      /predLengths has 3 elements, expected 4/,
    );
    throwsNaming(
      () => ctc({ pred, predShape, label, loss, gradient, sampleWeight: [1] }),
      ShapeError,
      /sampleWeight has 1 entries for 4 samples/,
    );
  });

  test('types', () => {
    throwsNaming(
      () => ctc({ pred, predShape, label: new Float32Array(N * L) as never, loss, gradient }),
      ValueError,
      /label must be an Int32Array, got Float32Array/,
    );
    throwsNaming(
      () => ctc({ pred, predShape, label, labelLengths: [1, 1, 1, 1] as never, loss, gradient }),
      ValueError,
      /labelLengths must be an Int32Array/,
    );
    throwsNaming(
      () => ctc({ pred, predShape, label, loss, gradient: new Float64Array(pred.length) as never }),
      ValueError,
      /gradient is a Float64Array but pred is a Float32Array/,
    );
    throwsNaming(
      () => ctc({ pred: Array.from(pred) as never, predShape, label, loss, gradient }),
      ValueError,
      /pred must be a Float32Array or Float64Array/,
    );
  });

  test('values the class rejects: its error, named', () => {
    const bad = Int32Array.from(label);
    bad[0] = 4; // the blank
    throwsNaming(() => ctc({ pred, predShape, label: bad, loss, gradient }), ValueError, /CTCLoss/);
    throwsNaming(
      () => ctc({ pred, predShape, label, predLengths: Int32Array.from([9, 1, 1, 1]), loss, gradient }),
      ValueError,
      /predLengths/,
    );
    throwsNaming(() => ctcKernel({ layout: 'XYZ' as never }), ValueError, /layout/);
  });
});
