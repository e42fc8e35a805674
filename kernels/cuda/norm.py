"""Normalisation kernels on the GPU: LayerNorm, RMSNorm and BatchNorm, forward and backward, over C-contiguous
2-D device arrays — the ``@cuda.jit`` twins of kernels/cpu/norm.py, with the same names, arguments, equations and
return structures.

The lecture (Part 4, "Comparing normalization techniques") writes the three normalisations as

    LayerNorm(x) = γ ⊙ (x − μ_L)/σ_L + β      (statistics across the features of one example)
    RMSNorm(x)   = x / RMS(x) · γ              (no centring, no shift)
    BatchNorm(x) = (x − μ_B)/σ_B               (statistics across the batch, per feature / channel)

with, as PyTorch, σ = √(biased variance + ε). Each kernel takes (rows, features) arrays; the op layer flattens N-D
inputs. Statistics are accumulated in float64 and the per-row / per-channel mean and rstd = 1/√(σ² + ε) come back
as float64 device arrays for the backward pass; element-wise passes of LayerNorm/RMSNorm run in the input's dtype
with the row statistics rounded to it, as in the CPU twin.

Parallel layout (all results independent of the launch shape, and free of float atomics):

* row statistics (LayerNorm, RMSNorm): one block of ``ROW_THREADS`` threads per row (``launch_rows``); thread t
  accumulates the elements t, t + ROW_THREADS, … in float64, then a shared-memory tree reduction in fixed order
  (``_launch.block_sum``);
* column sums (dγ, dβ, BatchNorm's per-channel statistics): the rows are cut into chunks of ``CHUNK_ROWS`` rows;
  one thread per (chunk, column) adds its chunk's rows in order into a float64 partial (consecutive threads read
  consecutive columns), then one thread per column adds the partials in chunk order.

A zero denominator (ε = 0 meeting a constant row) gives rstd = inf, as the CPU twin's IEEE division does.
"""
import math

import numpy as np
from numba import cuda, float64

from ._launch import ROW_THREADS, alloc, block_sum, block_sum2, jit, launch, launch_rows

CHUNK_ROWS = 32     # rows per partial column sum (a constant, so the order of the sums is fixed)


# ----------------------------------------------------------------------------- shared column-sum helpers
@jit
def _col_sum(p, scale, out_a, out_b):
    """out_a[j] = out_b[j] = scale · Σ_c p[c, j] (partials added in chunk order; out_a and out_b may be one array,
    e.g. a float64 copy for later kernels and one in the parameter's dtype)."""
    nc, d = p.shape
    for j in range(cuda.grid(1), d, cuda.gridsize(1)):
        s = 0.0
        for c in range(nc):
            s += p[c, j]
        s = s * scale
        out_a[j] = s
        out_b[j] = s


def _chunks(n):
    return (n + CHUNK_ROWS - 1) // CHUNK_ROWS


# ----------------------------------------------------------------------------- LayerNorm
@jit
def _ln_fwd(x, gamma, beta, eps, y, mean, rstd):
    sh = cuda.shared.array(ROW_THREADS, float64)
    cast = cuda.local.array(1, x.dtype)
    t = cuda.threadIdx.x
    n, d = x.shape
    inv_d = 1.0 / max(d, 1)
    for r in range(cuda.blockIdx.x, n, cuda.gridDim.x):
        s = 0.0
        for j in range(t, d, ROW_THREADS):
            s += float(x[r, j])
        mu = block_sum(sh, t, s) * inv_d
        s = 0.0
        for j in range(t, d, ROW_THREADS):
            v = float(x[r, j]) - mu
            s += v * v
        den = math.sqrt(block_sum(sh, t, s) * inv_d + eps)
        rs = 1.0 / den if den != 0 else math.inf
        cast[0] = mu
        muf = cast[0]
        cast[0] = rs
        rf = cast[0]
        for j in range(t, d, ROW_THREADS):
            y[r, j] = (x[r, j] - muf) * rf * gamma[j] + beta[j]
        if t == 0:
            mean[r] = mu
            rstd[r] = rs


