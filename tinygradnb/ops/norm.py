"""Normalisation ops: layer_norm, rms_norm and batch_norm (PyTorch's ``torch.nn.functional`` semantics).

The lecture (Part 4, "Comparing normalization techniques") gives LayerNorm(x) = γ ⊙ (x − μ_L)/σ_L + β,
RMSNorm(x) = x/RMS(x)·γ and BatchNorm(x) = (x − μ_B)/σ_B; as PyTorch, σ = √(biased variance + ε). The kernels
(``kernels/cpu/norm.py``) work on (rows, features) arrays; these ops validate at the Python boundary, flatten N-D
inputs to 2-D, and supply γ = 1, β = 0 when the layer has no affine parameters.

Dtypes as PyTorch: ``layer_norm`` and ``batch_norm`` need the input, the affine parameters and the running
statistics to share one dtype (a float32/float64 mix is a ``RuntimeError`` naming both, where the element-wise ops
would promote); ``rms_norm`` accepts a weight of the other float dtype and returns the input's dtype, computing as
PyTorch's composite path does, (x·rsqrt(mean(x²) + ε) in the input's dtype) · weight, then cast to the input's dtype.

Errors follow PyTorch's exception types: a non-float or non-tensor argument is a ``TypeError``; a shape that
does not match (input against ``normalized_shape``, a parameter or running statistic against the channels) or a
dtype that differs from the input's a ``RuntimeError``; a wrong input rank or a single value per channel in training
a ``ValueError``; each message names the argument and the shape or dtype expected. Strided, transposed and
expanded inputs and parameters are copied to contiguous arrays for the kernels; running statistics that training
updates are written back in place.
"""

import numpy as np

from ..tensor import Function
from ._util import check_float, check_real
from .elementwise import cast
from .shape import write_back


# ----------------------------------------------------------------------------- validation helpers
def _param(p, name, shape, x, fn):
    """An optional affine parameter: None, or a float tensor of ``shape`` on x's device."""
    if p is None:
        return None
    check_float(p, fn, name)
    if tuple(p.shape) != tuple(shape):
        raise RuntimeError(f"{fn}: {name} must have shape {tuple(shape)}, got {tuple(p.shape)}")
    if p.device != x.device:
        raise ValueError(f"{fn}: {name} is on {p.device!r} but the input is on {x.device!r}")
    return p


def _same_dtype(x, fn, **args):
    """``RuntimeError`` naming the first of ``args`` (name=tensor or None) whose dtype differs from the input's:
    PyTorch's layer_norm and batch_norm do not promote ("mixed dtype (CPU): expect parameter to have scalar type
    of Float", "expected scalar type Float but found Double")."""
    for name, t in args.items():
        if t is not None and t.dtype != x.dtype:
            raise RuntimeError(f"{fn}: {name} has dtype {t.dtype} but the input has dtype {x.dtype}; expected "
                               f"{', '.join(args)} to have the input's dtype (mixed dtype); convert with "
                               f".to({x.dtype})")


def _normalized_shape(normalized_shape, x, fn):
    ns = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else normalized_shape
    if isinstance(ns, bool) or not isinstance(ns, (tuple, list)) or \
            not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in ns):
        raise TypeError(f"{fn}: normalized_shape must be an int or a tuple of ints, got {normalized_shape!r}")
    ns = tuple(int(s) for s in ns)
    if not ns:
        raise RuntimeError(f"{fn}: normalized_shape must name at least one dimension, got {ns}")
    if x.ndim < len(ns) or tuple(x.shape[x.ndim - len(ns):]) != ns:
        raise RuntimeError(f"{fn}: normalized_shape {ns} must match the trailing dimensions of the input, got input "
                         f"shape {tuple(x.shape)}")
    return ns


def _rows(x, ns):
    d = int(np.prod(ns, dtype=np.int64))
    n = int(np.prod(x.shape[:x.ndim - len(ns)], dtype=np.int64))
    return n, d


