"""Array primitives of the CUDA backend: allocation, copies, conversions between dtypes and to NumPy — the twins of
kernels/cpu/array.py (NumPy calls there), over Numba device arrays — and the strided index maps that the other array
families (``elementwise``, ``reduce``, ``shape``) build their kernels on.

Every array this backend returns is a C-contiguous device array. Operations that NumPy answers with a view
(``transpose``, ``broadcast_to``, basic slicing) materialise their result with a strided gather (``_gather``), so
kernels never see a strided array; ``reshape`` of a contiguous array is a view, as in NumPy. A Python scalar operand
becomes a one-element device array (filled by a kernel, not copied from the host) that broadcasts.

An operand is read through an index map out[i] → operand[Σ_d c_d·s_d] with the output coordinates c_d of i and the
operand's element strides s_d (0 along broadcast axes, ``_bstrides``); adjacent axes that are contiguous for every
operand are merged first (``_merge``), so the common same-shape case does one division per element (``_offsets``).
"""
import builtins
import math

import numpy as np
from numba import cuda

from ._launch import alloc, jit, launch, to_device, to_host, zero_fill

MAXD = 8  # most dimensions an element-wise operand may have after merging contiguous axes


# ----------------------------------------------------------------------------- helpers
def _is_dev(a):
    return hasattr(a, "copy_to_host")


def _flat(a):
    """The 1-D view of a C-contiguous device array."""
    return a if a.ndim == 1 else a.reshape(a.size)


def _prod(shape):
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _c_strides(shape):
    st, acc = [], 1
    for s in reversed(shape):
        st.append(acc)
        acc *= int(s)
    return tuple(reversed(st))


def _bstrides(shape, out_shape):
    """Element strides of a C-contiguous operand of ``shape`` read as broadcast to ``out_shape``."""
    pad = (1,) * (len(out_shape) - len(shape)) + tuple(shape)
    st = _c_strides(pad)
    return tuple(0 if p == 1 and o != 1 else s for p, o, s in zip(pad, out_shape, st))


def _merge(shape, strides_list):
    """Merge adjacent axes that every operand walks contiguously; drop length-1 axes. Returns (shape, strides)."""
    dims = [(s, [st[d] for st in strides_list]) for d, s in enumerate(shape) if s != 1]
    if not dims:
        return (1,), [(0,) for _ in strides_list]
    out = [list(dims[0][0:1]) + [list(dims[0][1])]]
    for s, sts in dims[1:]:
        ps, psts = out[-1][0], out[-1][1]
        if all(pst == st * s for pst, st in zip(psts, sts)):
            out[-1] = [ps * s, list(sts)]
        else:
            out.append([s, list(sts)])
    shp = tuple(int(d[0]) for d in out)
    return shp, [tuple(int(d[1][k]) for d in out) for k in range(len(strides_list))]


def _pad(t, fill):
    if len(t) > MAXD:
        raise ValueError(f"cuda: at most {MAXD} non-mergeable dimensions are supported, got {len(t)}")
    return tuple(t) + (fill,) * (MAXD - len(t))


def _operand(x, dtype):
    """A device array for an operand: device arrays as they are, scalars as a filled one-element array."""
    if _is_dev(x):
        return x
    return full((1,), x, dtype)


def _dtype_of(x):
    if _is_dev(x):
        return np.dtype(x.dtype)
    return x  # a Python or NumPy scalar: np.result_type applies NumPy's weak-scalar rules


def _shape_of(x):
    return tuple(x.shape) if _is_dev(x) else ()


def _broadcast_shapes(*shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"operands could not be broadcast together with shapes {' '.join(map(str, shapes))}") \
            from None



# ----------------------------------------------------------------------------- allocation and conversion
@jit
def _fill(out, v):
    """out[i] = v."""
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = v


@jit
def _cast(a, out):
    """out[i] = a[i] converted to out's dtype (float → int truncates toward zero)."""
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = a[i]


@cuda.jit(device=True, inline="always")
def _offsets(i, nd, shape, s1, s2):
    """(Σ_d c_d·s1_d, Σ_d c_d·s2_d) with c the coordinates of flat index i in ``shape`` (its first nd entries):
    where element i of a C-ordered array of that shape sits in two strided operands."""
    k1 = 0
    k2 = 0
    for d in range(nd - 1, -1, -1):
        c = i % shape[d]
        i //= shape[d]
        k1 += c * s1[d]
        k2 += c * s2[d]
    return k1, k2


