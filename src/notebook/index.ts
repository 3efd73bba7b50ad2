/**
 * `gloss-ml/notebook`: the small notebook runtime that examples/tutorial.ts (the TypeScript twin of
 * MXNet's "Loss functions" notebook) is written against — `cell`, `display` (a cell's `Out[n]`),
 * `print` and `show` (matplotlib's `plt.show()`). Run directly, a twin prints to the console;
 * run by `gloss tutorial`, its outputs and charts become the HTML page.
 *
 * ```ts
 * import { nd } from 'gloss-ml';
 * import { cell, display } from 'gloss-ml/notebook';
 * cell(1, () => display(nd.ones([2])));
 * ```
 * @module
 */
export {
  type CellOutput,
  cell,
  display,
  print,
  type RecordedArray,
  type RecordedSeries,
  show,
} from '../cli/_notebook.js';
