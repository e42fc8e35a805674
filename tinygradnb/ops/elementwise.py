"""Element-wise ops with NumPy broadcasting: arithmetic, exp/log/sqrt/abs, clamp, maximum, where, casts."""
import numbers

import numpy as np

from ..tensor import Function, Tensor, float32, int64, bool_, _FLOATS
from .. import device as _device
from ._util import broadcast_shape, sum_to


_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}


def _promote(d1, d2):
    """PyTorch's ``promote_types`` for the supported dtypes: bool < int32 < int64 < float32 < float64."""
    if d1 == d2:
        return d1
    c1, c2 = _CATEGORY[d1.kind], _CATEGORY[d2.kind]
    if c1 != c2:
        return d1 if c1 > c2 else d2
    return d1 if d1.itemsize >= d2.itemsize else d2


def _scalar_dtype(x):
    """The dtype PyTorch gives a Python number: bool, int64, or the default float32."""
    return bool_ if isinstance(x, (bool, np.bool_)) else int64 if isinstance(x, numbers.Integral) else float32


def _combine(higher, lower):
    """Merge a lower-priority class of operands into a higher one (PyTorch's ``combine_categories``): it counts
    only when its category (bool < integer < float) is above the higher class's."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return _promote(higher, lower)
    return higher


def result_type(*operands):
    """The dtype of an element-wise op on ``operands`` (tensors and Python numbers), by PyTorch's rules
    (``torch.result_type``): tensors with dimensions decide; 0-d tensors, then numbers, count only when they are
    of a higher category (bool < integer < float) — ``float32 + float64 0-d`` is float32, ``int64 + 2.5`` is
    float32, ``int32 + int64 0-d`` is int32, ``bool + 1`` is int64."""
    dims = zero = num = None
    for x in operands:
        if isinstance(x, Tensor):
            dt = x.dtype
            if x.ndim:
                dims = dt if dims is None else _promote(dims, dt)
            else:
                zero = dt if zero is None else _promote(zero, dt)
        else:
            dt = _scalar_dtype(x)
            num = dt if num is None else _promote(num, dt)
    return _combine(dims, _combine(zero, num))


_NUMBER = (numbers.Real, np.bool_)


def as_tensor_like(x, like, dtype=None):
    """``x`` (a Tensor, Python number, list or array) as a Tensor on ``like``'s device; a number as a 0-d tensor
    of ``dtype`` (default: ``result_type(like, x)``, so ``float_tensor * 2`` stays float32)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, _NUMBER):
        dt = result_type(like, x) if dtype is None else dtype
        return Tensor._wrap(_device.backend(like.device).full((), x, dt), like.device, False, None)
    if isinstance(x, (list, tuple, np.ndarray)):
        return Tensor._from(x, device=like.device)
    raise TypeError(f"expected a Tensor, a number or an array, got {type(x).__name__}")


def operands(a, b, what, dtype=None):
    """Two tensors of one dtype (PyTorch's ``result_type`` of both, or ``dtype``) on one device whose shapes
    broadcast; one of ``a``, ``b`` may be a Python number, list or NumPy array."""
    if dtype is None:                       # the common cases first: two tensors; a float tensor and a number
        ta, tb = type(a) is Tensor or isinstance(a, Tensor), type(b) is Tensor or isinstance(b, Tensor)
        if ta and tb and a.dtype == b.dtype and a.device == b.device:
            if a._data.shape != b._data.shape:
                broadcast_shape(a._data.shape, b._data.shape, what)
            return a, b
        if ta and type(b) in (float, int) and a.dtype.kind == "f":
            return a, Tensor._wrap(_device.backend(a.device).full((), b, a.dtype), a.device, False, None)
        if tb and type(a) in (float, int) and b.dtype.kind == "f":
            return Tensor._wrap(_device.backend(b.device).full((), a, b.dtype), b.device, False, None), b
    if isinstance(a, Tensor):
        like = a
    elif isinstance(b, Tensor):
        like = b
    else:
        raise TypeError(f"{what}: expected a Tensor operand, got {type(a).__name__} and {type(b).__name__}")
    try:
        a, b = as_tensor_like(a, like, dtype), as_tensor_like(b, like, dtype)
    except TypeError as e:
        raise TypeError(f"{what}: {e}") from None
    if a.device != b.device:
        raise ValueError(f"{what}: expected both tensors on one device, got {a.device!r} and {b.device!r}")
    dt = result_type(a, b) if dtype is None else dtype
    a, b = cast(a, dt), cast(b, dt)
    if a._data.shape != b._data.shape:
        broadcast_shape(a._data.shape, b._data.shape, what)
    return a, b


