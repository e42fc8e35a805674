"""Optimizer kernels on the GPU: fused in-place SGD and Adam/AdamW updates, and the norm and scaling of gradient
clipping — the ``@cuda.jit`` twins of kernels/cpu/optim.py, with the same names, arguments, equations and return
values.

Every kernel here is a multi-tensor launch (PyTorch's ``_foreach`` kernels, apex's ``multi_tensor_apply``): it
takes a sequence of parameters (and their gradients and state arrays, index by index) and updates all of them in
one launch, so that an optimizer step or a clipping of a whole model costs one or two launches instead of one or
more per parameter. The arrays are passed as tuples of device arrays (at most ``MANY`` tensors a launch, so the
kernel parameters stay under CUDA's 4 KiB; longer sequences take several launches) with a tuple ``starts`` of
each tensor's first chunk: the tensors are cut into chunks of ``CHUNK`` elements, block r takes chunk r (and
r + gridDim, …), finds its tensor k as the last with starts[k] ≤ r, and its threads stride over the chunk. A
kernel is compiled once per number of tensors in a launch (and dtype).

Each ``*_`` kernel overwrites its parameters and optimizer state (flat 1-D C-contiguous device arrays of one
dtype) and returns None; the gradients are only read. As in the CPU twin, the update arithmetic runs in the arrays'
dtype: the hyper-parameters are rounded to it once per call, on the host, and passed as scalars of that dtype, so a
float32 update stays in float32.

Gradient clipping never copies a value to the host (PyTorch's way: the norm, the factor and the scaling all stay on
the device, so a training step does not wait for the GPU). ``grad_norm`` is one launch: each block reduces its
chunks in float64 (thread t takes elements t, t + ROW_THREADS, …, then a shared-memory tree in fixed order:
``_launch.block_sum`` or ``block_max_nan``) into a partials array, one entry per chunk; the last block to finish
(a ``threadfence`` and an atomic ticket, the CUDA samples' ``threadFenceReduction``) combines the partials the
same way into the total norm and the factor τ/(‖g‖ + 1e-6). The order of the sums depends only on ``CHUNK`` and
``ROW_THREADS``, never on the number of blocks launched or on which block finishes last. ``clip_scale_`` has every
thread read that factor from device memory and scale when it is below 1 (or NaN).

The lecture's equations: the gradient step θ ← θ − η∇θL, Adam's m_t = β1·m_{t−1} + (1 − β1)·g_t,
v_t = β2·v_{t−1} + (1 − β2)·g_t², θ ← θ − η·m_t/(√v_t + ε) (with PyTorch's bias correction), the L2 penalty
L' = L + λ‖θ‖² (weight_decay = 2λ) and clipping g ← g·τ/‖g‖ when ‖g‖ > τ.
"""
import math

import numpy as np
from numba import cuda, float64, int32

from ..multitensor import check
from ._launch import ROW_THREADS, _is_c_contiguous, alloc, block_max_nan, block_sum, jit, launch_rows, zero_fill

CHUNK = ROW_THREADS * 8    # elements of one chunk: the work of one block at a time
MANY = 16                  # tensors per launch: 4 tuples of 16 arrays (56 bytes each) stay under 4 KiB of parameters

# norm modes of _grad_norm: Σ a², Σ |a|^ord, max |a|
_SQUARES, _ABS_POW, _ABS_MAX = 0, 1, 2


@cuda.jit(device=True, inline="always")
def _tensor_of(starts, r):
    """The tensor that chunk r belongs to: the last k with starts[k] ≤ r (an empty tensor has no chunk, so the
    next one with the same start wins)."""
    k = r * 0                      # an int64 from the start (a literal 0 here breaks compile_ptx without a GPU)
    for q in range(1, len(starts)):
        if starts[q] <= r:
            k = q
    return k


@jit
def _sgd(ps, gs, bufs, starts, chunks, eta, mu, damp, wd, use_wd, use_mu, nesterov, first_step):
    for r in range(cuda.blockIdx.x, chunks, cuda.gridDim.x):
        k = _tensor_of(starts, r)
        p = ps[k]
        g = gs[k]
        buf = bufs[k]
        lo = (r - starts[k]) * CHUNK
        for i in range(lo + cuda.threadIdx.x, min(lo + CHUNK, p.size), ROW_THREADS):
            d = g[i]
            if use_wd:
                d = d + wd * p[i]
            if use_mu:
                b = d if first_step else mu * buf[i] + damp * d
                buf[i] = b
                d = d + mu * b if nesterov else b
            p[i] = p[i] - eta * d


