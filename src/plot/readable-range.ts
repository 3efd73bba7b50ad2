/**
 * A readable y range for curves that run off to ±∞ (e.g. −log p near p = 0, or a gradient of
 * −1/p that reaches −1e12): taking the full extent would squash every other value into one
 * pixel row. The range is set by the bulk of the values instead, and the chart says which
 * curves leave it and how far they go.
 * @module
 */
import type { Series } from './series.js';

/** What {@link readableYRange} decided. */
export interface ReadableRange {
  /** The y range to draw, or null to keep the data's extent (nothing needs clamping). */
  readonly domain: [number, number] | null;
  /** One line per series that leaves the range: `gradient reaches −1e+12 at x = 0`. */
  readonly notes: string[];
}

/** Fraction of values cut from each end to find the bulk of a curve. */
const TAIL = 0.05;
/** How many bulk widths beyond the bulk a value may lie before the range stops following it. */
const REACH = 1;

function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/** A short number for notes: 3 significant digits, exponent form when very large or small. */
export function shortNumber(value: number): string {
  if (value === Infinity) return '+∞';
  if (value === -Infinity) return '−∞';
  const abs = Math.abs(value);
  const text =
    abs !== 0 && (abs >= 1e5 || abs < 1e-3) ? value.toExponential(0) : String(Number(value.toPrecision(3)));
  return text.replace('-', '−');
}

/**
 * The y range that shows the bulk of every series: the 5%–95% quantiles of all finite values,
 * widened by their width on each side. When every value fits (the usual case) the domain is
 * null and nothing changes; infinite values always produce a note.
 */
export function readableYRange(series: readonly Series[], xName = 'x'): ReadableRange {
  const finite: number[] = [];
  for (const s of series)
    for (let i = 0; i < s.y.length; i++) if (Number.isFinite(s.y[i]!)) finite.push(s.y[i]!);
  const hasInfinite = series.some((s) => Array.from(s.y).some((v) => v === Infinity || v === -Infinity));
  if (finite.length === 0) return { domain: null, notes: [] };
  finite.sort((a, b) => a - b);
  const low = quantile(finite, TAIL);
  const high = quantile(finite, 1 - TAIL);
  const width = high - low || Math.max(Math.abs(high), 1);
  const allowed: [number, number] = [low - REACH * width, high + REACH * width];
  const clamps = finite[0]! < allowed[0] || finite[finite.length - 1]! > allowed[1];
  if (!clamps && !hasInfinite) return { domain: null, notes: [] };
  const domain: [number, number] = clamps
    ? [Math.max(finite[0]!, allowed[0]), Math.min(finite[finite.length - 1]!, allowed[1])]
    : [finite[0]!, finite[finite.length - 1]!];
  const notes: string[] = [];
  series.forEach((s, index) => {
    // The value furthest outside the domain (infinities first), and where it is.
    let worst = -1;
    let worstDistance = 0;
    for (let i = 0; i < s.y.length; i++) {
      const v = s.y[i]!;
      const distance = v > domain[1] ? v - domain[1] : v < domain[0] ? domain[0] - v : 0;
      if (distance > worstDistance) {
        worst = i;
        worstDistance = distance;
      }
    }
    if (worst >= 0) {
      const name = s.label || `series ${index}`;
      notes.push(`${name} reaches ${shortNumber(s.y[worst]!)} at ${xName} = ${shortNumber(s.x[worst]!)}`);
    }
  });
  return { domain, notes };
}

/**
 * `value` pulled into `domain` widened by `overshoot` of its width: a curve that leaves the
 * range is drawn running off the plot edge (the clip path hides the rest) instead of jumping to
 * pixel coordinates in the trillions. NaN and ±∞ stay as they are: gaps, since no point of the
 * curve exists there (the note names them).
 */
export function pullIntoRange(value: number, domain: readonly [number, number], overshoot = 0.1): number {
  if (!Number.isFinite(value)) return value;
  const margin = (domain[1] - domain[0]) * overshoot;
  return Math.min(domain[1] + margin, Math.max(domain[0] - margin, value));
}
