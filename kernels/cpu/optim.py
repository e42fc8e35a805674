"""Optimizer kernels: fused in-place SGD and Adam/AdamW updates, and the norms and scaling of gradient clipping.

An update is the one place where in-place is the semantics: each ``*_`` kernel overwrites the parameters and their
optimizer state (momentum buffers, moments) and returns nothing; the gradients are only read. Every kernel takes
sequences of tensors — the parameters, their gradients and their state arrays, index by index — as the GPU twin's
multi-tensor launches do; here a Python loop calls a compiled kernel per tensor (a call costs well under a
microsecond). Every array is a flat (1-D) C-contiguous view of one parameter, its gradient or one of its state
arrays, all of one dtype (float32 or float64; compiled lazily for each). Arithmetic runs in the arrays' dtype,
as PyTorch's does: hyper-parameters (Python scalars) are rounded to it once per call, so a float32 loop stays in
float32 and vectorises (a float64 per-element update ran 16x slower). The update kernels compile with
``error_model="numpy"`` (a division by zero gives inf/NaN as in NumPy and PyTorch, instead of a Python exception
check in every iteration, which stops the loop from vectorising).

Gradient clipping is two kernels that pass their results through small arrays rather than returning them, so
that the GPU twin never copies a value to the host: ``grad_norm`` reduces each gradient into a partial (in
float64, whatever the gradients' dtype) and combines the partials into the total norm and the clipping factor,
and ``clip_scale_`` scales each gradient by that factor when it is below 1.

The lecture's equations: the gradient step θ ← θ − η∇θL (SGD on a mini-batch), Adam's
m_t = β1·m_{t−1} + (1 − β1)·g_t, v_t = β2·v_{t−1} + (1 − β2)·g_t², θ ← θ − η·m_t/(√v_t + ε) (here with
PyTorch's bias correction), the L2 penalty L' = L + λ‖θ‖² (whose gradient 2λθ is the ``weight_decay``·θ term,
weight_decay = 2λ) and clipping g ← g·τ/‖g‖ when ‖g‖ > τ.

Serial loops: these updates are memory-bound, a ``prange`` launch costs about 2 µs per call, and the machines
this backend targets have few cores; a parallel variant can be added behind a size threshold if a benchmark
shows it paying.
"""
import math

import numpy as np
from numba import njit

from ..multitensor import check


@njit(cache=True, error_model="numpy")
def _sgd(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, first_step):
    dt = p.dtype.type
    eta, mu, damp, wd = dt(lr), dt(momentum), dt(1.0 - dampening), dt(weight_decay)
    for i in range(p.size):              # the loop-invariant branches are hoisted out of the loop by LLVM
        d = g[i]
        if weight_decay != 0.0:
            d = d + wd * p[i]
        if momentum != 0.0:
            b = d if first_step else mu * buf[i] + damp * d
            buf[i] = b
            d = d + mu * b if nesterov else b
        p[i] = p[i] - eta * d


@njit(cache=True, error_model="numpy")
def _adam(p, g, m, v, lr, beta1, beta2, eps, weight_decay, step, decoupled):
    dt = p.dtype.type
    step_size = dt(lr / (1.0 - beta1 ** step))
    bc2_sqrt = dt(math.sqrt(1.0 - beta2 ** step))
    b1, c1, b2, c2, e = dt(beta1), dt(1.0 - beta1), dt(beta2), dt(1.0 - beta2), dt(eps)
    wd = dt(weight_decay)
    decay = dt(1.0 - lr * weight_decay)
    for i in range(p.size):              # the loop-invariant branches are hoisted out of the loop by LLVM
        gi = g[i]
        if weight_decay != 0.0:
            if decoupled:
                p[i] = p[i] * decay
            else:
                gi = gi + wd * p[i]
        mi = b1 * m[i] + c1 * gi
        vi = b2 * v[i] + c2 * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] = p[i] - step_size * (mi / (math.sqrt(vi) / bc2_sqrt + e))


@njit(cache=True)
def _partial(a, ord, out, k):
    """out[k] ← one gradient's share of the norm in float64: Σ a² (ord 2; four interleaved accumulators, a fixed
    order that lets the loop pipeline), max |a| (ord inf; 0 when empty, NaN if any is NaN), Σ |a|^ord otherwise."""
    n = a.size
    if ord == 2.0:
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        n4 = n - n % 4
        for i in range(0, n4, 4):
            x0 = a[i] + 0.0
            x1 = a[i + 1] + 0.0
            x2 = a[i + 2] + 0.0
            x3 = a[i + 3] + 0.0
            s0 += x0 * x0
            s1 += x1 * x1
            s2 += x2 * x2
            s3 += x3 * x3
        for i in range(n4, n):
            x = a[i] + 0.0
            s0 += x * x
        out[k] = (s0 + s1) + (s2 + s3)
    elif ord == math.inf:
        s = 0.0
        for i in range(n):
            x = abs(a[i] + 0.0)
            if x > s or math.isnan(x):
                s = x
                if math.isnan(x):
                    break
        out[k] = s
    else:
        s = 0.0
        for i in range(n):
            s += abs(a[i] + 0.0) ** ord
        out[k] = s