class Cast(Function):
    saves_inputs, saves_output = (), False

    def forward(self, x, dtype):
        self.dtype = x.dtype
        return self.b.astype(x, dtype)

    def backward(self, g):
        return self.b.astype(g, self.dtype) if self.dtype in _FLOATS else None


def cast(x, dtype):
    """``x`` converted to ``dtype``; differentiable between float dtypes."""
    return x if x.dtype == dtype else Cast.apply(x, dtype=dtype)


class ToDevice(Function):
    saves_inputs, saves_output = (), False

    def forward(self, x, src, device):
        self.dst = device
        return _device.backend(device).asarray(_device.read(src, x))

    def backward(self, g):
        return self.b.asarray(_device.read(self.dst, g))


def to_device(x, device):
    """``x`` copied to ``device``, keeping its place in the graph."""
    out = ToDevice.apply(x, src=x.device, device=device)
    out.device = device
    return out


class Add(Function):
    saves_inputs, saves_output = (), False

    def forward(self, x, y):
        self.shapes = x.shape, y.shape
        return self.b.add(x, y)

    def backward(self, g):
        return sum_to(self.b, g, self.shapes[0]), sum_to(self.b, g, self.shapes[1])


class Sub(Function):
    saves_inputs, saves_output = (), False

    def forward(self, x, y):
        self.shapes = x.shape, y.shape
        return self.b.subtract(x, y)

    def backward(self, g):
        return sum_to(self.b, g, self.shapes[0]), sum_to(self.b, self.b.negative(g), self.shapes[1])


class Mul(Function):
    saves_inputs = staticmethod(lambda need: (1,) * need[0] + (0,) * need[1])   # d/dx reads y, d/dy reads x
    saves_output = False

    def forward(self, x, y):
        self.x, self.y = x, y
        return self.b.multiply(x, y)

    def backward(self, g):
        b, (tx, ty) = self.b, self.inputs
        gx = sum_to(b, b.multiply(g, self.y), self.x.shape) if tx.requires_grad else None
        gy = sum_to(b, b.multiply(g, self.x), self.y.shape) if ty.requires_grad else None
        return gx, gy


class Div(Function):
    saves_inputs = staticmethod(lambda need: (1,) if not need[1] else (0, 1))   # d/dx reads y; d/dy x, y
    saves_output = False

    def forward(self, x, y):
        self.x, self.y = x, y
        return self.b.divide(x, y)

    def backward(self, g):
        b, (tx, ty) = self.b, self.inputs
        gx = b.divide(g, self.y)
        gy = None
        if ty.requires_grad:  # d(x/y)/dy = -x/y² = -(g/y)·(x/y)
            gy = sum_to(b, b.negative(b.multiply(gx, b.divide(self.x, self.y))), self.y.shape)
        return (sum_to(b, gx, self.x.shape) if tx.requires_grad else None), gy


