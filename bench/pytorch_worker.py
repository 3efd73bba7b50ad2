"""PyTorch side of `npm run bench`: started once by bench/pytorch.ts, driven over stdin/stdout.

One JSON object per line in, one per line out. The bench sends every workload's inputs (the very
float32/int32 values gloss and TF.js get, base64-encoded), this worker builds the same loss in
PyTorch (one thread, float32), runs forward + backward once and returns the per-sample losses and
the gradient so the bench can check agreement, then times the step on request.

Requests:
  {"op": "info"}
  {"op": "setup", "id": str, "kind": str, "inputs": {name: {"shape", "dtype", "data"}}, "options": {}}
  {"op": "time", "id": str, "budgetMs": float, "maxCalls": int}   -> {"ms": median ms per call, "calls"}
  {"op": "drop", "id": str}
Every reply has "ok"; a failed request replies {"ok": false, "error": "..."} and the worker goes on.
"""

import base64
import json
import os
import sys
import time
import traceback

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_grad_enabled(True)

DTYPES = {"float32": np.float32, "float64": np.float64, "int32": np.int32}


def decode(spec):
    raw = base64.b64decode(spec["data"])
    array = np.frombuffer(raw, dtype=DTYPES[spec["dtype"]]).reshape(spec["shape"])
    return torch.from_numpy(array.copy())


def encode(tensor):
    return base64.b64encode(tensor.detach().contiguous().to(torch.float32).numpy().tobytes()).decode("ascii")


def blas_library():
    """The BLAS shared object this process actually loaded (libblas.so.3 may be OpenBLAS or the reference BLAS)."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))  # make sure the BLAS is loaded
    found = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                if "blas" in os.path.basename(path).lower():
                    found.add(os.path.realpath(path))
    except OSError:
        return "unknown (no /proc/self/maps)"
    return ", ".join(sorted(found)) or "none loaded"


def loss_step(pred, per_sample):
    """forward + backward of per-sample losses with a head gradient of ones, as gloss's l.backward()."""
    pred.requires_grad_(True)
    ones = None

    def step():
        nonlocal ones
        pred.grad = None
        loss = per_sample()
        if ones is None:
            ones = torch.ones_like(loss)
        loss.backward(ones)
        return loss, pred.grad

    return step


def build(kind, x, options):
    if kind == "l2":
        pred, label = x["pred"], x["label"]
        return loss_step(pred, lambda: 0.5 * (pred - label).square().mean(1))
    if kind == "softmax_ce":
        logits, labels = x["pred"], x["label"].long()
        return loss_step(logits, lambda: F.cross_entropy(logits, labels, reduction="none"))
    if kind == "softmax_ce_dense":
        logits, target = x["pred"], x["label"]
        return loss_step(logits, lambda: F.cross_entropy(logits, target, reduction="none"))
    if kind == "sigmoid_bce":
        pred, label = x["pred"], x["label"]
        return loss_step(pred, lambda: F.binary_cross_entropy_with_logits(pred, label, reduction="none").mean(1))
    if kind == "huber":
        pred, label, rho = x["pred"], x["label"], float(options["rho"])
        # smooth_l1 with beta = rho is MXNet's Huber: |d| - rho/2 above rho, d^2 / (2 rho) below.
        return loss_step(pred, lambda: F.smooth_l1_loss(pred, label, reduction="none", beta=rho).mean(1))
    if kind == "ctc":
        acts, labels = x["pred"], x["label"].long()
        n, t, _ = acts.shape
        input_lengths = torch.full((n,), t, dtype=torch.long)
        target_lengths = torch.full((n,), labels.shape[1], dtype=torch.long)
        return loss_step(
            acts,
            lambda: F.ctc_loss(
                acts.log_softmax(2).transpose(0, 1), labels, input_lengths, target_lengths, blank=0, reduction="none"
            ),
        )
    if kind == "triplet":
        pred, pos, neg, margin = x["pred"], x["positive"], x["negative"], float(options["margin"])
        return loss_step(pred, lambda: F.relu(((pos - pred).square() - (neg - pred).square()).sum(1) + margin))
    if kind in ("kl_div", "kl_div_logits"):
        # Gluon's KLDivLoss mean: the per-sample mean over classes of label * (log label - log p).
        pred, label = x["pred"], x["label"]
        log_p = (lambda: pred.log_softmax(1)) if kind == "kl_div_logits" else (lambda: pred)
        return loss_step(pred, lambda: F.kl_div(log_p(), label, reduction="none").mean(1))
    if kind == "softmax_focal":
        # PyTorch has no softmax focal loss: -alpha (1 - p_y)^gamma log p_y, composed.
        logits, labels = x["pred"], x["label"].long()
        alpha, gamma = float(options["alpha"]), float(options["gamma"])

        def focal():
            log_p = logits.log_softmax(1).gather(1, labels[:, None])[:, 0]
            return -alpha * (1 - log_p.exp()).pow(gamma) * log_p

        return loss_step(logits, focal)
    if kind == "nll":
        log_p, labels = x["pred"], x["label"].long()
        return loss_step(log_p, lambda: F.nll_loss(log_p, labels, reduction="none"))
    if kind == "dense_step":
        inputs, labels = x["x"], x["label"].long()
        batch = inputs.shape[0]
        layer = torch.nn.Linear(x["weight"].shape[1], x["weight"].shape[0])
        with torch.no_grad():
            layer.weight.copy_(x["weight"])
            layer.bias.copy_(x["bias"])
        # gloss's Trainer.step(batch) scales the gradient of the summed loss by 1 / batch.
        optimizer = torch.optim.SGD(layer.parameters(), lr=float(options["learningRate"]) / batch)

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(layer(inputs), labels, reduction="none")
            loss.sum().backward()
            optimizer.step()
            return loss, layer.weight

        return step
    if kind == "matmul":
        a, b = x["a"], x["b"]

        def step():
            with torch.no_grad():
                product = torch.mm(a, b)
            return torch.zeros(0), product

        return step
    raise ValueError(f"unknown workload kind {kind!r}")


def timed(step, budget_ms, max_calls):
    samples = []
    start = time.perf_counter()
    while len(samples) < max_calls and (not samples or (time.perf_counter() - start) * 1000 < budget_ms):
        t = time.perf_counter()
        step()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    middle = len(samples) // 2
    ms = samples[middle] if len(samples) % 2 else (samples[middle - 1] + samples[middle]) / 2
    return ms, len(samples)


def main():
    steps = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            op = request["op"]
            if op == "info":
                reply = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_library()}
            elif op == "setup":
                inputs = {name: decode(spec) for name, spec in request["inputs"].items()}
                step = build(request["kind"], inputs, request.get("options", {}))
                loss, grad = step()
                steps[request["id"]] = step
                reply = {"loss": encode(loss), "grad": encode(grad)}
            elif op == "time":
                ms, calls = timed(steps[request["id"]], float(request["budgetMs"]), int(request["maxCalls"]))
                reply = {"ms": ms, "calls": calls}
            elif op == "drop":
                steps.pop(request["id"], None)
                reply = {}
            else:
                raise ValueError(f"unknown op {op!r}")
            reply["ok"] = True
        except Exception as error:  # the bench reports it and goes on without this cell
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