@jit
def _adam(ps, gs, ms, vs, starts, chunks, step_size, bc2_sqrt, b1, c1, b2, c2, e, wd, decay, use_wd, decoupled):
    for r in range(cuda.blockIdx.x, chunks, cuda.gridDim.x):
        k = _tensor_of(starts, r)
        p = ps[k]
        g = gs[k]
        m = ms[k]
        v = vs[k]
        lo = (r - starts[k]) * CHUNK
        for i in range(lo + cuda.threadIdx.x, min(lo + CHUNK, p.size), ROW_THREADS):
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
def _grad_norm(gs, starts, chunks, base, mode, ord, partials, final, max_norm, ticket, coef, norm):
    """partials[base + r] = chunk r's share (Σ a², Σ |a|^ord or the NaN-propagating max |a|, in float64); when
    ``final``, the last block to finish combines partials[0 : base + chunks] into coef = (‖g‖, τ/(‖g‖ + 1e-6))
    and norm[0] = ‖g‖ (in norm's dtype), and resets the ticket."""
    sh = cuda.shared.array(ROW_THREADS, float64)
    last = cuda.shared.array(1, int32)
    t = cuda.threadIdx.x
    is_max = mode == _ABS_MAX
    for r in range(cuda.blockIdx.x, chunks, cuda.gridDim.x):
        k = _tensor_of(starts, r)
        a = gs[k]
        lo = (r - starts[k]) * CHUNK
        s = 0.0
        for i in range(lo + t, min(lo + CHUNK, a.size), ROW_THREADS):
            x = float(a[i])
            if mode == _SQUARES:
                s += x * x
            elif mode == _ABS_POW:
                s += abs(x) ** ord
            else:
                x = abs(x)
                if not math.isnan(s) and (x > s or math.isnan(x)):
                    s = x
        if is_max:                 # the same branch for the whole block
            s = block_max_nan(sh, t, s)
        else:
            s = block_sum(sh, t, s)
        if t == 0:
            partials[base + r] = s
    if not final:
        return
    if t == 0:
        cuda.threadfence()         # this block's partials are visible before its ticket is counted
        last[0] = 1 if cuda.atomic.add(ticket, 0, 1) == cuda.gridDim.x - 1 else 0
    cuda.syncthreads()
    if last[0] == 0:
        return
    s = 0.0
    for i in range(t, base + chunks, ROW_THREADS):
        x = partials[i]
        if is_max:
            if not math.isnan(s) and (x > s or math.isnan(x)):
                s = x
        else:
            s += x
    if is_max:
        s = block_max_nan(sh, t, s)
    elif ord == 2.0:
        s = math.sqrt(block_sum(sh, t, s))
    else:
        s = block_sum(sh, t, s) ** (1.0 / ord)
    if t == 0:
        coef[0] = s
        coef[1] = max_norm / (s + 1e-6)
        norm[0] = s
        ticket[0] = 0


@jit
def _clip_scale(gs, starts, chunks, coef):
    c = coef[1]
    if c < 1.0 or math.isnan(c):   # the same branch for every thread
        for r in range(cuda.blockIdx.x, chunks, cuda.gridDim.x):
            k = _tensor_of(starts, r)
            a = gs[k]
            lo = (r - starts[k]) * CHUNK
            for i in range(lo + cuda.threadIdx.x, min(lo + CHUNK, a.size), ROW_THREADS):
                a[i] = a[i] * c


def _groups(*seqs):
    """The tensors of ``seqs`` (sequences of flat C-contiguous device arrays of one dtype and, index by index, one
    size; checked, as the kernels do not bounds-check) in launches of at most MANY: yields (tuples, starts,
    chunks) with each tensor's first chunk in ``starts``."""
    check(seqs, _is_c_contiguous)
    first = seqs[0]
    for lo in range(0, len(first), MANY):
        tuples = tuple(tuple(s[lo:lo + MANY]) for s in seqs)
        starts, n = [], 0
        for a in tuples[0]:
            starts.append(n)
            n += (a.size + CHUNK - 1) // CHUNK
        yield tuples, tuple(starts), n


