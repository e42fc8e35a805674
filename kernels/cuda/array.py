"""Array primitives of the CUDA backend: allocation, element-wise math with NumPy broadcasting, reductions along
axes, views, joins and indexing — the twins of kernels/cpu/array.py (NumPy calls there), over Numba device arrays.

Every array this backend returns is a C-contiguous device array. Operations that NumPy answers with a view
(``transpose``, ``broadcast_to``, basic slicing) materialise their result with a strided gather, so kernels never
see a strided array; ``reshape`` of a contiguous array is a view, as in NumPy. A Python scalar operand becomes a
one-element device array (filled by a kernel, not copied from the host) that broadcasts.

Kernels: element-wise ops are one thread per output element (grid-stride). Each operand is read through an index map
out[i] → operand[Σ_d c_d·s_d] with the output coordinates c_d of i and the operand's element strides s_d (0 along
broadcast axes); adjacent axes that are contiguous for every operand are merged first, so the common same-shape case
does one division per element. Reductions move the reduced axes last (a gather when needed) and reduce each row in
one block: a shared-memory tree sum in float64 (int64 for integers and bools; ``_launch.block_sum``), a tree max/min
that propagates NaN, an arg-max/min that keeps the first extreme index (NaN counting as the extreme, as NumPy).
Advanced indexing with integer arrays is resolved on the device into flat element indices (NumPy's semantics:
index arrays broadcast together, their axes stay in place when the advanced indices are adjacent and go first
otherwise, negative indices wrap; the caller checks the range), then gathered, set, or scatter-added with atomics
for ``index_add``. A bool mask's selection size depends on its values, so a key with a mask is resolved on the
host (PyTorch waits for the GPU there too).
"""
import builtins
import math
import operator

import numpy as np
from numba import cuda, float64, int64

from .. import formulas as _f
from ._launch import ROW_THREADS, block_max, block_sum, jit, launch, launch_rows, map_kernel, run_map

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
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = v


@jit
def _cast(a, out):
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
    return cuda.to_device(np.asarray(a, order="C"))   # (np.ascontiguousarray would make a 0-d array 1-d)


def empty(shape, dtype=np.float64):
    """An uninitialised device array."""
    return cuda.device_array(_shape(shape), np.dtype(dtype))


def zeros(shape, dtype=np.float64):
    """A device array of zeros."""
    return full(shape, 0, dtype)


def full(shape, fill_value, dtype=None):
    """A device array of ``shape`` filled with the scalar ``fill_value`` (dtype: NumPy's for the value when None)."""
    dt = np.dtype(dtype) if dtype is not None else np.asarray(fill_value).dtype
    out = cuda.device_array(_shape(shape), dt)
    launch(_fill, out.size, _flat(out), dt.type(fill_value))
    return out


@jit
def _arange(out, start, step):
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
    out = cuda.device_array(n, dt)
    kind = float if dt.kind == "f" else int
    launch(_arange, n, out, kind(start), kind(step))
    return out


def copy(a):
    """A new device array with a's values."""
    out = cuda.device_array(a.shape, a.dtype)
    if a.size:
        launch(_cast, a.size, _flat(contiguous(a)), _flat(out))
    return out


def contiguous(a):
    """``a`` as a C-contiguous device array (``a`` itself when it already is one)."""
    if a.is_c_contiguous():
        return a
    if a.size == 0:
        return cuda.device_array(a.shape, a.dtype)
    return cuda.to_device(np.asarray(a.copy_to_host(), order="C"))


def astype(a, dtype):
    """``a`` converted to ``dtype`` (a new array; float → int truncates toward zero, as NumPy)."""
    out = cuda.device_array(a.shape, np.dtype(dtype))
    launch(_cast, a.size, _flat(a), _flat(out))
    return out


def to_numpy(a):
    """The host NumPy array holding a's values (a device-to-host copy)."""
    return a.copy_to_host()


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


# ----------------------------------------------------------------------------- element-wise math
_BINARY = {}


def _make_binary(name, op):
    @jit(name=f"_binary_{name}")
    def kernel(a, b, out, nd, shape, sa, sb):
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            ia, ib = _offsets(i, nd, shape, sa, sb)
            out[i] = op(a[ia], b[ib])
    _BINARY[name] = kernel
    return kernel


def _binary(name, x, y, out_dtype=None, compute_dtype=None):
    res = np.result_type(_dtype_of(x), _dtype_of(y))
    cdt = np.dtype(compute_dtype) if compute_dtype is not None else res
    odt = np.dtype(out_dtype) if out_dtype is not None else cdt
    a = _operand(x, cdt)
    b = _operand(y, cdt)
    shape = _broadcast_shapes(_shape_of(x), _shape_of(y))
    out = cuda.device_array(shape, odt)
    if out.size == 0:
        return out
    a, b = contiguous(a), contiguous(b)
    mshape, (sa, sb) = _merge(shape, [_bstrides(a.shape, shape), _bstrides(b.shape, shape)])
    launch(_BINARY[name], out.size, _flat(a), _flat(b), _flat(out), len(mshape), _pad(mshape, 1), _pad(sa, 0),
           _pad(sb, 0))
    return out


