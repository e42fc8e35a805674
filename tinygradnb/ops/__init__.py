"""Differentiable ops, and the Tensor methods and operators that call them."""
import numpy as np

from ..tensor import Tensor, is_grad_enabled, no_grad
from .. import creation as _creation, device as _device
from .elementwise import (add, sub, mul, div, pow, neg, exp, log, sqrt, abs, clamp, maximum, minimum, where,
                          cast, to_device, greater, greater_equal, less, less_equal, equal, not_equal, result_type)
from .reduce import sum, mean, var, max, min, amax, amin, argmax, argmin
from .matmul import matmul, mm, bmm, mv, dot, outer, einsum
from .activation import relu, sigmoid, tanh
from .loss import softmax, log_softmax
from .reduce import (std, logsumexp, norm, any, all, cumsum, cumprod, sort, argsort, topk)
from .elementwise import (sin, cos, tan, rsqrt, sign, floor, ceil, round, trunc, log2, log1p, exp2, expm1,
                          reciprocal, square)
from .shape import (reshape, permute, transpose, expand, broadcast_to, squeeze, unsqueeze, flatten, concat, cat,
                    stack, getitem, setitem, write_back, view, clone, contiguous)
from .shape import (split, chunk, unbind, repeat, repeat_interleave, expand_as, flip, roll, triu, tril, gather,
                    scatter, scatter_add, index_select, masked_fill, masked_select, add_, sub_, mul_, div_, fill_,
                    copy_, clamp_, masked_fill_, uniform_, normal_, _inplace_update)
from .reduce import prod
from ._util import normalize_axes as _normalize_axes


# PyTorch's short names of the comparisons
eq, ne, lt, le, gt, ge = equal, not_equal, less, less_equal, greater, greater_equal

def _reflected(fn):
    return lambda self, other: fn(other, self)


def _T(self):
    return permute(self, tuple(reversed(range(self.ndim))))


def _inplace(fn, name):
    """``fn(self, *args)`` written into self's memory: the operators ``+= -= *= /=`` and ``relu_``, ``pow_`` and
    friends (shape._inplace_update: a plain write outside the graph, fn on a snapshot of self inside it)."""
    def op(self, *args):
        return _inplace_update(self, name, lambda s: fn(s, *args), args)
    op.__name__ = name
    return op


def _t(self):
    """``torch.Tensor.t``: a 2-D tensor transposed (a view); 0-D and 1-D tensors as they are."""
    if self.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
    return transpose(self, 0, 1) if self.ndim == 2 else view(self, self.shape)


def _mT(self):
    """``torch.Tensor.mT``: the last two dims swapped (a view)."""
    if self.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor.")
    return transpose(self, -2, -1)


def _narrow(self, dim, start, length):
    """``torch.Tensor.narrow``: ``length`` elements of ``dim`` from ``start`` (negative counts from the end), a
    view."""
    (d,) = _normalize_axes(dim, self.ndim, "dim")
    n = self.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"narrow(): start ({start}) out of range for dimension {d} of size {n}")
    start = start + n if start < 0 else start
    if length < 0 or start + length > n:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return getitem(self, (slice(None),) * d + (slice(start, start + length),))


def _nonzero(self, *, as_tuple=False):
    """``torch.nonzero``: the indices of the non-zero elements, (n, ndim) int64 (a read of the values: on the GPU
    it waits, as PyTorch's); ``as_tuple=True`` gives one 1-D index tensor per dim."""
    idx = np.argwhere(self.numpy())
    if as_tuple:
        cols = idx.T if self.ndim else np.zeros((1, int(bool(idx.shape[0]))), np.int64)
        return tuple(Tensor._from(np.ascontiguousarray(c), device=self.device) for c in cols)
    return Tensor._from(idx.astype(np.int64), device=self.device)


def _isnan(self):
    """``torch.isnan``: True where an element is NaN (never for integers)."""
    return not_equal(self, self)


def _isinf(self):
    """``torch.isinf``: True where an element is ±inf."""
    return equal(abs(self), float("inf")) if self.dtype.kind == "f" else not_equal(self, self)


def _isfinite(self):
    """``torch.isfinite``: True where an element is neither ±inf nor NaN."""
    return less(abs(self), float("inf")) if self.dtype.kind == "f" else equal(self, self)


def _invert(self):
    """``~mask``: logical not of a bool tensor (not differentiable)."""
    if self.dtype.kind != "b":
        raise TypeError(f"~ (logical not) needs a bool tensor, got {self.dtype}")
    return Tensor._wrap(_device.backend(self.device).logical_not(self._data), self.device, False, None)


