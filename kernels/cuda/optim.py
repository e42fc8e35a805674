"""Optimizer kernels on the GPU: fused in-place SGD and Adam/AdamW updates, and the norms and scaling of gradient
clipping — the ``@cuda.jit`` twins of kernels/cpu/optim.py, with the same names, arguments, equations and return
values.

Each ``*_`` kernel overwrites its parameter and optimizer state (flat 1-D C-contiguous device arrays of one dtype)
and returns None; the gradient is only read. As in the CPU twin, the update arithmetic runs in the arrays' dtype:
the hyper-parameters are rounded to it once per call, on the host, and passed as scalars of that dtype, so a float32
update stays in float32. The reductions (``sum_squares``, ``sum_abs_pow``, ``max_abs``) accumulate in float64 and
return a Python float: the array is cut into chunks of ``CHUNK`` elements, one block per chunk reduces it (thread t
takes elements t, t + ROW_THREADS, …, then a shared-memory tree in fixed order: ``_launch.block_sum`` or
``block_max_nan``) into a partial, and the partials are reduced the same way until one value is left, which is
copied to the host. The order of the sums depends only on ``ROW_THREADS``, never on the number of blocks launched.

The lecture's equations: the gradient step θ ← θ − η∇θL, Adam's m_t = β1·m_{t−1} + (1 − β1)·g_t,
v_t = β2·v_{t−1} + (1 − β2)·g_t², θ ← θ − η·m_t/(√v_t + ε) (with PyTorch's bias correction), the L2 penalty
L' = L + λ‖θ‖² (weight_decay = 2λ) and clipping g ← g·τ/‖g‖ when ‖g‖ > τ.
"""
import math

import numpy as np
from numba import cuda, float64

from ._launch import ROW_THREADS, block_max_nan, block_sum, jit, launch, launch_rows

CHUNK = ROW_THREADS * 16   # elements reduced by one block in a pass of the norm reductions

# reduction modes of _reduce: the first pass maps each element, later passes combine partials
_SQUARES, _ABS_POW, _ABS_MAX, _SUM, _MAX = 0, 1, 2, 3, 4


@jit
def _sgd(p, g, buf, eta, mu, damp, wd, use_wd, use_mu, nesterov, first_step):
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        d = g[i]
        if use_wd:
            d = d + wd * p[i]
        if use_mu:
            b = d if first_step else mu * buf[i] + damp * d
            buf[i] = b
            d = d + mu * b if nesterov else b
        p[i] = p[i] - eta * d


@jit
def _adam(p, g, m, v, step_size, bc2_sqrt, b1, c1, b2, c2, e, wd, decay, use_wd, decoupled):
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        gi = g[i]
        if use_wd:
            if decoupled:
                p[i] = p[i] * decay
            else:
                gi = gi + wd * p[i]
        mi = b1 * m[i] + c1 * gi
        vi = b2 * v[i] + c2 * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] = p[i] - step_size * (mi / (math.sqrt(vi) / bc2_sqrt + e))


@jit
def _reduce(a, mode, ord, out):
    """out[r] = the reduction of a[r·CHUNK : (r + 1)·CHUNK] in float64: Σ a² (_SQUARES), Σ |a|^ord (_ABS_POW),
    max |a| (_ABS_MAX), Σ a (_SUM), max a (_MAX); the maxima propagate NaN."""
    sh = cuda.shared.array(ROW_THREADS, float64)
    t = cuda.threadIdx.x
    n = a.size
    is_max = mode == _ABS_MAX or mode == _MAX
    for r in range(cuda.blockIdx.x, out.size, cuda.gridDim.x):
        s = 0.0
        for i in range(r * CHUNK + t, min(n, (r + 1) * CHUNK), ROW_THREADS):
            x = float(a[i])
            if mode == _SQUARES:
                s += x * x
            elif mode == _ABS_POW:
                s += abs(x) ** ord
            elif mode == _SUM:
                s += x
            else:
                if mode == _ABS_MAX:
                    x = abs(x)
                if not math.isnan(s) and (x > s or math.isnan(x)):
                    s = x
        if is_max:                 # the same branch for the whole block
            s = block_max_nan(sh, t, s)
        else:
            s = block_sum(sh, t, s)
        if t == 0:
            out[r] = s


