/**
 * `gloss plot LOSS [--OPTION VALUE ...] [--label V] [--from A --to B] [--points N] [--out FILE]`:
 * draws one loss and its gradient against the prediction, with the label held fixed, as the
 * tutorial's `show_regression_loss` / `show_classification_loss` do.
 * @module
 */
import { join } from 'node:path';
import { ValueError } from '../ndarray/errors.js';
import {
  LOSS_VIEW_POINTS,
  type LossCurve,
  linspace,
  lossViewChart,
  lossesWithoutView,
  lossViews,
  lossViewTitle,
} from '../plot/loss-views.js';
import { countOption, numberOption, parseLooseArgs } from './_args.js';
import { writeFigure } from './_figures.js';
import { lossCurve } from './_loss-curve.js';
import { describeViewOptions, plottableLossNames, readViewOptions, resolveLossView } from './_loss-views.js';

/** Options of `gloss plot` itself; every other `--name` is an option of the loss. */
const OWN_OPTIONS = new Set(['label', 'from', 'to', 'points', 'out', 'help']);

/**
 * The help text of `gloss plot`, with every plottable loss and its options, and the losses it
 * cannot draw (asking for one prints why), so the whole registry shows up somewhere.
 */
export function plotHelp(): string {
  const losses = plottableLossNames()
    .map((name) => {
      const view = lossViews[name]!;
      return `  ${name.padEnd(31)} ${view.labelName} ${view.defaultLabel({})}; ${describeViewOptions(view)}`;
    })
    .join('\n');
  const withoutView = Object.keys(lossesWithoutView).join(', ');
  return `Usage: gloss plot LOSS [--OPTION VALUE ...] [--label V] [--from A --to B] [--points N] [--out FILE]

Draws LOSS and its gradient against the prediction, with the label fixed, and writes the chart
as SVG and PNG (PNG when @resvg/resvg-js is installed).

Arguments:
  LOSS               a loss with a one-dimensional view, by Gluon name or alias; case and the
                     "Loss" suffix are optional (huber, HuberLoss, SigmoidBCELoss)

Options:
  --OPTION VALUE     an option of the loss, e.g. --rho 2, --from-sigmoid true, --label-format binary
  --label V          the fixed label (default: 0 for regression losses, 1 for classification)
  --from A --to B    the prediction range (default: -5 to 5, or the loss's natural domain)
  --points N         number of predictions sampled, ends included (default 201)
  --out FILE         write only FILE, SVG or PNG by its extension (default: out/LOSS.svg and out/LOSS.png)
  -h, --help         show this help

Losses, their default label and options:
${losses}

Losses without a one-dimensional view (gloss plot LOSS says why): ${withoutView}`;
}

/** Runs `gloss plot`. Returns the exit code. */
export async function plotCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { positionals, options } = parseLooseArgs(argv);
  if (options.has('help')) {
    out(plotHelp());
    return 0;
  }
  if (positionals.length !== 1) {
    throw new ValueError(
      `give exactly one LOSS, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}; ` +
        `the losses are ${plottableLossNames().join(', ')} (see gloss plot --help)`,
    );
  }
  const { lossClass, name, view } = resolveLossView(positionals[0]!);
  const lossOptions = new Map([...options].filter(([key]) => !OWN_OPTIONS.has(key)));
  const values = readViewOptions(view, lossOptions);
  const loss = new lossClass(values);

  const label = options.has('label')
    ? numberOption('label', options.get('label')!)
    : view.defaultLabel(values);
  const [defaultFrom, defaultTo] = view.defaultRange(values);
  const from = options.has('from') ? numberOption('from', options.get('from')!) : defaultFrom;
  const to = options.has('to') ? numberOption('to', options.get('to')!) : defaultTo;
  if (!(from < to)) throw new ValueError(`--from must be below --to, got --from ${from} --to ${to}`);
  const points = options.has('points') ? countOption('points', options.get('points')!) : LOSS_VIEW_POINTS;
  if (points < 2) throw new ValueError(`--points must be at least 2, got ${points}`);

  const title = lossViewTitle(view, values, label);
  const curve = lossCurve(loss, linspace(from, to, points), label);
  const svg = lossViewChart(curve, title);

  const target = options.get('out');
  if (target === true) throw new ValueError('--out needs a file name ending in .svg or .png');
  let paths: { svgPath?: string; pngPath?: string };
  if (target === undefined) {
    paths = { svgPath: join('out', `${name}.svg`), pngPath: join('out', `${name}.png`) };
  } else if (/\.svg$/i.test(target)) {
    paths = { svgPath: target };
  } else if (/\.png$/i.test(target)) {
    paths = { pngPath: target };
  } else {
    throw new ValueError(`--out must end in .svg or .png, got ${JSON.stringify(target)}`);
  }
  const written = await writeFigure(svg, paths);
  out(summarize(curve, title));
  if (written.note) out(written.note);
  if (written.files.length === 0)
    throw new ValueError('nothing was written (PNG output needs @resvg/resvg-js)');
  out(`wrote ${written.files.join(', ')}`);
  return 0;
}

/** One line: where the loss is smallest and its largest value over the range. */
function summarize(curve: LossCurve, title: string): string {
  let low = 0;
  let high = 0;
  for (let i = 1; i < curve.loss.length; i++) {
    if (curve.loss[i]! < curve.loss[low]!) low = i;
    if (curve.loss[i]! > curve.loss[high]!) high = i;
  }
  const format = (v: number) => String(Number(v.toPrecision(6)));
  const first = curve.x[0]!;
  const last = curve.x[curve.x.length - 1]!;
  return (
    `${title}: pred from ${format(first)} to ${format(last)} (${curve.x.length} points); ` +
    `smallest loss ${format(curve.loss[low]!)} at pred ${format(curve.x[low]!)}, largest ${format(curve.loss[high]!)} at pred ${format(curve.x[high]!)}`
  );
}
