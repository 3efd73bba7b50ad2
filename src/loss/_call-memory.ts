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
/** Kinds (dtype and size, or a loss's own key) kept; the least recently given back go first. */
const KINDS = 4;

/** Buffers and per-call state of one loss object's finished calls, ready for its next calls. */
export class CallMemory {
  private readonly free = new Map<string, object[]>();

  /** A free value of `kind` given back earlier, or a new one from `create`. */
  take<T extends object>(kind: string, create: () => T): T {
    return (this.takeFree(kind) as T | undefined) ?? create();
  }

  /** A free value of `kind`, or undefined. */
  private takeFree(kind: string): object | undefined {
    const list = this.free.get(kind);
    const value = list?.pop();
    if (list && list.length === 0) this.free.delete(kind);
    return value;
  }

  /**
   * Hands `value` back for a later call. Only the call that took it may do so, and only when
   * nothing can read it any more (see the module comment).
   */
  giveBack(kind: string, value: object): void {
    const list = this.free.get(kind) ?? [];
    if (list.includes(value) || list.length >= FREE_PER_KIND) return;
    list.push(value);
    // Re-inserting moves the kind to the end of the Map's order: the oldest kind is first.
    this.free.delete(kind);
    this.free.set(kind, list);
    while (this.free.size > KINDS) this.free.delete(this.free.keys().next().value!);
  }

  /** A typed array of `dtype` and `length` (its contents are whatever the last owner left). */
  takeArray(dtype: DType, length: number): TypedArray {
    // No `create` closure: this runs on every training step.
    return (this.takeFree(arrayKind(dtype, length)) as TypedArray | undefined) ?? allocate(dtype, length);
  }

  /** Gives back an array taken with {@link takeArray}. */
  giveBackArray(array: TypedArray): void {
    this.giveBack(arrayKind(dtypeOf(array), array.length), array);
  }

  /** How many free values of `kind` are kept (for tests). */
  freeCount(kind: string): number {
    return this.free.get(kind)?.length ?? 0;
  }
}

/** The kind of a typed array of `dtype` and `length`. */
export function arrayKind(dtype: DType, length: number): string {
  return `${dtype}[${length}]`;
}
