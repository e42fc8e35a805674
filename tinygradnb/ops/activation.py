"""Element-wise activations h = φ(z): relu, leaky_relu, sigmoid, tanh, softplus, gelu, silu, elu, selu, celu,
hardtanh, relu6, hardswish, hardsigmoid, mish, softsign, logsigmoid.

Each op flattens its input to a 1-D C-contiguous array for the ``*_forward`` / ``*_backward`` kernels of the
device (``kernels/<device>/activation.py``, both built from the scalar formulas of ``kernels/formulas.py``) and
reshapes the result back. softsign is composed of differentiable ops, as PyTorch's. ``inplace=True`` writes the
result into the input's memory as PyTorch's in-place activations do (recorded in the graph like ``+=``).
"""
import numbers

from ..tensor import Function, Tensor, _FLOATS, float32, no_grad
from ._util import flat, check_real
from .elementwise import abs as _abs, add, cast, clamp, div, maximum


def _input(x, name, integers=True):
    """``x`` as a float tensor: integer and bool tensors become float32 where PyTorch computes the activation for
    them (sigmoid, tanh) and are a ``RuntimeError`` where it has no kernel for them (``integers=False``)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: x must be a Tensor, got {type(x).__name__}")
    if x.dtype in _FLOATS:
        return x
    if not integers:
        raise RuntimeError(f"{name}: not implemented for {x.dtype} tensors (PyTorch has no integer {name}); "
                           f"convert with .float()")
    return cast(x, float32)


class _Elementwise(Function):
    """φ applied element-wise; subclasses name the kernels and whether backward needs the input or the output.
    Keyword arguments of ``apply`` are passed to both kernels positionally, in the kernels' parameter order."""
    fwd = bwd = None
    save_output = False
    saves_inputs = (0,)     # the version-counter guard: backward reads the input ...
    saves_output = False    # ... or, for sigmoid and tanh, the output

    def forward(self, x, **kw):
        b = self.b
        self.shape, self.kw = x.shape, kw
        x1 = flat(b, x)
        out = getattr(b, self.fwd)(x1, *kw.values())
        self.saved = out if self.save_output else x1
        return b.reshape(out, x.shape)

    def backward(self, g):
        b = self.b
        return b.reshape(getattr(b, self.bwd)(self.saved, flat(b, g), *self.kw.values()), self.shape)


class ReLU(_Elementwise):
    fwd, bwd = "relu_forward", "relu_backward"


class LeakyReLU(_Elementwise):
    fwd, bwd = "leaky_relu_forward", "leaky_relu_backward"


class Sigmoid(_Elementwise):
    fwd, bwd, save_output = "sigmoid_forward", "sigmoid_backward", True
    saves_inputs, saves_output = (), True


class Tanh(_Elementwise):
    fwd, bwd, save_output = "tanh_forward", "tanh_backward", True
    saves_inputs, saves_output = (), True


class Softplus(_Elementwise):
    fwd, bwd = "softplus_forward", "softplus_backward"


class GELU(_Elementwise):
    fwd, bwd = "gelu_forward", "gelu_backward"


class SiLU(_Elementwise):
    fwd, bwd = "silu_forward", "silu_backward"


class ELU(_Elementwise):
    """ELU, SELU and CELU: PyTorch's elu(x, alpha, scale, input_scale)."""
    fwd, bwd = "elu_forward", "elu_backward"


class Hardtanh(_Elementwise):
    fwd, bwd = "hardtanh_forward", "hardtanh_backward"


class Hardswish(_Elementwise):
    fwd, bwd = "hardswish_forward", "hardswish_backward"


class Hardsigmoid(_Elementwise):
    fwd, bwd = "hardsigmoid_forward", "hardsigmoid_backward"


class Mish(_Elementwise):
    fwd, bwd = "mish_forward", "mish_backward"


class LogSigmoid(_Elementwise):
    fwd, bwd = "logsigmoid_forward", "logsigmoid_backward"


