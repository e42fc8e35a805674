"""Reductions along axes: sum, mean, max/min, var; argmax/argmin (not differentiable)."""
from ..tensor import Function, Tensor, _FLOATS, float32, int64
from .. import device as _device
from ._util import normalize_axes, pick_axis
from .elementwise import cast, mul, sub, neg


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    def forward(self, x, axes, keepdims):
        self.shape, self.axes = x.shape, axes
        return self.b.sum(x, axis=axes, keepdims=keepdims)

    def backward(self, g):  # every summed element receives the output's gradient
        b = self.b
        g = b.reshape(g, _kept_shape(self.shape, self.axes))
        return b.contiguous(b.broadcast_to(g, self.shape))


class Max(Function):
    def forward(self, x, axes, keepdims):
        self.x, self.axes = x, axes
        self.out = self.b.max(x, axis=axes, keepdims=True)
        return self.out if keepdims else self.b.reshape(self.out, tuple(s for i, s in enumerate(x.shape)
                                                                           if i not in axes))

    def backward(self, g):  # the gradient goes to the maxima, split evenly between ties (as torch.amax)
        b = self.b
        hit = b.equal(self.x, self.out)
        count = b.astype(b.sum(hit, axis=self.axes, keepdims=True), self.x.dtype)
        g = b.divide(b.reshape(g, self.out.shape), count)
        return b.where(hit, g, 0)


def _reduce_args(x, axis, dim, keepdims, keepdim, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    axes = normalize_axes(pick_axis(axis, dim), x.ndim, "axis")
    return axes, bool(keepdims or keepdim)


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """Σ over ``axis`` (all axes when None); ``dim``/``keepdim`` are PyTorch's spellings."""
    axes, keep = _reduce_args(x, axis, dim, keepdims, keepdim, "sum")
    if x.dtype.kind == "b":
        x = cast(x, int64)
    return Sum.apply(x, axes=axes, keepdims=keep)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """The arithmetic mean over ``axis``."""
    axes, keep = _reduce_args(x, axis, dim, keepdims, keepdim, "mean")
    if x.dtype not in _FLOATS:
        x = cast(x, float32)
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
    if x.dtype not in _FLOATS:
        x = cast(x, float32)
    n = 1
    for a in axes:
        n *= x.shape[a]
    d = sub(x, mean(x, axes, keepdims=True))
    denom = n - correction
    return mul(Sum.apply(mul(d, d), axes=axes, keepdims=keep), 1.0 / denom if denom > 0 else float("nan"))


def max(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """The maximum over ``axis`` (values only, as ``torch.amax``; ties share the gradient)."""
    axes, keep = _reduce_args(x, axis, dim, keepdims, keepdim, "max")
    if 0 in x.shape:
        raise ValueError(f"max: cannot reduce an empty tensor of shape {x.shape}")
    return Max.apply(x, axes=axes, keepdims=keep)


def min(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """The minimum over ``axis`` (values only, as ``torch.amin``)."""
    return neg(max(neg(x), axis, keepdims, dim=dim, keepdim=keepdim))


def _arg(name):
    def op(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
        axis = pick_axis(axis, dim)
        if axis is not None:
            axis = normalize_axes(axis, x.ndim)[0]
        if 0 in x.shape:
            raise ValueError(f"{name}: cannot reduce an empty tensor of shape {x.shape}")
        b = _device.backend(x.device)
        out = getattr(b, name)(x._data, axis=axis, keepdims=bool(keepdims or keepdim))
        return Tensor._wrap(b.astype(out, int64), x.device, False, None)
    op.__name__ = name
    op.__doc__ = f"Indices of the {name[3:]}imum along ``axis`` (the flat index when None), as int64."
    return op


argmax, argmin = _arg("argmax"), _arg("argmin")
