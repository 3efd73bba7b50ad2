/**
 * The two pictures of the seed tutorial that MXNet's docs shipped as images (`triplet_loss.png`,
 * `ctc_loss.png`), drawn by gloss instead, from small training runs with the loss they explain:
 *
 * - triplet: anchor, positive and negative embeddings in 2-D, before and after a few gradient
 *   steps on `TripletLoss` — positives move in, negatives move out past the margin;
 * - CTC: per-frame label posteriors of one short sequence after a few gradient steps on `CTCLoss`,
 *   as a heatmap with the best path (most likely label per frame) marked, which collapses to the
 *   target word.
 *
 * Both runs are deterministic (fixed starting points, plain gradient descent).
 * @module
 */
import { autograd, type NDArray, nd } from '../index.js';
import { CTCLoss, TripletLoss } from '../loss/index.js';
import { heatmap, sideBySide } from '../plot/index.js';
import { scatterChart, type Segment } from '../plot/scatter-chart.js';
import { escapeHtml } from './_markdown.js';

/** Runs `steps` of gradient descent on `parameters` for `lossOf`; returns the mean loss before and after. */
function descend(
  parameters: NDArray[],
  lossOf: () => NDArray,
  steps: number,
  rate: number,
): [number, number] {
  for (const p of parameters) p.attachGrad();
  const meanLoss = () => {
    const values = lossOf().data;
    return Array.from(values).reduce((a, b) => a + b, 0) / values.length;
  };
  const before = meanLoss();
  for (let step = 0; step < steps; step++) {
    const loss = autograd.record(lossOf);
    loss.backward();
    for (const p of parameters) {
      const grad = p.grad!.data;
      const data = p.data as Float64Array;
      for (let i = 0; i < data.length; i++) data[i]! -= rate * grad[i]!;
    }
  }
  return [before, meanLoss()];
}

const float64 = { dtype: 'float64' } as const;

/** Four triplets: each positive starts far from its anchor, each negative close to it. */
const TRIPLETS = {
  anchor: [
    [0.0, 0.0],
    [1.0, 0.4],
    [-0.6, 0.9],
    [0.4, -0.8],
  ],
  positive: [
    [1.3, 0.9],
    [-0.3, 1.5],
    [0.5, -0.5],
    [-0.9, 0.2],
  ],
  negative: [
    [0.35, -0.25],
    [0.8, 0.9],
    [-0.3, 0.55],
    [0.0, -0.55],
  ],
};

/** Gradient steps of the triplet run (learning rate 0.05): enough for every triplet to clear the margin. */
export const TRIPLET_STEPS = 25;

/** The triplet figure: embeddings before and after {@link TRIPLET_STEPS} steps, side by side. */
export function tripletFigureSvg(): string {
  const anchor = nd.array(TRIPLETS.anchor, float64);
  const positive = nd.array(TRIPLETS.positive, float64);
  const negative = nd.array(TRIPLETS.negative, float64);
  const loss = new TripletLoss({ margin: 1 });
  const snapshot = () => [anchor, positive, negative].map((a) => Array.from(a.data));
  const start = snapshot();
  const [before, after] = descend(
    [anchor, positive, negative],
    () => loss.forward(anchor, positive, negative),
    TRIPLET_STEPS,
    0.05,
  );
  const end = snapshot();
  const all = [...start, ...end].flat();
  const domain: [number, number] = [Math.min(...all) - 0.3, Math.max(...all) + 0.3];
  const panel = ([a, p, n]: number[][], title: string) => {
    const xs = (v: number[]) => v.filter((_, i) => i % 2 === 0);
    const ys = (v: number[]) => v.filter((_, i) => i % 2 === 1);
    const segments: Segment[] = [];
    for (let i = 0; i < a!.length / 2; i++) {
      const from = { x1: a![2 * i]!, y1: a![2 * i + 1]! };
      segments.push({ ...from, x2: p![2 * i]!, y2: p![2 * i + 1]!, color: '#2ca02c' });
      segments.push({ ...from, x2: n![2 * i]!, y2: n![2 * i + 1]!, color: '#d62728', dashed: true });
    }
    return scatterChart(
      [
        { label: 'anchor', x: xs(a!), y: ys(a!), color: '#1f77b4', marker: 'circle' },
        { label: 'positive', x: xs(p!), y: ys(p!), color: '#2ca02c', marker: 'square' },
        { label: 'negative', x: xs(n!), y: ys(n!), color: '#d62728', marker: 'triangle' },
      ],
      {
        title,
        xDomain: domain,
        yDomain: domain,
        segments,
        width: 400,
        height: 380,
        xLabel: 'dim 1',
        yLabel: 'dim 2',
      },
    );
  };
  return sideBySide(
    [
      panel(start, `before training: mean loss ${before.toFixed(2)}`),
      panel(end, `after ${TRIPLET_STEPS} steps: mean loss ${after.toFixed(2)}`),
    ],
    { title: 'TripletLoss (margin 1) pulls positives in and pushes negatives out' },
  );
}

