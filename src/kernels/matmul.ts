/**
 * Matrix product for Dense layers and `nd.dot`: `out = op(A) · op(B)` with op(A) rows × inner and
 * op(B) inner × columns, each operand optionally transposed (stored the other way round), all
 * row-major and contiguous from their offsets.
 *
 * On the wasm backend (matmul.wat): each operand is copied into scratch memory once and packed
 * once (B whole, in panels of 8 columns for float32 or 4 for float64; A a block of rows at a
 * time, in panels of 4 rows, so the packed block stays in L2), then register tiles of 4 × 8
 * floats (4 × 4 doubles) run over the whole inner dimension with their accumulators in
 * registers and are stored straight into the product. A float32 product accumulates in float32
 * (like any float32 BLAS; wasm SIMD has no fused multiply-add) unless `accumulation` asks for
 * float64; any float64 array makes it a float64 product (float32 operands are widened as they
 * are copied in, a float32 result rounded once at the end). Scratch grows to about
 * E·(rows·inner + 64K + inner·columns + max(rows, inner)·columns) bytes, E the element size.
 *
 * The `'js'` backend runs a plain triple loop in float64, rounded into `out`'s precision.
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import { checkCount, checkSpan, type FloatArray } from './_spans.js';
import {
  type KernelExports,
  regionBytes,
  reserveScratch,
  SCRATCH_BASE,
  type Scratch,
  wasmScratch,
} from './runtime.js';

/** The operands and shape of one product; offsets default to 0, transpositions to false. */
export interface MatmulArguments {
  /** rows × inner, row-major (inner × rows when `transposeA`). */
  readonly a: FloatArray;
  readonly aOffset?: number;
  /** inner × columns, row-major (columns × inner when `transposeB`). */
  readonly b: FloatArray;
  readonly bOffset?: number;
  /** rows × columns, row-major, assigned (never read); must not overlap a or b. */
  readonly out: FloatArray;
  readonly outOffset?: number;
  readonly rows: number;
  readonly columns: number;
  readonly inner: number;
  readonly transposeA?: boolean;
  readonly transposeB?: boolean;
  /**
   * The precision of the sums: `'float32'` (the default when a, b and out are all float32) or
   * `'float64'` (always when an array is float64; a float32 result is then rounded once).
   */
  readonly accumulation?: 'float32' | 'float64';
}

/** `out[outOffset + i·columns + j] = Σ_k op(A)(i, k) · op(B)(k, j)`, assigned. */
export function matmul(args: MatmulArguments): void {
  const { a, b, out, rows, columns, inner } = args;
  const aOffset = args.aOffset ?? 0;
  const bOffset = args.bOffset ?? 0;
  const outOffset = args.outOffset ?? 0;
  const where = 'matmul';
  checkCount(where, 'rows', rows);
  checkCount(where, 'columns', columns);
  checkCount(where, 'inner', inner);
  checkSpan(where, 'a', a, aOffset, rows * inner);
  checkSpan(where, 'b', b, bOffset, inner * columns);
  checkSpan(where, 'out', out, outOffset, rows * columns);
  if (
    (a.buffer === out.buffer && overlaps(a, aOffset, rows * inner, out, outOffset, rows * columns)) ||
    (b.buffer === out.buffer && overlaps(b, bOffset, inner * columns, out, outOffset, rows * columns))
  ) {
    throw new ValueError(`${where}: out must not overlap a or b`);
  }
  if (rows === 0 || columns === 0) return;
  if (inner === 0) {
    out.fill(0, outOffset, outOffset + rows * columns);
    return;
  }
  const double =
    args.accumulation === 'float64' ||
    !(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array);
  const wasm = wasmScratch();
  const layout = scratchLayout(rows, columns, inner, double ? 8 : 4);
  const scratch = reserveScratch(wasm, layout.end - SCRATCH_BASE);
  if (!scratch) {
    matmulJs(args, aOffset, bOffset, outOffset);
    return;
  }
  matmulWasm(scratch, layout, args, aOffset, bOffset, outOffset);
}

/** Whether two spans of views on the same buffer share a byte. */
function overlaps(
  first: FloatArray,
  firstOffset: number,
  firstCount: number,
  second: FloatArray,
  secondOffset: number,
  secondCount: number,
): boolean {
  const firstStart = first.byteOffset + firstOffset * first.BYTES_PER_ELEMENT;
  const secondStart = second.byteOffset + secondOffset * second.BYTES_PER_ELEMENT;
  const firstEnd = firstStart + firstCount * first.BYTES_PER_ELEMENT;
  const secondEnd = secondStart + secondCount * second.BYTES_PER_ELEMENT;
  return firstCount > 0 && secondCount > 0 && firstStart < secondEnd && secondStart < firstEnd;
}

function matmulJs(args: MatmulArguments, aOffset: number, bOffset: number, outOffset: number): void {
  const { a, b, out, rows, columns, inner } = args;
  const aRow = args.transposeA ? 1 : inner;
  const aColumn = args.transposeA ? rows : 1;
  const bRow = args.transposeB ? 1 : columns;
  const bColumn = args.transposeB ? inner : 1;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) {
      let sum = 0;
      for (let k = 0; k < inner; k++)
        sum += a[aOffset + i * aRow + k * aColumn]! * b[bOffset + k * bRow + j * bColumn]!;
      out[outOffset + i * columns + j] = sum;
    }
  }
}

/** Elements of packed A per block of rows: 64K (256 KiB of float32), which stays in L2. */
const BLOCK_ELEMENTS = 65536;

