"""Element-wise math of the CUDA backend with NumPy's broadcasting and dtype promotion: arithmetic, comparisons,
selection (where, clip) and unary math — the twins of kernels/cpu/elementwise.py, over Numba device arrays.

One thread per output element (grid-stride). Binary ops and ``where`` read each operand through the index map of
``array._offsets`` (broadcast axes stride 0, axes contiguous for every operand merged); unary math runs the scalar
formulas of kernels/formulas.py through the generic ``map_kernel`` launcher, so its values are the CPU's.
"""
import builtins
import operator

import numpy as np
from numba import cuda

from .. import formulas as _f
from ._launch import alloc, jit, launch, map_kernel, run_map
from .array import (_broadcast_shapes, _bstrides, _dtype_of, _flat, _merge, _offsets, _operand, _pad, _shape_of,
                    contiguous, copy)
from .shape import reshape


# ----------------------------------------------------------------------------- element-wise math
_BINARY = {}


def _make_binary(name, op):
    @jit(name=f"_binary_{name}")
    def kernel(a, b, out, nd, shape, sa, sb):
        """out[i] = op(a[Σ_d c_d·sa_d], b[Σ_d c_d·sb_d]) with c the coordinates of i in ``shape``."""
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            ia, ib = _offsets(i, nd, shape, sa, sb)
            out[i] = op(a[ia], b[ib])
    _BINARY[name] = kernel
    return kernel


def _binary(name, x, y, out_dtype=None, compute_dtype=None):
    res = np.result_type(_dtype_of(x), _dtype_of(y))
    cdt = np.dtype(compute_dtype) if compute_dtype is not None else res
    odt = np.dtype(out_dtype) if out_dtype is not None else cdt
    a = _operand(x, cdt)
    b = _operand(y, cdt)
    shape = _broadcast_shapes(_shape_of(x), _shape_of(y))
    out = alloc(shape, odt)
    if out.size == 0:
        return out
    a, b = contiguous(a), contiguous(b)
    mshape, (sa, sb) = _merge(shape, [_bstrides(a.shape, shape), _bstrides(b.shape, shape)])
    launch(_BINARY[name], out.size, _flat(a), _flat(b), _flat(out), len(mshape), _pad(mshape, 1), _pad(sa, 0),
           _pad(sb, 0))
    return out


@cuda.jit(device=True, inline="always")
def _max_nan(x, y):
    """max(x, y), NaN when either is."""
    return x if (x > y or x != x) else y


@cuda.jit(device=True, inline="always")
def _min_nan(x, y):
    """min(x, y), NaN when either is."""
    return x if (x < y or x != x) else y


@cuda.jit(device=True, inline="always")
def _true_div(x, y):
    """x / y."""
    return x / y


@cuda.jit(device=True, inline="always")
def _pow(x, y):
    """x ** y."""
    return x ** y


for _name, _op in [("add", operator.add), ("subtract", operator.sub), ("multiply", operator.mul),
                   ("divide", _true_div), ("power", _pow), ("maximum", _max_nan), ("minimum", _min_nan),
                   ("greater", operator.gt), ("greater_equal", operator.ge), ("less", operator.lt),
                   ("less_equal", operator.le), ("equal", operator.eq), ("not_equal", operator.ne)]:
    _make_binary(_name, _op)


def add(a, b):
    """out = a + b (NumPy broadcasting and dtype promotion)."""
    return _binary("add", a, b)


def subtract(a, b):
    """out = a − b."""
    return _binary("subtract", a, b)


def multiply(a, b):
    """out = a · b."""
    return _binary("multiply", a, b)


def divide(a, b):
    """out = a / b (true division: integers divide as float64)."""
    res = np.result_type(_dtype_of(a), _dtype_of(b))
    return _binary("divide", a, b, compute_dtype=res if res.kind == "f" else np.float64)


def power(a, b):
    """out = a ** b."""
    return _binary("power", a, b)


def maximum(a, b):
    """out = max(a, b) element-wise, NaN propagating (``np.maximum``)."""
    return _binary("maximum", a, b)


def minimum(a, b):
    """out = min(a, b) element-wise, NaN propagating (``np.minimum``)."""
    return _binary("minimum", a, b)


def greater(a, b):
    """out = a > b (bool)."""
    return _binary("greater", a, b, out_dtype=np.bool_)


def greater_equal(a, b):
    """out = a ≥ b (bool)."""
    return _binary("greater_equal", a, b, out_dtype=np.bool_)


def less(a, b):
    """out = a < b (bool)."""
    return _binary("less", a, b, out_dtype=np.bool_)


def less_equal(a, b):
    """out = a ≤ b (bool)."""
    return _binary("less_equal", a, b, out_dtype=np.bool_)


def equal(a, b):
    """out = a == b (bool)."""
    return _binary("equal", a, b, out_dtype=np.bool_)


def not_equal(a, b):
    """out = a ≠ b (bool)."""
    return _binary("not_equal", a, b, out_dtype=np.bool_)


# Unary element-wise math: the scalar formulas of kernels/formulas.py run by the generic ``map_kernel`` launcher
# (one thread per element); the output dtype follows NumPy's (the CPU backend's): floats keep theirs, integer and
# bool inputs of a float function give float64.
_UNARY = {name: map_kernel(getattr(_f, name)) for name in (
    "neg", "exp", "log", "sqrt", "absolute", "sign", "logical_not", "sin", "cos", "tan", "rsqrt", "floor", "ceil",
    "rint", "trunc", "log2", "log1p", "exp2", "expm1", "reciprocal", "square")}
_ROUND_DECIMALS = map_kernel(_f.round_decimals, 2)