@cuda.jit(device=True, inline="always")
def _max_nan(x, y):
    return x if (x > y or x != x) else y


@cuda.jit(device=True, inline="always")
def _min_nan(x, y):
    return x if (x < y or x != x) else y


@cuda.jit(device=True, inline="always")
def _true_div(x, y):
    return x / y


@cuda.jit(device=True, inline="always")
def _pow(x, y):
    return x ** y


for _name, _op in [("add", operator.add), ("subtract", operator.sub), ("multiply", operator.mul),
                   ("divide", _true_div), ("power", _pow), ("maximum", _max_nan), ("minimum", _min_nan),
                   ("greater", operator.gt), ("greater_equal", operator.ge), ("less", operator.lt),
                   ("less_equal", operator.le), ("equal", operator.eq), ("not_equal", operator.ne)]:
    _make_binary(_name, _op)


def add(a, b):
    """out = a + b (NumPy broadcasting and dtype promotion)."""
    return _binary("add", a, b)


def subtract(a, b):
    """out = a − b."""
    return _binary("subtract", a, b)


def multiply(a, b):
    """out = a · b."""
    return _binary("multiply", a, b)


def divide(a, b):
    """out = a / b (true division: integers divide as float64)."""
    res = np.result_type(_dtype_of(a), _dtype_of(b))
    return _binary("divide", a, b, compute_dtype=res if res.kind == "f" else np.float64)


def power(a, b):
    """out = a ** b."""
    return _binary("power", a, b)


def maximum(a, b):
    """out = max(a, b) element-wise, NaN propagating (``np.maximum``)."""
    return _binary("maximum", a, b)


def minimum(a, b):
    """out = min(a, b) element-wise, NaN propagating (``np.minimum``)."""
    return _binary("minimum", a, b)


def greater(a, b):
    """out = a > b (bool)."""
    return _binary("greater", a, b, out_dtype=np.bool_)


def greater_equal(a, b):
    """out = a ≥ b (bool)."""
    return _binary("greater_equal", a, b, out_dtype=np.bool_)


def less(a, b):
    """out = a < b (bool)."""
    return _binary("less", a, b, out_dtype=np.bool_)


def less_equal(a, b):
    """out = a ≤ b (bool)."""
    return _binary("less_equal", a, b, out_dtype=np.bool_)


def equal(a, b):
    """out = a == b (bool)."""
    return _binary("equal", a, b, out_dtype=np.bool_)


def not_equal(a, b):
    """out = a ≠ b (bool)."""
    return _binary("not_equal", a, b, out_dtype=np.bool_)


# Unary element-wise math: the scalar formulas of kernels/formulas.py run by the generic ``map_kernel`` launcher
# (one thread per element); the output dtype follows NumPy's (the CPU backend's): floats keep theirs, integer and
# bool inputs of a float function give float64.
_UNARY = {name: map_kernel(getattr(_f, name)) for name in (
    "neg", "exp", "log", "sqrt", "absolute", "sign", "logical_not", "sin", "cos", "tan", "rsqrt", "floor", "ceil",
    "rint", "trunc", "log2", "log1p", "exp2", "expm1", "reciprocal", "square")}
_ROUND_DECIMALS = map_kernel(_f.round_decimals, 2)


def _unary(name, a, out_dtype):
    return reshape(run_map(_UNARY[name], out_dtype, _flat(a)), tuple(a.shape))


def _float_dtype(dt):
    dt = np.dtype(dt)
    return dt if dt.kind == "f" else np.dtype(np.float64)


def negative(a):
    """out = −a."""
    return _unary("neg", a, a.dtype)


def exp(a):
    """out = eˣ (inf on overflow)."""
    return _unary("exp", a, _float_dtype(a.dtype))


def log(a):
    """out = ln x (−inf at 0, NaN below, as NumPy)."""
    return _unary("log", a, _float_dtype(a.dtype))


def sqrt(a):
    """out = √x (NaN below 0)."""
    return _unary("sqrt", a, _float_dtype(a.dtype))


def abs(a):
    """out = |x|."""
    return _unary("absolute", a, a.dtype)


def sign(a):
    """out = sign(x) = [x > 0] − [x < 0] ∈ {−1, 0, 1}, in a's dtype: 0 at NaN and +0 at −0 (PyTorch's sign)."""
    return _unary("sign", a, a.dtype)


def logical_not(a):
    """out = not x (bool)."""
    return _unary("logical_not", a, np.bool_)


