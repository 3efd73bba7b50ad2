/**
 * Checks the PyTorch factors of docs/migrating.md: reads the JSON printed by
 * scripts/check-migrating-torch.py on stdin, computes the gloss side on the same inputs, prints one
 * line per row and exits 1 when a row disagrees (relative 1e-9: both sides run in float64).
 * Usage: /usr/bin/python3 scripts/check-migrating-torch.py | npx tsx scripts/check-migrating-torch.ts
 */
import { readFileSync } from 'node:fs';
import { gluon, type NDArray, nd } from 'gloss-ml';

const torch = JSON.parse(readFileSync(0, 'utf8'));
const inputs = torch.inputs;
const A = (values: unknown) => nd.array(values as number[][], { dtype: 'float64' });
const L = gluon.loss;
const C = 5;
const meanOf = (perSample: NDArray) => perSample.mean().item();
const valuesOf = (perSample: NDArray) => perSample.toArray() as number[];

const [x, y, logits, probs, a, p, n] = ['x', 'y', 'logits', 'probs', 'a', 'p', 'n'].map((k) => A(inputs[k]));
const target = A(inputs.target);
const logProbs = logits!.logSoftmax();
// PyTorch's per-class `weight` as gloss's per-sample weights: the weight of each sample's class.
const sampleWeight = target.oneHot(C, 'float64').dot(A(inputs.cw));
const weightedCe = new L.SoftmaxCELoss().forward(logits!, target, sampleWeight);

const rows: [string, number | number[], number | number[]][] = [
  ['mse_loss = 2 × L2Loss', torch.mse, 2 * meanOf(new L.L2Loss().forward(x!, y!))],
  ['l1_loss = L1Loss', torch.l1, meanOf(new L.L1Loss().forward(x!, y!))],
  [
    'huber_loss(δ=2) = 2 × HuberLoss(rho 2)',
    torch.huber2,
    2 * meanOf(new L.HuberLoss({ rho: 2 }).forward(x!, y!)),
  ],
  [
    'smooth_l1_loss(β=2) = HuberLoss(rho 2)',
    torch.smoothl1_2,
    meanOf(new L.HuberLoss({ rho: 2 }).forward(x!, y!)),
  ],
  [
    'bce_with_logits = SigmoidBCELoss',
    torch.bce_logits,
    meanOf(new L.SigmoidBCELoss().forward(x!, A(inputs.bin))),
  ],
  ['cross_entropy = SoftmaxCELoss', torch.ce, valuesOf(new L.SoftmaxCELoss().forward(logits!, target))],
  [
    'cross_entropy(weight) = Σ w·ℓ / Σ w',
    torch.ce_weighted,
    weightedCe.sum().item() / sampleWeight.sum().item(),
  ],
  [
    "kl_div 'batchmean' = C × KLDivLoss",
    torch.kl_batchmean,
    C * meanOf(new L.KLDivLoss().forward(logProbs, probs!)),
  ],
  ["kl_div 'mean' = KLDivLoss", torch.kl_mean, meanOf(new L.KLDivLoss().forward(logProbs, probs!))],
  [
    "kl_div 'batchmean' = KLDivLoss(classReduction sum)",
    torch.kl_batchmean,
    meanOf(new L.KLDivLoss({ classReduction: 'sum' }).forward(logProbs, probs!)),
  ],
  [
    'relu(‖a−p‖² − ‖a−n‖² + 1) = TripletLoss',
    torch.triplet_sq,
    valuesOf(new L.TripletLoss().forward(a!, p!, n!)),
  ],
  [
    'soft_margin_loss = LogisticLoss(signed)',
    torch.softmargin,
    meanOf(new L.LogisticLoss({ labelFormat: 'signed' }).forward(x!, y!.sign())),
  ],
  [
    'poisson_nll(log_input) = PoissonNLLLoss(fromLogits)',
    torch.poisson,
    valuesOf(new L.PoissonNLLLoss({ fromLogits: true }).forward(x!, y!.abs())),
  ],
  [
    'ctc_loss(blank 0, (T, N, C)) = CTCLoss(TNC, first)',
    torch.ctc,
    valuesOf(
      new L.CTCLoss({ layout: 'TNC', blankLabel: 'first' }).forward(
        A(inputs.ctc_act).logSoftmax(),
        A(inputs.ctc_lab),
        null,
        A(inputs.ctc_len),
      ),
    ),
  ],
  [
    'cosine_embedding_loss = CosineEmbeddingLoss',
    torch.cosine,
    valuesOf(new L.CosineEmbeddingLoss({ margin: 0.2 }).forward(a!, p!, A([1, -1, 1, -1]))),
  ],
];

