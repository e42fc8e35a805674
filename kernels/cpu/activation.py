"""Element-wise activation kernels, forward and backward: ReLU, leaky ReLU, sigmoid, tanh, softplus, GELU, SiLU,
the ELU family (ELU, SELU, CELU), hardtanh (and ReLU6), hardswish, hardsigmoid, Mish, log-sigmoid.

The lecture applies an activation element-wise to the pre-activation, h = φ(z), with ReLU max(0, z), sigmoid
1/(1 + e^(−z)) and tanh (e^z − e^(−z))/(e^z + e^(−z)); GELU is the hidden-layer choice it lists beside ReLU.
Each equation and its derivative is written once, as a scalar formula in ``kernels/formulas.py`` that the CUDA
twins (kernels/cuda/activation.py) use too; every kernel here is that formula applied by the generic launcher
``map_`` (forward) or ``zip_`` (backward) of ``_map.py``, compiled and cached per dtype. Kernels take 1-D
C-contiguous arrays (the op layer flattens N-D tensors), allocate their output in the input's dtype (float32 or
float64) and return it. Backward kernels take the upstream gradient ``g`` of the same length and return
dL/dx = g · φ'(x), from the input x or, for sigmoid and tanh, from the output.

float32 sigmoid and tanh go through ``fastmath.vsigmoid`` / ``vtanh``: for float64 these are the formulas
themselves, for float32 the same equations with a vectorisable float32 exp (≤ 2 ulp), about 10x faster than libm's
scalar expf/tanhf in these loops.
"""
from numba import njit

from .. import formulas as f
from ._map import map1, map2, map3, map_, zip1, zip2, zip3, zip_
from .fastmath import vsigmoid, vtanh


@njit(cache=True)
def relu_forward(x):
    """h = max(0, z) (the lecture's ReLU), element-wise; NaN stays NaN (as PyTorch's clamp_min)."""
    return map_(f.relu, x)


@njit(cache=True)
def relu_backward(x, g):
    """dx = g · 1[not z ≤ 0] (ReLU's gradient: 1 for positive inputs, 0 otherwise, 0 at z = 0; g at z = NaN,
    as PyTorch's threshold_backward)."""
    return zip_(f.relu_backward, x, g)


@njit(cache=True)
def leaky_relu_forward(x, slope):
    """h = z for z > 0, slope · z otherwise."""
    return map1(f.leaky_relu, x, slope)


@njit(cache=True)
def leaky_relu_backward(x, g, slope):
    """dx = g for z > 0, slope · g otherwise."""
    return zip1(f.leaky_relu_backward, x, g, slope)


@njit(cache=True, error_model="numpy")
def sigmoid_forward(x):
    """σ(z) = 1/(1 + e^(−z)) (the lecture's sigmoid), evaluated stably: 1/(1 + e^(−z)) for z ≥ 0 and
    e^z/(1 + e^z) for z < 0, so e^(·) never sees a positive argument and never overflows. float64: the formula with
    libm exp; float32: ``fastmath.vsigmoid``, the same equation with the vectorisable float32 exp (Cody–Waite
    reduction and Cephes polynomial), branch-free, ≤ 2 ulp."""
    return map_(vsigmoid, x)


@njit(cache=True)
def sigmoid_backward(out, g):
    """dx = g · σ(z)(1 − σ(z)), from the saved output σ(z)."""
    return zip_(f.sigmoid_backward, out, g)


@njit(cache=True, error_model="numpy")
def tanh_forward(x):
    """h = tanh z = (e^z − e^(−z))/(e^z + e^(−z)) (the lecture's tanh), element-wise. float64: libm tanh; float32:
    ``fastmath.vtanh``, vectorisable: 1 − 2/(e^(2|z|) + 1) with the float32 exp for |z| ≥ 0.625, Cephes' odd
    polynomial z + z³·P(z²) below, sign restored (≤ 1.5 ulp)."""
    return map_(vtanh, x)


@njit(cache=True)
def tanh_backward(out, g):
    """dx = g · (1 − tanh² z), from the saved output tanh z."""
    return zip_(f.tanh_backward, out, g)


@njit(cache=True, error_model="numpy")
def softplus_forward(x, beta, threshold):
    """h = (1/β) · ln(1 + e^(βz)), computed as max(βz, 0) + ln(1 + e^(−|βz|)) over β; h = z where βz > threshold
    (PyTorch's linear region)."""
    return map2(f.softplus, x, beta, threshold)


@njit(cache=True, error_model="numpy")
def softplus_backward(x, g, beta, threshold):
    """dx = g · σ(βz) (g where βz > threshold), with σ evaluated stably."""
    return zip2(f.softplus_backward, x, g, beta, threshold)


