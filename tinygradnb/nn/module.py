"""``Module`` and ``Parameter``: the containers that hold a model's weights (``torch.nn.Module`` in small)."""
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from ..tensor import Tensor, as_dtype, no_grad
from .. import device as _device


class Parameter(Tensor):
    """A tensor that a ``Module`` registers as a learnable weight; it requires grad by default and shares the
    data of the tensor it wraps."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = Tensor._from(np.empty(0, np.float32))
        if not isinstance(data, Tensor):
            data = Tensor._from(data)
        self._data, self.device, self._vc = data._data, data.device, data._vc
        self._grad, self._ctx, self._index, self._base, self.requires_grad = None, None, 0, None, False
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of layers and models: attributes that are Parameters, Modules or registered buffers are
    found by ``parameters()``, ``state_dict()``, ``train()``/``eval()`` and ``to()``. Subclasses define
    ``forward``; calling the module calls it."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() before assigning "
                                 f"attributes")
        params, mods, bufs = self._parameters, self._modules, self._buffers
        if isinstance(value, Parameter):
            mods.pop(name, None), bufs.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None), bufs.pop(name, None)
            mods[name] = value
        elif name in bufs:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"buffer {name!r} must be a Tensor or None, got {type(value).__name__}")
            bufs[name] = value
        elif name in params or name in mods:
            if value is not None:
                kind = "Parameter" if name in params else "Module"
                raise TypeError(f"cannot assign {type(value).__name__} to {name!r}: expected a {kind} or None")
            (params if name in params else mods)[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for d in (self._parameters, self._modules, self._buffers):
            d.pop(name, None)
        object.__delattr__(self, name)

    def _check_name(self, name, kind):
        """Names as PyTorch checks them: a str (TypeError), non-empty and without '.' (KeyError)."""
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__} {name!r}")
        if not name or "." in name:
            raise KeyError(f"{kind} name can't be empty or contain \".\", got {name!r}")

    def register_buffer(self, name, tensor):
        """Register ``tensor`` (not a parameter) as state that ``state_dict()`` saves, e.g. running means."""
        self._check_name(name, "register_buffer: buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        self._buffers[name] = tensor
        object.__setattr__(self, name, tensor)

    def register_parameter(self, name, param):
        self._check_name(name, "register_parameter: parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got {type(param).__name__}")
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name, module):
        self._check_name(name, "add_module: module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} defines no forward() (Module [{type(self).__name__}] is "
                                  f"missing the required \"forward\" function)")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix="", memo=None):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named(self, attr, prefix, recurse):
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for name, t in getattr(m, attr).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{mp}.{name}" if mp else name), t

    def named_parameters(self, prefix="", recurse=True):
        """(name, Parameter) pairs, each parameter once even if shared."""
        return self._named("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        return self._named("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode=True):
        """Training mode (dropout active, batch statistics in BatchNorm); returns self."""
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError(f"{type(self).__name__}.train: training mode is expected to be boolean, got "
                             f"{type(mode).__name__} {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Clear the gradients of all parameters (to None, or to zeros in place)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.zero_()

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn):
        """Call ``fn`` on every submodule and then on self (e.g. a custom initialiser); returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, target):
        """Move every parameter and buffer to a device, or convert floating ones to a float dtype, in place."""
        cls = type(self).__name__
        is_device = isinstance(target, str) and target.split(":")[0] in _device._MODULES
        if target is None:
            return self
        if not is_device:
            try:
                dt = as_dtype(target)
            except TypeError:
                raise (ValueError if isinstance(target, str) else TypeError)(
                    f"{cls}.to: expected a device ({', '.join(sorted(_device._MODULES))}) or a float dtype "
                    f"(float32, float64), got {target!r}") from None
            if dt.kind != "f":
                raise TypeError(f"{cls}.to: nn.Module.to only accepts floating point dtypes, got {dt}")
        for m in self.modules():
            for d in (m._parameters, m._buffers):
                for name, t in d.items():
                    if t is None:
                        continue
                    if is_device:
                        new = t.to(target)
                    elif t.dtype.kind == "f":
                        new = t.detach().to(dt)
                    else:
                        continue
                    if new is t:
                        continue
                    t._data, t.device = new._data, new.device
                    if t.grad is not None:
                        t.grad = t.grad.to(target)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to("float32")

    def double(self):
        return self.to("float64")

    # ------------------------------------------------------------------ state
    def state_dict(self, prefix=""):
        """An ordered mapping from dotted names to the parameters' and buffers' values (detached tensors sharing
        their data)."""
        out = OrderedDict()
        for mp, m in self.named_modules(prefix.rstrip(".")):
            for d in (m._parameters, m._buffers):
                for name, t in d.items():
                    if t is not None:
                        out[f"{mp}.{name}" if mp else name] = t.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` (a mapping from names to Tensors or NumPy arrays) into this module's
        parameters and buffers in place. Every shape and dtype must match; with ``strict`` the keys must match
        exactly. Returns (missing_keys, unexpected_keys). Any mismatch raises ``RuntimeError`` listing them all (as
        PyTorch's "Error(s) in loading state_dict"); a ``state_dict`` that is not a mapping ``TypeError``."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and missing:
            errors.append(f"missing keys: {', '.join(map(str, missing))}")
        if strict and unexpected:
            errors.append(f"unexpected keys: {', '.join(map(str, unexpected))}")
        for k, target in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            if not isinstance(v, (Tensor, np.ndarray, np.generic)):
                errors.append(f"{k}: expected a Tensor or a NumPy array in the state dict, got {type(v).__name__}")
                continue
            arr = v._data if isinstance(v, Tensor) else np.asarray(v)
            if tuple(arr.shape) != tuple(target.shape):
                errors.append(f"{k}: shape {tuple(arr.shape)} in the state dict, {tuple(target.shape)} in the model")
            elif np.dtype(arr.dtype) != target.dtype:
                errors.append(f"{k}: dtype {np.dtype(arr.dtype)} in the state dict, {target.dtype} in the model")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: " + "; ".join(errors))
        with no_grad():
            for k, target in own.items():
                if k in state_dict:
                    v = state_dict[k]
                    src = v.to(target.device)._data if isinstance(v, Tensor) else \
                        _device.backend(target.device).asarray(np.asarray(v))
                    _device.backend(target.device).setitem(target._data, Ellipsis, src)
                    target._bump()
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _index(i, n, cls):
    """An int index into ``n`` modules (negative counting from the end), or TypeError/IndexError naming it."""
    if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
        raise TypeError(f"{cls}: index must be an int or a slice, got {type(i).__name__} {i!r}")
    if not -n <= i < n:
        raise IndexError(f"{cls}: index {i} is out of range for {n} module(s)")
    return int(i) % n


class Sequential(Module):
    """Modules applied one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            modules = list(modules[0].items())
        else:
            modules = [(str(i), m) for i, m in enumerate(modules)]
        for name, m in modules:
            self.add_module(name, m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        mods = list(self._modules.values())
        return Sequential(*mods[i]) if isinstance(i, slice) else mods[_index(i, len(mods), "Sequential")]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters the parent module sees."""

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, i):
        mods = list(self._modules.values())
        return ModuleList(mods[i]) if isinstance(i, slice) else mods[_index(i, len(mods), "ModuleList")]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())
