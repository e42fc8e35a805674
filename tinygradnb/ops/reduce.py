"""Reductions along axes: sum, mean, var, std, logsumexp, norm; max/min (over one dim: values and indices, as
``torch.max``), amax/amin (values over axes); argmax/argmin, any/all (not differentiable); the scans cumsum and
cumprod; sort/argsort/topk (values and indices); and F.cosine_similarity / F.normalize built on norm."""
import builtins
import collections
import math
import numbers

from ..tensor import Function, Tensor, _FLOATS, int64, float32, bool_, as_dtype
from .. import device as _device
from ._util import normalize_axes, pick_axis, broadcast_shape, check_tensor
from .elementwise import cast, mul, sub, add, div, exp, log, maximum, minimum, clamp, result_type
from .shape import reshape, expand


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class return_types:
    """The named tuples ``max``/``min`` over a dim return, as ``torch.return_types``: ``(values, indices)``, so
    that ``_, pred = tg.max(out, 1)`` and ``out.max(dim=1).values`` both work."""
    max = collections.namedtuple("max", ("values", "indices"))
    min = collections.namedtuple("min", ("values", "indices"))
    sort = collections.namedtuple("sort", ("values", "indices"))
    topk = collections.namedtuple("topk", ("values", "indices"))


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
    denom = n - correction               # torch divides by max(0, N − correction): x/0 = inf, 0/0 = NaN
    return mul(Sum.apply(mul(d, d), axes=axes, keepdims=keep), 1.0 / denom if denom > 0 else float("inf"))


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


# ----------------------------------------------------------------------------- std / logsumexp / norm
class SqrtZeroGrad(Function):
    """y = √v with dy/dv = 1/(2y), 0 where y = 0: PyTorch's std backward (a constant group has std 0 and gradient
    0, not 0·∞)."""
    saves_inputs = ()
    saves_output = True

    def forward(self, v):
        self.out = self.b.sqrt(v)
        return self.out

    def backward(self, g):
        b, y = self.b, self.out
        zero = b.equal(y, 0)
        return b.where(zero, 0, b.divide(g, b.multiply(b.where(zero, 1, y), 2)))


def std(x, axis=None, keepdims=False, *, dim=None, keepdim=False, correction=1, unbiased=None):
    """√var over ``axis``/``dim``: the standard deviation with ``correction`` (1, the default, is Bessel's;
    ``unbiased=False`` is correction 0), as ``torch.std``: dividing by max(0, N − correction), so NaN or ∞ when
    N ≤ correction; the gradient is 0 where std is 0 (as PyTorch)."""
    if isinstance(x, Tensor) and x.dtype not in _FLOATS:       # torch 2.13: RuntimeError
        raise RuntimeError(f"std(): std and var only support floating point, got {x.dtype}")
    return SqrtZeroGrad.apply(var(x, axis, keepdims, dim=dim, keepdim=keepdim, correction=correction,
                                  unbiased=unbiased))


def logsumexp(input, dim, keepdim=False):
    """log Σ exp(x) over ``dim`` (an int or a tuple), computed stably as PyTorch does: log Σ exp(x − m) + m with m
    the maximum, taken as 0 where it is ±∞ (a row of −∞ gives −∞, one holding +∞ gives +∞, NaN stays NaN); an
    empty dim gives −∞. Integer and bool inputs give float32. The gradient is softmax(x)."""
    _check_tensor(input, "logsumexp")
    x = input if input.dtype in _FLOATS else cast(input, float32)
    axes = normalize_axes(dim, x.ndim, "dim") if not (isinstance(dim, (tuple, list)) and len(dim) == 0) \
        else tuple(range(x.ndim))
    if x.ndim == 0:
        axes = ()
    b = _device.backend(x.device)
    kept = _kept_shape(x.shape, axes)
    if x._data.size == 0 or builtins.any(x.shape[a] == 0 for a in axes):
        m = b.zeros(kept, x.dtype)
    else:
        m = b.max(x._data, axis=axes, keepdims=True) if axes else b.copy(x._data)
        m = b.where(b.equal(b.abs(m), math.inf), 0, m)
    mt = Tensor._wrap(m, x.device, False, None)
    out = add(log(Sum.apply(exp(sub(x, mt)), axes=axes, keepdims=True)), mt)
    if keepdim:
        return out
    return reshape(out, tuple(s for i, s in enumerate(x.shape) if i not in axes))


