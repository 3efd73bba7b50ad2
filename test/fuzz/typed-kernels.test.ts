/**
 * Seeded fuzz test of gloss-ml/kernels (src/typed/): every valid fuzz case of a loss with a
 * typed-array kernel that the kernel's layout can express (batch first, one weight per sample,
 * labels of pred's type or int32 class indices, the per-sample reduction) runs through the kernel
 * and through the class (`record(() => loss.forward(…))`, `backward()`), on both kernel backends.
 * The kernel promises the class's numbers bit for bit (the same hooks run), so the per-sample
 * losses and pred's gradient must be the same bits, NaN for NaN, +0 and −0 alike. The cases are
 * the loss fuzz test's own (test/fuzz/generators/, the same seeds), perturbations included: NaN,
 * ±Infinity, ±3.4e38 and subnormal inputs, extreme sample weights.
 *
 * Reproduce one case: GLOSS_FUZZ_CASE=<LossName>:<seed> node scripts/run-tests.mjs test/fuzz
 * Other streams:      GLOSS_FUZZ_SEED=<n> (base seed), GLOSS_FUZZ_CASES=<n> (cases per loss).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import type { Loss } from '../../src/loss/_base/index.js';
import { ALL_LOSSES } from '../../src/loss/index.js';
import type { SigmoidBinaryCrossEntropyLoss } from '../../src/loss/sigmoid-bce.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { NDArray } from '../../src/ndarray/ndarray.js';
import { ctcKernel, type FloatArray, lossKernel, softmaxCEKernel } from '../../src/typed/index.js';
import { firstDifference } from '../typed/_compare.js';
import { availableBackends, build, CASES_PER_LOSS, caseSeed, describeCase, ONLY } from './_compare.js';
import { enlarged, type FuzzCase, type InputSpec, makeCase } from './generators/index.js';

/** The losses gloss-ml/kernels has a kernel for. */
const TYPED = [
  'L1Loss',
  'L2Loss',
  'HuberLoss',
  'SigmoidBinaryCrossEntropyLoss',
  'LogisticLoss',
  'TripletLoss',
  'SoftmaxCrossEntropyLoss',
  'CTCLoss',
] as const;

/** One call's inputs in the kernel's terms, or the reason the kernel's layout cannot express the case. */
type Call =
  | {
      readonly pred: NDArray;
      readonly others: readonly NDArray[];
      readonly sampleWeight: NDArray | null;
      readonly label: FloatArray | Int32Array;
      readonly negative: FloatArray | null;
      /** CTCLoss: label's shape and the optional lengths. */
      readonly ctc?: {
        readonly labelShape: readonly [number, number];
        readonly predLengths: Int32Array | null;
        readonly labelLengths: Int32Array | null;
      };
    }
  | string;

/** Integer values as class indices or lengths (the typed kernels take Int32Array), or null. */
function integers(values: ArrayLike<number>): Int32Array | null {
  return Array.from(values).every((v) => Number.isInteger(v) && Math.abs(v) < 2 ** 31)
    ? Int32Array.from(values)
    : null;
}

/** CTCLoss's call: (N, T, C) or (T, N, C) pred, a rank-2 label, lengths of N integers. */
function ctcCallOf(c: FuzzCase, loss: Loss): Call {
  const specs = c.inputs;
  const arrays = build(specs) as (NDArray | null)[];
  const [pred, label, predLengths, labelLengths] = arrays;
  if (!pred || pred.dtype === 'int32' || pred.ndim !== 3) return 'pred not (N, T, C) floats';
  if (label?.ndim !== 2) return 'a label not of rank 2';
  const labels = integers(label.data);
  if (!labels) return 'labels that are not integers';
  const lengths = [predLengths, labelLengths].map((x) => (x ? integers(x.data) : null));
  if ((predLengths && !lengths[0]) || (labelLengths && !lengths[1])) return 'lengths that are not integers';
  const weightSpec = specs[loss.sampleWeightIndex] ?? null;
  if (weightSpec && !perSample(weightSpec, c.batch)) return 'a sampleWeight not one per sample';
  const others = arrays.slice(1, 4).map((x) => x ?? null) as NDArray[];
  return {
    pred,
    others,
    sampleWeight: weightSpec ? arrays[loss.sampleWeightIndex]! : null,
    label: labels,
    negative: null,
    ctc: {
      labelShape: label.shape as [number, number],
      predLengths: lengths[0] ?? null,
      labelLengths: lengths[1] ?? null,
    },
  };
}

