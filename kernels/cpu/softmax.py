"""Softmax along the last axis, its log, the fused softmax–cross-entropy, and the MSE / BCE-with-logits losses.

The lecture's softmax(z_i) = exp(z_i) / Σ_j exp(z_j) turns a row of scores into a probability distribution; its
cross-entropy ℓ = −Σ_k y_k log ŷ_k with a one-hot y is, for label c, ℓ = −log softmax(z)_c = logsumexp(z) − z_c;
its MSE is ℓ = (y − ŷ)². Every softmax kernel works on a C-contiguous 2-D (rows, C) array (the op layer moves
the softmax axis last and flattens the rest) and subtracts the row maximum m before exponentiating, which leaves
the value unchanged (exp(z_i − m)/Σ exp(z_j − m)) and keeps exp's argument ≤ 0. The loss kernels take 1-D
arrays. Outputs are allocated in the input's dtype (float32 or float64).

Loss backward kernels take the upstream gradient ``g`` either per element / per row (``g.size`` equal to the
number of elements / rows, reduction 'none') or as one value (``g.size == 1``, the gradient of a summed or
averaged loss), and a ``scale`` (1 for 'none' and 'sum', 1/count for 'mean').
"""
import math

import numpy as np
from numba import njit


@njit(cache=True)
def softmax_forward(x):
    """p_ij = exp(z_ij − m_i) / Σ_k exp(z_ik − m_i), m_i = max_k z_ik: the lecture's softmax of each row."""
    n, c = x.shape
    out = np.empty_like(x)
    for i in range(n):
        m = -np.inf
        for j in range(c):
            if x[i, j] > m:
                m = x[i, j]
        s = 0.0
        for j in range(c):
            e = math.exp(x[i, j] - m)
            out[i, j] = e
            s += e
        inv = 1.0 / s
        for j in range(c):
            out[i, j] = out[i, j] * inv
    return out


@njit(cache=True)
def softmax_backward(p, g):
    """dz_ij = p_ij · (g_ij − Σ_k g_ik p_ik), the softmax Jacobian (diag(p) − p pᵀ) applied to g, from the
    saved output p."""
    n, c = p.shape
    dz = np.empty_like(g)
    for i in range(n):
        dot = 0.0
        for j in range(c):
            dot += g[i, j] * p[i, j]
        for j in range(c):
            dz[i, j] = p[i, j] * (g[i, j] - dot)
    return dz


@njit(cache=True)
def log_softmax_forward(x):
    """log p_ij = z_ij − m_i − log Σ_k exp(z_ik − m_i) (the log of the lecture's softmax, without forming p)."""
    n, c = x.shape
    out = np.empty_like(x)
    for i in range(n):
        m = -np.inf
        for j in range(c):
            if x[i, j] > m:
                m = x[i, j]
        s = 0.0
        for j in range(c):
            s += math.exp(x[i, j] - m)
        shift = m + math.log(s)
        for j in range(c):
            out[i, j] = x[i, j] - shift
    return out


@njit(cache=True)
def log_softmax_backward(logp, g):
    """dz_ij = g_ij − exp(log p_ij) · Σ_k g_ik, from the saved output log p."""
    n, c = logp.shape
    dz = np.empty_like(g)
    for i in range(n):
        s = 0.0
        for j in range(c):
            s += g[i, j]
        for j in range(c):
            dz[i, j] = g[i, j] - math.exp(logp[i, j]) * s
    return dz


