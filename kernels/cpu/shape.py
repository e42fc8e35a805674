"""Views, joins and indexing of the CPU backend: reshape, transpose, broadcast, concatenate, NumPy's basic and
advanced indexing, the scatter-add of a gather, and the range check of index arrays. NumPy calls (views where
NumPy makes them) but for ``index_stats``; the CUDA twins are in ``kernels/cuda/shape.py``.
"""
import sys

import numpy as np
from numba import njit


def reshape(a, shape):
    """out = ``a`` viewed with ``shape`` (a copy only when the strides do not allow a view), as ``np.reshape``;
    ``a`` itself when it already has that shape. The method call costs ~0.1 µs against ~0.5 µs for
    ``np.reshape``'s dispatch: ops reshape on every call."""
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
    """out[c_axes[0], …, c_axes[k]] = a[c_0, …, c_k]: the view of ``a`` with its axes permuted (reversed when
    ``axes`` is None), as ``np.transpose``."""
    return a.transpose(axes)


# out = a repeated along its length-1 (or missing leading) axes to ``shape`` (a read-only view); the arrays joined
# along ``axis``.
broadcast_to = np.broadcast_to
concatenate = np.concatenate


def getitem(a, key):
    """out = a[key] with NumPy's basic and advanced indexing; integers on every axis give a 0-d view (not a
    scalar)."""
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


__all__ = ["reshape", "is_view", "transpose", "broadcast_to", "concatenate", "getitem", "setitem", "index_add",
           "index_stats"]
