"""Reductions along axes: sum, mean, var; max/min (over one dim: values and indices, as ``torch.max``), amax/amin
(values over axes); argmax/argmin (not differentiable)."""
import collections
import numbers

from ..tensor import Function, Tensor, _FLOATS, int64
from .. import device as _device
from ._util import normalize_axes, pick_axis
from .elementwise import cast, mul, sub, maximum, minimum
from .shape import reshape


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class return_types:
    """The named tuples ``max``/``min`` over a dim return, as ``torch.return_types``: ``(values, indices)``, so
    that ``_, pred = tg.max(out, 1)`` and ``out.max(dim=1).values`` both work."""
    max = collections.namedtuple("max", ("values", "indices"))
    min = collections.namedtuple("min", ("values", "indices"))


class Sum(Function):
    saves_inputs = ()       # backward needs the input's shape only
    saves_output = False

    def forward(self, x, axes, keepdims):
        self.shape, self.axes = x.shape, axes
        return self.b.sum(x, axis=axes, keepdims=keepdims)

    def backward(self, g):  # every summed element receives the output's gradient
        b = self.b
        g = b.reshape(g, _kept_shape(self.shape, self.axes))
        return b.contiguous(b.broadcast_to(g, self.shape))


class Extreme(Function):
    """m = max (or min) over ``axes``, values only. The gradient follows PyTorch, by ``ties``:
    'amax' (``torch.amax``/``amin``): dx = g · 1[x = m] / #{x = m} over each reduced group, which is NaN over a
    group whose m is NaN (no element equals NaN, 0/0); 'even' (``torch.max()`` without a dim): g split evenly
    between the elements equal to m, a NaN m counting the NaN elements as equal (the gradient goes to the NaNs)."""
    saves_inputs = (0,)
    saves_output = True

    def forward(self, x, axes, keepdims, want_max, ties):
        b = self.b
        self.x, self.axes, self.ties = x, axes, ties
        self.out = (b.max if want_max else b.min)(x, axis=axes, keepdims=True)
        return self.out if keepdims else b.reshape(self.out, tuple(s for i, s in enumerate(x.shape)
                                                                   if i not in axes))

    def backward(self, g):
        b, x, out = self.b, self.x, self.out
        hit = b.equal(x, out)
        if self.ties == "even":
            hit = b.where(b.not_equal(out, out), b.not_equal(x, x), hit)
        count = b.astype(b.sum(hit, axis=self.axes, keepdims=True), x.dtype)
        g = b.reshape(g, out.shape)
        if self.ties == "even":
            return b.where(hit, b.divide(g, count), 0)
        d = b.divide(g, b.where(count, count, float("nan")))    # NaN where no element equals m (m is NaN)
        return b.where(hit, d, b.multiply(d, 0))               # torch's g · mask / count: 0, or NaN there


class ExtremeDim(Function):
    """values = x[index] along ``dim`` with index the first maximum (or minimum; a NaN counts as it): the
    (values, indices) of ``torch.max(x, dim)``, computed by the caller in one kernel (``b.max_argmax``). The
    gradient goes to the returned index only (ties do not share it), as PyTorch."""
    saves_inputs = ()       # backward needs the input's shape and the indices (guarded by the caller)
    saves_output = False

    def forward(self, x, values, idx, dim, keepdim):
        self.shape, self.idx, self.dim = x.shape, idx, dim
        return values if keepdim else self.b.reshape(values, values.shape[:dim] + values.shape[dim + 1:])

    def backward(self, g):
        b, shape, d = self.b, self.shape, self.dim
        at = b.reshape(b.arange(shape[d]), tuple(shape[d] if i == d else 1 for i in range(len(shape))))
        return b.where(b.equal(at, self.idx), b.reshape(g, self.idx.shape), 0)


