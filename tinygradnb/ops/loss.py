"""Softmax, log-softmax and the losses: cross_entropy (fused with softmax; composed from log_softmax and nll_loss
with class weights or label smoothing), nll_loss, mse_loss, l1_loss, smooth_l1_loss, huber_loss, kl_div,
binary_cross_entropy, binary_cross_entropy_with_logits.

Softmax-type ops move their axis last and flatten the rest to a C-contiguous (rows, C) array for the
``kernels/<device>/softmax.py`` kernels, then move it back; the losses flatten to 1-D. Label values are checked
here with the device's ``index_stats`` (at once on the CPU, whose kernels do not bounds-check; at the next copy to
the host on a GPU, whose kernels skip a bad label: see ``tinygradnb.device.check``).
"""
import math
import numbers
import warnings

from ..tensor import Function, Tensor, _FLOATS, float64, int64, is_grad_enabled
from .. import device as _device
from ._util import normalize_axes, flat, check_tensor, check_float, check_real, broadcast_shape
from .elementwise import (cast, add, sub, mul, div, exp as _exp, abs as _abs, where, equal, not_equal,
                          less, result_type)
from .reduce import sum as _rsum, mean as _rmean
from .shape import reshape, unsqueeze, expand

_REDUCTIONS = ("mean", "sum", "none")


def _to_rows(b, a, dim):
    """``a`` with axis ``dim`` moved last, as a C-contiguous (rows, C) array, and the layout to undo it."""
    if a.ndim == 0:
        return b.reshape(a, (1, 1)), None
    perm = None
    if dim != a.ndim - 1:
        perm = tuple(i for i in range(a.ndim) if i != dim) + (dim,)
        a = b.transpose(a, perm)
    rows = 1
    for s in a.shape[:-1]:
        rows *= s
    return b.reshape(b.contiguous(a), (rows, a.shape[-1])), (a.shape, perm)


def _from_rows(b, a2, layout):
    if layout is None:
        return b.reshape(a2, ())
    shape, perm = layout
    a = b.reshape(a2, shape)
    if perm is not None:
        inverse = [0] * len(perm)
        for i, p in enumerate(perm):
            inverse[p] = i
        a = b.transpose(a, tuple(inverse))
    return a


def _reduce(b, loss, reduction, n):
    """The per-element ``loss`` (1-D) summed or averaged over ``n`` terms, as a 0-d array; and the gradient
    scale of each term (1/n for the mean, NaN when n is 0, as PyTorch's mean of nothing)."""
    if reduction == "none":
        return loss, 1.0
    total = b.reshape(b.sum(loss), ())
    if reduction == "sum":
        return total, 1.0
    scale = 1.0 / n if n else float("nan")
    return b.reshape(b.multiply(total, scale), ()), scale


# ----------------------------------------------------------------------------- functions
class Softmax(Function):
    saves_inputs = ()       # backward reads the output only
    saves_output = True

    def forward(self, x, dim, log):
        b = self.b
        x2, self.layout = _to_rows(b, x, dim)
        self.dim, self.log = dim, log
        self.out = b.log_softmax_forward(x2) if log else b.softmax_forward(x2)
        return _from_rows(b, self.out, self.layout)

    def backward(self, g):
        b = self.b
        g2 = _to_rows(b, g, self.dim)[0]
        dx = b.log_softmax_backward(self.out, g2) if self.log else b.softmax_backward(self.out, g2)
        return _from_rows(b, dx, self.layout)


class _ClassIndexLoss(Function):
    """A per-row loss of (N, C) scores (or (N, C, d1, ...), or (C,)) at int64 class indices, reduced on the device:
    'mean' divides by the number of non-ignored targets, ``stats[2]`` from ``index_stats`` on the device (no host
    read), NaN when every target is ignored. Subclasses give the row kernels (``_forward``, ``_backward``)."""
    saves_output = False

    def forward(self, z, y, reduction, ignore_index, stats):
        b = self.b
        self.zshape = z.shape
        if z.ndim == 1:
            z2, self.layout = b.reshape(b.contiguous(z), (1, z.shape[0])), None
        else:
            z2, self.layout = _to_rows(b, z, 1)
        self.z2, self.y1, self.ignore_index = z2, flat(b, y), ignore_index
        loss = self._forward(z2)
        self.count = None
        if reduction == "none":
            return b.reshape(loss, y.shape)
        if reduction == "sum":
            return b.reshape(b.sum(loss), ())
        mean, self.count = b.loss_mean(loss, stats)     # Σℓ / n, NaN when every target is ignored
        return mean

    def backward(self, g):
        b = self.b
        g1 = flat(b, g) if self.count is None else b.divide(flat(b, g), self.count)
        dz = self._backward(g1)
        dz = b.reshape(dz, self.zshape) if self.layout is None else _from_rows(b, dz, self.layout)
        return dz, None


