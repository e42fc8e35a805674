"""Reductions, scans and sorts of the CPU backend along axes: sum, max/min and their indices, cumulative sums and
products (and the gradient of a cumulative product), stable argsort. NumPy calls, with ``@njit`` kernels where
NumPy's answer is not PyTorch's (a float32 sum over a middle axis, cumprod's gradient at zeros). The CUDA twins are
in ``kernels/cuda/reduce.py``.
"""
import numpy as np
from numba import njit

from .. import formulas

# Reductions over ``axis`` (None, an int or a tuple of ints).
_F32 = np.dtype(np.float32)
_add_reduce = np.add.reduce


def _axes_of(axis, ndim):
    """``axis`` (an int or a tuple of ints, negative counting from the end) as a sorted tuple."""
    if type(axis) is int:
        return (axis % ndim,)
    return tuple(sorted(int(x) % ndim for x in axis))


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


@njit(cache=True)
def _sum_middle_f32(a3):
    """s[o, k] = Σ_i a3[o, i, k] for a C-contiguous float32 (outer, n, inner) array, accumulated in float64 (one
    accumulator per k, rows added in order: a contiguous, vectorisable loop) and rounded once to float32."""
    outer, n, inner = a3.shape
    out = np.empty((outer, inner), np.float32)
    acc = np.empty(inner, np.float64)
    for o in range(outer):
        acc[:] = 0.0
        for i in range(n):
            row = a3[o, i]
            for k in range(inner):
                acc[k] += row[k]
        for k in range(inner):
            out[o, k] = acc[k]
    return out


def sum(a, axis=None, keepdims=False):
    """s = Σ_axis a. float32 sums are accurate along any axis (as PyTorch's cascade sum): NumPy's pairwise sum
    where the summed elements are contiguous (the trailing axes of a C-contiguous array, or all of them);
    ``_sum_middle_f32`` (float64 accumulators) for a C-contiguous array summed over a block of axes followed by
    kept ones, where NumPy's float32 sum is naive and errs ~ n·ε; a float64-accumulated NumPy sum otherwise.
    float64: NumPy's sum; integers and bools: exact, in int64."""
    if a.dtype.kind != "f":
        return np.asarray(np.sum(a, axis=axis, keepdims=keepdims))
    if a.dtype != _F32 or a.ndim < 2:
        return np.asarray(_add_reduce(a, axis=axis, keepdims=keepdims))
    c = a.flags.c_contiguous
    if axis is None:
        if c:
            return np.asarray(_add_reduce(a, axis=None, keepdims=keepdims))
        return np.asarray(_add_reduce(a, axis=None, keepdims=keepdims, dtype=np.float64).astype(_F32))
    axes = _axes_of(axis, a.ndim)
    if not axes:
        return a.copy()
    p, q = axes[0], axes[-1] + 1
    if c and q - p == len(axes):
        if q == a.ndim or not a.size:    # the summed elements are contiguous: pairwise
            return np.asarray(_add_reduce(a, axis=axes, keepdims=keepdims))
        shape = a.shape
        out = _sum_middle_f32(a.reshape(_prod(shape[:p]), _prod(shape[p:q]), _prod(shape[q:])))
        return out.reshape(shape[:p] + (1,) * len(axes) + shape[q:] if keepdims else shape[:p] + shape[q:])
    return np.asarray(_add_reduce(a, axis=axes, keepdims=keepdims, dtype=np.float64).astype(_F32))


def max(a, axis=None, keepdims=False):
    """m = max_axis a (NaN propagating, as PyTorch's amax)."""
    return np.asarray(np.max(a, axis=axis, keepdims=keepdims))


def min(a, axis=None, keepdims=False):
    """m = min_axis a (NaN propagating, as PyTorch's amin)."""
    return np.asarray(np.min(a, axis=axis, keepdims=keepdims))