def sin(a):
    """out = sin x."""
    return _unary("sin", a, _float_dtype(a.dtype))


def cos(a):
    """out = cos x."""
    return _unary("cos", a, _float_dtype(a.dtype))


def tan(a):
    """out = tan x."""
    return _unary("tan", a, _float_dtype(a.dtype))


def rsqrt(a):
    """out = 1/√x (inf at +0, −inf at −0, NaN below 0)."""
    return _unary("rsqrt", a, _float_dtype(a.dtype))


def floor(a):
    """out = ⌊x⌋ (−0 stays −0)."""
    return _unary("floor", a, _float_dtype(a.dtype))


def ceil(a):
    """out = ⌈x⌉ (ceil(−0.5) = −0)."""
    return _unary("ceil", a, _float_dtype(a.dtype))


def trunc(a):
    """out = x rounded toward zero (trunc(−0.5) = −0)."""
    return _unary("trunc", a, _float_dtype(a.dtype))


def round(a, decimals=0):
    """out = x rounded to ``decimals`` decimal places, halves to even (PyTorch's round): rint(x) for 0,
    rint(x · 10^d)/10^d for d > 0, rint(x / 10^(−d)) · 10^(−d) for d < 0, in a's float dtype (10^d rounded to
    it)."""
    dt = _float_dtype(a.dtype)
    if decimals == 0:
        return _unary("rint", a, dt)
    with np.errstate(over="ignore"):
        p = dt.type(np.float64(10.0) ** builtins.abs(int(decimals)))
    return reshape(run_map(_ROUND_DECIMALS, dt, _flat(a), p, bool(decimals < 0)), tuple(a.shape))


def log2(a):
    """out = log₂ x (−inf at 0, NaN below)."""
    return _unary("log2", a, _float_dtype(a.dtype))


def log1p(a):
    """out = ln(1 + x)."""
    return _unary("log1p", a, _float_dtype(a.dtype))


def exp2(a):
    """out = 2ˣ."""
    return _unary("exp2", a, _float_dtype(a.dtype))


def expm1(a):
    """out = eˣ − 1."""
    return _unary("expm1", a, _float_dtype(a.dtype))


def reciprocal(a):
    """out = 1/x (±inf at ±0; integer inputs give float64)."""
    return _unary("reciprocal", a, _float_dtype(a.dtype))


def square(a):
    """out = x² in a's dtype (integers stay integers)."""
    return _unary("square", a, a.dtype)


def clip(a, lo, hi):
    """out = min(max(a, lo), hi); a bound of None is no bound (``np.clip``)."""
    out = a
    if lo is not None:
        out = maximum(out, lo)
    if hi is not None:
        out = minimum(out, hi)
    return copy(out) if out is a else out


@jit
def _where(c, x, y, out, nd, shape, sc, sx, sy):
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        ic, ix = _offsets(i, nd, shape, sc, sx)
        _, iy = _offsets(i, nd, shape, sy, sy)
        out[i] = x[ix] if c[ic] else y[iy]


def where(cond, x, y):
    """out = x where cond else y (NumPy broadcasting; scalars allowed for x and y)."""
    dt = np.result_type(_dtype_of(x), _dtype_of(y))
    shape = _broadcast_shapes(_shape_of(cond), _shape_of(x), _shape_of(y))
    out = cuda.device_array(shape, dt)
    if out.size == 0:
        return out
    c, a, b = contiguous(cond), contiguous(_operand(x, dt)), contiguous(_operand(y, dt))
    mshape, (sc, sx, sy) = _merge(shape, [_bstrides(c.shape, shape), _bstrides(a.shape, shape),
                                          _bstrides(b.shape, shape)])
    launch(_where, out.size, _flat(c), _flat(a), _flat(b), _flat(out), len(mshape), _pad(mshape, 1), _pad(sc, 0),
           _pad(sx, 0), _pad(sy, 0))
    return out


# ----------------------------------------------------------------------------- reductions
@jit
def _sum_rows_f(x, out, cols):
    part = cuda.shared.array(ROW_THREADS, float64)
    t = cuda.threadIdx.x
    for r in range(cuda.blockIdx.x, out.size, cuda.gridDim.x):
        s = 0.0
        for j in range(t, cols, ROW_THREADS):
            s += x[r * cols + j]
        s = block_sum(part, t, s)
        if t == 0:
            out[r] = s


@jit
def _sum_rows_i(x, out, cols):
    part = cuda.shared.array(ROW_THREADS, int64)
    t = cuda.threadIdx.x
    for r in range(cuda.blockIdx.x, out.size, cuda.gridDim.x):
        s = 0
        for j in range(t, cols, ROW_THREADS):
            s += x[r * cols + j]
        s = block_sum(part, t, s)
        if t == 0:
            out[r] = s


