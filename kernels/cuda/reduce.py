"""Reductions, scans and sorts of the CUDA backend along axes: sum, max/min and their indices, cumulative sums and
products (and the gradient of a cumulative product), stable argsort — the twins of kernels/cpu/reduce.py, over
Numba device arrays.

Reductions move the reduced axes last (a gather when needed) and reduce each row in one block: a shared-memory tree
sum in float64 (int64 for integers and bools; ``_launch.block_sum``), a tree max/min that propagates NaN, an
arg-max/min that keeps the first extreme index (NaN counting as the extreme, as NumPy). Scans and sorts see the
array as (outer, n, inner) lines along the axis: a scan is one thread per line; argsort is a bottom-up merge sort
of every line, each pass one launch in which a thread merges a few outputs of a pair of runs (``_merge_pass``).
"""
import builtins

import numpy as np
from numba import cuda, float64, int64

from .. import formulas as _f
from ._launch import ROW_THREADS, SIMULATOR, alloc, block_sum, jit, launch, launch_rows
from .array import _fill, _flat, _prod, contiguous
from .shape import reshape, transpose


# ----------------------------------------------------------------------------- reductions
@jit
def _sum_rows_f(x, out, cols):
    """out[r] = Σ_j x[r·cols + j], one block per row, in float64 (``block_sum``), rounded once to out's dtype."""
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
    """out[r] = Σ_j x[r·cols + j], one block per row, in int64 (integers and bools)."""
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
    out = alloc(rows, np.int64 if integer else a.dtype)
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
    out = alloc(rows, a.dtype)
    idx = alloc(rows, np.int64)
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
    out = alloc(x.shape, x.dtype)
    if x.shape[1]:
        launch(_scan_lines, x.shape[0] * x.shape[2], x, out, bool(reverse), bool(prod))
    return reshape(out, tuple(a.shape))


def cumsum(a, axis, reverse):
    """out_i = Σ_{j ≤ i} a_j along ``axis`` (Σ_{j ≥ i} when ``reverse``), in a's dtype; one thread per line."""
    return _scan(a, axis, reverse, False)


def cumprod(a, axis):
    """out_i = Π_{j ≤ i} a_j along ``axis``, in a's dtype; one thread per line."""
    return _scan(a, axis, False, True)


# Under the simulator a kernel's arrays are Python objects that a compiled function cannot take: it runs the
# helper's Python code there (the same source; see formulas.cumprod_backward_line).
_cumprod_backward_line = _f.cumprod_backward_line.py_func if SIMULATOR else _f.cumprod_backward_line


@jit
def _cumprod_backward_lines(x, y, g, out):
    """One thread per line (o, :, r) of the (outer, n, inner) arrays: ``formulas.cumprod_backward_line`` there,
    the CPU's per-line loop."""
    outer, n, inner = x.shape
    for line in range(cuda.grid(1), outer * inner, cuda.gridsize(1)):
        o = line // inner
        _cumprod_backward_line(x, y, g, out, o, line - o * inner)


def cumprod_backward(x, y, g, axis):
    """dx_i = Σ_{j ≥ i} g_j·∂y_j/∂x_i for y = cumprod(x) along ``axis``, per line with z its first zero:
    (Σ_{j ≥ i} g_j y_j)/x_i for i < z; Σ_{j ≥ z} g_j·Π_{k ≤ j, k ≠ z} x_k for i = z; 0 for i > z (the CPU twin's
    equations and code); one thread per line."""
    x3 = _lines3(x, axis)
    out = alloc(x3.shape, x3.dtype)
    if x3.size:
        launch(_cumprod_backward_lines, x3.shape[0] * x3.shape[2], x3, _lines3(y, axis), _lines3(g, axis), out)
    return reshape(out, tuple(x.shape))


# Outputs of a line that one thread of a merge pass writes (a power of two; the simulator's is small so that small
# test lines already take several threads per pair of runs).
_SORT_CHUNK = 4 if SIMULATOR else 32