def _unary(name, a, out_dtype):
    return reshape(run_map(_UNARY[name], out_dtype, _flat(a)), tuple(a.shape))


def _float_dtype(dt):
    dt = np.dtype(dt)
    return dt if dt.kind == "f" else np.dtype(np.float64)


def negative(a):
    """out = −a."""
    return _unary("neg", a, a.dtype)


def exp(a):
    """out = eˣ (inf on overflow)."""
    return _unary("exp", a, _float_dtype(a.dtype))


def log(a):
    """out = ln x (−inf at 0, NaN below, as NumPy)."""
    return _unary("log", a, _float_dtype(a.dtype))


def sqrt(a):
    """out = √x (NaN below 0)."""
    return _unary("sqrt", a, _float_dtype(a.dtype))


def abs(a):
    """out = |x|."""
    return _unary("absolute", a, a.dtype)


def sign(a):
    """out = sign(x) = [x > 0] − [x < 0] ∈ {−1, 0, 1}, in a's dtype: 0 at NaN and +0 at −0 (PyTorch's sign)."""
    return _unary("sign", a, a.dtype)


def logical_not(a):
    """out = not x (bool)."""
    return _unary("logical_not", a, np.bool_)


def sin(a):
    """out = sin x."""
    return _unary("sin", a, _float_dtype(a.dtype))


def cos(a):
    """out = cos x."""
    return _unary("cos", a, _float_dtype(a.dtype))


def tan(a):
    """out = tan x."""
    return _unary("tan", a, _float_dtype(a.dtype))


def rsqrt(a):
    """out = 1/√x (inf at +0, −inf at −0, NaN below 0)."""
    return _unary("rsqrt", a, _float_dtype(a.dtype))


def floor(a):
    """out = ⌊x⌋ (−0 stays −0)."""
    return _unary("floor", a, _float_dtype(a.dtype))


def ceil(a):
    """out = ⌈x⌉ (ceil(−0.5) = −0)."""
    return _unary("ceil", a, _float_dtype(a.dtype))


def trunc(a):
    """out = x rounded toward zero (trunc(−0.5) = −0)."""
    return _unary("trunc", a, _float_dtype(a.dtype))


def round(a, decimals=0):
    """out = x rounded to ``decimals`` decimal places, halves to even (PyTorch's round): rint(x) for 0,
    rint(x · 10^d)/10^d for d > 0, rint(x / 10^(−d)) · 10^(−d) for d < 0, in a's float dtype (10^d rounded to
    it)."""
    dt = _float_dtype(a.dtype)
    if decimals == 0:
        return _unary("rint", a, dt)
    with np.errstate(over="ignore"):
        p = dt.type(np.float64(10.0) ** builtins.abs(int(decimals)))
    return reshape(run_map(_ROUND_DECIMALS, dt, _flat(a), p, bool(decimals < 0)), tuple(a.shape))


def log2(a):
    """out = log₂ x (−inf at 0, NaN below)."""
    return _unary("log2", a, _float_dtype(a.dtype))


def log1p(a):
    """out = ln(1 + x)."""
    return _unary("log1p", a, _float_dtype(a.dtype))


def exp2(a):
    """out = 2ˣ."""
    return _unary("exp2", a, _float_dtype(a.dtype))


def expm1(a):
    """out = eˣ − 1."""
    return _unary("expm1", a, _float_dtype(a.dtype))


def reciprocal(a):
    """out = 1/x (±inf at ±0; integer inputs give float64)."""
    return _unary("reciprocal", a, _float_dtype(a.dtype))


def square(a):
    """out = x² in a's dtype (integers stay integers)."""
    return _unary("square", a, a.dtype)


def clip(a, lo, hi):
    """out = min(max(a, lo), hi); a bound of None is no bound (``np.clip``)."""
    out = a
    if lo is not None:
        out = maximum(out, lo)
    if hi is not None:
        out = minimum(out, hi)
    return copy(out) if out is a else out


@jit
def _where(c, x, y, out, nd, shape, sc, sx, sy):
    """out[i] = x[Σ_d c_d·sx_d] if c[Σ_d c_d·sc_d] else y[Σ_d c_d·sy_d] (c_d: the coordinates of i)."""
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        ic, ix = _offsets(i, nd, shape, sc, sx)
        _, iy = _offsets(i, nd, shape, sy, sy)
        out[i] = x[ix] if c[ic] else y[iy]


def where(cond, x, y):
    """out = x where cond else y (NumPy broadcasting; scalars allowed for x and y)."""
    dt = np.result_type(_dtype_of(x), _dtype_of(y))
    shape = _broadcast_shapes(_shape_of(cond), _shape_of(x), _shape_of(y))
    out = alloc(shape, dt)
    if out.size == 0:
        return out
    c, a, b = contiguous(cond), contiguous(_operand(x, dt)), contiguous(_operand(y, dt))
    mshape, (sc, sx, sy) = _merge(shape, [_bstrides(c.shape, shape), _bstrides(a.shape, shape),
                                          _bstrides(b.shape, shape)])
    launch(_where, out.size, _flat(c), _flat(a), _flat(b), _flat(out), len(mshape), _pad(mshape, 1), _pad(sc, 0),
           _pad(sx, 0), _pad(sy, 0))
    return out


__all__ = ["add", "subtract", "multiply", "divide", "power", "negative", "exp", "log", "sqrt", "abs", "sin", "cos",
           "tan", "floor", "ceil", "trunc", "log2", "log1p", "exp2", "expm1", "square", "maximum", "minimum", "clip",
           "rsqrt", "reciprocal", "round", "sign", "where", "greater", "greater_equal", "less", "less_equal",
           "equal", "not_equal", "logical_not"]
