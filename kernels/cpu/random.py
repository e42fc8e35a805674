"""Counter-based random numbers: number i of a stream is a hash of (seed, offset + i).

The hash is SplitMix64's output function (Steele, Lea, Flood 2014), z ↦ mix(key + (i+1)·γ) with the golden-ratio
increment γ; it passes BigCrush. Because each number depends only on its index, the CPU and a GPU produce the same
stream, whatever the launch shape.
"""
import math

import numpy as np
from numba import njit

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True, inline="always")
def mix64(z):
    """SplitMix64 finaliser: z ← (z ⊕ z≫30)·M1; z ← (z ⊕ z≫27)·M2; z ⊕ z≫31."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def stream_key(seed):
    """The key of a stream: the seed, mixed so that nearby seeds give unrelated streams."""
    return mix64(np.uint64(seed) + _GAMMA)


@njit(cache=True, inline="always")
def bits64(key, i):
    """64 random bits, number i of the stream with ``key``."""
    return mix64(key + (np.uint64(i) + np.uint64(1)) * _GAMMA)


@njit(cache=True, inline="always")
def unit(key, i):
    """u ~ U[0, 1) with 53 random bits (exactly representable in float64)."""
    return np.float64(bits64(key, i) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def uniform_fill(out, seed, offset, bits):
    """out[i] = ⌊h(seed, offset + i) / 2^(64−bits)⌋ / 2^bits ~ U[0, 1) (``out`` is 1-D). ``bits`` is the
    mantissa width of ``out`` (24 for float32, 53 for float64), so the value never rounds up to 1."""
    key = stream_key(seed)
    shift = np.uint64(64 - bits)
    scale = 1.0 / np.float64(np.uint64(1) << np.uint64(bits))
    for i in range(out.size):
        out[i] = np.float64(bits64(key, offset + i) >> shift) * scale


@njit(cache=True)
def normal_fill(out, seed, offset):
    """out[i] = √(−2 ln(1 − u₁)) · cos(2π u₂), the Box–Muller transform of numbers offset + 2i and
    offset + 2i + 1 of the stream (inside the 2·size counters from ``offset`` that the draw reserves): a standard
    normal N(0, 1) per element (``out`` is 1-D)."""
    key = stream_key(seed)
    for i in range(out.size):
        j = offset + 2 * i
        u1 = 1.0 - unit(key, j)
        u2 = unit(key, j + 1)
        out[i] = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True, inline="always")
def sample_row(p, work, r, out, key, base, replacement):
    """Draw out[r, k], k < S, from row r of the weights p (N, C): category j with probability p_rj / Σ_j p_rj,
    by inverse transform sampling — u = number ``base + k`` of the stream (U[0, 1), 53 bits), target u·Σ_j p_rj,
    and the first j whose running sum Σ_{i≤j} p_ri (float64, ascending j) exceeds the target (the last positive
    weight if rounding leaves none). Without ``replacement`` each drawn category's weight is zeroed in
    ``work`` (float64 (N, C), a scratch copy) before the next draw, which renormalises over the rest. Returns 0,
    or (leaving out[r] zero) 1 for a negative, NaN or infinite weight, 2 for a zero sum, 3 for fewer positive
    weights than draws without replacement. One function for the CPU kernel and, as a device function, the CUDA
    kernel, so both draw the same categories."""
    c = p.shape[1]
    ns = out.shape[1]
    total = 0.0
    positive = 0
    for k in range(ns):
        out[r, k] = 0
    for j in range(c):
        v = np.float64(p[r, j])
        if not v >= 0.0 or v == math.inf:
            return 1
        total += v
        if v > 0.0:
            positive += 1
        if not replacement:
            work[r, j] = v
    if not total > 0.0:
        return 2
    if not replacement and ns > positive:
        return 3
    for k in range(ns):
        if not replacement and k > 0:
            total = 0.0
            for j in range(c):
                total += work[r, j]
        target = unit(key, base + k) * total
        acc = 0.0
        pick = -1
        last = 0
        for j in range(c):
            v = np.float64(p[r, j]) if replacement else work[r, j]
            if v > 0.0:
                last = j
                acc += v
                if acc > target:
                    pick = j
                    break
        if pick < 0:
            pick = last
        out[r, k] = pick
        if not replacement:
            work[r, pick] = 0.0
    return 0


@njit(cache=True)
def multinomial_fill(p, out, work, status, seed, offset, replacement):
    """status[r] = ``sample_row`` of every row r, with the draws of row r at stream numbers offset + r·S + k."""
    key = stream_key(seed)
    ns = out.shape[1]
    for r in range(p.shape[0]):
        status[r] = sample_row(p, work, r, out, key, offset + r * ns, replacement)


def multinomial(p, num_samples, replacement, seed, offset):
    """Categorical draws from the rows of the weights p (N, C), float32 or float64: out[r, k] = j with
    probability p_rj / Σ_j p_rj (``sample_row``; without ``replacement`` the drawn categories leave the row).
    Uses stream numbers offset … offset + N·S − 1. Returns (out (N, S) int64, status (N,) int64: 0, or the
    code of a row's invalid weights)."""
    n, c = p.shape
    out = np.empty((n, int(num_samples)), np.int64)
    work = np.empty((n, c) if not replacement else (1, 1), np.float64)
    status = np.empty(n, np.int64)
    multinomial_fill(p, out, work, status, seed, offset, bool(replacement))
    return out, status


def uniform(shape, dtype, seed, offset):
    """An array of ``shape`` with U[0, 1) numbers ``offset`` … ``offset + size − 1`` of stream ``seed``."""
    out = np.empty(int(np.prod(shape, dtype=np.int64)), dtype)
    uniform_fill(out, seed, offset, 24 if out.dtype == np.float32 else 53)
    return out.reshape(shape)


def normal(shape, dtype, seed, offset):
    """An array of ``shape`` with N(0, 1) numbers; consumes 2·size counters from ``offset``."""
    out = np.empty(int(np.prod(shape, dtype=np.int64)), dtype)
    normal_fill(out, seed, offset)
    return out.reshape(shape)


__all__ = ["uniform", "normal", "uniform_fill", "normal_fill", "multinomial", "multinomial_fill", "sample_row", "mix64",
           "stream_key", "bits64", "unit"]
