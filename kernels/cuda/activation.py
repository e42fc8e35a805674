"""Element-wise activation kernels on the GPU, forward and backward — the twins of kernels/cpu/activation.py,
with the same names, arguments and equations: ReLU, leaky ReLU, sigmoid, tanh, softplus, GELU, SiLU, the ELU
family (ELU, SELU, CELU), hardtanh (and ReLU6), hardswish, hardsigmoid, Mish, log-sigmoid.

The lecture applies an activation element-wise to the pre-activation, h = φ(z), with ReLU max(0, z), sigmoid
1/(1 + e^(−z)) and tanh (e^z − e^(−z))/(e^z + e^(−z)); GELU is the hidden-layer choice it lists beside ReLU.
Each forward and backward is the scalar formula of ``kernels/formulas.py`` that the CPU kernels inline too, run
by the generic launchers of ``_launch``: ``map_kernel`` (forward, out[i] = φ(x[i])) and ``zip_kernel`` (backward,
out[i] = φ'(x[i]) · g[i]), one thread per element with grid-stride loops, libdevice for exp/tanh/erf. Every
function takes 1-D C-contiguous device arrays (the op layer flattens N-D tensors), allocates its output in the
input's dtype and returns it; backward functions take the upstream gradient ``g`` of the same length.
"""
from .. import formulas as f
from ._launch import map_kernel, run_map, zip_kernel

# (formula name, number of scalar parameters): the forward formula and its ``_backward``
_FAMILY = {"relu": 0, "leaky_relu": 1, "sigmoid": 0, "tanh": 0, "softplus": 2, "gelu": 1, "silu": 0, "elu": 3,
           "hardtanh": 2, "hardswish": 0, "hardsigmoid": 0, "mish": 0, "logsigmoid": 0}
_FWD = {n: map_kernel(getattr(f, n), k) for n, k in _FAMILY.items()}
_BWD = {n: zip_kernel(getattr(f, n + "_backward"), k) for n, k in _FAMILY.items()}


def _forward(name, x, *params):
    return run_map(_FWD[name], x.dtype, x, *params)


def _backward(name, saved, g, *params):
    return run_map(_BWD[name], g.dtype, saved, g, *params)


def relu_forward(x):
    """h = max(0, z) (the lecture's ReLU), element-wise; NaN stays NaN (as PyTorch's clamp_min)."""
    return _forward("relu", x)


def relu_backward(x, g):
    """dx = g · 1[not z ≤ 0] (0 at z = 0; g at z = NaN, as PyTorch's threshold_backward)."""
    return _backward("relu", x, g)


def leaky_relu_forward(x, slope):
    """h = z for z > 0, slope · z otherwise."""
    return _forward("leaky_relu", x, float(slope))


def leaky_relu_backward(x, g, slope):
    """dx = g for z > 0, slope · g otherwise."""
    return _backward("leaky_relu", x, g, float(slope))


def sigmoid_forward(x):
    """σ(z) = 1/(1 + e^(−z)) (the lecture's sigmoid), as e^z/(1 + e^z) for z < 0 so that exp never overflows."""
    return _forward("sigmoid", x)


def sigmoid_backward(out, g):
    """dx = g · σ(z)(1 − σ(z)), from the saved output σ(z)."""
    return _backward("sigmoid", out, g)


def tanh_forward(x):
    """h = tanh z = (e^z − e^(−z))/(e^z + e^(−z)) (the lecture's tanh), element-wise (libdevice tanh)."""
    return _forward("tanh", x)


def tanh_backward(out, g):
    """dx = g · (1 − tanh² z), from the saved output tanh z."""
    return _backward("tanh", out, g)


def softplus_forward(x, beta, threshold):
    """h = (1/β) · ln(1 + e^(βz)) as (max(βz, 0) + ln(1 + e^(−|βz|)))/β; h = z where βz > threshold."""
    return _forward("softplus", x, float(beta), float(threshold))


