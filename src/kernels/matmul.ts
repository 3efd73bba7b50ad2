/**
 * Matrix product for Dense layers and `nd.dot`: `out = op(A) · op(B)` with op(A) rows × inner and
 * op(B) inner × columns, each operand optionally transposed (stored the other way round), all
 * row-major views of exactly their size (`subarray` for a matrix inside a larger array).
 *
 * On the wasm backend (matmul.wat, its packers in matmul-packing.wat, how the tiles read each
 * operand in matmul-readings.ts): each operand is copied into scratch memory once; register
 * tiles of 4 × 8 floats (4 × 4 doubles) run over the inner dimension with their accumulators in
 * registers and are stored straight into the product. The tiles read a row-major A where it was
 * copied to (only its last rows % 4 rows are packed, padded with zero rows; with fused
 * multiply-adds, a float32 A of up to 8 MiB is packed whole); a transposed A is packed once
 * into panels of 4 rows, or, with few rows (5, 9, 10, 13–15), read in place by 5-row float32
 * tiles (matmul-five.wat: a Dense(784→10) weight gradient needs 2 tiles instead of 3). B is
 * packed once into panels of 8 columns (4 for float64; from a copy staged in the product's
 * region, before A is copied in), or read in place when at most 16 rows read it, and then
 * copied in one piece of the inner dimension (≤ 512 KiB) at a time, just before its tiles, so
 * that it is read from L2. Blocks of B's columns (1 MiB) and of A's rows (512 KiB) stay in L2;
 * an inner dimension over 1024 runs in pieces of at most 1024 (the tiles add into the product
 * after the first), so that strided reads stay within the TLB's reach. A float32 product with a
 * transposed B of at most 16 columns (x · Wᵀ of a Dense layer with few units) runs rows of A
 * against rows of B instead (matmulRowDots), A copied in 256 KiB blocks.
 *
 * A float32 product accumulates in float32 (like any float32 BLAS) unless `accumulation` asks
 * for float64; any float64 array makes it a float64 product (float32 operands are copied as they
 * are and widened in wasm, a float32 result is rounded once at the end, in wasm). After
 * useFusedMultiplyAdd(true) (or with GLOSS_RELAXED_SIMD=1), where the engine validates relaxed
 * SIMD (runtime.ts: Node 20 only with --experimental-wasm-relaxed-simd), the tiles use its fused
 * multiply-add, whose single rounding per step is engine-defined (opt-in, so that engines agree
 * to the digit by default); else a multiply and an add. Scratch grows to at most about
 * E·(2·rows·inner + 2·inner·columns + rows·columns) bytes, E the element size.
 *
 * The `'js'` backend runs a plain triple loop in float64, rounded into `out`'s precision.
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import { checkCount, checkLength, type FloatArray, viewsOverlap } from './_spans.js';
import { columnRuns, type Reading, readingsOfA } from './matmul-readings.js';
import { matmulRowDots, ROW_DOTS_COLUMNS } from './matmul-row-dots.js';
import { startProductShares } from './matmul-shares.js';
import { regionBytes, reserveScratch, SCRATCH_BASE, type Scratch, wasmScratch } from './runtime.js';

/** The operands and shape of one product (views of exactly their size); transpositions default to false. */
export interface MatmulArguments {
  /** rows × inner, row-major (inner × rows when `transposeA`). */
  readonly a: FloatArray;
  /** inner × columns, row-major (columns × inner when `transposeB`). */
  readonly b: FloatArray;
  /** rows × columns, row-major, assigned (never read); must not overlap a or b. */
  readonly out: FloatArray;
  readonly rows: number;
  readonly columns: number;
  readonly inner: number;
  readonly transposeA?: boolean;
  readonly transposeB?: boolean;
  /**
   * `columns` values added to every row of the product after its sums (a Dense layer's bias), in
   * out's precision (a float32 add for a float32 product); must not overlap out.
   */
  readonly bias?: FloatArray;
  /**
   * The precision of the sums: `'float32'` (the default when a, b and out are all float32) or
   * `'float64'` (always when an array is float64; a float32 result is then rounded once).
   */
  readonly accumulation?: 'float32' | 'float64';
}