def relu(x):
    """max(0, x) element-wise (the lecture's ReLU), NaN staying NaN; the gradient is 0 at x ≤ 0 and passes
    through at NaN, as in PyTorch. An integer tensor stays integer (as PyTorch); bool is an error."""
    if isinstance(x, Tensor) and x.dtype.kind in "iu":
        return maximum(x, 0)
    if isinstance(x, Tensor) and x.dtype.kind == "b":
        raise RuntimeError("relu: boolean inputs are not supported (as in PyTorch)")
    return ReLU.apply(_input(x, "relu"))


def leaky_relu(x, negative_slope=0.01):
    """x for x > 0, ``negative_slope`` · x otherwise."""
    slope = check_real(negative_slope, "leaky_relu", "negative_slope")
    return LeakyReLU.apply(_input(x, "leaky_relu", False), slope=slope)


def sigmoid(x):
    """σ(x) = 1/(1 + e^(−x)) (the lecture's sigmoid), stable for large |x|."""
    return Sigmoid.apply(_input(x, "sigmoid"))


def tanh(x):
    """tanh x = (e^x − e^(−x))/(e^x + e^(−x)) (the lecture's tanh)."""
    return Tanh.apply(_input(x, "tanh"))


def softplus(x, beta=1.0, threshold=20.0):
    """(1/β) ln(1 + e^(βx)), linear (= x) where βx > ``threshold``, as ``torch.nn.functional.softplus``."""
    beta = check_real(beta, "softplus", "beta")
    threshold = check_real(threshold, "softplus", "threshold")
    if beta <= 0:
        raise ValueError(f"softplus: beta must be > 0, got {beta}")
    return Softplus.apply(_input(x, "softplus", False), beta=beta, threshold=threshold)


def gelu(x, approximate="none"):
    """x · Φ(x): exact 0.5·x·(1 + erf(x/√2)) for ``approximate='none'``, or the tanh approximation
    0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) for ``approximate='tanh'`` (as ``torch.nn.functional.gelu``)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(_input(x, "gelu", False), approximate=approximate == "tanh")


# ----------------------------------------------------------------------------- PyTorch's further activations
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _check_inplace(inplace, name):
    if not isinstance(inplace, (bool, numbers.Integral)):
        raise TypeError(f"{name}: inplace must be a bool, got {type(inplace).__name__}")
    return bool(inplace)


def _apply(x, name, op, inplace):
    """``op(x)``, or with ``inplace`` its result written into x's memory (PyTorch's in-place activations): outside
    the graph a plain write; inside it, recorded as ``op`` of a snapshot of x, whose node x then becomes (a leaf that
    requires grad raises RuntimeError, as in PyTorch)."""
    if not _check_inplace(inplace, name):
        return op(x)
    if x._inplace_records(f"{name}(inplace=True)"):
        out = op(x._snapshot())
    else:
        with no_grad():
            out = op(x)
    from .shape import write_back
    x._assign(out)
    write_back(x)
    return x


def silu(input, inplace=False):
    """SiLU(x) = x · σ(x) = x / (1 + e^(−x)), as ``torch.nn.functional.silu`` (NaN at −inf; gradient
    σ(x)(1 + x(1 − σ(x))), NaN at ±inf). Float tensors only (PyTorch has no integer kernel)."""
    x = _input(input, "silu", False)
    return _apply(x, "silu", SiLU.apply, inplace)


def elu(input, alpha=1.0, inplace=False):
    """ELU(x) = x for x > 0, α(eˣ − 1) for x ≤ 0 (``torch.nn.functional.elu``); the gradient at 0 is α (the
    x ≤ 0 branch, as PyTorch), at NaN 1."""
    alpha = check_real(alpha, "elu", "alpha")
    x = _input(input, "elu", False)
    return _apply(x, "elu", lambda t: ELU.apply(t, alpha=alpha, scale=1.0, input_scale=1.0), inplace)


def selu(input, inplace=False):
    """SELU(x) = scale · (max(0, x) + min(0, α(eˣ − 1))) with α = 1.6732632423543772, scale = 1.0507009873554805
    (``torch.nn.functional.selu``); the gradient at 0 is α · scale."""
    x = _input(input, "selu", False)
    return _apply(x, "selu", lambda t: ELU.apply(t, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0),
                  inplace)


def celu(input, alpha=1.0, inplace=False):
    """CELU(x) = max(0, x) + min(0, α(e^(x/α) − 1)) (``torch.nn.functional.celu``); the gradient at 0 is 1.
    ``alpha`` = 0 is a RuntimeError, as in PyTorch."""
    alpha = check_real(alpha, "celu", "alpha")
    if alpha == 0:
        raise RuntimeError("celu: alpha cannot be 0 for CELU (ZeroDivisionError in PyTorch)")
    x = _input(input, "celu", False)
    return _apply(x, "celu", lambda t: ELU.apply(t, alpha=alpha, scale=1.0, input_scale=1.0 / alpha), inplace)


def _hardtanh(x, name, min_val, max_val, inplace):
    if x.dtype.kind == "b":
        raise RuntimeError(f"{name}: Bool inputs not supported for hardtanh (as in PyTorch)")
    if x.dtype.kind in "iu":     # PyTorch clamps integers in their dtype, the bounds converted to it (truncated)
        return _apply(x, name, lambda t: clamp(t, int(min_val), int(max_val)), inplace)
    return _apply(x, name, lambda t: Hardtanh.apply(t, min_val=min_val, max_val=max_val), inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """min_val for x < min_val, max_val for x > max_val, x otherwise (``torch.nn.functional.hardtanh``; NaN
    stays NaN); the gradient is 0 at and beyond both bounds, 1 strictly between them and at NaN. Integer tensors
    stay integer (bounds truncated to integers), bool is an error; ``min_val > max_val`` is a ValueError, as in
    PyTorch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"hardtanh: input must be a Tensor, got {type(input).__name__}")
    min_val = check_real(min_val, "hardtanh", "min_val")
    max_val = check_real(max_val, "hardtanh", "max_val")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got min_val={min_val}, "
                         f"max_val={max_val}")
    return _hardtanh(input, "hardtanh", min_val, max_val, inplace)


