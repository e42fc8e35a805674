"""Differentiable ops, and the Tensor methods and operators that call them."""
from ..tensor import Tensor, is_grad_enabled, no_grad
from .. import creation as _creation, device as _device
from .elementwise import (add, sub, mul, div, pow, neg, exp, log, sqrt, abs, clamp, maximum, minimum, where,
                          cast, to_device, greater, greater_equal, less, less_equal, equal, not_equal, result_type)
from .reduce import sum, mean, var, max, min, amax, amin, argmax, argmin
from .matmul import matmul
from .activation import relu, sigmoid, tanh
from .loss import softmax, log_softmax
from .shape import (reshape, permute, transpose, expand, broadcast_to, squeeze, unsqueeze, flatten, concat, cat,
                    stack, getitem, setitem)


def _reflected(fn):
    return lambda self, other: fn(other, self)


def _T(self):
    return permute(self, tuple(reversed(range(self.ndim))))


def _view(self, *shape):
    return reshape(self, *shape)


def _inplace(fn):
    """``self op= other`` writing into self's array, as PyTorch's in-place operators: allowed on tensors that
    record no graph (inside ``no_grad`` for parameters)."""
    def op(self, other):
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError(f"in-place {fn.__name__} on a tensor that requires grad: wrap the update in "
                               f"tinygradnb.no_grad()")
        with no_grad():
            out = fn(self, other)
        if out.shape != self.shape:
            raise ValueError(f"in-place {fn.__name__}: the result has shape {out.shape}, expected {self.shape}")
        _device.backend(self.device).setitem(self._data, Ellipsis, out._data)
        return self._bump()
    return op


def _invert(self):
    """``~mask``: logical not of a bool tensor (not differentiable)."""
    if self.dtype.kind != "b":
        raise TypeError(f"~ (logical not) needs a bool tensor, got {self.dtype}")
    return Tensor._wrap(_device.backend(self.device).logical_not(self._data), self.device, False, None)


def _zero_(self):
    """Fill with zeros in place."""
    _device.backend(self.device).setitem(self._data, Ellipsis, 0)
    return self._bump()


_METHODS = {
    "__add__": add, "__radd__": _reflected(add), "__sub__": sub, "__rsub__": _reflected(sub),
    "__mul__": mul, "__rmul__": _reflected(mul), "__truediv__": div, "__rtruediv__": _reflected(div),
    "__iadd__": _inplace(add), "__isub__": _inplace(sub), "__imul__": _inplace(mul),
    "__itruediv__": _inplace(div), "zero_": _zero_, "__invert__": _invert, "logical_not": _invert,
    "__pow__": pow, "__rpow__": _reflected(pow), "__neg__": neg,
    "__gt__": greater, "__ge__": greater_equal, "__lt__": less, "__le__": less_equal,
    "__matmul__": matmul, "__rmatmul__": _reflected(matmul), "matmul": matmul,
    "__eq__": equal, "__ne__": not_equal, "__getitem__": getitem, "__setitem__": setitem,
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg,
    "exp": exp, "log": log, "sqrt": sqrt, "abs": abs, "clamp": clamp, "clip": clamp,
    "maximum": maximum, "minimum": minimum,
    "sum": sum, "mean": mean, "var": var, "max": max, "min": min, "amax": amax, "amin": amin,
    "argmax": argmax, "argmin": argmin,
    "reshape": reshape, "view": _view, "permute": permute, "transpose": transpose, "expand": expand,
    "squeeze": squeeze, "unsqueeze": unsqueeze, "flatten": flatten,
    "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax, "log_softmax": log_softmax,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.multinomial = _creation.multinomial
Tensor.T = property(_T)
Tensor.__hash__ = object.__hash__  # __eq__ is element-wise; tensors still hash by identity