@jit
def _gather(src, out, nd, shape, st, off):
    """out[i] = src[off + Σ_d c_d·st_d] with c the coordinates of i in ``shape`` (its first nd entries)."""
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        k, _ = _offsets(i, nd, shape, st, st)
        out[i] = src[off + k]


@jit
def _scatter(dst, val, nd, shape, st, off, vst):
    """dst[off + Σ_d c_d·st_d] = val[Σ_d c_d·vst_d] for every coordinate c of ``shape``."""
    n = 1
    for d in range(nd):
        n *= shape[d]
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        k, j = _offsets(i, nd, shape, st, vst)
        dst[off + k] = val[j]


def asarray(a):
    """A device array holding ``a``: a device array or an object exposing ``__cuda_array_interface__`` (CuPy,
    PyTorch, Numba) without a copy when C-contiguous; a host array or nested list copied to the device."""
    if _is_dev(a):
        return contiguous(a)
    if hasattr(a, "__cuda_array_interface__"):
        return contiguous(cuda.as_cuda_array(a))
    return to_device(np.asarray(a, order="C"))   # (np.ascontiguousarray would make a 0-d array 1-d)


def empty(shape, dtype=np.float64):
    """An uninitialised device array."""
    return alloc(_shape(shape), np.dtype(dtype))


def zeros(shape, dtype=np.float64):
    """A device array of zeros."""
    return full(shape, 0, dtype)


def full(shape, fill_value, dtype=None):
    """A device array of ``shape`` filled with the scalar ``fill_value`` (dtype: NumPy's for the value when None);
    a value whose bytes are all zero (0, +0.0, False) by the driver's memset instead of a kernel."""
    dt = np.dtype(dtype) if dtype is not None else np.asarray(fill_value).dtype
    out = alloc(_shape(shape), dt)
    value = dt.type(fill_value)
    if not any(value.tobytes()):
        zero_fill(out)
    else:
        launch(_fill, out.size, _flat(out), value)
    return out


@jit
def _arange(out, start, step):
    """out[i] = start + i·step."""
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = start + i * step


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values start + i·step for 0 ≤ i < ⌈(stop − start)/step⌉, as ``np.arange`` (dtype: NumPy's
    for the arguments when None), computed on the device."""
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("arange: step must not be zero")
    dt = np.dtype(dtype) if dtype is not None else np.result_type(start, stop, step)
    n = builtins.max(0, math.ceil((stop - start) / step))
    out = alloc(n, dt)
    kind = float if dt.kind == "f" else int
    launch(_arange, n, out, kind(start), kind(step))
    return out


def copy(a):
    """A new device array with a's values."""
    out = alloc(a.shape, a.dtype)
    if a.size:
        launch(_cast, a.size, _flat(contiguous(a)), _flat(out))
    return out


def contiguous(a):
    """``a`` as a C-contiguous device array (``a`` itself when it already is one)."""
    if a.is_c_contiguous():
        return a
    if a.size == 0:
        return alloc(a.shape, a.dtype)
    return to_device(np.asarray(to_host(a), order="C"))


def astype(a, dtype):
    """``a`` converted to ``dtype`` (a new array; float → int truncates toward zero, as NumPy)."""
    out = alloc(a.shape, np.dtype(dtype))
    launch(_cast, a.size, _flat(a), _flat(out))
    return out


def to_numpy(a):
    """The host NumPy array holding a's values (a device-to-host copy)."""
    return to_host(a)


def to_numpy_many(arrays):
    """The host NumPy arrays holding the values of each of ``arrays`` (device arrays of any dtypes) through one
    device-to-host copy: their bytes are gathered into one device buffer by device-to-device copies (no kernel
    launch), copied to the host once, and split there. A read that also delivers queued argument checks
    (``tinygradnb.device.read``) so waits for the GPU once."""
    arrays = [contiguous(a) for a in arrays]
    sizes = [a.size * a.dtype.itemsize for a in arrays]
    buf = alloc(builtins.sum(sizes), np.uint8)
    pos = 0
    for a, n in zip(arrays, sizes):
        if n:
            buf[pos:pos + n].copy_to_device(_flat(a).view(np.uint8))
        pos += n
    host = to_host(buf)
    out, pos = [], 0
    for a, n in zip(arrays, sizes):
        out.append(host[pos:pos + n].view(a.dtype).reshape(a.shape))
        pos += n
    return out


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


__all__ = ["asarray", "empty", "zeros", "full", "arange", "copy", "contiguous", "astype", "to_numpy", "to_numpy_many"]