def relu6(input, inplace=False):
    """min(max(0, x), 6) = hardtanh(x, 0, 6) (``torch.nn.functional.relu6``): gradient 0 at x = 0 and x = 6,
    integer tensors stay integer."""
    if not isinstance(input, Tensor):
        raise TypeError(f"relu6: input must be a Tensor, got {type(input).__name__}")
    return _hardtanh(input, "relu6", 0.0, 6.0, inplace)


def hardswish(input, inplace=False):
    """x · min(max(x + 3, 0), 6) / 6 (``torch.nn.functional.hardswish``; NaN at −inf); the gradient is 0 for
    x ≤ −3, x/3 + 1/2 for −3 < x < 3, 1 for x ≥ 3 (PyTorch 2.13's boundaries)."""
    x = _input(input, "hardswish", False)
    return _apply(x, "hardswish", Hardswish.apply, inplace)


def hardsigmoid(input, inplace=False):
    """min(max(x + 3, 0), 6) / 6 (``torch.nn.functional.hardsigmoid``); the gradient is 1/6 (float32's 1/6 in
    every dtype, as PyTorch's kernel) for −3 < x < 3 and 0 elsewhere, at ±3 and NaN included."""
    x = _input(input, "hardsigmoid", False)
    return _apply(x, "hardsigmoid", Hardsigmoid.apply, inplace)


def mish(input, inplace=False):
    """Mish(x) = x · tanh(softplus(x)) = x · tanh(ln(1 + eˣ)) (``torch.nn.functional.mish``; NaN at −inf)."""
    x = _input(input, "mish", False)
    return _apply(x, "mish", Mish.apply, inplace)


def softsign(input):
    """x / (1 + |x|) (``torch.nn.functional.softsign``), composed of differentiable ops as PyTorch's: NaN at ±inf
    (∞/∞) with a NaN gradient there; integer tensors give float32, bool is an error (from abs)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"softsign: input must be a Tensor, got {type(input).__name__}")
    return div(input, add(_abs(input), 1))


def logsigmoid(input):
    """log σ(x) = min(x, 0) − ln(1 + e^(−|x|)) (``torch.nn.functional.logsigmoid``, no overflow); the gradient
    1 − σ(x) is 1 at −inf and 0 at +inf."""
    return LogSigmoid.apply(_input(input, "logsigmoid", False))