@njit(cache=True, error_model="numpy")
def gelu_forward(x, approximate):
    """GELU(z) = z · Φ(z). Exact (``approximate`` False): 0.5 · z · (1 + erf(z/√2)). Tanh approximation
    (``approximate`` True): 0.5 · z · (1 + tanh(√(2/π) · (z + 0.044715 z³)))."""
    return map1(f.gelu, x, approximate)


@njit(cache=True, error_model="numpy")
def gelu_backward(x, g, approximate):
    """dx = g · GELU'(z). Exact: Φ(z) + z·φ(z) with Φ(z) = 0.5(1 + erf(z/√2)), φ(z) = e^(−z²/2)/√(2π).
    Tanh approximation, with u = √(2/π)(z + 0.044715 z³) and t = tanh u:
    0.5(1 + t) + 0.5 · z · (1 − t²) · √(2/π)(1 + 3 · 0.044715 z²)."""
    return zip1(f.gelu_backward, x, g, approximate)


@njit(cache=True, error_model="numpy")
def silu_forward(x):
    """SiLU(z) = z · σ(z) = z / (1 + e^(−z))."""
    return map_(f.silu, x)


@njit(cache=True, error_model="numpy")
def silu_backward(x, g):
    """dx = g · σ(z)(1 + z(1 − σ(z)))."""
    return zip_(f.silu_backward, x, g)


@njit(cache=True, error_model="numpy")
def elu_forward(x, alpha, scale, input_scale):
    """h = scale · z for z > 0, scale · α · (e^(input_scale · z) − 1) for z ≤ 0 (ELU, SELU and CELU)."""
    return map3(f.elu, x, alpha, scale, input_scale)


@njit(cache=True, error_model="numpy")
def elu_backward(x, g, alpha, scale, input_scale):
    """dx = g · scale · α · input_scale · e^(input_scale · z) for z ≤ 0, g · scale for z > 0."""
    return zip3(f.elu_backward, x, g, alpha, scale, input_scale)


@njit(cache=True)
def hardtanh_forward(x, min_val, max_val):
    """h = min(max(z, min_val), max_val) (NaN stays NaN)."""
    return map2(f.hardtanh, x, min_val, max_val)


@njit(cache=True)
def hardtanh_backward(x, g, min_val, max_val):
    """dx = g for min_val < z < max_val (and NaN), 0 elsewhere, the boundaries included."""
    return zip2(f.hardtanh_backward, x, g, min_val, max_val)


@njit(cache=True)
def hardswish_forward(x):
    """h = z · min(max(z + 3, 0), 6) / 6."""
    return map_(f.hardswish, x)


@njit(cache=True)
def hardswish_backward(x, g):
    """dx = 0 for z ≤ −3, g · (z/3 + 1/2) for −3 < z < 3, g for z ≥ 3."""
    return zip_(f.hardswish_backward, x, g)


@njit(cache=True)
def hardsigmoid_forward(x):
    """h = min(max(z + 3, 0), 6) / 6."""
    return map_(f.hardsigmoid, x)


@njit(cache=True)
def hardsigmoid_backward(x, g):
    """dx = g/6 for −3 < z < 3, 0 elsewhere."""
    return zip_(f.hardsigmoid_backward, x, g)


@njit(cache=True, error_model="numpy")
def mish_forward(x):
    """Mish(z) = z · tanh(ln(1 + e^z))."""
    return map_(f.mish, x)


@njit(cache=True, error_model="numpy")
def mish_backward(x, g):
    """dx = g · (t + z · σ(z) · (1 − t²)), t = tanh(ln(1 + e^z))."""
    return zip_(f.mish_backward, x, g)


@njit(cache=True, error_model="numpy")
def logsigmoid_forward(x):
    """log σ(z) = min(z, 0) − ln(1 + e^(−|z|))."""
    return map_(f.logsigmoid, x)


@njit(cache=True, error_model="numpy")
def logsigmoid_backward(x, g):
    """dx = g · (1 − σ(z))."""
    return zip_(f.logsigmoid_backward, x, g)


__all__ = ["relu_forward", "relu_backward", "leaky_relu_forward", "leaky_relu_backward", "sigmoid_forward",
           "sigmoid_backward", "tanh_forward", "tanh_backward", "softplus_forward", "softplus_backward",
           "gelu_forward", "gelu_backward", "silu_forward", "silu_backward", "elu_forward", "elu_backward",
           "hardtanh_forward", "hardtanh_backward", "hardswish_forward", "hardswish_backward",
           "hardsigmoid_forward", "hardsigmoid_backward", "mish_forward", "mish_backward", "logsigmoid_forward",
           "logsigmoid_backward"]
