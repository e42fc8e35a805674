"""Element-wise activation kernels, forward and backward: ReLU, leaky ReLU, sigmoid, tanh, softplus, GELU.

The lecture applies an activation element-wise to the pre-activation, h = φ(z), with ReLU max(0, z), sigmoid
1/(1 + e^(−z)) and tanh (e^z − e^(−z))/(e^z + e^(−z)); GELU is the hidden-layer choice it lists beside ReLU.
Every kernel takes 1-D C-contiguous arrays (the op layer flattens N-D tensors), allocates its output in the
input's dtype (float32 or float64; compiled lazily for each) and returns it. Backward kernels take the
upstream gradient ``g`` of the same length and return dL/dx = g · φ'(x).
"""
import math

import numpy as np
from numba import njit

from .fastmath import vsigmoid, vtanh

_SQRT_HALF = 0.7071067811865476        # 1/√2
_INV_SQRT_2PI = 0.3989422804014327     # 1/√(2π)
_SQRT_2_OVER_PI = 0.7978845608028654   # √(2/π)
_GELU_C = 0.044715


@njit(cache=True)
def relu_forward(x):
    """h = max(0, z) (the lecture's ReLU), element-wise; NaN stays NaN (as PyTorch's clamp_min)."""
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        out[i] = 0 if v <= 0 else v
    return out


@njit(cache=True)
def relu_backward(x, g):
    """dx = g · 1[not z ≤ 0] (ReLU's gradient: 1 for positive inputs, 0 otherwise, 0 at z = 0; g at z = NaN,
    as PyTorch's threshold_backward)."""
    out = np.empty_like(g)
    for i in range(x.size):
        out[i] = 0 if x[i] <= 0 else g[i]
    return out


@njit(cache=True)
def leaky_relu_forward(x, slope):
    """h = z for z > 0, slope · z otherwise."""
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > 0 else slope * v
    return out


@njit(cache=True)
def leaky_relu_backward(x, g, slope):
    """dx = g for z > 0, slope · g otherwise."""
    out = np.empty_like(g)
    for i in range(x.size):
        out[i] = g[i] if x[i] > 0 else slope * g[i]
    return out


@njit(cache=True, error_model="numpy")
def sigmoid_forward(x):
    """σ(z) = 1/(1 + e^(−z)) (the lecture's sigmoid), evaluated stably: 1/(1 + e^(−z)) for z ≥ 0 and
    e^z/(1 + e^z) for z < 0, so e^(·) never sees a positive argument and never overflows. float64: libm exp;
    float32: ``fastmath.vsigmoid``, the same formula with the vectorisable float32 exp (Cody–Waite reduction and
    Cephes polynomial), branch-free, ≤ 2 ulp."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = vsigmoid(x[i])
    return out


@njit(cache=True)
def sigmoid_backward(out, g):
    """dx = g · σ(z)(1 − σ(z)), from the saved output σ(z)."""
    dx = np.empty_like(g)
    for i in range(out.size):
        s = out[i]
        dx[i] = g[i] * s * (1.0 - s)
    return dx


@njit(cache=True, error_model="numpy")
def tanh_forward(x):
    """h = tanh z = (e^z − e^(−z))/(e^z + e^(−z)) (the lecture's tanh), element-wise. float64: libm tanh; float32:
    ``fastmath.vtanh``, vectorisable: 1 − 2/(e^(2|z|) + 1) with the float32 exp for |z| ≥ 0.625, Cephes' odd
    polynomial z + z³·P(z²) below, sign restored (≤ 1.5 ulp)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = vtanh(x[i])
    return out


@njit(cache=True)
def tanh_backward(out, g):
    """dx = g · (1 − tanh² z), from the saved output tanh z."""
    dx = np.empty_like(g)
    for i in range(out.size):
        t = out[i]
        dx[i] = g[i] * (1.0 - t * t)
    return dx


@njit(cache=True)
def softplus_forward(x, beta, threshold):
    """h = (1/β) · ln(1 + e^(βz)), computed as max(βz, 0) + ln(1 + e^(−|βz|)) over β; h = z where βz > threshold
    (PyTorch's linear region)."""
    out = np.empty_like(x)
    for i in range(x.size):
        u = beta * x[i]
        if u > threshold:
            out[i] = x[i]
        else:
            out[i] = (max(u, 0.0) + math.log1p(math.exp(-abs(u)))) / beta
    return out


@njit(cache=True)
def softplus_backward(x, g, beta, threshold):
    """dx = g · σ(βz) (g where βz > threshold), with σ evaluated stably."""
    out = np.empty_like(g)
    for i in range(x.size):
        u = beta * x[i]
        if u > threshold:
            out[i] = g[i]
        elif u >= 0:
            out[i] = g[i] / (1.0 + math.exp(-u))
        else:
            e = math.exp(u)
            out[i] = g[i] * e / (1.0 + e)
    return out


@njit(cache=True)
def gelu_forward(x, approximate):
    """GELU(z) = z · Φ(z). Exact (``approximate`` False): 0.5 · z · (1 + erf(z/√2)). Tanh approximation
    (``approximate`` True): 0.5 · z · (1 + tanh(√(2/π) · (z + 0.044715 z³)))."""
    out = np.empty_like(x)
    if approximate:
        for i in range(x.size):
            v = np.float64(x[i])
            out[i] = 0.5 * v * (1.0 + math.tanh(_SQRT_2_OVER_PI * (v + _GELU_C * v * v * v)))
    else:
        for i in range(x.size):
            v = np.float64(x[i])
            out[i] = 0.5 * v * (1.0 + math.erf(v * _SQRT_HALF))
    return out


@njit(cache=True)
def gelu_backward(x, g, approximate):
    """dx = g · GELU'(z). Exact: Φ(z) + z·φ(z) with Φ(z) = 0.5(1 + erf(z/√2)), φ(z) = e^(−z²/2)/√(2π).
    Tanh approximation, with u = √(2/π)(z + 0.044715 z³) and t = tanh u:
    0.5(1 + t) + 0.5 · z · (1 − t²) · √(2/π)(1 + 3 · 0.044715 z²)."""
    out = np.empty_like(g)
    if approximate:
        for i in range(x.size):
            v = np.float64(x[i])
            t = math.tanh(_SQRT_2_OVER_PI * (v + _GELU_C * v * v * v))
            d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_C * v * v)
            out[i] = g[i] * d
    else:
        for i in range(x.size):
            v = np.float64(x[i])
            d = 0.5 * (1.0 + math.erf(v * _SQRT_HALF)) + v * _INV_SQRT_2PI * math.exp(-0.5 * v * v)
            out[i] = g[i] * d
    return out


__all__ = ["relu_forward", "relu_backward", "leaky_relu_forward", "leaky_relu_backward", "sigmoid_forward",
           "sigmoid_backward", "tanh_forward", "tanh_backward", "softplus_forward", "softplus_backward",
           "gelu_forward", "gelu_backward"]
