"""Weight initialisers (``torch.nn.init``), in place and drawn from the library's seeded stream.

The lecture's variances: Xavier/Glorot, Var(w) = 2 / (n_in + n_out), keeps activations' variance steady through
tanh/sigmoid layers; Kaiming/He, Var(w) = 2 / n_in, does so for ReLU (the factor 2 is the ReLU gain²).
A uniform U(−a, a) has variance a²/3, so a = √3·std.
"""
import math

from ..tensor import Tensor, no_grad
from .. import creation
from .. import device as _device

_GAINS = {"linear": 1.0, "identity": 1.0, "conv1d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0),
          "selu": 0.75}


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for ``nonlinearity`` (as ``torch.nn.init.calculate_gain``)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}, expected one of "
                         f"{sorted(_GAINS) + ['leaky_relu']}")
    return _GAINS[nonlinearity]


def _calculate_fan_in_and_fan_out(t):
    if t.ndim < 2:
        raise ValueError(f"fan in/out need a tensor with at least 2 dimensions, got shape {t.shape}")
    receptive = 1
    for s in t.shape[2:]:
        receptive *= s
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fan(t, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode: expected 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return fan_in if mode == "fan_in" else fan_out


def _fill(t, values):
    if not isinstance(t, Tensor):
        raise TypeError(f"init: expected a Tensor, got {type(t).__name__}")
    with no_grad():
        _device.backend(t.device).setitem(t._data, Ellipsis, values._data if isinstance(values, Tensor) else values)
    return t._bump()


def uniform_(t, a=0.0, b=1.0):
    """t ~ U(a, b)."""
    return _fill(t, creation.rand(t.shape, dtype=t.dtype, device=t.device) * (b - a) + a)


def normal_(t, mean=0.0, std=1.0):
    """t ~ N(mean, std²)."""
    return _fill(t, creation.randn(t.shape, dtype=t.dtype, device=t.device) * std + mean)


def constant_(t, val):
    return _fill(t, val)


def zeros_(t):
    return _fill(t, 0)


def ones_(t):
    return _fill(t, 1)


def xavier_uniform_(t, gain=1.0):
    """Glorot: t ~ U(−a, a), a = gain·√(6 / (n_in + n_out)), so Var = gain²·2 / (n_in + n_out)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -a, a)


def xavier_normal_(t, gain=1.0):
    """Glorot: t ~ N(0, σ²), σ² = gain²·2 / (n_in + n_out)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He: t ~ U(−b, b), b = gain·√(3 / fan), so Var = gain² / fan (= 2 / n_in for ReLU)."""
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / _fan(t, mode))
    return uniform_(t, -bound, bound)


def kaiming_normal_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He: t ~ N(0, σ²), σ² = gain² / fan (= 2 / n_in for ReLU)."""
    gain = calculate_gain(nonlinearity, a)
    return normal_(t, 0.0, gain / math.sqrt(_fan(t, mode)))
