"""Softmax, log-softmax and the losses: cross_entropy (fused with softmax), mse_loss,
binary_cross_entropy_with_logits.

Softmax-type ops move their axis last and flatten the rest to a C-contiguous (rows, C) array for the
``kernels/<device>/softmax.py`` kernels, then move it back; the losses flatten to 1-D. Label values are checked
here with the device's ``index_stats`` (at once on the CPU, whose kernels do not bounds-check; at the next copy to
the host on a GPU, whose kernels skip a bad label: see ``tinygradnb.device.check``).
"""
import math
import numbers

from ..tensor import Function, Tensor, _FLOATS, float64, int64
from .. import device as _device
from ._util import normalize_axes, flat, check_tensor, check_float
from .elementwise import cast

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


class CrossEntropy(Function):
    saves_inputs = (0, 1)   # the logits and the labels (lse and the count are private)
    saves_output = False

    def forward(self, z, y, reduction, ignore_index, count):
        # count: the number of non-ignored targets as an array on z's device, so that 'mean' needs no host read
        b = self.b
        self.zshape = z.shape
        if z.ndim == 1:
            z2, self.layout = b.reshape(b.contiguous(z), (1, z.shape[0])), None
        else:
            z2, self.layout = _to_rows(b, z, 1)
        self.z2, self.y1, self.ignore_index = z2, flat(b, y), ignore_index
        loss, self.lse = b.cross_entropy_forward(z2, self.y1, ignore_index)
        self.count = None
        if reduction == "none":
            return b.reshape(loss, y.shape)
        total = b.reshape(b.sum(loss), ())
        if reduction == "sum":
            return total
        n = b.astype(count, z.dtype)            # mean: Σℓ / n, NaN when every target is ignored (n = 0; Σℓ
        self.count = b.where(n, n, math.nan)    # is then 0, and 0 / NaN is NaN without 0 / 0's warning)
        return b.divide(total, self.count)

    def backward(self, g):
        b = self.b
        g1 = flat(b, g) if self.count is None else b.divide(flat(b, g), self.count)
        dz = b.cross_entropy_backward(self.z2, self.y1, self.lse, g1, 1.0, self.ignore_index)
        dz = b.reshape(dz, self.zshape) if self.layout is None else _from_rows(b, dz, self.layout)
        return dz, None


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


def cross_entropy(logits, target, reduction="mean", ignore_index=-100):
    """The lecture's cross-entropy ℓ = −Σ_k y_k log ŷ_k with ŷ = softmax(logits) and one-hot y, i.e.
    ℓ = logsumexp(z) − z_target per sample, fused into one kernel (as ``torch.nn.functional.cross_entropy``
    with class-index targets).

    Shapes: logits (N, C) with target (N,); logits (C,) with a 0-d target; logits (N, C, d1, ...) with target
    (N, d1, ...). ``target`` holds integer class indices in [0, C); samples whose target equals
    ``ignore_index`` contribute 0 and are not counted: 'mean' divides by the number of other samples (NaN when
    there are none), 'sum' adds, 'none' returns the per-sample losses in target's shape. The gradient flows to
    ``logits`` only.
    """
    name = "cross_entropy"
    check_float(logits, name, "logits")
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}: target must be a Tensor of class indices, got {type(target).__name__}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must be an integer (int64) tensor of class indices, got {target.dtype}")
    _same_device(logits, target, name, "logits", "target")
    if logits.ndim == 0:
        raise ValueError(f"{name}: logits must have a class dimension, got a 0-d tensor")
    expected = () if logits.ndim == 1 else (logits.shape[0],) + logits.shape[2:]
    if target.shape != expected:
        raise ValueError(f"{name}: logits of shape {logits.shape} need target of shape {expected}, got target "
                         f"of shape {target.shape}")
    _reduction(reduction, name)
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"{name}: ignore_index must be an int, got {ignore_index!r}")
    ignore_index = int(ignore_index)
    if target.dtype != int64:
        target = cast(target, int64)
    c = logits.shape[0] if logits.ndim == 1 else logits.shape[1]
    b = _device.backend(logits.device)
    stats = _device.check_range(logits.device, flat(b, target._data), 0, c - 1, lambda bad: ValueError(
        f"{name}: target holds class index {bad}, outside [0, {c}) for logits with C={c} classes (and not "
        f"ignore_index={ignore_index})"), skip=ignore_index)   # (min, max, count) of the kept targets
    return CrossEntropy.apply(logits, target, reduction=reduction, ignore_index=ignore_index,
                              count=b.getitem(stats, 2))


def mse_loss(input, target, reduction="mean"):
    """The lecture's MSE ℓ = (y − ŷ)² per element, averaged ('mean'), summed ('sum') or not ('none');
    ``input`` and ``target`` must have one shape. Both receive gradients."""
    x, t = _pair(input, target, reduction, "mse_loss")
    return MSELoss.apply(x, t, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """−[t log σ(x) + (1 − t) log(1 − σ(x))] per element, computed stably as PyTorch does,
    (1 − t)·x − log σ(x) with log σ(x) = min(x, 0) − log(1 + e^(−|x|)) (so ±∞ logits give PyTorch's values:
    ∞ for a logit pointing away from its 0/1 target, NaN for 0·∞); ``target`` is a float tensor of input's shape
    (probabilities)."""
    x, t = _pair(input, target, reduction, "binary_cross_entropy_with_logits")
    return BCEWithLogits.apply(x, t, reduction=reduction)
