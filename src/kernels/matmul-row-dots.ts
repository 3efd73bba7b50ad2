/**
 * The float32 product `out = A · Bᵀ` for few columns (a Dense layer's x · Wᵀ with up to 16 units),
 * part of {@link matmul}: rows of A against rows of B, both contiguous along the inner dimension
 * (matmul-row-dots.wat), instead of 8-column tiles that would mostly multiply padding and a
 * packing of B. A is copied in blocks of 256 KiB, each multiplied while it is in L2, so a large A
 * goes through memory once.
 * @module
 */
import type { MatmulArguments } from './matmul.js';
import { regionBytes, reserveScratch, SCRATCH_BASE, type Scratch } from './runtime.js';

/**
 * Up to this many columns, a float32 product with a transposed B (a Dense layer's x · Wᵀ with few
 * units) runs rows of A against rows of B (matmulRowDots) instead of 8-column tiles, which would
 * mostly multiply padding.
 */
export const ROW_DOTS_COLUMNS = 16;
/**
 * Bytes of A copied in at a time by the row-dot product: each block is multiplied while it is
 * still in L2, so a large A goes through memory once instead of being copied whole first.
 */
const ROW_DOTS_BLOCK_BYTES = 1 << 18;

/** Scratch of a row-dot product: B whole, the bias, one block of A's rows and its product rows. */
interface RowDotsLayout {
  readonly b: number;
  readonly bias: number;
  readonly a: number;
  readonly product: number;
  /** Rows per block of A, a multiple of 4 (or all rows). */
  readonly blockRows: number;
  readonly end: number;
}

function rowDotsLayout(rows: number, columns: number, inner: number): RowDotsLayout {
  const rowBytes = inner * 4;
  const blockRows = Math.min(rows, Math.max(4, Math.floor(ROW_DOTS_BLOCK_BYTES / rowBytes) & ~3));
  const b = SCRATCH_BASE;
  const bias = b + regionBytes(columns * rowBytes);
  const a = bias + regionBytes(columns * 4);
  const product = a + regionBytes(blockRows * rowBytes);
  const end = product + regionBytes(blockRows * columns * 4);
  return { b, bias, a, product, blockRows, end };
}

/**
 * `out = A · Bᵀ` in float32 for few columns (arguments checked by matmul): B (columns × inner) is
 * copied in once, A in blocks of rows, each block's dot products stored and copied out before
 * the next block comes in. False (nothing done) when the scratch cannot grow that far.
 */
export function matmulRowDots(wasm: Scratch | null, args: MatmulArguments): boolean {
  const { a, b, out, rows, columns, inner } = args;
  const layout = rowDotsLayout(rows, columns, inner);
  const scratch = reserveScratch(wasm, layout.end - SCRATCH_BASE);
  if (!scratch) return false;
  const { f32, kernels } = scratch;
  const rowBytes = inner * 4;
  f32.set(b, layout.b / 4);
  if (args.bias) f32.set(args.bias, layout.bias / 4);
  for (let first = 0; first < rows; first += layout.blockRows) {
    const count = Math.min(layout.blockRows, rows - first);
    f32.set(a.subarray(first * inner, (first + count) * inner), layout.a / 4);
    (scratch.fused ?? kernels).matmulRowDots(
      layout.a,
      rowBytes,
      layout.b,
      rowBytes,
      layout.product,
      columns * 4,
      count,
      columns,
      inner,
      args.bias ? layout.bias : 0,
    );
    const product = layout.product / 4;
    out.set(f32.subarray(product, product + count * columns), first * columns);
  }
  return true;
}
