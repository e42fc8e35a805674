"""Element-wise ops with NumPy broadcasting: arithmetic, exp/log/sqrt/abs, clamp, maximum, where, casts."""
from ..tensor import Function, Tensor, float32, float64, _FLOATS
from .. import device as _device
from ._util import broadcast_shape, sum_to


def _promote(d1, d2):
    if d1 == d2:
        return d1
    if d1 in _FLOATS and d2 in _FLOATS:
        return float64
    if d1 in _FLOATS:
        return d1
    if d2 in _FLOATS:
        return d2
    return max(d1, d2, key=lambda d: d.itemsize)


def as_tensor_like(x, like):
    """``x`` (a Tensor, number or array) as a Tensor on ``like``'s device; a number takes ``like``'s dtype when
    that keeps its value (``float_tensor * 2`` stays float32, ``int_tensor * 0.5`` becomes float32)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (int, float, bool)):
        dt = like.dtype
        if isinstance(x, float) and dt not in _FLOATS:
            dt = float32
        return Tensor._wrap(_device.backend(like.device).full((), x, dt), like.device, False, None)
    return Tensor(x, device=like.device)


def operands(a, b, what):
    """Two tensors of one dtype whose shapes broadcast (one of ``a``, ``b`` may be a number or array)."""
    if not isinstance(a, Tensor):
        a = as_tensor_like(a, b)
    elif not isinstance(b, Tensor):
        b = as_tensor_like(b, a)
    if a.dtype != b.dtype:
        dt = _promote(a.dtype, b.dtype)
        a, b = cast(a, dt), cast(b, dt)
    if a._data.shape != b._data.shape:
        broadcast_shape(a._data.shape, b._data.shape, what)
    return a, b


class Cast(Function):
    def forward(self, x, dtype):
        self.dtype = x.dtype
        return self.b.astype(x, dtype)

    def backward(self, g):
        return self.b.astype(g, self.dtype) if self.dtype in _FLOATS else None


def cast(x, dtype):
    """``x`` converted to ``dtype``; differentiable between float dtypes."""
    return x if x.dtype == dtype else Cast.apply(x, dtype=dtype)


class ToDevice(Function):
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
    def forward(self, x, y):
        self.shapes = x.shape, y.shape
        return self.b.add(x, y)

    def backward(self, g):
        return sum_to(self.b, g, self.shapes[0]), sum_to(self.b, g, self.shapes[1])


class Sub(Function):
    def forward(self, x, y):
        self.shapes = x.shape, y.shape
        return self.b.subtract(x, y)

    def backward(self, g):
        return sum_to(self.b, g, self.shapes[0]), sum_to(self.b, self.b.negative(g), self.shapes[1])


class Mul(Function):
    def forward(self, x, y):
        self.x, self.y = x, y
        return self.b.multiply(x, y)

    def backward(self, g):
        b, (tx, ty) = self.b, self.inputs
        gx = sum_to(b, b.multiply(g, self.y), self.x.shape) if tx.requires_grad else None
        gy = sum_to(b, b.multiply(g, self.x), self.y.shape) if ty.requires_grad else None
        return gx, gy


class Div(Function):
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
        if tx.requires_grad:  # d(x^y)/dx = y·x^(y-1)
            gx = sum_to(b, b.multiply(g, b.multiply(self.y, b.power(self.x, b.subtract(self.y, 1)))), self.x.shape)
        if ty.requires_grad:  # d(x^y)/dy = x^y·ln x
            gy = sum_to(b, b.multiply(g, b.multiply(self.out, b.log(self.x))), self.y.shape)
        return gx, gy


class Neg(Function):
    def forward(self, x):
        return self.b.negative(x)

    def backward(self, g):
        return self.b.negative(g)


class Exp(Function):
    def forward(self, x):
        self.out = self.b.exp(x)
        return self.out

    def backward(self, g):
        return self.b.multiply(g, self.out)


class Log(Function):
    def forward(self, x):
        self.x = x
        return self.b.log(x)

    def backward(self, g):
        return self.b.divide(g, self.x)


class Sqrt(Function):
    def forward(self, x):
        self.out = self.b.sqrt(x)
        return self.out

    def backward(self, g):  # d√x/dx = 1/(2√x)
        return self.b.divide(g, self.b.multiply(self.out, 2))


class Abs(Function):
    def forward(self, x):
        self.x = x
        return self.b.abs(x)

    def backward(self, g):  # sign(x), 0 at x = 0 as in PyTorch
        return self.b.multiply(g, self.b.sign(self.x))


class Clamp(Function):
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
    """|x| element-wise."""
    return Abs.apply(x)


def clamp(x, min=None, max=None):
    """x limited to [min, max] (either bound may be None)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
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
    like = x if isinstance(x, Tensor) else y if isinstance(y, Tensor) else condition
    if not isinstance(condition, Tensor):
        condition = Tensor(condition, device=like.device)
    if condition.dtype.kind != "b":
        raise TypeError(f"where: condition must be a bool tensor, got {condition.dtype}")
    x, y = operands(x, y, "where")
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