@jit
def _ln_bwd_rows(g, x, gamma, mean, rstd, dx):
    sh1 = cuda.shared.array(ROW_THREADS, float64)
    sh2 = cuda.shared.array(ROW_THREADS, float64)
    cast = cuda.local.array(1, x.dtype)
    t = cuda.threadIdx.x
    n, d = x.shape
    inv_d = 1.0 / max(d, 1)
    for r in range(cuda.blockIdx.x, n, cuda.gridDim.x):
        cast[0] = mean[r]
        muf = cast[0]
        cast[0] = rstd[r]
        rf = cast[0]
        s1 = 0.0
        s2 = 0.0
        for j in range(t, d, ROW_THREADS):
            xh = (x[r, j] - muf) * rf
            dxh = float(g[r, j] * gamma[j])
            s1 += dxh
            s2 += dxh * float(xh)
        s1, s2 = block_sum2(sh1, sh2, t, s1, s2)
        cast[0] = s1 * inv_d
        s1f = cast[0]
        cast[0] = s2 * inv_d
        s2f = cast[0]
        for j in range(t, d, ROW_THREADS):
            xh = (x[r, j] - muf) * rf
            dx[r, j] = rf * (g[r, j] * gamma[j] - s1f - xh * s2f)


@jit
def _ln_bwd_cols(g, x, mean, rstd, pg, pb):
    """pg[c, j] = Σ_{i in chunk c} gᵢⱼ·x̂ᵢⱼ, pb[c, j] = Σ gᵢⱼ (float64)."""
    cast = cuda.local.array(1, x.dtype)
    n, d = x.shape
    nc = pg.shape[0]
    for it in range(cuda.grid(1), nc * d, cuda.gridsize(1)):
        c = it // d
        j = it - c * d
        sg = 0.0
        sb = 0.0
        for i in range(c * CHUNK_ROWS, min(n, (c + 1) * CHUNK_ROWS)):
            cast[0] = mean[i]
            muf = cast[0]
            cast[0] = rstd[i]
            rf = cast[0]
            gi = g[i, j]
            sg += float(gi * ((x[i, j] - muf) * rf))
            sb += float(gi)
        pg[c, j] = sg
        pb[c, j] = sb


def layer_norm_forward(x, gamma, beta, eps):
    """LayerNorm over the last axis of x (N, D): μᵢ = (1/D)Σⱼ xᵢⱼ, σᵢ² = (1/D)Σⱼ (xᵢⱼ − μᵢ)²,
    yᵢⱼ = (xᵢⱼ − μᵢ)/√(σᵢ² + ε)·γⱼ + βⱼ (lecture: LayerNorm(x) = γ ⊙ (x − μ_L)/σ_L + β).
    Returns (y, mean (N,) float64, rstd (N,) float64) with rstdᵢ = 1/√(σᵢ² + ε)."""
    n = x.shape[0]
    y = alloc(x.shape, x.dtype)
    mean = alloc(n, np.float64)
    rstd = alloc(n, np.float64)
    launch_rows(_ln_fwd, n, x, gamma, beta, float(eps), y, mean, rstd)
    return y, mean, rstd


def layer_norm_backward(g, x, gamma, mean, rstd):
    """Gradients of LayerNorm (lecture: LayerNorm(x) = γ ⊙ (x − μ_L)/σ_L + β), with x̂ = (x − μ)·rstd:
    dxᵢⱼ = rstdᵢ·(gᵢⱼγⱼ − (1/D)Σₖ gᵢₖγₖ − x̂ᵢⱼ·(1/D)Σₖ gᵢₖγₖx̂ᵢₖ), dγⱼ = Σᵢ gᵢⱼx̂ᵢⱼ, dβⱼ = Σᵢ gᵢⱼ.
    Returns (dx (N, D), dγ (D,), dβ (D,)) in the dtypes of x and γ."""
    n, d = x.shape
    dx = alloc(x.shape, x.dtype)
    launch_rows(_ln_bwd_rows, n, g, x, gamma, mean, rstd, dx)
    nc = _chunks(n)
    pg = alloc((nc, d), np.float64)
    pb = alloc((nc, d), np.float64)
    launch(_ln_bwd_cols, nc * d, g, x, mean, rstd, pg, pb)
    dg = alloc(d, gamma.dtype)
    db = alloc(d, gamma.dtype)
    launch(_col_sum, d, pg, 1.0, dg, dg)
    launch(_col_sum, d, pb, 1.0, db, db)
    return dx, dg, db


