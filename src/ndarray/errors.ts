/**
 * Error types thrown by gloss. Every message starts with the function or loss name, names the
 * argument at fault and prints the shapes or values involved.
 * @module
 */

/** Thrown when array shapes do not fit: mismatched operands, an axis outside the rank, a bad reshape. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** Thrown for an invalid value: an option outside its allowed set, a label out of range, a bad dtype. */
export class ValueError extends Error {
  override name = 'ValueError';
}

/** Thrown when autograd is misused: backward on an unrecorded array, a freed graph, an in-place write. */
export class AutogradError extends Error {
  override name = 'AutogradError';
}

/** Formats a shape the way error messages print it: `[2,3]`, `[]` for a scalar. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
