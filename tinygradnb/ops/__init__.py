"""Differentiable ops, and the Tensor methods and operators that call them."""
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
                    copy_, clamp_, masked_fill_, uniform_, normal_)


# PyTorch's short names of the comparisons
eq, ne, lt, le, gt, ge = equal, not_equal, less, less_equal, greater, greater_equal

def _reflected(fn):
    return lambda self, other: fn(other, self)


def _T(self):
    return permute(self, tuple(reversed(range(self.ndim))))


def _can_cast(src, dst):
    """PyTorch's ``can_cast`` for an in-place result: not to a lower category (float -> integer -> bool)."""
    rank = {"b": 0, "i": 1, "u": 1, "f": 2}
    return rank[src.kind] <= rank[dst.kind]


def _inplace(fn):
    """``self op= other`` in self's memory, as PyTorch's in-place operators: outside the graph (a parameter update
    inside ``no_grad``) a plain write; inside it, recorded as the op on a snapshot of self, whose node self then
    becomes. Not on a leaf that requires grad (as PyTorch) or on a view."""
    name = f"in-place {fn.__name__}"

    def op(self, other):
        if self._inplace_records(name, other):
            out = fn(self._snapshot(), other)
        else:
            with no_grad():
                out = fn(self, other)
        if out.shape != self.shape:
            raise RuntimeError(f"{name}: the result has shape {out.shape}, which does not match the tensor's "
                               f"shape {self.shape}")
        if out.dtype != self.dtype:
            if not _can_cast(out.dtype, self.dtype):
                raise RuntimeError(f"{name}: result type {out.dtype} can't be cast to the tensor's dtype "
                                   f"{self.dtype}")
            out = cast(out, self.dtype)
        self._assign(out)
        write_back(self)
        return self
    return op


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
    "__iadd__": _inplace(add), "__isub__": _inplace(sub), "__imul__": _inplace(mul),
    "__itruediv__": _inplace(div), "zero_": _zero_, "__invert__": _invert, "logical_not": _invert,
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
    "cumprod": cumprod, "sort": sort, "argsort": argsort, "topk": topk,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.multinomial = _creation.multinomial
Tensor.T = property(_T)
Tensor.__hash__ = object.__hash__  # __eq__ is element-wise; tensors still hash by identity
