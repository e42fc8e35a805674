"""Inline numeric helpers for the ``@njit`` kernels: an exp, tanh and sigmoid that LLVM can vectorise.

The pip llvmlite ships without SVML, so ``math.exp`` / ``math.tanh`` inside a loop stay scalar libm calls. ``vexp``,
``vtanh`` and ``vsigmoid`` are drop-in replacements for use inside kernels; for float64 they are the libm functions
(the float64 kernels and their 1e-12 tests keep libm accuracy), for float32 they are branch-free float32 code:

* ``vexp``: a Cody–Waite range reduction plus a minimax polynomial (Cephes ``expf``), with 2^n built by writing the
  exponent bits of an int32 and bit-casting, so the whole thing vectorises (max error 0.96 ulp measured over the
  normal range; tests/test_fastmath.py asserts ≤ 2 ulp).
* ``vtanh``: tanh z = 1 − 2/(e^(2|z|) + 1) (sign restored) for |z| ≥ 0.625, Cephes ``tanhf``'s odd polynomial
  z + z³·P(z²) below; both are computed and one is selected (max error 1.33 ulp measured over all float32).
* ``vsigmoid``: σ(z) = 1/(1 + e^(−z)) written as e^(−|z|)/(1 + e^(−|z|)) for z < 0 so that exp never overflows and
  the tail keeps its relative accuracy (max error 2 ulp measured; tests/test_activation.py asserts the bounds of both).

The polynomials of ``vtanh`` use explicit ``llvm.fma`` calls. A Numba function that does not set ``fastmath`` itself
inherits the fastmath flags of whichever caller first triggers its compilation, and inlined code takes its caller's
flags, so "contract" (FMA) would otherwise be on or off depending on the calling kernel and on compilation order.

Do not call ``exp_f32`` from a function compiled with ``fastmath`` "reassoc": reassociation may merge the two-step
Cody–Waite reduction and lose its accuracy. The kernels keep their exp loops free of fast-math flags and do the
reductions in separate ``fastmath`` helpers (``row_sum64``, ``row_dot64``).

Special values (float32): exp(−inf) = 0, exp(+inf) = inf, exp(NaN) = NaN, overflow (x > 88.72) gives inf,
and results below the smallest normal come out as (correctly scaled, twice-rounded) subnormals down to 0;
tanh(±inf) = ±1, tanh(±0) = ±0, σ(−inf) = 0, σ(+inf) = 1; NaN propagates through all three.
Nothing here is exported through the backend namespace.
"""
import math

import numpy as np
from llvmlite import ir
from numba import get_num_threads, njit, types
from numba.extending import intrinsic, overload

from .. import formulas

_F = np.float32
_LOG2E = _F(1.44269504088896341)
_C1 = _F(0.693359375)          # ln 2 split: C1 exact in a few bits, C1 + C2 ≈ ln 2
_C2 = _F(-2.12194440e-4)
_P0 = _F(1.9875691500e-4)
_P1 = _F(1.3981999507e-3)
_P2 = _F(8.3334519073e-3)
_P3 = _F(4.1665795894e-2)
_P4 = _F(1.6666665459e-1)
_P5 = _F(5.0000001201e-1)
_ONE = _F(1.0)
_HALF = _F(0.5)
_LO = _F(-104.0)               # e^-104 < half the smallest subnormal: rounds to 0
_HI = _F(89.0)                 # e^89 > float32 max: becomes inf


@intrinsic
def _pow2_f32(typingctx, k):
    """2^k as a float32 for an integer-valued float32 k in [−126, 127]: the int32 (k + 127) << 23 bit-cast to
    float32. Done in LLVM IR in 32-bit integers (fptosi, add, shl, bitcast) so that it vectorises."""
    if k != types.float32:
        return None

    def codegen(context, builder, sig, args):
        i32 = ir.IntType(32)
        n = builder.fptosi(args[0], i32)
        n = builder.add(n, ir.Constant(i32, 127))
        n = builder.shl(n, ir.Constant(i32, 23))
        return builder.bitcast(n, ir.FloatType())
    return types.float32(types.float32), codegen


