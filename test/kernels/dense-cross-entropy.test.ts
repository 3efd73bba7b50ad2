// A piece of dense-label softmax cross-entropy from one copy in wasm memory
// (src/kernels/dense-cross-entropy.ts) gives the bits of the general path it replaces: the
// softmax normalisers, dense-target.ts's term sums and label mass, and softmaxGradientRows with
// dense labels, called one after the other as _dense-target-one-pass.ts did. It declines (false)
// exactly the pieces it says it does.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { allocateRegion, regionView, releaseRegion } from '../../src/kernels/arena.js';
import { denseCrossEntropyPiece } from '../../src/kernels/dense-cross-entropy.js';
import { denseTargetTermSum } from '../../src/kernels/dense-target.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { softmaxGradientRows, softmaxRowNormalizers } from '../../src/kernels/softmax.js';
import { uniforms } from './_ulp.js';

type Labels = Float32Array | Float64Array;

/** The general path of one piece, as _dense-target-one-pass.ts runs it without the fused driver. */
function generalPath(x: Float32Array, z: Labels, classes: number, sampleScales: Float64Array) {
  const rows = sampleScales.length;
  const shift = new Float64Array(rows);
  const logSum = new Float64Array(rows);
  softmaxRowNormalizers({ x, classes, shift, logSum });
  const totals = new Float64Array(rows);
  const rowScales = new Float64Array(rows);
  const labelMass = new Float64Array(1);
  for (let r = 0; r < rows; r++) {
    const row = { z, x, begin: r * classes, end: (r + 1) * classes, shift: shift[r]!, logSum: logSum[r]! };
    totals[r] = denseTargetTermSum({ term: 'crossEntropy', ...row, labelMass });
    rowScales[r] = sampleScales[r]! * labelMass[0]!;
  }
  const out = new Float32Array(x.length);
  const denseLabels = { z, scales: sampleScales };
  softmaxGradientRows({ x, classes, shift, logSum, scale: rowScales, labels: null, out, denseLabels });
  return { shift, logSum, totals, rowScales, out };
}

/** The fused piece into fresh arrays (out: a plain array, or an arena region's view). */
function fusedPiece(
  x: Float32Array,
  z: Labels,
  classes: number,
  sampleScales: Float64Array,
  out: Float32Array,
) {
  const rows = sampleScales.length;
  const result = {
    shift: new Float64Array(rows),
    logSum: new Float64Array(rows),
    totals: new Float64Array(rows),
    rowScales: new Float64Array(rows),
    out,
  };
  const ran = denseCrossEntropyPiece({ x, z, classes, sampleScales, ...result });
  return { ran, ...result };
}

/** Random logits and labels: soft labels with zeros, and masked classes (−∞ logit, 0 label). */
function piece(
  rows: number,
  classes: number,
  LabelType: typeof Float32Array | typeof Float64Array,
  seed: number,
) {
  const next = uniforms(seed);
  const x = new Float32Array(rows * classes).map(() => 6 * next() - 3);
  const z = new LabelType(rows * classes).map(() => (next() < 0.2 ? 0 : next()));
  for (let r = 0; r < rows; r++) {
    if (classes > 2) {
      x[r * classes + 1] = Number.NEGATIVE_INFINITY;
      z[r * classes + 1] = 0;
    }
  }
  const sampleScales = new Float64Array(rows).map(() => 0.25 + next());
  return { x, z, sampleScales };
}

function assertSameBits(
  fused: ReturnType<typeof fusedPiece>,
  general: ReturnType<typeof generalPath>,
  what: string,
) {
  assert.ok(fused.ran, `${what}: the piece ran`);
  for (const key of ['shift', 'logSum', 'totals', 'rowScales', 'out'] as const)
    assert.deepEqual(Array.from(fused[key]), Array.from(general[key]), `${what}: ${key}`);
}

describe('denseCrossEntropyPiece: the general path bit for bit', () => {
  afterEach(() => setKernelBackend('auto'));

  for (const LabelType of [Float32Array, Float64Array]) {
    for (const [rows, classes] of [
      [16, 1000],
      [5, 37],
      [3, 66],
      [7, 3],
      [1, 1],
      [2, 16384 / 2],
    ] as const) {
      it(`${rows} rows of ${classes} classes, ${LabelType.name} labels`, () => {
        setKernelBackend('wasm');
        const { x, z, sampleScales } = piece(rows, classes, LabelType, rows * 1000 + classes);
        const general = generalPath(x, z, classes, sampleScales);
        assertSameBits(
          fusedPiece(x, z, classes, sampleScales, new Float32Array(x.length)),
          general,
          'plain out',
        );
        // In place, in a gradient region of the arena, as a recorded call's gradient.
        const region = allocateRegion(x.length, {});
        assert.ok(region);
        try {
          const view = regionView(region);
          view.fill(Number.NaN);
          assertSameBits(fusedPiece(x, z, classes, sampleScales, view), general, 'arena region');
        } finally {
          releaseRegion(region);
        }
      });
    }
  }

  it('scales that lose their value in float32 take the float64 gradient, as the general path does', () => {
    setKernelBackend('wasm');
    const { x, z, sampleScales } = piece(4, 50, Float32Array, 9);
    sampleScales[2] = 1e-300;
    assertSameBits(
      fusedPiece(x, z, 50, sampleScales, new Float32Array(x.length)),
      generalPath(x, z, 50, sampleScales),
      'tiny scale',
    );
  });

  it('declines, writing no gradient, what the general path must take', () => {
    setKernelBackend('wasm');
    const { x, z, sampleScales } = piece(4, 50, Float32Array, 11);
    const declines = (what: string, args: Parameters<typeof fusedPiece>) => {
      const out = args[4];
      out.fill(7);
      assert.equal(fusedPiece(...args).ran, false, what);
      assert.ok(
        out.every((v) => v === 7),
        `${what}: out untouched`,
      );
    };
    const withNaN = x.slice();
    withNaN[60] = Number.NaN;
    declines('a NaN logit', [withNaN, z, 50, sampleScales, new Float32Array(x.length)]);
    const withInfinity = x.slice();
    withInfinity[3] = Number.POSITIVE_INFINITY;
    declines('a +∞ logit', [withInfinity, z, 50, sampleScales, new Float32Array(x.length)]);
    const allMasked = x.slice();
    allMasked.fill(Number.NEGATIVE_INFINITY, 50, 100);
    declines('a row of −∞', [allMasked, z, 50, sampleScales, new Float32Array(x.length)]);
    const big = piece(2, 16385, Float32Array, 3);
    declines('more than one chunk of logits', [
      big.x,
      big.z,
      16385,
      big.sampleScales,
      new Float32Array(big.x.length),
    ]);
    setKernelBackend('js');
    declines('the js backend', [x, z, 50, sampleScales, new Float32Array(x.length)]);
  });
});