@cuda.jit(device=True, inline="always")
def _before(u, v, descending):
    """True when u sorts strictly before v: u < v (u > v when ``descending``), NaN above every number (last
    ascending, first descending). Equal values, two NaNs among them, are not ordered: the merge keeps their order."""
    if descending:
        return u > v or (u != u and v == v)
    return u < v or (v != v and u == u)


@jit
def _line_positions(out, n, inner):
    """out[o, i, r] = i for the flat C-ordered (outer, n, inner) array ``out``: every line in its own order."""
    for e in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[e] = (e // inner) % n


@jit
def _merge_pass(x, src, dst, width, chunk, descending):
    """One pass of a bottom-up merge sort of every line (o, :, r) of x: src holds positions in the line, sorted by
    their x in runs of ``width``; the runs A = src[o, s:s+w, r] and B = src[o, s+w:s+2w, r] (s a multiple of 2w)
    merge into dst[o, s:s+2w, r]. A thread writes the ``chunk`` outputs d₀ … d₀ + chunk − 1 of one pair (chunk
    divides 2w): the number i of A's elements among the pair's first d = d₀ − s outputs is found by binary search
    (A[k] is among them when B[d − k − 1] is not strictly before it), then it merges from (A[i], B[d − i]). An
    element of A goes before an equal one of B (A holds the earlier positions), so the sort is stable. Work per
    pass and line: O(n) merging plus O(log n) per chunk searching."""
    outer, n, inner = x.shape
    per_line = (n + chunk - 1) // chunk
    for item in range(cuda.grid(1), outer * inner * per_line, cuda.gridsize(1)):
        line = item // per_line
        d0 = (item - line * per_line) * chunk
        o = line // inner
        r = line - o * inner
        s = d0 - d0 % (2 * width)
        mid = s + width if s + width < n else n
        end = s + 2 * width if s + 2 * width < n else n
        na = mid - s
        nb = end - mid
        d = d0 - s
        lo = d - nb if d > nb else 0
        hi = d if d < na else na
        while lo < hi:
            k = (lo + hi) // 2
            if _before(x[o, src[o, mid + d - k - 1, r], r], x[o, src[o, s + k, r], r], descending):
                hi = k
            else:
                lo = k + 1
        i = lo
        j = d - lo
        stop = d0 + chunk if d0 + chunk < end else end
        for p in range(d0, stop):
            if j >= nb or (i < na and not _before(x[o, src[o, mid + j, r], r], x[o, src[o, s + i, r], r],
                                                  descending)):
                dst[o, p, r] = src[o, s + i, r]
                i += 1
            else:
                dst[o, p, r] = src[o, mid + j, r]
                j += 1


def argsort(a, axis, descending):
    """i = the int64 indices with a[i_0] ≤ a[i_1] ≤ … along ``axis`` (≥ when ``descending``), stable (equal
    elements keep their order), NaN above every number (as the CPU twin): a bottom-up merge sort of each line,
    ⌈log₂ n⌉ passes of ``_merge_pass``: O(n log n) work per line (plus (n/chunk)·log² n for the searches) in
    O(log² n) steps."""
    x = _lines3(a, axis)
    n = x.shape[1]
    src = alloc(x.shape, np.int64)
    launch(_line_positions, x.size, _flat(src), n, x.shape[2])
    if n > 1:
        dst = alloc(x.shape, np.int64)
        w = 1
        while w < n:
            c = builtins.min(_SORT_CHUNK, 2 * w)
            launch(_merge_pass, x.shape[0] * x.shape[2] * ((n + c - 1) // c), x, src, dst, w, c, bool(descending))
            src, dst = dst, src
            w *= 2
    return reshape(src, tuple(a.shape))


__all__ = ["sum", "max", "min", "argmax", "argmin", "max_argmax", "min_argmin", "cumsum", "cumprod",
           "cumprod_backward", "argsort"]
