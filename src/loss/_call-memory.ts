/**
 * Memory a loss object reuses from one call to the next, with one owner at a time.
 *
 * A training loop calls a loss with the same sizes every step, and a large buffer allocated
 * afresh each time costs as much as the kernel that fills it (fresh memory is zeroed and faulted
 * in page by page). So a loss keeps the buffers of its finished calls here and hands them to its
 * next call. What makes that safe is who may give a buffer back: only the call that took it, and
 * only once nothing can read the buffer any more, which is
 * - right after the forward of a call that built no graph node (nothing will run a backward), or
 * - when the autograd pass that ran the call's backward has succeeded, written its gradients out
 *   and freed the graph (`onGraphFreed` in the backward context).
 * A call whose graph is retained, never differentiated or left after a failed pass never gives its
 * buffers back; they are then ordinary garbage. So a buffer in the free lists belongs to no live
 * call, and taking one can never take memory from a call that still needs it.
 *
 * The pool belongs to one loss object (no module-level state) and holds at most
 * {@link FREE_PER_KIND} buffers of each kind and {@link KINDS} kinds.
 * @module
 */
import { allocate, type DType, dtypeOf, type TypedArray } from '../ndarray/dtype.js';

/** Free buffers kept per kind (two calls of one loss in one graph is the common worst case). */
const FREE_PER_KIND = 2;
/**
 * Kinds (dtype and size, or a loss's own key) kept; the least recently given back go first. A
 * SoftmaxCE training step with options uses five (per-sample scales and sums, row normalisers,
 * row scratch, the options' scratch, a float64 gradient), and a kind evicted every step would be
 * allocated again every step.
 */
const KINDS = 8;

/**
 * The free values of one kind: typed arrays of one dtype and length (`key` null), or a loss's own
 * values under the string `key`.
 */
interface FreeList {
  readonly key: string | null;
  readonly dtype: DType | null;
  readonly length: number;
  readonly values: object[];
}

/** Buffers and per-call state of one loss object's finished calls, ready for its next calls. */
export class CallMemory {
  /**
   * At most {@link KINDS} lists, the most recently given back last. A short array searched in
   * order: a training step takes a few buffers, and building a string key for each (as a Map
   * would need) costs more than comparing a dtype and a length with a handful of entries.
   */
  private readonly lists: FreeList[] = [];

  /** A free value of `kind` given back earlier, or a new one from `create`. */
  take<T extends object>(kind: string, create: () => T): T {
    return (this.takeFree(kind) as T | undefined) ?? create();
  }

  /** A free value of `kind`, or undefined (no closure: for calls on every training step). */
  takeFree(kind: string): object | undefined {
    const lists = this.lists;
    for (let i = lists.length - 1; i >= 0; i--) {
      const list = lists[i]!;
      if (list.key === kind) return list.values.pop();
    }
    return undefined;
  }

  /**
   * Hands `value` back for a later call. Only the call that took it may do so, and only when
   * nothing can read it any more (see the module comment).
   */
  giveBack(kind: string, value: object): void {
    this.keep(this.listOf(kind, null, 0), value);
  }

  /** A typed array of `dtype` and `length` (its contents are whatever the last owner left). */
  takeArray(dtype: DType, length: number): TypedArray {
    const lists = this.lists;
    for (let i = lists.length - 1; i >= 0; i--) {
      const list = lists[i]!;
      if (list.key === null && list.dtype === dtype && list.length === length) {
        const value = list.values.pop();
        if (value) return value as TypedArray;
        break;
      }
    }
    return allocate(dtype, length);
  }

  /** Gives back an array taken with {@link takeArray}. */
  giveBackArray(array: TypedArray): void {
    this.keep(this.listOf(null, dtypeOf(array), array.length), array);
  }

  /** How many free values of `kind` are kept (for tests; an array's kind is {@link arrayKind}). */
  freeCount(kind: string): number {
    for (const list of this.lists) {
      const name = list.key ?? arrayKind(list.dtype!, list.length);
      if (name === kind) return list.values.length;
    }
    return 0;
  }

  /** The list of a kind, made most recent (created, and the oldest dropped past KINDS, if new). */
  private listOf(key: string | null, dtype: DType | null, length: number): FreeList {
    const lists = this.lists;
    for (let i = lists.length - 1; i >= 0; i--) {
      const list = lists[i]!;
      if (list.key === key && list.dtype === dtype && list.length === length) {
        // Moved to the end by hand (splice would allocate the array of what it removes).
        for (let j = i; j < lists.length - 1; j++) lists[j] = lists[j + 1]!;
        lists[lists.length - 1] = list;
        return list;
      }
    }
    const list: FreeList = { key, dtype, length, values: [] };
    lists.push(list);
    if (lists.length > KINDS) lists.shift();
    return list;
  }

  /** Keeps `value` in `list` unless it is there already or the list is full. */
  private keep(list: FreeList, value: object): void {
    const values = list.values;
    if (values.length >= FREE_PER_KIND || values.includes(value)) return;
    values.push(value);
  }
}

/** The kind of a typed array of `dtype` and `length` (as {@link CallMemory.freeCount} names it). */
export function arrayKind(dtype: DType, length: number): string {
  return `${dtype}[${length}]`;
}