class Pow(Function):
    def forward(self, x, y):
        self.x, self.y = x, y
        self.out = self.b.power(x, y)
        return self.out

    def backward(self, g):
        b, (tx, ty) = self.b, self.inputs
        gx = gy = None
        x, y = self.x, self.y
        if tx.requires_grad:  # d(x^y)/dx = y·x^(y-1), and 0 where y = 0 (as PyTorch: x^0 is constant, even at x = 0)
            d = b.multiply(y, b.power(x, b.subtract(y, 1)))
            gx = sum_to(b, b.multiply(g, b.where(b.equal(y, 0), 0, d)), x.shape)
        if ty.requires_grad:  # d(x^y)/dy = x^y·ln x, and 0 where x = 0 and y ≥ 0 (PyTorch's limit of x^y·ln x)
            d = b.multiply(self.out, b.log(b.where(b.equal(x, 0), 1, x)))
            d = b.where(b.equal(x, 0), b.where(b.less(y, 0), b.multiply(self.out, b.log(x)), 0), d)
            gy = sum_to(b, b.multiply(g, d), y.shape)
        return gx, gy


class Neg(Function):
    saves_inputs, saves_output = (), False

    def forward(self, x):
        return self.b.negative(x)

    def backward(self, g):
        return self.b.negative(g)


class Exp(Function):
    saves_inputs = ()

    def forward(self, x):
        self.out = self.b.exp(x)
        return self.out

    def backward(self, g):
        return self.b.multiply(g, self.out)


class Log(Function):
    saves_output = False

    def forward(self, x):
        self.x = x
        return self.b.log(x)

    def backward(self, g):
        return self.b.divide(g, self.x)


class Sqrt(Function):
    saves_inputs = ()

    def forward(self, x):
        self.out = self.b.sqrt(x)
        return self.out

    def backward(self, g):  # d√x/dx = 1/(2√x)
        return self.b.divide(g, self.b.multiply(self.out, 2))


class Abs(Function):
    saves_output = False

    def forward(self, x):
        self.x = x
        return self.b.abs(x)

    def backward(self, g):  # sign(x), 0 at x = 0 as in PyTorch
        return self.b.multiply(g, self.b.sign(self.x))


class Clamp(Function):
    saves_output = False

    def forward(self, x, lo, hi):
        self.x, self.lo, self.hi = x, lo, hi
        return self.b.clip(x, lo, hi)

    def backward(self, g):  # the gradient passes where lo ≤ x ≤ hi
        b, x = self.b, self.x
        if self.lo is not None:
            g = b.where(b.less(x, self.lo), 0, g)
        if self.hi is not None:
            g = b.where(b.greater(x, self.hi), 0, g)
        return g


class Maximum(Function):
    saves_output = False

    def forward(self, x, y):
        self.x, self.y = x, y
        return self.b.maximum(x, y)

    def backward(self, g):  # ties split the gradient evenly, as in PyTorch
        b, x, y = self.b, self.x, self.y
        half = b.multiply(g, 0.5)
        gx = b.where(b.greater(x, y), g, b.where(b.equal(x, y), half, 0))
        gy = b.where(b.less(x, y), g, b.where(b.equal(x, y), half, 0))
        return sum_to(b, gx, x.shape), sum_to(b, gy, y.shape)


class Where(Function):
    saves_inputs, saves_output = (0,), False

    def forward(self, cond, x, y):
        self.cond, self.shapes = cond, (x.shape, y.shape)
        return self.b.where(cond, x, y)

    def backward(self, g):
        b, c = self.b, self.cond
        return None, sum_to(b, b.where(c, g, 0), self.shapes[0]), sum_to(b, b.where(c, 0, g), self.shapes[1])


# ----------------------------------------------------------------------------- public functions
def add(a, b):
    """a + b with broadcasting."""
    return Add.apply(*operands(a, b, "add"))


def sub(a, b):
    """a − b with broadcasting."""
    return Sub.apply(*operands(a, b, "sub"))


def mul(a, b):
    """a · b with broadcasting."""
    return Mul.apply(*operands(a, b, "mul"))


def div(a, b):
    """a / b with broadcasting (true division; integer inputs give float32)."""
    a, b = operands(a, b, "div")
    if a.dtype not in _FLOATS:
        a, b = cast(a, float32), cast(b, float32)
    return Div.apply(a, b)


