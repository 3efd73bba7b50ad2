#!/usr/bin/env python3
# The PyTorch side of the factors in docs/migrating.md: prints seeded float64 inputs and what
# torch.nn.functional computes on them, as JSON for scripts/check-migrating-torch.ts.
# Optional (PyTorch is not a dependency): apt-get install python3-torch, then
#   /usr/bin/python3 scripts/check-migrating-torch.py | npx tsx scripts/check-migrating-torch.ts
import warnings
warnings.filterwarnings('ignore')  # kl_div's reduction='mean' warning: that value is checked on purpose
import json, torch, torch.nn.functional as F
torch.manual_seed(0)
N, C = 4, 5
x = torch.randn(N, C, dtype=torch.float64); y = torch.randn(N, C, dtype=torch.float64)
logits = torch.randn(N, C, dtype=torch.float64); target = torch.tensor([0, 3, 1, 4])
probs = torch.softmax(torch.randn(N, C, dtype=torch.float64), 1)
a, p, n = (torch.randn(N, C, dtype=torch.float64) for _ in range(3))
bin_lab = (torch.rand(N, C, dtype=torch.float64) > 0.5).double()
cw = torch.tensor([1., 2., 0.5, 3., 1.5], dtype=torch.float64)
ctc_act = torch.randn(6, 2, 4, dtype=torch.float64)  # (T, N, C); class 0 is the blank
ctc_lab = torch.tensor([[1, 2, 2], [3, 1, 0]]); ctc_len = torch.tensor([3, 2])
ignored = torch.tensor([0, -1, 1, 4])  # target with one row ignored (ignore_index=-1)
pw = torch.tensor([0.5, 2., 1., 3., 1.5], dtype=torch.float64)
variance = a.abs() + 0.1
rates = x.abs() + 0.1
ml_target = torch.tensor([[3, 0, -1, 1, 2], [1, -1, 0, 0, 0], [4, 2, 0, 1, -1], [-1, 0, 0, 0, 0]])
out = dict(
  inputs=dict(x=x.tolist(), y=y.tolist(), logits=logits.tolist(), target=target.tolist(), probs=probs.tolist(),
              a=a.tolist(), p=p.tolist(), n=n.tolist(), bin=bin_lab.tolist(), cw=cw.tolist(),
              ctc_act=ctc_act.tolist(), ctc_lab=ctc_lab.tolist(), ctc_len=ctc_len.tolist(),
              ignored=ignored.tolist(), pw=pw.tolist(), variance=variance.tolist(), rates=rates.tolist(),
              ml_target=ml_target.tolist()),
  mse=F.mse_loss(x, y).item(),
  l1=F.l1_loss(x, y).item(),
  huber2=F.huber_loss(x, y, delta=2.0).item(),
  smoothl1_2=F.smooth_l1_loss(x, y, beta=2.0).item(),
  bce_logits=F.binary_cross_entropy_with_logits(x, bin_lab).item(),
  ce=F.cross_entropy(logits, target, reduction='none').tolist(),
  ce_weighted=F.cross_entropy(logits, target, weight=cw).item(),
  kl_batchmean=F.kl_div(torch.log_softmax(logits, 1), probs, reduction='batchmean').item(),
  kl_mean=F.kl_div(torch.log_softmax(logits, 1), probs, reduction='mean').item(),
  triplet=F.triplet_margin_loss(a, p, n, margin=1.0, reduction='none').tolist(),
  triplet_sq=torch.relu(((a-p)**2).sum(1) - ((a-n)**2).sum(1) + 1).tolist(),
  softmargin=F.soft_margin_loss(x, torch.sign(y)).item(),
  poisson=F.poisson_nll_loss(x, y.abs(), log_input=True, reduction='none').mean(1).tolist(),
  ctc=F.ctc_loss(torch.log_softmax(ctc_act, 2), ctc_lab, torch.tensor([6, 6]), ctc_len, blank=0, reduction='none').tolist(),
  cosine=F.cosine_embedding_loss(a, p, torch.tensor([1, -1, 1, -1]), margin=0.2, reduction='none').tolist(),
  # The direct equivalents, each with PyTorch's default reduction='mean'.
  bce_logits_pw=F.binary_cross_entropy_with_logits(x, bin_lab, pos_weight=pw).item(),
  bce_probabilities=F.binary_cross_entropy(torch.sigmoid(x), bin_lab).item(),
  ce_options=F.cross_entropy(logits, ignored, weight=cw, ignore_index=-1, label_smoothing=0.1).item(),
  ce_probabilities=F.cross_entropy(logits, probs).item(),
  nll=F.nll_loss(torch.log_softmax(logits, 1), ignored, weight=cw, ignore_index=-1).item(),
  kl_log_target=F.kl_div(torch.log_softmax(logits, 1), torch.log(probs), reduction='batchmean', log_target=True).item(),
  triplet_margin=F.triplet_margin_loss(a, p, n, margin=0.5, p=1.0, swap=True).item(),
  cosine_mean=F.cosine_embedding_loss(a, p, torch.tensor([1, -1, 1, -1]), margin=0.2).item(),
  margin_ranking=F.margin_ranking_loss(x, y, torch.sign(a), margin=0.3).item(),
  hinge_embedding=F.hinge_embedding_loss(x, torch.sign(y), margin=0.7).item(),
  multi_margin=F.multi_margin_loss(logits, target, p=2, margin=0.8, weight=cw).item(),
  multilabel_margin=F.multilabel_margin_loss(x, ml_target).item(),
  multilabel_soft_margin=F.multilabel_soft_margin_loss(x, bin_lab, weight=cw).item(),
  gaussian_nll=F.gaussian_nll_loss(x, y, variance, full=True).item(),
  poisson_log_input=F.poisson_nll_loss(x, y.abs(), log_input=True, full=True).item(),
  poisson_rates=F.poisson_nll_loss(rates, y.abs(), log_input=False).item(),
)
print(json.dumps(out))
