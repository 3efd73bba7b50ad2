/**
 * The scaled softmax gradient of sparse-label rows whose scale is known only once their
 * normalisers are (SoftmaxFocalLoss: a row's scale depends on p at its label), from exponentials
 * taken once. The normaliser pass leaves each row's e^{x − m} in the gradient: softmax.wat's
 * softmaxRowStatistics with unscaled output, written in place in an arena gradient region. The
 * gradient pass then multiplies them by the row's float32 coefficient s · e^{−logSum} (scaleFloats)
 * instead of taking them again.
 *
 * softmaxGradientRows computes the same thing for these rows: softmaxRowsScaled multiplies the
 * same float32 exponential ($expNonPositive4 of x − m) by the same float32 coefficient, and the
 * label entries get the same s · expm1(log p). So the bits are its bits, and every row this does
 * not cover goes to softmaxGradientRows itself: a row whose maximum is not finite, or whose scale
 * would lose its value in float32.
 * @module
 */
import { scaleFitsFloat32 } from './_scales.js';
import type { SoftmaxRows } from './_softmax-arguments.js';
import { CHUNK, MAX_AT, REST_AT, SCRATCH_BYTES, writesInPlace, X_AT } from './_softmax-scratch.js';
import type { FloatArray } from './_spans.js';
import { arenaScratch, reserveScratch } from './runtime.js';
import { softmaxGradientRows } from './softmax.js';
import { referenceNormalizers } from './softmax-float64.js';
import { softmaxCoefficient } from './softmax-scaled.js';

/** Rows and the gradient region their exponentials are kept in (rows · classes floats). */
export interface RowsKeepingExponentials extends SoftmaxRows {
  readonly out: FloatArray;
}

/**
 * Writes the rows' normalisers (as softmaxRowNormalizers) and leaves e^{x − m} of every row whose
 * maximum m is finite in `out`. Returns false, having written nothing that counts, unless the
 * rows are float32 logits of at most one chunk each on the wasm backend and `out` is a gradient
 * region of the arena (the kernel writes it in place, never past a row).
 */
export function softmaxNormalizersKeepingExponentials(rows: RowsKeepingExponentials): boolean {
  const { x, classes, shift, logSum, out } = rows;
  if (!(x instanceof Float32Array) || classes > CHUNK || classes === 0) return false;
  const scratch = reserveScratch(arenaScratch(), SCRATCH_BYTES);
  if (!scratch || !writesInPlace(scratch, out)) return false;
  const { f32, f64, kernels } = scratch;
  const per = Math.max(1, Math.min(shift.length, Math.floor(CHUNK / classes)));
  for (let start = 0; start < shift.length; start += per) {
    const count = Math.min(per, shift.length - start);
    f32.set(x.subarray(start * classes, (start + count) * classes), X_AT >> 2);
    // scales 0: the exponentials unscaled, into the region
    const outAt = out.byteOffset + 4 * start * classes;
    kernels.softmaxRowStatistics(X_AT, count, classes, 0, MAX_AT, REST_AT, outAt, 0, 0, 0);
    for (let r = start; r < start + count; r++) {
      const maximum = f32[(MAX_AT >> 2) + r - start]!;
      if (maximum - maximum !== 0) referenceNormalizers(rows, r, r + 1);
      else {
        shift[r] = maximum;
        logSum[r] = Math.log1p(f64[(REST_AT >> 3) + r - start]!);
      }
    }
  }
  return true;
}

/** {@link scaleKeptExponentials}'s arguments: the rows after {@link softmaxNormalizersKeepingExponentials}. */
export interface KeptExponentialsGradient extends RowsKeepingExponentials {
  /** s per row. */
  readonly scale: Float64Array;
  /** The class index of every row (checked by the caller). */
  readonly labels: Int32Array;
}

/**
 * out_r = s_r · (softmax(x_r) − onehot(label_r)) from the kept exponentials: softmaxGradientRows's
 * bits (see the module comment); the label's entry s_r · expm1(log p).
 */
export function scaleKeptExponentials(rows: KeptExponentialsGradient): void {
  const { x, classes, shift, logSum, scale, labels, out } = rows;
  const { kernels } = reserveScratch(arenaScratch(), SCRATCH_BYTES)!;
  for (let r = 0, row = 0; r < shift.length; r++, row += classes) {
    const s = scale[r]!;
    const l = logSum[r]!;
    if (l - l !== 0 || !scaleFitsFloat32(s)) {
      softmaxGradientRows({
        x: x.subarray(row, row + classes),
        classes,
        shift: shift.subarray(r, r + 1),
        logSum: logSum.subarray(r, r + 1),
        scale: scale.subarray(r, r + 1),
        labels: labels.subarray(r, r + 1),
        out: out.subarray(row, row + classes),
      });
      continue;
    }
    // scaledSoftmax's coefficient, rounded to float32 as it is there
    kernels.scaleFloats(out.byteOffset + 4 * row, classes, softmaxCoefficient(s, l));
    const k = row + labels[r]!;
    // p − 1 = expm1(log p): no cancellation when p is within rounding of 1.
    out[k] = s * Math.expm1(x[k]! - shift[r]! - l);
  }
}
