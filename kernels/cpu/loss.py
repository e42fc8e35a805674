"""Softmax along the last axis, its log, the fused softmax–cross-entropy, and the MSE / BCE-with-logits losses.

The lecture's softmax(z_i) = exp(z_i) / Σ_j exp(z_j) turns a row of scores into a probability distribution; its
cross-entropy ℓ = −Σ_k y_k log ŷ_k with a one-hot y is, for label c, ℓ = −log softmax(z)_c = logsumexp(z) − z_c;
its MSE is ℓ = (y − ŷ)². Every softmax kernel works on a C-contiguous 2-D (rows, C) array (the op layer moves
the softmax axis last and flattens the rest) and subtracts the row maximum m before exponentiating, which leaves
the value unchanged (exp(z_i − m)/Σ exp(z_j − m)) and keeps exp's argument ≤ 0. The loss kernels take 1-D
arrays.

Speed: the exponentials use ``vexp`` from kernels/cpu/fastmath.py (a vectorisable polynomial exp for float32,
≤ 1 ulp; math.exp for float64), every row pass is a contiguous vectorisable loop, and large inputs are split
over Numba's threads (fastmath.row_dispatch). Outputs are allocated in the input's dtype (float32 or float64).

Loss backward kernels take the upstream gradient ``g`` either per element / per row (``g.size`` equal to the
number of elements / rows, reduction 'none') or as one value (``g.size == 1``, the gradient of a summed or
averaged loss), and a ``scale`` (1 for 'none' and 'sum', 1/count for 'mean').
"""
import math

import numpy as np
from numba import njit, prange

from .fastmath import like, row_dispatch, row_dot64, row_max, row_sum64, vexp


# Row kernels. Each public kernel below is a Python-level dispatcher (fastmath.row_dispatch): below
# fastmath.PARALLEL_MIN elements it runs the serial ``_*_serial`` driver, above it the ``_*_parallel`` driver,
# which splits the rows into chunks handed to Numba's threads (prange over chunks). Both call the same
# ``_*_rows(…, lo, hi)`` body, row by row, so the results agree (to the rounding of the reassociated row sums,
# which LLVM may vectorise differently in the two drivers). The exp is ``vexp``
# (kernels/cpu/fastmath.py): a vectorisable polynomial for float32, math.exp for float64. Reductions use
# ``row_max`` (8 accumulators) and the float64 ``row_sum64`` / ``row_dot64`` (reassociated), so every inner loop
# is a contiguous, vectorisable loop.


# ----------------------------------------------------------------------------- softmax
@njit(cache=True)
def _softmax_fwd_rows(x, out, lo, hi):
    if x.shape[1] == 0:                  # rows of nothing: nothing to normalise
        return
    for i in range(lo, hi):
        row = x[i]
        o = out[i]
        m = row_max(row)
        for j in range(row.size):
            o[j] = vexp(row[j] - m)
        inv = like(o, 1.0 / row_sum64(o))
        for j in range(row.size):
            o[j] = o[j] * inv


@njit(cache=True)
def _softmax_fwd_serial(x):
    out = np.empty_like(x)
    _softmax_fwd_rows(x, out, 0, x.shape[0])
    return out


