"""Views and joins: reshape, permute/transpose, expand, squeeze/unsqueeze, flatten, concat, stack, indexing."""
import numbers

import numpy as np

from ..tensor import Function, Tensor, int64, is_grad_enabled, no_grad
from .. import device as _device
from ._util import broadcast_shape, flat, normalize_axes, sum_to
from .elementwise import (cast, _promote, _CATEGORY, add, sub, mul, div, clamp, where, result_type, to_device)


def _sizes(args, name):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for s in args:
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"{name}: sizes must be ints, got {args!r}")
    return tuple(int(s) for s in args)


class _View(Function):
    """An op whose output shares its input's memory and whose backward needs only shapes."""
    view, saves_inputs, saves_output = True, (), False


class Reshape(_View):
    def forward(self, x, shape):
        self.shape = x.shape
        return self.b.reshape(x, shape)

    def backward(self, g):
        return self.b.reshape(g, self.shape)


def _view_strides(shape, strides, new):
    """The strides (in elements) of ``new`` as a view of an array of ``shape`` and ``strides``, or None when the
    memory cannot be read that way without a copy (PyTorch's ``computeStride``: a run of new dimensions must not
    span two non-contiguous chunks of the old ones)."""
    out = [0] * len(new)
    view_d = len(new) - 1
    base = strides[-1] if strides else 1
    t_numel = v_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        t_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != t_numel * base):
            while view_d >= 0 and (v_numel < t_numel or new[view_d] == 1):
                out[view_d] = v_numel * base
                v_numel *= new[view_d]
                view_d -= 1
            if v_numel != t_numel:
                return None
            if d > 0:
                base = strides[d - 1]
                t_numel = v_numel = 1
    return out if view_d == -1 else None