@jit
def _extreme_rows(x, out, arg, cols, want_max):
    """Per row: the max (or min) and the index of its first occurrence; NaN wins and its first index is kept."""
    val = cuda.shared.array(ROW_THREADS, float64)
    idx = cuda.shared.array(ROW_THREADS, int64)
    t = cuda.threadIdx.x
    for r in range(cuda.blockIdx.x, out.size, cuda.gridDim.x):
        bv = 0.0
        bi = -1
        for j in range(t, cols, ROW_THREADS):
            v = float64(x[r * cols + j])
            if bi < 0 or (v != v and bv == bv) or (bv == bv and ((v > bv) if want_max else (v < bv))):
                bv = v
                bi = j
        val[t] = bv
        idx[t] = bi
        cuda.syncthreads()
        h = ROW_THREADS // 2
        while h > 0:
            if t < h:
                v = val[t + h]
                j = idx[t + h]
                cv = val[t]
                ci = idx[t]
                if j >= 0 and (ci < 0 or (v != v and (cv == cv or j < ci))
                               or (cv == cv and v == v and (((v > cv) if want_max else (v < cv))
                                                             or (v == cv and j < ci)))):
                    val[t] = v
                    idx[t] = j
            cuda.syncthreads()
            h //= 2
        if t == 0:
            arg[r] = idx[0]
            out[r] = x[r * cols + idx[0]]
        cuda.syncthreads()


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(int(a) % builtins.max(ndim, 1) for a in axes))


def _rows(a, axis):
    """(a as a contiguous (rows, cols) array with the reduced axes last, kept shape, keepdims shape)."""
    axes = _axes(axis, a.ndim)
    kept = [d for d in range(a.ndim) if d not in axes]
    kept_shape = tuple(a.shape[d] for d in kept)
    keep_shape = tuple(1 if d in axes else a.shape[d] for d in range(a.ndim))
    perm = tuple(kept) + axes
    x = a if perm == tuple(range(a.ndim)) else transpose(a, perm)
    rows = _prod(kept_shape)
    cols = _prod(a.shape[d] for d in axes)
    return contiguous(x), rows, cols, kept_shape, keep_shape


def _finish(out, kept_shape, keep_shape, keepdims):
    return reshape(out, keep_shape if keepdims else kept_shape)


def sum(a, axis=None, keepdims=False):
    """s = Σ_axis a (float: in the input dtype, summed in float64; int and bool: int64)."""
    x, rows, cols, kept_shape, keep_shape = _rows(a, axis)
    integer = np.dtype(a.dtype).kind in "iub"
    out = cuda.device_array(rows, np.int64 if integer else a.dtype)
    if rows:
        if cols == 0:
            launch(_fill, rows, out, out.dtype.type(0))
        else:
            launch_rows(_sum_rows_i if integer else _sum_rows_f, rows, _flat(x), out, cols)
    return _finish(out, kept_shape, keep_shape, keepdims)


def _extreme2(a, axis, keepdims, want_max, name):
    """(values, indices) of the max (or min) over ``axis``: one ``_extreme_rows`` launch gives both."""
    x, rows, cols, kept_shape, keep_shape = _rows(a, axis)
    if cols == 0 and rows:
        raise ValueError(f"zero-size array to reduction operation {name} which has no identity")
    out = cuda.device_array(rows, a.dtype)
    idx = cuda.device_array(rows, np.int64)
    if rows:
        launch_rows(_extreme_rows, rows, _flat(x), out, idx, cols, want_max)
    return _finish(out, kept_shape, keep_shape, keepdims), _finish(idx, kept_shape, keep_shape, keepdims)


def _extreme(a, axis, keepdims, want_max, arg, name):
    return _extreme2(a, axis, keepdims, want_max, name)[1 if arg else 0]


def max(a, axis=None, keepdims=False):
    """m = max_axis a (NaN propagating, as PyTorch's amax)."""
    return _extreme(a, axis, keepdims, True, False, "maximum")


def min(a, axis=None, keepdims=False):
    """m = min_axis a (NaN propagating, as PyTorch's amin)."""
    return _extreme(a, axis, keepdims, False, False, "minimum")


def argmax(a, axis=None, keepdims=False):
    """i = argmax_axis a (the first maximum, a NaN counting as the maximum; int64; over the flattened array when
    axis is None, as NumPy)."""
    if axis is None and not keepdims:
        return _extreme(reshape(a, (a.size,)), 0, False, True, True, "argmax")
    return _extreme(a, axis, keepdims, True, True, "argmax")


def argmin(a, axis=None, keepdims=False):
    """i = argmin_axis a (the first minimum, a NaN counting as the minimum; int64)."""
    if axis is None and not keepdims:
        return _extreme(reshape(a, (a.size,)), 0, False, False, True, "argmin")
    return _extreme(a, axis, keepdims, False, True, "argmin")