def pow(a, b):
    """a ** b with broadcasting."""
    return Pow.apply(*operands(a, b, "pow"))


def neg(x):
    """−x element-wise (not for bool tensors, as in PyTorch)."""
    if isinstance(x, Tensor) and x.dtype.kind == "b":
        raise RuntimeError("neg: negation of a bool tensor is not supported; use ~ (logical not) instead")
    return Neg.apply(x)


def _float_input(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    return x if x.dtype in _FLOATS else cast(x, float32)


def exp(x):
    """eˣ element-wise."""
    return Exp.apply(_float_input(x, "exp"))


def log(x):
    """ln x element-wise."""
    return Log.apply(_float_input(x, "log"))


def sqrt(x):
    """√x element-wise."""
    return Sqrt.apply(_float_input(x, "sqrt"))


def abs(x):
    """|x| element-wise (not for bool tensors, as in PyTorch)."""
    if isinstance(x, Tensor) and x.dtype.kind == "b":
        raise RuntimeError("abs: not implemented for bool tensors")
    return Abs.apply(x)


def clamp(x, min=None, max=None):
    """x limited to [min, max] (either bound may be None; numbers or tensors that broadcast with x), in
    PyTorch's result dtype (``int_tensor.clamp(max=1.5)`` is float32); the gradient passes where
    min ≤ x ≤ max, and to a tensor bound where it binds."""
    if not isinstance(x, Tensor):
        raise TypeError(f"clamp: x must be a Tensor, got {type(x).__name__}")
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    bounds = [v for v in (min, max) if v is not None]
    for name, v in (("min", min), ("max", max)):
        if v is not None and not isinstance(v, (Tensor, *_NUMBER)):
            raise TypeError(f"clamp: {name} must be a number or a Tensor, got {type(v).__name__}")
    dt = result_type(x, *bounds)
    x = cast(x, dt)
    if any(isinstance(v, Tensor) for v in bounds):
        if min is not None:
            x = where(less(x, min), min, x)
        if max is not None:
            x = where(greater(x, max), max, x)
        return x
    return Clamp.apply(x, lo=min, hi=max)


def maximum(a, b):
    """Element-wise max(a, b) with broadcasting."""
    return Maximum.apply(*operands(a, b, "maximum"))


def minimum(a, b):
    """Element-wise min(a, b) with broadcasting."""
    a, b = operands(a, b, "minimum")
    return neg(Maximum.apply(neg(a), neg(b)))


def where(condition, x, y):
    """x where ``condition`` holds, else y (all three broadcast)."""
    if not isinstance(condition, Tensor):
        raise TypeError(f"where: condition must be a bool Tensor, got {type(condition).__name__}")
    if condition.dtype.kind != "b":
        raise TypeError(f"where: condition must be a bool tensor, got {condition.dtype}")
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):   # two numbers: 0-d tensors of their result type
        x = as_tensor_like(x, condition, result_type(x, y))
    x, y = operands(x, y, "where")
    if condition.device != x.device:
        raise ValueError(f"where: condition is on {condition.device!r}, the values on {x.device!r}")
    broadcast_shape(condition.shape, broadcast_shape(x.shape, y.shape), "where (condition vs values)")
    return Where.apply(condition, x, y)


def _compare(name):
    def op(a, b):
        a, b = operands(a, b, name)
        return Tensor._wrap(getattr(_device.backend(a.device), name)(a._data, b._data), a.device, False, None)
    op.__name__ = name
    op.__doc__ = f"Element-wise {name} as a bool tensor (not differentiable)."
    return op


greater, greater_equal, less, less_equal, equal, not_equal = (
    _compare(n) for n in ("greater", "greater_equal", "less", "less_equal", "equal", "not_equal"))


# ----------------------------------------------------------------------------- unary math
_LN2 = 0.6931471805599453


