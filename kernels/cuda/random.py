"""Counter-based random numbers on the GPU: number i of a stream is a hash of (seed, offset + i) — the
``@cuda.jit`` twin of kernels/cpu/random.py, with the same names, arguments and equations.

The hash is SplitMix64's output function (Steele, Lea, Flood 2014), z ↦ mix(key + (i+1)·γ). ``mix64``,
``stream_key``, ``bits64`` and ``unit`` are re-exported from kernels/cpu/random.py unchanged: they are ``@njit``
functions, which the kernels below call as CUDA device functions, so every number is computed by the same integer
arithmetic as on the CPU, one thread per element, whatever the launch shape. Uniform numbers are therefore
bit-identical to the CPU's; normal numbers go through CUDA's libdevice ``log``/``cos``/``sqrt``, which may differ
from the CPU's libm in the last bit or so.
"""
import math

import numpy as np
from numba import cuda

from ..cpu.random import bits64, mix64, sample_row, stream_key, unit
from ._launch import SIMULATOR, alloc, jit, launch

_U64 = 0xFFFFFFFFFFFFFFFF     # seeds are taken modulo 2^64, as np.uint64(seed) does inside the CPU twin
# The simulator runs kernels as Python, and an @njit function cannot take its device arrays: there the row
# sampler runs as the Python function it compiles from (the GPU compiles the @njit function as a device function).
_sample_row = sample_row.py_func if SIMULATOR else sample_row


@jit
def _uniform_fill(out, seed, offset, bits):
    key = np.uint64(stream_key(seed))   # uint64 also under the simulator, where njit results come back as int
    shift = np.uint64(64 - bits)
    scale = 1.0 / np.float64(np.uint64(1) << np.uint64(bits))
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = np.float64(bits64(key, offset + i) >> shift) * scale


@jit
def _normal_fill(out, seed, offset):
    key = np.uint64(stream_key(seed))   # uint64 also under the simulator, where njit results come back as int
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        j = offset + 2 * i
        u1 = 1.0 - unit(key, j)
        u2 = unit(key, j + 1)
        out[i] = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def uniform_fill(out, seed, offset, bits):
    """out[i] = ⌊h(seed, offset + i) / 2^(64−bits)⌋ / 2^bits ~ U[0, 1) for a 1-D device array ``out``, in place.
    ``bits`` is the mantissa width of ``out`` (24 for float32, 53 for float64), so the value never rounds up
    to 1."""
    launch(_uniform_fill, out.size, out, np.uint64(int(seed) & _U64), int(offset), int(bits))


def normal_fill(out, seed, offset):
    """out[i] = √(−2 ln(1 − u₁)) · cos(2π u₂), the Box–Muller transform of numbers offset + 2i and
    offset + 2i + 1 of the stream (inside the 2·size counters from ``offset`` that the draw reserves): a standard
    normal N(0, 1) per element of the 1-D device array ``out``, in place."""
    launch(_normal_fill, out.size, out, np.uint64(int(seed) & _U64), int(offset))


@jit
def _multinomial_fill(p, out, work, status, seed, offset, replacement):
    key = np.uint64(stream_key(seed))   # uint64 also under the simulator, where njit results come back as int
    ns = out.shape[1]
    for r in range(cuda.grid(1), p.shape[0], cuda.gridsize(1)):
        status[r] = _sample_row(p, work, r, out, key, offset + r * ns, replacement)


def multinomial_fill(p, out, work, status, seed, offset, replacement):
    """status[r] = ``sample_row`` of every row r (one thread per row, each a sequential scan of its row), with
    the draws of row r at stream numbers offset + r·S + k: the same categories as the CPU twin."""
    launch(_multinomial_fill, p.shape[0], p, out, work, status, np.uint64(int(seed) & _U64), int(offset),
           bool(replacement))


def multinomial(p, num_samples, replacement, seed, offset):
    """Categorical draws from the rows of the weights p (N, C), float32 or float64: out[r, k] = j with
    probability p_rj / Σ_j p_rj (``sample_row``; without ``replacement`` the drawn categories leave the row).
    Uses stream numbers offset … offset + N·S − 1. Returns (out (N, S) int64, status (N,) int64: 0, or the
    code of a row's invalid weights), on the device."""
    n, c = p.shape
    out = alloc((n, int(num_samples)), np.int64)
    work = alloc((n, c) if not replacement else (1, 1), np.float64)
    status = alloc(n, np.int64)
    multinomial_fill(p, out, work, status, seed, offset, replacement)
    return out, status


def _flat(shape, dtype):
    return alloc(int(np.prod(shape, dtype=np.int64)), np.dtype(dtype))


def uniform(shape, dtype, seed, offset):
    """A device array of ``shape`` with U[0, 1) numbers ``offset`` … ``offset + size − 1`` of stream ``seed``
    (``uniform_fill``)."""
    out = _flat(shape, dtype)
    uniform_fill(out, seed, offset, 24 if out.dtype == np.float32 else 53)
    return out.reshape(tuple(shape))


def normal(shape, dtype, seed, offset):
    """A device array of ``shape`` with N(0, 1) numbers (``normal_fill``); consumes 2·size counters from
    ``offset``."""
    out = _flat(shape, dtype)
    normal_fill(out, seed, offset)
    return out.reshape(tuple(shape))


__all__ = ["uniform", "normal", "uniform_fill", "normal_fill", "multinomial", "multinomial_fill", "sample_row", "mix64",
           "stream_key", "bits64", "unit"]