def _reduce_args(x, axis, dim, keepdims, keepdim, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    axes = normalize_axes(pick_axis(axis, dim), x.ndim, "axis" if dim is None else "dim")
    if x.ndim == 0:                     # dim 0 or -1 of a 0-d tensor: the tensor itself, as PyTorch
        axes = ()
    return axes, bool(keepdims or keepdim)


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """Σ over ``axis`` (all axes when None); ``dim``/``keepdim`` are PyTorch's spellings. float32 sums are
    accurate along any axis (the device's ``sum`` accumulates pairwise or in float64)."""
    axes, keep = _reduce_args(x, axis, dim, keepdims, keepdim, "sum")
    if x.dtype.kind == "b":
        x = cast(x, int64)
    return Sum.apply(x, axes=axes, keepdims=keep)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """The arithmetic mean over ``axis``."""
    axes, keep = _reduce_args(x, axis, dim, keepdims, keepdim, "mean")
    if x.dtype not in _FLOATS:          # torch 2.13: RuntimeError, mean() of an integer tensor
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be float32 or float64, got "
                           f"{x.dtype} (convert with .float())")
    n = 1
    for a in axes:
        n *= x.shape[a]
    return mul(Sum.apply(x, axes=axes, keepdims=keep), 1.0 / n if n else float("nan"))


def var(x, axis=None, keepdims=False, *, dim=None, keepdim=False, correction=1, unbiased=None):
    """Σ(x − mean)² / (N − correction) over ``axis``; ``correction=1`` (the default, as in PyTorch) is the
    unbiased estimate, ``correction=0`` the population variance."""
    axes, keep = _reduce_args(x, axis, dim, keepdims, keepdim, "var")
    if unbiased is not None:
        correction = int(bool(unbiased))
    if x.dtype not in _FLOATS:          # torch 2.13: RuntimeError
        raise RuntimeError(f"var(): std and var only support floating point, got {x.dtype}")
    n = 1
    for a in axes:
        n *= x.shape[a]
    d = sub(x, mean(x, axes, keepdims=True))
    denom = n - correction
    return mul(Sum.apply(mul(d, d), axes=axes, keepdims=keep), 1.0 / denom if denom > 0 else float("nan"))


# ----------------------------------------------------------------------------- max / min / amax / amin
def _check_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): expected a Tensor, got {type(x).__name__}")


def _nonempty(x, axes, name, given=True):
    """PyTorch's errors for a max/min/arg reduction of nothing: IndexError for an empty reduced dim that was
    given, RuntimeError (IndexError for arg*) for a reduction without a dim of an empty tensor."""
    if x._data.size:
        return
    if not given:
        msg = f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
        if name in ("argmax", "argmin"):
            raise IndexError(msg)
        raise RuntimeError(msg + " Specify the reduction dim with the 'dim' argument.")
    for a in axes:
        if x.ndim and x.shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


def _amax(x, dim, keepdim, want_max, name, ties="amax"):
    _check_tensor(x, name)
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None                      # torch: an empty dim list reduces every dim
    axes = normalize_axes(dim, x.ndim, "dim")
    if x.ndim == 0:
        axes = ()
    _nonempty(x, axes, name, dim is not None)
    if not axes:                        # a 0-d tensor
        return x
    return Extreme.apply(x, axes=axes, keepdims=bool(keepdim), want_max=want_max, ties=ties)


def _with_indices(x, dim, keepdim, want_max, name):
    """torch.max(x, dim) / torch.min(x, dim): the named tuple (values, indices)."""
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{name}(): dim must be an int, got {dim!r} (amax/amin reduce over several dims)")
    dim = int(dim)
    result = getattr(return_types, name)
    if x.ndim == 0:                     # a 0-d tensor: itself, at index 0 (dim must be 0 or -1)
        normalize_axes(dim, 0, "dim")
        vals, idx = _with_indices(reshape(x, (1,)), 0, False, want_max, name)
        return result(reshape(vals, ()), reshape(idx, ()))
    d = normalize_axes(dim, x.ndim, "dim")[0]
    _nonempty(x, (d,), name)
    b = _device.backend(x.device)
    vals, idx = (b.max_argmax if want_max else b.min_argmin)(x._data, d)
    values = ExtremeDim.apply(x, values=vals, idx=idx, dim=d, keepdim=bool(keepdim))
    indices = Tensor._wrap(idx if keepdim else b.reshape(idx, idx.shape[:d] + idx.shape[d + 1:]), x.device, False,
                           None)
    if values._ctx is not None:         # backward reads the indices: an in-place change to them is an error
        values._ctx._saved.append((indices._vc, indices._vc[0], -2))
    return result(values, indices)