class VectorNorm(Function):
    """‖x‖_p over ``axes``: Σ|x|^p)^(1/p); p = 2 as √Σx², 1 as Σ|x|, ∞ / −∞ as max / min |x|, 0 as the count of
    non-zeros. Gradients are PyTorch's (linalg_vector_norm_backward): p = 1: sgn(x)·g; p = 2: x/‖x‖·g, 0 where
    ‖x‖ = 0; ±∞: sgn(x)·g split evenly between the elements with |x| = ‖x‖; p < 1: sgn(x)·(|x|/‖x‖)^(p−1)·g
    (0 at x = 0); 1 < p < 2: the same, 0 where ‖x‖ = 0; p > 2: x·(|x|/‖x‖)^(p−2)·g/‖x‖, 0 where ‖x‖ = 0;
    p = 0: 0."""
    saves_inputs = (0,)
    saves_output = True

    def forward(self, x, p, axes, keepdim):
        b = self.b
        self.x, self.p, self.axes = x, p, axes
        a = b.abs(x)
        if p == 0:
            n = b.astype(b.sum(b.astype(b.not_equal(x, 0), int64), axis=axes, keepdims=True), x.dtype)
        elif p == math.inf:
            n = b.max(a, axis=axes, keepdims=True)
        elif p == -math.inf:
            n = b.min(a, axis=axes, keepdims=True)
        elif p == 1:
            n = b.sum(a, axis=axes, keepdims=True)
        elif p == 2:
            n = b.sqrt(b.sum(b.multiply(x, x), axis=axes, keepdims=True))
        else:
            n = b.power(b.sum(b.power(a, p), axis=axes, keepdims=True), 1.0 / p)
        self.norm = n
        return n if keepdim else b.reshape(n, tuple(s for i, s in enumerate(x.shape) if i not in axes))

    def backward(self, g):
        b, x, p, n = self.b, self.x, self.p, self.norm
        g = b.reshape(g, n.shape)
        if p == 0:
            return b.multiply(x, 0)
        sgn = b.sign(x)
        if p == 1:
            return b.multiply(sgn, g)
        zero = b.equal(n, 0)
        safe = b.where(zero, 1, n)
        if p == 2:
            return b.where(zero, 0, b.multiply(g, b.divide(x, safe)))
        a = b.abs(x)
        if math.isinf(p):
            hit = b.logical_not(b.not_equal(a, n))                    # |x| = ‖x‖
            hit = b.where(b.not_equal(x, x), b.not_equal(n, n), hit)  # or both NaN
            count = b.astype(b.sum(b.astype(hit, int64), axis=self.axes, keepdims=True), x.dtype)
            return b.multiply(sgn, b.where(hit, b.divide(g, count), 0))
        if p < 1:                       # 0 at x = 0 (where sgn(x)·(0/‖x‖)^(p−1) would be 0·∞), as PyTorch
            d = b.multiply(sgn, b.multiply(b.power(b.divide(a, safe), p - 1), g))
            return b.where(b.equal(x, 0), 0, d)
        if p < 2:
            return b.where(zero, 0, b.multiply(sgn, b.multiply(b.power(b.divide(a, safe), p - 1), g)))
        return b.where(zero, 0, b.multiply(x, b.divide(b.multiply(b.power(b.divide(a, safe), p - 2), g), safe)))


