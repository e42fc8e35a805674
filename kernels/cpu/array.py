"""Array primitives of the CPU backend: allocation, element-wise math, reductions, views and indexing.

These are the operations without a Numba kernel of their own; on the CPU they are NumPy calls (NumPy's
vectorised loops are what a hand-written ``@njit`` loop would compile to). A GPU backend provides the same names.
Every function takes and returns plain arrays; none of them knows about Tensor or autograd.
"""
import builtins
import sys

import numpy as np
from numba import njit

from .. import formulas
from ._map import map_

# Allocation and conversion.
asarray = np.asarray
empty = np.empty
zeros = np.zeros
full = np.full
arange = np.arange
copy = np.copy


def contiguous(a):
    """``a`` in C order: ``a`` itself when it is (a 0-d array stays 0-d, where ``np.ascontiguousarray`` makes it
    1-D), else a C-ordered copy."""
    return a if isinstance(a, np.ndarray) and a.flags.c_contiguous else np.ascontiguousarray(a)


def astype(a, dtype):
    """``a`` converted to ``dtype`` (a new array)."""
    return a.astype(dtype)


def to_numpy(a):
    """The host NumPy array holding ``a``'s values (``a`` itself on the CPU)."""
    return a


# Element-wise math: out = f(a, b) with NumPy broadcasting.
add = np.add
subtract = np.subtract
multiply = np.multiply
divide = np.true_divide
power = np.power
negative = np.negative
exp = np.exp
log = np.log
sqrt = np.sqrt
abs = np.abs
sin = np.sin
cos = np.cos
tan = np.tan
floor = np.floor
ceil = np.ceil
trunc = np.trunc
log2 = np.log2
log1p = np.log1p
exp2 = np.exp2
expm1 = np.expm1
square = np.square
maximum = np.maximum
minimum = np.minimum
clip = np.clip


def rsqrt(a):
    """out = 1/√x (inf at +0, −inf at −0, NaN below 0); integer inputs give float64."""
    return np.divide(1.0, np.sqrt(a))


def reciprocal(a):
    """out = 1/x (±inf at ±0); integer inputs give float64 (``np.reciprocal`` would divide integers)."""
    return np.divide(1.0, a)


def round(a, decimals=0):
    """out = x rounded to ``decimals`` decimal places, halves to even (PyTorch's round): rint(x) for 0,
    rint(x · 10^d)/10^d for d > 0, rint(x / 10^(−d)) · 10^(−d) for d < 0, in a's float dtype (10^d rounded to
    it, as PyTorch's opmath)."""
    if decimals == 0:
        return np.rint(a)
    dt = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
    with np.errstate(over="ignore"):
        p = dt.type(np.float64(10.0) ** builtins.abs(int(decimals)))
    a = a.astype(dt, copy=False)
    return np.rint(a / p) * p if decimals < 0 else np.rint(a * p) / p


@njit(cache=True)
def _sign_flat(x):
    """sign of every element of a 1-D array (``formulas.sign``), in its dtype."""
    return map_(formulas.sign, x)


def sign(a):
    """out = sign(x) = [x > 0] − [x < 0] ∈ {−1, 0, 1}, in a's dtype: 0 at NaN and +0 at −0 (PyTorch's sign;
    ``np.sign`` keeps NaN)."""
    a = np.asarray(a)
    return _sign_flat(contiguous(a).reshape(-1)).reshape(a.shape)
where = np.where
greater = np.greater
greater_equal = np.greater_equal
less = np.less
less_equal = np.less_equal
equal = np.equal
not_equal = np.not_equal
logical_not = np.logical_not


# Reductions over ``axis`` (None, an int or a tuple of ints).
_F32 = np.dtype(np.float32)
_add_reduce = np.add.reduce


def _axes_of(axis, ndim):
    """``axis`` (an int or a tuple of ints, negative counting from the end) as a sorted tuple."""
    if type(axis) is int:
        return (axis % ndim,)
    return tuple(sorted(int(x) % ndim for x in axis))


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


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


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


# Views, joins and indexing.
def reshape(a, shape):
    """``a`` viewed with ``shape`` (a copy only when the strides do not allow a view), as ``np.reshape``; ``a``
    itself when it already has that shape. The method call costs ~0.1 µs against ~0.5 µs for ``np.reshape``'s
    dispatch: ops reshape on every call."""
    return a if a.shape == shape else a.reshape(shape)