# ----------------------------------------------------------------------------- RMSNorm
@jit
def _rms_fwd(x, gamma, eps, y, rrms):
    sh = cuda.shared.array(ROW_THREADS, float64)
    cast = cuda.local.array(1, x.dtype)
    t = cuda.threadIdx.x
    n, d = x.shape
    inv_d = 1.0 / max(d, 1)
    for r in range(cuda.blockIdx.x, n, cuda.gridDim.x):
        s = 0.0
        for j in range(t, d, ROW_THREADS):
            v = float(x[r, j])
            s += v * v
        den = math.sqrt(block_sum(sh, t, s) * inv_d + eps)
        rs = 1.0 / den if den != 0 else math.inf
        cast[0] = rs
        rf = cast[0]
        for j in range(t, d, ROW_THREADS):
            y[r, j] = x[r, j] * rf * gamma[j]
        if t == 0:
            rrms[r] = rs


@jit
def _rms_bwd_rows(g, x, gamma, rrms, dx):
    sh = cuda.shared.array(ROW_THREADS, float64)
    cast = cuda.local.array(1, x.dtype)
    t = cuda.threadIdx.x
    n, d = x.shape
    inv_d = 1.0 / max(d, 1)
    for r in range(cuda.blockIdx.x, n, cuda.gridDim.x):
        cast[0] = rrms[r]
        rf = cast[0]
        s = 0.0
        for j in range(t, d, ROW_THREADS):
            xh = x[r, j] * rf
            s += float(g[r, j] * gamma[j]) * float(xh)
        cast[0] = block_sum(sh, t, s) * inv_d
        sf = cast[0]
        for j in range(t, d, ROW_THREADS):
            dx[r, j] = rf * (g[r, j] * gamma[j] - x[r, j] * rf * sf)


@jit
def _rms_bwd_cols(g, x, rrms, pg):
    """pg[c, j] = Σ_{i in chunk c} gᵢⱼ·x̂ᵢⱼ (float64), x̂ = x·rrms."""
    cast = cuda.local.array(1, x.dtype)
    n, d = x.shape
    nc = pg.shape[0]
    for it in range(cuda.grid(1), nc * d, cuda.gridsize(1)):
        c = it // d
        j = it - c * d
        sg = 0.0
        for i in range(c * CHUNK_ROWS, min(n, (c + 1) * CHUNK_ROWS)):
            cast[0] = rrms[i]
            rf = cast[0]
            sg += float(g[i, j] * (x[i, j] * rf))
        pg[c, j] = sg


def rms_norm_forward(x, gamma, eps):
    """RMSNorm over the last axis of x (N, D): RMSᵢ = √((1/D)Σⱼ xᵢⱼ² + ε), yᵢⱼ = xᵢⱼ/RMSᵢ·γⱼ
    (lecture: RMSNorm(x) = x/RMS(x)·γ). Returns (y, rrms (N,) float64) with rrmsᵢ = 1/RMSᵢ."""
    n = x.shape[0]
    y = alloc(x.shape, x.dtype)
    rrms = alloc(n, np.float64)
    launch_rows(_rms_fwd, n, x, gamma, float(eps), y, rrms)
    return y, rrms


def rms_norm_backward(g, x, gamma, rrms):
    """Gradients of RMSNorm (lecture: RMSNorm(x) = x/RMS(x)·γ), with x̂ = x·rrms:
    dxᵢⱼ = rrmsᵢ·(gᵢⱼγⱼ − x̂ᵢⱼ·(1/D)Σₖ gᵢₖγₖx̂ᵢₖ), dγⱼ = Σᵢ gᵢⱼx̂ᵢⱼ. Returns (dx (N, D), dγ (D,))."""
    n, d = x.shape
    dx = alloc(x.shape, x.dtype)
    launch_rows(_rms_bwd_rows, n, g, x, gamma, rrms, dx)
    nc = _chunks(n)
    pg = alloc((nc, d), np.float64)
    launch(_rms_bwd_cols, nc * d, g, x, rrms, pg)
    dg = alloc(d, gamma.dtype)
    launch(_col_sum, d, pg, 1.0, dg, dg)
    return dx, dg