class CrossEntropy(_ClassIndexLoss):
    """ℓ_n = logsumexp(z_n) − z_{n,y_n}, the fused softmax–cross-entropy."""
    saves_inputs = (0, 1)   # the logits and the labels (lse and the count are private)

    def _forward(self, z2):
        loss, self.lse = self.b.cross_entropy_forward(z2, self.y1, self.ignore_index)
        return loss

    def _backward(self, g1):
        return self.b.cross_entropy_backward(self.z2, self.y1, self.lse, g1, 1.0, self.ignore_index)


class NLLLoss(_ClassIndexLoss):
    """ℓ_n = −logp[n, y_n] without class weights (one kernel each way)."""
    saves_inputs = (1,)     # the labels; backward does not read the log-probabilities

    def _forward(self, z2):
        return self.b.nll_loss_forward(z2, self.y1, self.ignore_index)

    def _backward(self, g1):
        return self.b.nll_loss_backward(self.z2, self.y1, g1, 1.0, self.ignore_index)


class _PointwiseLoss(Function):
    """A loss ℓ(x_i, t_i) per element, reduced; subclasses name the kernels and the target's gradient."""
    fwd = bwd = None
    saves_inputs = (0, 1)
    saves_output = False

    def forward(self, x, t, reduction):
        b = self.b
        self.shape = x.shape
        self.x, self.t = flat(b, x), flat(b, t)
        out, self.scale = _reduce(b, getattr(b, self.fwd)(self.x, self.t), reduction, self.x.size)
        return b.reshape(out, x.shape) if reduction == "none" else out

    def backward(self, g):
        b, (tx, tt) = self.b, self.inputs
        g1 = flat(b, g)
        dx = b.reshape(getattr(b, self.bwd)(self.x, self.t, g1, self.scale), self.shape) if tx.requires_grad \
            else None
        dt = b.reshape(self.target_grad(g1), self.shape) if tt.requires_grad else None
        return dx, dt


class MSELoss(_PointwiseLoss):
    fwd, bwd = "mse_loss_forward", "mse_loss_backward"

    def target_grad(self, g1):  # d/dt (x − t)² = −2(x − t)
        return self.b.negative(self.b.mse_loss_backward(self.x, self.t, g1, self.scale))


class BCEWithLogits(_PointwiseLoss):
    fwd, bwd = "bce_with_logits_forward", "bce_with_logits_backward"

    def target_grad(self, g1):  # d/dt [(1 − t)·x − log σ(x)] = −x
        b = self.b
        return b.multiply(b.multiply(b.negative(self.x), g1), self.scale)


# ----------------------------------------------------------------------------- validation
def _dim(x, dim, name):
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    return normalize_axes(int(dim), x.ndim, "dim")[0]


def _reduction(reduction, name):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of 'mean', 'sum', 'none', got {reduction!r}")


def _same_device(a, b, name, arg_a, arg_b):
    if a.device != b.device:
        raise ValueError(f"{name}: {arg_a} and {arg_b} must be on one device, got {a.device!r} and {b.device!r}")


def _pair(x, t, reduction, name, target_arg="target"):
    check_float(x, name, "input")
    check_float(t, name, target_arg)
    _same_device(x, t, name, "input", target_arg)
    if x.shape != t.shape:
        raise ValueError(f"{name}: input shape {x.shape} and {target_arg} shape {t.shape} must be equal")
    _reduction(reduction, name)
    if x.dtype != t.dtype:
        x, t = cast(x, float64), cast(t, float64)
    return x, t


# ----------------------------------------------------------------------------- public functions
def _float_only(x, name):
    if x.dtype not in _FLOATS:          # torch 2.13: not implemented for integer and bool tensors
        raise RuntimeError(f"{name}: not implemented for {x.dtype} tensors; convert with .float()")


def softmax(x, dim=-1):
    """exp(x_i − m) / Σ_j exp(x_j − m) along ``dim`` (m the maximum along it): the lecture's
    softmax(z_i) = exp(z_i)/Σ_j exp(z_j), a probability distribution along ``dim``."""
    check_tensor(x, "softmax", "x")
    d = _dim(x, dim, "softmax")
    _float_only(x, "softmax")
    return Softmax.apply(x, dim=d, log=False)


