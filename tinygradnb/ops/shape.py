"""Views and joins: reshape, permute/transpose, expand, squeeze/unsqueeze, flatten, concat, stack, indexing."""
import numbers

import numpy as np

from ..tensor import Function, Tensor, int64, is_grad_enabled
from .. import device as _device
from ._util import flat, normalize_axes, sum_to
from .elementwise import cast, _promote


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
        self.bounds = np.cumsum([0] + [x.shape[axis] for x in xs])
        return self.b.concatenate(xs, axis=axis)

    def backward(self, g):
        lead = (slice(None),) * self.axis
        return tuple(self.b.getitem(g, lead + (slice(int(lo), int(hi)),))
                     for lo, hi in zip(self.bounds[:-1], self.bounds[1:]))


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
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim or any(a != c for k, (a, c) in enumerate(zip(t.shape, first.shape)) if k != ax):
            raise RuntimeError(f"concat: tensors[{i}] has shape {t.shape}, expected {first.shape} except along axis "
                             f"{ax}")
    dt = first.dtype
    for t in tensors[1:]:
        dt = _promote(dt, t.dtype)
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
