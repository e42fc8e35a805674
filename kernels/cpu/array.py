"""Array primitives of the CPU backend: allocation, copies, conversions between dtypes and to NumPy.

The array families of this backend are this module, ``elementwise`` (element-wise math), ``reduce`` (reductions,
scans and sorts along axes) and ``shape`` (views, joins and indexing). Their operations have no Numba kernel of
their own where NumPy has one; on the CPU they are NumPy calls (NumPy's vectorised loops are what a hand-written
``@njit`` loop would compile to). The CUDA backend provides the same names. Every function takes and returns plain
arrays; none of them knows about Tensor or autograd.
"""
import numpy as np

# Allocation: out = a as an array (asarray), uninitialised (empty), 0 (zeros), v (full), start + i·step (arange),
# a's values in new memory (copy).
asarray = np.asarray
empty = np.empty
zeros = np.zeros
full = np.full
arange = np.arange
copy = np.copy


def contiguous(a):
    """out = a in C order: ``a`` itself when it is (a 0-d array stays 0-d, where ``np.ascontiguousarray`` makes it
    1-D), else a C-ordered copy."""
    return a if isinstance(a, np.ndarray) and a.flags.c_contiguous else np.ascontiguousarray(a)


def astype(a, dtype):
    """out = dtype(a), element by element (a new array; float → int truncates toward zero)."""
    return a.astype(dtype)


def to_numpy(a):
    """The host NumPy array holding ``a``'s values (``a`` itself on the CPU)."""
    return a


def to_numpy_many(arrays):
    """The host NumPy arrays holding the values of each of ``arrays`` (the arrays themselves on the CPU)."""
    return list(arrays)


__all__ = ["asarray", "empty", "zeros", "full", "arange", "copy", "contiguous", "astype", "to_numpy", "to_numpy_many"]
