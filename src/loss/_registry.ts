/**
 * {@link ALL_LOSSES}, every registered loss class by its Gluon name, derived from the export lines
 * of exports.ts. Apart from index.ts so that modules derived from it (_functional.ts, _config.ts)
 * can import it without an import cycle.
 * @module
 */
import type { Loss } from './_base/index.js';
import * as exported from './exports.js';

/** A loss class: constructible from its options object. */
export type LossClass = (new (options?: Record<string, unknown>) => Loss) & { readonly isLoss: true };

/** Every loss class by its Gluon name (aliases excluded), derived from the exports of exports.ts. */
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