def log_softmax(x, dim=-1):
    """log softmax(x) along ``dim``, computed as x_i − m − log Σ_j exp(x_j − m) (never forms the softmax)."""
    check_tensor(x, "log_softmax", "x")
    d = _dim(x, dim, "log_softmax")
    _float_only(x, "log_softmax")
    return Softmax.apply(x, dim=d, log=True)


# ----------------------------------------------------------------------------- composed losses: helpers
def _legacy_reduction(size_average, reduce, reduction, name):
    """PyTorch's deprecated ``size_average``/``reduce`` pair as a reduction ('mean' unless ``reduce`` is False
    ('none') or ``size_average`` is False ('sum')); ``reduction`` itself when both are None."""
    if size_average is None and reduce is None:
        return reduction
    for arg, v in (("size_average", size_average), ("reduce", reduce)):
        if v is not None and not isinstance(v, (bool, numbers.Integral)):
            raise TypeError(f"{name}: {arg} must be a bool or None, got {v!r}")
    size_average = True if size_average is None else bool(size_average)
    reduce = True if reduce is None else bool(reduce)
    return ("mean" if size_average else "sum") if reduce else "none"


def _apply_reduction(loss, reduction):
    """The per-element ``loss`` tensor as it is ('none'), summed ('sum') or averaged ('mean'; NaN when empty)."""
    if reduction == "none":
        return loss
    return _rsum(loss) if reduction == "sum" else _rmean(loss)


def _float_pair(x, t, name, arg_x="input", arg_t="target", warn_shape=True):
    """Two float tensors on one device in their promoted dtype; a shape mismatch that broadcasts warns as in
    PyTorch (the l1/smooth-l1/huber/kl losses broadcast), one that does not is a ``ValueError``."""
    check_float(x, name, arg_x)
    check_float(t, name, arg_t)
    _same_device(x, t, name, arg_x, arg_t)
    if x.shape != t.shape:
        shape = broadcast_shape(x.shape, t.shape, f"{name} ({arg_x} vs {arg_t})")
        if warn_shape:
            warnings.warn(f"{name}: using a {arg_t} size {t.shape} that is different to the {arg_x} size "
                          f"{x.shape}; they broadcast to {shape}, which is likely not intended", UserWarning,
                          stacklevel=3)
    if x.dtype != t.dtype:
        x, t = cast(x, float64), cast(t, float64)
    return x, t


def _elementwise_weight(weight, x, name, how="same"):
    """A loss's per-element ``weight``: ``how='same'`` needs input's shape (PyTorch's l1/mse/huber ``weight``),
    ``'broadcast'`` a shape that broadcasts to it (binary cross-entropy's ``weight`` and ``pos_weight``)."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}: weight must be a Tensor or None, got {type(weight).__name__}")
    _same_device(x, weight, name, "input", "weight")
    if how == "same" and weight.shape != x.shape:
        raise ValueError(f"{name}: weights and input must have the same size, got weight {weight.shape} and "
                         f"input {x.shape}")
    if how != "same" and broadcast_shape(x.shape, weight.shape, f"{name} ({how} vs input)") != x.shape:
        raise RuntimeError(f"{name}: {how} of shape {weight.shape} does not broadcast to the input's shape "
                           f"{x.shape} (output with shape {x.shape} doesn't match the broadcast shape)")
    return weight


def _not_differentiable(t, name, arg):
    """PyTorch's ``RuntimeError`` for a weight that requires grad where the op has no gradient for it."""
    if t is not None and t.requires_grad and is_grad_enabled():
        raise RuntimeError(f"{name}: the function is not differentiable with respect to argument '{arg}'; this "
                           f"input cannot have requires_grad True (pass {arg}.detach())")
    return t


def _check_int_arg(v, name, arg):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name}: {arg} must be an int, got {v!r}")
    return int(v)


def _class_index_args(input, target, name):
    """Validate class-index targets: ``input`` (N, C, d1, ...) with ``target`` (N, d1, ...), or (C,) with a 0-d
    target; returns C."""
    check_float(input, name, "input")
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}: target must be a Tensor of class indices, got {type(target).__name__}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must be an integer (int64) tensor of class indices, got {target.dtype}")
    _same_device(input, target, name, "input", "target")
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, got a 0-d tensor")
    expected = () if input.ndim == 1 else (input.shape[0],) + input.shape[2:]
    if target.shape != expected:
        raise ValueError(f"{name}: input of shape {input.shape} needs target of shape {expected}, got target "
                         f"of shape {target.shape}")
    return input.shape[0] if input.ndim == 1 else input.shape[1]


