"""The CPU's generic element-wise launchers (not exported through the backend namespace): ``map_`` applies a scalar
formula of ``kernels/formulas.py`` to every element of one array, ``zip_`` to the elements of two arrays side by
side, as MiniTorch's ``tensor_map`` / ``tensor_zip`` do.

Each launcher is an inline-always ``@njit`` function that takes the formula as its first argument, then the
arrays, then the formula's scalar parameters (``map_``/``zip_`` for none, ``map1``/``zip1`` for one, …
``map3``/``zip3``: Numba's inliner takes neither ``*args`` nor a call with ``*tuple``, so there is one launcher per
count). A kernel written as

    @njit(cache=True)
    def elu_forward(x, alpha, scale, input_scale):
        return map3(formulas.elu, x, alpha, scale, input_scale)

inlines the loop and the formula at Numba's IR level, so the kernel compiles to one loop over the array with the
formula in its body (vectorised by LLVM where the formula allows), is typed by its arrays and scalars only, and is
cached on disk like any other ``cache=True`` kernel. The arrays are 1-D and C-contiguous (the op layer flattens
N-D tensors) and of one length; the output has the dtype of the first array (``map``) or of the second (``zip``:
backward kernels zip the saved input or output with the upstream gradient), the formula's value rounded to it.
"""
import numpy as np
from numba import njit


@njit(inline="always")
def map_(fn, x):
    """out[i] = fn(x[i]) for a 1-D array x (out in x's dtype)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = fn(x[i])
    return out


@njit(inline="always")
def map1(fn, x, a):
    """out[i] = fn(x[i], a)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = fn(x[i], a)
    return out


@njit(inline="always")
def map2(fn, x, a, b):
    """out[i] = fn(x[i], a, b)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = fn(x[i], a, b)
    return out


@njit(inline="always")
def map3(fn, x, a, b, c):
    """out[i] = fn(x[i], a, b, c)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = fn(x[i], a, b, c)
    return out


@njit(inline="always")
def zip_(fn, x, y):
    """out[i] = fn(x[i], y[i]) for 1-D arrays x, y of one length (out in y's dtype: backward kernels zip the saved
    input or output x with the upstream gradient y)."""
    out = np.empty_like(y)
    for i in range(x.size):
        out[i] = fn(x[i], y[i])
    return out


@njit(inline="always")
def zip1(fn, x, y, a):
    """out[i] = fn(x[i], y[i], a)."""
    out = np.empty_like(y)
    for i in range(x.size):
        out[i] = fn(x[i], y[i], a)
    return out


@njit(inline="always")
def zip2(fn, x, y, a, b):
    """out[i] = fn(x[i], y[i], a, b)."""
    out = np.empty_like(y)
    for i in range(x.size):
        out[i] = fn(x[i], y[i], a, b)
    return out


@njit(inline="always")
def zip3(fn, x, y, a, b, c):
    """out[i] = fn(x[i], y[i], a, b, c)."""
    out = np.empty_like(y)
    for i in range(x.size):
        out[i] = fn(x[i], y[i], a, b, c)
    return out