def sgd_step_(ps, gs, bufs, lr, momentum, dampening, weight_decay, nesterov, first_step):
    """One SGD step in place (PyTorch's ``torch.optim.SGD``) of every parameter p in ``ps`` (with its gradient in
    ``gs`` and momentum buffer in ``bufs`` at the same index), per element:
    d ← g + wd·θ (L2 penalty, only when wd ≠ 0);
    with momentum μ ≠ 0: buf ← d on the first step, else buf ← μ·buf + (1 − dampening)·d; then
    d ← d + μ·buf (Nesterov) or d ← buf;
    θ ← θ − η·d (the lecture's θ_{t+1} = θ_t − η∇θL).
    ``bufs`` are read and written only when ``momentum`` ≠ 0 (pass any arrays of p's dtype otherwise, e.g.
    ``gs``); ``gs`` are never written."""
    if not ps:
        return
    dt = np.dtype(ps[0].dtype).type
    for (p, g, buf), starts, n in _groups(ps, gs, bufs):
        launch_rows(_sgd, n, p, g, buf, starts, n, dt(lr), dt(momentum), dt(1.0 - dampening), dt(weight_decay),
                    bool(weight_decay != 0.0), bool(momentum != 0.0), bool(nesterov), bool(first_step))


def adam_step_(ps, gs, ms, vs, lr, beta1, beta2, eps, weight_decay, step, decoupled):
    """One Adam (``decoupled`` False) or AdamW (``decoupled`` True) step in place, at step t = ``step`` ≥ 1, of
    every parameter θ in ``ps`` (gradient g in ``gs``, moments m in ``ms`` and v in ``vs`` at the same index):
    AdamW: θ ← θ·(1 − η·wd) first (decoupled weight decay); Adam: g ← g + wd·θ (L2 penalty);
    m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²  (the lecture's m_t, v_t);
    m̂ = m/(1 − β1ᵗ), v̂ = v/(1 − β2ᵗ) (bias correction);  θ ← θ − η·m̂/(√v̂ + ε),
    evaluated as PyTorch does: θ ← θ − (η/(1 − β1ᵗ))·(m/(√v/√(1 − β2ᵗ) + ε)). ``gs`` are never written."""
    if not ps:
        return
    dt = np.dtype(ps[0].dtype).type
    step_size = dt(lr / (1.0 - beta1 ** step))
    bc2_sqrt = dt(math.sqrt(1.0 - beta2 ** step))
    for (p, g, m, v), starts, n in _groups(ps, gs, ms, vs):
        launch_rows(_adam, n, p, g, m, v, starts, n, step_size, bc2_sqrt, dt(beta1), dt(1.0 - beta1), dt(beta2),
                    dt(1.0 - beta2), dt(eps), dt(weight_decay), dt(1.0 - lr * weight_decay),
                    bool(weight_decay != 0.0), bool(decoupled))


_ticket = []   # the one int32 counter of grad_norm's last-block detection (zero between launches)


def grad_norm(gs, ord, max_norm, coef, norm):
    """The clipping norm of the gradients ``gs`` (flat arrays of one dtype) taken together, on the device:
    coef[0] = ‖g‖ = √Σ_k Σ_i g_ki² (ord 2), max_k max_i |g_ki| (ord inf; NaN if any element is NaN),
    (Σ_k Σ_i |g_ki|^ord)^(1/ord) otherwise, accumulated in float64; coef[1] = τ/(‖g‖ + 1e-6) with τ = ``max_norm``
    (the lecture's g ← g·τ/‖g‖ if ‖g‖ > τ; PyTorch's 1e-6 guards the division); norm[0] = ‖g‖ rounded to
    norm's dtype. ``coef`` is float64 (2,), ``norm`` (1,). One launch per MANY gradients; nothing is copied to
    the host. Returns nothing."""
    ord = float(ord)
    mode = _SQUARES if ord == 2.0 else _ABS_MAX if ord == math.inf else _ABS_POW
    if not _ticket:
        _ticket.append(alloc(1, np.int32))
        zero_fill(_ticket[0])
    groups = list(_groups(gs or [alloc(0, norm.dtype)]))      # no gradient: one empty one, norm 0
    partials = alloc(max(1, sum(n for _, _, n in groups)), np.float64)
    base = 0
    for i, ((g,), starts, n) in enumerate(groups):
        final = i == len(groups) - 1
        launch_rows(_grad_norm, max(n, 1), g, starts, n, base, mode, ord, partials, final, float(max_norm),
                    _ticket[0], coef, norm)
        base += n


def clip_scale_(gs, coef):
    """Clipping's g ← g·c in place for every gradient in ``gs``, with c = coef[1] from ``grad_norm``
    (c = τ/(‖g‖ + 1e-6)) read by every thread from device memory, applied only when c < 1 (‖g‖ > τ) or c is NaN;
    the gradients are left untouched otherwise. The product runs in float64 and is rounded to the gradients'
    dtype, as in the CPU twin. Returns nothing."""
    for (g,), starts, n in _groups(gs):
        launch_rows(_clip_scale, n, g, starts, n, coef)


__all__ = ["sgd_step_", "adam_step_", "grad_norm", "clip_scale_"]
