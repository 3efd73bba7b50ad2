/**
 * Float32 matrix product for Dense layers: `out = op(A) · op(B)` with op(A) rows × inner and
 * op(B) inner × columns, each operand optionally transposed (stored the other way round), all
 * row-major and contiguous from their offsets.
 *
 * The wasm kernel packs both operands into its scratch memory (A in panels of 4 rows, B with
 * columns padded to 8; a transposed operand is packed by a strided copy, so every orientation
 * runs the same product; a row-major A is packed by 4 × 4 register transposes, and a row-major
 * B or product whose width is a multiple of 8 is already in packed layout and only copied),
 * then runs a cache-blocked 4 × 8 SIMD tile loop with float32
 * accumulation (like a plain float32 loop; no fused multiply-add in wasm SIMD). The scratch
 * holds both operands and the product at once, so it grows to about
 * 4·(rows·inner + inner·columns + 2·rows·columns) bytes. Float64 operands and the `'js'` backend
 * run a plain triple loop in float64 (into `out`'s precision).
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import { checkCount, checkSpan, type FloatArray } from './_spans.js';
import { regionBytes, reserveScratch, SCRATCH_BASE, type Scratch, wasmScratch } from './runtime.js';

/**
 * `out[outOffset + i·columns + j] = Σ_k op(A)(i, k) · op(B)(k, j)`, assigned. A is stored as
 * rows × inner (or inner × rows when `transposeA`), B as inner × columns (or columns × inner
 * when `transposeB`).
 */
export function matmul(
  a: FloatArray,
  aOffset: number,
  b: FloatArray,
  bOffset: number,
  out: FloatArray,
  outOffset: number,
  rows: number,
  columns: number,
  inner: number,
  transposeA = false,
  transposeB = false,
): void {
  const where = 'matmul';
  checkCount(where, 'rows', rows);
  checkCount(where, 'columns', columns);
  checkCount(where, 'inner', inner);
  checkSpan(where, 'a', a, aOffset, rows * inner);
  checkSpan(where, 'b', b, bOffset, inner * columns);
  checkSpan(where, 'out', out, outOffset, rows * columns);
  if (
    (a === out && rangesOverlap(aOffset, rows * inner, outOffset, rows * columns)) ||
    (b === out && rangesOverlap(bOffset, inner * columns, outOffset, rows * columns))
  ) {
    throw new ValueError(`${where}: out must not overlap a or b`);
  }
  if (rows === 0 || columns === 0) return;
  if (inner === 0) {
    out.fill(0, outOffset, outOffset + rows * columns);
    return;
  }
  const layout = scratchLayout(rows, columns, inner);
  const scratch = reserveScratch(
    a instanceof Float32Array && b instanceof Float32Array ? wasmScratch() : null,
    layout.end - SCRATCH_BASE,
  );
  if (!scratch) {
    matmulJs(a, aOffset, b, bOffset, out, outOffset, rows, columns, inner, transposeA, transposeB);
    return;
  }
  matmulWasm(
    scratch,
    layout,
    a as Float32Array,
    aOffset,
    b as Float32Array,
    bOffset,
    out,
    outOffset,
    rows,
    columns,
    inner,
    transposeA,
    transposeB,
  );
}

function rangesOverlap(first: number, firstLength: number, second: number, secondLength: number): boolean {
  return first < second + secondLength && second < first + firstLength;
}

function matmulJs(
  a: FloatArray,
  aOffset: number,
  b: FloatArray,
  bOffset: number,
  out: FloatArray,
  outOffset: number,
  rows: number,
  columns: number,
  inner: number,
  transposeA: boolean,
  transposeB: boolean,
): void {
  const aRow = transposeA ? 1 : inner;
  const aColumn = transposeA ? rows : 1;
  const bRow = transposeB ? 1 : columns;
  const bColumn = transposeB ? inner : 1;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) {
      let sum = 0;
      for (let k = 0; k < inner; k++)
        sum += a[aOffset + i * aRow + k * aColumn]! * b[bOffset + k * bRow + j * bColumn]!;
      out[outOffset + i * columns + j] = sum;
    }
  }
}

/** Byte offsets of the packed operands, the padded product and the staging area. */
interface MatmulLayout {
  readonly paddedRows: number;
  readonly paddedColumns: number;
  readonly packedA: number;
  readonly packedB: number;
  readonly product: number;
  readonly staging: number;
  readonly end: number;
}

function scratchLayout(rows: number, columns: number, inner: number): MatmulLayout {
  const paddedRows = Math.ceil(rows / 4) * 4;
  const paddedColumns = Math.ceil(columns / 8) * 8;
  const packedA = SCRATCH_BASE;
  const packedB = packedA + regionBytes(paddedRows * inner * 4);
  const product = packedB + regionBytes(inner * paddedColumns * 4);
  const staging = product + regionBytes(paddedRows * paddedColumns * 4);
  const end = staging + regionBytes(Math.max(rows * inner, inner * columns, rows * columns) * 4);
  return { paddedRows, paddedColumns, packedA, packedB, product, staging, end };
}

function matmulWasm(
  scratch: Scratch,
  layout: MatmulLayout,
  a: Float32Array,
  aOffset: number,
  b: Float32Array,
  bOffset: number,
  out: FloatArray,
  outOffset: number,
  rows: number,
  columns: number,
  inner: number,
  transposeA: boolean,
  transposeB: boolean,
): void {
  const { paddedRows, paddedColumns, packedA, packedB, product, staging } = layout;
  const { kernels } = scratch;
  const stagingAt = staging >> 2;
  scratch.f32.set(a.subarray(aOffset, aOffset + rows * inner), stagingAt);
  if (transposeA) {
    // op(A)(i, k) sits at k·rows + i: a strided copy.
    kernels.packRowPanels(staging, 1, rows, rows, inner, packedA);
  } else {
    // Row-major: whole panels of 4 rows by 4 × 4 register transposes, the ragged last panel
    // (rows % 4, padded with zero rows) by the strided copy.
    const whole = rows & ~3;
    kernels.packRowPanelsContiguous(staging, whole, inner, packedA);
    if (whole < rows) {
      kernels.packRowPanels(
        staging + whole * inner * 4,
        inner,
        1,
        rows - whole,
        inner,
        packedA + whole * inner * 4,
      );
    }
  }
  if (!transposeB && columns === paddedColumns) {
    // Already the packed layout: B row-major with no padding columns.
    scratch.f32.set(b.subarray(bOffset, bOffset + inner * columns), packedB >> 2);
  } else {
    scratch.f32.set(b.subarray(bOffset, bOffset + inner * columns), stagingAt);
    kernels.packRows(
      staging,
      transposeB ? 1 : columns,
      transposeB ? inner : 1,
      inner,
      columns,
      packedB,
      paddedColumns,
    );
  }
  kernels.matmul(packedA, packedB, product, paddedRows, paddedColumns, inner);
  if (columns === paddedColumns) {
    // The first rows of the padded product are the result, contiguous.
    out.set(scratch.f32.subarray(product >> 2, (product >> 2) + rows * columns), outOffset);
    return;
  }
  kernels.packRows(product, paddedColumns, 1, rows, columns, staging, columns);
  out.set(scratch.f32.subarray(stagingAt, stagingAt + rows * columns), outOffset);
}