# ----------------------------------------------------------------------------- BatchNorm
@jit
def _bn_cols_sum(x, p):
    """p[c, j] = Σ_{i in chunk c} xᵢⱼ (float64)."""
    m, d = x.shape
    nc = p.shape[0]
    for it in range(cuda.grid(1), nc * d, cuda.gridsize(1)):
        c = it // d
        j = it - c * d
        s = 0.0
        for i in range(c * CHUNK_ROWS, min(m, (c + 1) * CHUNK_ROWS)):
            s += float(x[i, j])
        p[c, j] = s


@jit
def _bn_cols_sqdev(x, mean, p):
    """p[c, j] = Σ_{i in chunk c} (xᵢⱼ − μⱼ)² (float64)."""
    m, d = x.shape
    nc = p.shape[0]
    for it in range(cuda.grid(1), nc * d, cuda.gridsize(1)):
        c = it // d
        j = it - c * d
        mu = mean[j]
        s = 0.0
        for i in range(c * CHUNK_ROWS, min(m, (c + 1) * CHUNK_ROWS)):
            v = float(x[i, j]) - mu
            s += v * v
        p[c, j] = s


@jit
def _bn_channel_train(var, eps, momentum, update, unbias, mean, running_mean, running_var, rstd):
    """rstd_c = 1/√(σ_c² + ε); with ``update`` the running statistics' momentum update (σ² entering unbiased)."""
    for j in range(cuda.grid(1), var.size, cuda.gridsize(1)):
        den = math.sqrt(var[j] + eps)
        rstd[j] = 1.0 / den if den != 0 else math.inf
        if update:
            running_mean[j] = (1.0 - momentum) * float(running_mean[j]) + momentum * mean[j]
            running_var[j] = (1.0 - momentum) * float(running_var[j]) + momentum * var[j] * unbias


@jit
def _bn_channel_eval(running_mean, running_var, eps, mean, rstd):
    """mean_c = rm_c, rstd_c = 1/√(rv_c + ε) (float64)."""
    for j in range(cuda.grid(1), mean.size, cuda.gridsize(1)):
        mean[j] = running_mean[j]
        den = math.sqrt(float(running_var[j]) + eps)
        rstd[j] = 1.0 / den if den != 0 else math.inf


@jit
def _bn_apply(x, gamma, beta, mean, rstd, y):
    """yᵢc = (xᵢc − μ_c)·rstd_c·γ_c + β_c (float64 arithmetic, as the CPU twin)."""
    m, d = x.shape
    for it in range(cuda.grid(1), m * d, cuda.gridsize(1)):
        i = it // d
        j = it - i * d
        y[i, j] = (float(x[i, j]) - mean[j]) * rstd[j] * gamma[j] + beta[j]


@jit
def _bn_bwd_cols(g, x, mean, rstd, pg, pb):
    """pg[c, j] = Σ_{i in chunk c} gᵢⱼ·(xᵢⱼ − μⱼ)·rstdⱼ, pb[c, j] = Σ gᵢⱼ (float64)."""
    m, d = x.shape
    nc = pg.shape[0]
    for it in range(cuda.grid(1), nc * d, cuda.gridsize(1)):
        c = it // d
        j = it - c * d
        mu = mean[j]
        rs = rstd[j]
        sg = 0.0
        sb = 0.0
        for i in range(c * CHUNK_ROWS, min(m, (c + 1) * CHUNK_ROWS)):
            gi = float(g[i, j])
            sg += gi * (float(x[i, j]) - mu) * rs
            sb += gi
        pg[c, j] = sg
        pb[c, j] = sb


@jit
def _bn_bwd_dx(g, x, gamma, mean, rstd, dg, db, inv_m, training, dx):
    """training: dxᵢc = γ_c·rstd_c·(gᵢc − dβ_c/M − x̂ᵢc·dγ_c/M); eval: dxᵢc = gᵢc·γ_c·rstd_c."""
    m, d = x.shape
    for it in range(cuda.grid(1), m * d, cuda.gridsize(1)):
        i = it // d
        j = it - i * d
        k = gamma[j] * rstd[j]
        if training:
            xh = (float(x[i, j]) - mean[j]) * rstd[j]
            dx[i, j] = k * (float(g[i, j]) - db[j] * inv_m - xh * dg[j] * inv_m)
        else:
            dx[i, j] = k * float(g[i, j])


