/**
 * KLDivLoss's block backward for pred through the log-softmax with Gluon's class mean, where every
 * ℓ element of a row touches the whole row and a block boundary may split a row (see RowMass).
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { type ClassRows, type DenseLabel, labelOffset, Runs } from './_class-rows.js';

/**
 * Through the log-softmax, ∂ℓ_j/∂x_k = [j = k] · (−z_j) + p_k · z_j for the ℓ elements j of k's
 * row, so pred's gradient is −g_k z_k + p_k · Σ_j g_j z_j: its second part needs the whole row's
 * dℓ, which a block boundary may split. Each block assigns the first part and adds g_j z_j to its
 * row's float64 sum; the block that completes a row (the last of its `size` elements) adds
 * p_k · sum to the whole row — or, when the whole row lies in that block (the usual case),
 * rewrites it from both parts at once, so a float32 gradient is rounded once. Every row
 * completes once per pass, so this is linear.
 */
export class RowMass {
  /** Σ g_j z_j over the elements of each row seen so far in this pass. */
  readonly mass: Float64Array;
  /** How many elements of each row have been seen in this pass. */
  readonly seen: Int32Array;
  private gradient: TypedArray | null = null;

  constructor(rows: number) {
    this.mass = new Float64Array(rows);
    this.seen = new Int32Array(rows);
  }

  /** A new gradient array (a new backward pass) restarts the sums. */
  begin(gradient: TypedArray): void {
    if (gradient === this.gradient) return;
    this.gradient = gradient;
    this.mass.fill(0);
    this.seen.fill(0);
  }
}

/** Gluon mean through the log-softmax: ∂/∂x_k = −g_k z_k + p_k · Σ_{j in k's row} g_j z_j (see RowMass). */
export function meanPredBackward(
  rows: ClassRows,
  label: DenseLabel,
  rowMass: RowMass,
  dLoss: Float64Array,
  dPred: TypedArray,
): void {
  rowMass.begin(dPred);
  const { mass, seen } = rowMass;
  const { x, begin, end } = rows;
  const { size, inner } = rows.layout;
  const { shift, logSum } = rows.normalizers!;
  const { z } = label;
  for (const run = new Runs(rows, false); run.next(); ) {
    const { step, last } = run;
    for (let k = run.k, r = run.r, j = run.j; k < last; k++, r += step, j++) {
      const weighted = dLoss[j]! * z[labelOffset(label, k)]!;
      dPred[k] = -weighted;
      mass[r]! += weighted;
      if (++seen[r]! < size) continue;
      const m = shift[r]!;
      const l = logSum[r]!;
      const total = mass[r]!;
      // Row r = o · inner + i holds the elements o · size · inner + i + c · inner.
      const rowStart = (r - (r % inner)) * size + (r % inner);
      const rowEnd = rowStart + size * inner;
      if (rowStart >= begin && rowEnd - inner < end) {
        // The whole row is in this block: write each entry once, from its own dℓ (one rounding).
        for (let q = rowStart; q < rowEnd; q += inner) {
          const own = dLoss[q - begin]! * z[labelOffset(label, q)]!;
          dPred[q] = Math.exp(x[q]! - m - l) * total - own;
        }
      } else {
        for (let q = rowStart; q < rowEnd; q += inner) dPred[q]! += Math.exp(x[q]! - m - l) * total;
      }
      mass[r] = 0;
      seen[r] = 0;
    }
  }
}
