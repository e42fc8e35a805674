"""Optimizer kernels on the GPU: fused in-place SGD and Adam/AdamW updates, and the norms and scaling of gradient
clipping — the ``@cuda.jit`` twins of kernels/cpu/optim.py, with the same names, arguments, equations and return
values.

Each ``*_`` kernel overwrites its parameter and optimizer state (flat 1-D C-contiguous device arrays of one dtype)
and returns None; the gradient is only read. As in the CPU twin, the update arithmetic runs in the arrays' dtype:
the hyper-parameters are rounded to it once per call, on the host, and passed as scalars of that dtype, so a float32
update stays in float32.

Gradient clipping never copies a value to the host (PyTorch's way: the norm, the factor and the scaling all stay on
the device, so a training step does not wait for the GPU). ``grad_norm_partial`` reduces one gradient in float64
into an entry of a device partials array: the array is cut into chunks of ``CHUNK`` elements, one block per chunk
reduces it (thread t takes elements t, t + ROW_THREADS, …, then a shared-memory tree in fixed order:
``_launch.block_sum`` or ``block_max_nan``) into a partial, and the partials are reduced the same way until one
chunk is left, whose block writes straight into ``out[k]`` (through the one-element view ``out[k:k+1]``). The
order of the sums depends only on ``ROW_THREADS``, never on the number of blocks launched. ``clip_coef`` is one
block that combines the partials into the total norm and the factor τ/(‖g‖ + 1e-6); ``clip_scale_`` has every
thread read that factor from device memory and scale when it is below 1 (or NaN).

The lecture's equations: the gradient step θ ← θ − η∇θL, Adam's m_t = β1·m_{t−1} + (1 − β1)·g_t,
v_t = β2·v_{t−1} + (1 − β2)·g_t², θ ← θ − η·m_t/(√v_t + ε) (with PyTorch's bias correction), the L2 penalty
L' = L + λ‖θ‖² (weight_decay = 2λ) and clipping g ← g·τ/‖g‖ when ‖g‖ > τ.
"""
import math

import numpy as np
from numba import cuda, float64

from ._launch import ROW_THREADS, alloc, block_max_nan, block_sum, jit, launch, launch_rows

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


@jit
def _clip_coef(partials, ord, max_norm, out):
    """One block: out[0] = the total norm from the partials (√Σ for ord 2, the NaN-propagating max for ord inf,
    (Σ)^(1/ord) otherwise), out[1] = max_norm/(out[0] + 1e-6)."""
    sh = cuda.shared.array(ROW_THREADS, float64)
    t = cuda.threadIdx.x
    is_max = ord == math.inf
    s = 0.0
    for i in range(t, partials.size, ROW_THREADS):
        x = partials[i]
        if is_max:
            if not math.isnan(s) and (x > s or math.isnan(x)):
                s = x
        else:
            s += x
    if is_max:                     # the same branch for the whole block
        s = block_max_nan(sh, t, s)
    else:
        s = block_sum(sh, t, s)
        if ord == 2.0:
            s = math.sqrt(s)
        else:
            s = s ** (1.0 / ord)
    if t == 0:
        out[0] = s
        out[1] = max_norm / (s + 1e-6)


@jit
def _clip_scale(a, coef):
    c = coef[1]
    if c < 1.0 or math.isnan(c):   # the same branch for every thread
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


def grad_norm_partial(a, ord, out, k):
    """out[k] ← one gradient's share of the clipping norm, accumulated in float64 (``out`` a float64 device
    array): Σ_i a_i² for ord 2 (‖a‖₂², for ‖g‖₂ = √Σ_k ‖g_k‖₂²), max_i |a_i| for ord inf (‖a‖_∞, for
    ‖g‖_∞ = max_k ‖g_k‖_∞; 0 for an empty array, NaN if any element is NaN), Σ_i |a_i|^ord otherwise (‖a‖_p^p, for
    ‖g‖_p = (Σ_k Σ_i |g_ki|^p)^(1/p)). Nothing is copied to the host. Returns nothing."""
    ord = float(ord)
    mode = _SQUARES if ord == 2.0 else _ABS_MAX if ord == math.inf else _ABS_POW
    combine = _MAX if mode == _ABS_MAX else _SUM
    n = a.size
    while n > CHUNK:
        nc = (n + CHUNK - 1) // CHUNK
        part = alloc(nc, np.float64)
        launch_rows(_reduce, nc, a, mode, ord, part)
        a, n, mode = part, nc, combine
    launch_rows(_reduce, 1, a, mode, ord, out[k:k + 1])   # the last chunk (an empty a writes 0)


def clip_coef(partials, ord, max_norm, out):
    """The total norm and the clipping factor from the per-gradient ``grad_norm_partial`` values (float64 (n,)),
    into ``out`` (float64 (2,)), on the device: out[0] = ‖g‖ = √Σ_k partials_k (ord 2), max_k partials_k (ord inf;
    NaN if any is NaN), (Σ_k partials_k)^(1/ord) otherwise; out[1] = τ/(‖g‖ + 1e-6) with τ = ``max_norm`` (the
    lecture's g ← g·τ/‖g‖ if ‖g‖ > τ; PyTorch's 1e-6 guards the division). One block of ROW_THREADS threads
    (n is the number of parameters). Returns nothing."""
    launch_rows(_clip_coef, 1, partials, float(ord), float(max_norm), out)


def clip_scale_(a, coef):
    """Clipping's g ← g·c in place, with c = coef[1] from ``clip_coef`` (c = τ/(‖g‖ + 1e-6)) read by every
    thread from device memory, applied only when c < 1 (‖g‖ > τ) or c is NaN; ``a`` is left untouched otherwise.
    The product runs in float64 and is rounded to a's dtype, as in the CPU twin. Returns nothing."""
    launch(_clip_scale, a.size, a, coef)


__all__ = ["sgd_step_", "adam_step_", "grad_norm_partial", "clip_coef", "clip_scale_"]