/** Byte offsets of the scratch regions of one product. */
interface MatmulLayout {
  /** Element size in bytes: 4 (float32) or 8 (float64). */
  readonly bytes: 4 | 8;
  /** Rows per block of packed A (a multiple of 4). */
  readonly blockRows: number;
  /** Columns per panel of packed B: 8 (float32) or 4 (float64). */
  readonly panel: number;
  /** A as stored. */
  readonly stagedA: number;
  readonly packedA: number;
  readonly packedB: number;
  /** The product, rows × columns; B as stored sits here until it is packed. */
  readonly product: number;
  /** One register tile, for tiles that overhang the last row or column. */
  readonly edge: number;
  readonly end: number;
}

function scratchLayout(rows: number, columns: number, inner: number, bytes: 4 | 8): MatmulLayout {
  const panel = bytes === 4 ? 8 : 4;
  const paddedRows = Math.ceil(rows / 4) * 4;
  const blockRows = Math.min(paddedRows, Math.max(4, Math.floor(BLOCK_ELEMENTS / inner / 4) * 4));
  const paddedColumns = Math.ceil(columns / panel) * panel;
  const stagedA = SCRATCH_BASE;
  const packedA = stagedA + regionBytes(rows * inner * bytes);
  const packedB = packedA + regionBytes(blockRows * inner * bytes);
  const product = packedB + regionBytes(inner * paddedColumns * bytes);
  const edge = product + regionBytes(Math.max(rows, inner) * columns * bytes);
  const end = edge + regionBytes(4 * panel * bytes);
  return { bytes, blockRows, panel, stagedA, packedA, packedB, product, edge, end };
}

function matmulWasm(
  scratch: Scratch,
  layout: MatmulLayout,
  args: MatmulArguments,
  aOffset: number,
  bOffset: number,
  outOffset: number,
): void {
  const { a, b, out, rows, columns, inner } = args;
  const transposeA = args.transposeA ?? false;
  const { bytes, blockRows, stagedA, packedA, product, edge } = layout;
  const { kernels } = scratch;
  const view = bytes === 4 ? scratch.f32 : scratch.f64;
  // One copy of each operand (float32 operands of a float64 product widen here).
  view.set(a.subarray(aOffset, aOffset + rows * inner), stagedA / bytes);
  view.set(b.subarray(bOffset, bOffset + inner * columns), product / bytes);
  packB(kernels, layout, columns, inner, args.transposeB ?? false);
  const multiply = bytes === 4 ? kernels.matmulPanels : kernels.matmulPanelsF64;
  for (let first = 0; first < rows; first += blockRows) {
    const count = Math.min(blockRows, rows - first);
    packA(kernels, layout, first, count, rows, inner, transposeA);
    multiply(
      packedA,
      layout.packedB,
      product + first * columns * bytes,
      columns * bytes,
      count,
      columns,
      inner,
      edge,
    );
  }
  out.set(view.subarray(product / bytes, product / bytes + rows * columns), outOffset);
}

/**
 * Packs rows [first, first + count) of op(A), staged as stored, into panels of 4 rows at
 * `packedA`: whole panels by vector copies (transposed A, whose panel rows sit side by side) or
 * 4 × 4 register transposes (row-major float32 A), the ragged rest one element at a time.
 */
function packA(
  kernels: KernelExports,
  layout: MatmulLayout,
  first: number,
  count: number,
  rows: number,
  inner: number,
  transposeA: boolean,
): void {
  const { bytes, stagedA, packedA } = layout;
  const strided = bytes === 4 ? kernels.packPanels4 : kernels.packPanels4F64;
  const whole = count & ~3;
  if (transposeA) {
    // op(A)(i, k) = A[k · rows + i]
    const source = stagedA + first * bytes;
    if (whole > 0) {
      const contiguous = bytes === 4 ? kernels.packPanelsContiguous4 : kernels.packPanelsContiguous4F64;
      contiguous(source, rows, whole, inner, packedA);
    }
    if (whole < count)
      strided(source + whole * bytes, 1, rows, count - whole, inner, packedA + whole * inner * bytes);
    return;
  }
  // op(A)(i, k) = A[i · inner + k]
  const source = stagedA + first * inner * bytes;
  if (bytes === 8) {
    strided(source, inner, 1, count, inner, packedA);
    return;
  }
  if (whole > 0) kernels.packPanels4Rows(source, whole, inner, packedA);
  if (whole < count)
    strided(source + whole * inner * 4, inner, 1, count - whole, inner, packedA + whole * inner * 4);
}

/** Packs op(B), staged as stored in the product region, into panels at `packedB`. */
function packB(
  kernels: KernelExports,
  layout: MatmulLayout,
  columns: number,
  inner: number,
  transposeB: boolean,
): void {
  const { bytes, panel, product, packedB } = layout;
  const strided = bytes === 4 ? kernels.packPanels8 : kernels.packPanels4F64;
  if (transposeB) {
    // op(B)(k, j) = B[j · inner + k]
    strided(product, inner, 1, columns, inner, packedB);
    return;
  }
  // op(B)(k, j) = B[k · columns + j]: a panel's columns side by side.
  const whole = columns & -panel;
  if (whole > 0) {
    const contiguous = bytes === 4 ? kernels.packPanelsContiguous8 : kernels.packPanelsContiguous4F64;
    contiguous(product, columns, whole, inner, packedB);
  }
  if (whole < columns)
    strided(product + whole * bytes, 1, columns, columns - whole, inner, packedB + whole * inner * bytes);
}
