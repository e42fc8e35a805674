"""Dropout kernels on the GPU: inverted dropout whose mask is a pure function of the library's (seed, counter)
stream — the ``@cuda.jit`` twin of kernels/cpu/dropout.py, with the same names, arguments and equations.

The lecture ("Dropout", after Hinton et al. 2012) writes hᵢ ← rᵢ·hᵢ with a Bernoulli mask rᵢ. These kernels use
the inverted form (as PyTorch): p is the drop probability, rᵢ = [u(seed, offset + i) ≥ p], and kept values are
scaled by 1/(1 − p). uᵢ is number offset + i of the counter-based stream, computed by the very ``@njit``
functions of kernels/cpu/random.py (``stream_key``, ``unit``) called as device functions, so the mask is
bit-identical to the CPU's whatever the launch shape, and the backward pass regenerates it from (seed, offset).
One thread per element, grid-stride loops (``_launch.launch``), over flat C-contiguous device arrays.
"""
import numpy as np
from numba import cuda

from ..cpu.random import stream_key, unit
from ._launch import alloc, jit, launch

_U64 = 0xFFFFFFFFFFFFFFFF     # seeds are taken modulo 2^64, as np.uint64(seed) does inside the CPU twin


@jit
def _masked_scale(x, p, seed, offset, scale, y):
    key = np.uint64(stream_key(seed))   # uint64 also under the simulator, where njit results come back as int
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        if unit(key, offset + i) >= p:
            y[i] = np.float64(x[i]) * scale     # in float64, rounded once to y's dtype (as the CPU twin)
        else:
            y[i] = 0


def _run(x, p, seed, offset):
    p = float(p)
    y = alloc(x.shape, x.dtype)
    scale = 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
    launch(_masked_scale, x.size, x, p, np.uint64(int(seed) & _U64), int(offset), scale, y)
    return y


def dropout_forward(x, p, seed, offset):
    """Inverted dropout of flat x (lecture: hᵢ = rᵢ·hᵢ, rᵢ ~ Bernoulli): yᵢ = xᵢ·rᵢ/(1 − p) with
    rᵢ = [u(seed, offset + i) ≥ p] (yᵢ = 0 for every i when p ≥ 1). Returns y, the shape and dtype of x."""
    return _run(x, p, seed, offset)


def dropout_backward(g, p, seed, offset):
    """Gradient of inverted dropout (lecture: hᵢ = rᵢ·hᵢ): dxᵢ = gᵢ·rᵢ/(1 − p), the mask rᵢ regenerated from
    (seed, offset) exactly as in ``dropout_forward``. Returns dx, the shape and dtype of g (flat)."""
    return _run(g, p, seed, offset)


__all__ = ["dropout_forward", "dropout_backward"]
