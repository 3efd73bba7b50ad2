/**
 * What the API docs plugin (gloss-docs-plugin.mjs) adds to typedoc's pages, kept in TypeScript
 * next to the sources it draws from:
 *
 * - TeX math in doc comments (`$$…$$`, display when on lines of its own) rendered by KaTeX while
 *   the docs are built. Math is swapped for placeholders before markdown runs (so `_` and `\\`
 *   reach KaTeX untouched) and the placeholders for KaTeX HTML after.
 * - The chart (value and gradient against the prediction) of every loss with a one-dimensional
 *   view, drawn by gloss at docs build time.
 * - The gallery: every loss, side by side, grouped by task.
 * @module
 */
import { lossCurve } from '../../src/cli/_loss-curve.js';
import { renderTex } from '../../src/cli/_math.js';
import { ctcFigureSvg, tripletFigureSvg } from '../../src/cli/_tutorial-figures.js';
import { autograd, type NDArray, nd } from '../../src/index.js';
import * as losses from '../../src/loss/index.js';
import {
  LOSS_VIEW_POINTS,
  lineChart,
  linspace,
  lossView,
  lossViewChart,
  lossViewTitle,
  whyNoLossView,
} from '../../src/plot/index.js';

const PLACEHOLDER = /GLOSSMATH(\d+)X/g;

/** Math found in markdown, waiting for the markdown to be rendered. */
export interface PendingMath {
  /** The markdown with every formula replaced by a placeholder word. */
  readonly markdown: string;
  /** Puts the rendered formulas in place of the placeholders in the rendered HTML. */
  restore(html: string): string;
}

/**
 * Swaps every `$$…$$` formula outside code (fenced blocks and inline code spans) for a
 * placeholder. A formula on lines of its own is display math; one inside a sentence is inline.
 */
