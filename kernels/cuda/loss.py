"""Softmax along the last axis, its log, the fused softmax–cross-entropy, and the MSE / BCE-with-logits losses on
the GPU — the ``@cuda.jit`` twins of kernels/cpu/loss.py, with the same names, arguments and equations.

The lecture's softmax(z_i) = exp(z_i) / Σ_j exp(z_j) turns a row of scores into a probability distribution; its
cross-entropy ℓ = −Σ_k y_k log ŷ_k with a one-hot y is, for label c, ℓ = −log softmax(z)_c = logsumexp(z) − z_c;
its MSE is ℓ = (y − ŷ)². Every softmax kernel works on a C-contiguous 2-D (rows, C) device array (the op layer
moves the softmax axis last and flattens the rest) and subtracts the row maximum m before exponentiating, which
leaves the value unchanged (exp(z_i − m)/Σ exp(z_j − m)) and keeps exp's argument ≤ 0. The loss kernels take 1-D
device arrays.

Row kernels run one block of ``ROW_THREADS`` threads per row (``_launch.launch_rows``): each thread walks the row's
elements t, t + ROW_THREADS, … (consecutive threads touch consecutive elements), then the block combines the partial
maxima and the float64 partial sums with a shared-memory tree reduction (``_launch.block_max`` and ``block_sum``, a
fixed order for a given ROW_THREADS), and every thread writes its elements of the normalised row. The cross-entropy
forward is that fused row kernel (max, Σ exp, then loss and logsumexp of the row, never forming the softmax); its
backward and the MSE / BCE kernels are element-wise (one thread per element, ``_launch.launch``). Exponentials run
in the array's dtype (libdevice exp/expf), sums accumulate in float64, as in the CPU twin; outputs are allocated in
the input's dtype (float32 or float64). One kernel serves both dtypes: the row maximum and the reduced sums are cast
back to the array's dtype inside the kernel (the CPU twin's ``like``) through a one-element local array of that
dtype.

Loss backward kernels take the upstream gradient ``g`` either per element / per row (``g.size`` equal to the
number of elements / rows, reduction 'none') or as one value (``g.size == 1``, the gradient of a summed or
averaged loss), and a ``scale`` (1 for 'none' and 'sum', 1/count for 'mean').
"""
import math

import numpy as np
from numba import cuda, float64

from ._launch import ROW_THREADS, alloc, block_max, block_sum, jit, launch, launch_rows


# ----------------------------------------------------------------------------- row kernels
# One kernel serves float32 and float64 arrays: a value is rounded to the array's dtype by a store into the
# one-element local array ``cast`` of x.dtype (the CPU twin's ``like``). The block reductions are
# ``_launch.block_max`` (thread partials start at −inf and skip NaNs) and ``_launch.block_sum`` (float64).
@cuda.jit(device=True, inline="always")
def _max_sumexp(x, r, t, part, cast):
    """(m, m rounded to x's dtype, Σ_j exp(x_rj − m)) for row r, m = max_j x_rj: the block's first two passes of
    softmax, log-softmax and cross-entropy. NaNs are skipped by the max (they propagate through the sum); a −inf
    entry adds 0. Every thread of the block must call it."""
    c = x.shape[1]
    m = -math.inf
    for j in range(t, c, ROW_THREADS):
        v = x[r, j]
        if v > m:
            m = v
    m64 = block_max(part, t, m)
    cast[0] = m64
    mr = cast[0]
    s = 0.0
    for j in range(t, c, ROW_THREADS):
        s += math.exp(x[r, j] - mr)
    return m64, mr, block_sum(part, t, s)


@jit
def _softmax_fwd(x, out):
    part = cuda.shared.array(ROW_THREADS, float64)
    cast = cuda.local.array(1, x.dtype)
    t = cuda.threadIdx.x
    c = x.shape[1]
    for r in range(cuda.blockIdx.x, x.shape[0], cuda.gridDim.x):
        _, mr, s = _max_sumexp(x, r, t, part, cast)
        cast[0] = 1.0 / s
        inv = cast[0]
        for j in range(t, c, ROW_THREADS):
            out[r, j] = math.exp(x[r, j] - mr) * inv