def _class_weight(weight, input, c, name):
    """A per-class ``weight`` of shape (C,) and input's dtype (PyTorch's RuntimeErrors otherwise), or None."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}: weight must be a Tensor or None, got {type(weight).__name__}")
    _same_device(input, weight, name, "input", "weight")
    if weight.shape != (c,):
        raise RuntimeError(f"{name}: weight tensor should be defined either for all {c} classes or no classes but "
                           f"got weight tensor of shape {weight.shape}")
    if weight.dtype != input.dtype:
        raise RuntimeError(f"{name}: expected weight of the input's dtype {input.dtype}, got {weight.dtype}")
    return weight


def _check_targets(input, target, c, ignore_index, name):
    """int64 targets whose values other than ``ignore_index`` lie in [0, C) (checked at once on the CPU, at the
    next copy to the host on a GPU); returns (target, the device's (min, max, count) array)."""
    if target.dtype != int64:
        target = cast(target, int64)
    b = _device.backend(input.device)
    stats = _device.check_range(input.device, flat(b, target._data), 0, c - 1, lambda bad: ValueError(
        f"{name}: target holds class index {bad}, outside [0, {c}) for input with C={c} classes (and not "
        f"ignore_index={ignore_index})"), skip=ignore_index)
    return target, stats


def _nll_terms(logp, y, weight, ignore_index):
    """For logp (N, C, d1, ...) and class indices y (N, d1, ...): the per-sample losses −w[y]·logp[y] and
    weights w[y] (w = 1 without ``weight``), both 0 where y is ``ignore_index``, and the mask of kept samples.
    The target's entry is picked with a one-hot mask (``where``), so logp elsewhere (−∞, NaN) never reaches the
    sample's loss or gradient."""
    b = _device.backend(logp.device)
    c = logp.shape[1]
    ones = (1, c) + (1,) * (logp.ndim - 2)
    classes = Tensor._wrap(b.reshape(b.arange(c, dtype=int64), ones), logp.device, False, None)
    y1 = unsqueeze(y, 1)
    keep1 = not_equal(y1, ignore_index)
    hit = equal(classes, where(keep1, y1, -1))          # one-hot of the kept targets (N, C, d1, ...)
    picked = _rsum(where(hit, logp, 0.0), dim=1)
    if weight is None:
        w = _rsum(cast(hit, logp.dtype), dim=1)
        loss = sub(0.0, picked)
    else:
        w = _rsum(where(hit, reshape(weight, ones), 0.0), dim=1)
        loss = sub(0.0, mul(w, picked))
    return loss, w, reshape(keep1, y.shape)


def _weighted_reduction(loss, w, reduction):
    """'mean' of class-index losses divides by the summed weights of the kept samples (their count without class
    weights; NaN when there are none), as PyTorch."""
    if reduction == "none":
        return loss
    total = _rsum(loss)
    return total if reduction == "sum" else div(total, _rsum(w))


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """The negative log-likelihood ℓ_n = −w[y_n]·input[n, y_n] of log-probabilities ``input`` (N, C) or
    (N, C, d1, ...) or (C,) at class indices ``target`` (N,), (N, d1, ...) or () (as
    ``torch.nn.functional.nll_loss``). ``weight`` (C,) weighs the classes; samples whose target is
    ``ignore_index`` contribute 0; 'mean' divides by the sum of the kept samples' weights (NaN when none is
    kept), 'sum' adds, 'none' returns the losses in target's shape. Target values outside [0, C) other than
    ``ignore_index`` raise ``ValueError``."""
    name = "nll_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    c = _class_index_args(input, target, name)
    _reduction(reduction, name)
    ignore_index = _check_int_arg(ignore_index, name, "ignore_index")
    weight = _not_differentiable(_class_weight(weight, input, c, name), name, "weight")
    target, stats = _check_targets(input, target, c, ignore_index, name)
    if weight is None:
        return NLLLoss.apply(input, target, reduction=reduction, ignore_index=ignore_index, stats=stats)
    x, y = (unsqueeze(input, 0), unsqueeze(target, 0)) if input.ndim == 1 else (input, target)
    loss, w, _ = _nll_terms(x, y, weight, ignore_index)
    out = _weighted_reduction(loss, w, reduction)
    return reshape(out, target.shape) if reduction == "none" else out


def _label_smoothing(v, name):
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name}: label_smoothing must be a float, got {v!r}")
    v = float(v)
    if v > 1.0 or math.isnan(v):            # torch 2.13: RuntimeError above 1; a value <= 0 means no smoothing
        raise RuntimeError(f"{name}: label_smoothing must be between 0.0 and 1.0. Got: {v}")
    return v