def view(x, *shape):
    """``x`` with ``shape``, sharing its memory (as ``torch.Tensor.view``): ``RuntimeError`` when the strides do
    not allow it without a copy (a transposed tensor merged across its swapped axes: use ``reshape``)."""
    shape = _resolve(x, _sizes(shape, "view"), "view")
    a = x._data
    if a.size > 1 and not getattr(a, "flags", {"C_CONTIGUOUS": True})["C_CONTIGUOUS"]:
        item = a.dtype.itemsize
        if _view_strides(a.shape, [s // item for s in a.strides], shape) is None:
            raise RuntimeError(f"view: size {shape} is not compatible with the tensor's size {tuple(x.shape)} and "
                               f"stride (at least one dimension spans across two contiguous subspaces); use "
                               f".reshape(...) instead")
    return reshape(x, shape)


def _resolve(x, shape, name):
    """``shape`` with its -1 filled in, or ``RuntimeError`` unless it holds x's number of elements."""
    n = x._data.size
    if shape.count(-1) > 1 or any(s < -1 for s in shape):
        raise RuntimeError(f"{name}: shape {shape} may hold at most one -1 and no other negative size")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or n % known:
            raise RuntimeError(f"{name}: shape {shape} is invalid for a tensor of shape {tuple(x.shape)} ({n} "
                               f"elements)")
        return tuple(n // known if s == -1 else s for s in shape)
    if known != n:
        raise RuntimeError(f"{name}: shape {shape} is invalid for a tensor of shape {tuple(x.shape)} ({n} "
                           f"elements)")
    return shape


class Clone(Function):
    """A copy in the graph: ``clone`` keeps the layout, ``contiguous`` makes it C-ordered; the gradient passes."""
    saves_inputs, saves_output = (), False

    def forward(self, x, order):
        return self.b.copy(x) if order == "keep" else self.b.contiguous(x)

    def backward(self, g):
        return g


def clone(x):
    """A copy of ``x`` with its own memory, in the graph (``torch.clone``)."""
    return Clone.apply(x, order="keep")


def contiguous(x):
    """``x`` itself when its memory is in C order, else a C-ordered copy in the graph (``Tensor.contiguous``)."""
    b = _device.backend(x.device)
    a = x._data
    if a.ndim == 0 or b.contiguous(a) is a:
        return x
    return Clone.apply(x, order="C")


def reshape(x, *shape):
    """The same elements in ``shape`` (one entry may be -1): a view when the memory allows, else a copy."""
    shape = _resolve(x, _sizes(shape, "reshape"), "reshape")
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape=shape)


class Permute(_View):
    def forward(self, x, dims):
        self.inverse = tuple(np.argsort(dims))
        return self.b.transpose(x, dims)

    def backward(self, g):
        return self.b.transpose(g, self.inverse)


def permute(x, *dims):
    """The axes reordered: output axis i is input axis ``dims[i]``."""
    dims = _sizes(dims, "permute")
    if sorted(d % x.ndim if x.ndim else d for d in dims) != list(range(x.ndim)):
        raise RuntimeError(f"permute: dims {dims} must be a permutation of the {x.ndim} axes of shape {x.shape}")
    dims = tuple(d % x.ndim for d in dims)
    if dims == tuple(range(x.ndim)):
        return x
    return Permute.apply(x, dims=dims)


def transpose(x, dim0=None, dim1=None):
    """Swap axes ``dim0`` and ``dim1`` (as ``torch.transpose``); with no axes, reverse them all."""
    if dim0 is None and dim1 is None:
        return permute(x, tuple(reversed(range(x.ndim))))
    if dim0 is None or dim1 is None:
        raise TypeError("transpose: pass both dim0 and dim1, or neither")
    d0, d1 = (normalize_axes(d, x.ndim, "dim")[0] for d in (dim0, dim1))
    if x.ndim == 0:                       # dims 0 and -1 of a 0-d tensor: nothing to swap, as PyTorch
        return x
    dims = list(range(x.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return permute(x, dims)


class Expand(_View):
    def forward(self, x, shape):
        self.shape = x.shape
        return self.b.broadcast_to(x, shape)

    def backward(self, g):
        return sum_to(self.b, g, self.shape)


def expand(x, *sizes):
    """``x`` broadcast to ``sizes`` without copying (-1 keeps a dimension), as ``torch.Tensor.expand``."""
    sizes = _sizes(sizes, "expand")
    if len(sizes) < x.ndim:
        raise RuntimeError(f"expand: {sizes} has fewer dimensions than the tensor's shape {x.shape}")
    lead = len(sizes) - x.ndim
    shape = []
    for i, s in enumerate(sizes):
        old = x.shape[i - lead] if i >= lead else None
        if s == -1:
            if old is None:
                raise RuntimeError(f"expand: -1 is not allowed in a new leading dimension, got {sizes}")
            s = old
        if old is not None and old != s and old != 1:
            raise RuntimeError(f"expand: dimension {i - lead} of size {old} cannot expand to {s} "
                             f"(shape {x.shape} -> {sizes})")
        shape.append(s)
    shape = tuple(shape)
    return x if shape == x.shape else Expand.apply(x, shape=shape)


def broadcast_to(x, shape):
    return expand(x, shape)


def squeeze(x, dim=None):
    """Drop size-1 axes (all of them, or only ``dim``)."""
    if dim is None:
        return reshape(x, tuple(s for s in x.shape if s != 1))
    axes = normalize_axes(dim, x.ndim, "dim")
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if not (i in axes and s == 1)))


def unsqueeze(x, dim):
    """Insert a size-1 axis at ``dim`` (in the output's numbering)."""
    d = normalize_axes(dim, x.ndim + 1, "dim")[0]
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes ``start_dim`` … ``end_dim`` into one."""
    if x.ndim == 0:
        return reshape(x, (1,))
    s, e = (normalize_axes(d, x.ndim, "dim")[0] for d in (start_dim, end_dim))
    if s > e:
        raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    n = 1
    for k in x.shape[s:e + 1]:
        n *= k
    return reshape(x, x.shape[:s] + (n,) + x.shape[e + 1:])


class Concat(Function):
    saves_inputs, saves_output = (), False

    def forward(self, *xs, axis):
        self.axis = axis
        self.sizes = [x.shape[axis] for x in xs]
        return self.b.concatenate(xs, axis=axis)

    def backward(self, g):
        lead = (slice(None),) * self.axis
        out, lo = [], 0
        for n in self.sizes:
            out.append(self.b.getitem(g, lead + (slice(lo, lo + n),)))
            lo += n
        return tuple(out)


def concat(tensors, axis=0, *, dim=None):
    """Join tensors of equal shape (except along ``axis``) along ``axis`` (``torch.cat``)."""
    tensors = list(tensors)
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("concat: expected a non-empty sequence of Tensors")
    first = tensors[0]
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"concat: zero-dimensional tensor (at position {i}) cannot be concatenated; "
                               f"use stack")
    ax = normalize_axes(dim if dim is not None else axis, first.ndim, "axis")[0]
    rest = first.shape[:ax] + first.shape[ax + 1:]
    dt = first.dtype
    for i, t in enumerate(tensors):
        s = t.shape
        if len(s) != len(first.shape) or s[:ax] + s[ax + 1:] != rest:
            raise RuntimeError(f"concat: tensors[{i}] has shape {t.shape}, expected {first.shape} except along axis "
                               f"{ax}")
        if t.dtype != dt:
            dt = _promote(dt, t.dtype)
    if any(t.dtype != dt for t in tensors):
        tensors = [cast(t, dt) for t in tensors]
    if len(tensors) == 1:
        return tensors[0]
    return Concat.apply(*tensors, axis=ax)


cat = concat


def stack(tensors, axis=0, *, dim=None):
    """Join tensors of one shape along a new axis ``axis``."""
    tensors = list(tensors)
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("stack: expected a non-empty sequence of Tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack: tensors[{i}] has shape {t.shape}, expected {tensors[0].shape} like tensors[0]")
    ax = normalize_axes(dim if dim is not None else axis, tensors[0].ndim + 1, "axis")[0]
    return concat([unsqueeze(t, ax) for t in tensors], ax)


# ----------------------------------------------------------------------------- indexing
def _index_key(key, shape, device):
    """Tensors and lists in an index become device arrays; returns (key, whether it has an array). The values of
    integer index tensors on a GPU are range-checked there (``tinygradnb.device.check``: an index out of bounds
    raises ``IndexError`` at the next copy to the host; NumPy checks the CPU's at once). A 0-d integer tensor
    counts as an int, as in PyTorch."""
    items = key if isinstance(key, tuple) else (key,)
    b = _device.backend(device)
    out, advanced = [], False
    for k in items:
        if isinstance(k, Tensor):
            if k.dtype.kind not in "iub":
                raise IndexError(f"index: tensors used as indices must be integer or bool, got {k.dtype}")
            if k.device != device and k.device != "cpu":   # a CPU index is copied over, as PyTorch
                raise ValueError(f"index: indices must be on the CPU or on the indexed tensor's device "
                                 f"{device!r}, got {k.device!r}")
            if k.ndim == 0 and k.dtype.kind in "iu":
                k = int(k.item())
            else:
                k, advanced = (k._data if k.device == device else b.asarray(k._data)), True
        elif isinstance(k, (list, np.ndarray)):
            k, advanced = b.asarray(np.asarray(k)), True
            if k.size == 0 and k.dtype.kind == "f":          # [] indexes nothing, as PyTorch's empty long tensor
                k = b.asarray(np.zeros(k.shape, int64))
            if k.dtype.kind not in "iub":
                raise IndexError(f"index: arrays used as indices must be integer or bool, got {k.dtype}")
        elif isinstance(k, slice):
            if k.step is not None and k.step <= 0:   # torch 2.13: ValueError, no reversed slices
                raise ValueError(f"index: slice step must be greater than zero, got {k.step} (use flip)")
        elif isinstance(k, bool) or not (k is None or k is Ellipsis or isinstance(k, (int, np.integer))):
            raise IndexError(f"index: expected ints, slices, None, Ellipsis or integer/bool tensors, got {k!r}")
        out.append(k)
    if sum(k is Ellipsis for k in out) > 1:
        raise IndexError("index: an index can only have a single ellipsis ('...')")
    if advanced and any(k is Ellipsis for k in out):
        used = sum(k.ndim if hasattr(k, "dtype") and k.dtype.kind == "b" else 1 for k in out
                   if k is not None and k is not Ellipsis)
        if used >= len(shape):          # '...' standing for no axis does not separate index arrays in torch
            out = [k for k in out if k is not Ellipsis]
    if advanced and device != "cpu":
        _check_index_arrays(b, out, shape, device)
    return tuple(out), advanced


def _split_ints(key):
    """PyTorch applies integer indices as plain selections before the advanced (array) indices, so they take no
    part in where the advanced result's axes go (NumPy broadcasts them with the arrays: ``x[0, :, [1, 2]]`` of a
    (2, 3, 4, 5) tensor is (3, 2, 5) in PyTorch, (2, 3, 5) in NumPy). Returns a basic key with the ints (arrays
    replaced by full slices) and the key that is left to apply to its result, or None when no int meets an
    array."""
    def is_int(k):
        return isinstance(k, (int, np.integer))
    if not any(is_int(k) for k in key):
        return None
    first, rest = [], []
    for k in key:
        if is_int(k):
            first.append(k)
        elif k is None:
            first.append(None)
            rest.append(slice(None))
        elif k is Ellipsis or isinstance(k, slice):
            first.append(k)
            rest.append(slice(None) if isinstance(k, slice) else k)
        else:                                   # an index array: a bool mask spans as many axes as it has
            first.extend([slice(None)] * (k.ndim if k.dtype.kind == "b" else 1))
            rest.append(k)
    return tuple(first), tuple(rest)


def _check_index_arrays(b, items, shape, device):
    """Queue the range check of each integer index array against the size of the axis it indexes."""
    real = [k for k in items if k is not None and k is not Ellipsis]
    n_real = sum(k.ndim if hasattr(k, "dtype") and k.dtype.kind == "b" else 1 for k in real)
    d = 0
    for k in items:
        if k is None:
            continue
        if k is Ellipsis:
            d += max(len(shape) - n_real, 0)
            continue
        if hasattr(k, "dtype") and d < len(shape):
            if k.dtype.kind == "b":
                d += k.ndim
                continue
            n, axis = shape[d], d
            _device.check_range(device, flat(b, b.astype(k, int64) if k.dtype != int64 else k), -n, n - 1,
                                lambda bad, n=n, axis=axis: IndexError(
                                    f"index: index {bad} is out of bounds for axis {axis} with size {n} (tensor of "
                                    f"shape {tuple(shape)})"))
        d += 1


class GetItem(Function):
    saves_inputs, saves_output = (), False

    def forward(self, x, key, advanced):
        self.shape, self.dtype, self.key, self.advanced = x.shape, x.dtype, key, advanced
        if not advanced:                 # a basic slice: a view that in-place writes go through
            self.view, self.write_key = True, key
        return self.b.getitem(x, key)

    def backward(self, g):  # scatter the gradient back; repeated indices accumulate
        b = self.b
        if self.advanced:
            return b.index_add(self.shape, self.key, g, self.dtype)
        out = b.zeros(self.shape, self.dtype)
        b.setitem(out, self.key, g)
        return out


def _get(x, key, advanced):
    if advanced and x.requires_grad and is_grad_enabled():   # backward must see the indices of the forward
        b = _device.backend(x.device)
        key = tuple(b.copy(k) if hasattr(k, "dtype") else k for k in key)
    try:
        return GetItem.apply(x, key=key, advanced=advanced)
    except IndexError as e:
        raise IndexError(f"index: {e} (tensor of shape {x.shape})") from None


def getitem(x, key):
    """``x[key]``: basic slicing (a view) and integer/bool-array indexing (a gather; backward scatter-adds), with
    PyTorch's placement of the indexed axes."""
    if type(key) is int:                       # x[i]: a basic selection, nothing to convert
        return _get(x, (key,), False)
    key, advanced = _index_key(key, x.shape, x.device)
    split = _split_ints(key) if advanced else None
    if split is not None:
        return _get(_get(x, split[0], False), split[1], True)
    return _get(x, key, advanced)


def _get_arr(b, a, key, split):
    """``a[key]`` with PyTorch's placement (``split`` from ``_split_ints``)."""
    return b.getitem(a, key) if split is None else b.getitem(b.getitem(a, split[0]), split[1])


def _set_arr(b, a, key, split, v):
    """``a[key] = v`` in place with PyTorch's placement: into the integer selection, then put back (a no-op for a
    CPU view)."""
    if split is None:
        b.setitem(a, key, v)
    else:
        part = b.getitem(a, split[0])
        b.setitem(part, split[1], v)
        b.setitem(a, split[0], part)


class SetItem(Function):
    """x[key] = v recorded in the graph: the output is x's memory with the selection overwritten; the gradient
    of x is g with the selection zeroed, that of v the selection of g (summed over v's broadcast axes)."""
    saves_inputs, saves_output = (), False

    def forward(self, x, v, key, split):
        self.key, self.split, self.vshape = key, split, v.shape
        _set_arr(self.b, x, key, split, v)
        return x

    def backward(self, g):
        b, (nx, nv) = self.b, self.needs_input_grad
        gx = gv = None
        if nx:
            gx = b.copy(g)
            _set_arr(b, gx, self.key, self.split, 0)
        if nv:
            gv = sum_to(b, b.contiguous(_get_arr(b, g, self.key, self.split)), self.vshape)
        return gx, gv


def setitem(x, key, value):
    """``x[key] = value`` in place (``value`` a number or a tensor broadcastable to the selection, cast to x's
    dtype). When x or value is in the graph the write is recorded (x becomes the output of a ``SetItem``), as in
    PyTorch; not on a leaf that requires grad."""
    if isinstance(value, Tensor):
        if value.device != x.device:
            raise ValueError(f"setitem: value is on {value.device!r}, the tensor on {x.device!r}")
    elif not isinstance(value, (numbers.Number, np.bool_)):
        raise TypeError(f"setitem: value must be a Tensor or a number, got {type(value).__name__}")
    record = x._inplace_records("setitem", value)
    key, advanced = _index_key(key, x.shape, x.device)
    b = _device.backend(x.device)
    split = _split_ints(key) if advanced else None
    try:
        if record:
            if not isinstance(value, Tensor):
                value = Tensor._wrap(b.full((), value, x.dtype), x.device, False, None)
            elif value.dtype != x.dtype:
                value = cast(value, x.dtype)
            old = Tensor._wrap(x._data, x.device, x.requires_grad, x._ctx)   # x's place in the graph until now
            old._index = x._index
            out = SetItem.apply(old, value, key=key, split=split)
        else:
            _set_arr(b, x._data, key, split, value._data if isinstance(value, Tensor) else value)
    except IndexError as e:
        raise IndexError(f"index: {e} (tensor of shape {x.shape})") from None
    except ValueError:
        if not isinstance(value, Tensor):
            raise
        sel = getitem(x.detach(), key)
        raise RuntimeError(f"setitem: a value of shape {tuple(value.shape)} cannot be broadcast to the selection "
                           f"x[key] of shape {tuple(sel.shape)} (tensor of shape {tuple(x.shape)})") from None
    if record:
        x._assign(out)
    else:
        x._bump()
    write_back(x)


def write_back(x):
    """After an in-place write into ``x``, a basic slice ``parent[key]`` of another tensor: the same write into
    the parent (recorded in the graph when x is in it; the values only matter on a device whose slices are
    copies — on the CPU the parent's memory holds them already)."""
    if type(x._base) is tuple:
        parent, key = x._base
        setitem(parent, key, x)
        x._seen = x._vc[1]


# ----------------------------------------------------------------------------- split, chunk, unbind
def _check_tensor(x, fn, arg="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: {arg} must be a Tensor, got {type(x).__name__}")
    return x


def _int_arg(v, fn, arg):
    """``v`` as an int, or ``TypeError`` naming ``arg`` (a bool or a float is not an int, as in PyTorch)."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{fn}: {arg} must be an int, got {type(v).__name__} {v!r}")
    return int(v)


def _dim(x, dim, fn):
    """``dim`` of ``x`` in [0, ndim), with PyTorch's errors: ``TypeError`` for a non-int, ``IndexError`` out of
    range (a 0-d tensor takes dims 0 and -1)."""
    return normalize_axes(_int_arg(dim, fn, "dim"), x.ndim, "dim")[0]


def _narrow(x, d, lo, hi):
    """``x[..., lo:hi, ...]`` along axis d: a basic slice, so a view that in-place writes go through."""
    return getitem(x, (slice(None),) * d + (slice(lo, hi),))


def split(tensor, split_size_or_sections, dim=0):
    """``tensor`` cut along ``dim`` into pieces of ``split_size_or_sections`` (an int: equal pieces, the last one
    smaller; a list of ints: those sizes, which must sum to the dim's size), as ``torch.split``; the pieces are
    views (basic slices) of ``tensor``."""
    _check_tensor(tensor, "split", "tensor")
    if tensor.ndim == 0:
        raise RuntimeError("split: expects at least a 1-dimensional tensor")
    d = _dim(tensor, dim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [_int_arg(s, "split", "split_size_or_sections") for s in split_size_or_sections]
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"split: split_sizes must be non-negative, got {sizes}")
        if sum(sizes) != n:
            raise RuntimeError(f"split: split_sizes {sizes} must sum exactly to {n} (the tensor's size at dimension "
                               f"{d})")
    else:
        size = _int_arg(split_size_or_sections, "split", "split_size_or_sections")
        if size < 0:
            raise RuntimeError(f"split: split_size must be non-negative, got {size}")
        if size == 0 and n != 0:
            raise RuntimeError(f"split: split_size can only be 0 if the dimension's size is 0, but got dimension "
                               f"size {n}")
        pieces = max(-(-n // size), 1) if size else 1
        sizes = [size] * (pieces - 1) + [n - size * (pieces - 1)]
    out, lo = [], 0
    for s in sizes:
        out.append(_narrow(tensor, d, lo, lo + s))
        lo += s
    return tuple(out)


def chunk(input, chunks, dim=0):
    """``input`` cut along ``dim`` into at most ``chunks`` views of ⌈n / chunks⌉ (the last one smaller; fewer
    pieces when they run out), as ``torch.chunk``; an empty dim gives ``chunks`` empty views."""
    _check_tensor(input, "chunk")
    chunks = _int_arg(chunks, "chunk", "chunks")
    if input.ndim == 0:
        raise RuntimeError("chunk: expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be greater than 0, got {chunks}")
    d = _dim(input, dim, "chunk")
    n = input.shape[d]
    size = -(-n // chunks)
    if size == 0:
        return split(input, [0] * chunks, d)
    return split(input, size, d)


def unbind(input, dim=0):
    """The slices of ``input`` along ``dim`` (each without that dim; views), as ``torch.unbind``."""
    _check_tensor(input, "unbind")
    if input.ndim == 0:
        raise IndexError("unbind: dimension specified as 0 but the tensor has no dimensions")
    d = _dim(input, dim, "unbind")
    return tuple(getitem(input, (slice(None),) * d + (i,)) for i in range(input.shape[d]))


# ----------------------------------------------------------------------------- repeat, flip, roll
class Tile(Function):
    """out = reshape(broadcast(reshape(x, mid), big), out_shape): ``repeat`` and ``repeat_interleave`` by an int
    (mid has a size-1 axis beside each repeated one). The gradient sums g over the broadcast axes."""
    saves_inputs, saves_output = (), False

    def forward(self, x, mid, big, shape):
        b = self.b
        self.xshape, self.mid, self.big = x.shape, mid, big
        a = b.broadcast_to(b.reshape(b.contiguous(x), mid), big)
        return b.reshape(b.contiguous(a), shape)

    def backward(self, g):
        b = self.b
        return b.reshape(sum_to(b, b.reshape(b.contiguous(g), self.big), self.mid), self.xshape)


def repeat(input, *sizes):
    """``input`` tiled ``sizes[i]`` times along each dim (leading sizes add dims), as ``torch.Tensor.repeat``: a
    new tensor."""
    _check_tensor(input, "repeat")
    if not sizes:
        raise TypeError("repeat: missing the required argument 'repeats' (the number of times to repeat each dim)")
    reps = _sizes(sizes, "repeat")
    if len(reps) < input.ndim:
        raise RuntimeError(f"repeat: the number of repeat dims ({len(reps)}) can not be smaller than the number of "
                           f"dimensions of the tensor ({input.ndim})")
    if any(r < 0 for r in reps):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {reps}")
    shape = (1,) * (len(reps) - input.ndim) + tuple(input.shape)
    mid = tuple(v for s in shape for v in (1, s))
    big = tuple(v for r, s in zip(reps, shape) for v in (r, s))
    return Tile.apply(input, mid=mid, big=big, shape=tuple(r * s for r, s in zip(reps, shape)))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (``dim=None``: of the flattened input) or each slice along ``dim`` repeated ``repeats`` times
    in place, as ``torch.repeat_interleave``; ``repeats`` an int or an integer tensor of one count per slice (or
    one for all). With ``repeats`` omitted, ``input`` holds the counts and the result repeats their positions."""
    _check_tensor(input, "repeat_interleave")
    if repeats is None:
        if input.ndim != 1 or input.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave: repeats must be a 1-d integer tensor, got shape "
                               f"{tuple(input.shape)} of {input.dtype}")
        pos = Tensor._wrap(_device.backend(input.device).arange(input.shape[0], dtype=int64), input.device, False,
                           None)
        return repeat_interleave(pos, input, 0, output_size=output_size)
    if dim is None:
        input, d = reshape(input, -1), 0
    elif input.ndim == 0:
        raise IndexError(f"repeat_interleave: dim {dim!r} is out of range for a 0-d tensor (pass dim=None)")
    else:
        d = _dim(input, dim, "repeat_interleave")
    n = input.shape[d]
    if isinstance(repeats, Tensor):
        if repeats.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave: repeats must be an integer tensor, got {repeats.dtype}")
        if repeats.ndim > 1:
            raise RuntimeError(f"repeat_interleave: repeats must be 0-d or 1-d, got shape {tuple(repeats.shape)}")
        counts = np.asarray(repeats.numpy(), dtype=np.int64).reshape(-1)   # the result's size needs the values
        if counts.size == 1 and n != 1:
            counts = np.full(n, counts[0])
        if counts.size != n:
            raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {counts.size} and input.size({d}) = {n}")
        if (counts < 0).any():
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        total = int(counts.sum())
        if output_size is not None and output_size != total:
            raise RuntimeError(f"repeat_interleave: invalid output_size, expected {total} but got {output_size}")
        idx = _device.backend(input.device).asarray(np.repeat(np.arange(n, dtype=np.int64), counts))
        return _get(input, (slice(None),) * d + (idx,), True)
    r = _int_arg(repeats, "repeat_interleave", "repeats")
    if r < 0:
        raise RuntimeError(f"repeat_interleave: repeats must be non-negative, got {r}")
    if output_size is not None and output_size != n * r:
        raise RuntimeError(f"repeat_interleave: invalid output_size, expected {n * r} but got {output_size}")
    s = tuple(input.shape)
    mid = s[:d + 1] + (1,) + s[d + 1:]
    big = s[:d + 1] + (r,) + s[d + 1:]
    return Tile.apply(input, mid=mid, big=big, shape=s[:d] + (n * r,) + s[d + 1:])


def expand_as(input, other):
    """``input`` expanded to ``other``'s shape (``torch.Tensor.expand_as``)."""
    _check_tensor(other, "expand_as", "other")
    return expand(input, tuple(other.shape))


class AxisPermute(Function):
    """A permutation of the positions along some axes (``flip``, ``roll``): out = x[..., p, ...] for each
    (axis, p); the gradient applies the inverse permutations in reverse order."""
    saves_inputs, saves_output = (), False

    def forward(self, x, perms):
        b = self.b
        self.perms = [(d, b.asarray(p), b.asarray(np.argsort(p))) for d, p in perms]
        for d, p, _ in self.perms:
            x = b.getitem(x, (slice(None),) * d + (p,))
        return x

    def backward(self, g):
        b = self.b
        for d, _, q in reversed(self.perms):
            g = b.getitem(g, (slice(None),) * d + (q,))
        return g


def _dims_list(dims, fn):
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"{fn}: dims must be a tuple of ints, got {type(dims).__name__}")
    return [_int_arg(d, fn, "dims") for d in dims]


def flip(input, dims):
    """``input`` with the order of its elements reversed along each of ``dims`` (a copy), as ``torch.flip``."""
    _check_tensor(input, "flip")
    ds = [_dim(input, d, "flip") for d in _dims_list(dims, "flip")]
    if len(set(ds)) != len(ds):
        raise RuntimeError(f"flip: a dim appears multiple times in the list of dims {tuple(dims)}")
    perms = [(d, np.arange(input.shape[d] - 1, -1, -1, dtype=np.int64)) for d in ds if input.ndim and
             input.shape[d] > 1]
    return AxisPermute.apply(input, perms=perms) if perms else clone(input)


def roll(input, shifts, dims=None):
    """``input`` rolled by ``shifts`` along ``dims`` (elements leaving one end come back at the other); with
    ``dims=None`` over the flattened tensor, then reshaped back, as ``torch.roll``."""
    _check_tensor(input, "roll")
    sh = [_int_arg(s, "roll", "shifts") for s in shifts] if isinstance(shifts, (tuple, list)) else \
        [_int_arg(shifts, "roll", "shifts")]
    if not sh:
        raise RuntimeError("roll: `shifts` required")
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"roll: shifts and dimensions must align, shifts: {len(sh)}, dims: 0 (dims=None "
                               f"takes one shift)")
        return reshape(roll(flatten(input), sh[0], 0), tuple(input.shape))
    ds = _dims_list(dims, "roll") if isinstance(dims, (tuple, list)) else [_int_arg(dims, "roll", "dims")]
    if len(sh) != len(ds):
        raise RuntimeError(f"roll: shifts and dimensions must align, shifts: {len(sh)}, dims: {len(ds)}")
    if input.ndim == 0:
        raise IndexError("roll: dimension specified as 0 but the tensor has no dimensions")
    perms = []
    for s, d in zip(sh, ds):
        d = _dim(input, d, "roll")
        n = input.shape[d]
        if n > 1 and s % n:
            perms.append((d, (np.arange(n, dtype=np.int64) - s) % n))
    return AxisPermute.apply(input, perms=perms) if perms else clone(input)