def _zero_(self):
    """Fill with zeros in place; in the graph, the gradient to the old values is zero."""
    b = _device.backend(self.device)
    if self._inplace_records("zero_"):
        self._assign(where(Tensor._wrap(b.full(self.shape, True, bool), self.device, False, None), 0,
                           self._snapshot()))
    else:
        b.setitem(self._data, Ellipsis, 0)
        self._bump()
    write_back(self)
    return self


_METHODS = {
    "__add__": add, "__radd__": _reflected(add), "__sub__": sub, "__rsub__": _reflected(sub),
    "__mul__": mul, "__rmul__": _reflected(mul), "__truediv__": div, "__rtruediv__": _reflected(div),
    "__iadd__": _inplace(add, "in-place add"), "__isub__": _inplace(sub, "in-place sub"),
    "__imul__": _inplace(mul, "in-place mul"), "__itruediv__": _inplace(div, "in-place div"),
    "zero_": _zero_, "__invert__": _invert, "logical_not": _invert,
    "__pow__": pow, "__rpow__": _reflected(pow), "__neg__": neg,
    "__gt__": greater, "__ge__": greater_equal, "__lt__": less, "__le__": less_equal,
    "__matmul__": matmul, "__rmatmul__": _reflected(matmul), "matmul": matmul,
    "mm": mm, "bmm": bmm, "mv": mv, "dot": dot, "outer": outer,
    "__eq__": equal, "__ne__": not_equal, "__getitem__": getitem, "__setitem__": setitem,
    "eq": equal, "ne": not_equal, "lt": less, "le": less_equal, "gt": greater, "ge": greater_equal,
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg,
    "exp": exp, "log": log, "sqrt": sqrt, "abs": abs, "clamp": clamp, "clip": clamp,
    "maximum": maximum, "minimum": minimum,
    "sum": sum, "mean": mean, "var": var, "max": max, "min": min, "amax": amax, "amin": amin,
    "argmax": argmax, "argmin": argmin,
    "reshape": reshape, "view": view, "clone": clone, "contiguous": contiguous, "permute": permute,
    "transpose": transpose, "expand": expand,
    "squeeze": squeeze, "unsqueeze": unsqueeze, "flatten": flatten,
    "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax, "log_softmax": log_softmax,
    "sin": sin, "cos": cos, "tan": tan, "rsqrt": rsqrt, "sign": sign, "floor": floor, "ceil": ceil, "round": round,
    "trunc": trunc, "log2": log2, "log1p": log1p, "exp2": exp2, "expm1": expm1, "reciprocal": reciprocal,
    "square": square,
    "split": split, "chunk": chunk, "unbind": unbind, "repeat": repeat, "repeat_interleave": repeat_interleave,
    "expand_as": expand_as, "flip": lambda self, *dims: flip(self, dims[0] if len(dims) == 1 and
                                                          isinstance(dims[0], (tuple, list)) else dims),
    "roll": roll, "triu": triu, "tril": tril, "gather": gather, "scatter": scatter, "scatter_add": scatter_add,
    "index_select": index_select, "masked_fill": masked_fill, "masked_select": masked_select,
    "add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_, "fill_": fill_, "copy_": copy_, "clamp_": clamp_,
    "clip_": clamp_, "masked_fill_": masked_fill_, "uniform_": uniform_, "normal_": normal_,
    "std": std, "logsumexp": logsumexp, "norm": norm, "any": any, "all": all, "cumsum": cumsum,
    "cumprod": cumprod, "sort": sort, "argsort": argsort, "topk": topk, "prod": prod,
    "t": _t, "narrow": _narrow, "nonzero": _nonzero, "argwhere": lambda self: _nonzero(self),
    "isnan": _isnan, "isinf": _isinf, "isfinite": _isfinite,
    "where": lambda self, condition, other: where(condition, self, other),
    "view_as": lambda self, other: view(self, other.shape),
    "reshape_as": lambda self, other: reshape(self, other.shape),
    "relu_": _inplace(relu, "relu_"), "sigmoid_": _inplace(sigmoid, "sigmoid_"),
    "tanh_": _inplace(tanh, "tanh_"), "exp_": _inplace(exp, "exp_"), "log_": _inplace(log, "log_"),
    "sqrt_": _inplace(sqrt, "sqrt_"), "abs_": _inplace(abs, "abs_"), "neg_": _inplace(neg, "neg_"),
    "pow_": _inplace(pow, "pow_"),
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.multinomial = _creation.multinomial
nonzero, argwhere, isnan, isinf, isfinite = _nonzero, lambda input: _nonzero(input), _isnan, _isinf, _isfinite
Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.__hash__ = object.__hash__  # __eq__ is element-wise; tensors still hash by identity