def _cross_entropy_probs(input, target, weight, reduction, ls, name):
    """Cross-entropy with class probabilities as target (target of input's shape): ℓ_n = −Σ_c w_c·t_nc·logp_nc
    with t smoothed to t·(1 − ε) + ε/C; 'mean' divides by the number of samples N·d1·… (not by the weights), as
    PyTorch."""
    if target.dtype != input.dtype:
        input, target = cast(input, float64), cast(target, float64)
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    weight = _class_weight(weight, input, c, name)
    cdim = 0 if input.ndim == 1 else 1
    logp = log_softmax(input, dim=cdim)
    if ls > 0:
        target = add(mul(target, 1.0 - ls), ls / c)
    terms = mul(logp, target)
    if weight is not None:
        terms = mul(terms, reshape(weight, (c,) + (1,) * (input.ndim - 1 - cdim)))
    loss = sub(0.0, _rsum(terms, dim=cdim))
    if reduction == "none":
        return loss
    total = _rsum(loss)
    if reduction == "sum":
        return total
    n = input._data.size // c if c else 0
    return mul(total, 1.0 / n if n else math.nan)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """The lecture's cross-entropy ℓ = −Σ_k y_k log ŷ_k with ŷ = softmax(input) along the class dimension
    (as ``torch.nn.functional.cross_entropy``).

    Class-index targets: input (N, C) with target (N,); (C,) with a 0-d target; (N, C, d1, ...) with target
    (N, d1, ...); ℓ_n = −w[y_n]·log ŷ_n[y_n], samples whose target equals ``ignore_index`` contribute 0 and are
    not counted: 'mean' divides by the summed weights of the kept samples (their number without ``weight``; NaN
    when there are none), 'sum' adds, 'none' returns the per-sample losses in target's shape. Without ``weight``
    and label smoothing one fused kernel computes ℓ = logsumexp(z) − z_target. ``label_smoothing`` ε in (0, 1]
    gives PyTorch's (1 − ε)·nll + ε/C·Σ_n(−Σ_c w_c log ŷ_nc) (the second sum over kept samples, reduced with the
    same denominator); ε ≤ 0 is no smoothing, ε > 1 a ``RuntimeError``.

    Class-probability targets (a float tensor of input's shape and dtype): ℓ_n = −Σ_c w_c t_nc log ŷ_nc with t
    smoothed to t(1 − ε) + ε/C, 'mean' dividing by the number of samples (``ignore_index`` does not apply)."""
    name = "cross_entropy"
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    check_float(input, name, "input")
    _reduction(reduction, name)
    ignore_index = _check_int_arg(ignore_index, name, "ignore_index")
    ls = _label_smoothing(label_smoothing, name)
    if (isinstance(target, Tensor) and target.dtype.kind == "f" and input.ndim > 0
            and target.shape == input.shape):
        _same_device(input, target, name, "input", "target")
        return _cross_entropy_probs(input, target, weight, reduction, ls, name)
    c = _class_index_args(input, target, name)
    weight = _not_differentiable(_class_weight(weight, input, c, name), name, "weight")
    target, stats = _check_targets(input, target, c, ignore_index, name)
    if weight is None and ls <= 0:
        return CrossEntropy.apply(input, target, reduction=reduction, ignore_index=ignore_index, stats=stats)
    x, y = (unsqueeze(input, 0), unsqueeze(target, 0)) if input.ndim == 1 else (input, target)
    logp = log_softmax(x, dim=1)
    loss, w, keep = _nll_terms(logp, y, weight, ignore_index)
    out = _weighted_reduction(loss, w, reduction)
    if ls > 0:
        terms = logp if weight is None else mul(logp, reshape(weight, (1, c) + (1,) * (logp.ndim - 2)))
        smooth = where(keep, sub(0.0, _rsum(terms, dim=1)), 0.0)
        out = add(mul(out, 1.0 - ls), mul(_weighted_reduction(smooth, w, reduction), ls / c))
    return reshape(out, target.shape) if reduction == "none" else out


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """The lecture's MSE ℓ = (y − ŷ)² per element, averaged ('mean'), summed ('sum') or not ('none') (as
    ``torch.nn.functional.mse_loss``: shapes that differ broadcast, with PyTorch's warning). Both receive
    gradients. With ``weight`` (input's shape), 'mean' is Σ w·ℓ / Σ w."""
    name = "mse_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    x, t = _float_pair(input, target, name)
    _reduction(reduction, name)
    weight = _elementwise_weight(weight, input, name)
    if weight is not None:
        d = sub(x, t)
        return _weighted(mul(d, d), weight, reduction, True)
    if x.shape != t.shape:
        shape = broadcast_shape(x.shape, t.shape)
        x, t = expand(x, shape), expand(t, shape)
    return MSELoss.apply(x, t, reduction=reduction)