@jit
def _softmax_bwd(p, g, dz):
    part = cuda.shared.array(ROW_THREADS, float64)
    cast = cuda.local.array(1, p.dtype)
    t = cuda.threadIdx.x
    c = p.shape[1]
    for r in range(cuda.blockIdx.x, p.shape[0], cuda.gridDim.x):
        s = 0.0
        for j in range(t, c, ROW_THREADS):
            s += float64(g[r, j]) * float64(p[r, j])
        cast[0] = block_sum(part, t, s)
        dot = cast[0]
        for j in range(t, c, ROW_THREADS):
            dz[r, j] = p[r, j] * (g[r, j] - dot)


@jit
def _log_softmax_fwd(x, out):
    part = cuda.shared.array(ROW_THREADS, float64)
    cast = cuda.local.array(1, x.dtype)
    t = cuda.threadIdx.x
    c = x.shape[1]
    for r in range(cuda.blockIdx.x, x.shape[0], cuda.gridDim.x):
        m64, _, s = _max_sumexp(x, r, t, part, cast)
        shift = m64 + math.log(s)        # float64, as the CPU twin
        for j in range(t, c, ROW_THREADS):
            out[r, j] = x[r, j] - shift


@jit
def _log_softmax_bwd(logp, g, dz):
    part = cuda.shared.array(ROW_THREADS, float64)
    cast = cuda.local.array(1, logp.dtype)
    t = cuda.threadIdx.x
    c = logp.shape[1]
    for r in range(cuda.blockIdx.x, logp.shape[0], cuda.gridDim.x):
        s = 0.0
        for j in range(t, c, ROW_THREADS):
            s += g[r, j]
        cast[0] = block_sum(part, t, s)
        sr = cast[0]
        for j in range(t, c, ROW_THREADS):
            dz[r, j] = g[r, j] - math.exp(logp[r, j]) * sr


@jit
def _ce_fwd(z, y, ignore_index, loss, lse):
    part = cuda.shared.array(ROW_THREADS, float64)
    cast = cuda.local.array(1, z.dtype)
    t = cuda.threadIdx.x
    c = z.shape[1]
    for r in range(cuda.blockIdx.x, z.shape[0], cuda.gridDim.x):
        label = y[r]
        if label == ignore_index:      # the whole block takes this branch: no syncthreads is skipped by some
            if t == 0:
                loss[r] = 0
                lse[r] = 0.0
            continue
        m64, _, s = _max_sumexp(z, r, t, part, cast)
        if t == 0:
            ls = math.log(s)
            # a label outside [0, C) (reported by the caller's deferred check) gives NaN, not a stray read
            loss[r] = (m64 - float64(z[r, label])) + ls if 0 <= label < c else math.nan
            lse[r] = m64 + ls


@jit
def _ce_bwd(z, y, lse, g, scale, ignore_index, dz):
    cast = cuda.local.array(1, z.dtype)
    c = z.shape[1]
    one = g.size == 1
    for i in range(cuda.grid(1), z.size, cuda.gridsize(1)):
        r = i // c
        j = i - r * c
        label = y[r]
        if label == ignore_index:
            dz[r, j] = 0
            continue
        cast[0] = float64(g[0] if one else g[r]) * scale
        gi = cast[0]
        # exp(z − lse) with lse = hi + lo split in z's dtype: hi = lse rounded, lo = the (small) rest, so that
        # z − hi is (nearly) exact even for float32 logits of large magnitude.
        li = lse[r]
        cast[0] = li
        hi = cast[0]
        cast[0] = li - hi
        lo = cast[0]
        cast[0] = math.exp((z[r, j] - hi) - lo) * gi
        d = cast[0]
        if j == label:
            d = d - gi
        dz[r, j] = d


_ROW = {"softmax_fwd": _softmax_fwd, "softmax_bwd": _softmax_bwd, "log_softmax_fwd": _log_softmax_fwd,
        "log_softmax_bwd": _log_softmax_bwd, "ce_fwd": _ce_fwd, "ce_bwd": _ce_bwd}


def _rows_of(x):
    if np.dtype(x.dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"softmax kernels take float32 or float64 arrays, got {x.dtype}")
    return _ROW


def _row_map(name, x, *args):
    """A (rows, C) output like ``x`` from the row kernel ``name``; nothing is launched for an empty array."""
    out = alloc(x.shape, x.dtype)
    if x.size:
        launch_rows(_rows_of(x)[name], x.shape[0], x, *args, out)
    return out