def is_view(a):
    """True when another live array may see ``a``'s memory: ``a`` is a slice, reshape or transpose of an array
    that something besides ``a`` still references, or is read-only (a broadcast). A kernel's fresh output, or a
    reshape of one that nothing else holds, is not a view; autograd hands such an array to a leaf's ``.grad``
    without a copy. (NumPy points a
    view's ``base`` at the array owning the memory; a reference count of 3 is ``a.base``, the local name and
    the call's argument.)"""
    base = a.base
    return not a.flags.writeable or (isinstance(base, np.ndarray) and sys.getrefcount(base) > 3)


def transpose(a, axes=None):
    """The view of ``a`` with its axes permuted (reversed when ``axes`` is None), as ``np.transpose``."""
    return a.transpose(axes)


broadcast_to = np.broadcast_to
concatenate = np.concatenate


def getitem(a, key):
    """a[key] with NumPy's basic and advanced indexing; integers on every axis give a 0-d view (not a scalar)."""
    out = a[key]
    if type(out) is np.ndarray:
        return out
    key = key if type(key) is tuple else (key,)
    return a[tuple(k for k in key if k is not Ellipsis) + (Ellipsis,)]


def setitem(a, key, value):
    """a[key] = value, in place."""
    a[key] = value


def index_add(shape, key, values, dtype):
    """out = zeros(shape); out[key] += values, repeated indices accumulating (the scatter-add of a gather)."""
    out = np.zeros(shape, dtype)
    np.add.at(out, key, values)
    return out


# Index validation.
_I64_MAX = np.int64(np.iinfo(np.int64).max)
_I64_MIN = np.int64(np.iinfo(np.int64).min)


@njit(cache=True)
def index_stats(a, skip, has_skip):
    """(lo, hi, n) = (min a_i, max a_i, #{i}) over the elements of the 1-D int64 array ``a`` other than ``skip``
    (over all of them when ``has_skip`` is False), as an int64 array of 3: what an index check compares with
    [0, V) and the number of counted elements (a mean loss's non-ignored targets). An empty selection gives
    (INT64_MAX, INT64_MIN, 0), which passes any range check."""
    lo = _I64_MAX
    hi = _I64_MIN
    n = 0
    for i in range(a.size):
        v = a[i]
        if has_skip and v == skip:
            continue
        lo = v if v < lo else lo
        hi = v if v > hi else hi
        n += 1
    out = np.empty(3, np.int64)
    out[0] = lo
    out[1] = hi
    out[2] = n
    return out


__all__ = [name for name in dir() if not name.startswith("_") and name not in ("np", "sys", "njit", "builtins",
                                                                              "formulas", "map_")]


# Scans and sorts along one axis (cumsum, cumprod and its gradient, sort/argsort/topk); the CUDA twins walk each
# line of the (outer, n, inner) layout sequentially.
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
    outer, n, inner = x.shape
    for o in range(outer):
        for r in range(inner):
            z = n
            for k in range(n):
                if x[o, k, r] == 0:
                    z = k
                    break
            for i in range(z + 1, n):
                out[o, i, r] = 0
            acc = 0.0
            for i in range(z - 1, -1, -1):
                acc += g[o, i, r] * y[o, i, r]
                out[o, i, r] = acc / x[o, i, r]
            if z < n:
                p = 1.0 if z == 0 else y[o, z - 1, r]
                s = g[o, z, r] * p
                for j in range(z + 1, n):
                    p *= x[o, j, r]
                    s += g[o, j, r] * p
                out[o, z, r] = s


def cumprod_backward(x, y, g, axis):
    """dx_i = Σ_{j ≥ i} g_j·∂y_j/∂x_i for y = cumprod(x) along ``axis``, per line with z its first zero:
    (Σ_{j ≥ i} g_j y_j)/x_i for i < z; Σ_{j ≥ z} g_j·Π_{k ≤ j, k ≠ z} x_k for i = z; 0 for i > z (PyTorch's
    cumprod_backward, exact at zeros). x, y, g: one float shape."""
    out = np.empty(x.shape, x.dtype)
    if x.size:
        _cumprod_backward3(_lines3(x, axis), _lines3(y, axis), _lines3(g, axis), out.reshape(_lines3(x, axis).shape))
    return out


def argsort(a, axis, descending):
    """The int64 indices that sort ``a`` along ``axis``, stable (equal elements keep their order), NaN ordered
    above every number (last ascending, first descending), as ``torch.sort(stable=True)``."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    idx = np.argsort(np.flip(a, axis), axis=axis, kind="stable")    # reversed: ties in decreasing position ...
    return np.ascontiguousarray(np.flip(n - 1 - idx, axis))          # ... flipped back: in increasing position


__all__ += ["cumsum", "cumprod", "cumprod_backward", "argsort"]