def _log_sigmoid(b, x):
    """log σ(x) = min(x, 0) − log(1 + e^(−|x|)) (the exponent is ≤ 0: no overflow; −∞ at −∞, 0 at ∞)."""
    return b.subtract(b.minimum(x, 0.0), _log1p(b, b.exp(b.negative(b.abs(x)))))


def _sigmoid(b, x):
    """σ(x) from e^(−|x|) (no overflow)."""
    e = b.exp(b.negative(b.abs(x)))
    one_plus = b.add(e, 1.0)
    return b.where(b.greater_equal(x, 0.0), b.divide(1.0, one_plus), b.divide(e, one_plus))


class BCEWithLogitsWeighted(Function):
    """ℓ = w·[(1 − t)·x − (1 + (p − 1)·t)·log σ(x)] element-wise (w and p expanded to x's shape), with PyTorch's
    gradients: dx = g·w·[(p·t + 1 − t)·σ(x) − p·t], dt = g·w·[log σ(−x) − p·log σ(x)] (w and p have none)."""
    saves_inputs = None     # x, t, w, p: both gradients read them all
    saves_output = False

    def forward(self, x, t, w, p):
        b = self.b
        self.x, self.t, self.w, self.p = x, t, w, p
        lw = b.add(b.multiply(b.subtract(p, 1.0), t), 1.0)
        loss = b.subtract(b.multiply(b.subtract(1.0, t), x), b.multiply(lw, _log_sigmoid(b, x)))
        return b.multiply(loss, w)

    def backward(self, g):
        b, x, t, w, p = self.b, self.x, self.t, self.w, self.p
        gw = b.multiply(g, w)
        need = self.needs_input_grad
        dx = dt = None
        pt = b.multiply(p, t)
        if need[0]:
            dx = b.multiply(gw, b.subtract(b.multiply(b.subtract(b.add(pt, 1.0), t), _sigmoid(b, x)), pt))
        if need[1]:
            dt = b.multiply(gw, b.subtract(_log_sigmoid(b, b.negative(x)), b.multiply(p, _log_sigmoid(b, x))))
        return dx, dt, None, None


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """−w·[p·t log σ(x) + (1 − t) log(1 − σ(x))] per element (as
    ``torch.nn.functional.binary_cross_entropy_with_logits``), computed stably as PyTorch does,
    (1 − t)·x − (1 + (p − 1)·t)·log σ(x) with log σ(x) = min(x, 0) − log(1 + e^(−|x|)) (so ±∞ logits give
    PyTorch's values: ∞ for a logit pointing away from its 0/1 target, NaN for 0·∞); ``target`` is a float
    tensor of input's shape (probabilities); ``weight`` (any shape broadcasting to input's) weighs the elements,
    ``pos_weight`` p (broadcasting to input's, usually one entry per class, the last dim) the positive term. Without
    weights one fused kernel computes it."""
    name = "binary_cross_entropy_with_logits"
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    x, t = _pair(input, target, reduction, name)
    weight = _not_differentiable(_elementwise_weight(weight, x, name, "weight"), name, "weight")
    pos_weight = _not_differentiable(_elementwise_weight(pos_weight, x, name, "pos_weight"), name, "pos_weight")
    if weight is None and pos_weight is None:
        return BCEWithLogits.apply(x, t, reduction=reduction)
    dt = result_type(x, *[w for w in (weight, pos_weight) if w is not None])
    x, t = cast(x, dt), cast(t, dt)
    b = _device.backend(x.device)
    ones = Tensor._wrap(b.full(x.shape, 1.0, dt), x.device, False, None)
    w = ones if weight is None else expand(cast(weight, dt), x.shape)
    p = ones if pos_weight is None else expand(cast(pos_weight, dt), x.shape)
    return _apply_reduction(BCEWithLogitsWeighted.apply(x, t, w, p), reduction)