class _Unary(Function):
    """y = f(x) with the backend primitive ``prim``; subclasses give the derivative from x (``self.x``) or from
    y (``self.out``) and declare which one they keep."""
    prim = None

    def forward(self, x):
        self.x = x
        self.out = getattr(self.b, self.prim)(x)
        return self.out


class Sin(_Unary):
    prim, saves_inputs, saves_output = "sin", (0,), False

    def backward(self, g):      # d sin x = cos x
        return self.b.multiply(g, self.b.cos(self.x))


class Cos(_Unary):
    prim, saves_inputs, saves_output = "cos", (0,), False

    def backward(self, g):      # d cos x = −sin x
        return self.b.negative(self.b.multiply(g, self.b.sin(self.x)))


class Tan(_Unary):
    prim, saves_inputs, saves_output = "tan", (), True

    def backward(self, g):      # d tan x = 1 + tan² x
        b = self.b
        return b.multiply(g, b.add(b.multiply(self.out, self.out), 1))


class Rsqrt(_Unary):
    prim, saves_inputs, saves_output = "rsqrt", (), True

    def backward(self, g):      # d x^(−1/2) = −½ · (x^(−1/2))³
        b, y = self.b, self.out
        return b.multiply(b.multiply(g, -0.5), b.multiply(y, b.multiply(y, y)))


class Log2(_Unary):
    prim, saves_inputs, saves_output = "log2", (0,), False

    def backward(self, g):      # d log₂ x = 1/(x ln 2)
        return self.b.divide(g, self.b.multiply(self.x, _LN2))


class Log1p(_Unary):
    prim, saves_inputs, saves_output = "log1p", (0,), False

    def backward(self, g):      # d ln(1 + x) = 1/(1 + x)
        return self.b.divide(g, self.b.add(self.x, 1))


class Exp2(_Unary):
    prim, saves_inputs, saves_output = "exp2", (), True

    def backward(self, g):      # d 2ˣ = 2ˣ ln 2
        return self.b.multiply(g, self.b.multiply(self.out, _LN2))


class Expm1(_Unary):
    prim, saves_inputs, saves_output = "expm1", (), True

    def backward(self, g):      # d (eˣ − 1) = eˣ = y + 1
        return self.b.multiply(g, self.b.add(self.out, 1))


class Reciprocal(_Unary):
    prim, saves_inputs, saves_output = "reciprocal", (), True

    def backward(self, g):      # d (1/x) = −1/x² = −y²
        b = self.b
        return b.negative(b.multiply(g, b.multiply(self.out, self.out)))


class Square(_Unary):
    prim, saves_inputs, saves_output = "square", (0,), False

    def backward(self, g):      # d x² = 2x
        return self.b.multiply(g, self.b.multiply(self.x, 2))


class Piecewise(Function):
    """sign, floor, ceil, round, trunc: piecewise constant, so their gradient is zero everywhere (as PyTorch's)."""
    saves_inputs, saves_output = (), False

    def forward(self, x, prim, kw):
        self.shape, self.dtype = x.shape, x.dtype
        return getattr(self.b, prim)(x, **kw)

    def backward(self, g):
        return self.b.zeros(self.shape, self.dtype)


def _float_op(fn, name, x):
    return fn.apply(_float_input(x, name))


def sin(input):
    """sin x element-wise (integer and bool inputs give float32, as PyTorch); gradient cos x."""
    return _float_op(Sin, "sin", input)


def cos(input):
    """cos x element-wise; gradient −sin x."""
    return _float_op(Cos, "cos", input)


def tan(input):
    """tan x element-wise; gradient 1 + tan² x."""
    return _float_op(Tan, "tan", input)


def rsqrt(input):
    """1/√x element-wise (inf at 0, −inf at −0.0, NaN below 0, as PyTorch); gradient −½ x^(−3/2)."""
    return _float_op(Rsqrt, "rsqrt", input)


