/**
 * `gluon.loss`: every Gluon loss, one file each. Adding a loss is one file, one test file and one
 * line here; {@link ALL_LOSSES} is derived from these exports.
 * @module
 */
import * as exported from './exports.js';
import type { Loss } from './_base/index.js';

export * from './exports.js';
export { Loss } from './_base/index.js';
export type { LossInput, LossOptions } from './_base/index.js';

/** A loss class: constructible from its options object. */
export type LossClass = (new (options?: Record<string, unknown>) => Loss) & { readonly isLoss: true };

/** Every loss class by its Gluon name (aliases excluded), derived from this module's exports. */
export const ALL_LOSSES: Readonly<Record<string, LossClass>> = Object.freeze(
  Object.fromEntries(
    Object.entries(exported).filter(
      // Aliases (SoftmaxCELoss …) export a class under another name: only the Gluon name counts.
      ([name, value]) =>
        typeof value === 'function' &&
        (value as { isLoss?: boolean }).isLoss === true &&
        ((value as { lossName?: string }).lossName ?? value.name) === name,
    ),
  ) as Record<string, LossClass>,
);
