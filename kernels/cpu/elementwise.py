"""Element-wise math of the CPU backend: out = f(a, b) with NumPy's broadcasting and dtype promotion — arithmetic,
comparisons, selection (where, clip) and unary math. NumPy's ufuncs where their semantics are PyTorch's; functions
of their own where they are not (sign at NaN, round with decimals, 1/x of integers). The CUDA twins are in
``kernels/cuda/elementwise.py``.
"""
import builtins

import numpy as np
from numba import njit

from .. import formulas
from ._map import map_
from .array import contiguous

# Arithmetic: a + b, a − b, a · b, a / b (true division), a ** b, −a.
add = np.add
subtract = np.subtract
multiply = np.multiply
divide = np.true_divide
power = np.power
negative = np.negative
# Unary math: eˣ, ln x, √x, |x|, sin x, cos x, tan x, ⌊x⌋, ⌈x⌉, trunc x, log₂ x, ln(1 + x), 2ˣ, eˣ − 1, x².
exp = np.exp
log = np.log
sqrt = np.sqrt
abs = np.abs
sin = np.sin
cos = np.cos
tan = np.tan
floor = np.floor
ceil = np.ceil
trunc = np.trunc
log2 = np.log2
log1p = np.log1p
exp2 = np.exp2
expm1 = np.expm1
square = np.square
# max(a, b), min(a, b) (NaN propagating), min(max(a, lo), hi).
maximum = np.maximum
minimum = np.minimum
clip = np.clip


def rsqrt(a):
    """out = 1/√x (inf at +0, −inf at −0, NaN below 0); integer inputs give float64."""
    return np.divide(1.0, np.sqrt(a))


def reciprocal(a):
    """out = 1/x (±inf at ±0); integer inputs give float64 (``np.reciprocal`` would divide integers)."""
    return np.divide(1.0, a)


def round(a, decimals=0):
    """out = x rounded to ``decimals`` decimal places, halves to even (PyTorch's round): rint(x) for 0,
    rint(x · 10^d)/10^d for d > 0, rint(x / 10^(−d)) · 10^(−d) for d < 0, in a's float dtype (10^d rounded to
    it, as PyTorch's opmath)."""
    if decimals == 0:
        return np.rint(a)
    dt = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
    with np.errstate(over="ignore"):
        p = dt.type(np.float64(10.0) ** builtins.abs(int(decimals)))
    a = a.astype(dt, copy=False)
    return np.rint(a / p) * p if decimals < 0 else np.rint(a * p) / p


@njit(cache=True)
def _sign_flat(x):
    """sign of every element of a 1-D array (``formulas.sign``), in its dtype."""
    return map_(formulas.sign, x)


def sign(a):
    """out = sign(x) = [x > 0] − [x < 0] ∈ {−1, 0, 1}, in a's dtype: 0 at NaN and +0 at −0 (PyTorch's sign;
    ``np.sign`` keeps NaN)."""
    a = np.asarray(a)
    return _sign_flat(contiguous(a).reshape(-1)).reshape(a.shape)


# Selection and comparisons: out = x where cond else y; a > b, a ≥ b, a < b, a ≤ b, a == b, a ≠ b, not a (bool).
where = np.where
greater = np.greater
greater_equal = np.greater_equal
less = np.less
less_equal = np.less_equal
equal = np.equal
not_equal = np.not_equal
logical_not = np.logical_not


__all__ = ["add", "subtract", "multiply", "divide", "power", "negative", "exp", "log", "sqrt", "abs", "sin", "cos",
           "tan", "floor", "ceil", "trunc", "log2", "log1p", "exp2", "expm1", "square", "maximum", "minimum", "clip",
           "rsqrt", "reciprocal", "round", "sign", "where", "greater", "greater_equal", "less", "less_equal",
           "equal", "not_equal", "logical_not"]