@njit(cache=True)
def cross_entropy_forward(z, y, ignore_index):
    """Fused softmax–cross-entropy of each row of z (N, C) with int64 labels y (N,): the lecture's
    ℓ_i = −Σ_k y_ik log softmax(z_i)_k with one-hot y_i, i.e. ℓ_i = logsumexp(z_i) − z_{i,y_i}.

    One pass over each row with the online logsumexp (a running max m and a sum s rescaled by exp(m_old − m_new)
    when the max grows); then ℓ_i = (m − z_{i,y_i}) + log s. Rows with y_i == ignore_index give ℓ_i = 0.
    Returns (loss (N,) in z's dtype, lse (N,) float64): lse_i = m + log s is what the backward needs (kept in
    float64 so that exp(z − lse) stays accurate for float32 logits of large magnitude; 0 on ignored rows).
    Labels must lie in [0, C) or equal ignore_index (checked by the caller)."""
    n, c = z.shape
    loss = np.empty(n, z.dtype)
    lse = np.empty(n, np.float64)
    for i in range(n):
        t = y[i]
        if t == ignore_index:
            loss[i] = 0
            lse[i] = 0.0
            continue
        m = -np.inf
        s = 0.0
        for j in range(c):
            v = np.float64(z[i, j])
            if v > m:
                s = s * math.exp(m - v) + 1.0
                m = v
            elif v != -np.inf:  # a −inf logit adds 0 (and −inf − −inf would be NaN)
                s += math.exp(v - m)
        ls = math.log(s)
        loss[i] = (m - np.float64(z[i, t])) + ls
        lse[i] = m + ls
    return loss, lse


@njit(cache=True)
def cross_entropy_backward(z, y, lse, g, scale, ignore_index):
    """dz_ij = (softmax(z_i)_j − 1[j = y_i]) · g_i · scale, with softmax(z_i)_j = exp(z_ij − lse_i) from the
    forward's lse; rows with y_i == ignore_index get 0. ``g`` has N entries ('none') or one (summed loss);
    ``scale`` is 1/(number of non-ignored rows) for the mean, else 1."""
    n, c = z.shape
    dz = np.empty_like(z)
    one = g.size == 1
    for i in range(n):
        t = y[i]
        if t == ignore_index:
            for j in range(c):
                dz[i, j] = 0
            continue
        gi = np.float64(g[0] if one else g[i]) * scale
        li = lse[i]
        for j in range(c):
            dz[i, j] = math.exp(np.float64(z[i, j]) - li) * gi
        dz[i, t] = dz[i, t] - gi
    return dz


@njit(cache=True)
def mse_loss_forward(x, t):
    """ℓ_i = (t_i − x_i)², the lecture's MSE per element (the caller sums or averages)."""
    out = np.empty_like(x)
    for i in range(x.size):
        d = x[i] - t[i]
        out[i] = d * d
    return out


@njit(cache=True)
def mse_loss_backward(x, t, g, scale):
    """dx_i = 2 (x_i − t_i) · g_i · scale (the target's gradient is −dx). ``g`` has x.size entries or one."""
    dx = np.empty_like(x)
    one = g.size == 1
    for i in range(x.size):
        gi = g[0] if one else g[i]
        dx[i] = 2.0 * (x[i] - t[i]) * gi * scale
    return dx


@njit(cache=True)
def bce_with_logits_forward(x, t):
    """ℓ_i = −[t_i log σ(x_i) + (1 − t_i) log(1 − σ(x_i))] in the stable form
    max(x_i, 0) − x_i t_i + log(1 + exp(−|x_i|)) (exp's argument is ≤ 0, so nothing overflows)."""
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        out[i] = max(v, 0.0) - v * t[i] + math.log1p(math.exp(-abs(v)))
    return out


@njit(cache=True)
def bce_with_logits_backward(x, t, g, scale):
    """dx_i = (σ(x_i) − t_i) · g_i · scale with σ evaluated stably (the target's gradient is −x_i · g_i · scale).
    ``g`` has x.size entries or one."""
    dx = np.empty_like(x)
    one = g.size == 1
    for i in range(x.size):
        v = x[i]
        if v >= 0:
            s = 1.0 / (1.0 + math.exp(-v))
        else:
            e = math.exp(v)
            s = e / (1.0 + e)
        gi = g[0] if one else g[i]
        dx[i] = (s - t[i]) * gi * scale
    return dx


__all__ = ["softmax_forward", "softmax_backward", "log_softmax_forward", "log_softmax_backward",
           "cross_entropy_forward", "cross_entropy_backward", "mse_loss_forward", "mse_loss_backward",
           "bce_with_logits_forward", "bce_with_logits_backward"]