@njit(cache=True, parallel=True)
def _softmax_fwd_parallel(x, k):
    out = np.empty_like(x)
    n = x.shape[0]
    for t in prange(k):
        _softmax_fwd_rows(x, out, t * n // k, (t + 1) * n // k)
    return out


softmax_forward = row_dispatch(_softmax_fwd_serial, _softmax_fwd_parallel,
    """p_ij = exp(z_ij − m_i) / Σ_k exp(z_ik − m_i), m_i = max_k z_ik: the lecture's softmax of each row.""")


@njit(cache=True)
def _softmax_bwd_rows(p, g, dz, lo, hi):
    for i in range(lo, hi):
        pr = p[i]
        gr = g[i]
        d = dz[i]
        dot = like(d, row_dot64(gr, pr))
        for j in range(pr.size):
            d[j] = pr[j] * (gr[j] - dot)


@njit(cache=True)
def _softmax_bwd_serial(p, g):
    dz = np.empty_like(g)
    _softmax_bwd_rows(p, g, dz, 0, p.shape[0])
    return dz


@njit(cache=True, parallel=True)
def _softmax_bwd_parallel(p, g, k):
    dz = np.empty_like(g)
    n = p.shape[0]
    for t in prange(k):
        _softmax_bwd_rows(p, g, dz, t * n // k, (t + 1) * n // k)
    return dz


softmax_backward = row_dispatch(_softmax_bwd_serial, _softmax_bwd_parallel,
    """dz_ij = p_ij · (g_ij − Σ_k g_ik p_ik), the softmax Jacobian (diag(p) − p pᵀ) applied to g, from the
    saved output p.""")


# ----------------------------------------------------------------------------- log_softmax
@njit(cache=True)
def _log_softmax_fwd_rows(x, out, lo, hi):
    if x.shape[1] == 0:
        return
    for i in range(lo, hi):
        row = x[i]
        o = out[i]
        m = row_max(row)
        for j in range(row.size):        # o is scratch for the exponentials, overwritten below
            o[j] = vexp(row[j] - m)
        shift = np.float64(m) + math.log(row_sum64(o))
        for j in range(row.size):
            o[j] = row[j] - shift


@njit(cache=True)
def _log_softmax_fwd_serial(x):
    out = np.empty_like(x)
    _log_softmax_fwd_rows(x, out, 0, x.shape[0])
    return out


@njit(cache=True, parallel=True)
def _log_softmax_fwd_parallel(x, k):
    out = np.empty_like(x)
    n = x.shape[0]
    for t in prange(k):
        _log_softmax_fwd_rows(x, out, t * n // k, (t + 1) * n // k)
    return out


log_softmax_forward = row_dispatch(_log_softmax_fwd_serial, _log_softmax_fwd_parallel,
    """log p_ij = z_ij − m_i − log Σ_k exp(z_ik − m_i) (the log of the lecture's softmax, without forming p).""")


@njit(cache=True)
def _log_softmax_bwd_rows(logp, g, dz, lo, hi):
    for i in range(lo, hi):
        lr = logp[i]
        gr = g[i]
        d = dz[i]
        s = like(d, row_sum64(gr))
        for j in range(lr.size):
            d[j] = gr[j] - vexp(lr[j]) * s


@njit(cache=True)
def _log_softmax_bwd_serial(logp, g):
    dz = np.empty_like(g)
    _log_softmax_bwd_rows(logp, g, dz, 0, logp.shape[0])
    return dz


@njit(cache=True, parallel=True)
def _log_softmax_bwd_parallel(logp, g, k):
    dz = np.empty_like(g)
    n = logp.shape[0]
    for t in prange(k):
        _log_softmax_bwd_rows(logp, g, dz, t * n // k, (t + 1) * n // k)
    return dz


log_softmax_backward = row_dispatch(_log_softmax_bwd_serial, _log_softmax_bwd_parallel,
    """dz_ij = g_ij − exp(log p_ij) · Σ_k g_ik, from the saved output log p.""")


# ----------------------------------------------------------------------------- fused softmax–cross-entropy
@njit(cache=True)
def _ce_fwd_rows(z, y, ignore_index, loss, lse, lo, hi):
    c = z.shape[1]
    scratch = np.empty(c, z.dtype)
    for i in range(lo, hi):
        t = y[i]
        if t == ignore_index:
            loss[i] = 0
            lse[i] = 0.0
            continue
        row = z[i]
        m = row_max(row)
        for j in range(c):
            scratch[j] = vexp(row[j] - m)
        ls = math.log(row_sum64(scratch))
        m64 = np.float64(m)
        loss[i] = (m64 - np.float64(row[t])) + ls
        lse[i] = m64 + ls


@njit(cache=True)
def _ce_fwd_serial(z, y, ignore_index):
    n = z.shape[0]
    loss = np.empty(n, z.dtype)
    lse = np.empty(n, np.float64)
    _ce_fwd_rows(z, y, ignore_index, loss, lse, 0, n)
    return loss, lse


@njit(cache=True, parallel=True)
def _ce_fwd_parallel(z, y, ignore_index, k):
    n = z.shape[0]
    loss = np.empty(n, z.dtype)
    lse = np.empty(n, np.float64)
    for t in prange(k):
        _ce_fwd_rows(z, y, ignore_index, loss, lse, t * n // k, (t + 1) * n // k)
    return loss, lse


cross_entropy_forward = row_dispatch(_ce_fwd_serial, _ce_fwd_parallel,
    """Fused softmax–cross-entropy of each row of z (N, C) with int64 labels y (N,): the lecture's
    ℓ_i = −Σ_k y_ik log softmax(z_i)_k with one-hot y_i, i.e. ℓ_i = logsumexp(z_i) − z_{i,y_i}.

    Per row: the maximum m, then s = Σ_j exp(z_ij − m) (a −inf logit adds 0), ℓ_i = (m − z_{i,y_i}) + log s.
    Rows with y_i == ignore_index give ℓ_i = 0. Returns (loss (N,) in z's dtype, lse (N,) float64):
    lse_i = m + log s is what the backward needs (kept in float64 so that exp(z − lse) stays accurate for float32
    logits of large magnitude; 0 on ignored rows). Labels must lie in [0, C) or equal ignore_index (checked by the
    caller).""")


@njit(cache=True)
def _ce_bwd_rows(z, y, lse, g, scale, ignore_index, dz, lo, hi):
    c = z.shape[1]
    one = g.size == 1
    for i in range(lo, hi):
        t = y[i]
        d = dz[i]
        if t == ignore_index:
            for j in range(c):
                d[j] = 0
            continue
        row = z[i]
        gi64 = np.float64(g[0] if one else g[i]) * scale
        gi = like(d, gi64)
        # exp(z − lse) with lse = hi + lo split in z's dtype: hi = lse rounded, lo = the (small) rest, so that
        # z − hi is (nearly) exact even for float32 logits of large magnitude.
        li = lse[i]
        hi_ = like(row, li)
        lo_ = like(row, li - np.float64(hi_))
        for j in range(c):
            d[j] = vexp((row[j] - hi_) - lo_) * gi
        d[t] = d[t] - gi


@njit(cache=True)
def _ce_bwd_serial(z, y, lse, g, scale, ignore_index):
    dz = np.empty_like(z)
    _ce_bwd_rows(z, y, lse, g, scale, ignore_index, dz, 0, z.shape[0])
    return dz


@njit(cache=True, parallel=True)
def _ce_bwd_parallel(z, y, lse, g, scale, ignore_index, k):
    dz = np.empty_like(z)
    n = z.shape[0]
    for t in prange(k):
        _ce_bwd_rows(z, y, lse, g, scale, ignore_index, dz, t * n // k, (t + 1) * n // k)
    return dz


cross_entropy_backward = row_dispatch(_ce_bwd_serial, _ce_bwd_parallel,
    """dz_ij = (softmax(z_i)_j − 1[j = y_i]) · g_i · scale, with softmax(z_i)_j = exp(z_ij − lse_i) from the
    forward's lse; rows with y_i == ignore_index get 0. ``g`` has N entries ('none') or one (summed loss);
    ``scale`` is 1/(number of non-ignored rows) for the mean, else 1.""")


def loss_mean(loss, stats):
    """The 'mean' reduction of per-sample class-index losses: (Σ_i loss_i / n, n) with n = stats[2], the number
    of non-ignored targets that ``index_stats`` counted, in loss's dtype (NaN when every target is ignored: the
    mean is then 0/NaN = NaN, as PyTorch's). Both are 0-d arrays; the sum is NumPy's (pairwise) in the dtype."""
    dt = loss.dtype.type
    count = np.array(dt(stats[2]) if stats[2] != 0 else dt(math.nan))
    return np.asarray(loss.sum(dtype=loss.dtype) / count), count


@njit(cache=True)
def nll_loss_forward(logp, y, ignore_index):
    """The negative log-likelihood of each row of log-probabilities logp (N, C) at its int64 label y_i:
    ℓ_i = −logp_{i,y_i}, 0 where y_i == ignore_index. Only the labelled entry is read, so −∞ or NaN elsewhere in
    the row never reaches ℓ_i. Labels must lie in [0, C) or equal ignore_index (checked by the caller)."""
    n = logp.shape[0]
    loss = np.empty(n, logp.dtype)
    for i in range(n):
        t = y[i]
        loss[i] = 0 if t == ignore_index else -logp[i, t]
    return loss


@njit(cache=True)
def nll_loss_backward(logp, y, g, scale, ignore_index):
    """dlogp_ij = −g_i · scale · 1[j = y_i] (0 on rows with y_i == ignore_index), shaped like logp (N, C) (whose
    values are not read). ``g`` has N entries ('none') or one (summed loss)."""
    dz = np.zeros(logp.shape, logp.dtype)
    one = g.size == 1
    for i in range(logp.shape[0]):
        t = y[i]
        if t != ignore_index:
            dz[i, t] = -(g[0] if one else g[i]) * scale
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
    """ℓ_i = −[t_i log σ(x_i) + (1 − t_i) log(1 − σ(x_i))] in PyTorch's stable form ℓ_i = (1 − t_i)·x_i − log σ(x_i)
    with log σ(x) = min(x, 0) − log(1 + exp(−|x|)) (exp's argument is ≤ 0, so nothing overflows; at x = ±∞ the
    values are PyTorch's: ∞ where the logit points away from the target, NaN where (1 − t)·x is 0·∞ or ∞ − ∞)."""
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        out[i] = (1.0 - t[i]) * v - (min(v, 0.0) - math.log1p(math.exp(-abs(v))))
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


__all__ = ["softmax_forward", "softmax_backward", "log_softmax_forward", "log_softmax_backward", "loss_mean",
           "cross_entropy_forward", "cross_entropy_backward", "nll_loss_forward", "nll_loss_backward",
           "mse_loss_forward", "mse_loss_backward", "bce_with_logits_forward", "bce_with_logits_backward"]