# ----------------------------------------------------------------------------- triangles
def _triangle(input, diagonal, upper, fn):
    _check_tensor(input, fn)
    diagonal = _int_arg(diagonal, fn, "diagonal")
    if input.ndim < 2:
        raise RuntimeError(f"{fn}: input tensor must have at least 2 dimensions, got shape {tuple(input.shape)}")
    b, dev = _device.backend(input.device), input.device
    rows, cols = input.shape[-2:]
    off = b.subtract(b.reshape(b.arange(cols, dtype=int64), (1, cols)), b.reshape(b.arange(rows, dtype=int64),
                                                                                  (rows, 1)))
    keep = b.greater_equal(off, diagonal) if upper else b.less_equal(off, diagonal)
    zero = Tensor._wrap(b.zeros((), input.dtype), dev, False, None)
    return where(Tensor._wrap(keep, dev, False, None), input, zero)


def triu(input, diagonal=0):
    """The upper triangle of the last two dims: elements (i, j) with j − i ≥ ``diagonal`` kept, the others 0
    (``torch.triu``); the gradient passes where kept."""
    return _triangle(input, diagonal, True, "triu")


def tril(input, diagonal=0):
    """The lower triangle of the last two dims: elements (i, j) with j − i ≤ ``diagonal`` kept, the others 0
    (``torch.tril``); the gradient passes where kept."""
    return _triangle(input, diagonal, False, "tril")