def max_argmax(a, axis):
    """(m, i) along the one axis ``axis``, both with that axis kept (length 1): i = the first index of the maximum
    (a NaN counting as the maximum, so m is then NaN) and m = a[i] (torch.max(a, dim)); one launch."""
    return _extreme2(a, axis, True, True, "maximum")


def min_argmin(a, axis):
    """(m, i) along the one axis ``axis``, both with that axis kept: the first minimum (or NaN) and its index
    (torch.min(a, dim)); one launch."""
    return _extreme2(a, axis, True, False, "minimum")


# ----------------------------------------------------------------------------- views, joins and indexing
def reshape(a, shape):
    """``a`` with ``shape`` (one entry may be −1); a view of the contiguous array, ``a`` itself if unchanged."""
    shape = _shape(shape)
    if -1 in shape:
        known = _prod(s for s in shape if s != -1)
        shape = tuple(a.size // known if s == -1 and known else (0 if s == -1 else s) for s in shape)
    if shape == tuple(a.shape):
        return a
    if _prod(shape) != a.size:
        raise ValueError(f"cannot reshape array of size {a.size} into shape {shape}")
    return contiguous(a).reshape(shape)


def is_view(a):
    """Always True here: device arrays do not say whether another array shares their memory, so autograd copies
    a gradient before handing it to a leaf's ``.grad``."""
    return True


def _gather_view(a, shape, strides, offset):
    out = cuda.device_array(shape, a.dtype)
    if out.size:
        mshape, (st,) = _merge(shape, [strides])
        launch(_gather, out.size, _flat(contiguous(a)), _flat(out), len(mshape), _pad(mshape, 1), _pad(st, 0),
               int(offset))
    return out


def transpose(a, axes=None):
    """The array with its axes permuted (reversed when ``axes`` is None), materialised contiguously."""
    axes = tuple(reversed(range(a.ndim))) if axes is None else tuple(int(x) % a.ndim for x in axes)
    if axes == tuple(range(a.ndim)):
        return a
    st = _c_strides(a.shape)
    return _gather_view(a, tuple(a.shape[d] for d in axes), tuple(st[d] for d in axes), 0)


def broadcast_to(a, shape):
    """``a`` broadcast to ``shape``, materialised."""
    shape = _shape(shape)
    _broadcast_shapes(tuple(a.shape), shape)
    if len(shape) < a.ndim or _broadcast_shapes(tuple(a.shape), shape) != shape:
        raise ValueError(f"operands could not be broadcast together with remapped shapes {a.shape} and {shape}")
    return _gather_view(a, shape, _bstrides(a.shape, shape), 0)


def concatenate(arrays, axis=0):
    """The arrays joined along ``axis`` (same shape elsewhere, one dtype by NumPy promotion)."""
    arrays = [contiguous(x) for x in arrays]
    nd = arrays[0].ndim
    axis = int(axis) % nd
    dt = np.result_type(*[x.dtype for x in arrays])
    shape = list(arrays[0].shape)
    shape[axis] = builtins.sum(int(x.shape[axis]) for x in arrays)
    out = cuda.device_array(tuple(shape), dt)
    ost = _c_strides(tuple(shape))
    pos = 0
    for x in arrays:
        if x.size:
            xs = astype(x, dt) if x.dtype != dt else x
            mshape, (st, vst) = _merge(tuple(x.shape), [ost, _c_strides(tuple(x.shape))])
            launch(_scatter, x.size, _flat(out), _flat(xs), len(mshape), _pad(mshape, 1), _pad(st, 0),
                   pos * ost[axis], _pad(vst, 0))
        pos += int(x.shape[axis])
    return out


def _basic(key, shape):
    """(result shape, element strides, offset) of a basic index (ints, slices, None, Ellipsis), or None when the
    key holds an index array."""
    items = key if isinstance(key, tuple) else (key,)
    if any(_is_dev(k) or isinstance(k, (np.ndarray, list)) for k in items):
        return None
    n_real = len([k for k in items if k is not None and k is not Ellipsis])
    if n_real > len(shape):
        raise IndexError(f"too many indices for array: array is {len(shape)}-dimensional, but {n_real} were indexed")
    if Ellipsis in items:
        i = items.index(Ellipsis)
        items = items[:i] + (slice(None),) * (len(shape) - n_real) + items[i + 1:]
    else:
        items = items + (slice(None),) * (len(shape) - n_real)
    st = _c_strides(shape)
    out_shape, out_st, off, d = [], [], 0, 0
    for k in items:
        if k is None:
            out_shape.append(1)
            out_st.append(0)
            continue
        if isinstance(k, slice):
            start, stop, step = k.indices(shape[d])
            out_shape.append(len(range(start, stop, step)))
            out_st.append(st[d] * step)
            off += start * st[d]
        else:
            i = int(k)
            if not -shape[d] <= i < shape[d]:
                raise IndexError(f"index {i} is out of bounds for axis {d} with size {shape[d]}")
            off += (i % shape[d]) * st[d]
        d += 1
    return tuple(out_shape), tuple(out_st), off


def _flat_index(shape, key):
    """Flat element indices (int64, on the device) selected by an advanced index, with the result's shape."""
    items = list(key) if isinstance(key, tuple) else [key]
    items = [cuda.to_device(np.asarray(k)) if isinstance(k, (list, np.ndarray)) else k for k in items]
    if any(_is_dev(k) and k.dtype == np.bool_ for k in items):
        return _flat_index_host(shape, items)
    if builtins.sum(k is Ellipsis for k in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    n_real = len([k for k in items if k is not None and k is not Ellipsis])
    if n_real > len(shape):
        raise IndexError(f"too many indices for array: array is {len(shape)}-dimensional, but {n_real} were indexed")
    ell = [i for i, k in enumerate(items) if k is Ellipsis]   # identity: `in` would compare arrays with ==
    if ell:
        items = items[:ell[0]] + [slice(None)] * (len(shape) - n_real) + items[ell[0] + 1:]
    else:
        items = items + [slice(None)] * (len(shape) - n_real)
    st = _c_strides(shape)
    base, d = 0, 0
    basic = []                   # per basic result axis: (length, element stride)
    arrays, dims, strides = [], [], []
    first = ins = None           # item position and result axis of the first advanced index
    last = -1
    for pos, k in enumerate(items):
        if k is None:
            basic.append((1, 0))
            continue
        if isinstance(k, slice):
            start, stop, step = k.indices(shape[d])
            basic.append((len(range(start, stop, step)), st[d] * step))
            base += start * st[d]
        else:                    # an integer or an integer array: an advanced index (NumPy counts both)
            if first is None:
                first, ins = pos, len(basic)
            if _is_dev(k):
                arrays.append(k)
                dims.append(builtins.max(int(shape[d]), 1))
                strides.append(st[d])
            else:
                i = int(k)
                if not -shape[d] <= i < shape[d]:
                    raise IndexError(f"index {i} is out of bounds for axis {d} with size {shape[d]}")
                base += (i % shape[d]) * st[d]
            last = pos
        d += 1
    adjacent = all(items[p] is not None and not isinstance(items[p], slice) for p in range(first, last + 1))
    ins = ins if adjacent else 0  # NumPy: advanced axes in place when adjacent, else first
    bshape = _broadcast_shapes(*[tuple(a.shape) for a in arrays])
    rshape = tuple(n for n, _ in basic[:ins]) + bshape + tuple(n for n, _ in basic[ins:])
    if len(rshape) > MAXD or len(arrays) > MAXD:
        raise ValueError(f"cuda: advanced indexing supports at most {MAXD} result dimensions and index arrays")
    nb = len(bshape)
    rstride = [s for _, s in basic[:ins]] + [0] * nb + [s for _, s in basic[ins:]]
    bst = _c_strides(bshape)
    bstride = [0] * ins + list(bst) + [0] * (len(basic) - ins)
    idx = concatenate([reshape(astype(a, np.int64) if a.dtype != np.int64 else a, (1, -1))
                       if tuple(a.shape) == bshape else reshape(broadcast_to(astype(a, np.int64), bshape), (1, -1))
                       for a in arrays], axis=0)
    out = cuda.device_array(_prod(rshape), np.int64)
    launch(_advanced_flat, out.size, out, idx, len(rshape), _pad(rshape, 1), _pad(tuple(rstride), 0),
           _pad(tuple(bstride), 0), _pad(tuple(dims), 1), _pad(tuple(strides), 0), int(base))
    return out, rshape


def _flat_index_host(shape, items):
    """A key with a bool mask: the selection's size depends on the mask's values, so the index arrays are copied
    to the host and NumPy resolves the flat map there (PyTorch also waits for the GPU on a mask)."""
    host_key = tuple(k.copy_to_host() if _is_dev(k) else k for k in items)
    idx = np.arange(_prod(shape), dtype=np.int64).reshape(shape)[host_key]
    return cuda.to_device(np.ascontiguousarray(idx).reshape(-1)), idx.shape


@jit
def _advanced_flat(out, idx, nd, rshape, rstride, bstride, dims, strides, base):
    """out[e] = base + Σ_basic c_r·stride_r + Σ_a (idx[a, b(e)] mod dim_a)·stride_a: the flat source element of
    result element e, with c its coordinates in the result and b(e) its position in the broadcast index arrays.
    An index outside [−dim, dim) (reported by the caller's check) wraps instead of leaving the array."""
    for e in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        flat, bpos = _offsets(e, nd, rshape, rstride, bstride)
        flat += base
        for a in range(idx.shape[0]):
            flat += (idx[a, bpos] % dims[a]) * strides[a]
        out[e] = flat


@jit
def _take(src, idx, out):
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        j = idx[i]
        out[i] = src[j] if 0 <= j < src.size else 0


@jit
def _put(dst, idx, val):
    for i in range(cuda.grid(1), idx.size, cuda.gridsize(1)):
        j = idx[i]
        if 0 <= j < dst.size:
            dst[j] = val[i]


@jit
def _add_at(dst, idx, val):
    for i in range(cuda.grid(1), idx.size, cuda.gridsize(1)):
        j = idx[i]
        if 0 <= j < dst.size:
            cuda.atomic.add(dst, j, val[i])


def getitem(a, key):
    """a[key] with NumPy's basic and advanced indexing (always a new array here)."""
    basic = _basic(key, tuple(a.shape))
    if basic is not None:
        shape, st, off = basic
        if shape == tuple(a.shape) and off == 0 and st == _c_strides(shape):
            return copy(a)
        return _gather_view(a, shape, st, off)
    idx, shape = _flat_index(tuple(a.shape), key)
    out = cuda.device_array(shape, a.dtype)
    launch(_take, idx.size, _flat(contiguous(a)), idx, _flat(out))
    return out


def setitem(a, key, value):
    """a[key] = value, in place (``value`` a scalar or an array broadcastable to the selection)."""
    basic = _basic(key, tuple(a.shape))
    if basic is not None:
        shape, st, off = basic
        v = contiguous(_operand(value, a.dtype))
        if v.dtype != a.dtype:
            v = astype(v, a.dtype)
        _broadcast_shapes(tuple(v.shape), shape)
        if _prod(shape):
            vst = _bstrides(v.shape, shape)
            mshape, (mst, mvst) = _merge(shape, [st, vst])
            launch(_scatter, _prod(shape), _flat(a), _flat(v), len(mshape), _pad(mshape, 1), _pad(mst, 0), int(off),
                   _pad(mvst, 0))
        return
    idx, shape = _flat_index(tuple(a.shape), key)
    v = _operand(value, a.dtype)
    v = broadcast_to(astype(v, a.dtype) if v.dtype != a.dtype else v, shape)
    launch(_put, idx.size, _flat(a), idx, _flat(contiguous(v)))


def index_add(shape, key, values, dtype):
    """out = zeros(shape); out[key] += values, repeated indices accumulating (``np.add.at``; float atomics, so
    the order of the additions, and the last bits of a float sum, depend on scheduling)."""
    out = zeros(shape, dtype)
    idx, sel_shape = _flat_index(_shape(shape), key)
    v = values if _is_dev(values) else _operand(values, dtype)
    v = broadcast_to(astype(v, dtype) if v.dtype != np.dtype(dtype) else v, sel_shape)
    launch(_add_at, idx.size, _flat(out), idx, _flat(contiguous(v)))
    return out


# ----------------------------------------------------------------------------- index validation
_I64_MIN = np.int64(np.iinfo(np.int64).min)


@jit
def _index_stats(a, skip, has_skip, out):
    """One block: the threads stride over ``a``, then three tree reductions give max(~a_i) (~ is the bitwise not,
    an order-reversing bijection of int64, so min a_i = ~max(~a_i) without the overflow of −a_i), max a_i and
    the count."""
    part = cuda.shared.array(ROW_THREADS, int64)
    t = cuda.threadIdx.x
    neg_lo = _I64_MIN
    hi = _I64_MIN
    n = 0
    for i in range(t, a.size, ROW_THREADS):
        v = a[i]
        if has_skip and v == skip:
            continue
        if ~v > neg_lo:
            neg_lo = ~v
        if v > hi:
            hi = v
        n += 1
    neg_lo = block_max(part, t, neg_lo)
    hi = block_max(part, t, hi)
    n = block_sum(part, t, n)
    if t == 0:
        out[0] = ~neg_lo
        out[1] = hi
        out[2] = n


def index_stats(a, skip, has_skip):
    """(lo, hi, n) = (min a_i, max a_i, #{i}) over the elements of the 1-D int64 device array ``a`` other than
    ``skip`` (all of them when ``has_skip`` is False), as a device int64 array of 3, computed without a copy to the
    host; an empty selection gives (INT64_MAX, INT64_MIN, 0). One block of ``ROW_THREADS`` threads (index arrays
    are a batch's labels or tokens)."""
    out = cuda.device_array(3, np.int64)
    launch_rows(_index_stats, 1, a, np.int64(skip), bool(has_skip), out)
    return out


__all__ = ["asarray", "empty", "zeros", "full", "arange", "copy", "contiguous", "astype", "to_numpy", "add",
           "subtract", "multiply", "divide", "power", "negative", "exp", "log", "sqrt", "abs", "sign", "maximum",
           "minimum", "clip", "where", "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
           "logical_not", "sum", "max", "min", "argmax", "argmin", "max_argmax", "min_argmin", "reshape", "is_view",
           "transpose", "broadcast_to", "concatenate", "getitem", "setitem", "index_add", "index_stats", "sin", "cos",
           "tan", "rsqrt", "floor", "ceil", "trunc", "round", "log2", "log1p", "exp2", "expm1", "reciprocal",
           "square"]


# ----------------------------------------------------------------------------- scans and sorts along one axis
def _lines3(a, axis):
    """``a`` as a C-contiguous (outer, n, inner) device array with ``axis`` in the middle."""
    shape = tuple(a.shape)
    return reshape(contiguous(a), (_prod(shape[:axis]), shape[axis], _prod(shape[axis + 1:])))


@jit
def _scan_lines(x, out, reverse, prod):
    """One thread per line of the (outer, n, inner) layout: out walks the line from its start (its end when
    ``reverse``) accumulating the sum (the product when ``prod``) in x's dtype."""
    outer, n, inner = x.shape
    for line in range(cuda.grid(1), outer * inner, cuda.gridsize(1)):
        o = line // inner
        r = line - o * inner
        k = n - 1 if reverse else 0
        step = -1 if reverse else 1
        acc = x[o, k, r]
        out[o, k, r] = acc
        for _ in range(1, n):
            k += step
            if prod:
                acc = acc * x[o, k, r]
            else:
                acc = acc + x[o, k, r]
            out[o, k, r] = acc


def _scan(a, axis, reverse, prod):
    x = _lines3(a, axis)
    out = cuda.device_array(x.shape, x.dtype)
    if x.shape[1]:
        launch(_scan_lines, x.shape[0] * x.shape[2], x, out, bool(reverse), bool(prod))
    return reshape(out, tuple(a.shape))


def cumsum(a, axis, reverse):
    """out_i = Σ_{j ≤ i} a_j along ``axis`` (Σ_{j ≥ i} when ``reverse``), in a's dtype; one thread per line."""
    return _scan(a, axis, reverse, False)


def cumprod(a, axis):
    """out_i = Π_{j ≤ i} a_j along ``axis``, in a's dtype; one thread per line."""
    return _scan(a, axis, False, True)


@jit
def _cumprod_backward_lines(x, y, g, out):
    """One thread per line: z = the first zero of x; (Σ_{j ≥ i} g_j y_j)/x_i for i < z,
    Σ_{j ≥ z} g_j·Π_{k ≤ j, k ≠ z} x_k at z, 0 after (the CPU twin's equations)."""
    outer, n, inner = x.shape
    for line in range(cuda.grid(1), outer * inner, cuda.gridsize(1)):
        o = line // inner
        r = line - o * inner
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
            p = 1.0
            if z > 0:
                p = y[o, z - 1, r]
            s = g[o, z, r] * p
            for j in range(z + 1, n):
                p *= x[o, j, r]
                s += g[o, j, r] * p
            out[o, z, r] = s


def cumprod_backward(x, y, g, axis):
    """dx of y = cumprod(x) along ``axis`` for the output gradient g, exact at zeros (as the CPU twin)."""
    x3 = _lines3(x, axis)
    out = cuda.device_array(x3.shape, x3.dtype)
    if x3.size:
        launch(_cumprod_backward_lines, x3.shape[0] * x3.shape[2], x3, _lines3(y, axis), _lines3(g, axis), out)
    return reshape(out, tuple(x.shape))


@jit
def _rank_sort(x, out, descending):
    """One thread per element v = x[o, i, r]: its sorted position is the number of elements of its line that
    come before it (smaller, or larger when ``descending``; NaN above every number; equal ones, NaNs included,
    before it when they stand before it: a stable order), and out there is i."""
    outer, n, inner = x.shape
    for e in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        o = e // (n * inner)
        rem = e - o * n * inner
        i = rem // inner
        r = rem - i * inner
        v = x[o, i, r]
        vnan = v != v
        rank = 0
        for j in range(n):
            u = x[o, j, r]
            unan = u != u
            if unan or vnan:
                if unan and vnan:
                    before = j < i
                elif descending:
                    before = unan
                else:
                    before = vnan
            elif u == v:
                before = j < i
            elif descending:
                before = u > v
            else:
                before = u < v
            if before:
                rank += 1
        out[o, rank, r] = i


def argsort(a, axis, descending):
    """The int64 indices that sort ``a`` along ``axis``, stable, NaN above every number (as the CPU twin): each
    element's rank in its line by counting, O(n) per element (correctness first, for lines of moderate length)."""
    x = _lines3(a, axis)
    out = cuda.device_array(x.shape, np.int64)
    launch(_rank_sort, x.size, x, out, bool(descending))
    return reshape(out, tuple(a.shape))


__all__ += ["cumsum", "cumprod", "cumprod_backward", "argsort"]
