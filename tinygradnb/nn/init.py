"""Weight initialisers (``torch.nn.init``), in place and drawn from the library's seeded stream.

The lecture's variances: Xavier/Glorot, Var(w) = 2 / (n_in + n_out), keeps activations' variance steady through
tanh/sigmoid layers; Kaiming/He, Var(w) = 2 / n_in, does so for ReLU (the factor 2 is the ReLU gain²).
A uniform U(−a, a) has variance a²/3, so a = √3·std.

Every initialiser checks its tensor (a Tensor; a float one for the random draws) and its numbers and raises
``TypeError``/``ValueError`` naming the argument; a tensor with no elements is left as it is (PyTorch's no-op).
"""
import math
import numbers
import warnings

import numpy as np

from ..tensor import Tensor, no_grad
from .. import creation
from .. import device as _device

_GAINS = {"linear": 1.0, "identity": 1.0, "conv1d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0),
          "selu": 0.75}


def _tensor(t, fn, floating=True):
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}: tensor must be a Tensor, got {type(t).__name__}")
    if floating and t.dtype.kind != "f":
        raise TypeError(f"{fn}: tensor must be a float32 or float64 tensor to draw random values into, got "
                        f"{t.dtype}")
    return t


def _real(v, fn, arg):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{fn}: {arg} must be a real number, got {type(v).__name__} {v!r}")
    return float(v)


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for ``nonlinearity`` (as ``torch.nn.init.calculate_gain``)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else _real(param, "calculate_gain", "param (the negative slope)")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if not isinstance(nonlinearity, str) or nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}, expected one of "
                         f"{sorted(_GAINS) + ['leaky_relu']}")
    return _GAINS[nonlinearity]


def _calculate_fan_in_and_fan_out(t, fn="init"):
    _tensor(t, fn, floating=False)
    if t.ndim < 2:
        raise ValueError(f"{fn}: fan in and fan out need a tensor with at least 2 dimensions, got shape "
                         f"{t.shape}")
    receptive = 1
    for s in t.shape[2:]:
        receptive *= s
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fan(t, mode, fn):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fn}: mode: expected 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t, fn)
    return fan_in if mode == "fan_in" else fan_out


def _fill(t, values):
    if not isinstance(t, Tensor):
        raise TypeError(f"init: expected a Tensor, got {type(t).__name__}")
    with no_grad():
        _device.backend(t.device).setitem(t._data, Ellipsis, values._data if isinstance(values, Tensor) else values)
    return t._bump()


def uniform_(t, a=0.0, b=1.0):
    """t ~ U(a, b)."""
    _tensor(t, "uniform_")
    a, b = _real(a, "uniform_", "a"), _real(b, "uniform_", "b")
    return _fill(t, creation.rand(t.shape, dtype=t.dtype, device=t.device) * (b - a) + a)


def normal_(t, mean=0.0, std=1.0):
    """t ~ N(mean, std²)."""
    _tensor(t, "normal_")
    mean, std = _real(mean, "normal_", "mean"), _real(std, "normal_", "std")
    return _fill(t, creation.randn(t.shape, dtype=t.dtype, device=t.device) * std + mean)


def constant_(t, val):
    _tensor(t, "constant_", floating=False)
    return _fill(t, _real(val, "constant_", "val") if t.dtype.kind == "f" else val)


def zeros_(t):
    return _fill(_tensor(t, "zeros_", floating=False), 0)


def ones_(t):
    return _fill(_tensor(t, "ones_", floating=False), 1)


def xavier_uniform_(t, gain=1.0):
    """Glorot: t ~ U(−a, a), a = gain·√(6 / (n_in + n_out)), so Var = gain²·2 / (n_in + n_out)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_tensor(t, "xavier_uniform_"), "xavier_uniform_")
    if t.numel() == 0:
        return t
    a = _real(gain, "xavier_uniform_", "gain") * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -a, a)


def xavier_normal_(t, gain=1.0):
    """Glorot: t ~ N(0, σ²), σ² = gain²·2 / (n_in + n_out)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_tensor(t, "xavier_normal_"), "xavier_normal_")
    if t.numel() == 0:
        return t
    return normal_(t, 0.0, _real(gain, "xavier_normal_", "gain") * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He: t ~ U(−b, b), b = gain·√(3 / fan), so Var = gain² / fan (= 2 / n_in for ReLU)."""
    fan = _fan(_tensor(t, "kaiming_uniform_"), mode, "kaiming_uniform_")
    if _no_elements(t):
        return t
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / fan)
    return uniform_(t, -bound, bound)


def kaiming_normal_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He: t ~ N(0, σ²), σ² = gain² / fan (= 2 / n_in for ReLU)."""
    fan = _fan(_tensor(t, "kaiming_normal_"), mode, "kaiming_normal_")
    if _no_elements(t):
        return t
    gain = calculate_gain(nonlinearity, a)
    return normal_(t, 0.0, gain / math.sqrt(fan))


def _no_elements(t):
    """A tensor with no elements has nothing to initialise (and a fan of 0); PyTorch warns and returns it."""
    if t.numel():
        return False
    warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
    return True
