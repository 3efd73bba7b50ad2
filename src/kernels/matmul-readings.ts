/**
 * How matmul.ts's tiles read each operand (see matmul.wat): where it was copied to, through
 * strides, or from panels packed once (matmul-packing.wat), as byte readings the tiles take.
 * @module
 */
import type { MatmulLayout } from './matmul.js';
import type { KernelExports } from './kernel-exports.js';

/** Where the tiles read one operand: a start and byte strides (see matmul.wat). */
export interface Reading {
  readonly at: number;
  /** A: between the rows of a panel; unused for B. */
  readonly lane: number;
  /** Between consecutive k. */
  readonly step: number;
  /** Between panels (of 4 rows of A, of `panel` columns of B). */
  readonly panelStride: number;
}

/** A run of B's columns read one way: [first, first + count). */
export interface ColumnRun extends Reading {
  readonly first: number;
  readonly count: number;
}

/**
 * How the tiles read A, as readings of its whole panels of 4 rows and of the ragged last rows % 4
 * (null when none). A row-major A is read where it was copied to (a panel's 4 rows inner apart)
 * and only its ragged rows are packed, padded with zero rows, unless the layout packs its rows
 * (fused multiply-adds: packRowPanels4, a 4 × 4 transpose of vectors); a transposed A is packed
 * whole (vector copies, its panel rows being side by side), because its rows are far apart.
 * Packed panels are read at lane 4 bytes and step 16, which the tiles take as packed.
 */
export function readingsOfA(
  kernels: KernelExports,
  layout: MatmulLayout,
  rows: number,
  inner: number,
): [Reading, Reading | null] {
  const { bytes, stagedA, packedA } = layout;
  const packed = (at: number): Reading => ({
    at,
    lane: bytes,
    step: 4 * bytes,
    panelStride: 4 * inner * bytes,
  });
  const strided = bytes === 4 ? kernels.packPanels4 : kernels.packPanels4F64;
  const wholeRows = rows & ~3;
  if (layout.packA === 'transposed') {
    // op(A)(i, k) = A[k · rows + i]
    if (wholeRows > 0) {
      const contiguous = bytes === 4 ? kernels.packPanelsContiguous4 : kernels.packPanelsContiguous4F64;
      contiguous(stagedA, rows, wholeRows, inner, packedA);
    }
    if (wholeRows < rows) {
      const at = packedA + wholeRows * inner * bytes;
      strided(stagedA + wholeRows * bytes, 1, rows, rows - wholeRows, inner, at);
    }
    return [packed(packedA), null];
  }
  // op(A)(i, k) = A[i · inner + k]
  if (layout.packA === 'rows') {
    // float32 only: every panel packed (packRowPanels4), the ragged one padded with zero rows.
    if (wholeRows > 0) kernels.packRowPanels4(stagedA, inner, wholeRows, inner, packedA);
    if (wholeRows < rows)
      strided(
        stagedA + wholeRows * inner * bytes,
        inner,
        1,
        rows - wholeRows,
        inner,
        packedA + wholeRows * inner * bytes,
      );
    return [packed(packedA), null];
  }
  const whole: Reading = { at: stagedA, lane: inner * bytes, step: bytes, panelStride: 4 * inner * bytes };
  if (wholeRows === rows) return [whole, null];
  strided(stagedA + wholeRows * inner * bytes, inner, 1, rows - wholeRows, inner, packedA);
  return [whole, packed(packedA)];
}

/**
 * How the tiles read B: packed whole into panels (transposed, or read by many row panels), else
 * its whole panels where it was copied to and only the ragged last panel packed.
 */
export function columnRuns(
  kernels: KernelExports,
  layout: MatmulLayout,
  columns: number,
  inner: number,
  transposeB: boolean,
): ColumnRun[] {
  const { bytes, panel, stagedB, packedB } = layout;
  const strided = bytes === 4 ? kernels.packPanels8 : kernels.packPanels4F64;
  const packed = { lane: 0, step: panel * bytes, panelStride: inner * panel * bytes };
  if (transposeB) {
    // op(B)(k, j) = B[j · inner + k]
    strided(stagedB, inner, 1, columns, inner, packedB);
    return [{ at: packedB, ...packed, first: 0, count: columns }];
  }
  // op(B)(k, j) = B[k · columns + j]: a panel's columns side by side.
  const whole = columns & -panel;
  const runs: ColumnRun[] = [];
  if (layout.packB) {
    if (whole > 0) {
      const contiguous = bytes === 4 ? kernels.packPanelsContiguous8 : kernels.packPanelsContiguous4F64;
      contiguous(stagedB, columns, whole, inner, packedB);
    }
    runs.push({ at: packedB, ...packed, first: 0, count: columns });
  } else if (whole > 0) {
    runs.push({
      at: stagedB,
      lane: 0,
      step: columns * bytes,
      panelStride: panel * bytes,
      first: 0,
      count: whole,
    });
  }
  if (whole < columns) {
    const at = layout.packB ? packedB + whole * inner * bytes : packedB;
    strided(stagedB + whole * bytes, 1, columns, columns - whole, inner, at);
    if (!layout.packB) runs.push({ at, ...packed, first: whole, count: columns - whole });
  }
  return runs;
}