@njit(inline="always")
def exp_f32(x):
    """e^x for float32 x, in float32 arithmetic, branch-free (vectorisable)."""
    xc = min(max(x, _LO), _HI)
    fn = np.floor(xc * _LOG2E + _HALF)
    r = xc - fn * _C1
    r = r - fn * _C2
    p = ((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5
    p = p * (r * r) + r + _ONE
    f1 = np.floor(fn * _HALF)        # split 2^n = 2^n1 · 2^n2 so that n ∈ [−150, 129] needs no special case
    f2 = fn - f1
    y = p * _pow2_f32(f1) * _pow2_f32(f2)
    return x if x != x else y        # NaN in, NaN out (min/max above would have clamped it)


def vexp(x):
    """e^x inside ``@njit`` code: the vectorisable polynomial for float32, ``math.exp`` for float64."""
    return math.exp(x)


@overload(vexp, inline="always")
def _vexp_overload(x):
    if x == types.float32:
        return lambda x: exp_f32(x)
    if isinstance(x, types.Float):
        return lambda x: math.exp(x)
    return None


@intrinsic
def _fma_f32(typingctx, a, b, c):
    """a·b + c with one rounding (``llvm.fma.f32``; a vfmadd on x86 with FMA, vectorised like any other op)."""
    if not (a == b == c == types.float32):
        return None

    def codegen(context, builder, sig, args):
        f32 = ir.FloatType()
        fn = builder.module.declare_intrinsic("llvm.fma", [f32], ir.FunctionType(f32, [f32, f32, f32]))
        return builder.call(fn, args)
    return types.float32(types.float32, types.float32, types.float32), codegen


_TWO = _F(2.0)
_T_SMALL = _F(0.625)           # below: the polynomial; above: 1 − 2/(e^(2|z|) + 1) has no harmful cancellation
_T1 = _F(-5.70498872745e-3)    # Cephes tanhf: tanh z ≈ z + z³·P(z²) for |z| < 0.625
_T2 = _F(2.06390887954e-2)
_T3 = _F(-5.37397155531e-2)
_T4 = _F(1.33314422036e-1)
_T5 = _F(-3.33332819422e-1)


@njit(inline="always")
def tanh_f32(x):
    """tanh x for float32 x, in float32 arithmetic, branch-free (vectorisable)."""
    a = abs(x)
    big = _ONE - _TWO / (exp_f32(a + a) + _ONE)     # 1 at a = inf, NaN at NaN
    z = a * a
    p = _fma_f32(_fma_f32(_fma_f32(_fma_f32(_T1, z, _T2), z, _T3), z, _T4), z, _T5)
    small = _fma_f32(p, z * a, a)
    return math.copysign(small if a < _T_SMALL else big, x)


@njit(inline="always")
def sigmoid_f32(x):
    """σ(x) = 1/(1 + e^(−x)) for float32 x as n/(1 + e) with e = e^(−|x|) and n = 1 (x ≥ 0) or e (x < 0)."""
    e = exp_f32(-abs(x))
    n = _ONE if x >= 0 else e
    return n / (_ONE + e)




def vtanh(x):
    """tanh x inside ``@njit`` code: the vectorisable form for float32, ``formulas.tanh`` (libm) for float64."""
    return math.tanh(x)


@overload(vtanh)
def _vtanh_overload(x):
    if x == types.float32:
        return lambda x: tanh_f32(x)
    if isinstance(x, types.Float):
        return lambda x: formulas.tanh(x)
    return None


def vsigmoid(x):
    """σ(x) = 1/(1 + e^(−x)) inside ``@njit`` code: the vectorisable form for float32, ``formulas.sigmoid`` (libm
    exp) for float64."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


@overload(vsigmoid)
def _vsigmoid_overload(x):
    if x == types.float32:
        return lambda x: sigmoid_f32(x)
    if isinstance(x, types.Float):
        return lambda x: formulas.sigmoid(x)
    return None


@njit(cache=True)
def vexp_array(x):
    """``vexp`` over a 1-D array (for tests and timing)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = vexp(x[i])
    return out


def like(a, v):
    """``v`` converted to the dtype of array ``a`` (float32 or float64) inside ``@njit`` code."""
    return np.asarray(v, a.dtype)[()]


@overload(like, inline="always")
def _like_overload(a, v):
    if isinstance(a, types.Array) and a.dtype == types.float32:
        return lambda a, v: np.float32(v)
    if isinstance(a, types.Array) and isinstance(a.dtype, types.Float):
        return lambda a, v: np.float64(v)
    return None


@njit(inline="always")
def row_max(row):
    """max of a 1-D float row (−inf when empty; NaNs are skipped, they propagate through the later passes), with
    eight independent accumulators so that the comparison chain vectorises."""
    c = row.size
    if c == 0:
        return like(row, -np.inf)
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = row[0]
    nb = c // 8
    for b in range(nb):
        j = b * 8
        v = row[j]
        m0 = v if v > m0 else m0
        v = row[j + 1]
        m1 = v if v > m1 else m1
        v = row[j + 2]
        m2 = v if v > m2 else m2
        v = row[j + 3]
        m3 = v if v > m3 else m3
        v = row[j + 4]
        m4 = v if v > m4 else m4
        v = row[j + 5]
        m5 = v if v > m5 else m5
        v = row[j + 6]
        m6 = v if v > m6 else m6
        v = row[j + 7]
        m7 = v if v > m7 else m7
    m = max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
    for j in range(nb * 8, c):
        v = row[j]
        m = v if v > m else m
    return m


@njit(fastmath={"reassoc", "nsz", "contract"})
def row_sum64(row):
    """Σ row in a float64 accumulator; reassociation lets LLVM vectorise (float64 sums of a row, so the order
    change is far below the float32 rounding of the terms)."""
    s = 0.0
    for j in range(row.size):
        s += row[j]
    return s


@njit(fastmath={"reassoc", "nsz", "contract"})
def row_dot64(a, b):
    """Σ a·b in a float64 accumulator (vectorised by reassociation)."""
    s = 0.0
    for j in range(a.size):
        s += np.float64(a[j]) * b[j]
    return s


# ----------------------------------------------------------------------------- serial / parallel row dispatch
# Elements from which the parallel driver is used. Measured with 2 threads on 2 otherwise idle cores (taskset):
# CE fwd+bwd parallel/serial speed-up 1.5x at 16k elements, 1.6x at 64k, 2.0x at 1M; LayerNorm fwd+bwd 0.5x at
# 16k, 0.7x at 32k, 1.2x at 64k, 1.8x at 1M. On a machine whose cores are busy with other processes the OpenMP
# parallel regions can instead be several times slower than serial (seen on the shared 2-core box); setting
# PARALLEL_MIN to a huge value makes every kernel serial.
PARALLEL_MIN = 1 << 16
CHUNKS_PER_THREAD = 8    # rows are split into this many chunks per thread (Numba's static schedule)


def row_dispatch(serial, parallel, doc):
    """A Python-level kernel that runs ``serial(*args)`` for small inputs and ``parallel(*args, k)`` (rows split
    into k chunks, prange over the chunks) when ``args[0]`` has at least PARALLEL_MIN elements and Numba has more
    than one thread. (Dynamic hand-out via ``numba.parallel_chunksize(1)`` was measured and rejected: it also
    applies to the array-creation parfors inside the drivers, e.g. np.zeros of the (k, D) partial sums, and made the
    LayerNorm backward 3x slower.) The two drivers stay reachable as ``kernel.serial`` / ``kernel.parallel``."""
    def kernel(*args):
        a = args[0]
        nt = get_num_threads()
        if a.size >= PARALLEL_MIN and nt > 1:
            return parallel(*args, max(1, min(CHUNKS_PER_THREAD * nt, a.shape[0])))
        return serial(*args)
    kernel.__doc__ = doc
    kernel.serial, kernel.parallel = serial, parallel
    return kernel
