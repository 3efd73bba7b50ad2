/**
 * Large fuzz cases. The generators draw small shapes (every case below 4096 prediction
 * elements), so on their own they never reach what only large calls run: a call of many blocks
 * (4096 elements each), several kernel chunks, an arena gradient region (float32 on wasm, at
 * least 4096 elements). `enlarged` repeats a valid case's batch until its prediction holds about
 * LARGE_ELEMENTS values.
 */
import type { FuzzCase, InputSpec } from './case.js';

/** Prediction elements a large case reaches: past the block size (4096) and a softmax chunk (16384). */
export const LARGE_ELEMENTS = 20_000;

/** How large to make a case, and which repetition keeps its NaN or infinity. */
export interface Enlargement {
  /** The prediction's size to reach (at least; default LARGE_ELEMENTS). */
  readonly elements?: number;
  /**
   * The repetition that keeps the case's poisoned sample: the first (default) or the last, which
   * a call split across kernel threads hands to another thread.
   */
  readonly poisoned?: 'first' | 'last';
}

/**
 * The case with its batch repeated R times (R · the prediction's size ≈ `elements`).
 * Repetition r of the prediction is scaled by 1 / (1 + (r mod 7) / 8): that keeps its domain (a
 * probability stays in [0, 1], nothing overflows) and gives each block numbers of its own, so a
 * block that read another's memory would show. The other per-sample inputs repeat unchanged;
 * inputs shared by every sample (a broadcast posWeight) stay as they are. A NaN or infinity the
 * case put into one sample stays in one repetition only (the others repeat the clean inputs): the
 * first, where the sample keeps its index, or with `poisoned: 'last'` the last, which a call
 * split across kernel threads hands to another thread. It must stay confined across blocks and
 * shares. CTC's infeasible
 * samples are infeasible in every repetition.
 *
 * Null for a case that is bad input (its expectation is about its own shapes), is already large,
 * or whose per-sample inputs may not have the batch as their first axis: a batch below 2 (a
 * first axis of length 1 may be a class or vector axis), a class axis 0, a prediction whose
 * elements every sample shares (NTXent's embeddings), or a shared input shaped like the
 * prediction (SDML's x2, which must keep its shape).
 */
export function enlarged(
  c: FuzzCase,
  { elements = LARGE_ELEMENTS, poisoned = 'first' }: Enlargement = {},
): FuzzCase | null {
  const pred = c.inputs[0];
  const options = c.options as {
    axis?: unknown;
    batchAxis?: unknown;
    layout?: unknown;
    labelLayout?: unknown;
  };
  if (c.expected || c.batch < 2 || !pred || pred.raw !== undefined || pred.scalar || !pred.layout)
    return null;
  if (typeof options.axis === 'number' && (options.axis + pred.shape.length) % pred.shape.length === 0)
    return null;
  const predShape = pred.shape.join();
  if (c.inputs.some((spec) => spec && spec !== pred && !spec.layout && spec.shape.join() === predShape))
    return null;
  if ((options.batchAxis ?? 0) !== 0 || (options.layout ?? 'NTC') !== 'NTC') return null;
  if ((options.labelLayout ?? 'NT') !== 'NT') return null;
  const times = Math.ceil(elements / Math.max(pred.values.length, 1));
  if (times < 2) return null;
  const poisonedRepetition = poisoned === 'first' ? 0 : times - 1;
  const repeat = (specs: readonly (InputSpec | null)[], cleanSpecs: readonly (InputSpec | null)[]) =>
    specs.map((spec, index) => {
      if (!spec || spec.raw !== undefined || spec.scalar) return spec;
      const size = spec.values.length;
      // A shared input: as it is, unless it broadcasts along other axes but holds the batch as
      // its first axis (a KLDiv label shaped (N, 1, 1)), which repeats with the batch.
      if (spec.layout === null) {
        if (spec.shape.length !== pred.shape.length || spec.shape[0] !== c.batch) return spec;
      } else if (spec.shape[0] !== c.batch || spec.layout.inner * c.batch !== size) return undefined;
      const values = new Float64Array(size * times);
      for (let r = 0; r < times; r++) {
        const source = r === poisonedRepetition ? spec.values : cleanSpecs[index]!.values;
        const factor = index === 0 ? 1 / (1 + (r % 7) / 8) : 1;
        for (let k = 0; k < size; k++) values[r * size + k] = source[k]! * factor;
      }
      return {
        ...spec,
        shape: [c.batch * times, ...spec.shape.slice(1)],
        values,
        layout: spec.layout && { inner: spec.layout.inner, batch: c.batch * times },
      };
    });
  const clean = c.clean ?? c.inputs;
  const inputs = repeat(c.inputs, clean);
  if (inputs.includes(undefined)) return null;
  return {
    ...c,
    options: { ...c.options },
    inputs: inputs as (InputSpec | null)[],
    batch: c.batch * times,
    poisonedSample: c.poisonedSample === null ? null : c.poisonedSample + poisonedRepetition * c.batch,
    clean: c.clean ? (repeat(c.clean, c.clean) as (InputSpec | null)[]) : null,
    infiniteSamples: Array.from({ length: times }, (_, r) =>
      c.infiniteSamples.map((n) => n + r * c.batch),
    ).flat(),
  };
}
