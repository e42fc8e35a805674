"""Optimizer kernels: fused in-place SGD and Adam/AdamW updates, and the norms and scaling of gradient clipping.

An update is the one place where in-place is the semantics: each ``*_`` kernel overwrites the parameter and its
optimizer state (momentum buffer, moments) and returns nothing; the gradient is only read. Every array argument
is a flat (1-D) C-contiguous view of one parameter, its gradient or one of its state arrays, all of one dtype
(float32 or float64; compiled lazily for each). Arithmetic runs in the arrays' dtype, as PyTorch's does:
hyper-parameters (Python scalars) are rounded to it once per call, so a float32 loop stays in float32 and
vectorises (a float64 per-element update ran 16x slower). The update kernels compile with
``error_model="numpy"`` (a division by zero gives inf/NaN as in NumPy and PyTorch, instead of a Python exception
check in every iteration, which stops the loop from vectorising).

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
def sum_squares(a):
    """Σ_i a_i², accumulated in float64 (‖a‖₂² for the clipping norm ‖g‖ = √Σ_k ‖g_k‖₂²). Returns a float.
    Four interleaved accumulators (a fixed order, so the result is deterministic) let the loop pipeline."""
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    n = a.size
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
    return (s0 + s1) + (s2 + s3)


@njit(cache=True)
def sum_abs_pow(a, ord):
    """Σ_i |a_i|^ord in float64 (‖a‖_ord^ord, for a p-norm ‖g‖_p = (Σ_k Σ_i |g_ki|^p)^(1/p)). Returns a float."""
    s = 0.0
    for i in range(a.size):
        s += abs(a[i] + 0.0) ** ord
    return s


@njit(cache=True)
def max_abs(a):
    """max_i |a_i| in float64 (‖a‖_∞; 0 for an empty array, NaN if any element is NaN). Returns a float."""
    s = 0.0
    for i in range(a.size):
        x = abs(a[i] + 0.0)
        if x > s or x != x:
            s = x
            if x != x:
                return x
    return s


@njit(cache=True)
def scale_(a, c):
    """a ← c·a in place (clipping's g ← g·τ/‖g‖)."""
    for i in range(a.size):
        a[i] = a[i] * c


__all__ = ["sgd_step_", "adam_step_", "sum_squares", "sum_abs_pow", "max_abs", "scale_"]