/** `out[i·columns + j] = Σ_k op(A)(i, k) · op(B)(k, j)`, assigned. */
export function matmul(args: MatmulArguments): void {
  const { a, b, out, rows, columns, inner } = args;
  const where = 'matmul';
  checkCount(where, 'rows', rows);
  checkCount(where, 'columns', columns);
  checkCount(where, 'inner', inner);
  checkLength(where, 'a', a, rows * inner);
  checkLength(where, 'b', b, inner * columns);
  checkLength(where, 'out', out, rows * columns);
  const bias = args.bias;
  if (bias) checkLength(where, 'bias', bias, columns);
  if (viewsOverlap(a, out) || viewsOverlap(b, out))
    throw new ValueError(`${where}: out must not overlap a or b`);
  if (bias && viewsOverlap(bias, out)) throw new ValueError(`${where}: out must not overlap bias`);
  if (rows === 0 || columns === 0) return;
  if (inner === 0) {
    out.fill(0);
    if (bias) addBiasRows(out, bias, rows, columns);
    return;
  }
  // With kernel threads (gloss-ml/node's useKernelThreads), a large product's later rows run on
  // other threads, with the same bits (matmul-shares.ts).
  const shares = startProductShares(args);
  if (!shares) {
    multiply(args);
    return;
  }
  try {
    const mine = shares.mine;
    multiply({ ...args, rows: mine, a: a.subarray(0, mine * inner), out: out.subarray(0, mine * columns) });
  } finally {
    shares.pending.finish();
  }
}

/** {@link matmul} on checked arguments, on this thread. */
function multiply(args: MatmulArguments): void {
  const { a, b, out, rows, columns, inner, bias } = args;
  const double =
    args.accumulation === 'float64' ||
    !(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array);
  const wasm = wasmScratch();
  const float32Bias = !bias || bias instanceof Float32Array;
  if (!double && float32Bias && args.transposeB && !args.transposeA && columns <= ROW_DOTS_COLUMNS) {
    if (matmulRowDots(wasm, args)) return;
  }
  // With fused multiply-adds, a row-major A of up to 8 MiB is packed too: the tiles' loop over
  // packed panels is shorter (matmul.wat), which pays there (~5% at n = 256-1024) and not for a
  // multiply and an add; a larger A packed whole leaves the caches (7% slower at 4096 × 784).
  const packRows = !double && wasm?.fused && rows * inner * 4 <= PACKED_A_BYTES;
  const packA = args.transposeA === true ? 'transposed' : packRows ? 'rows' : 'ragged';
  const layout = scratchLayout(rows, columns, inner, double ? 8 : 4, packA, args.transposeB ?? false);
  const scratch = reserveScratch(wasm, layout.end - SCRATCH_BASE);
  if (scratch) matmulWasm(scratch, layout, args);
  else matmulJs(args);
  if (bias) addBiasRows(out, bias, rows, columns);
}

/**
 * out[i, j] += bias[j]: a function of its own, so that its element accesses see only float
 * arrays (inline in a caller that saw every dtype, the loop ran several times slower).
 */
function addBiasRows(out: FloatArray, bias: FloatArray, rows: number, columns: number): void {
  for (let i = 0, at = 0; i < rows; i++, at += columns) {
    for (let j = 0; j < columns; j++) out[at + j]! += bias[j]!;
  }
}

function matmulJs(args: MatmulArguments): void {
  const { a, b, out, rows, columns, inner } = args;
  const aRow = args.transposeA ? 1 : inner;
  const aColumn = args.transposeA ? rows : 1;
  const bRow = args.transposeB ? 1 : columns;
  const bColumn = args.transposeB ? inner : 1;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) {
      let sum = 0;
      for (let k = 0; k < inner; k++) sum += a[i * aRow + k * aColumn]! * b[k * bRow + j * bColumn]!;
      out[i * columns + j] = sum;
    }
  }
}

/** Bytes of a block of B's columns, kept in L2 while the row blocks of A go by. */
const COLUMN_BLOCK_BYTES = 1 << 20;
/** Bytes of a block of A's rows, read again from L2 for each panel of B's columns. */
const ROW_BLOCK_BYTES = 1 << 19;
/**
 * Up to this many rows, a row-major B is read where it was copied to instead of packed: few
 * row panels read it, so packing it would cost more than its strided reads.
 */
const IN_PLACE_B_ROWS = 16;
/**
 * The longest run over k in one pass: a longer inner dimension is split into pieces (C read back
 * once per piece), so that a strided sweep touches a bounded number of 4 KiB pages.
 */
const INNER_PIECE = 1024;
/**
 * Up to this many rows, a transposed float32 A is read in place by 5-row tiles where they pad
 * less than 4-row ones: its k steps (rows floats apart) stay within a few cache lines.
 */
