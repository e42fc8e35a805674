"""Normalisation kernels: LayerNorm, RMSNorm and BatchNorm, forward and backward, over C-contiguous 2-D arrays.

The lecture (Part 4, "Comparing normalization techniques") writes the three normalisations as

    LayerNorm(x) = γ ⊙ (x − μ_L)/σ_L + β      (statistics across the features of one example)
    RMSNorm(x)   = x / RMS(x) · γ              (no centring, no shift)
    BatchNorm(x) = (x − μ_B)/σ_B               (statistics across the batch, per feature / channel)

Here, as in PyTorch, σ is the *biased* standard deviation with ε added under the root, σ = √(Var[x] + ε), rather
than the lecture's σ + ε. Each kernel takes (rows, features) arrays; the op layer flattens N-D inputs. Statistics
(means, variances, column sums of the parameter gradients) are accumulated in float64; the per-row / per-channel
mean and rstd = 1/√(σ² + ε) come back as float64 arrays for the backward pass. ``error_model="numpy"`` gives
IEEE results (inf/nan) instead of Python's ZeroDivisionError when ε = 0 meets a constant row.
"""
import math

import numpy as np
from numba import njit, prange

from .fastmath import like, row_dispatch, row_sum64


# LayerNorm and RMSNorm work row by row: every pass over a row is a contiguous loop that LLVM vectorises (the
# float64 reductions in separate ``fastmath={"reassoc"}`` helpers, the elementwise passes in the input's dtype
# with the row statistics rounded to it). The public kernels are Python-level dispatchers (fastmath.row_dispatch):
# serial below fastmath.PARALLEL_MIN elements, else rows split into k chunks over Numba's threads. The backward's
# column sums (dγ, dβ) are accumulated per chunk in a (k, D) float64 array and added up in chunk order, so the
# result does not depend on which thread ran which chunk.
_RF = {"reassoc", "nsz", "contract"}
# dγ, dβ are summed over blocks of this many rows in x's dtype, then added into float64 totals.
_FLUSH_ROWS = 32


@njit(fastmath=_RF)
def _sqdev64(row, mu):
    """Σ (row − μ)² in float64."""
    v = 0.0
    for j in range(row.size):
        t = row[j] - mu
        v += t * t
    return v


@njit(fastmath=_RF)
def _sumsq64(row):
    """Σ row² in float64."""
    s = 0.0
    for j in range(row.size):
        t = np.float64(row[j])
        s += t * t
    return s


@njit(cache=True)
def _sum_partials(p, like_arr):
    """Σ_t p[t, :] (the per-chunk column sums, added in chunk order) in the dtype of ``like_arr``. A serial helper:
    written inline in a parallel=True function, the array updates would each become a parallel region."""
    k, d = p.shape
    out = np.empty(d, like_arr.dtype)
    for j in range(d):
        s = 0.0
        for t in range(k):
            s += p[t, j]
        out[j] = s
    return out


# ----------------------------------------------------------------------------- LayerNorm
@njit(cache=True, error_model="numpy")
def _ln_fwd_rows(x, gamma, beta, eps, y, mean, rstd, lo, hi):
    d = x.shape[1]
    inv_d = 1.0 / max(d, 1)
    for i in range(lo, hi):
        row = x[i]
        yr = y[i]
        mu = row_sum64(row) * inv_d
        r = 1.0 / math.sqrt(_sqdev64(row, mu) * inv_d + eps)
        muf = like(row, mu)
        rf = like(row, r)
        for j in range(d):
            yr[j] = (row[j] - muf) * rf * gamma[j] + beta[j]
        mean[i] = mu
        rstd[i] = r


@njit(cache=True, error_model="numpy")
def _ln_fwd_serial(x, gamma, beta, eps):
    n = x.shape[0]
    y = np.empty_like(x)
    mean = np.empty(n, np.float64)
    rstd = np.empty(n, np.float64)
    _ln_fwd_rows(x, gamma, beta, eps, y, mean, rstd, 0, n)
    return y, mean, rstd