def argmax(a, axis=None, keepdims=False):
    """i = argmax_axis a (the first maximum; a NaN counts as the maximum, as PyTorch)."""
    return np.asarray(np.argmax(a, axis=axis, keepdims=keepdims))


def argmin(a, axis=None, keepdims=False):
    """i = argmin_axis a (the first minimum; a NaN counts as the minimum, as PyTorch)."""
    return np.asarray(np.argmin(a, axis=axis, keepdims=keepdims))


def max_argmax(a, axis):
    """(m, i) along the one axis ``axis``, both with that axis kept (length 1): i = the first index of the maximum
    (a NaN counting as the maximum, so m is then NaN) and m = a[i] (torch.max(a, dim))."""
    i = np.argmax(a, axis=axis, keepdims=True)
    return np.take_along_axis(a, i, axis), i


def min_argmin(a, axis):
    """(m, i) along the one axis ``axis``, both with that axis kept: the first minimum (or NaN) and its index
    (torch.min(a, dim))."""
    i = np.argmin(a, axis=axis, keepdims=True)
    return np.take_along_axis(a, i, axis), i


# Scans and sorts along one axis (cumsum, cumprod and its gradient, sort/argsort/topk); the CUDA twins walk each
# line of the (outer, n, inner) layout.
def _lines3(a, axis):
    """``a`` as a C-contiguous (outer, n, inner) array with ``axis`` in the middle."""
    shape = a.shape
    outer = _prod(shape[:axis])
    inner = _prod(shape[axis + 1:])
    return np.ascontiguousarray(a).reshape(outer, shape[axis], inner)


def cumsum(a, axis, reverse):
    """out_i = Σ_{j ≤ i} a_j along ``axis`` (Σ_{j ≥ i} when ``reverse``: the gradient of a cumulative sum), in a's
    dtype, sequentially from the line's start (``np.cumsum``)."""
    if reverse:
        return np.ascontiguousarray(np.flip(np.cumsum(np.flip(a, axis), axis=axis), axis))
    return np.cumsum(a, axis=axis)


def cumprod(a, axis):
    """out_i = Π_{j ≤ i} a_j along ``axis``, in a's dtype (``np.cumprod``)."""
    return np.cumprod(a, axis=axis)


@njit(cache=True)
def _cumprod_backward3(x, y, g, out):
    """``formulas.cumprod_backward_line`` on every line (o, :, r) of the (outer, n, inner) arrays."""
    outer, n, inner = x.shape
    for o in range(outer):
        for r in range(inner):
            formulas.cumprod_backward_line(x, y, g, out, o, r)


def cumprod_backward(x, y, g, axis):
    """dx_i = Σ_{j ≥ i} g_j·∂y_j/∂x_i for y = cumprod(x) along ``axis``, per line with z its first zero:
    (Σ_{j ≥ i} g_j y_j)/x_i for i < z; Σ_{j ≥ z} g_j·Π_{k ≤ j, k ≠ z} x_k for i = z; 0 for i > z (PyTorch's
    cumprod_backward, exact at zeros). x, y, g: one float shape."""
    out = np.empty(x.shape, x.dtype)
    if x.size:
        x3 = _lines3(x, axis)
        _cumprod_backward3(x3, _lines3(y, axis), _lines3(g, axis), out.reshape(x3.shape))
    return out


def argsort(a, axis, descending):
    """i = the int64 indices with a[i_0] ≤ a[i_1] ≤ … along ``axis`` (≥ when ``descending``), stable (equal
    elements keep their order), NaN ordered above every number (last ascending, first descending), as
    ``torch.sort(stable=True)``."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    idx = np.argsort(np.flip(a, axis), axis=axis, kind="stable")    # reversed: ties in decreasing position ...
    return np.ascontiguousarray(np.flip(n - 1 - idx, axis))          # ... flipped back: in increasing position


__all__ = ["sum", "max", "min", "argmax", "argmin", "max_argmax", "min_argmin", "cumsum", "cumprod",
           "cumprod_backward", "argsort"]
