/**
 * The argument objects of the softmax kernel family (softmax.ts): views of the rows, their
 * normalisers and the outputs, each of the length its comment gives.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';
import type { FloatArray } from './_spans.js';

/** Per-row normalisers of a log-softmax (see softmax.ts): two numbers per row. */
export interface RowNormalizers {
  readonly shift: Float64Array;
  readonly logSum: Float64Array;
}

/** `shift.length` rows of `classes` logits (float32 runs the wasm kernels) and their normalisers. */
export interface SoftmaxRows extends RowNormalizers {
  readonly x: TypedArray;
  readonly classes: number;
}

/** Sparse labels (a class index in [0, classes) per row) and the loss per row. */
export interface SparseCrossEntropyRows extends SoftmaxRows {
  readonly labels: Int32Array;
  readonly loss: Float64Array;
}

/** The scaled softmax gradient (see {@link softmaxGradientRows}); `out` must not overlap `x`. */
export interface SoftmaxGradientRows extends SoftmaxRows {
  readonly scale: number | Float64Array;
  readonly labels: Int32Array | null;
  readonly out: FloatArray;
  /**
   * Dense labels z (x's shape) and a scale s_r per row, with `labels` null: out = scale_r ·
   * softmax(x_r) − s_r · z_r, the difference taken in float64 and rounded once into out (the
   * gradient through the log-softmax of a dense target, with scale_r = s_r · Σ z_r).
   */
  readonly denseLabels?: { readonly z: TypedArray; readonly scales: Float64Array } | null;
}

/** Sparse softmax cross-entropy and its gradient in one pass: rows = labels.length. */
export interface SparseCrossEntropyGradientRows extends Omit<SparseCrossEntropyRows, 'shift' | 'logSum'> {
  readonly scales: Float64Array;
  readonly out: FloatArray;
  /**
   * Scratch for the rows' normalisers, one entry per row each, owned by the caller (its contents
   * on return are the normalisers of the rows this thread computed, NaN for the rows another
   * kernel thread took); without it the call allocates its own.
   */
  readonly normalizers?: RowNormalizers;
  /** Label smoothing's uniform part, done by the kernel where it can (see {@link UniformTargetParts}). */
  readonly uniformParts?: UniformTargetParts;
}

/**
 * Label smoothing's uniform part of a one-pass call (SoftmaxCrossEntropyLoss with labelSmoothing
 * ε and class weights w): for each row the wasm kernel takes while it is in cache, it subtracts
 * `uniform[r] · weights[c]` (uniform[r] = s_r · ε / C) from every gradient entry `out[r, c]` but
 * the label's (in float64, one rounding; the caller writes the label's entry, whose smoothed form
 * would cancel, from the row's normalisers) and writes `spreads[r] = Σ_c weights[c] · (x_label −
 * x_c)` (float64, each difference in float64). Every other row — the js backend, float64
 * logits, rows longer than a chunk (C > 16384), rows whose maximum is not finite, scales that do
 * not fit float32 — gets `done[r] = 0` and an unchanged gradient: the caller does those in
 * float64 (see fixOnePass in loss/_softmax-one-pass-targets.ts). A call with uniform parts is not
 * split across kernel threads.
 */
export interface UniformTargetParts {
  /** w_c per class (all 1 without class weights): `classes` values. */
  readonly weights: Float64Array;
  /** s_r · ε / C per row. */
  readonly uniform: Float64Array;
  /** Out: Σ_c w_c · (x_label − x_c) per row done (NaN itself when a term is 0 · ∞). */
  readonly spreads: Float64Array;
  /** Out: 1 for each row done, 0 for each row left to the caller. */
  readonly done: Uint8Array;
}
