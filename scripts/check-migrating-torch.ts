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