// The direct equivalents: gloss's reduction 'mean' is PyTorch's default reduction='mean'.
const mean = { reduction: 'mean' } as const;
const item = (out: NDArray) => out.item();
const ignored = A(inputs.ignored);
rows.push(
  ['MSELoss', torch.mse, item(new L.MSELoss(mean).forward(x!, y!))],
  ['L1Loss', torch.l1, item(new L.L1Loss(mean).forward(x!, y!))],
  ['SmoothL1Loss(beta 2)', torch.smoothl1_2, item(new L.SmoothL1Loss({ beta: 2, ...mean }).forward(x!, y!))],
  [
    'huber_loss(δ=2) = 2 × HuberLoss(rho 2, mean)',
    torch.huber2,
    2 * item(new L.HuberLoss({ rho: 2, ...mean }).forward(x!, y!)),
  ],
  [
    'SigmoidBCELoss with posWeight',
    torch.bce_logits_pw,
    item(new L.SigmoidBCELoss(mean).forward(x!, A(inputs.bin), null, A(inputs.pw))),
  ],
  [
    'SigmoidBCELoss(fromSigmoid)',
    torch.bce_probabilities,
    item(new L.SigmoidBCELoss({ fromSigmoid: true, ...mean }).forward(x!.sigmoid(), A(inputs.bin))),
  ],
  [
    'SoftmaxCELoss(classWeight, ignoreIndex, labelSmoothing)',
    torch.ce_options,
    item(
      new L.SoftmaxCrossEntropyLoss({
        classWeight: inputs.cw,
        ignoreIndex: -1,
        labelSmoothing: 0.1,
        ...mean,
      }).forward(logits!, ignored),
    ),
  ],
  [
    'SoftmaxCELoss(sparseLabel false)',
    torch.ce_probabilities,
    item(new L.SoftmaxCrossEntropyLoss({ sparseLabel: false, ...mean }).forward(logits!, probs!)),
  ],
  [
    'NLLLoss(classWeight, ignoreIndex)',
    torch.nll,
    item(new L.NLLLoss({ classWeight: inputs.cw, ignoreIndex: -1, ...mean }).forward(logProbs, ignored)),
  ],
  [
    "KLDivLoss(reduction 'batchmean')",
    torch.kl_batchmean,
    item(new L.KLDivLoss({ reduction: 'batchmean' }).forward(logProbs, probs!)),
  ],
  ["KLDivLoss(reduction 'mean')", torch.kl_mean, item(new L.KLDivLoss(mean).forward(logProbs, probs!))],
  [
    'KLDivLoss(logTarget, batchmean)',
    torch.kl_log_target,
    item(new L.KLDivLoss({ logTarget: true, reduction: 'batchmean' }).forward(logProbs, probs!.log())),
  ],
  [
    'TripletMarginLoss(margin 0.5, p 1, swap)',
    torch.triplet_margin,
    item(new L.TripletMarginLoss({ margin: 0.5, p: 1, swap: true, ...mean }).forward(a!, p!, n!)),
  ],
  [
    'CosineEmbeddingLoss(mean)',
    torch.cosine_mean,
    item(new L.CosineEmbeddingLoss({ margin: 0.2, ...mean }).forward(a!, p!, A([1, -1, 1, -1]))),
  ],
  ['SoftMarginLoss', torch.softmargin, item(new L.SoftMarginLoss(mean).forward(x!, y!.sign()))],
  [
    'MarginRankingLoss(margin 0.3)',
    torch.margin_ranking,
    item(new L.MarginRankingLoss({ margin: 0.3, ...mean }).forward(x!, y!, a!.sign())),
  ],
  [
    'HingeEmbeddingLoss(margin 0.7)',
    torch.hinge_embedding,
    item(new L.HingeEmbeddingLoss({ margin: 0.7, ...mean }).forward(x!, y!.sign())),
  ],
  [
    'MultiMarginLoss(p 2, margin 0.8, classWeight)',
    torch.multi_margin,
    item(
      new L.MultiMarginLoss({ p: 2, margin: 0.8, classWeight: inputs.cw, ...mean }).forward(logits!, target),
    ),
  ],
  [
    'MultiLabelMarginLoss',
    torch.multilabel_margin,
    item(new L.MultiLabelMarginLoss(mean).forward(x!, A(inputs.ml_target))),
  ],
  [
    'MultiLabelSoftMarginLoss(classWeight)',
    torch.multilabel_soft_margin,
    item(new L.MultiLabelSoftMarginLoss({ classWeight: inputs.cw, ...mean }).forward(x!, A(inputs.bin))),
  ],
  [
    'GaussianNLLLoss(full)',
    torch.gaussian_nll,
    item(new L.GaussianNLLLoss({ full: true, ...mean }).forward(x!, y!, A(inputs.variance))),
  ],
  [
    'PoissonNLLLoss(computeFull) = log_input True',
    torch.poisson_log_input,
    item(new L.PoissonNLLLoss({ computeFull: true, ...mean }).forward(x!, y!.abs())),
  ],
  [
    'PoissonNLLLoss(fromLogits false) = log_input False',
    torch.poisson_rates,
    item(new L.PoissonNLLLoss({ fromLogits: false, ...mean }).forward(A(inputs.rates), y!.abs())),
  ],
);

let failures = 0;
for (const [name, expected, actual] of rows) {
  const e = [expected].flat();
  const g = [actual].flat();
  // KLDivLoss keeps Gluon's log(label + 1e-12), hence the absolute 1e-9.
  const ok = e.length === g.length && e.every((v, i) => Math.abs(v - g[i]!) <= 1e-9 + 1e-9 * Math.abs(v));
  if (!ok) failures++;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${name.padEnd(52)} torch ${JSON.stringify(expected)} gloss ${JSON.stringify(actual)}`,
  );
}
// Not a factor: PyTorch's triplet_margin_loss uses unsquared distances, so no rescaling matches it.
console.log(`info TripletMarginLoss (unsquared) ${JSON.stringify(torch.triplet)}`);
process.exitCode = failures > 0 ? 1 : 0;
