"""Tensor and reverse-mode autograd.

A Tensor wraps one device array. Every differentiable op is a ``Function`` whose ``forward`` and ``backward``
take and return plain arrays of the tensor's device (reached through ``self.b``, the device's kernels module);
``apply`` records the op in a define-by-run graph when an input requires a gradient. ``Tensor.backward`` sorts
that graph topologically without recursion and runs each op's ``backward`` once, in reverse order.
"""
import functools

import numpy as np

from . import device as _device

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
_SUPPORTED = (float32, float64, int32, int64, bool_)
_FLOATS = (float32, float64)


class _GradMode:
    enabled = True


def is_grad_enabled():
    """Whether ops record the graph for ``backward``."""
    return _GradMode.enabled


class _SetGrad:
    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __exit__(self, *exc):
        _GradMode.enabled = self.prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_SetGrad):
    """Context manager and decorator under which ops record no graph (as ``torch.no_grad``)."""

    def __init__(self):
        super().__init__(False)


class enable_grad(_SetGrad):
    """Context manager and decorator that turns graph recording back on inside ``no_grad``."""

    def __init__(self):
        super().__init__(True)


def as_dtype(dtype, name="dtype"):
    """``dtype`` as a NumPy dtype, or ``TypeError`` if tinygradnb does not support it."""
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name}: expected one of float32, float64, int32, int64, bool, got {dtype!r}") from None
    if dt not in _SUPPORTED:
        raise TypeError(f"{name}: expected one of float32, float64, int32, int64, bool, got {dt}")
    return dt


def _is_gpu_array(x):
    """True for a GPU array of another library: an object exposing ``__cuda_array_interface__`` (CuPy, PyTorch
    CUDA tensors, Numba device arrays) or a Numba device array's ``copy_to_host`` (the simulator's arrays have
    that but not the interface)."""
    if isinstance(x, (Tensor, np.ndarray)):
        return False
    return hasattr(x, "__cuda_array_interface__") or hasattr(x, "copy_to_host")


class Function:
    """One differentiable op: ``forward(*arrays, **kw)`` returns the output array and saves what ``backward``
    needs on ``self``; ``backward(grad)`` returns one gradient array (or None) per tensor input.

    An op with several outputs (a recurrence's output sequence and final states) returns a tuple of arrays from
    ``forward``; ``apply`` then returns a tuple of tensors, and ``backward(*grads)`` is called once with one
    gradient per output — None for an output that no gradient reached."""
    _n_out = 1

    def __init__(self, b):
        self.b = b  # the kernels module of the inputs' device

    @classmethod
    def apply(cls, *tensors, **kwargs):
        dev = tensors[0].device
        for t in tensors:
            if t.device != dev:
                raise ValueError(f"{cls.__name__}: all inputs must be on one device, got {dev!r} and {t.device!r}")
        ctx = cls(_device.backend(dev))
        out = ctx.forward(*[t.data for t in tensors], **kwargs)
        if _GradMode.enabled:
            for t in tensors:
                if t.requires_grad:
                    ctx.inputs = tensors
                    if type(out) is not tuple:
                        return Tensor._wrap(out, dev, True, ctx)
                    ctx._n_out = len(out)
                    outs = tuple(Tensor._wrap(o, dev, True, ctx) for o in out)
                    for i, o in enumerate(outs):
                        o._index = i
                    return outs
        if type(out) is tuple:
            return tuple(Tensor._wrap(o, dev, False, None) for o in out)
        return Tensor._wrap(out, dev, False, None)


class _Released:
    """Stands in for a Function whose saved arrays were freed by ``backward``."""

    def __init__(self, name):
        self.name = name


def _release(ctx):
    name = type(ctx).__name__
    ctx.__dict__.clear()
    ctx.__class__ = _Released
    ctx.name = name


