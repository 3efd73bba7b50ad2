/**
 * Default series colours: d3's category10 (Tableau 10), distinguishable and print-safe.
 * @module
 */

/** The colours given to series without their own `color`, in order (cycled). */
export const PALETTE: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** The default colour of the `index`-th series. */
export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}
