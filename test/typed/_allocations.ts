/**
 * Counts the memory a piece of code allocates: every construction of a typed array or an
 * ArrayBuffer, found by wrapping their constructors (views of an existing buffer excepted).
 * Shared by the gloss-ml/kernels tests.
 */

const CONSTRUCTORS = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'Float32Array',
  'Float64Array',
  'Int32Array',
  'Uint8Array',
] as const;

/** What {@link allocationsOf} saw: how many allocations, and each one's element (or byte) count. */
export interface Allocations {
  readonly count: number;
  readonly lengths: readonly number[];
}

/** Runs `fn` with every construction of memory counted. */
export function allocationsOf(fn: () => void): Allocations {
  const global = globalThis as unknown as Record<string, unknown>;
  const saved = CONSTRUCTORS.map((name) => global[name]);
  const lengths: number[] = [];
  CONSTRUCTORS.forEach((name, i) => {
    global[name] = new Proxy(saved[i] as new (...args: unknown[]) => object, {
      construct(target, args, newTarget) {
        const first = args[0];
        const view = first instanceof ArrayBuffer || first instanceof SharedArrayBuffer;
        if (!view) {
          lengths.push(
            typeof first === 'number' ? first : ((first as ArrayLike<unknown> | undefined)?.length ?? 0),
          );
        }
        return Reflect.construct(target, args, newTarget === global[name] ? target : newTarget);
      },
    });
  });
  try {
    fn();
  } finally {
    CONSTRUCTORS.forEach((name, i) => {
      global[name] = saved[i];
    });
  }
  return { count: lengths.length, lengths };
}

/** How many allocations `fn` makes. */
export function countAllocations(fn: () => void): number {
  return allocationsOf(fn).count;
}
