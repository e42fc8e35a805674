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
from numba import njit


# ----------------------------------------------------------------------------- LayerNorm
@njit(cache=True, error_model="numpy")
def layer_norm_forward(x, gamma, beta, eps):
    """LayerNorm over the last axis of x (N, D): μᵢ = (1/D)Σⱼ xᵢⱼ, σᵢ² = (1/D)Σⱼ (xᵢⱼ − μᵢ)²,
    yᵢⱼ = (xᵢⱼ − μᵢ)/√(σᵢ² + ε)·γⱼ + βⱼ (lecture: LayerNorm(x) = γ ⊙ (x − μ_L)/σ_L + β).
    Returns (y, mean (N,) float64, rstd (N,) float64) with rstdᵢ = 1/√(σᵢ² + ε)."""
    n, d = x.shape
    y = np.empty_like(x)
    mean = np.empty(n, np.float64)
    rstd = np.empty(n, np.float64)
    inv_d = 1.0 / max(d, 1)
    for i in range(n):
        s = 0.0
        for j in range(d):
            s += x[i, j]
        mu = s * inv_d
        v = 0.0
        for j in range(d):
            t = x[i, j] - mu
            v += t * t
        r = 1.0 / math.sqrt(v * inv_d + eps)
        for j in range(d):
            y[i, j] = (x[i, j] - mu) * r * gamma[j] + beta[j]
        mean[i] = mu
        rstd[i] = r
    return y, mean, rstd


@njit(cache=True, error_model="numpy")
def layer_norm_backward(g, x, gamma, mean, rstd):
    """Gradients of LayerNorm (lecture: LayerNorm(x) = γ ⊙ (x − μ_L)/σ_L + β), with x̂ = (x − μ)·rstd:
    dxᵢⱼ = rstdᵢ·(gᵢⱼγⱼ − (1/D)Σₖ gᵢₖγₖ − x̂ᵢⱼ·(1/D)Σₖ gᵢₖγₖx̂ᵢₖ), dγⱼ = Σᵢ gᵢⱼx̂ᵢⱼ, dβⱼ = Σᵢ gᵢⱼ.
    Returns (dx (N, D), dγ (D,), dβ (D,)) in the dtypes of x and γ."""
    n, d = x.shape
    dx = np.empty_like(x)
    dg = np.zeros(d, np.float64)
    db = np.zeros(d, np.float64)
    inv_d = 1.0 / max(d, 1)
    for i in range(n):
        mu = mean[i]
        r = rstd[i]
        s1 = 0.0
        s2 = 0.0
        for j in range(d):
            xh = (x[i, j] - mu) * r
            gj = np.float64(g[i, j])
            dxh = gj * gamma[j]
            s1 += dxh
            s2 += dxh * xh
            dg[j] += gj * xh
            db[j] += gj
        s1 *= inv_d
        s2 *= inv_d
        for j in range(d):
            xh = (x[i, j] - mu) * r
            dx[i, j] = r * (g[i, j] * gamma[j] - s1 - xh * s2)
    dgamma = np.empty_like(gamma)
    dbeta = np.empty_like(gamma)
    for j in range(d):
        dgamma[j] = dg[j]
        dbeta[j] = db[j]
    return dx, dgamma, dbeta


# ----------------------------------------------------------------------------- RMSNorm
@njit(cache=True, error_model="numpy")
def rms_norm_forward(x, gamma, eps):
    """RMSNorm over the last axis of x (N, D): RMSᵢ = √((1/D)Σⱼ xᵢⱼ² + ε), yᵢⱼ = xᵢⱼ/RMSᵢ·γⱼ
    (lecture: RMSNorm(x) = x/RMS(x)·γ). Returns (y, rrms (N,) float64) with rrmsᵢ = 1/RMSᵢ."""
    n, d = x.shape
    y = np.empty_like(x)
    rrms = np.empty(n, np.float64)
    inv_d = 1.0 / max(d, 1)
    for i in range(n):
        s = 0.0
        for j in range(d):
            t = np.float64(x[i, j])
            s += t * t
        r = 1.0 / math.sqrt(s * inv_d + eps)
        for j in range(d):
            y[i, j] = x[i, j] * r * gamma[j]
        rrms[i] = r
    return y, rrms


@njit(cache=True, error_model="numpy")
def rms_norm_backward(g, x, gamma, rrms):
    """Gradients of RMSNorm (lecture: RMSNorm(x) = x/RMS(x)·γ), with x̂ = x·rrms:
    dxᵢⱼ = rrmsᵢ·(gᵢⱼγⱼ − x̂ᵢⱼ·(1/D)Σₖ gᵢₖγₖx̂ᵢₖ), dγⱼ = Σᵢ gᵢⱼx̂ᵢⱼ. Returns (dx (N, D), dγ (D,))."""
    n, d = x.shape
    dx = np.empty_like(x)
    dg = np.zeros(d, np.float64)
    inv_d = 1.0 / max(d, 1)
    for i in range(n):
        r = rrms[i]
        s = 0.0
        for j in range(d):
            xh = x[i, j] * r
            gj = np.float64(g[i, j])
            s += gj * gamma[j] * xh
            dg[j] += gj * xh
        s *= inv_d
        for j in range(d):
            dx[i, j] = r * (g[i, j] * gamma[j] - x[i, j] * r * s)
    dgamma = np.empty_like(gamma)
    for j in range(d):
        dgamma[j] = dg[j]
    return dx, dgamma


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