# ----------------------------------------------------------------------------- gather and scatter
class IndexOutOfRangeError(IndexError, RuntimeError):
    """An index value outside its dim (gather, scatter, index_select, one_hot): PyTorch raises ``RuntimeError``;
    it is also an ``IndexError``, so that a GPU check reported at the next copy to the host says so."""


def _index_tensor(index, fn, arg="index"):
    if not isinstance(index, Tensor):
        raise TypeError(f"{fn}: {arg} must be a Tensor, got {type(index).__name__}")
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"{fn}: expected dtype int32 or int64 for {arg}, got {index.dtype}")
    return index


def _check_values(index, n, d, fn, device):
    """Queue the check that every element of ``index`` lies in [0, n) (at once on the CPU)."""
    b = _device.backend(device)
    a = index._data
    if a.size == 0:
        return
    if index.device != device:
        a = b.asarray(_device.read(index.device, a))
    _device.check_range(device, flat(b, b.astype(a, int64) if a.dtype != int64 else a), 0, n - 1,
                        lambda bad: IndexOutOfRangeError(f"{fn}: index {bad} is out of bounds for dimension {d} "
                                                         f"with size {n}"))


def _along_key(b, idx, dim):
    """The advanced key that reads x[i_0, …, idx[i], …, i_{n-1}] at each position i of ``idx`` (same ndim as x),
    with ``idx`` on axis ``dim`` and aranges broadcast on the others."""
    nd = idx.ndim
    key = []
    for d in range(nd):
        if d == dim:
            key.append(idx)
        else:
            shape = [1] * nd
            shape[d] = idx.shape[d]
            key.append(b.reshape(b.arange(idx.shape[d], dtype=int64), tuple(shape)))
    return tuple(key)


