/**
 * Runs conformance case files (format: shared/conformance/README.md) against gloss's losses:
 * builds the inputs, runs the forward under autograd, back-propagates `headGrad`, and compares
 * the loss and every listed gradient at the case's tolerance (or the float32 tolerance).
 * Environment-free: the caller reads the files.
 * @module
 */
import { grad, record } from '../autograd/index.js';
import { array } from '../ndarray/create.js';
import type { DType } from '../ndarray/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { ALL_LOSSES } from '../loss/index.js';
import * as losses from '../loss/exports.js';

/** One array as stored in a case file. Non-finite values are strings. */
export interface CaseArray {
  name?: string;
  dtype?: string;
  shape: number[];
  data: (number | string)[];
}

export interface ConformanceCase {
  id: string;
  loss?: string;
  options?: Record<string, unknown>;
  args: (CaseArray | null)[];
  expected: { loss?: CaseArray; grads?: Record<string, CaseArray>; error?: string };
  headGrad?: CaseArray | null;
  tol?: { rtol: number; atol: number };
  tags?: string[];
  note?: string;
}

export interface CaseFile {
  loss?: string;
  cases: ConformanceCase[];
}

export interface CaseResult {
  id: string;
  loss: string;
  passed: boolean;
  /** What failed, with the worst error, when `passed` is false. */
  message?: string;
  /** Largest error as a fraction of the allowed error (≤ 1 passes). */
  worst: number;
}

function decode(value: number | string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  throw new Error(`conformance: unknown value ${JSON.stringify(value)}`);
}

function toNDArray(arg: CaseArray, floatDType: DType): NDArray {
  const dtype: DType = arg.dtype === 'int32' ? 'int32' : floatDType;
  const values = arg.data.map(decode);
  const flat = array(values, { dtype });
  return arg.shape.length === 1 && arg.shape[0] === values.length
    ? flat
    : flat.reshape(arg.shape.length ? arg.shape : []);
}

/** Tolerances of one case at a dtype, per the conformance README. */
export function tolerance(testCase: ConformanceCase, dtype: DType): { rtol: number; atol: number } {
  const tol = testCase.tol ?? { rtol: 1e-9, atol: 1e-10 };
  if (dtype === 'float64') return tol;
  const extreme = testCase.tags?.includes('extreme') ?? false;
  return extreme ? { rtol: 2e-3, atol: 2e7 * tol.atol } : { rtol: 1e-4, atol: 1e5 * tol.atol };
}

/** Worst error of `got` against `expected`, as a fraction of the allowed error; Infinity on a pattern mismatch. */
function compare(
  got: NDArray,
  expected: CaseArray,
  tol: { rtol: number; atol: number },
): { worst: number; detail: string } {
  const shapeOk =
    got.shape.length === expected.shape.length && got.shape.every((d, i) => d === expected.shape[i]);
  if (!shapeOk) return { worst: Infinity, detail: `shape [${got.shape}] != expected [${expected.shape}]` };
  let worst = 0;
  let detail = '';
  expected.data.forEach((raw, i) => {
    const want = decode(raw);
    const have = got.data[i]!;
    let ratio: number;
    if (!Number.isFinite(want))
      ratio = Object.is(want, have) || (Number.isNaN(want) && Number.isNaN(have)) ? 0 : Infinity;
    else if (!Number.isFinite(have)) ratio = Infinity;
    else ratio = Math.abs(have - want) / (tol.atol + tol.rtol * Math.abs(want));
    if (ratio > worst || (ratio === Infinity && detail === '')) {
      worst = ratio;
      detail = `at ${i}: got ${have}, expected ${want}`;
    }
  });
  return { worst, detail };
}

function construct(lossName: string, options: Record<string, unknown>) {
  const cls =
    (ALL_LOSSES as Record<string, unknown>)[lossName] ?? (losses as Record<string, unknown>)[lossName];
  if (typeof cls !== 'function') throw new Error(`no loss named ${lossName}`);
  return new (cls as new (o: Record<string, unknown>) => { forward(...x: unknown[]): NDArray })(options);
}

/** Runs one case in `dtype` and reports whether it passed. */
export function runCase(testCase: ConformanceCase, fileLoss: string | undefined, dtype: DType): CaseResult {
  const lossName = testCase.loss ?? fileLoss ?? '?';
  const base = { id: testCase.id, loss: lossName };
  const expectedError = testCase.expected.error;
  let inputs: (NDArray | number | null)[] = [];
  try {
    inputs = testCase.args.map((arg) => {
      if (arg === null) return null;
      if (arg.name === 'epsilon' && arg.shape.length === 0) return decode(arg.data[0]!);
      return toNDArray(arg, dtype);
    });
  } catch (error) {
    return {
      ...base,
      passed: false,
      worst: Infinity,
      message: `bad case input: ${(error as Error).message}`,
    };
  }
  const named = new Map<string, NDArray>();
  testCase.args.forEach((arg, i) => {
    const x = inputs[i];
    if (
      arg?.name &&
      x &&
      typeof x !== 'number' &&
      x.dtype !== 'int32' &&
      testCase.expected.grads?.[arg.name]
    ) {
      x.attachGrad();
      named.set(arg.name, x);
    }
  });
  let output: NDArray;
  try {
    const loss = construct(lossName, testCase.options ?? {});
    output = record(() => loss.forward(...inputs));
  } catch (error) {
    const kind = (error as Error).name;
    if (expectedError) {
      return kind === expectedError
        ? { ...base, passed: true, worst: 0 }
        : {
            ...base,
            passed: false,
            worst: Infinity,
            message: `expected ${expectedError}, got ${kind}: ${(error as Error).message}`,
          };
    }
    return { ...base, passed: false, worst: Infinity, message: `threw ${kind}: ${(error as Error).message}` };
  }
  if (expectedError)
    return {
      ...base,
      passed: false,
      worst: Infinity,
      message: `expected ${expectedError}, but nothing was thrown`,
    };
  const tol = tolerance(testCase, dtype);
  let worst = 0;
  let message = '';
  const note = (what: string, result: { worst: number; detail: string }) => {
    if (result.worst > worst || (result.worst > 1 && !message)) {
      worst = result.worst;
      message = `${what} ${result.detail}`;
    }
  };
  if (testCase.expected.loss) note('loss', compare(output, testCase.expected.loss, tol));
  const gradNames = [...named.keys()];
  if (gradNames.length > 0) {
    try {
      const head = testCase.headGrad ? toNDArray(testCase.headGrad, output.dtype) : null;
      const grads = grad(
        output,
        gradNames.map((n) => named.get(n)!),
        head ? { headGrads: head } : {},
      );
      gradNames.forEach((n, k) => {
        note(`grad ${n}`, compare(grads[k]!, testCase.expected.grads![n]!, tol));
      });
    } catch (error) {
      return {
        ...base,
        passed: false,
        worst: Infinity,
        message: `backward threw ${(error as Error).name}: ${(error as Error).message}`,
      };
    }
  }
  return worst <= 1 ? { ...base, passed: true, worst } : { ...base, passed: false, worst, message };
}

/** Runs every case of a parsed file. */
export function runFile(file: CaseFile, dtype: DType): CaseResult[] {
  return file.cases.map((c) => runCase(c, file.loss, dtype));
}