def _log1p(b, u):
    """log(1 + u) accurate for small |u| from the device's log (Kahan: log(w)·u/(w − 1) with w = 1 + u rounded,
    u itself where w rounds to 1)."""
    w = b.add(u, 1.0)
    d = b.subtract(w, 1.0)
    tiny = b.equal(d, 0.0)
    return b.where(tiny, u, b.multiply(b.log(w), b.divide(u, b.where(tiny, 1.0, d))))


_BCE_EPS = 9.999999960041972e-13      # PyTorch's EPSILON 1e-12, as the float32 it is stored in


class BCE(Function):
    """ℓ = −[t·max(log x, −100) + (1 − t)·max(log(1 − x), −100)] element-wise (times ``weight`` when given),
    PyTorch's clamped binary cross-entropy of probabilities x. Gradients as PyTorch's:
    dx = g·(x − t)/max((1 − x)·x, ε)·w (ε = float32(10⁻¹²)), dt = g·(log(1 − x) − log x)·w (w has none, as in
    PyTorch)."""
    saves_inputs = None     # x, t and w: both gradients read x and w, dx also t
    saves_output = False

    def _unweighted(self):
        b, x, t = self.b, self.x, self.t
        lx = b.maximum(b.log(x), -100.0)
        l1x = b.maximum(_log1p(b, b.negative(x)), -100.0)
        return b.subtract(b.multiply(b.subtract(t, 1.0), l1x), b.multiply(t, lx))

    def forward(self, x, t, *w):
        self.x, self.t, self.w = x, t, (w[0] if w else None)
        loss = self._unweighted()
        return loss if self.w is None else self.b.multiply(loss, self.w)

    def backward(self, g):
        b, x, t, w = self.b, self.x, self.t, self.w
        need = self.needs_input_grad
        gw = g if w is None else b.multiply(g, w)
        dx = dt = None
        if need[0]:
            dx = b.divide(b.multiply(gw, b.subtract(x, t)), b.maximum(b.multiply(b.subtract(1.0, x), x), _BCE_EPS))
        if need[1]:
            dt = b.multiply(gw, b.subtract(_log1p(b, b.negative(x)), b.log(x)))
        return (dx, dt) if w is None else (dx, dt, None)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """−w·[t·log x + (1 − t)·log(1 − x)] per element for probabilities x = ``input`` in [0, 1], with each log
    clamped to ≥ −100 as PyTorch (so x = 0 or 1 gives 100, not ∞), reduced by ``reduction`` (as
    ``torch.nn.functional.binary_cross_entropy``). ``target`` has input's shape and dtype; ``weight`` broadcasts
    to it. An input element outside [0, 1] (or NaN) raises ``RuntimeError`` (at the next copy to the host on a
    GPU)."""
    name = "binary_cross_entropy"
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    check_float(input, name, "input")
    check_float(target, name, "target")
    _same_device(input, target, name, "input", "target")
    if target.shape != input.shape:
        raise ValueError(f"{name}: using a target size {target.shape} that is different to the input size "
                         f"{input.shape} is deprecated; please ensure they have the same size")
    _reduction(reduction, name)
    if target.dtype != input.dtype:             # torch 2.13: RuntimeError, Found dtype Double but expected Float
        raise RuntimeError(f"{name}: found target dtype {target.dtype} but expected the input's {input.dtype}")
    weight = _not_differentiable(_elementwise_weight(weight, input, name, "weight"), name, "weight")
    if weight is not None and weight.dtype != input.dtype:
        raise RuntimeError(f"{name}: found weight dtype {weight.dtype} but expected the input's {input.dtype}")
    b = _device.backend(input.device)
    if input._data.size:
        x1 = flat(b, input._data)
        stats = b.concatenate([b.reshape(b.min(x1), (1,)), b.reshape(b.max(x1), (1,))])

        def test(s):
            if not (s[0] >= 0 and s[1] <= 1):
                raise RuntimeError(f"{name}: all elements of input should be between 0 and 1, got values in "
                                   f"[{s[0]}, {s[1]}]")
        _device.check(input.device, stats, test)
    if weight is not None:
        loss = BCE.apply(input, target, expand(weight, input.shape))
    else:
        loss = BCE.apply(input, target)
    return _apply_reduction(loss, reduction)