def _extreme(x, dim, keepdim, axis, keepdims, want_max, name):
    _check_tensor(x, name)
    if isinstance(dim, Tensor):         # torch.max(a, b): the element-wise maximum
        if keepdim or axis is not None or keepdims:
            raise TypeError(f"{name}(): with a Tensor as second argument no dim/keepdim may be given")
        return (maximum if want_max else minimum)(x, dim)
    if axis is not None:                # NumPy's spelling: values only over one or several axes (as np.max)
        if dim is not None:
            raise TypeError("pass either axis= or dim=, not both")
        return _amax(x, axis, keepdims or keepdim, want_max, name)
    if dim is not None:
        return _with_indices(x, dim, keepdim or keepdims, want_max, name)
    _nonempty(x, (), name, False)
    if x.ndim == 0:
        return x
    return Extreme.apply(x, axes=tuple(range(x.ndim)), keepdims=bool(keepdim or keepdims), want_max=want_max,
                         ties="even")


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=False):
    """The maximum, as ``torch.max``: over one ``dim`` (an int, positional or ``dim=``) the named tuple
    ``(values, indices)`` (the first maximum's index; a NaN counts as the maximum; the gradient goes to that index
    only); without a dim the maximum of all elements as a 0-d tensor (ties share the gradient evenly); with a
    Tensor as second argument the element-wise ``maximum``. NumPy's ``axis=`` (an int or a tuple) gives the values
    only, as ``amax``."""
    return _extreme(x, dim, keepdim, axis, keepdims, True, "max")


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=False):
    """The minimum, as ``torch.min``: ``(values, indices)`` over one ``dim``, a 0-d tensor without, the
    element-wise ``minimum`` with a Tensor second argument; ``axis=`` gives the values only (as ``amin``)."""
    return _extreme(x, dim, keepdim, axis, keepdims, False, "min")


def amax(x, dim=None, keepdim=False):
    """The maximum over ``dim`` (an int or a tuple; all dims when None or ()), values only, as ``torch.amax``:
    the gradient is split evenly between the elements equal to the maximum (NaN over a group whose maximum is
    NaN, as PyTorch)."""
    return _amax(x, dim, keepdim, True, "amax")


def amin(x, dim=None, keepdim=False):
    """The minimum over ``dim``, values only, as ``torch.amin`` (ties share the gradient)."""
    return _amax(x, dim, keepdim, False, "amin")


def _arg(name):
    def op(x, dim=None, keepdim=False, *, axis=None, keepdims=False):
        _check_tensor(x, name)
        axis = pick_axis(axis, dim)
        keep = bool(keepdims or keepdim)
        if axis is not None:
            axis = normalize_axes(axis, x.ndim, "dim")[0]
            if x.ndim == 0:
                axis = None
        _nonempty(x, () if axis is None else (axis,), name, axis is not None)
        b = _device.backend(x.device)
        out = getattr(b, name)(x._data, axis=axis, keepdims=keep and x.ndim > 0)
        return Tensor._wrap(b.astype(out, int64), x.device, False, None)
    op.__name__ = name
    op.__doc__ = (f"Indices of the {name[3:]}imum along ``dim`` (the flat index when None), as int64: the first "
                  f"one, a NaN counting as the {name[3:]}imum (as PyTorch).")
    return op


argmax, argmin = _arg("argmax"), _arg("argmin")
