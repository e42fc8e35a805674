"""Dropout kernels: inverted dropout whose mask is a pure function of the library's (seed, counter) stream.

The lecture ("Dropout", after Hinton et al. 2012) writes hᵢ ← rᵢ·hᵢ with a Bernoulli mask rᵢ and scales by the
keep probability at inference. These kernels use the *inverted* form (as PyTorch): p is the drop probability,
rᵢ = [u(seed, offset + i) ≥ p], and kept values are scaled by 1/(1 − p) during training, so inference is the
identity. The uniform uᵢ is number offset + i of the counter-based stream (``random.unit``: SplitMix64 hash,
53 bits), so the backward pass regenerates the mask from (seed, offset) instead of storing it, and any device
using the same hash produces the same mask.
"""
import numpy as np
from numba import njit

from .random import stream_key, unit


@njit(cache=True)
def _masked_scale(x, p, seed, offset):
    y = np.empty_like(x)
    key = stream_key(seed)
    scale = 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
    for i in range(x.size):
        if unit(key, offset + i) >= p:
            y[i] = x[i] * scale
        else:
            y[i] = 0
    return y


@njit(cache=True)
def dropout_forward(x, p, seed, offset):
    """Inverted dropout of flat x (lecture: hᵢ = rᵢ·hᵢ, rᵢ ~ Bernoulli): yᵢ = xᵢ·rᵢ/(1 − p) with
    rᵢ = [u(seed, offset + i) ≥ p] (yᵢ = 0 for every i when p ≥ 1). Returns y, the shape and dtype of x."""
    return _masked_scale(x, p, seed, offset)


@njit(cache=True)
def dropout_backward(g, p, seed, offset):
    """Gradient of inverted dropout (lecture: hᵢ = rᵢ·hᵢ): dxᵢ = gᵢ·rᵢ/(1 − p), the mask rᵢ regenerated from
    (seed, offset) exactly as in ``dropout_forward``. Returns dx, the shape and dtype of g (flat)."""
    return _masked_scale(g, p, seed, offset)


__all__ = ["dropout_forward", "dropout_backward"]