export function takeOutMath(markdown: string): PendingMath {
  const rendered: string[] = [];
  // Code keeps its dollars: split on fenced blocks and inline code spans, keep odd parts as is.
  const parts = markdown.split(/(```[\s\S]*?```|`[^`\n]*`)/);
  const text = parts
    .map((part, index) =>
      index % 2 === 1
        ? part
        : part.replace(/\$\$([\s\S]+?)\$\$/g, (match: string, tex: string, offset: number, whole: string) => {
            const end = offset + match.length;
            const ownLines =
              (offset === 0 || whole[offset - 1] === '\n') && (end === whole.length || whole[end] === '\n');
            rendered.push(renderTex(tex.trim(), ownLines));
            return `GLOSSMATH${rendered.length - 1}X`;
          }),
    )
    .join('');
  return {
    markdown: text,
    restore: (html) =>
      html
        // A display formula alone in a paragraph: no <p> around a block.
        .replace(/<p>GLOSSMATH(\d+)X<\/p>/g, (_, i: string) => rendered[Number(i)]!)
        .replace(PLACEHOLDER, (_, i: string) => rendered[Number(i)]!),
  };
}

/** The chart of `name` (a loss with a one-dimensional view) at its default label and range, or null. */
export function lossPageChart(name: string, size?: { width: number; height: number }): string | null {
  const view = lossView(name);
  const lossClass = losses.ALL_LOSSES[name];
  if (!view || !lossClass) return null;
  const label = view.defaultLabel({});
  const [from, to] = view.defaultRange({});
  const curve = lossCurve(new lossClass({}), linspace(from, to, LOSS_VIEW_POINTS), label);
  return lossViewChart(curve, lossViewTitle(view, {}, label), size);
}

/** The `<figure>` a loss's API page gets under its description. */
export function lossPageFigure(name: string): string | null {
  const svg = lossPageChart(name);
  if (!svg) return null;
  return `<figure class="gloss-loss-chart" id="loss-chart">${svg}<figcaption>${name} (solid) and its gradient with respect to the prediction (dashed), drawn by gloss when these docs were built.</figcaption></figure>`;
}

/** A sweep of one input for a loss without a one-dimensional view: value and gradient. */
function sweep(
  title: string,
  xLabel: string,
  x: Float64Array,
  evaluate: (value: NDArray) => NDArray,
  size: { width: number; height: number },
): string {
  const loss = new Float64Array(x.length);
  const gradient = new Float64Array(x.length);
  x.forEach((value, i) => {
    const input = nd.array([value], { dtype: 'float64' });
    input.attachGrad();
    const out = autograd.record(() => evaluate(input));
    out.backward();
    loss[i] = out.data[0]!;
    gradient[i] = input.grad!.data[0]!;
  });
  return lineChart(
    [
      { label: 'loss', x, y: loss },
      { label: `gradient d loss / d ${xLabel}`, x, y: gradient, dashed: true },
    ],
    { title, xLabel, yLabel: 'loss', ...size },
  );
}

const f64 = { dtype: 'float64' } as const;

/**
 * Charts for the losses without a one-dimensional view (the plot module's `lossesWithoutView`
 * says why each has none): each varies one input with the others fixed, and its title says what
 * is held fixed (the label included). They depend on the inputs picked here, which is why they
 * are the gallery's pictures rather than views `gloss plot` offers.
 */
const COUPLED_VIEWS: Record<string, (size: { width: number; height: number }) => string> = {
  SoftmaxCrossEntropyLoss: (size) =>
    sweep(
      'SoftmaxCELoss, logits [z, 0], label = 0',
      'z',
      linspace(-5, 5, 101),
      (z) =>
        new losses.SoftmaxCrossEntropyLoss().forward(
          nd.concat([z, nd.zeros([1], f64)], 0).reshape([1, 2]),
          nd.array([0], f64),
        ),
      size,
    ),
  TripletLoss: (size) =>
    sweep(
      'TripletLoss, positive 0, negative 1',
      'x',
      linspace(-2, 3, 101),
      (x) => new losses.TripletLoss().forward(x.reshape([1, 1]), nd.zeros([1, 1], f64), nd.ones([1, 1], f64)),
      size,
    ),
  CosineEmbeddingLoss: (size) =>
    sweep(
      'CosineEmbeddingLoss, label = 1',
      'angle θ',
      linspace(0, Math.PI, 101),
      (theta) =>
        new losses.CosineEmbeddingLoss().forward(
          nd.array([[1, 0]], f64),
          nd.concat([theta.cos(), theta.sin()], 0).reshape([1, 2]),
          nd.array([1], f64),
        ),
      size,
    ),
  NLLLoss: (size) =>
    sweep(
      'NLLLoss, logProb [z, −1], label = 0',
      'z',
      linspace(-5, 0, 101),
      (z) =>
        new losses.NLLLoss().forward(
          nd.concat([z, nd.array([-1], f64)], 0).reshape([1, 2]),
          nd.array([0], f64),
        ),
      size,
    ),
  SoftmaxFocalLoss: (size) =>
    sweep(
      'SoftmaxFocalLoss, logits [z, 0], label = 0',
      'z',
      linspace(-5, 5, 101),
      (z) =>
        new losses.SoftmaxFocalLoss().forward(
          nd.concat([z, nd.zeros([1], f64)], 0).reshape([1, 2]),
          nd.array([0], f64),
        ),
      size,
    ),
  NTXentLoss: (size) =>
    sweep(
      'NTXentLoss(τ = 0.5), rows (1, 0), (cos θ, sin θ), (0, 1), labels 0, 0, 1',
      'angle θ',
      linspace(0, Math.PI, 101),
      (theta) =>
        new losses.NTXentLoss({ temperature: 0.5 })
          .forward(
            nd
              .concat([nd.array([1, 0], f64), theta.cos(), theta.sin(), nd.array([0, 1], f64)], 0)
              .reshape([3, 2]),
            nd.array([0, 0, 1], f64),
          )
          .slice([0], [1]),
      size,
    ),
  SDMLLoss: (size) =>
    sweep(
      'SDMLLoss, pairs (0, s), (1, 1)',
      's',
      linspace(-2, 3, 101),
      (s) =>
        new losses.SDMLLoss()
          .forward(nd.array([[0], [1]], f64), nd.concat([s, nd.ones([1], f64)], 0).reshape([2, 1]))
          .slice([0], [1]),
      size,
    ),
  DiceLoss: (size) => overlapSweep('DiceLoss', new losses.DiceLoss(), size),
  TverskyLoss: (size) =>
    overlapSweep('TverskyLoss(α 0.3, β 0.7)', new losses.TverskyLoss({ alpha: 0.3, beta: 0.7 }), size),
  MultiMarginLoss: (size) =>
    rowSweep(
      'MultiMarginLoss, scores [z, 0, 0.5], label = 0',
      (row) => new losses.MultiMarginLoss().forward(row, nd.array([0], f64)),
      size,
    ),
  MultiLabelMarginLoss: (size) =>
    rowSweep(
      'MultiLabelMarginLoss, scores [z, 0, 0.5], targets [0]',
      (row) => new losses.MultiLabelMarginLoss().forward(row, nd.array([[0, -1, -1]], f64)),
      size,
    ),
  MultiLabelSoftMarginLoss: (size) =>
    rowSweep(
      'MultiLabelSoftMarginLoss, logits [z, 0, 0.5], labels [1, 0, 1]',
      (row) => new losses.MultiLabelSoftMarginLoss().forward(row, nd.array([[1, 0, 1]], f64)),
      size,
    ),
  GaussianNLLLoss: (size) =>
    sweep(
      'GaussianNLLLoss, target 0, variance 1',
      'pred',
      linspace(-3, 3, 101),
      (x) =>
        new losses.GaussianNLLLoss().forward(x.reshape([1, 1]), nd.zeros([1, 1], f64), nd.ones([1, 1], f64)),
      size,
    ),
  MarginRankingLoss: (size) =>
    sweep(
      'MarginRankingLoss, input2 0, label 1, margin 0.5',
      'input1',
      linspace(-2, 2, 101),
      (x) =>
        new losses.MarginRankingLoss({ margin: 0.5 }).forward(
          x.reshape([1, 1]),
          nd.zeros([1, 1], f64),
          nd.ones([1, 1], f64),
        ),
      size,
    ),
  CosineSimilarityLoss: (size) =>
    sweep(
      'CosineSimilarityLoss, label (1, 0)',
      'angle θ',
      linspace(0, Math.PI, 101),
      (theta) =>
        new losses.CosineSimilarityLoss().forward(
          nd.concat([theta.cos(), theta.sin()], 0).reshape([1, 2]),
          nd.array([[1, 0]], f64),
        ),
      size,
    ),
  TripletMarginLoss: (size) =>
    sweep(
      'TripletMarginLoss, positive 0, negative 1',
      'anchor',
      linspace(-2, 3, 101),
      (x) =>
        new losses.TripletMarginLoss().forward(
          x.reshape([1, 1]),
          nd.zeros([1, 1], f64),
          nd.ones([1, 1], f64),
        ),
      size,
    ),
};

/** A mask overlap loss against the mask [1, 0] as the first prediction p goes from 0 to 1 (the second is 0.25). */
function overlapSweep(title: string, loss: losses.Loss, size: { width: number; height: number }): string {
  const mask = nd.array([[1, 0]], f64);
  return sweep(
    `${title}, pred [p, 0.25], label [1, 0]`,
    'p',
    linspace(0, 1, 101),
    (p) => loss.forward(nd.concat([p, nd.array([0.25], f64)], 0).reshape([1, 2]), mask),
    size,
  );
}

/** A loss of one row of class scores [z, 0, 0.5] as z varies. */
function rowSweep(
  title: string,
  evaluate: (row: NDArray) => NDArray,
  size: { width: number; height: number },
): string {
  return sweep(
    title,
    'z',
    linspace(-3, 3, 121),
    (z) => evaluate(nd.concat([z, nd.array([0, 0.5], f64)], 0).reshape([1, 3])),
    size,
  );
}

/** The gallery's groups: every loss once, by the task it is used for. */
export const GALLERY_GROUPS: readonly { readonly task: string; readonly losses: readonly string[] }[] = [
  { task: 'Regression', losses: ['L1Loss', 'L2Loss', 'HuberLoss', 'PoissonNLLLoss'] },
  {
    task: 'Classification',
    losses: [
      'SigmoidBinaryCrossEntropyLoss',
      'SoftmaxCrossEntropyLoss',
      'LogisticLoss',
      'HingeLoss',
      'SquaredHingeLoss',
      'KLDivLoss',
      'NLLLoss',
      'SigmoidFocalLoss',
      'SoftmaxFocalLoss',
    ],
  },
  { task: 'Embeddings', losses: ['TripletLoss', 'CosineEmbeddingLoss', 'SDMLLoss', 'NTXentLoss'] },
  { task: 'Sequences', losses: ['CTCLoss'] },
  { task: 'Segmentation', losses: ['DiceLoss', 'TverskyLoss'] },
  {
    task: 'Multi-class and multi-label margins',
    losses: ['MultiMarginLoss', 'MultiLabelMarginLoss', 'MultiLabelSoftMarginLoss'],
  },
  {
    task: 'Regression and ranking (PyTorch, Keras)',
    losses: [
      'SmoothL1Loss',
      'MSELoss',
      'LogCoshLoss',
      'GaussianNLLLoss',
      'SoftMarginLoss',
      'HingeEmbeddingLoss',
      'MarginRankingLoss',
      'CosineSimilarityLoss',
      'TripletMarginLoss',
    ],
  },
];

const GALLERY_SIZE = { width: 380, height: 270 };

/**
 * The chart of one loss for the gallery: its view when it has one, otherwise a picture that
 * varies one input (or, for CTC, the tutorial's trained sequence).
 */
export function galleryChart(name: string): string {
  const chart = lossPageChart(name, GALLERY_SIZE);
  if (chart) return chart;
  if (whyNoLossView(name) === undefined) throw new Error(`${name} is in neither table of loss views`);
  if (name === 'CTCLoss') return ctcFigureSvg();
  const coupled = COUPLED_VIEWS[name];
  if (!coupled) throw new Error(`the gallery has no chart for ${name}`);
  return coupled(GALLERY_SIZE);
}

/**
 * The gallery's HTML: one section per task, each loss's chart in a grid cell with a link to
 * its API page (`pageOf` gives the page's URL, relative to the gallery, or null).
 */
export function galleryHtml(pageOf: (name: string) => string | null): string {
  const sections = GALLERY_GROUPS.map(({ task, losses: names }) => {
    const cells = names.map((name) => {
      const href = pageOf(name);
      const heading = href ? `<a href="${href}">${name}</a>` : name;
      return `<figure class="gloss-gallery-cell" data-loss="${name}">${galleryChart(name)}<figcaption>${heading}</figcaption></figure>`;
    });
    return `<section class="gloss-gallery-group" data-task="${task.toLowerCase()}"><h2>${task}</h2><div class="gloss-gallery-grid">${cells.join('')}</div></section>`;
  });
  return `<div class="gloss-gallery">${sections.join('')}<section class="gloss-gallery-group" data-task="embeddings-trained"><h2>Embeddings, trained</h2>${tripletFigureSvg()}</section></div>`;
}

/** Every loss the gallery shows, for tests: it must be every loss gloss exports. */
export function galleryLosses(): string[] {
  return GALLERY_GROUPS.flatMap((g) => g.losses);
}

/** Styles for the plugin's additions (charts scale with the page; KaTeX display math scrolls). */
export const DOCS_CSS = `
.gloss-loss-chart svg, .gloss-gallery svg { max-width: 100%; height: auto; }
.gloss-loss-chart figcaption, .gloss-gallery figcaption { font-size: 0.9em; color: var(--color-text-aside); }
.gloss-gallery-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 12px; }
.gloss-gallery-cell { margin: 0; }
.katex-display { overflow-x: auto; overflow-y: hidden; }
`;
