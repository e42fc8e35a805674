"""Shape helpers shared by the ops: broadcasting, axis normalisation and un-broadcasting of gradients."""
import math
import numbers



def broadcast_shape(s1, s2, what="operands"):
    """The NumPy broadcast of shapes ``s1`` and ``s2``, or ``ValueError`` naming both."""
    n = max(len(s1), len(s2))
    a = (1,) * (n - len(s1)) + tuple(s1)
    b = (1,) * (n - len(s2)) + tuple(s2)
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"{what}: shapes {tuple(s1)} and {tuple(s2)} do not broadcast (NumPy rules: trailing "
                             f"dimensions must be equal or 1)")
        out.append(y if x == 1 else x)
    return tuple(out)


def _is_int(a):
    """An integer axis: a Python or NumPy integer, not a bool (``True`` is an int to Python but never an axis)."""
    return type(a) is int or (isinstance(a, numbers.Integral) and not isinstance(a, bool))


def normalize_axes(axis, ndim, name="axis"):
    """``axis`` (None, an int or a sequence of ints, negative counting from the end) as a sorted tuple.

    NumPy integers count as ints; a float, str, bool or any other non-integer is a ``TypeError`` naming
    ``name`` (as PyTorch), an axis outside [-ndim, ndim) an ``IndexError``, a repeated axis a ``ValueError``.
    """
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:      # the common case, answered at once
        return (axis % ndim,)
    if _is_int(axis):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"{name}: expected an int or a tuple of ints, got {type(axis).__name__} {axis!r}")
    out = []
    for a in axes:
        if not _is_int(a):
            raise TypeError(f"{name}: expected an int or a tuple of ints, got {axis!r} (an element of type "
                            f"{type(a).__name__})")
        a = int(a)
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise IndexError(f"{name}: {a} is out of range for a tensor with {ndim} dimension(s)")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def sum_to(b, g, shape):
    """Sum the gradient ``g`` of a broadcast result back to an input of ``shape``."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1)
    return b.reshape(b.sum(g, axis=axes, keepdims=True), shape)


def pick_axis(axis, dim, default=None):
    """Accept NumPy's ``axis=`` and PyTorch's ``dim=`` spellings of one argument."""
    if dim is not None:
        if axis is not None and axis != dim:
            raise TypeError("pass either axis= or dim=, not both")
        return dim
    return default if axis is None else axis


def prod(shape):
    """The number of elements of ``shape``."""
    n = 1
    for s in shape:
        n *= s
    return n


def flat(b, a):
    """``a`` as a C-contiguous 1-D array (the layout element-wise kernels take)."""
    return b.reshape(b.contiguous(a), (-1,))


_Tensor = None


def check_tensor(x, fn, arg):
    """``TypeError`` unless ``x`` is a Tensor."""
    global _Tensor
    if _Tensor is None:                 # tensor.py imports this module: resolve the class on first use
        from ..tensor import Tensor as _Tensor
    if not isinstance(x, _Tensor):
        raise TypeError(f"{fn}: {arg} must be a Tensor, got {type(x).__name__}")
    return x


def check_float(x, fn, arg):
    """``TypeError`` unless ``x`` is a float32 or float64 Tensor."""
    check_tensor(x, fn, arg)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: {arg} must be a float32 or float64 tensor, got {x.dtype}")
    return x


def check_real(v, fn, arg, lo=None, hi=None):
    """``v`` as a float, or ``TypeError``/``ValueError`` unless it is a finite real number in [lo, hi]."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{fn}: {arg} must be a real number, got {v!r}")
    v = float(v)
    if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f" in [{lo}, {hi}]" if hi is not None else f" >= {lo}" if lo is not None else ""
        raise ValueError(f"{fn}: {arg} must be a finite number{rng}, got {v}")
    return v