@njit(cache=True)
def _combine(partials, ord, max_norm, out):
    """out = (‖g‖, τ/(‖g‖ + 1e-6)) from the partials: √Σ (ord 2), the NaN-propagating max (ord inf), Σ^(1/ord)."""
    n = partials.size
    if ord == math.inf:
        t = 0.0
        for i in range(n):
            x = partials[i]
            if x > t or math.isnan(x):
                t = x
                if math.isnan(x):
                    break
    else:
        s = 0.0
        for i in range(n):
            s += partials[i]
        t = math.sqrt(s) if ord == 2.0 else s ** (1.0 / ord)
    out[0] = t
    out[1] = max_norm / (t + 1e-6)


@njit(cache=True)
def _scale(a, coef):
    c = coef[1]
    if c < 1.0 or math.isnan(c):
        for i in range(a.size):
            a[i] = a[i] * c


def sgd_step_(ps, gs, bufs, lr, momentum, dampening, weight_decay, nesterov, first_step):
    """One SGD step in place (PyTorch's ``torch.optim.SGD``) of every parameter p in ``ps`` (with its gradient in
    ``gs`` and momentum buffer in ``bufs`` at the same index), per element:
    d ← g + wd·θ (L2 penalty, only when wd ≠ 0);
    with momentum μ ≠ 0: buf ← d on the first step, else buf ← μ·buf + (1 − dampening)·d; then
    d ← d + μ·buf (Nesterov) or d ← buf;
    θ ← θ − η·d (the lecture's θ_{t+1} = θ_t − η∇θL).
    ``bufs`` are read and written only when ``momentum`` ≠ 0 (pass any arrays of p's dtype otherwise, e.g.
    ``gs``); ``gs`` are never written."""
    _check(ps, gs, bufs)
    for p, g, buf in zip(ps, gs, bufs):
        _sgd(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, first_step)


def adam_step_(ps, gs, ms, vs, lr, beta1, beta2, eps, weight_decay, step, decoupled):
    """One Adam (``decoupled`` False) or AdamW (``decoupled`` True) step in place, at step t = ``step`` ≥ 1, of
    every parameter θ in ``ps`` (gradient g in ``gs``, moments m in ``ms`` and v in ``vs`` at the same index):
    AdamW: θ ← θ·(1 − η·wd) first (decoupled weight decay); Adam: g ← g + wd·θ (L2 penalty);
    m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²  (the lecture's m_t, v_t);
    m̂ = m/(1 − β1ᵗ), v̂ = v/(1 − β2ᵗ) (bias correction);  θ ← θ − η·m̂/(√v̂ + ε),
    evaluated as PyTorch does: θ ← θ − (η/(1 − β1ᵗ))·(m/(√v/√(1 − β2ᵗ) + ε)). ``gs`` are never written."""
    _check(ps, gs, ms, vs)
    for p, g, m, v in zip(ps, gs, ms, vs):
        _adam(p, g, m, v, lr, beta1, beta2, eps, weight_decay, step, decoupled)


def grad_norm(gs, ord, max_norm, coef, norm):
    """The clipping norm of the gradients ``gs`` (flat arrays of one dtype) taken together:
    coef[0] = ‖g‖ = √Σ_k Σ_i g_ki² (ord 2), max_k max_i |g_ki| (ord inf; NaN if any element is NaN),
    (Σ_k Σ_i |g_ki|^ord)^(1/ord) otherwise, accumulated in float64; coef[1] = τ/(‖g‖ + 1e-6) with τ = ``max_norm``
    (the lecture's g ← g·τ/‖g‖ if ‖g‖ > τ; PyTorch's 1e-6 guards the division); norm[0] = ‖g‖ rounded to
    norm's dtype. ``coef`` is float64 (2,), ``norm`` (1,). Returns nothing."""
    _check(gs)
    ord = float(ord)
    partials = np.zeros(max(1, len(gs)))
    for k, g in enumerate(gs):
        _partial(g, ord, partials, k)
    _combine(partials, ord, float(max_norm), coef)
    norm[0] = coef[0]


def clip_scale_(gs, coef):
    """Clipping's g ← g·c in place for every gradient in ``gs``, with c = coef[1] from ``grad_norm``
    (c = τ/(‖g‖ + 1e-6)), applied only when c < 1 (‖g‖ > τ) or c is NaN (a NaN norm poisons the gradients, as in
    PyTorch); the gradients are left untouched otherwise. The product runs in float64 and is rounded to the
    gradients' dtype. Returns nothing."""
    _check(gs)
    for g in gs:
        _scale(g, coef)


def _check(*seqs):
    check(seqs, lambda a: a.flags["C_CONTIGUOUS"])


__all__ = ["sgd_step_", "adam_step_", "grad_norm", "clip_scale_"]
