"""Softmax-cross-entropy and LayerNorm / RMSNorm speed: ours vs NumPy vs PyTorch. Run:
``python bench/softmax_norm_speed.py [--rounds R]``.

Times forward + backward, float32, on the issue #5 shapes (softmax-CE 4096 × 1000, LayerNorm 4096 × 1024):

* ours, kernel level: the ``tinygradnb.kernels.cpu`` forward and backward kernels called directly (through the
  serial / parallel dispatcher, and the serial drivers alone: ``ours-serial``);
* ours, op level: ``tinygradnb`` tensors with autograd (``cross_entropy(z, y).backward()``,
  ``layer_norm(x, D, w, b).backward(g)``);
* NumPy: a careful vectorised implementation (in-place updates, no needless temporaries);
* PyTorch (if installed; comparison only): ``F.cross_entropy`` / ``F.layer_norm`` forward + backward.

Every timing is the median over ``rounds`` rounds, all paths interleaved in one process, and the ratios
(NumPy time / ours, torch time / ours; > 1 means ours is faster) are computed from those medians. The machine is
shared, so only ratios measured in one run mean anything. Nothing is asserted.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import tinygradnb as tg
from tinygradnb.kernels import cpu as K
import tinygradnb.nn.functional as F

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # torch is optional, for comparison only
    torch = None


# ----------------------------------------------------------------------------- NumPy references
def np_ce_fwd_bwd(z, y):
    n = z.shape[0]
    rows = np.arange(n)
    m = z.max(axis=1, keepdims=True)
    e = np.subtract(z, m)
    np.exp(e, out=e)
    s = e.sum(axis=1, keepdims=True)
    lse = np.log(s)
    lse += m
    loss = (lse[:, 0] - z[rows, y]).mean()
    e *= (1.0 / (s * n)).astype(z.dtype)       # dz = (softmax − onehot) / n
    e[rows, y] -= z.dtype.type(1.0 / n)
    return loss, e


def np_ln_fwd_bwd(x, w, b, g, eps=1e-5):
    d = x.shape[1]
    mu = x.mean(axis=1, keepdims=True)
    xh = x - mu
    var = np.einsum("ij,ij->i", xh, xh)[:, None] / d
    rstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    xh *= rstd
    y = xh * w
    y += b
    # backward
    gw = g * w
    dbeta = g.sum(axis=0)
    dgamma = np.einsum("ij,ij->j", g, xh)
    s1 = gw.mean(axis=1, keepdims=True)
    s2 = (np.einsum("ij,ij->i", gw, xh) / d)[:, None].astype(x.dtype)
    gw -= s1
    xh *= s2
    gw -= xh
    gw *= rstd
    return y, gw, dgamma, dbeta


def np_rms_fwd_bwd(x, w, g, eps=1e-6):
    d = x.shape[1]
    r = (1.0 / np.sqrt(np.einsum("ij,ij->i", x, x) / d + eps)).astype(x.dtype)[:, None]
    xh = x * r
    y = xh * w
    gw = g * w
    dgamma = np.einsum("ij,ij->j", g, xh)
    s = (np.einsum("ij,ij->i", gw, xh) / d).astype(x.dtype)[:, None]
    xh *= s
    gw -= xh
    gw *= r
    return y, gw, dgamma


# ----------------------------------------------------------------------------- ours
def ours_ce_kernel(z, y):
    loss, lse = K.cross_entropy_forward(z, y, -100)
    g = np.ones(1, z.dtype)
    return K.cross_entropy_backward(z, y, lse, g, 1.0 / z.shape[0], -100)


def ours_ce_serial(z, y):
    loss, lse = K.cross_entropy_forward.serial(z, y, -100)
    g = np.ones(1, z.dtype)
    return K.cross_entropy_backward.serial(z, y, lse, g, 1.0 / z.shape[0], -100)


def ours_ce_op(zt, yt):
    zt.grad = None
    F.cross_entropy(zt, yt).backward()


def ours_ln_kernel(x, w, b, g):
    y, mean, rstd = K.layer_norm_forward(x, w, b, 1e-5)
    return K.layer_norm_backward(g, x, w, mean, rstd)


def ours_ln_serial(x, w, b, g):
    y, mean, rstd = K.layer_norm_forward.serial(x, w, b, 1e-5)
    return K.layer_norm_backward.serial(g, x, w, mean, rstd)


def ours_ln_op(xt, wt, bt, gt):
    for t in (xt, wt, bt):
        t.grad = None
    F.layer_norm(xt, xt.shape[-1], wt, bt).backward(gt)


def ours_rms_kernel(x, w, g):
    y, r = K.rms_norm_forward(x, w, 1e-6)
    return K.rms_norm_backward(g, x, w, r)


def ours_rms_serial(x, w, g):
    y, r = K.rms_norm_forward.serial(x, w, 1e-6)
    return K.rms_norm_backward.serial(g, x, w, r)


def ours_rms_op(xt, wt, gt):
    for t in (xt, wt):
        t.grad = None
    F.rms_norm(xt, xt.shape[-1], wt, eps=1e-6).backward(gt)


# ----------------------------------------------------------------------------- torch
def torch_ce(zt, yt):
    zt.grad = None
    TF.cross_entropy(zt, yt).backward()


def torch_ln(xt, wt, bt, gt):
    for t in (xt, wt, bt):
        t.grad = None
    TF.layer_norm(xt, (xt.shape[-1],), wt, bt).backward(gt)


def torch_rms(xt, wt, gt):
    for t in (xt, wt):
        t.grad = None
    TF.rms_norm(xt, (xt.shape[-1],), wt, eps=1e-6).backward(gt)


def bench(cases, rounds):
    """cases: list of (name, fn). Interleaved rounds; returns name -> median seconds."""
    for _, fn in cases:
        fn()
        fn()
    times = {name: [] for name, _ in cases}
    for _ in range(rounds):
        for name, fn in cases:
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: float(np.median(v)) for name, v in times.items()}


def report(title, med, ours_names):
    print(f"\n{title}")
    for name, t in med.items():
        print(f"  {name:<22s} {t * 1e3:9.3f} ms")
    for o in ours_names:
        for ref in ("numpy", "torch"):
            if ref in med:
                print(f"  {ref}/{o:<16s} = {med[ref] / med[o]:5.2f}x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    if torch is not None:
        print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    import numba
    print(f"numba {numba.__version__}, threads {numba.get_num_threads()}, layer {numba.config.THREADING_LAYER}")

    # softmax cross-entropy 4096 x 1000
    n, c = 4096, 1000
    z = (rng.standard_normal((n, c)) * 3).astype(np.float32)
    y = rng.integers(0, c, n).astype(np.int64)
    zt, yt = tg.tensor(z, requires_grad=True), tg.tensor(y)
    cases = [("ours-kernel", lambda: ours_ce_kernel(z, y)), ("ours-serial", lambda: ours_ce_serial(z, y)),
             ("ours-op", lambda: ours_ce_op(zt, yt)),
             ("numpy", lambda: np_ce_fwd_bwd(z, y))]
    if torch is not None:
        tz, ty = torch.tensor(z, requires_grad=True), torch.tensor(y)
        cases.append(("torch", lambda: torch_ce(tz, ty)))
    report(f"softmax-CE fwd+bwd {n}x{c} float32", bench(cases, args.rounds), ["ours-kernel", "ours-serial", "ours-op"])

    # LayerNorm 4096 x 1024
    n, d = 4096, 1024
    x = rng.standard_normal((n, d)).astype(np.float32)
    w = (1 + 0.1 * rng.standard_normal(d)).astype(np.float32)
    b = (0.1 * rng.standard_normal(d)).astype(np.float32)
    g = rng.standard_normal((n, d)).astype(np.float32)
    xt, wt, bt, gt = (tg.tensor(a, requires_grad=r) for a, r in ((x, True), (w, True), (b, True), (g, False)))
    cases = [("ours-kernel", lambda: ours_ln_kernel(x, w, b, g)), ("ours-serial", lambda: ours_ln_serial(x, w, b, g)),
             ("ours-op", lambda: ours_ln_op(xt, wt, bt, gt)),
             ("numpy", lambda: np_ln_fwd_bwd(x, w, b, g))]
    if torch is not None:
        tx, tw, tb, tgr = (torch.tensor(a, requires_grad=r) for a, r in ((x, True), (w, True), (b, True), (g, False)))
        cases.append(("torch", lambda: torch_ln(tx, tw, tb, tgr)))
    report(f"LayerNorm fwd+bwd {n}x{d} float32", bench(cases, args.rounds), ["ours-kernel", "ours-serial", "ours-op"])

    # RMSNorm 4096 x 1024
    xt, wt = tg.tensor(x, requires_grad=True), tg.tensor(w, requires_grad=True)
    cases = [("ours-kernel", lambda: ours_rms_kernel(x, w, g)), ("ours-serial", lambda: ours_rms_serial(x, w, g)),
             ("ours-op", lambda: ours_rms_op(xt, wt, gt)),
             ("numpy", lambda: np_rms_fwd_bwd(x, w, g))]
    if torch is not None and hasattr(TF, "rms_norm"):
        tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        cases.append(("torch", lambda: torch_rms(tx, tw, tgr)))
    report(f"RMSNorm fwd+bwd {n}x{d} float32", bench(cases, args.rounds), ["ours-kernel", "ours-serial", "ours-op"])


if __name__ == "__main__":
    main()