# ----------------------------------------------------------------------------- LayerNorm
class LayerNorm(Function):
    def forward(self, x, *params, n, d, has_weight, has_bias, eps):
        b = self.b
        self.shape, self.has = x.shape, (has_weight, has_bias)
        self.pshape = params[0].shape if params else None
        x2 = b.reshape(b.contiguous(x), (n, d))
        w = b.contiguous(b.reshape(params[0], (d,))) if has_weight else b.full((d,), 1, x.dtype)
        bias = b.contiguous(b.reshape(params[-1], (d,))) if has_bias else b.zeros((d,), x.dtype)
        y, self.mean, self.rstd = b.layer_norm_forward(x2, w, bias, eps)
        self.x, self.w, self.n, self.d = x2, w, n, d
        return b.reshape(y, self.shape)

    def backward(self, g):
        b = self.b
        g2 = b.reshape(b.contiguous(g), (self.n, self.d))
        dx, dw, db = b.layer_norm_backward(g2, self.x, self.w, self.mean, self.rstd)
        out = [b.reshape(dx, self.shape)]
        if self.has[0]:
            out.append(b.reshape(dw, self.pshape))
        if self.has[1]:
            out.append(b.reshape(db, self.pshape))
        return tuple(out)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing ``normalized_shape`` dims (as ``torch.nn.functional.layer_norm``):
    y = (x − μ)/√(σ² + ε)·γ + β with μ, σ² the mean and biased variance of those dims (the lecture's
    LayerNorm(x) = γ ⊙ (x − μ_L)/σ_L + β); ``weight`` γ and ``bias`` β have shape ``normalized_shape`` or are None.
    """
    fn = "layer_norm"
    check_float(x, fn, "input")
    ns = _normalized_shape(normalized_shape, x, fn)
    weight = _param(weight, "weight", ns, x, fn)
    bias = _param(bias, "bias", ns, x, fn)
    eps = check_real(eps, fn, "eps", lo=0.0)
    _same_dtype(x, fn, weight=weight, bias=bias)
    n, d = _rows(x, ns)
    params = [p for p in (weight, bias) if p is not None]
    return LayerNorm.apply(x, *params, n=n, d=d, has_weight=weight is not None, has_bias=bias is not None, eps=eps)


# ----------------------------------------------------------------------------- RMSNorm
class RMSNorm(Function):
    def forward(self, x, *params, n, d, eps):
        b = self.b
        self.shape, self.has_weight = x.shape, bool(params)
        self.pshape = params[0].shape if params else None
        x2 = b.reshape(b.contiguous(x), (n, d))
        w = b.contiguous(b.reshape(params[0], (d,))) if params else b.full((d,), 1, x.dtype)
        y, self.rrms = b.rms_norm_forward(x2, w, eps)
        self.x, self.w, self.n, self.d = x2, w, n, d
        return b.reshape(y, self.shape)

    def backward(self, g):
        b = self.b
        g2 = b.reshape(b.contiguous(g), (self.n, self.d))
        dx, dw = b.rms_norm_backward(g2, self.x, self.w, self.rrms)
        dx = b.reshape(dx, self.shape)
        return (dx, b.reshape(dw, self.pshape)) if self.has_weight else dx


def rms_norm(x, normalized_shape, weight=None, eps=None):
    """RMS normalisation over the trailing ``normalized_shape`` dims (as ``torch.nn.functional.rms_norm``):
    y = x/√(mean(x²) + ε)·γ (the lecture's RMSNorm(x) = x/RMS(x)·γ). ``eps=None`` uses PyTorch's default,
    the machine epsilon of the input's dtype (``np.finfo(dtype).eps``: 1.19e-7 for float32, 2.22e-16 for float64).
    The result has the input's dtype; a ``weight`` of the other float dtype multiplies the normalised input in the
    promoted dtype and the product is cast back (PyTorch's non-fused path for mismatched dtypes).
    """
    fn = "rms_norm"
    check_float(x, fn, "input")
    ns = _normalized_shape(normalized_shape, x, fn)
    weight = _param(weight, "weight", ns, x, fn)
    eps = float(np.finfo(x.dtype).eps) if eps is None else check_real(eps, fn, "eps", lo=0.0)
    if weight is not None and weight.dtype != x.dtype:
        # PyTorch: result = (x·rsqrt(mean(x²) + ε)).type_as(x); result = (result·weight).type_as(x)
        return cast(rms_norm(x, ns, None, eps) * weight, x.dtype)
    n, d = _rows(x, ns)
    params = [weight] if weight is not None else []
    return RMSNorm.apply(x, *params, n=n, d=d, eps=eps)


# ----------------------------------------------------------------------------- BatchNorm
class BatchNorm(Function):
    def forward(self, x, *params, has_weight, has_bias, training, running_mean, running_var, momentum, eps):
        b = self.b
        self.shape, self.has, self.training = x.shape, (has_weight, has_bias), training
        c = x.shape[1]
        if x.ndim == 3:  # (N, C, L) -> (N·L, C): each channel a column
            x2 = b.reshape(b.contiguous(b.transpose(x, (0, 2, 1))), (-1, c))
        else:
            x2 = b.contiguous(x)
        w = b.contiguous(params[0]) if has_weight else b.full((c,), 1, x.dtype)
        bias = b.contiguous(params[-1]) if has_bias else b.zeros((c,), x.dtype)
        if training:
            # An empty batch leaves the running statistics alone (as PyTorch). Strided running statistics go to
            # the kernel as contiguous copies and are written back.
            update = running_mean is not None and x2.shape[0] > 0
            rm = b.contiguous(running_mean) if update else b.zeros((0,), x.dtype)
            rv = b.contiguous(running_var) if update else b.zeros((0,), x.dtype)
            y, self.mean, self.rstd = b.batch_norm_forward_train(x2, w, bias, rm, rv, momentum, eps, update)
            for src, dst in ((rm, running_mean), (rv, running_var)):
                if update and src is not dst:
                    b.setitem(dst, Ellipsis, src)
        else:
            y, self.mean, self.rstd = b.batch_norm_forward_eval(x2, w, bias, b.contiguous(running_mean),
                                                                b.contiguous(running_var), eps)
        self.x, self.w = x2, w
        return self._unflatten(y)

    def _unflatten(self, a):
        b = self.b
        if len(self.shape) == 3:
            n, c, length = self.shape
            return b.contiguous(b.transpose(b.reshape(a, (n, length, c)), (0, 2, 1)))
        return a

    def backward(self, g):
        b = self.b
        if len(self.shape) == 3:
            g2 = b.reshape(b.contiguous(b.transpose(g, (0, 2, 1))), (-1, self.shape[1]))
        else:
            g2 = b.contiguous(g)
        dx, dw, db = b.batch_norm_backward(g2, self.x, self.w, self.mean, self.rstd, self.training)
        out = [self._unflatten(dx)]
        if self.has[0]:
            out.append(dw)
        if self.has[1]:
            out.append(db)
        return tuple(out)


def _running(t, name, c, x, fn, training):
    if t is None:
        return None
    check_float(t, fn, name)
    if tuple(t.shape) != (c,):
        raise RuntimeError(f"{fn}: {name} must have shape ({c},) (one value per channel of input shape "
                           f"{tuple(x.shape)}), got {tuple(t.shape)}")
    if t.device != x.device:
        raise ValueError(f"{fn}: {name} is on {t.device!r} but the input is on {x.device!r}")
    if t.requires_grad:
        raise RuntimeError(f"{fn}: {name} is a buffer updated in place and must not require grad")
    if training:
        _check_writable(t, name, fn)
    return t


def _check_writable(t, name, fn):
    """Training updates ``t`` in place: each element must have memory of its own (PyTorch refuses an in-place
    write into an expanded tensor with the RuntimeError quoted below) and the memory must be writable."""
    a = t._data
    if any(st == 0 and n > 1 for st, n in zip(a.strides, a.shape)):
        raise RuntimeError(f"{fn}: {name} is an expanded (broadcast) tensor, and training updates it in place: "
                           f"more than one element of the written-to tensor refers to a single memory location. "
                           f"Please clone() the tensor before performing the operation.")
    if isinstance(a, np.ndarray) and not a.flags.writeable:
        raise RuntimeError(f"{fn}: {name} is read-only, and training updates it in place; pass a writable tensor "
                           f"(e.g. {name}.clone())")


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalisation of (N, C) or (N, C, L) input per channel (as ``torch.nn.functional.batch_norm``).

    The lecture's BatchNorm(x) = (x − μ_B)/σ_B, then ·γ + β. Training: μ_B and the biased σ_B² are taken over N
    (and L), and ``running_mean``/``running_var`` (if given) are updated in place with
    r ← (1 − momentum)·r + momentum·stat, the variance entering unbiased (·M/(M − 1), M = N·L), as PyTorch. Eval:
    the running statistics normalise and are left alone. Running statistics are buffers, never differentiated.
    """
    fn = "batch_norm"
    check_float(x, fn, "input")
    if x.ndim not in (2, 3):
        raise ValueError(f"{fn}: expected a 2-D (N, C) or 3-D (N, C, L) input, got shape {tuple(x.shape)}")
    c = x.shape[1]
    training = bool(training)
    if (running_mean is None) != (running_var is None):
        if not training:
            missing = "running_mean" if running_mean is None else "running_var"
            raise RuntimeError(f"{fn}: {missing} must be defined in evaluation mode (training=False)")
        raise ValueError(f"{fn}: pass both running_mean and running_var, or neither")
    running_mean = _running(running_mean, "running_mean", c, x, fn, training)
    running_var = _running(running_var, "running_var", c, x, fn, training)
    weight = _param(weight, "weight", (c,), x, fn)
    bias = _param(bias, "bias", (c,), x, fn)
    momentum = check_real(momentum, fn, "momentum", lo=0.0, hi=1.0)
    eps = check_real(eps, fn, "eps", lo=0.0)
    if training:
        per_channel = x.numel() // c if c else 0
        if per_channel == 1:  # an empty batch is allowed (an empty output, the running statistics untouched)
            raise ValueError(f"{fn}: expected more than 1 value per channel when training, got input shape "
                             f"{tuple(x.shape)} ({per_channel} value(s) per channel)")
    elif running_mean is None:
        raise RuntimeError(f"{fn}: running_mean and running_var must be defined in evaluation mode "
                           f"(training=False)")
    _same_dtype(x, fn, weight=weight, bias=bias, running_mean=running_mean, running_var=running_var)
    params = [p for p in (weight, bias) if p is not None]
    y = BatchNorm.apply(x, *params, has_weight=weight is not None, has_bias=bias is not None, training=training,
                        running_mean=None if running_mean is None else running_mean._data,
                        running_var=None if running_var is None else running_var._data,
                        momentum=momentum, eps=eps)
    if training and running_mean is not None and x.numel():
        for t in (running_mean, running_var):
            t._bump()
            write_back(t)   # a slice of another tensor: the parent too (on cuda, where slices are copies)
    return y