/** The case's call for the typed kernel (see the module comment), built from the case's inputs. */
function callOf(c: FuzzCase, loss: Loss): Call {
  if (c.batch === 0) return 'no samples';
  const reduction = (c.options as { reduction?: string }).reduction;
  if (reduction !== undefined && reduction !== 'perSample') return 'another reduction';
  if (c.lossName === 'CTCLoss') {
    // (Its batch axis follows labelLayout; the kernel takes either layout.)
    if (c.inputs.some((s) => s && (s.raw !== undefined || s.scalar))) return 'an input that is not an array';
    return ctcCallOf(c, loss);
  }
  if (loss.batchAxis !== 0) return 'batchAxis not 0';
  if ((loss as SigmoidBinaryCrossEntropyLoss).fromSigmoid) return 'fromSigmoid';
  const specs = c.inputs;
  if (specs.some((s) => s && (s.raw !== undefined || s.scalar))) return 'an input that is not an array';
  const [predSpec, labelSpec, third] = specs;
  if (!predSpec || predSpec.dtype === 'int32' || predSpec.shape.length === 0) return 'pred not a float array';
  if (predSpec.shape[0] !== c.batch) return 'pred not batch first';
  const weightIndex = loss.sampleWeightIndex;
  const rest = specs.filter((s, i) => s && i > 2 && i !== weightIndex);
  if (rest.length > 0) return `an input the kernel has not (${rest[0]!.name})`;
  const weightSpec = specs[weightIndex] ?? null;
  if (weightSpec && !perSample(weightSpec, c.batch)) return 'a sampleWeight not one per sample';
  const triplet = c.lossName === 'TripletLoss';
  if (!triplet && specs[2] && weightIndex !== 2) return 'a third input';
  const arrays = build(specs) as (NDArray | null)[];
  const pred = arrays[0]!;
  const label = arrays[1];
  if (!labelSpec || !label) return 'no label';
  const sparse = c.lossName === 'SoftmaxCrossEntropyLoss' && (c.options.sparseLabel ?? true) === true;
  let labelData: FloatArray | Int32Array;
  if (c.lossName === 'SoftmaxCrossEntropyLoss' && pred.ndim < 2) return 'SoftmaxCE pred of rank < 2';
  if (sparse) {
    const values = label.data;
    if (!Array.from(values).every((v) => Number.isInteger(v))) return 'class labels that are not integers';
    labelData = values instanceof Int32Array ? values : Int32Array.from(values);
  } else {
    if (labelSpec.dtype !== predSpec.dtype || label.size !== pred.size)
      return "a label not of pred's type and size";
    labelData = label.data as FloatArray;
  }
  let negative: FloatArray | null = null;
  if (triplet) {
    const n = arrays[2];
    if (!third || !n || third.dtype !== predSpec.dtype || n.size !== pred.size)
      return 'a negative unlike pred';
    negative = n.data as FloatArray;
  }
  const others = arrays.slice(1, triplet ? 3 : 2) as NDArray[];
  return { pred, others, sampleWeight: weightSpec ? arrays[weightIndex]! : null, label: labelData, negative };
}

/** Whether a sampleWeight spec holds one value per sample (the kernels' 1-D sampleWeight). */
function perSample(spec: InputSpec, batch: number): boolean {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  return spec.layout !== null && spec.layout.inner === 1 && spec.layout.batch === batch && size === batch;
}

/** The name a kernel's messages start with. */
function kernelName(lossName: string): string {
  if (lossName === 'SoftmaxCrossEntropyLoss') return 'softmaxCEKernel';
  if (lossName === 'CTCLoss') return 'ctcKernel';
  return `lossKernel(${lossName})`;
}

/**
 * Null when the kernel refused a call the class refuses as it should: an error of the class's
 * type (ShapeError or ValueError), its message starting with the kernel's name.
 */
function refusal(error: unknown, expected: Error, name: string, backend: string): string | null {
  const typed = error instanceof ShapeError || error instanceof ValueError;
  const message = error instanceof Error ? error.message : String(error);
  if (!typed || error.constructor !== expected.constructor)
    return `[${backend}] the kernel threw ${String(error)} where the class threw ${expected.name}: ${expected.message}`;
  if (!message.startsWith(`${name}: `))
    return `[${backend}] the kernel's error does not name ${name}: ${message}`;
  return null;
}

