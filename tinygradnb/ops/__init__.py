"""Differentiable ops, and the Tensor methods and operators that call them."""
from ..tensor import Tensor
from .elementwise import (add, sub, mul, div, pow, neg, exp, log, sqrt, abs, clamp, maximum, minimum, where,
                          cast, to_device, greater, greater_equal, less, less_equal, equal, not_equal)
from .reduce import sum, mean, var, max, min, argmax, argmin
from .shape import (reshape, permute, transpose, expand, broadcast_to, squeeze, unsqueeze, flatten, concat, cat,
                    stack, getitem, setitem)


def _reflected(fn):
    return lambda self, other: fn(other, self)


def _T(self):
    return permute(self, tuple(reversed(range(self.ndim))))


def _view(self, *shape):
    return reshape(self, *shape)


_METHODS = {
    "__add__": add, "__radd__": _reflected(add), "__sub__": sub, "__rsub__": _reflected(sub),
    "__mul__": mul, "__rmul__": _reflected(mul), "__truediv__": div, "__rtruediv__": _reflected(div),
    "__pow__": pow, "__rpow__": _reflected(pow), "__neg__": neg,
    "__gt__": greater, "__ge__": greater_equal, "__lt__": less, "__le__": less_equal,
    "__eq__": equal, "__ne__": not_equal, "__getitem__": getitem, "__setitem__": setitem,
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg,
    "exp": exp, "log": log, "sqrt": sqrt, "abs": abs, "clamp": clamp, "clip": clamp,
    "maximum": maximum, "minimum": minimum,
    "sum": sum, "mean": mean, "var": var, "max": max, "min": min, "argmax": argmax, "argmin": argmin,
    "reshape": reshape, "view": _view, "permute": permute, "transpose": transpose, "expand": expand,
    "squeeze": squeeze, "unsqueeze": unsqueeze, "flatten": flatten,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.T = property(_T)
Tensor.__hash__ = object.__hash__  # __eq__ is element-wise; tensors still hash by identity
