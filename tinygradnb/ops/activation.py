"""Element-wise activations h = φ(z): relu, leaky_relu, sigmoid, tanh, softplus, gelu.

Each op flattens its input to a 1-D C-contiguous array for the ``*_forward`` / ``*_backward`` kernels of the
device (``kernels/<device>/activations.py``) and reshapes the result back.
"""

from ..tensor import Function, Tensor, _FLOATS, float32
from ._util import flat, check_real
from .elementwise import cast, maximum


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