/** The CTC example: the word "CAT" over 8 frames, classes C, A, T and the blank (last, as in Gluon). */
const CTC_ALPHABET = ['C', 'A', 'T'];
const CTC_FRAMES = 8;
export const CTC_STEPS = 40;

/** What the CTC run found: posteriors (classes × frames), the best path and its decoding. */
export interface CtcRun {
  readonly posteriors: Float64Array;
  readonly bestPath: number[];
  readonly decoded: string;
  readonly lossBefore: number;
  readonly lossAfter: number;
}

/** Trains free per-frame logits for one sequence on `CTCLoss` and reads off the best path. */
export function ctcRun(): CtcRun {
  const classes = CTC_ALPHABET.length + 1;
  // Nearly uniform start with a little structure, so the run does not begin on a tie.
  const start = Array.from({ length: CTC_FRAMES * classes }, (_, i) => 0.1 * Math.sin(1.7 * i));
  const logits = nd.array(start, float64).reshape([1, CTC_FRAMES, classes]);
  const label = nd.array([[0, 1, 2]], float64);
  const loss = new CTCLoss();
  const [lossBefore, lossAfter] = descend([logits], () => loss.forward(logits, label), CTC_STEPS, 0.5);
  const frameMajor = logits.reshape([CTC_FRAMES, classes]).softmax(-1).data;
  const posteriors = new Float64Array(classes * CTC_FRAMES);
  const bestPath: number[] = [];
  for (let t = 0; t < CTC_FRAMES; t++) {
    let best = 0;
    for (let c = 0; c < classes; c++) {
      posteriors[c * CTC_FRAMES + t] = frameMajor[t * classes + c]!;
      if (frameMajor[t * classes + c]! > frameMajor[t * classes + best]!) best = c;
    }
    bestPath.push(best);
  }
  // Best-path decoding: merge repeated labels, then drop blanks.
  const blank = classes - 1;
  const decoded = bestPath
    .filter((c, t) => c !== blank && c !== bestPath[t - 1])
    .map((c) => CTC_ALPHABET[c])
    .join('');
  return { posteriors, bestPath, decoded, lossBefore, lossAfter };
}

/** The CTC figure: the posteriors heatmap with the best path marked. */
export function ctcFigureSvg(run: CtcRun = ctcRun()): string {
  const path = run.bestPath.map((c, t) => [c, t] as const);
  return heatmap(run.posteriors, {
    title: `CTCLoss, label "CAT": posteriors after ${CTC_STEPS} steps`,
    rowLabels: [...CTC_ALPHABET, 'blank'],
    columnLabels: Array.from({ length: CTC_FRAMES }, (_, t) => `t${t + 1}`),
    xLabel: 'frame',
    yLabel: 'label',
    path,
    pathLabel: `best path: ${run.bestPath.map((c) => [...CTC_ALPHABET, '-'][c]).join('')} → "${run.decoded}"`,
    cellSize: 44,
  });
}

/** Both figures as `<figure>` HTML for the tutorial page, keyed by the seed's image alt texts. */
export function tutorialImageFigures(): Record<string, string> {
  const run = ctcRun();
  const figure = (name: string, svg: string, caption: string) =>
    `<figure class="drawn" id="figure-${name}">${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
  return {
    triplet_loss: figure(
      'triplet_loss',
      tripletFigureSvg(),
      `Four triplets of 2-D embeddings trained directly with TripletLoss (${TRIPLET_STEPS} steps of gradient descent): each anchor (circle) ends closer to its positive (square, solid line) than to its negative (triangle, dashed line) by the margin.`,
    ),
    ctc_loss: figure(
      'ctc_loss',
      ctcFigureSvg(run),
      `Per-frame label posteriors of an 8-frame sequence whose logits were trained with CTCLoss's gradients towards the label "CAT" (loss ${run.lossBefore.toFixed(2)} before, ${run.lossAfter.toFixed(2)} after ${CTC_STEPS} steps). The outlined cells are the best path; merging repeats and dropping blanks decodes it to "${run.decoded}".`,
    ),
  };
}