def softplus_backward(x, g, beta, threshold):
    """dx = g · σ(βz) (g where βz > threshold), σ evaluated stably."""
    return _backward("softplus", x, g, float(beta), float(threshold))


def gelu_forward(x, approximate):
    """GELU(z) = z · Φ(z): exact 0.5 · z · (1 + erf(z/√2)), or with ``approximate`` the tanh form
    0.5 · z · (1 + tanh(√(2/π) · (z + 0.044715 z³)))."""
    return _forward("gelu", x, bool(approximate))


def gelu_backward(x, g, approximate):
    """dx = g · GELU'(z): exact Φ(z) + z·φ(z), φ(z) = e^(−z²/2)/√(2π); tanh form 0.5(1 + t) +
    0.5 · z · (1 − t²) · √(2/π)(1 + 3 · 0.044715 z²) with t = tanh(√(2/π)(z + 0.044715 z³))."""
    return _backward("gelu", x, g, bool(approximate))


def silu_forward(x):
    """SiLU(z) = z · σ(z) = z / (1 + e^(−z))."""
    return _forward("silu", x)


def silu_backward(x, g):
    """dx = g · σ(z)(1 + z(1 − σ(z)))."""
    return _backward("silu", x, g)


def elu_forward(x, alpha, scale, input_scale):
    """h = scale · z for z > 0, scale · α · (e^(input_scale · z) − 1) for z ≤ 0 (ELU, SELU and CELU)."""
    return _forward("elu", x, float(alpha), float(scale), float(input_scale))


def elu_backward(x, g, alpha, scale, input_scale):
    """dx = g · scale · α · input_scale · e^(input_scale · z) for z ≤ 0, g · scale for z > 0."""
    return _backward("elu", x, g, float(alpha), float(scale), float(input_scale))


def hardtanh_forward(x, min_val, max_val):
    """h = min(max(z, min_val), max_val) (NaN stays NaN)."""
    return _forward("hardtanh", x, float(min_val), float(max_val))


def hardtanh_backward(x, g, min_val, max_val):
    """dx = g for min_val < z < max_val (and NaN), 0 elsewhere, the boundaries included."""
    return _backward("hardtanh", x, g, float(min_val), float(max_val))


def hardswish_forward(x):
    """h = z · min(max(z + 3, 0), 6) / 6."""
    return _forward("hardswish", x)


def hardswish_backward(x, g):
    """dx = 0 for z ≤ −3, g · (z/3 + 1/2) for −3 < z < 3, g for z ≥ 3."""
    return _backward("hardswish", x, g)


def hardsigmoid_forward(x):
    """h = min(max(z + 3, 0), 6) / 6."""
    return _forward("hardsigmoid", x)


def hardsigmoid_backward(x, g):
    """dx = g/6 for −3 < z < 3, 0 elsewhere."""
    return _backward("hardsigmoid", x, g)


def mish_forward(x):
    """Mish(z) = z · tanh(ln(1 + e^z))."""
    return _forward("mish", x)


def mish_backward(x, g):
    """dx = g · (t + z · σ(z) · (1 − t²)), t = tanh(ln(1 + e^z))."""
    return _backward("mish", x, g)


def logsigmoid_forward(x):
    """log σ(z) = min(z, 0) − ln(1 + e^(−|z|))."""
    return _forward("logsigmoid", x)


def logsigmoid_backward(x, g):
    """dx = g · (1 − σ(z))."""
    return _backward("logsigmoid", x, g)


__all__ = ["relu_forward", "relu_backward", "leaky_relu_forward", "leaky_relu_backward", "sigmoid_forward",
           "sigmoid_backward", "tanh_forward", "tanh_backward", "softplus_forward", "softplus_backward",
           "gelu_forward", "gelu_backward", "silu_forward", "silu_backward", "elu_forward", "elu_backward",
           "hardtanh_forward", "hardtanh_backward", "hardswish_forward", "hardswish_backward",
           "hardsigmoid_forward", "hardsigmoid_backward", "mish_forward", "mish_backward", "logsigmoid_forward",
           "logsigmoid_backward"]