def _vector_norm(x, p, axes, keepdim, name):
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{name}: p must be a number, 'fro' or None, got {p!r}")
    p = float(p)
    if math.isnan(p):
        raise RuntimeError(f"{name}: p must not be NaN")
    if math.isinf(p):
        for a in axes:
            if x.shape[a] == 0:
                raise RuntimeError(f"{name}: cannot compute the {p} norm on the dimension {a} because this "
                                   f"dimension is empty and the operation does not have an identity")
        if x._data.size == 0 and x.ndim == 0:
            raise RuntimeError(f"{name}: cannot compute the {p} norm of an empty tensor")
    return VectorNorm.apply(x, p=p, axes=axes, keepdim=bool(keepdim))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm of ``input`` over ``dim`` (an int or a tuple of ints; all dims when None), as
    ``torch.norm``: ``p='fro'`` (the default) and ``p=None`` are the 2-norm, and a number p gives
    (Σ|x|^p)^(1/p), ``inf``/``-inf`` the max/min of |x|, 0 the count of non-zeros. ``dtype`` converts the input
    first. Matrix norms (``'nuc'``, or 'fro' over more than two dims) are not supported (``ValueError``).
    Integer inputs raise ``RuntimeError`` as in PyTorch. The gradient of the 2-norm at 0 is 0."""
    name = "norm"
    _check_tensor(input, name)
    if dtype is not None:
        dt = as_dtype(dtype)
        if dt not in _FLOATS:
            raise RuntimeError(f"{name}: dtype must be a floating point dtype, got {dt}")
        input = cast(input, dt)
    if input.dtype not in _FLOATS:
        raise RuntimeError(f"{name}: expected a floating point tensor as input, got {input.dtype}")
    if isinstance(p, str):
        if p != "fro":
            raise ValueError(f"{name}: p={p!r} is not supported (matrix norms other than 'fro' are not "
                             f"implemented); use p='fro', None or a number")
        if dim is not None and isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise RuntimeError(f"{name}: p='fro' takes at most two dims, got dim={dim!r}")
        p = 2.0
    elif p is None:
        p = 2.0
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    axes = normalize_axes(dim, input.ndim, "dim")
    if input.ndim == 0:
        axes = ()
    return _vector_norm(input, p, axes, keepdim, name)


class _ClampMinPassGrad(Function):
    """max(x, eps) whose gradient passes unchanged: PyTorch's ``clamp_min_`` under ``no_grad`` on the norms of
    cosine_similarity (the clamp changes the value, not the graph)."""
    saves_inputs = ()
    saves_output = False

    def forward(self, x, eps):
        return self.b.maximum(x, eps)

    def backward(self, g):
        return g


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Σ (x1/max(‖x1‖, ε))·(x2/max(‖x2‖, ε)) over ``dim`` of the broadcast inputs (PyTorch 2.x: each input is
    normalised by its own clamped 2-norm, so the result stays in [−1, 1]; the clamp does not enter the gradient,
    as ``torch.nn.functional.cosine_similarity``). Integer inputs are converted when the other is float; two
    integer inputs raise ``RuntimeError``."""
    name = "cosine_similarity"
    _check_tensor(x1, name)
    _check_tensor(x2, name)
    if x1.device != x2.device:
        raise ValueError(f"{name}: x1 and x2 must be on one device, got {x1.device!r} and {x2.device!r}")
    dt = result_type(x1, x2)
    if dt not in _FLOATS:
        raise RuntimeError(f"{name}: expected common dtype to be floating point, yet common dtype is {dt}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"{name}: eps must be a number, got {eps!r}")
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    x1, x2 = cast(x1, dt), cast(x2, dt)
    shape = broadcast_shape(x1.shape, x2.shape, f"{name} (x1 vs x2)")
    x1, x2 = expand(x1, shape), expand(x2, shape)
    d = normalize_axes(int(dim), len(shape), "dim")
    if not shape:
        d = ()
    n1 = _ClampMinPassGrad.apply(_vector_norm(x1, 2.0, d, True, name), eps=float(eps))
    n2 = _ClampMinPassGrad.apply(_vector_norm(x2, 2.0, d, True, name), eps=float(eps))
    return Sum.apply(mul(div(x1, n1), div(x2, n2)), axes=d, keepdims=False)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(‖input‖_p, ε) with the norm over ``dim`` (kept), as ``torch.nn.functional.normalize``; the
    clamp's gradient is 0 where the norm is below ε (PyTorch's clamp_min). ``out`` is not supported."""
    name = "normalize"
    _check_tensor(input, name)
    if out is not None:
        raise TypeError(f"{name}: out= is not supported; use the returned tensor")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"{name}: eps must be a number, got {eps!r}")
    denom = clamp(norm(input, p, dim, keepdim=True), min=float(eps))
    return div(input, denom)


# ----------------------------------------------------------------------------- any / all
def _bool_reduce(x, dim, keepdim, name):
    _check_tensor(x, name)
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    axes = normalize_axes(dim, x.ndim, "dim")
    if x.ndim == 0:
        axes = ()
    b = _device.backend(x.device)
    hits = b.astype(b.not_equal(x._data, 0) if name == "any" else b.equal(x._data, 0), int64)
    count = b.sum(hits, axis=axes, keepdims=bool(keepdim) and x.ndim > 0) if axes else b.reshape(hits, x.shape)
    out = b.greater(count, 0) if name == "any" else b.equal(count, 0)
    if dim is None and not keepdim:
        out = b.reshape(out, ())
    return Tensor._wrap(out, x.device, False, None)


def any(input, dim=None, keepdim=False):
    """Whether any element (over ``dim``, an int or a tuple; over all when None) is non-zero, as a bool tensor
    (NaN counts as non-zero; an empty reduction is False), as ``torch.any``."""
    return _bool_reduce(input, dim, keepdim, "any")


def all(input, dim=None, keepdim=False):
    """Whether every element (over ``dim``, an int or a tuple; over all when None) is non-zero, as a bool tensor
    (an empty reduction is True), as ``torch.all``."""
    return _bool_reduce(input, dim, keepdim, "all")


# ----------------------------------------------------------------------------- cumsum / cumprod
def _scan_dim(x, dim, name):
    _check_tensor(x, name)
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{name}(): dim must be an int, got {dim!r}")
    return normalize_axes(int(dim), x.ndim, "dim")[0] if x.ndim else None


def _scan_input(x, dtype, name):
    if dtype is not None:
        return cast(x, as_dtype(dtype))
    return x if x.dtype in _FLOATS or x.dtype == int64 else cast(x, int64)   # torch: integers and bools -> int64


class Cumsum(Function):
    """y_i = Σ_{j ≤ i} x_j along ``axis``; dx_i = Σ_{j ≥ i} g_j (the reversed scan)."""
    saves_inputs = ()
    saves_output = False

    def forward(self, x, axis):
        self.axis = axis
        return self.b.cumsum(x, axis, False)

    def backward(self, g):
        return self.b.cumsum(g, self.axis, True)


class Cumprod(Function):
    """y_i = Π_{j ≤ i} x_j along ``axis``; the gradient is the device's ``cumprod_backward`` (exact where x has
    zeros, as PyTorch)."""
    saves_inputs = (0,)
    saves_output = True

    def forward(self, x, axis):
        self.x, self.axis = x, axis
        self.out = self.b.cumprod(x, axis)
        return self.out

    def backward(self, g):
        return self.b.cumprod_backward(self.x, self.out, g, self.axis)


def _scan(fn, x, dim, dtype, name):
    d = _scan_dim(x, dim, name)
    x = _scan_input(x, dtype, name)
    if d is None:                       # a 0-d tensor: itself (dim 0 or -1)
        return reshape(fn.apply(reshape(x, (1,)), axis=0), ())
    return fn.apply(x, axis=d)


def cumsum(input, dim, *, dtype=None):
    """The cumulative sum along ``dim`` (required), as ``torch.cumsum``: integer and bool inputs give int64,
    ``dtype`` converts the input first. The gradient is the reversed cumulative sum of the output's."""
    return _scan(Cumsum, input, dim, dtype, "cumsum")