def _gather_args(input, dim, index, fn, src=None):
    """Validate a gather/scatter call with PyTorch's rules; returns (dim, 1-d-or-more shapes of x and index)."""
    _check_tensor(input, fn)
    _index_tensor(index, fn)
    d = _dim(input, dim, fn)
    if index.device != input.device:
        raise ValueError(f"{fn}: index is on {index.device!r}, the input on {input.device!r}")
    xs = tuple(input.shape) or (1,)
    ishape = tuple(index.shape) or (1,)
    if len(ishape) != len(xs):
        raise RuntimeError(f"{fn}: index tensor must have the same number of dimensions as input tensor, got "
                           f"{index.ndim} and {input.ndim}")
    if src is not None:
        ss = tuple(src.shape) or (1,)
        if len(ss) != len(ishape):
            raise RuntimeError(f"{fn}: index tensor must have the same number of dimensions as src tensor, got "
                               f"{index.ndim} and {src.ndim}")
        if index.numel() and any(i > s for i, s in zip(ishape, ss)):
            raise RuntimeError(f"{fn}: expected index {list(ishape)} to be no larger than src {list(ss)}")
    if index.numel() and any(i > s for k, (i, s) in enumerate(zip(ishape, xs)) if k != d):
        raise RuntimeError(f"{fn}: size does not match: expected index {list(ishape)} to be no larger than input "
                           f"{list(xs)} apart from dimension {d}")
    _check_values(index, xs[d], d, fn, input.device)
    return d, xs, ishape


class Gather(Function):
    """out[i] = x[i with i_dim replaced by index[i]]; the gradient scatter-adds g back (repeated indices
    accumulate)."""
    saves_inputs, saves_output = (1,), False

    def forward(self, x, index, dim, xs, ishape):
        b = self.b
        self.shape, self.xs, self.ishape = x.shape, xs, ishape
        self.key = _along_key(b, b.reshape(index, ishape), dim)
        out = b.getitem(b.reshape(x, xs), self.key)
        return b.reshape(out, index.shape)

    def backward(self, g):
        b = self.b
        return b.reshape(b.index_add(self.xs, self.key, b.reshape(g, self.ishape), g.dtype), self.shape), None


def gather(input, dim, index, *, sparse_grad=False):
    """Values of ``input`` along ``dim`` at ``index`` (``torch.gather``): out[i][j][k] = input[index[i][j][k]][j][k]
    for dim 0, and so on. ``index`` (int64 or int32) has input's number of dims and is no larger than input
    apart from ``dim``; its values must lie in [0, input.size(dim)) (RuntimeError). The result has index's shape."""
    d, xs, ishape = _gather_args(input, dim, index, "gather")
    return Gather.apply(input, index, dim=d, xs=xs, ishape=ishape)


class Scatter(Function):
    """out = x with out[i with i_dim replaced by index[i]] = src[i] (or ``value``) for each position i of index;
    ``add``: those src values added instead (repeated indices accumulate). Gradients: x gets g, with the written
    positions zeroed unless ``add``; src gets g gathered at the written positions (zero where src was not read)."""
    saves_inputs, saves_output = (1,), False

    def forward(self, x, index, src=None, *, dim, xs, ishape, value=None, add=False):
        b = self.b
        self.shape, self.xs, self.ishape, self.add = x.shape, xs, ishape, add
        self.key = key = _along_key(b, b.reshape(index, ishape), dim)
        out = b.reshape(b.copy(x), xs)
        if src is not None:
            self.sshape = src.shape
            self.part = tuple(slice(0, n) for n in ishape)
            v = b.getitem(b.reshape(src, tuple(src.shape) or (1,)), self.part)
        else:
            v = value
        if index.size:
            if add:
                dt = int64 if out.dtype.kind == "b" else out.dtype
                out = b.add(b.astype(out, dt) if dt != out.dtype else out, b.index_add(xs, key, v, dt))
                out = b.not_equal(out, 0) if x.dtype.kind == "b" else out
            else:
                b.setitem(out, key, v)
        return b.reshape(out, self.shape)

    def backward(self, g):
        b = self.b
        nx, nsrc = self.needs_input_grad[0], len(self.needs_input_grad) > 2 and self.needs_input_grad[2]
        gx = gsrc = None
        g1 = b.reshape(g, self.xs)
        if nx:
            if self.add:
                gx = g
            else:
                gx = b.copy(g1)
                if self.key[0].size:
                    b.setitem(gx, self.key, 0)
                gx = b.reshape(gx, self.shape)
        if nsrc:
            gsrc = b.zeros(tuple(self.sshape) or (1,), g.dtype)
            if self.key[0].size:
                b.setitem(gsrc, self.part, b.reshape(b.getitem(g1, self.key), self.ishape))
            gsrc = b.reshape(gsrc, self.sshape)
        return (gx, None) if len(self.needs_input_grad) == 2 else (gx, None, gsrc)


