"""Optimizer kernels: fused in-place SGD and Adam/AdamW updates, and the norms and scaling of gradient clipping.

An update is the one place where in-place is the semantics: each ``*_`` kernel overwrites the parameter and its
optimizer state (momentum buffer, moments) and returns nothing; the gradient is only read. Every array argument
is a flat (1-D) C-contiguous view of one parameter, its gradient or one of its state arrays, all of one dtype
(float32 or float64; compiled lazily for each). Arithmetic runs in the arrays' dtype, as PyTorch's does:
hyper-parameters (Python scalars) are rounded to it once per call, so a float32 loop stays in float32 and
vectorises (a float64 per-element update ran 16x slower). The update kernels compile with
``error_model="numpy"`` (a division by zero gives inf/NaN as in NumPy and PyTorch, instead of a Python exception
check in every iteration, which stops the loop from vectorising).

Gradient clipping is three kernels that pass their results through small float64 arrays rather than returning
them, so that the GPU twin never copies a value to the host: ``grad_norm_partial`` reduces each gradient into one
entry of a partials array (in float64, whatever the gradient's dtype), ``clip_coef`` combines the partials into
the total norm and the clipping factor, and ``clip_scale_`` scales each gradient by that factor when it is below 1.

The lecture's equations: the gradient step θ ← θ − η∇θL (SGD on a mini-batch), Adam's
m_t = β1·m_{t−1} + (1 − β1)·g_t, v_t = β2·v_{t−1} + (1 − β2)·g_t², θ ← θ − η·m_t/(√v_t + ε) (here with
PyTorch's bias correction), the L2 penalty L' = L + λ‖θ‖² (whose gradient 2λθ is the ``weight_decay``·θ term,
weight_decay = 2λ) and clipping g ← g·τ/‖g‖ when ‖g‖ > τ.

Serial loops: these updates are memory-bound, a ``prange`` launch costs about 2 µs per call, and the machines
this backend targets have few cores; a parallel variant can be added behind a size threshold if a benchmark
shows it paying.
"""
import math

from numba import njit


@njit(cache=True, error_model="numpy")
def sgd_step_(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, first_step):
    """One SGD step in place (PyTorch's ``torch.optim.SGD``), per element:
    d ← g + wd·θ (L2 penalty, only when wd ≠ 0);
    with momentum μ ≠ 0: buf ← d on the first step, else buf ← μ·buf + (1 − dampening)·d; then
    d ← d + μ·buf (Nesterov) or d ← buf;
    θ ← θ − η·d (the lecture's θ_{t+1} = θ_t − η∇θL).
    ``buf`` is read and written only when ``momentum`` ≠ 0 (pass any array of p's dtype otherwise); ``g`` is
    never written."""
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
def adam_step_(p, g, m, v, lr, beta1, beta2, eps, weight_decay, step, decoupled):
    """One Adam (``decoupled`` False) or AdamW (``decoupled`` True) step in place, at step t = ``step`` ≥ 1:
    AdamW: θ ← θ·(1 − η·wd) first (decoupled weight decay); Adam: g ← g + wd·θ (L2 penalty);
    m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²  (the lecture's m_t, v_t);
    m̂ = m/(1 − β1ᵗ), v̂ = v/(1 − β2ᵗ) (bias correction);  θ ← θ − η·m̂/(√v̂ + ε),
    evaluated as PyTorch does: θ ← θ − (η/(1 − β1ᵗ))·(m/(√v/√(1 − β2ᵗ) + ε)). ``g`` is never written."""
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
def grad_norm_partial(a, ord, out, k):
    """out[k] ← one gradient's share of the clipping norm, accumulated in float64 (``out`` a float64 array):
    Σ_i a_i² for ord 2 (‖a‖₂², for ‖g‖₂ = √Σ_k ‖g_k‖₂²), max_i |a_i| for ord inf (‖a‖_∞, for ‖g‖_∞ = max_k ‖g_k‖_∞;
    0 for an empty array, NaN if any element is NaN), Σ_i |a_i|^ord otherwise (‖a‖_p^p, for
    ‖g‖_p = (Σ_k Σ_i |g_ki|^p)^(1/p)). The sum of squares runs four interleaved accumulators (a fixed order, so
    the result is deterministic), which lets the loop pipeline. Returns nothing."""
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
def clip_coef(partials, ord, max_norm, out):
    """The total norm and the clipping factor from the per-gradient ``grad_norm_partial`` values (float64 (n,)),
    into ``out`` (float64 (2,)): out[0] = ‖g‖ = √Σ_k partials_k (ord 2), max_k partials_k (ord inf; NaN if any
    is NaN), (Σ_k partials_k)^(1/ord) otherwise; out[1] = τ/(‖g‖ + 1e-6) with τ = ``max_norm`` (the lecture's
    g ← g·τ/‖g‖ if ‖g‖ > τ; PyTorch's 1e-6 guards the division). Returns nothing."""
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
def clip_scale_(a, coef):
    """Clipping's g ← g·c in place, with c = coef[1] from ``clip_coef`` (c = τ/(‖g‖ + 1e-6)), applied only when
    c < 1 (‖g‖ > τ) or c is NaN (a NaN norm poisons the gradients, as in PyTorch); ``a`` is left untouched
    otherwise. The product runs in float64 and is rounded to a's dtype. Returns nothing."""
    c = coef[1]
    if c < 1.0 or math.isnan(c):
        for i in range(a.size):
            a[i] = a[i] * c


__all__ = ["sgd_step_", "adam_step_", "grad_norm_partial", "clip_coef", "clip_scale_"]