def cumprod(input, dim, *, dtype=None):
    """The cumulative product along ``dim`` (required), as ``torch.cumprod`` (integers and bools give int64); the
    gradient is PyTorch's, exact where the input has zeros."""
    return _scan(Cumprod, input, dim, dtype, "cumprod")


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """The product of all elements, or along ``dim`` (``torch.prod``; integers and bools give int64): the last
    element of the cumulative product, so its gradient is cumprod's, exact where the input has zeros. The product
    over an empty dim is 1."""
    check_tensor(input, "prod", "input")
    x = input
    if dtype is not None:
        x = cast(x, as_dtype(dtype))
    elif x.dtype.kind in "biu":
        x = cast(x, int64)
    if dim is None:
        flat = x.reshape(-1)
        if flat.shape[0] == 0:
            return Tensor._from(1, dtype=x.dtype, device=x.device)
        return cumprod(flat, 0)[-1]
    (d,) = normalize_axes(dim, builtins.max(x.ndim, 1), "dim")
    if x.ndim == 0:
        return x.clone()
    if x.shape[d] == 0:
        shape = tuple(1 if i == d else n for i, n in enumerate(x.shape)) if keepdim else \
            tuple(n for i, n in enumerate(x.shape) if i != d)
        return Tensor._from(1, dtype=x.dtype, device=x.device).expand(*shape).contiguous()
    out = cumprod(x, d)[(slice(None),) * d + (x.shape[d] - 1,)]
    return out.unsqueeze(d) if keepdim else out


