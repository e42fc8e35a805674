"""Array primitives of the CPU backend: allocation, element-wise math, reductions, views and indexing.

These are the operations without a Numba kernel of their own; on the CPU they are NumPy calls (NumPy's
vectorised loops are what a hand-written ``@njit`` loop would compile to). A GPU backend provides the same names.
Every function takes and returns plain arrays; none of them knows about Tensor or autograd.
"""
import sys

import numpy as np
from numba import njit

# Allocation and conversion.
asarray = np.asarray
empty = np.empty
zeros = np.zeros
full = np.full
arange = np.arange
copy = np.copy
contiguous = np.ascontiguousarray


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
sign = np.sign
maximum = np.maximum
minimum = np.minimum
clip = np.clip
where = np.where
greater = np.greater
greater_equal = np.greater_equal
less = np.less
less_equal = np.less_equal
equal = np.equal
not_equal = np.not_equal
logical_not = np.logical_not


# Reductions over ``axis`` (None, an int or a tuple of ints).
def sum(a, axis=None, keepdims=False):
    """s = Σ_axis a."""
    return np.sum(a, axis=axis, keepdims=keepdims)


def max(a, axis=None, keepdims=False):
    """m = max_axis a."""
    return np.max(a, axis=axis, keepdims=keepdims)


def min(a, axis=None, keepdims=False):
    """m = min_axis a."""
    return np.min(a, axis=axis, keepdims=keepdims)


def argmax(a, axis=None, keepdims=False):
    """i = argmax_axis a (first maximum)."""
    return np.argmax(a, axis=axis, keepdims=keepdims)


def argmin(a, axis=None, keepdims=False):
    """i = argmin_axis a (first minimum)."""
    return np.argmin(a, axis=axis, keepdims=keepdims)


# Views, joins and indexing.
def reshape(a, shape):
    """``a`` viewed with ``shape`` (a copy only when the strides do not allow a view), as ``np.reshape``; ``a``
    itself when it already has that shape. The method call costs ~0.1 µs against ~0.5 µs for ``np.reshape``'s
    dispatch: ops reshape on every call."""
    return a if a.shape == shape else a.reshape(shape)


def is_view(a):
    """True when another live array may see ``a``'s memory: ``a`` is a slice, reshape or transpose of an array
    that something besides ``a`` still references, or is read-only (a broadcast). A kernel's fresh output, or a reshape of one that nothing
    else holds, is not a view; autograd hands such an array to a leaf's ``.grad`` without a copy. (NumPy points a
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
    """a[key] with NumPy's basic and advanced indexing."""
    return a[key]


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


__all__ = [name for name in dir() if not name.startswith("_") and name not in ("np", "sys", "njit")]