class XLogX(Function):
    """t·log t with 0 at t = 0 (PyTorch's xlogy(t, t)). Its gradient is PyTorch's sum of xlogy's two partials,
    [t ≠ 0]·log t + t/t: log t + 1, and NaN at t = 0 (0/0), as ``torch.xlogy(t, t)`` differentiates."""
    saves_inputs = (0,)
    saves_output = False

    def forward(self, t):
        b = self.b
        self.t = t
        zero = b.equal(t, 0.0)
        return b.where(zero, 0.0, b.multiply(t, b.log(b.where(zero, 1.0, t))))

    def backward(self, g):
        b, t = self.b, self.t
        zero = b.equal(t, 0.0)
        logt = b.where(zero, 0.0, b.log(b.where(zero, 1.0, t)))
        return b.multiply(g, b.add(logt, b.divide(t, b.where(zero, math.nan, t))))


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """The pointwise Kullback-Leibler divergence of log-probabilities ``input`` from ``target``:
    t·(log t − input) (0 where t = 0), or e^t·(t − input) with ``log_target`` (as
    ``torch.nn.functional.kl_div``); 'batchmean' divides the sum by input.size(0) (the sum for a 0-d input),
    'mean' by the number of elements."""
    name = "kl_div"
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{name}: reduction must be one of 'mean', 'batchmean', 'sum', 'none', got {reduction!r}")
    x, t = _float_pair(input, target, name, warn_shape=False)
    loss = mul(_exp(t), sub(t, x)) if log_target else sub(XLogX.apply(t), mul(t, x))
    if reduction == "batchmean":
        total = _rsum(loss)
        return div(total, input.shape[0]) if input.ndim else total
    return _apply_reduction(loss, reduction)


def _weighted(loss, weight, reduction, mean_by_weight):
    """``loss``·``weight`` reduced; PyTorch's weighted l1/mse 'mean' divides by Σ weight, huber's by the count."""
    if weight is None:
        return _apply_reduction(loss, reduction)
    loss = mul(loss, weight)
    if reduction == "mean" and mean_by_weight:
        return div(_rsum(loss), _rsum(weight))
    return _apply_reduction(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|x − t| per element (broadcasting, with PyTorch's warning when the shapes differ), reduced (as
    ``torch.nn.functional.l1_loss``); the gradient is sign(x − t), 0 where x = t. With ``weight`` (input's
    shape), 'mean' is Σ w·|x − t| / Σ w."""
    name = "l1_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    x, t = _float_pair(input, target, name)
    _reduction(reduction, name)
    weight = _elementwise_weight(weight, input, name)
    return _weighted(_abs(sub(x, t)), weight, reduction, True)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5·d²/β where |d| < β, |d| − 0.5·β elsewhere, d = x − t (as ``torch.nn.functional.smooth_l1_loss``;
    β = 0 is the L1 loss, β < 0 a ``RuntimeError``)."""
    name = "smooth_l1_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    beta = check_real(beta, name, "beta")
    if beta < 0:
        raise RuntimeError(f"{name}: smooth_l1_loss does not support negative values for beta, got {beta}")
    x, t = _float_pair(input, target, name)
    _reduction(reduction, name)
    d = sub(x, t)
    ad = _abs(d)
    if beta == 0:
        return _apply_reduction(ad, reduction)
    return _apply_reduction(where(less(ad, beta), mul(mul(d, d), 0.5 / beta), sub(ad, 0.5 * beta)), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5·d² where |d| < δ, δ·(|d| − 0.5·δ) elsewhere, d = x − t (as ``torch.nn.functional.huber_loss``; δ must
    be > 0). With ``weight`` (input's shape), 'mean' is the mean of w·ℓ (PyTorch's)."""
    name = "huber_loss"
    delta = check_real(delta, name, "delta")
    if delta <= 0:
        raise RuntimeError(f"{name}: huber_loss does not support non-positive values for delta, got {delta}")
    x, t = _float_pair(input, target, name)
    _reduction(reduction, name)
    weight = _elementwise_weight(weight, input, name)
    d = sub(x, t)
    ad = _abs(d)
    loss = where(less(ad, delta), mul(mul(d, d), 0.5), mul(sub(ad, 0.5 * delta), delta))
    return _weighted(loss, weight, reduction, False)