const FIVE_ROW_TILES_ROWS = 16;
/** The largest row-major float32 A packed whole for the fused tiles (see multiply). */
const PACKED_A_BYTES = 1 << 23;
/** The most bytes of a B read in place (see IN_PLACE_B_ROWS) copied in for one piece over k. */
const STREAMED_B_BYTES = 1 << 19;

/** Byte offsets of the scratch regions of one product. */
export interface MatmulLayout {
  /** Element size in bytes: 4 (float32) or 8 (float64). */
  readonly bytes: 4 | 8;
  /** Columns per panel of B: 8 (float32) or 4 (float64). */
  readonly panel: number;
  /**
   * Whether the float32 tiles are 5 rows tall, reading a transposed A in place: with few rows
   * (at most FIVE_ROW_TILES_ROWS) whose count 5-row tiles pad less than 4-row ones (5, 9, 10, 13–15).
   */
  readonly fiveRowTiles: boolean;
  /** How much of A is packed: all of a transposed A, all rows of a row-major one, or its ragged rows. */
  readonly packA: 'transposed' | 'rows' | 'ragged';
  /** Whether B is packed whole (else only its ragged last panel). */
  readonly packB: boolean;
  /**
   * Whether B (read in place) is copied in one piece of the inner dimension at a time, just
   * before the tiles of that piece, so that a large B goes through memory once and is read
   * from L2 (else it is copied whole first).
   */
  readonly streamB: boolean;
  /** The length of a piece of the inner dimension (see INNER_PIECE, STREAMED_B_BYTES). */
  readonly pieceLength: number;
  /** A as stored. */
  readonly stagedA: number;
  /** A packed in panels of 4 rows (transposed A), else only its last rows % 4 rows; zero-padded. */
  readonly packedA: number;
  /** B as stored: in the product's region when B is packed whole (see scratchLayout). */
  readonly stagedB: number;
  readonly packedB: number;
  /** The product, rows × columns. */
  readonly product: number;
  /** One register tile, for tiles that overhang the last row or column. */
  readonly edge: number;
  readonly end: number;
}

function scratchLayout(
  rows: number,
  columns: number,
  inner: number,
  bytes: 4 | 8,
  packA: 'transposed' | 'rows' | 'ragged',
  transposeB: boolean,
): MatmulLayout {
  const transposeA = packA === 'transposed';
  const panel = bytes === 4 ? 8 : 4;
  const fiveRowTiles =
    bytes === 4 &&
    transposeA &&
    rows <= FIVE_ROW_TILES_ROWS &&
    Math.ceil(rows / 5) * 5 < Math.ceil(rows / 4) * 4;
  const packB = transposeB || rows > IN_PLACE_B_ROWS;
  const streamB = !packB;
  let pieces = Math.ceil(inner / INNER_PIECE);
  if (streamB) pieces = Math.max(pieces, Math.ceil((inner * columns * bytes) / STREAMED_B_BYTES));
  const pieceLength = Math.ceil(inner / pieces);
  const stagedRows = streamB ? pieceLength : inner;
  const packedColumns = packB ? Math.ceil(columns / panel) * panel : panel;
  const stagedA = SCRATCH_BASE;
  // (+ 16 bytes: a ragged panel of 5-row tiles reads up to 4 floats past A, into rows it discards)
  const packedA = stagedA + regionBytes(rows * inner * bytes + 16);
  const afterA = packedA + regionBytes((packA === 'ragged' ? 4 : Math.ceil(rows / 4) * 4) * inner * bytes);
  // A B packed whole is staged in the product's region, dead once packed (before the tiles
  // write the product): a region fewer in the caches, and the product's lines are there already.
  const stagedBBytes = regionBytes(stagedRows * columns * bytes);
  const packedB = packB ? afterA : afterA + stagedBBytes;
  const product = packedB + regionBytes(stagedRows * packedColumns * bytes);
  const stagedB = packB ? product : afterA;
  const edge = product + Math.max(regionBytes(rows * columns * bytes), packB ? stagedBBytes : 0);
  const end = edge + regionBytes(5 * panel * bytes);
  return {
    bytes,
    panel,
    fiveRowTiles,
    packA,
    packB,
    streamB,
    pieceLength,
    stagedA,
    packedA,
    stagedB,
    packedB,
    product,
    edge,
    end,
  };
}