@njit(cache=True, error_model="numpy", parallel=True)
def _ln_fwd_parallel(x, gamma, beta, eps, k):
    n = x.shape[0]
    y = np.empty_like(x)
    mean = np.empty(n, np.float64)
    rstd = np.empty(n, np.float64)
    for t in prange(k):
        _ln_fwd_rows(x, gamma, beta, eps, y, mean, rstd, t * n // k, (t + 1) * n // k)
    return y, mean, rstd


layer_norm_forward = row_dispatch(_ln_fwd_serial, _ln_fwd_parallel,
    """LayerNorm over the last axis of x (N, D): μᵢ = (1/D)Σⱼ xᵢⱼ, σᵢ² = (1/D)Σⱼ (xᵢⱼ − μᵢ)²,
    yᵢⱼ = (xᵢⱼ − μᵢ)/√(σᵢ² + ε)·γⱼ + βⱼ (lecture: LayerNorm(x) = γ ⊙ (x − μ_L)/σ_L + β).
    Returns (y, mean (N,) float64, rstd (N,) float64) with rstdᵢ = 1/√(σᵢ² + ε).""")


@njit(fastmath=_RF, error_model="numpy")
def _ln_bwd_stats(row, gr, gamma, muf, rf, dg, db):
    """For one row: s1 = Σ gγ, s2 = Σ gγx̂ (float64), and dγ += g·x̂, dβ += g into the row-block accumulators
    (x's dtype: a float32 row needs no widening, which halves the vector work)."""
    s1 = 0.0
    s2 = 0.0
    for j in range(row.size):
        xh = (row[j] - muf) * rf
        gj = gr[j]
        dxh = np.float64(gj * gamma[j])
        s1 += dxh
        s2 += dxh * xh
        dg[j] += gj * xh
        db[j] += gj
    return s1, s2


@njit(fastmath=_RF)
def _flush(part, acc):
    """acc += part (float64), part ← 0."""
    for j in range(part.size):
        acc[j] += part[j]
        part[j] = 0


@njit(cache=True, error_model="numpy")
def _ln_bwd_rows(g, x, gamma, mean, rstd, dx, dg, db, lo, hi):
    d = x.shape[1]
    inv_d = 1.0 / max(d, 1)
    dgp = np.zeros(d, x.dtype)
    dbp = np.zeros(d, x.dtype)
    for i in range(lo, hi):
        row = x[i]
        gr = g[i]
        dr = dx[i]
        muf = like(row, mean[i])
        rf = like(row, rstd[i])
        s1, s2 = _ln_bwd_stats(row, gr, gamma, muf, rf, dgp, dbp)
        s1f = like(row, s1 * inv_d)
        s2f = like(row, s2 * inv_d)
        for j in range(d):
            xh = (row[j] - muf) * rf
            dr[j] = rf * (gr[j] * gamma[j] - s1f - xh * s2f)
        if i % _FLUSH_ROWS == _FLUSH_ROWS - 1 or i == hi - 1:
            _flush(dgp, dg)
            _flush(dbp, db)


@njit(cache=True, error_model="numpy")
def _ln_bwd_serial(g, x, gamma, mean, rstd):
    n, d = x.shape
    dx = np.empty_like(x)
    dg = np.zeros(d, np.float64)
    db = np.zeros(d, np.float64)
    _ln_bwd_rows(g, x, gamma, mean, rstd, dx, dg, db, 0, n)
    return dx, dg.astype(gamma.dtype), db.astype(gamma.dtype)


@njit(cache=True, error_model="numpy", parallel=True)
def _ln_bwd_parallel(g, x, gamma, mean, rstd, k):
    n, d = x.shape
    dx = np.empty_like(x)
    dg = np.zeros((k, d), np.float64)
    db = np.zeros((k, d), np.float64)
    for t in prange(k):
        _ln_bwd_rows(g, x, gamma, mean, rstd, dx, dg[t], db[t], t * n // k, (t + 1) * n // k)
    return dx, _sum_partials(dg, gamma), _sum_partials(db, gamma)


layer_norm_backward = row_dispatch(_ln_bwd_serial, _ln_bwd_parallel,
    """Gradients of LayerNorm (lecture: LayerNorm(x) = γ ⊙ (x − μ_L)/σ_L + β), with x̂ = (x − μ)·rstd:
    dxᵢⱼ = rstdᵢ·(gᵢⱼγⱼ − (1/D)Σₖ gᵢₖγₖ − x̂ᵢⱼ·(1/D)Σₖ gᵢₖγₖx̂ᵢₖ), dγⱼ = Σᵢ gᵢⱼx̂ᵢⱼ, dβⱼ = Σᵢ gᵢⱼ.
    Returns (dx (N, D), dγ (D,), dβ (D,)) in the dtypes of x and γ.""")


# ----------------------------------------------------------------------------- RMSNorm
@njit(cache=True, error_model="numpy")
def _rms_fwd_rows(x, gamma, eps, y, rrms, lo, hi):
    d = x.shape[1]
    inv_d = 1.0 / max(d, 1)
    for i in range(lo, hi):
        row = x[i]
        yr = y[i]
        r = 1.0 / math.sqrt(_sumsq64(row) * inv_d + eps)
        rf = like(row, r)
        for j in range(d):
            yr[j] = row[j] * rf * gamma[j]
        rrms[i] = r


@njit(cache=True, error_model="numpy")
def _rms_fwd_serial(x, gamma, eps):
    n = x.shape[0]
    y = np.empty_like(x)
    rrms = np.empty(n, np.float64)
    _rms_fwd_rows(x, gamma, eps, y, rrms, 0, n)
    return y, rrms


@njit(cache=True, error_model="numpy", parallel=True)
def _rms_fwd_parallel(x, gamma, eps, k):
    n = x.shape[0]
    y = np.empty_like(x)
    rrms = np.empty(n, np.float64)
    for t in prange(k):
        _rms_fwd_rows(x, gamma, eps, y, rrms, t * n // k, (t + 1) * n // k)
    return y, rrms


rms_norm_forward = row_dispatch(_rms_fwd_serial, _rms_fwd_parallel,
    """RMSNorm over the last axis of x (N, D): RMSᵢ = √((1/D)Σⱼ xᵢⱼ² + ε), yᵢⱼ = xᵢⱼ/RMSᵢ·γⱼ
    (lecture: RMSNorm(x) = x/RMS(x)·γ). Returns (y, rrms (N,) float64) with rrmsᵢ = 1/RMSᵢ.""")


@njit(fastmath=_RF, error_model="numpy")
def _rms_bwd_stats(row, gr, gamma, rf, dg):
    """For one row: s = Σ gγx̂ (float64), and dγ += g·x̂ into the float64 accumulator."""
    s = 0.0
    for j in range(row.size):
        xh = row[j] * rf
        gj = gr[j]
        s += np.float64(gj * gamma[j]) * xh
        dg[j] += np.float64(gj * xh)
    return s


@njit(cache=True, error_model="numpy")
def _rms_bwd_rows(g, x, gamma, rrms, dx, dg, lo, hi):
    d = x.shape[1]
    inv_d = 1.0 / max(d, 1)
    for i in range(lo, hi):
        row = x[i]
        gr = g[i]
        dr = dx[i]
        rf = like(row, rrms[i])
        sf = like(row, _rms_bwd_stats(row, gr, gamma, rf, dg) * inv_d)
        for j in range(d):
            dr[j] = rf * (gr[j] * gamma[j] - row[j] * rf * sf)


@njit(cache=True, error_model="numpy")
def _rms_bwd_serial(g, x, gamma, rrms):
    n, d = x.shape
    dx = np.empty_like(x)
    dg = np.zeros(d, np.float64)
    _rms_bwd_rows(g, x, gamma, rrms, dx, dg, 0, n)
    return dx, dg.astype(gamma.dtype)


@njit(cache=True, error_model="numpy", parallel=True)
def _rms_bwd_parallel(g, x, gamma, rrms, k):
    n, d = x.shape
    dx = np.empty_like(x)
    dg = np.zeros((k, d), np.float64)
    for t in prange(k):
        _rms_bwd_rows(g, x, gamma, rrms, dx, dg[t], t * n // k, (t + 1) * n // k)
    return dx, _sum_partials(dg, gamma)


rms_norm_backward = row_dispatch(_rms_bwd_serial, _rms_bwd_parallel,
    """Gradients of RMSNorm (lecture: RMSNorm(x) = x/RMS(x)·γ), with x̂ = x·rrms:
    dxᵢⱼ = rrmsᵢ·(gᵢⱼγⱼ − x̂ᵢⱼ·(1/D)Σₖ gᵢₖγₖx̂ᵢₖ), dγⱼ = Σᵢ gᵢⱼx̂ᵢⱼ. Returns (dx (N, D), dγ (D,)).""")


# ----------------------------------------------------------------------------- BatchNorm
@njit(cache=True, error_model="numpy")
def batch_norm_forward_train(x, gamma, beta, running_mean, running_var, momentum, eps, update):
    """Training-mode BatchNorm over x (M, C), per channel c (lecture: BatchNorm(x) = (x − μ_B)/σ_B, then ·γ + β):
    μ_c = (1/M)Σᵢ xᵢc, σ_c² = (1/M)Σᵢ (xᵢc − μ_c)² (biased), yᵢc = (xᵢc − μ_c)/√(σ_c² + ε)·γ_c + β_c.
    When ``update``, the running statistics are updated in place as in PyTorch:
    running_mean ← (1 − m)·running_mean + m·μ, running_var ← (1 − m)·running_var + m·σ²·M/(M − 1) (unbiased).
    Returns (y, mean (C,) float64, rstd (C,) float64). Requires M ≥ 2 when ``update``."""
    m, c = x.shape
    y = np.empty_like(x)
    mean = np.zeros(c, np.float64)
    var = np.zeros(c, np.float64)
    inv_m = 1.0 / max(m, 1)
    for i in range(m):
        for j in range(c):
            mean[j] += x[i, j]
    for j in range(c):
        mean[j] *= inv_m
    for i in range(m):
        for j in range(c):
            t = x[i, j] - mean[j]
            var[j] += t * t
    rstd = np.empty(c, np.float64)
    for j in range(c):
        var[j] *= inv_m
        rstd[j] = 1.0 / math.sqrt(var[j] + eps)
    for i in range(m):
        for j in range(c):
            y[i, j] = (x[i, j] - mean[j]) * rstd[j] * gamma[j] + beta[j]
    if update:
        unbias = m / (m - 1.0)
        for j in range(c):
            running_mean[j] = (1.0 - momentum) * running_mean[j] + momentum * mean[j]
            running_var[j] = (1.0 - momentum) * running_var[j] + momentum * var[j] * unbias
    return y, mean, rstd


@njit(cache=True, error_model="numpy")
def batch_norm_forward_eval(x, gamma, beta, running_mean, running_var, eps):
    """Eval-mode BatchNorm over x (M, C) with the running statistics (lecture: BatchNorm(x) = (x − μ_B)/σ_B with
    μ_B, σ_B² replaced by the running estimates): yᵢc = (xᵢc − rm_c)/√(rv_c + ε)·γ_c + β_c.
    Returns (y, mean (C,) float64, rstd (C,) float64) for ``batch_norm_backward``."""
    m, c = x.shape
    y = np.empty_like(x)
    mean = np.empty(c, np.float64)
    rstd = np.empty(c, np.float64)
    for j in range(c):
        mean[j] = running_mean[j]
        rstd[j] = 1.0 / math.sqrt(np.float64(running_var[j]) + eps)
    for i in range(m):
        for j in range(c):
            y[i, j] = (x[i, j] - mean[j]) * rstd[j] * gamma[j] + beta[j]
    return y, mean, rstd


@njit(cache=True, error_model="numpy")
def batch_norm_backward(g, x, gamma, mean, rstd, training):
    """Gradients of BatchNorm over (M, C) (lecture: BatchNorm(x) = (x − μ_B)/σ_B, then ·γ + β), x̂ = (x − μ)·rstd:
    dγ_c = Σᵢ gᵢc x̂ᵢc, dβ_c = Σᵢ gᵢc; training (batch statistics depend on x):
    dxᵢc = γ_c·rstd_c·(gᵢc − dβ_c/M − x̂ᵢc·dγ_c/M); eval (fixed running statistics): dxᵢc = gᵢc·γ_c·rstd_c.
    Returns (dx (M, C), dγ (C,), dβ (C,))."""
    m, c = x.shape
    dx = np.empty_like(x)
    dg = np.zeros(c, np.float64)
    db = np.zeros(c, np.float64)
    for i in range(m):
        for j in range(c):
            gj = np.float64(g[i, j])
            dg[j] += gj * (x[i, j] - mean[j]) * rstd[j]
            db[j] += gj
    inv_m = 1.0 / max(m, 1)
    for i in range(m):
        for j in range(c):
            k = gamma[j] * rstd[j]
            if training:
                xh = (x[i, j] - mean[j]) * rstd[j]
                dx[i, j] = k * (g[i, j] - db[j] * inv_m - xh * dg[j] * inv_m)
            else:
                dx[i, j] = k * g[i, j]
    dgamma = np.empty_like(gamma)
    dbeta = np.empty_like(gamma)
    for j in range(c):
        dgamma[j] = dg[j]
        dbeta[j] = db[j]
    return dx, dgamma, dbeta


__all__ = ["layer_norm_forward", "layer_norm_backward", "rms_norm_forward", "rms_norm_backward",
           "batch_norm_forward_train", "batch_norm_forward_eval", "batch_norm_backward"]