# ----------------------------------------------------------------------------- sort / argsort / topk
class TakeAlong(Function):
    """out = x.flat[idx] for flat element indices ``flat`` (the sorted positions of each line); the gradient
    scatters g back to those positions (each taken once)."""
    saves_inputs = ()
    saves_output = False

    def forward(self, x, flat, out_shape):
        b = self.b
        self.shape, self.flat = x.shape, flat
        return b.reshape(b.getitem(b.reshape(b.contiguous(x), (-1,)), flat), out_shape)

    def backward(self, g):
        b = self.b
        size = 1
        for s in self.shape:
            size *= s
        gx = b.index_add((size,), self.flat, b.reshape(b.contiguous(g), self.flat.shape), g.dtype)
        return b.reshape(gx, self.shape)


def _sorted(x, dim, descending, k, name):
    """(values, indices) of ``x`` sorted along ``dim`` (stable; NaN above every number), the first ``k`` of each
    line when k is not None."""
    if x.ndim == 0:
        v, i = _sorted(reshape(x, (1,)), 0, descending, None, name)   # torch 2.13: topk(0-d, 0) is x too
        return reshape(v, ()), reshape(i, ())
    b = _device.backend(x.device)
    key = x._data if x.dtype != bool_ else b.astype(x._data, int64)
    shape = x.shape
    outer, n = 1, shape[dim]
    for s in shape[:dim]:
        outer *= s
    inner = 1
    for s in shape[dim + 1:]:
        inner *= s
    idx = b.reshape(b.argsort(key, dim, bool(descending)), (outer, n, inner))
    if k is not None:
        idx = b.contiguous(b.getitem(idx, (slice(None), slice(0, k), slice(None))))
    out_shape = shape[:dim] + (idx.shape[1],) + shape[dim + 1:]
    base = b.add(b.reshape(b.multiply(b.arange(outer, dtype=int64), n * inner), (outer, 1, 1)),
                 b.reshape(b.arange(inner, dtype=int64), (1, 1, inner)))
    flat = b.add(b.multiply(idx, inner), base)
    values = TakeAlong.apply(x, flat=flat, out_shape=out_shape)
    return values, Tensor._wrap(b.reshape(idx, out_shape), x.device, False, None)


def _sort_dim(x, dim, name):
    _check_tensor(x, name)
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{name}(): dim must be an int, got {dim!r}")
    return normalize_axes(int(dim), x.ndim, "dim")[0] if x.ndim else 0


def sort(input, dim=-1, descending=False, *, stable=False):
    """The named tuple (values, indices) of ``input`` sorted along ``dim``, ascending (``descending=False``) or
    descending, as ``torch.sort``. The order is always stable (equal elements keep their order, which
    ``stable=True`` asks for), NaN sorts above every number; the gradient goes to the original positions."""
    d = _sort_dim(input, dim, "sort")
    return return_types.sort(*_sorted(input, d, descending, None, "sort"))


def argsort(input, dim=-1, descending=False, *, stable=False):
    """The int64 indices that sort ``input`` along ``dim`` (stable, NaN largest), as ``torch.argsort``."""
    d = _sort_dim(input, dim, "argsort")
    return _sorted(input, d, descending, None, "argsort")[1]


def topk(input, k, dim=None, largest=True, sorted=True):
    """The named tuple (values, indices) of the ``k`` largest (``largest=False``: smallest) elements along ``dim``
    (the last when None), as ``torch.topk``; NaN counts as the largest. The values are always returned in sorted
    order (what ``sorted=True`` asks for; with ``sorted=False`` PyTorch leaves the order unspecified), equal values
    by increasing index. k outside [0, size] raises ``RuntimeError``; the gradient goes to the selected positions."""
    name = "topk"
    d = _sort_dim(input, -1 if dim is None else dim, name)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{name}(): k must be an int, got {k!r}")
    size = input.shape[d] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"{name}(): selected index k out of range: k={k} for a dimension of size {size}")
    return return_types.topk(*_sorted(input, d, largest, int(k), name))