# ----------------------------------------------------------------------------- softmax / log_softmax
def softmax_forward(x):
    """p_ij = exp(z_ij − m_i) / Σ_k exp(z_ik − m_i), m_i = max_k z_ik: the lecture's softmax of each row."""
    return _row_map("softmax_fwd", x)


def softmax_backward(p, g):
    """dz_ij = p_ij · (g_ij − Σ_k g_ik p_ik), the softmax Jacobian (diag(p) − p pᵀ) applied to g, from the
    saved output p."""
    return _row_map("softmax_bwd", p, g)


def log_softmax_forward(x):
    """log p_ij = z_ij − m_i − log Σ_k exp(z_ik − m_i) (the log of the lecture's softmax, without forming p)."""
    return _row_map("log_softmax_fwd", x)


def log_softmax_backward(logp, g):
    """dz_ij = g_ij − exp(log p_ij) · Σ_k g_ik, from the saved output log p."""
    return _row_map("log_softmax_bwd", logp, g)


# ----------------------------------------------------------------------------- fused softmax–cross-entropy
def cross_entropy_forward(z, y, ignore_index):
    """Fused softmax–cross-entropy of each row of z (N, C) with int64 labels y (N,): the lecture's
    ℓ_i = −Σ_k y_ik log softmax(z_i)_k with one-hot y_i, i.e. ℓ_i = logsumexp(z_i) − z_{i,y_i}.

    Per row (one block): the maximum m, then s = Σ_j exp(z_ij − m) (a −inf logit adds 0),
    ℓ_i = (m − z_{i,y_i}) + log s. Rows with y_i == ignore_index give ℓ_i = 0. Returns (loss (N,) in z's dtype,
    lse (N,) float64): lse_i = m + log s is what the backward needs (kept in float64 so that exp(z − lse) stays
    accurate for float32 logits of large magnitude; 0 on ignored rows). Labels must lie in [0, C) or equal
    ignore_index: the caller checks them after the launch, and meanwhile a label outside gives ℓ_i = NaN, never a
    read outside z."""
    n = z.shape[0]
    loss = alloc(n, z.dtype)
    lse = alloc(n, np.float64)
    launch_rows(_rows_of(z)["ce_fwd"], n, z, y, int(ignore_index), loss, lse)
    return loss, lse


def cross_entropy_backward(z, y, lse, g, scale, ignore_index):
    """dz_ij = (softmax(z_i)_j − 1[j = y_i]) · g_i · scale, with softmax(z_i)_j = exp(z_ij − lse_i) from the
    forward's lse; rows with y_i == ignore_index get 0. ``g`` has N entries ('none') or one (summed loss);
    ``scale`` is 1/(number of non-ignored rows) for the mean, else 1. One thread per element."""
    dz = alloc(z.shape, z.dtype)
    launch(_rows_of(z)["ce_bwd"], z.size, z, y, lse, g, float(scale), int(ignore_index), dz)
    return dz


@jit
def _loss_mean(loss, stats, k, mean, count):
    """One block: Σ loss in float64 (``block_sum``) rounded to the dtype, divided by n = stats[k] (NaN for 0)."""
    part = cuda.shared.array(ROW_THREADS, float64)
    t = cuda.threadIdx.x
    s = 0.0
    for i in range(t, loss.size, ROW_THREADS):
        s += loss[i]
    s = block_sum(part, t, s)
    if t == 0:
        c = stats[k]
        count[0] = c if c != 0 else math.nan
        mean[0] = s
        mean[0] = mean[0] / count[0]


def loss_mean(loss, stats):
    """The 'mean' reduction of per-sample class-index losses: (Σ_i loss_i / n, n) with n = stats[2], the number
    of non-ignored targets that ``index_stats`` counted on the device, in loss's dtype (NaN when every target is
    ignored: the mean is then 0/NaN = NaN, as PyTorch's). Both are 0-d device arrays; nothing is read on the host.
    One launch of one block (the sum in float64, rounded once to the dtype before the division)."""
    mean, count = alloc((), loss.dtype), alloc((), loss.dtype)
    launch_rows(_loss_mean, 1, loss.reshape(loss.size), stats, 2, mean.reshape(1), count.reshape(1))
    return mean, count


# ----------------------------------------------------------------------------- negative log-likelihood
@jit
def _nll_fwd(logp, y, ignore_index, loss):
    c = logp.shape[1]
    for i in range(cuda.grid(1), loss.size, cuda.gridsize(1)):
        t = y[i]
        if t == ignore_index:
            loss[i] = 0
        elif t >= 0 and t < c:
            loss[i] = -logp[i, t]
        else:
            loss[i] = math.nan


