// Helpers of the CTCLoss tests (ctc.test.ts, ctc-edge-cases.test.ts, ctc-recursion.test.ts).
import { grad, record } from '../../src/autograd/index.js';
import type { CTCLoss } from '../../src/loss/ctc.js';
import { array } from '../../src/ndarray/create.js';
import type { DType } from '../../src/ndarray/dtype.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { normal, RandomGenerator } from '../../src/ndarray/random.js';
import { CONFORMANCE } from './_elementwise-checks.js';

export { assertClose } from './_elementwise-checks.js';

/** The shared conformance cases (under GLOSS_SHARED when set, so a git worktree finds them too). */
export const CASES = `${CONFORMANCE}/cases/CTCLoss.json`;

export const f64 = (values: unknown) => array(values as number[], { dtype: 'float64' });
export const i32 = (values: unknown) => array(values as number[], { dtype: 'int32' });

/** Loss values and the gradient w.r.t. pred (of Σ loss, or Σ headGrad·loss). */
export function lossAndGradient(loss: CTCLoss, inputs: readonly (NDArray | null)[], headGrad?: NDArray) {
  const pred = inputs[0]!;
  pred.attachGrad();
  const out = record(() => loss.forward(...inputs));
  const [dPred] = grad(out, [pred], headGrad ? { headGrads: headGrad } : {});
  return { loss: Array.from(out.data), grad: dPred! };
}

/** log-softmax of one frame, in float64. */
export function logSoftmaxRow(row: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(row));
  const lse = m + Math.log(Array.from(row).reduce((s, v) => s + Math.exp(v - m), 0));
  return Array.from(row, (v) => v - lse);
}

/** Random NTC logits of `shape` in float64 (or `dtype`). */
export function logits(seed: number, shape: number[], scale = 1, dtype: DType = 'float64'): NDArray {
  return normal(0, scale, shape, { dtype, generator: new RandomGenerator(seed) });
}
