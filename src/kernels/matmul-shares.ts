/**
 * Large matrix products across the kernel threads that gloss-ml/node's `useKernelThreads` lends
 * (see threads.ts): the product's rows are split into one share per ready thread plus the
 * calling thread's, each share running the same `matmul` on its rows of A against the whole of B.
 * Every element of the product is a sum over the inner dimension that no tile, block or piece
 * of the driver orders differently for fewer rows, so a split product has the single-thread bits
 * (tested). Only on the wasm backend (the workers run wasm only), never for a transposed A (its
 * rows are not contiguous; Dense's weight gradient has few rows anyway), and only for products
 * of at least PRODUCT_PARALLEL_MINIMUM multiply-adds and SHARE_COLUMNS columns, where a share's
 * copies into shared memory (its rows of A, all of B) cost a small part of what the other core
 * saves: at n = 512, 6.2–6.7 ms on one thread, 3.8–3.9 ms on two (float32 sums; float64 sums
 * 13.2 → 7.1–7.3 ms), measured on the 2-core bench machine.
 * @module
 */
import type { MatmulArguments } from './matmul.js';
import { fusedMultiplyAdd, kernelBackend } from './runtime.js';
import { kernelThreadPool, type ProductJob } from './threads.js';

/** Products of fewer multiply-adds (rows · columns · inner) stay on the calling thread. */
export const PRODUCT_PARALLEL_MINIMUM = 1 << 22;
/**
 * Products with fewer columns stay on the calling thread: each element of A copied into shared
 * memory then serves fewer than 17 multiply-adds, and the copy costs what the other core saves
 * (a Dense(784→10) forward at batch 4096: 2.26 ms on one thread, 2.33 ms split in two).
 */
const SHARE_COLUMNS = 17;
/** Each share has at least this many rows, a multiple of the tiles' 4 (the last one excepted). */
const SHARE_ROWS = 8;

/**
 * Hands the later rows of a large product to the ready kernel threads and returns how many
 * leading rows the calling thread keeps, with the pending shares (whose `finish` blocks until
 * their rows of `out` are written); null, leaving the whole product to the caller, when there is
 * no ready thread or the product is too small or too narrow, has a transposed A or runs on the
 * `'js'` backend.
 */
export function startProductShares(
  args: MatmulArguments,
): { mine: number; pending: { finish(): void } } | null {
  const pool = kernelThreadPool();
  const { a, b, out, rows, columns, inner } = args;
  if (!pool || pool.ready === 0 || args.transposeA || kernelBackend() !== 'wasm') return null;
  if (rows * columns * inner < PRODUCT_PARALLEL_MINIMUM || columns < SHARE_COLUMNS) return null;
  const shares = Math.min(pool.ready + 1, Math.floor(rows / SHARE_ROWS));
  if (shares < 2) return null;
  // Share boundaries on multiples of 4 rows, so that only the last share has a ragged tile.
  const bounds = Array.from({ length: shares + 1 }, (_, i) =>
    i === shares ? rows : 4 * Math.round((rows * i) / shares / 4),
  );
  const jobs: ProductJob[] = [];
  for (let s = 1; s < shares; s++) {
    const begin = bounds[s]!;
    const end = bounds[s + 1]!;
    jobs.push({
      a: a.subarray(begin * inner, end * inner),
      b,
      out: out.subarray(begin * columns, end * columns),
      bias: args.bias ?? null,
      rows: end - begin,
      columns,
      inner,
      transposeB: args.transposeB ?? false,
      accumulation: args.accumulation ?? null,
      fused: fusedMultiplyAdd(),
    });
  }
  return { mine: bounds[1]!, pending: pool.start(jobs) };
}