def _scatter(input, dim, index, src, value, fn, add):
    if isinstance(src, Tensor):
        if src.device != input.device:
            raise ValueError(f"{fn}: src is on {src.device!r}, the input on {input.device!r}")
        if src.dtype != input.dtype:
            raise RuntimeError(f"{fn}: expected self.dtype to be equal to src.dtype, got {input.dtype} and "
                               f"{src.dtype}")
        d, xs, ishape = _gather_args(input, dim, index, fn, src)
        return Scatter.apply(input, index, src, dim=d, xs=xs, ishape=ishape, add=add)
    d, xs, ishape = _gather_args(input, dim, index, fn)
    return Scatter.apply(input, index, dim=d, xs=xs, ishape=ishape, value=value, add=add)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with the values of ``src`` (a tensor of input's dtype) or of the number ``value``
    written along ``dim`` at ``index`` (``torch.scatter``): out[index[i][j][k]][j][k] = src[i][j][k] for dim 0.
    ``index`` (int64 or int32) is no larger than src, nor than input apart from ``dim``; its values lie in
    [0, input.size(dim)). Where an index repeats, which write wins is unspecified (as in PyTorch). ``src`` may
    be a number (then it is the value). ``reduce=`` is not supported: use ``scatter_add``."""
    fn = "scatter"
    _check_tensor(input, fn)
    if reduce is not None:
        raise ValueError(f"{fn}: reduce={reduce!r} is not supported (PyTorch deprecates it); use scatter_add for "
                         f"'add'")
    if src is not None and value is not None:
        raise TypeError(f"{fn}: pass either src or value, not both")
    if src is None:
        src = value
    if isinstance(src, Tensor):
        return _scatter(input, dim, index, src, None, fn, False)
    if isinstance(src, (bool, np.bool_)) or isinstance(src, numbers.Number):
        if isinstance(src, complex):
            raise TypeError(f"{fn}: value must be a real number, got {src!r}")
        return _scatter(input, dim, index, None, src, fn, False)
    raise TypeError(f"{fn}: src must be a Tensor or value a number, got {type(src).__name__}")


def scatter_add(input, dim, index, src):
    """A copy of ``input`` with the values of ``src`` added along ``dim`` at ``index``, repeated indices
    accumulating (``torch.scatter_add``): out[index[i][j][k]][j][k] += src[i][j][k] for dim 0. The gradient of
    input is g, that of src g gathered at index."""
    fn = "scatter_add"
    _check_tensor(input, fn)
    if not isinstance(src, Tensor):
        raise TypeError(f"{fn}: src must be a Tensor, got {type(src).__name__}")
    return _scatter(input, dim, index, src, None, fn, True)


def index_select(input, dim, index):
    """The slices of ``input`` along ``dim`` at the positions in ``index`` (a 1-d or 0-d int64/int32 tensor with
    values in [0, input.size(dim))), as ``torch.index_select``; the gradient scatter-adds back."""
    fn = "index_select"
    _check_tensor(input, fn)
    _index_tensor(index, fn)
    d = _dim(input, dim, fn)
    if index.ndim > 1:
        raise IndexError(f"{fn}: index is supposed to be a vector, got shape {tuple(index.shape)}")
    if index.device != input.device:
        raise ValueError(f"{fn}: index is on {index.device!r}, the input on {input.device!r}")
    n = input.shape[d] if input.ndim else 1
    _check_values(index, n, d, fn, input.device)
    b = _device.backend(input.device)
    idx = b.reshape(index._data, (-1,))
    if input.ndim == 0:
        return reshape(_get(reshape(input, 1), (idx,), True), ())
    return _get(input, (slice(None),) * d + (idx,), True)


# ----------------------------------------------------------------------------- masks
def _mask(mask, fn, device):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{fn}: mask must be a Tensor, got {type(mask).__name__}")
    if mask.dtype.kind != "b":
        raise RuntimeError(f"{fn}: only supports boolean masks, but got mask with dtype {mask.dtype}")
    if mask.device != device:
        raise ValueError(f"{fn}: mask is on {mask.device!r}, the input on {device!r}")
    return mask


def _broadcast(s1, s2, fn):
    try:
        return broadcast_shape(s1, s2, fn)
    except ValueError:
        raise RuntimeError(f"{fn}: the mask of shape {tuple(s2)} does not broadcast with the input of shape "
                           f"{tuple(s1)}") from None


def _moved(t, device):
    """``t`` copied to ``device``, in the graph when it is in it (``copy_`` and ``fill_`` take a source on
    another device, as PyTorch)."""
    if t.requires_grad and is_grad_enabled():
        return to_device(t, device)
    return Tensor._wrap(_device.backend(device).asarray(_device.read(t.device, t._data)), device, False, None)


def _fill_value(x, value, fn):
    """``value`` (a number or a 0-d tensor) as a 0-d tensor of x's dtype on x's device (float values cast to an
    integer dtype truncate, as PyTorch)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"{fn}: only supports a 0-dimensional value tensor, but got a tensor with "
                               f"{value.ndim} dimension(s)")
        if value.device != x.device:
            value = _moved(value, x.device)
        if x.dtype.kind != "f" and value.requires_grad:
            value = value.detach()
        return cast(value, x.dtype)
    if isinstance(value, (numbers.Real, np.bool_)):
        return Tensor._wrap(_device.backend(x.device).full((), value, x.dtype), x.device, False, None)
    raise TypeError(f"{fn}: value must be a number or a 0-d Tensor, got {type(value).__name__}")


def masked_fill(input, mask, value):
    """``value`` (a number or a 0-d tensor, cast to input's dtype) where the bool ``mask`` is True, else
    ``input`` (``torch.masked_fill``; the result has the broadcast shape of input and mask). Gradients: input's
    where the mask is False, a value tensor's summed where it is True."""
    fn = "masked_fill"
    _check_tensor(input, fn)
    _mask(mask, fn, input.device)
    _broadcast(input.shape, mask.shape, fn)
    return where(mask, _fill_value(input, value, fn), input)


def masked_select(input, mask):
    """The elements of ``input`` where the bool ``mask`` is True (both broadcast), as a 1-d tensor in row-major
    order (``torch.masked_select``); the gradient scatters back."""
    fn = "masked_select"
    _check_tensor(input, fn)
    _mask(mask, fn, input.device)
    shape = _broadcast(input.shape, mask.shape, fn)
    x, m = expand(input, shape), expand(mask, shape)
    if not shape:
        x, m = reshape(x, 1), reshape(m, 1)
    return getitem(x, m)