class Tensor:
    """An n-dimensional array on a device, with an optional gradient (PyTorch's ``torch.Tensor`` in small)."""

    __slots__ = ("data", "device", "requires_grad", "grad", "_ctx", "_retain", "_index", "__weakref__")
    __array_priority__ = 1000  # NumPy defers ``ndarray (op) Tensor`` to the Tensor's reflected operator

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        gpu = _is_gpu_array(data)
        if device is None:
            device = "cuda" if gpu else getattr(data, "device", None)
        dev = _device.normalize(device)
        b = _device.backend(dev)
        dtype = as_dtype(dtype)
        if isinstance(data, Tensor):
            data = data.to(dev).data
            arr = b.copy(data) if dtype is None else b.astype(data, dtype)
        elif gpu:  # a GPU array of another library (CuPy, PyTorch, Numba): copied on the device
            src = _device.backend("cuda").asarray(data)
            as_dtype(src.dtype, "data")
            if dev != "cuda":
                src = np.asarray(_device.read("cuda", src))
            arr = b.copy(src) if dtype is None or src.dtype == dtype else b.astype(src, dtype)
        elif isinstance(data, np.ndarray) or dtype is not None:
            arr = np.array(data, dtype=dtype)
            if arr.dtype not in _SUPPORTED:
                arr = np.array(arr, dtype=as_dtype(arr.dtype, "data"))
            arr = b.asarray(arr)
        else:
            arr = np.array(data)
            if arr.dtype.kind == "f":
                arr = arr.astype(float32)
            elif arr.dtype.kind in "iu":
                arr = arr.astype(int64)
            elif arr.dtype not in _SUPPORTED:
                raise TypeError(f"data: expected numbers, nested lists of numbers or an array, got {type(data).__name__}"
                                f" holding {arr.dtype}")
            arr = b.asarray(arr)
        self.data = arr
        self.device = dev
        self.grad = None
        self._ctx = None
        self._retain = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data, device, requires_grad, ctx):
        t = object.__new__(cls)
        t.data = data
        t.device = device
        t.requires_grad = requires_grad
        t.grad = None
        t._ctx = ctx
        t._retain = False
        return t

    # ----------------------------------------------------------------- properties
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        """The ``Function`` that made this tensor (None for a leaf or outside autograd), as PyTorch's."""
        return self._ctx

    def size(self, dim=None):
        """The shape (``dim=None``) or the length of one dimension, as ``torch.Tensor.size``."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self):
        return self.data.size

    def dim(self):
        return self.data.ndim

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    # ----------------------------------------------------------------- conversion
    def numpy(self):
        """The values as a NumPy array (shares memory with a CPU tensor)."""
        return _device.read(self.device, self.data)

    @property
    def __cuda_array_interface__(self):
        """The CUDA array interface of a CUDA tensor's data, so that CuPy, PyTorch and Numba can use it without a
        copy (``cupy.asarray(t)``, ``torch.as_tensor(t, device="cuda")``); CPU tensors do not have it."""
        if self.device != "cuda":
            raise AttributeError(f"__cuda_array_interface__: only CUDA tensors expose it; this tensor is on "
                                 f"{self.device!r} (use .cuda())")
        return self.data.__cuda_array_interface__

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr.astype(dtype) if dtype is not None else arr

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item(): expected a tensor with one element, got shape {self.shape}")
        return self.numpy().reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor._wrap(self.data, self.device, False, None)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.dtype not in _FLOATS:
            raise TypeError(f"requires_grad: only float32/float64 tensors can require gradients, got {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after ``backward``."""
        self._retain = True
        return self

    def to(self, target):
        """A copy in another dtype (``t.to(float64)``) or on another device (``t.to("cuda")``)."""
        if isinstance(target, str) and target.split(":")[0] in _device._MODULES:
            dev = _device.normalize(target)
            if dev == self.device:
                return self
            data = _device.backend(dev).asarray(_device.read(self.device, self.data))
            return Tensor._wrap(data, dev, self.requires_grad, None) if self.is_leaf else _ops.to_device(self, dev)
        return _ops.cast(self, as_dtype(target))

    def float(self):
        return _ops.cast(self, float32)

    def double(self):
        return _ops.cast(self, float64)

    def long(self):
        return _ops.cast(self, int64)

    def int(self):
        return _ops.cast(self, int32)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def __repr__(self):
        body = np.array2string(np.asarray(self.numpy()), separator=", ", prefix="tensor(", precision=4,
                               threshold=200, edgeitems=3)
        extra = ""
        if self.dtype not in (float32, int64, bool_):
            extra += f", dtype={self.dtype}"
        if self.device != "cpu":
            extra += f", device='{self.device}'"
        if self._ctx is not None:
            name = self._ctx.name if type(self._ctx) is _Released else type(self._ctx).__name__
            extra += f", grad_fn=<{name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__

    def __bool__(self):
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __format__(self, spec):
        """A 0-d tensor formats as its value (``f"{loss:.3f}"``), others as their repr (as PyTorch)."""
        if self.data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __index__(self):
        if self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype}")
        return int(self.item())

    # ----------------------------------------------------------------- autograd
    def backward(self, grad=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) · ``grad`` into the ``.grad`` of every leaf that requires a gradient."""
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad and has no grad_fn")
        b = _device.backend(self.device)
        if grad is None:
            if self.data.size != 1:
                raise ValueError(f"backward(): grad can be omitted only for a one-element output, got shape "
                                 f"{self.shape}; pass grad= of shape {self.shape}")
            g = b.full(self.shape, 1, self.dtype)
        else:
            g = grad.data if isinstance(grad, Tensor) else b.asarray(np.asarray(grad, dtype=self.dtype))
            if g.shape != self.shape:
                raise ValueError(f"backward(): grad must have the output's shape {self.shape}, got {g.shape}")
            if g.dtype != self.dtype:
                g = b.astype(g, self.dtype)
        order, waiting = _toposort(self)
        grads = {id(self): g}
        # How many times each gradient array was handed out in this pass. A leaf takes its gradient without a
        # copy when the array was handed out once and is not a view: nothing else (another leaf, a saved array,
        # the caller's ``grad``) can then see later in-place changes to ``.grad``.
        handed = {id(g): 1 if grad is None else 2}
        for t in order:
            g = grads.pop(id(t), None)
            ctx = t._ctx
            if g is not None and (ctx is None or t._retain):
                if t.grad is not None:
                    t.grad = Tensor._wrap(b.add(t.grad.data, g), t.device, False, None)
                elif ctx is None and handed[id(g)] == 1 and not b.is_view(g):
                    t.grad = Tensor._wrap(g, t.device, False, None)
                else:
                    t.grad = Tensor._wrap(b.copy(g), t.device, False, None)
            if ctx is None:
                continue
            if ctx._n_out == 1:
                if g is None:
                    continue
                in_grads = ctx.backward(g)
            else:  # one of several outputs: the op's backward runs once, after the last of them in the graph
                w = waiting[id(ctx)]
                if g is not None:
                    w[0][t._index] = g
                w[1] -= 1
                if w[1] or all(x is None for x in w[0]):
                    continue
                in_grads = ctx.backward(*w[0])
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            for inp, ig in zip(ctx.inputs, in_grads):
                if ig is None or not inp.requires_grad:
                    continue
                k = id(inp)
                prev = grads.get(k)
                if prev is not None:
                    ig = b.add(prev, ig)
                grads[k] = ig
                handed[id(ig)] = handed.get(id(ig), 0) + 1
            if not retain_graph:
                _release(ctx)


def _toposort(root):
    """Tensors reachable from ``root`` through ops that need a gradient, outputs before inputs (no recursion);
    and, for each op with several outputs, [a gradient slot per output, how many of its outputs were reached]."""
    order, seen, waiting = [], set(), {}
    stack = [(root, False)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        ctx = t._ctx
        if ctx is not None:
            if isinstance(ctx, _Released):
                raise RuntimeError(f"backward(): trying to backward through the graph a second time (through "
                                   f"{ctx.name}); its saved arrays were freed. Pass retain_graph=True to the "
                                   f"first backward() to keep them.")
            if ctx._n_out > 1:
                w = waiting.setdefault(id(ctx), [[None] * ctx._n_out, 0])
                w[1] += 1
            for p in ctx.inputs:
                if p.requires_grad and id(p) not in seen:
                    stack.append((p, False))
    order.reverse()
    return order, waiting


from . import ops as _ops  # noqa: E402  (ops build on Tensor and Function)