def _reduce_to_host(a, mode, ord=1.0):
    n = a.size
    if n == 0:
        return 0.0
    combine = _MAX if mode == _ABS_MAX else _SUM
    while True:
        nc = (n + CHUNK - 1) // CHUNK
        out = cuda.device_array(nc, np.float64)
        launch_rows(_reduce, nc, a, mode, float(ord), out)
        if nc == 1:
            return float(out.copy_to_host()[0])
        a, n, mode = out, nc, combine


@jit
def _scale(a, c):
    for i in range(cuda.grid(1), a.size, cuda.gridsize(1)):
        a[i] = a[i] * c


def sgd_step_(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, first_step):
    """One SGD step in place (PyTorch's ``torch.optim.SGD``), per element:
    d ← g + wd·θ (L2 penalty, only when wd ≠ 0);
    with momentum μ ≠ 0: buf ← d on the first step, else buf ← μ·buf + (1 − dampening)·d; then
    d ← d + μ·buf (Nesterov) or d ← buf;
    θ ← θ − η·d (the lecture's θ_{t+1} = θ_t − η∇θL).
    ``buf`` is read and written only when ``momentum`` ≠ 0 (pass any array of p's dtype otherwise); ``g`` is
    never written."""
    dt = np.dtype(p.dtype).type
    launch(_sgd, p.size, p, g, buf, dt(lr), dt(momentum), dt(1.0 - dampening), dt(weight_decay),
           bool(weight_decay != 0.0), bool(momentum != 0.0), bool(nesterov), bool(first_step))


def adam_step_(p, g, m, v, lr, beta1, beta2, eps, weight_decay, step, decoupled):
    """One Adam (``decoupled`` False) or AdamW (``decoupled`` True) step in place, at step t = ``step`` ≥ 1:
    AdamW: θ ← θ·(1 − η·wd) first (decoupled weight decay); Adam: g ← g + wd·θ (L2 penalty);
    m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²  (the lecture's m_t, v_t);
    m̂ = m/(1 − β1ᵗ), v̂ = v/(1 − β2ᵗ) (bias correction);  θ ← θ − η·m̂/(√v̂ + ε),
    evaluated as PyTorch does: θ ← θ − (η/(1 − β1ᵗ))·(m/(√v/√(1 − β2ᵗ) + ε)). ``g`` is never written."""
    dt = np.dtype(p.dtype).type
    step_size = dt(lr / (1.0 - beta1 ** step))
    bc2_sqrt = dt(math.sqrt(1.0 - beta2 ** step))
    launch(_adam, p.size, p, g, m, v, step_size, bc2_sqrt, dt(beta1), dt(1.0 - beta1), dt(beta2), dt(1.0 - beta2),
           dt(eps), dt(weight_decay), dt(1.0 - lr * weight_decay), bool(weight_decay != 0.0), bool(decoupled))


def sum_squares(a):
    """Σ_i a_i², accumulated in float64 (‖a‖₂² for the clipping norm ‖g‖ = √Σ_k ‖g_k‖₂²). Returns a float."""
    return _reduce_to_host(a, _SQUARES)


def sum_abs_pow(a, ord):
    """Σ_i |a_i|^ord in float64 (‖a‖_ord^ord, for a p-norm ‖g‖_p = (Σ_k Σ_i |g_ki|^p)^(1/p)). Returns a float."""
    return _reduce_to_host(a, _ABS_POW, ord)


def max_abs(a):
    """max_i |a_i| in float64 (‖a‖_∞; 0 for an empty array, NaN if any element is NaN). Returns a float."""
    return _reduce_to_host(a, _ABS_MAX)


def scale_(a, c):
    """a ← c·a in place (clipping's g ← g·τ/‖g‖); the product in float64, as the CPU twin's Python-float c."""
    launch(_scale, a.size, a, float(c))


__all__ = ["sgd_step_", "adam_step_", "sum_squares", "sum_abs_pow", "max_abs", "scale_"]