# ----------------------------------------------------------------------------- pad, one_hot, eye
class ConstantPad(Function):
    """out = ``value`` everywhere, with x (cropped where a pad is negative) in the middle; the gradient is g's
    middle."""
    saves_inputs, saves_output = (), False

    def forward(self, x, shape, src, dst, value):
        b = self.b
        self.shape, self.src, self.dst = x.shape, src, dst
        out = b.full(shape, value, x.dtype)
        if all(s.stop > s.start for s in src):
            b.setitem(out, dst, b.getitem(x, src))
        return out

    def backward(self, g):
        b = self.b
        gx = b.zeros(self.shape, g.dtype)
        if all(s.stop > s.start for s in self.src):
            b.setitem(gx, self.src, b.getitem(g, self.dst))
        return gx


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """``input`` padded (``torch.nn.functional.pad``): ``pad`` = (left, right) of the last dim, then of the one
    before it, … (negative values crop). ``constant`` fills with ``value`` (default 0); ``reflect`` mirrors
    without repeating the edge (x[1], x[0] | x[0] … x[n−1] | x[n−2]), ``replicate`` repeats the edge, ``circular``
    wraps around; these three pad the last 1, 2 or 3 dims of a (batched) 2–5-d input as PyTorch."""
    fn = "pad"
    _check_tensor(input, fn)
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"{fn}: pad must be a tuple of ints, got {type(pad).__name__}")
    pads = [_int_arg(p, fn, "pad") for p in pad]
    if len(pads) % 2:
        raise RuntimeError(f"{fn}: padding length must be divisible by 2, got {len(pads)}")
    k = len(pads) // 2
    if k > input.ndim:
        raise RuntimeError(f"{fn}: padding length should be less than or equal to two times the input dimension, "
                           f"but got padding length {len(pads)} and input of dimension {input.ndim}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"{fn}: unrecognised padding mode {mode!r}, expected one of {_PAD_MODES}")
    nd = input.ndim
    sides = {nd - 1 - i: (pads[2 * i], pads[2 * i + 1]) for i in range(k)}   # dim -> (before, after)
    shape = list(input.shape)
    for d, (lo, hi) in sides.items():
        shape[d] += lo + hi
        if shape[d] < 0:
            raise RuntimeError(f"{fn}: padding {(lo, hi)} of dimension {d} (size {input.shape[d]}) leaves a "
                               f"negative size {shape[d]}")
    if mode == "constant":
        v = 0 if value is None else value
        if not isinstance(v, (numbers.Real, np.bool_)):
            raise TypeError(f"{fn}: value must be a number, got {type(v).__name__}")
        src, dst = [], []
        for d, n in enumerate(input.shape):
            lo, hi = sides.get(d, (0, 0))
            a, e = max(-lo, 0), n - max(-hi, 0)
            src.append(slice(a, max(e, a)))
            dst.append(slice(max(lo, 0), max(lo, 0) + max(e - a, 0)))
        return ConstantPad.apply(input, shape=tuple(shape), src=tuple(src), dst=tuple(dst), value=v)
    if value is not None and value != 0:
        raise RuntimeError(f"{fn}: padding mode {mode!r} doesn't take in a value argument")
    if k not in (1, 2, 3) or nd not in (k + 1, k + 2):
        raise NotImplementedError(f"{fn}: padding size {len(pads)} is not supported for a {nd}-d input in mode "
                                  f"{mode!r}: pad the last dim of a 2-d or 3-d input (2 values), the last 2 dims "
                                  f"of a 3-d or 4-d one (4) or the last 3 of a 4-d or 5-d one (6)")
    batched = nd == k + 2
    if any(s == 0 for s in input.shape[1 if batched else 0:]):
        raise RuntimeError(f"{fn}: expected a {k + 1}-d or {k + 2}-d (batch mode) tensor with possibly 0 batch "
                           f"size and other non-zero dimensions for input, but got shape {tuple(input.shape)}")
    b = _device.backend(input.device)
    out = input
    for d, (lo, hi) in sorted(sides.items()):
        n = input.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"{fn}: padding size should be less than the corresponding input dimension, but "
                               f"got padding {(lo, hi)} at dimension {d} of input {list(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError(f"{fn}: padding {(lo, hi)} at dimension {d} of size {n} causes wrapping around "
                               f"more than once")
        j = np.arange(-lo, n + hi, dtype=np.int64)
        if mode == "reflect":
            j = np.abs(j)
            j = np.where(j >= n, 2 * (n - 1) - j, j)
        elif mode == "replicate":
            j = np.clip(j, 0, n - 1)
        else:                   # wraps within what is left after cropping, as PyTorch
            a, m = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
            if m <= 0:
                raise RuntimeError(f"{fn}: circular padding {(lo, hi)} crops all of dimension {d} (size {n})")
            j = (np.arange(-max(lo, 0), m + max(hi, 0), dtype=np.int64) % m) + a
        out = _get(out, (slice(None),) * d + (b.asarray(j),), True)
    return out


def one_hot(tensor, num_classes=-1):
    """(…, num_classes) int64 with 1 at each value of ``tensor`` (int64, values in [0, num_classes)) and 0
    elsewhere (``torch.nn.functional.one_hot``); ``num_classes=-1`` takes the largest value + 1 (a copy to the
    host on a GPU, as PyTorch)."""
    fn = "one_hot"
    _check_tensor(tensor, fn, "tensor")
    if tensor.dtype != int64:
        raise RuntimeError(f"{fn}: one_hot is only applicable to index tensors of type int64 (LongTensor), got "
                           f"{tensor.dtype}")
    c = _int_arg(num_classes, fn, "num_classes")
    b, dev = _device.backend(tensor.device), tensor.device
    a = flat(b, tensor._data)
    if a.size == 0:
        if c <= 0:
            raise RuntimeError(f"{fn}: can not infer the total number of classes from an empty tensor")
    elif c == -1:
        lo, hi, _ = (int(v) for v in _device.read(dev, b.index_stats(a, 0, False)))
        if lo < 0:
            raise RuntimeError(f"{fn}: class values must be non-negative, got {lo}")
        c = hi + 1
    else:
        def error(bad):
            return IndexOutOfRangeError(f"{fn}: class values must be non-negative, got {bad}" if bad < 0 else
                                        f"{fn}: class values must be smaller than num_classes ({c}), got {bad}")
        if c < 0:
            raise RuntimeError(f"{fn}: class values must be smaller than num_classes ({c})")
        _device.check_range(dev, a, 0, c - 1, error)
    shape = tuple(tensor.shape)
    hot = b.equal(b.reshape(tensor._data, shape + (1,)),
                  b.reshape(b.arange(c, dtype=int64), (1,) * len(shape) + (c,)))
    return Tensor._wrap(b.astype(hot, int64), dev, False, None)


# ----------------------------------------------------------------------------- in-place methods
def _inplace_update(x, name, compute, others=(), direct=None):
    """Write ``compute(x)`` (an out-of-place result of x's shape, cast to x's dtype when PyTorch's ``can_cast``
    allows) into x's memory, as PyTorch's in-place methods: recorded in the graph (on a snapshot of x, whose node
    x then becomes) when x or one of ``others`` requires grad, else a plain write — ``direct()``, when given,
    writes x's memory itself. Not on a leaf that requires grad, nor in the graph on a view other than a slice."""
    if x._inplace_records(name, *others):
        out = compute(x._snapshot())
    elif direct is not None:
        direct()
        x._bump()
        write_back(x)
        return x
    else:
        with no_grad():
            out = compute(x)
    if out.shape != x.shape:
        raise RuntimeError(f"{name}: output with shape {tuple(x.shape)} doesn't match the broadcast shape "
                           f"{tuple(out.shape)}")
    if out.dtype != x.dtype:
        if _CATEGORY[out.dtype.kind] > _CATEGORY[x.dtype.kind]:
            raise RuntimeError(f"{name}: result type {out.dtype} can't be cast to the desired output type "
                               f"{x.dtype}")
        out = cast(out, x.dtype)
    x._assign(out)
    write_back(x)
    return x


def _overwrite(s, v):
    """``v`` (of s's dtype) broadcast over s: an in-place fill in the graph, whose gradient to s's old values is
    zero and to v the sum of g."""
    b = _device.backend(s.device)
    return where(Tensor._wrap(b.full((), True, bool), s.device, False, None), v, s)


def _check_other(other, fn):
    if not isinstance(other, (Tensor, numbers.Real, np.bool_)):
        raise TypeError(f"{fn}: other must be a Tensor or a number, got {type(other).__name__}")
    return other


def _check_alpha(alpha, fn):
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"{fn}: alpha must be a number, got {type(alpha).__name__}")