@jit
def _nll_bwd(y, g, scale, ignore_index, dz):
    c = dz.shape[1]
    one = g.size == 1
    for k in range(cuda.grid(1), dz.size, cuda.gridsize(1)):
        i = k // c
        j = k - i * c
        d = 0.0
        if j == y[i] and y[i] != ignore_index:
            d = -(g[0] if one else g[i]) * scale
        dz[i, j] = d


def nll_loss_forward(logp, y, ignore_index):
    """The negative log-likelihood of each row of log-probabilities logp (N, C) at its int64 label y_i:
    ℓ_i = −logp_{i,y_i}, 0 where y_i == ignore_index (one thread per row; only the labelled entry is read).
    Labels must lie in [0, C) or equal ignore_index: the caller checks them after the launch, and meanwhile a
    label outside gives ℓ_i = NaN, never a read outside logp."""
    loss = alloc(logp.shape[0], logp.dtype)
    launch(_nll_fwd, loss.size, logp, y, int(ignore_index), loss)
    return loss


def nll_loss_backward(logp, y, g, scale, ignore_index):
    """dlogp_ij = −g_i · scale · 1[j = y_i] (0 on rows with y_i == ignore_index), shaped like logp (N, C) (whose
    values are not read); one thread per element. ``g`` has N entries ('none') or one (summed loss)."""
    dz = alloc(logp.shape, logp.dtype)
    launch(_nll_bwd, dz.size, y, g, float(scale), int(ignore_index), dz)
    return dz


# ----------------------------------------------------------------------------- element-wise losses
@jit
def _mse_fwd(x, t, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        d = x[i] - t[i]
        out[i] = d * d


@jit
def _mse_bwd(x, t, g, scale, dx):
    one = g.size == 1
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        gi = g[0] if one else g[i]
        dx[i] = 2.0 * (x[i] - t[i]) * gi * scale


@jit
def _bce_fwd(x, t, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        v = x[i]
        out[i] = (1.0 - t[i]) * v - (min(v, 0.0) - math.log1p(math.exp(-abs(v))))


@jit
def _bce_bwd(x, t, g, scale, dx):
    one = g.size == 1
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        v = x[i]
        if v >= 0:
            s = 1.0 / (1.0 + math.exp(-v))
        else:
            e = math.exp(v)
            s = e / (1.0 + e)
        gi = g[0] if one else g[i]
        dx[i] = (s - t[i]) * gi * scale


def _map(kernel, x, *args):
    out = alloc(x.shape, x.dtype)
    launch(kernel, x.size, x, *args, out)
    return out


def mse_loss_forward(x, t):
    """ℓ_i = (t_i − x_i)², the lecture's MSE per element (the caller sums or averages)."""
    return _map(_mse_fwd, x, t)


def mse_loss_backward(x, t, g, scale):
    """dx_i = 2 (x_i − t_i) · g_i · scale (the target's gradient is −dx). ``g`` has x.size entries or one."""
    return _map(_mse_bwd, x, t, g, float(scale))


def bce_with_logits_forward(x, t):
    """ℓ_i = −[t_i log σ(x_i) + (1 − t_i) log(1 − σ(x_i))] in PyTorch's stable form ℓ_i = (1 − t_i)·x_i − log σ(x_i)
    with log σ(x) = min(x, 0) − log(1 + exp(−|x|)) (exp's argument is ≤ 0, so nothing overflows; at x = ±∞ the
    values are PyTorch's: ∞ where the logit points away from the target, NaN where (1 − t)·x is 0·∞ or ∞ − ∞)."""
    return _map(_bce_fwd, x, t)


def bce_with_logits_backward(x, t, g, scale):
    """dx_i = (σ(x_i) − t_i) · g_i · scale with σ evaluated stably (the target's gradient is −x_i · g_i · scale).
    ``g`` has x.size entries or one."""
    return _map(_bce_bwd, x, t, g, float(scale))


__all__ = ["softmax_forward", "softmax_backward", "log_softmax_forward", "log_softmax_backward", "loss_mean",
           "cross_entropy_forward", "cross_entropy_backward", "nll_loss_forward", "nll_loss_backward",
           "mse_loss_forward", "mse_loss_backward", "bce_with_logits_forward", "bce_with_logits_backward"]
