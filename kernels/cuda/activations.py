"""Element-wise activation kernels on the GPU, forward and backward: ReLU, leaky ReLU, sigmoid, tanh, softplus,
GELU — the ``@cuda.jit`` twins of kernels/cpu/activations.py, with the same names, arguments and equations.

The lecture applies an activation element-wise to the pre-activation, h = φ(z), with ReLU max(0, z), sigmoid
1/(1 + e^(−z)) and tanh (e^z − e^(−z))/(e^z + e^(−z)); GELU is the hidden-layer choice it lists beside ReLU.
Every function takes 1-D C-contiguous device arrays (the op layer flattens N-D tensors), allocates its output in
the input's dtype and returns it; backward functions take the upstream gradient ``g`` of the same length and
return dL/dx = g · φ'(x). One thread per element, grid-stride loops (``_launch.launch``). The math runs in the
array's dtype (CUDA's libdevice exp/tanh/erf for float32 and float64).
"""
import math

from numba import cuda

from ._launch import jit, launch

_SQRT_HALF = 0.7071067811865476        # 1/√2
_INV_SQRT_2PI = 0.3989422804014327     # 1/√(2π)
_SQRT_2_OVER_PI = 0.7978845608028654   # √(2/π)
_GELU_C = 0.044715


@jit
def _relu_fwd(x, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        v = x[i]
        out[i] = 0 if v <= 0 else v


@jit
def _relu_bwd(x, g, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = 0 if x[i] <= 0 else g[i]


@jit
def _leaky_fwd(x, slope, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        v = x[i]
        out[i] = v if v > 0 else slope * v


@jit
def _leaky_bwd(x, g, slope, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = g[i] if x[i] > 0 else slope * g[i]


@jit
def _sigmoid_fwd(x, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        v = x[i]
        if v >= 0:
            out[i] = 1.0 / (1.0 + math.exp(-v))
        else:
            e = math.exp(v)
            out[i] = e / (1.0 + e)


@jit
def _sigmoid_bwd(y, g, out):
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        s = y[i]
        out[i] = g[i] * s * (1.0 - s)


@jit
def _tanh_fwd(x, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = math.tanh(x[i])


@jit
def _tanh_bwd(y, g, out):
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        t = y[i]
        out[i] = g[i] * (1.0 - t * t)


@jit
def _softplus_fwd(x, beta, threshold, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        u = beta * x[i]
        if u > threshold:
            out[i] = x[i]
        else:
            out[i] = (max(u, 0.0) + math.log1p(math.exp(-abs(u)))) / beta


@jit
def _softplus_bwd(x, g, beta, threshold, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        u = beta * x[i]
        if u > threshold:
            out[i] = g[i]
        elif u >= 0:
            out[i] = g[i] / (1.0 + math.exp(-u))
        else:
            e = math.exp(u)
            out[i] = g[i] * e / (1.0 + e)


@jit
def _gelu_fwd(x, approximate, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        v = x[i]
        if approximate:
            out[i] = 0.5 * v * (1.0 + math.tanh(_SQRT_2_OVER_PI * (v + _GELU_C * v * v * v)))
        else:
            out[i] = 0.5 * v * (1.0 + math.erf(v * _SQRT_HALF))


@jit
def _gelu_bwd(x, g, approximate, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        v = x[i]
        if approximate:
            t = math.tanh(_SQRT_2_OVER_PI * (v + _GELU_C * v * v * v))
            d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_C * v * v)
        else:
            d = 0.5 * (1.0 + math.erf(v * _SQRT_HALF)) + v * _INV_SQRT_2PI * math.exp(-0.5 * v * v)
        out[i] = g[i] * d


def _map(kernel, x, *args):
    out = cuda.device_array_like(x)
    launch(kernel, x.size, x, *args, out)
    return out


def relu_forward(x):
    """h = max(0, z) (the lecture's ReLU), element-wise; NaN stays NaN (as PyTorch's clamp_min)."""
    return _map(_relu_fwd, x)


def relu_backward(x, g):
    """dx = g · 1[not z ≤ 0] (0 at z = 0; g at z = NaN, as PyTorch's threshold_backward)."""
    return _map(_relu_bwd, x, g)


def leaky_relu_forward(x, slope):
    """h = z for z > 0, slope · z otherwise."""
    return _map(_leaky_fwd, x, float(slope))


def leaky_relu_backward(x, g, slope):
    """dx = g for z > 0, slope · g otherwise."""
    return _map(_leaky_bwd, x, g, float(slope))


def sigmoid_forward(x):
    """σ(z) = 1/(1 + e^(−z)) (the lecture's sigmoid), as e^z/(1 + e^z) for z < 0 so that exp never overflows."""
    return _map(_sigmoid_fwd, x)


def sigmoid_backward(out, g):
    """dx = g · σ(z)(1 − σ(z)), from the saved output σ(z)."""
    return _map(_sigmoid_bwd, out, g)


def tanh_forward(x):
    """h = tanh z = (e^z − e^(−z))/(e^z + e^(−z)) (the lecture's tanh), element-wise (libdevice tanh)."""
    return _map(_tanh_fwd, x)


def tanh_backward(out, g):
    """dx = g · (1 − tanh² z), from the saved output tanh z."""
    return _map(_tanh_bwd, out, g)


def softplus_forward(x, beta, threshold):
    """h = (1/β) · ln(1 + e^(βz)) as (max(βz, 0) + ln(1 + e^(−|βz|)))/β; h = z where βz > threshold."""
    return _map(_softplus_fwd, x, float(beta), float(threshold))


def softplus_backward(x, g, beta, threshold):
    """dx = g · σ(βz) (g where βz > threshold), σ evaluated stably."""
    return _map(_softplus_bwd, x, g, float(beta), float(threshold))


def gelu_forward(x, approximate):
    """GELU(z) = z · Φ(z): exact 0.5 · z · (1 + erf(z/√2)), or with ``approximate`` the tanh form
    0.5 · z · (1 + tanh(√(2/π) · (z + 0.044715 z³)))."""
    return _map(_gelu_fwd, x, bool(approximate))


def gelu_backward(x, g, approximate):
    """dx = g · GELU'(z): exact Φ(z) + z·φ(z), φ(z) = e^(−z²/2)/√(2π); tanh form 0.5(1 + t) +
    0.5 · z · (1 − t²) · √(2/π)(1 + 3 · 0.044715 z²) with t = tanh(√(2/π)(z + 0.044715 z³))."""
    return _map(_gelu_bwd, x, g, bool(approximate))


__all__ = ["relu_forward", "relu_backward", "leaky_relu_forward", "leaky_relu_backward", "sigmoid_forward",
           "sigmoid_backward", "tanh_forward", "tanh_backward", "softplus_forward", "softplus_backward",
           "gelu_forward", "gelu_backward"]