def _axpy(x, other, scale):
    """For an in-place x += scale·other that is not recorded: a function writing it into x's memory with one
    kernel (the SGD step θ ← θ − η·g with η = −scale), when ``other`` is a float tensor of x's shape, dtype and
    device and both are C-contiguous and not two views of one memory; else None (the general path)."""
    if not (isinstance(other, Tensor) and other.device == x.device and other.dtype == x.dtype
            and x.dtype.kind == "f" and other.shape == x.shape):
        return None
    if other._vc is x._vc and other._data is not x._data:
        return None
    b = _device.backend(x.device)
    xd, od = x._data, other._data
    if b.contiguous(xd) is not xd or b.contiguous(od) is not od:
        return None
    def run():
        fx = flat(b, xd)
        b.sgd_step_((fx,), (flat(b, od),), (fx,), -scale, 0.0, 0.0, 0.0, False, False)
    return run


def _alpha_times(x, other, alpha, fn):
    _check_alpha(alpha, fn)
    if alpha == 1 and not isinstance(alpha, float):
        return other
    dt = result_type(x, other)
    if dt.kind != "f" and isinstance(alpha, (float, np.floating)):
        raise RuntimeError(f"{fn}: for integral input tensors, argument alpha must not be a floating point number")
    return mul(other, alpha) if isinstance(other, Tensor) else other * alpha


def add_(self, other, *, alpha=1):
    """self += alpha · other in place (``torch.Tensor.add_``)."""
    _check_other(other, "add_")
    _check_alpha(alpha, "add_")
    return _inplace_update(self, "add_", lambda s: add(s, _alpha_times(s, other, alpha, "add_")), (other,),
                           _axpy(self, other, alpha))


def sub_(self, other, *, alpha=1):
    """self −= alpha · other in place (``torch.Tensor.sub_``)."""
    _check_other(other, "sub_")
    _check_alpha(alpha, "sub_")
    return _inplace_update(self, "sub_", lambda s: sub(s, _alpha_times(s, other, alpha, "sub_")), (other,),
                           _axpy(self, other, -alpha))


def mul_(self, other):
    """self ·= other in place (``torch.Tensor.mul_``)."""
    _check_other(other, "mul_")
    return _inplace_update(self, "mul_", lambda s: mul(s, other), (other,))


def div_(self, other, *, rounding_mode=None):
    """self /= other in place, true division (``torch.Tensor.div_``; an integer tensor cannot hold the float
    result: RuntimeError, as PyTorch). ``rounding_mode`` 'trunc'/'floor' is not supported."""
    _check_other(other, "div_")
    if rounding_mode is not None:
        raise ValueError(f"div_: rounding_mode={rounding_mode!r} is not supported; only true division "
                         f"(rounding_mode=None)")
    return _inplace_update(self, "div_", lambda s: div(s, other), (other,))


def fill_(self, value):
    """Every element set to ``value`` (a number or a 0-d tensor, cast to self's dtype), in place
    (``torch.Tensor.fill_``); in the graph a value tensor gets the sum of the gradient."""
    v = _fill_value(self, value, "fill_")
    b = _device.backend(self.device)
    return _inplace_update(self, "fill_", lambda s: _overwrite(s, v), (v,),
                           lambda: b.setitem(self._data, Ellipsis, v._data))


def copy_(self, src, non_blocking=False):
    """self's elements set to ``src``'s (a tensor that broadcasts to self's shape, on any device, cast to self's
    dtype; or a number), in place (``torch.Tensor.copy_``); the gradient of src is g summed over the broadcast."""
    if not isinstance(src, Tensor):
        if isinstance(src, (numbers.Real, np.bool_)):
            return fill_(self, src)
        raise TypeError(f"copy_: src must be a Tensor, got {type(src).__name__}")
    try:
        broadcast_shape(src.shape, self.shape, "copy_")
    except ValueError:
        raise RuntimeError(f"copy_: src of shape {tuple(src.shape)} does not broadcast to the tensor's shape "
                           f"{tuple(self.shape)}") from None
    if src.device != self.device:
        src = _moved(src, self.device)
    if self.dtype.kind != "f" and src.requires_grad:
        src = src.detach()
    v = cast(src, self.dtype)
    b = _device.backend(self.device)
    return _inplace_update(self, "copy_", lambda s: _overwrite(s, v), (v,),
                           lambda: b.setitem(self._data, Ellipsis, v._data))


def clamp_(self, min=None, max=None):
    """self limited to [min, max] in place (``torch.Tensor.clamp_``)."""
    return _inplace_update(self, "clamp_", lambda s: clamp(s, min, max), (min, max))


def masked_fill_(self, mask, value):
    """``value`` written where the bool ``mask`` (broadcastable to self) is True, in place
    (``torch.Tensor.masked_fill_``)."""
    fn = "masked_fill_"
    _mask(mask, fn, self.device)
    if _broadcast(self.shape, mask.shape, fn) != self.shape:
        raise RuntimeError(f"{fn}: output with shape {tuple(self.shape)} doesn't match the broadcast shape "
                           f"{_broadcast(self.shape, mask.shape, fn)} of the mask {tuple(mask.shape)}")
    v = _fill_value(self, value, fn)
    return _inplace_update(self, fn, lambda s: where(mask, v, s), (v,))


def _random_fill(self, fn, draw):
    if not isinstance(self, Tensor):
        raise TypeError(f"{fn}: expected a Tensor, got {type(self).__name__}")
    if self.dtype.kind != "f":
        raise NotImplementedError(f"{fn}: not implemented for {self.dtype} tensors (float32 or float64 only)")
    with no_grad():
        v = draw()
    return _inplace_update(self, fn, lambda s: _overwrite(s, v), (),
                           lambda: _device.backend(self.device).setitem(self._data, Ellipsis, v._data))


def _real_arg(v, fn, arg):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{fn}: {arg} must be a real number, got {type(v).__name__} {v!r}")
    return float(v)


def uniform_(self, *args, **kwargs):
    """self filled with U[from, to) numbers from the library's seeded stream (``torch.Tensor.uniform_(from=0,
    to=1)``; ``from`` and ``to`` by position or by keyword): from + (to − from)·u with u = ``rand``'s draw."""
    fn = "uniform_"
    names = ("from", "to")
    if len(args) > 2:
        raise TypeError(f"{fn}: takes at most 2 positional arguments (from, to), got {len(args)}")
    vals = dict(zip(names, args))
    for k, v in kwargs.items():
        if k == "generator" and v is None:
            continue
        if k not in names or k in vals:
            raise TypeError(f"{fn}: got an unexpected or repeated keyword argument {k!r}")
        vals[k] = v
    lo, hi = (_real_arg(vals.get(k, d), fn, k) for k, d in zip(names, (0.0, 1.0)))
    if lo > hi:
        raise RuntimeError(f"{fn}: expects to return a [from, to) range, but found from={lo} > to={hi}")
    from .. import creation
    return _random_fill(self, fn, lambda: creation.rand(self.shape, dtype=self.dtype, device=self.device)
                        * (hi - lo) + lo)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """self filled with N(mean, std²) numbers from the library's seeded stream (``torch.Tensor.normal_``):
    mean + std·z with z = ``randn``'s draw."""
    fn = "normal_"
    if generator is not None:
        raise TypeError(f"{fn}: generator is not supported (the library has one seeded stream: manual_seed)")
    mean, std = _real_arg(mean, fn, "mean"), _real_arg(std, fn, "std")
    if std < 0:
        raise RuntimeError(f"{fn}: normal expects std >= 0.0, but found std {std}")
    from .. import creation
    return _random_fill(self, fn, lambda: creation.randn(self.shape, dtype=self.dtype, device=self.device)
                        * std + mean)