function matmulWasm(scratch: Scratch, layout: MatmulLayout, args: MatmulArguments): void {
  const { a, b, out, rows, columns, inner } = args;
  const { bytes, stagedA, stagedB, product, edge } = layout;
  const { kernels } = scratch;
  const view = bytes === 4 ? scratch.f32 : scratch.f64;
  // One copy of each operand (float32 operands of a float64 product widen here).
  // B first (packed now where it is packed whole), then A: what the tiles read is what went
  // through the caches last.
  if (!layout.streamB) copyIn(scratch, bytes, b, stagedB);
  const wholeRuns = layout.streamB
    ? null
    : columnRuns(kernels, layout, columns, inner, args.transposeB ?? false);
  copyIn(scratch, bytes, a, stagedA);
  const { pieceLength } = layout;
  const columnBlock = Math.max(1, Math.floor(COLUMN_BLOCK_BYTES / (pieceLength * bytes * layout.panel)));
  const rowBlocks: { reading: Reading; first: number; count: number }[] = [];
  // Fused multiply-adds where asked for and the engine has relaxed SIMD (runtime.ts), else mul and add.
  const products = scratch.fused ?? kernels;
  let multiply = bytes === 4 ? products.matmulTiles : products.matmulTilesF64;
  if (layout.fiveRowTiles) {
    // A transposed A of few rows, read in place: panels of 5 side by side, k·rows apart.
    multiply = products.matmulTiles5;
    rowBlocks.push({
      reading: { at: stagedA, lane: 4, step: rows * 4, panelStride: 20 },
      first: 0,
      count: rows,
    });
  }
  const [whole, ragged] = layout.fiveRowTiles ? [null, null] : readingsOfA(kernels, layout, rows, inner);
  // An A packed whole (transposed, or every row for the fused tiles): its "whole" reading covers every row.
  const wholeRows = !whole ? 0 : ragged ? rows & ~3 : rows;
  const rowBlock = Math.max(1, Math.floor(ROW_BLOCK_BYTES / (pieceLength * bytes * 4))) * 4;
  for (let first = 0; whole && first < wholeRows; first += rowBlock) {
    const reading = { ...whole, at: whole.at + (first / 4) * whole.panelStride };
    rowBlocks.push({ reading, first, count: Math.min(rowBlock, wholeRows - first) });
  }
  if (ragged) rowBlocks.push({ reading: ragged, first: wholeRows, count: rows - wholeRows });
  for (let start = 0; start < inner; start += pieceLength) {
    const length = Math.min(pieceLength, inner - start);
    const accumulate = start > 0 ? 1 : 0;
    let runs = wholeRuns;
    // A streamed B: this piece's rows copied in, its runs starting at the piece.
    let runStart = start;
    if (!runs) {
      copyIn(scratch, bytes, b.subarray(start * columns, (start + length) * columns), stagedB);
      runs = columnRuns(kernels, layout, columns, length, false);
      runStart = 0;
    }
    for (const run of runs) {
      for (let panel = 0; panel * layout.panel < run.count; panel += columnBlock) {
        const from = panel * layout.panel;
        const width = Math.min(columnBlock * layout.panel, run.count - from);
        const bAt = run.at + panel * run.panelStride + runStart * run.step;
        const c = product + (run.first + from) * bytes;
        for (const { reading, first, count } of rowBlocks) {
          multiply(
            reading.at + start * reading.step,
            reading.lane,
            reading.step,
            reading.panelStride,
            bAt,
            run.step,
            run.panelStride,
            c + first * columns * bytes,
            columns * bytes,
            count,
            width,
            length,
            accumulate,
            edge,
          );
        }
      }
    }
  }
  if (bytes === 8 && out instanceof Float32Array) {
    // A float64 product into float32: rounded in place in scratch, then a plain copy.
    kernels.narrowFloat64(product, product, rows * columns);
    out.set(scratch.f32.subarray(product / 4, product / 4 + rows * columns));
  } else {
    out.set(view.subarray(product / bytes, product / bytes + rows * columns));
  }
}

/**
 * Copies `source` to byte `at` of scratch, as elements of `bytes` bytes: float32 operands of a
 * float64 product are copied as they are into the upper half of their region, then widened in
 * place (faster than a converting typed-array copy).
 */
function copyIn(scratch: Scratch, bytes: 4 | 8, source: FloatArray, at: number): void {
  if (bytes === 8 && source instanceof Float32Array) {
    const upper = at + 4 * source.length;
    scratch.f32.set(source, upper / 4);
    scratch.kernels.widenFloat32(upper, at, source.length);
    return;
  }
  (bytes === 4 ? scratch.f32 : scratch.f64).set(source, at / bytes);
}