/** Runs one case both ways on one backend; returns a failure message or null. */
function checkCase(c: FuzzCase, backend: 'js' | 'wasm'): string | null {
  setKernelBackend(backend);
  const make = ALL_LOSSES[c.lossName as keyof typeof ALL_LOSSES] as unknown as new (o: object) => Loss;
  const loss = new make(c.options);
  const call = callOf(c, loss);
  if (typeof call === 'string') return null;
  const { pred, others, sampleWeight } = call;
  // The class.
  const variable = new NDArray(pred.data.slice(), pred.shape).attachGrad();
  const all: (NDArray | null)[] = [variable, ...others];
  if (sampleWeight) {
    while (all.length < loss.sampleWeightIndex) all.push(null);
    all[loss.sampleWeightIndex] = sampleWeight;
  }
  let expected: { loss: ArrayLike<number>; gradient: ArrayLike<number> } | Error;
  try {
    const out = record(() => loss.forward(...all));
    out.backward();
    expected = { loss: out.data, gradient: variable.grad!.data };
  } catch (error) {
    expected = error as Error;
  }
  // The kernel, on a loss object of its own (its memory is not the class's).
  const data = pred.data as FloatArray;
  const Type = data instanceof Float32Array ? Float32Array : Float64Array;
  const lossOut = new Type(c.batch);
  const gradient = new Type(data.length);
  const weights = sampleWeight ? Array.from(sampleWeight.data) : null;
  try {
    if (call.ctc) {
      ctcKernel(c.options)({
        pred: data,
        predShape: pred.shape as [number, number, number],
        label: call.label as Int32Array,
        ...call.ctc,
        sampleWeight: weights,
        loss: lossOut,
        gradient,
      });
    } else if (c.lossName === 'SoftmaxCrossEntropyLoss') {
      softmaxCEKernel(c.options)({
        pred: data,
        predShape: pred.shape,
        label: call.label,
        sampleWeight: weights,
        loss: lossOut,
        gradient,
      });
    } else {
      lossKernel(new make(c.options))({
        pred: data,
        label: call.label as FloatArray,
        ...(call.negative ? { negative: call.negative } : {}),
        sampleWeight: weights,
        loss: lossOut,
        gradient,
      });
    }
  } catch (error) {
    if (!(expected instanceof Error))
      return `[${backend}] the kernel threw where the class did not: ${(error as Error).message}`;
    // Both refuse the call: the kernel with a typed error of the class's kind, naming itself.
    return refusal(error, expected, kernelName(c.lossName), backend);
  }
  if (expected instanceof Error)
    return `[${backend}] the class threw where the kernel did not: ${expected.message}`;
  const lossAt = firstDifference(lossOut, expected.loss);
  if (lossAt >= 0)
    return `[${backend}] loss[${lossAt}]: kernel ${lossOut[lossAt]}, class ${expected.loss[lossAt]}`;
  const gradientAt = firstDifference(gradient, expected.gradient);
  if (gradientAt >= 0)
    return `[${backend}] d/dpred[${gradientAt}]: kernel ${gradient[gradientAt]}, class ${expected.gradient[gradientAt]}`;
  return null;
}

/** Null when softmaxCEKernel or ctcKernel refuses options its class refuses, with the class's error type, named. */
function refusedOptions(lossName: string, options: object, expected: Error): string | null {
  const make =
    lossName === 'SoftmaxCrossEntropyLoss' ? softmaxCEKernel : lossName === 'CTCLoss' ? ctcKernel : null;
  if (!make) return null; // lossKernel takes a loss object: the class's constructor has refused them
  try {
    make(options);
  } catch (error) {
    return refusal(error, expected, kernelName(lossName), 'construct');
  }
  return `the kernel took options the class refuses: ${expected.message}`;
}

describe('typed-kernel fuzz: gloss-ml/kernels gives the class its bits', () => {
  const backends = availableBackends();
  const names = Object.keys(ALL_LOSSES);
  for (const name of TYPED) {
    const lossIndex = names.indexOf(name);
    if (ONLY && ONLY[0] !== name) continue;
    test(`${name}: ${ONLY ? 1 : CASES_PER_LOSS} seeded cases on ${backends.join(' and ')}`, (t) => {
      const seeds = ONLY
        ? [Number(ONLY[1])]
        : Array.from({ length: CASES_PER_LOSS }, (_, i) => caseSeed(lossIndex, i));
      const failures: string[] = [];
      const skipped = new Map<string, number>();
      let compared = 0;
      let refusals = 0;
      let enlargedCount = 0;
      try {
        for (const seed of seeds) {
          const c = makeCase(name, seed);
          const make = ALL_LOSSES[name] as unknown as new (o: object) => Loss;
          let reason: string;
          let loss: Loss | null = null;
          try {
            loss = new make(c.options);
          } catch (error) {
            // Options the class refuses: a kernel that builds its own loss object refuses them too.
            const failure = refusedOptions(name, c.options, error as Error);
            if (failure) failures.push(`${failure}\n    ${describeCase(c)}`);
          }
          if (loss) {
            const call = callOf(c, loss);
            reason = typeof call === 'string' ? call : '';
          } else reason = 'options the class refuses';
          if (reason) {
            skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
            continue;
          }
          compared++;
          if (c.expected) refusals++;
          // One case in four again at about 20,000 prediction elements (generators/enlarge.ts):
          // many blocks, kernel chunks and, for float32 on wasm, the class's arena gradient region.
          const large = seed % 4 === 1 ? enlarged(c) : null;
          if (large) enlargedCount++;
          for (const backend of backends) {
            for (const run of large ? [c, large] : [c]) {
              const failure = checkCase(run, backend);
              if (failure) failures.push(`${failure}\n    ${describeCase(run)}`);
            }
          }
        }
      } finally {
        setKernelBackend('auto');
      }
      const reasons = [...skipped].map(([r, n]) => `${n} ${r}`).join(', ');
      t.diagnostic(
        `${name}: ${compared} cases compared (${refusals} of them bad input both must refuse, ${enlargedCount} also enlarged); left out: ${reasons || 'none'}`,
      );
      assert.ok(ONLY || compared > 0, `${name}: no case the kernel can take`);
      assert.deepEqual(failures, [], failures.join('\n'));
    });
  }
});