def log2(input):
    """log₂ x element-wise; gradient 1/(x ln 2)."""
    return _float_op(Log2, "log2", input)


def log1p(input):
    """ln(1 + x) element-wise, accurate for small x; gradient 1/(1 + x)."""
    return _float_op(Log1p, "log1p", input)


def exp2(input):
    """2ˣ element-wise; gradient 2ˣ ln 2."""
    return _float_op(Exp2, "exp2", input)


def expm1(input):
    """eˣ − 1 element-wise, accurate for small x; gradient eˣ."""
    return _float_op(Expm1, "expm1", input)


def reciprocal(input):
    """1/x element-wise (integer inputs give float32, as PyTorch); gradient −1/x²."""
    return _float_op(Reciprocal, "reciprocal", input)


def square(input):
    """x² element-wise (``torch.square``: integers stay integers, bool gives int64); gradient 2x."""
    if not isinstance(input, Tensor):
        raise TypeError(f"square: expected a Tensor, got {type(input).__name__}")
    if input.dtype.kind == "b":
        input = cast(input, int64)
    return Square.apply(input)


def _piecewise(x, name, prim, **kw):
    return Piecewise.apply(x, prim=prim, kw=kw)


def _copy(x):
    return Tensor._wrap(_device.backend(x.device).copy(x._data), x.device, False, None)


def sign(input):
    """−1, 0 or 1 by the sign of x (``torch.sign``): 0 at NaN and at −0.0, in x's dtype (integers stay integers,
    bool stays bool); zero gradient."""
    if not isinstance(input, Tensor):
        raise TypeError(f"sign: expected a Tensor, got {type(input).__name__}")
    if input.dtype.kind == "b":
        return _copy(input)
    return _piecewise(input, "sign", "sign")


def _rounding(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind == "b":
        raise RuntimeError(f"{name}: not implemented for bool tensors (as in PyTorch)")
    return x


def floor(input):
    """⌊x⌋ element-wise (``torch.floor``; integer tensors: an unchanged copy); zero gradient."""
    x = _rounding(input, "floor")
    return _copy(x) if x.dtype.kind in "iu" else _piecewise(x, "floor", "floor")


def ceil(input):
    """⌈x⌉ element-wise (``torch.ceil``; integer tensors: an unchanged copy); zero gradient."""
    x = _rounding(input, "ceil")
    return _copy(x) if x.dtype.kind in "iu" else _piecewise(x, "ceil", "ceil")


def trunc(input):
    """x rounded toward zero (``torch.trunc``; integer tensors: an unchanged copy); zero gradient."""
    x = _rounding(input, "trunc")
    return _copy(x) if x.dtype.kind in "iu" else _piecewise(x, "trunc", "trunc")


class _DefaultDecimals(int):
    """``round``'s default ``decimals`` (0): PyTorch's round of an integer tensor works only without the argument."""

    def __repr__(self):
        return "0"


_DECIMALS_0 = _DefaultDecimals(0)


def round(input, *, decimals=_DECIMALS_0):
    """x rounded to ``decimals`` decimal places, halves to even (``torch.round``: round(2.5) = 2, round(−0.5) = −0.0;
    for d ≠ 0 PyTorch's rint(x · 10^d)/10^d, or rint(x / 10^(−d)) · 10^(−d) for d < 0, in x's dtype); zero gradient.
    An integer tensor without ``decimals``: an unchanged copy; with it, a RuntimeError (as in PyTorch)."""
    x = _rounding(input, "round")
    if isinstance(decimals, bool) or not isinstance(decimals, numbers.Integral):
        raise TypeError(f"round: decimals must be an int, got {type(decimals).__name__}")
    if x.dtype.kind in "iu":
        if decimals is not _DECIMALS_0:
            raise RuntimeError(f"round: decimals is not implemented for {x.dtype} tensors (as in PyTorch)")
        return _copy(x)
    return _piecewise(x, "round", "round", decimals=int(decimals))