def batch_norm_forward_train(x, gamma, beta, running_mean, running_var, momentum, eps, update):
    """Training-mode BatchNorm over x (M, C), per channel c (lecture: BatchNorm(x) = (x − μ_B)/σ_B, then ·γ + β):
    μ_c = (1/M)Σᵢ xᵢc, σ_c² = (1/M)Σᵢ (xᵢc − μ_c)² (biased), yᵢc = (xᵢc − μ_c)/√(σ_c² + ε)·γ_c + β_c.
    When ``update``, the running statistics are updated in place as in PyTorch:
    running_mean ← (1 − m)·running_mean + m·μ, running_var ← (1 − m)·running_var + m·σ²·M/(M − 1) (unbiased).
    Returns (y, mean (C,) float64, rstd (C,) float64). Requires M ≥ 2 when ``update``."""
    m, c = x.shape
    update = bool(update)
    inv_m = 1.0 / max(m, 1)
    nc = _chunks(m)
    p = alloc((nc, c), np.float64)
    mean = alloc(c, np.float64)
    var = alloc(c, np.float64)
    rstd = alloc(c, np.float64)
    launch(_bn_cols_sum, nc * c, x, p)
    launch(_col_sum, c, p, inv_m, mean, mean)
    launch(_bn_cols_sqdev, nc * c, x, mean, p)
    launch(_col_sum, c, p, inv_m, var, var)
    unbias = m / (m - 1.0) if m > 1 else math.inf
    launch(_bn_channel_train, c, var, float(eps), float(momentum), update, unbias, mean, running_mean, running_var,
           rstd)
    y = alloc(x.shape, x.dtype)
    launch(_bn_apply, m * c, x, gamma, beta, mean, rstd, y)
    return y, mean, rstd


def batch_norm_forward_eval(x, gamma, beta, running_mean, running_var, eps):
    """Eval-mode BatchNorm over x (M, C) with the running statistics (lecture: BatchNorm(x) = (x − μ_B)/σ_B with
    μ_B, σ_B² replaced by the running estimates): yᵢc = (xᵢc − rm_c)/√(rv_c + ε)·γ_c + β_c.
    Returns (y, mean (C,) float64, rstd (C,) float64) for ``batch_norm_backward``."""
    m, c = x.shape
    mean = alloc(c, np.float64)
    rstd = alloc(c, np.float64)
    launch(_bn_channel_eval, c, running_mean, running_var, float(eps), mean, rstd)
    y = alloc(x.shape, x.dtype)
    launch(_bn_apply, m * c, x, gamma, beta, mean, rstd, y)
    return y, mean, rstd


def batch_norm_backward(g, x, gamma, mean, rstd, training):
    """Gradients of BatchNorm over (M, C) (lecture: BatchNorm(x) = (x − μ_B)/σ_B, then ·γ + β), x̂ = (x − μ)·rstd:
    dγ_c = Σᵢ gᵢc x̂ᵢc, dβ_c = Σᵢ gᵢc; training (batch statistics depend on x):
    dxᵢc = γ_c·rstd_c·(gᵢc − dβ_c/M − x̂ᵢc·dγ_c/M); eval (fixed running statistics): dxᵢc = gᵢc·γ_c·rstd_c.
    Returns (dx (M, C), dγ (C,), dβ (C,))."""
    m, c = x.shape
    nc = _chunks(m)
    pg = alloc((nc, c), np.float64)
    pb = alloc((nc, c), np.float64)
    launch(_bn_bwd_cols, nc * c, g, x, mean, rstd, pg, pb)
    dg64 = alloc(c, np.float64)
    db64 = alloc(c, np.float64)
    dgamma = alloc(c, gamma.dtype)
    dbeta = alloc(c, gamma.dtype)
    launch(_col_sum, c, pg, 1.0, dg64, dgamma)
    launch(_col_sum, c, pb, 1.0, db64, dbeta)
    dx = alloc(x.shape, x.dtype)
    launch(_bn_bwd_dx, m * c, g, x, gamma, mean, rstd, dg64, db64, 1.0 / max(m, 1), bool(training), dx)
    return dx, dgamma, dbeta


__all__ = ["layer_norm_forward", "layer_norm_backward", "rms_norm_forward", "rms_norm_backward",
           "batch_norm_forward_train", "batch_norm_forward_eval", "batch_norm_backward"]
