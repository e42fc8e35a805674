"""Views, joins and indexing of the CUDA backend: reshape, transpose, broadcast, concatenate, NumPy's basic and
advanced indexing, the scatter-add of a gather, and the range check of index arrays — the twins of
kernels/cpu/shape.py, over Numba device arrays.

``reshape`` of a contiguous array is a view; every other result is a new C-contiguous array, written by a strided
gather (``array._gather``) or scatter (``array._scatter``). Advanced indexing with integer arrays is resolved on the
device into flat element indices (NumPy's semantics: index arrays broadcast together, their axes stay in place when
the advanced indices are adjacent and go first otherwise, negative indices wrap; the caller checks the range), then
gathered, set, or scatter-added with atomics for ``index_add``. A bool mask's selection size depends on its values,
so a key with a mask is resolved on the host (PyTorch waits for the GPU there too).
"""
import builtins

import numpy as np
from numba import cuda, int64

from ._launch import (ROW_THREADS, alloc, block_max, block_sum, exclusive, jit, launch, launch_rows, to_device,
                      to_host)
from .array import (MAXD, _broadcast_shapes, _bstrides, _c_strides, _flat, _gather, _is_dev, _merge, _offsets,
                    _operand, _pad, _prod, _scatter, _shape, astype, contiguous, copy, zeros)


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
    """True when another live array may see ``a``'s memory (``_launch.exclusive`` decides it for the caching
    allocator's arrays; anything else counts as a view): autograd copies such a gradient before handing it to a
    leaf's ``.grad``, and hands a fresh kernel output over as it is."""
    return not exclusive(a)


def _gather_view(a, shape, strides, offset):
    out = alloc(shape, a.dtype)
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
    out = alloc(tuple(shape), dt)
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
    items = [to_device(np.asarray(k)) if isinstance(k, (list, np.ndarray)) else k for k in items]
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
    out = alloc(_prod(rshape), np.int64)
    launch(_advanced_flat, out.size, out, idx, len(rshape), _pad(rshape, 1), _pad(tuple(rstride), 0),
           _pad(tuple(bstride), 0), _pad(tuple(dims), 1), _pad(tuple(strides), 0), int(base))
    return out, rshape


def _flat_index_host(shape, items):
    """A key with a bool mask: the selection's size depends on the mask's values, so the index arrays are copied
    to the host and NumPy resolves the flat map there (PyTorch also waits for the GPU on a mask)."""
    host_key = tuple(to_host(k) if _is_dev(k) else k for k in items)
    idx = np.arange(_prod(shape), dtype=np.int64).reshape(shape)[host_key]
    return to_device(np.ascontiguousarray(idx).reshape(-1)), idx.shape


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
    """out[i] = src[idx[i]] (0 where idx[i] is outside src: a bad index the caller reports)."""
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        j = idx[i]
        out[i] = src[j] if 0 <= j < src.size else 0


@jit
def _put(dst, idx, val):
    """dst[idx[i]] = val[i] (skipped where idx[i] is outside dst)."""
    for i in range(cuda.grid(1), idx.size, cuda.gridsize(1)):
        j = idx[i]
        if 0 <= j < dst.size:
            dst[j] = val[i]


@jit
def _add_at(dst, idx, val):
    """dst[idx[i]] += val[i], atomically (repeated indices accumulate; skipped outside dst)."""
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
    out = alloc(shape, a.dtype)
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
    out = alloc(3, np.int64)
    launch_rows(_index_stats, 1, a, np.int64(skip), bool(has_skip), out)
    return out


__all__ = ["reshape", "is_view", "transpose", "broadcast_to", "concatenate", "getitem", "setitem", "index_add",
           "index_stats"]
