// The block runner of gloss-ml/kernels (src/typed/_block.ts) with the block hooks the Loss base
// binds for any loss (blockKernel in src/loss/_base/loss.ts): for losses beyond the two that use
// it today (CTC and SoftmaxCE, tested in their own files), with two and three inputs, one and
// many ℓ elements per sample, with and without sampleWeight, on both backends and float types,
// the runner gives the class's recorded call's numbers bit for bit.
import { after, describe, test } from 'node:test';
import { setKernelBackend } from '../../src/kernels/index.js';
import { blockKernel, type Loss } from '../../src/loss/_base/loss.js';
import { GaussianNLLLoss } from '../../src/loss/gaussian-nll.js';
import { KLDivLoss } from '../../src/loss/kl-div.js';
import { TripletMarginLoss } from '../../src/loss/triplet-margin.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { runBlocks } from '../../src/typed/_block.js';
import { assertMatches, classPath, values } from './_compare.js';

after(() => setKernelBackend('auto'));

interface Case {
  readonly name: string;
  readonly make: () => Loss;
  /** pred's shape; the other inputs are drawn like pred (positive variances for GaussianNLL). */
  readonly shape: readonly number[];
  readonly others: number;
  readonly positiveOthers?: boolean;
}

const CASES: readonly Case[] = [
  // Each case is a loss without a one-pass hook: a loss with one (HuberLoss, PoissonNLLLoss,
  // SigmoidFocalLoss …) runs that in the class, whose sums round differently from its block
  // hooks' once sampleWeight weighs them. An elementwise loss, many elements per sample:
  {
    name: 'GaussianNLLLoss, three axes',
    make: () => new GaussianNLLLoss(),
    shape: [5, 3, 4],
    others: 2,
    positiveOthers: true,
  },
  // The weight option, on an elementwise loss of three inputs.
  {
    name: 'GaussianNLLLoss weight 2',
    make: () => new GaussianNLLLoss({ weight: 2 }),
    shape: [6, 7],
    others: 2,
    positiveOthers: true,
  },
  // KLDivLoss's one-pass hook declines logTarget: the class runs its block hooks.
  {
    name: 'KLDivLoss logTarget',
    make: () => new KLDivLoss({ logTarget: true }),
    shape: [4, 9],
    others: 1,
    positiveOthers: true,
  },
  // Three inputs (pred's gradient only), one ℓ element per sample.
  { name: 'TripletMarginLoss', make: () => new TripletMarginLoss({ margin: 0.5 }), shape: [7, 5], others: 2 },
  {
    name: 'GaussianNLLLoss',
    make: () => new GaussianNLLLoss(),
    shape: [6, 4],
    others: 2,
    positiveOthers: true,
  },
];

describe('runBlocks(blockKernel(loss)) equals the class for any loss', () => {
  for (const backend of ['wasm', 'js'] as const) {
    for (const Type of [Float32Array, Float64Array]) {
      for (const { name, make, shape, others, positiveOthers } of CASES) {
        for (const weighted of [false, true]) {
          test(`${backend} ${Type.name} ${name}${weighted ? ' with sampleWeight' : ''}`, () => {
            setKernelBackend(backend);
            const size = shape.reduce((a, b) => a * b, 1);
            const samples = shape[0]!;
            const pred = values(Type, size, 11);
            const inputs = Array.from(
              { length: others },
              (_, i) => new NDArray(values(Type, size, 20 + i, positiveOthers ? 0.1 : -2, 2), [...shape]),
            );
            const sampleWeight = weighted ? Float64Array.from({ length: samples }, (_, n) => 0.3 * n) : null;
            const expected = classPath(make(), pred, shape, inputs, sampleWeight);
            const loss = make();
            const out = new Type(samples);
            const gradient = new Type(size).fill(Number.NaN);
            runBlocks(blockKernel(loss), [new NDArray(pred, [...shape]), ...inputs], {
              weight: loss.weight,
              sampleWeight,
              out,
              gradient,
            });
            assertMatches(out, expected.loss, `${name} loss`);
            assertMatches(gradient, expected.gradient, `${name} gradient`);
          });
        }
      }
    }
  }
});
