/**
 * `gloss plot`'s and `gloss train`'s reading of loss names and options typed on the command line.
 * The views themselves (which losses can be drawn against one prediction, and how) live in one
 * table in the plot module (src/plot/loss-views.ts), shared with the demo and the API docs.
 * @module
 */
import type { LossClass } from '../loss/index.js';
import * as losses from '../loss/index.js';
import { ValueError } from '../ndarray/errors.js';
import {
  type LossOptionKind,
  type LossOptionValues,
  type LossView,
  lossView,
  lossViews,
  whyNoLossView,
} from '../plot/loss-views.js';
import { kebabCase } from './_args.js';

/** The loss classes exported from `gluon.loss`, aliases included, by exported name. */
function exportedLossClasses(): Map<string, LossClass> {
  const result = new Map<string, LossClass>();
  for (const [name, value] of Object.entries(losses)) {
    const isConcreteLoss =
      typeof value === 'function' && (value as { isLoss?: boolean }).isLoss === true && value !== losses.Loss;
    if (isConcreteLoss) result.set(name, value as LossClass);
  }
  return result;
}

/** The names of the losses that `gloss plot` can draw (those with a view that are implemented). */
export function plottableLossNames(): string[] {
  const classes = exportedLossClasses();
  return Object.keys(lossViews).filter((name) => classes.has(name));
}

/** A resolved loss: its class, its Gluon name and its view. */
export interface ResolvedLoss {
  readonly lossClass: LossClass;
  readonly name: string;
  readonly view: LossView;
}

/**
 * Finds the loss class a user typed: a Gluon class name or alias, case-insensitive, with or
 * without the `Loss` suffix, or an unambiguous prefix (`huber`, `SigmoidBCELoss`, `poisson`).
 * Unknown and ambiguous names are ValueErrors that list `offered`, the names that would work.
 */
export function resolveLossClass(
  typed: string,
  offered: readonly string[],
): { lossClass: LossClass; name: string } {
  const classes = exportedLossClasses();
  const wanted = typed.toLowerCase();
  const names = [...classes.keys()];
  const exact = names.find((name) => [wanted, `${wanted}loss`].includes(name.toLowerCase()));
  const byPrefix = names.filter((name) => name.toLowerCase().startsWith(wanted));
  const match = exact ?? (byPrefix.length === 1 ? byPrefix[0] : undefined);
  if (match === undefined) {
    const why =
      byPrefix.length > 1 ? `'${typed}' could be ${byPrefix.join(', ')}` : `unknown loss '${typed}'`;
    throw new ValueError(`${why}; choose one of ${offered.join(', ')}`);
  }
  const lossClass = classes.get(match)!;
  return { lossClass, name: lossClass.name };
}

/**
 * Finds the loss a user typed (see {@link resolveLossClass}) and its one-dimensional view. A loss
 * without one is a ValueError that says why, in the table's words, and lists the losses with one.
 */
export function resolveLossView(typed: string): ResolvedLoss {
  const plottable = plottableLossNames();
  const { lossClass, name } = resolveLossClass(typed, plottable);
  const view = lossView(name);
  if (view === undefined) {
    const reason = whyNoLossView(name) ?? 'it is not in the table of loss views (src/plot/loss-views.ts)';
    throw new ValueError(
      `${name} has no one-dimensional view, so gloss plot cannot draw it: ${reason}. ` +
        `gloss plot draws a loss against one prediction with the label held fixed; ` +
        `the losses with one are ${plottable.join(', ')}`,
    );
  }
  return { lossClass, name, view };
}

/** The option list of a view as help text shows it: `--rho NUMBER, --weight NUMBER`. */
export function describeViewOptions(view: LossView): string {
  return Object.entries(view.options)
    .map(([name, kind]) => `--${kebabCase(name)} ${kindText(kind)}`)
    .join(', ');
}

function kindText(kind: LossOptionKind): string {
  if (kind === 'number') return 'NUMBER';
  if (kind === 'boolean') return 'true|false';
  return kind.choices.join('|');
}

/**
 * Converts the typed options of `view` (text or bare flags) to loss option values. Unknown
 * options and unreadable values are ValueErrors that list the loss's options.
 */
export function readViewOptions(view: LossView, given: ReadonlyMap<string, string | true>): LossOptionValues {
  const values: LossOptionValues = {};
  const known = describeViewOptions(view);
  for (const [name, raw] of given) {
    const kind = view.options[name];
    if (kind === undefined) {
      throw new ValueError(
        `${view.name} has no option --${kebabCase(name)}; its options are ${known || '(none)'}`,
      );
    }
    values[name] = readValue(view.name, name, kind, raw, known);
  }
  const reason = view.unsupported?.(values) ?? null;
  if (reason !== null) throw new ValueError(`${view.name} cannot be drawn against one prediction: ${reason}`);
  return values;
}

function readValue(
  loss: string,
  name: string,
  kind: LossOptionKind,
  raw: string | true,
  known: string,
): number | boolean | string {
  const fail = (expected: string): never => {
    throw new ValueError(
      `${loss} option --${kebabCase(name)} needs ${expected}, got ${raw === true ? 'nothing' : JSON.stringify(raw)}; its options are ${known}`,
    );
  };
  if (kind === 'number') {
    const value = raw === true ? Number.NaN : Number(raw);
    return raw === true || raw.trim() === '' || !Number.isFinite(value) ? fail('a number') : value;
  }
  if (kind === 'boolean') {
    if (raw === true || raw === 'true') return true;
    return raw === 'false' ? false : fail('true or false');
  }
  return raw !== true && kind.choices.includes(raw) ? raw : fail(`one of ${kind.choices.join(', ')}`);
}
