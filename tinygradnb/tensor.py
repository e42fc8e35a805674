"""Tensor and reverse-mode autograd.

A Tensor wraps one device array. Every differentiable op is a ``Function`` whose ``forward`` and ``backward``
take and return plain arrays of the tensor's device (reached through ``self.b``, the device's kernels module);
``apply`` records the op in a define-by-run graph when an input requires a gradient. ``Tensor.backward`` sorts
the ops topologically without recursion and runs each op's ``backward`` once, in reverse order.

In-place writes follow PyTorch: each tensor's memory has a version counter that every in-place write bumps, ops
remember the versions of the arrays they saved and ``backward`` refuses changed ones; an in-place op recorded in
the graph makes the written tensor the output of that op (``Tensor._assign``).
"""
import functools
import threading
import weakref

import numpy as np

from . import device as _device

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
_SUPPORTED = (float32, float64, int32, int64, bool_)
_FLOATS = (float32, float64)


class _GradMode(threading.local):
    """Whether ops record the graph, per thread (as PyTorch's grad mode): a thread starts with it on."""
    enabled = True


_grad_mode = _GradMode()


def is_grad_enabled():
    """Whether ops record the graph for ``backward`` in this thread."""
    return _grad_mode.enabled


class set_grad_enabled:
    """Turn graph recording on or off in this thread: as a function call (``set_grad_enabled(False)``), as a
    context manager that restores the previous mode on exit, or as a decorator (as ``torch.set_grad_enabled``)."""

    def __init__(self, mode):
        if not isinstance(mode, (bool, int)):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got {type(mode).__name__}")
        self.prev = _grad_mode.enabled
        self.mode = bool(mode)
        _grad_mode.enabled = self.mode

    def __enter__(self):
        _grad_mode.enabled = self.mode

    def __exit__(self, *exc):
        _grad_mode.enabled = self.prev

    def __call__(self, fn):
        mode = self.mode
        _grad_mode.enabled = self.prev      # used as a decorator: the mode applies inside calls only

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _SetGrad(mode):
                return fn(*args, **kwargs)
        return wrapper


class _SetGrad:
    mode = True

    def __init__(self, mode=None):
        if mode is not None:
            self.mode = mode

    def __enter__(self):
        self.prev = _grad_mode.enabled
        _grad_mode.enabled = self.mode

    def __exit__(self, *exc):
        _grad_mode.enabled = self.prev

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _SetGrad(mode):
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_SetGrad):
    """Context manager and decorator under which ops record no graph in this thread (as ``torch.no_grad``)."""
    mode = False

    def __init__(self):
        pass


class enable_grad(_SetGrad):
    """Context manager and decorator that turns graph recording back on inside ``no_grad``."""
    mode = True

    def __init__(self):
        pass


class inference_mode(_SetGrad):
    """``no_grad`` under PyTorch's name for inference (``inference_mode(False)`` leaves grad mode as it is)."""

    def __init__(self, mode=True):
        self.mode = False if mode else None

    def __enter__(self):
        self.prev = _grad_mode.enabled
        if self.mode is not None:
            _grad_mode.enabled = self.mode

    def __call__(self, fn):
        return fn if self.mode is None else super().__call__(fn)


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
    gradient per output — None for an output that no gradient reached.

    Saved arrays are guarded as in PyTorch: ``apply`` records the version of each input (``saves_inputs``, all
    by default) and, when ``saves_output``, of the outputs; an in-place write to one of them before ``backward``
    makes ``backward`` raise instead of reading changed values. A ``view`` op's output shares its first input's
    memory and so its version counter.

    ``apply`` records, for each input that requires grad, the edge to the op (and output index) that produced it
    at that moment; ``backward`` follows those edges, so a tensor that an in-place op later makes the output of a
    newer op (``Tensor._assign``) still sends each earlier reader's gradient to the value that reader saw."""
    _n_out = 1
    saves_inputs = None     # indices of the inputs whose arrays backward reads (None: all; or a function of
                            # needs_input_grad giving them)
    saves_output = True     # whether backward reads the output arrays
    view = False            # the output is a view of the first input
    write_key = None        # for a view that is x[key] of its first input: key (in-place writes go through it)

    def __init__(self, b):
        self.b = b  # the kernels module of the inputs' device

    @classmethod
    def apply(cls, *tensors, **kwargs):
        dev = tensors[0].device
        record = False
        for t in tensors:
            if t.device != dev:
                raise ValueError(f"{cls.__name__}: all inputs must be on one device, got {dev!r} and {t.device!r}")
            if t.requires_grad:
                record = True
            if t._base is not None and t._seen != t._vc[1]:
                raise RuntimeError(f"{cls.__name__}: this view (a slice, reshape, detach() or .data of another "
                                   f"tensor) was taken before an in-place operation recorded in the graph changed "
                                   f"its base; take the view again after the in-place operation")
        record = record and _grad_mode.enabled
        ctx = cls(_device.backend(dev))
        out = ctx.forward(*[t._data for t in tensors], **kwargs)
        node = ctx if record else None
        if type(out) is tuple:
            result = tuple(Tensor._wrap(o, dev, record, node) for o in out)
            for i, o in enumerate(result):
                o._index = i
            first = result[0]
        else:
            result = first = Tensor._wrap(out, dev, record, node)
        if ctx.view:
            src = tensors[0]
            first._vc = src._vc
            first._base = True if ctx.write_key is None else (src, ctx.write_key)
            first._seen = src._vc[1]
        if record:
            ctx.inputs = tensors
            ctx.edges = edges = [(t._ctx, t._index) if t.requires_grad else None for t in tensors]
            ctx.needs_input_grad = need = tuple([e is not None for e in edges])
            idx = cls.saves_inputs
            if idx is None:
                idx = range(len(tensors))
            elif type(idx) is not tuple:
                idx = idx(need)
            saved = [(tensors[i]._vc, tensors[i]._vc[0], i) for i in idx]
            if type(result) is tuple:
                ctx._n_out = len(result)
                if cls.saves_output:
                    saved += [(o._vc, 0, -1 - k) for k, o in enumerate(result)]
            elif cls.saves_output and not ctx.view:
                saved.append((first._vc, 0, -1))
            ctx._saved = saved
        return result

    def name(self):
        """PyTorch's name of the node: the op's name with ``Backward0`` (``AddBackward0``)."""
        return type(self).__name__ + "Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def check_saved(self):
        """``RuntimeError`` (PyTorch's message) if an array this op saved was changed in place since forward."""
        for vc, v, i in self._saved:
            if vc[0] != v:
                where = f"input {i}" if i >= 0 else f"output {-1 - i}"
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: {where} of {type(self).__name__} is "
                    f"at version {vc[0]}; expected version {v} instead. Hint: do the in-place change after "
                    f"backward(), or change a copy (.clone()) instead.")


class _Released:
    """Stands in for a Function whose saved arrays were freed by ``backward``."""
    _n_out = 1

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def __init__(self, name):
        self.name = name


def _release(ctx):
    name = ctx.name()
    ctx.__dict__.clear()
    ctx.__class__ = _Released
    ctx.name = lambda: name


def _sequence_dtype(data):
    """PyTorch's dtype for a nested list of numbers: each element has a dtype (a Python float float32, an int
    int64, a bool bool; a NumPy scalar or a 0-d Tensor its own), and the result is the widest of the highest
    category (bool < integer < floating), so ``[np.float64(1), 2.0]`` is float64 and ``[np.int32(1)]`` int32.
    None where the list holds something else, or nothing."""
    best, rank = None, -1
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        if isinstance(x, (np.generic, Tensor)):           # before float: np.float64 is a float subclass
            if np.ndim(x):
                return None
            d = np.dtype(x.dtype)
        elif isinstance(x, bool):
            d = bool_
        elif isinstance(x, int):
            d = int64
        elif isinstance(x, float):
            d = float32
        else:
            return None
        r = "biuf".index(d.kind) if d.kind in "biuf" else 3
        r = 2 if r == 1 else r                       # signed and unsigned integers are one category
        if r > rank or (r == rank and d.itemsize > best.itemsize):
            best, rank = d, r
    return best


class Tensor:
    """An n-dimensional array on a device, with an optional gradient (PyTorch's ``torch.Tensor`` in small)."""

    __slots__ = ("_data", "device", "requires_grad", "_grad", "_ctx", "_index", "_vc", "_base", "_seen",
                 "__weakref__")
    __array_priority__ = 1000  # NumPy defers ``ndarray (op) Tensor`` to the Tensor's reflected operator

    def __init__(self, *args, device=None):
        """PyTorch's legacy constructor: ``Tensor(2, 3)`` an uninitialised float32 tensor of that size,
        ``Tensor([1, 2])`` (a sequence, array or tensor) its values as float32, ``Tensor()`` an empty one. Use
        ``tinygradnb.tensor`` to keep the data's dtype."""
        if not args or all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            sizes = tuple(int(a) for a in args) if args else (0,)
            if any(s < 0 for s in sizes):
                raise RuntimeError(f"Tensor: sizes must be non-negative, got {sizes}")
            b = _device.backend(_device.normalize(device))
            self._set(b.empty(sizes, float32), _device.normalize(device))
        elif len(args) == 1:
            self._init(args[0], float32, device, False)
        else:
            raise TypeError(f"Tensor: expected sizes (ints) or one sequence of data, got {args!r}")

    @classmethod
    def _from(cls, data, dtype=None, device=None, requires_grad=False):
        """A tensor holding a copy of ``data`` (``tinygradnb.tensor``'s rules: Python floats float32, ints int64,
        arrays keep their dtype)."""
        t = object.__new__(cls)
        t._init(data, dtype, device, requires_grad)
        return t

    def _set(self, arr, dev):
        self._data = arr
        self.device = dev
        self._grad = None
        self._ctx = None
        self._index = 0
        self._base = None
        self._vc = [0, 0]
        self.requires_grad = False

    def _init(self, data, dtype, device, requires_grad):
        gpu = _is_gpu_array(data)
        if device is None:
            device = "cuda" if gpu else getattr(data, "device", None)
        dev = _device.normalize(device)
        b = _device.backend(dev)
        dtype = as_dtype(dtype)
        if isinstance(data, Tensor):
            data = data.to(dev)._data
            arr = b.copy(data) if dtype is None else b.astype(data, dtype)
        elif gpu:  # a GPU array of another library (CuPy, PyTorch, Numba): copied on the device
            src = _device.backend("cuda").asarray(data)
            as_dtype(src.dtype, "data")
            if dev != "cuda":
                src = np.asarray(_device.read("cuda", src))
            arr = b.copy(src) if dtype is None or src.dtype == dtype else b.astype(src, dtype)
        elif isinstance(data, (np.ndarray, np.generic)) or dtype is not None:
            arr = np.array(data, dtype=dtype)
            if arr.dtype not in _SUPPORTED:
                arr = np.array(arr, dtype=as_dtype(arr.dtype, "data"))
            arr = b.asarray(arr)
        else:
            arr = np.array(data)
            seq = _sequence_dtype(data) if arr.dtype.kind in "biuf" and isinstance(data, (list, tuple)) else None
            if seq is not None:
                arr = arr.astype(as_dtype(seq, "data"), copy=False)
            elif arr.dtype.kind == "f":
                arr = arr.astype(float32)
            elif arr.dtype.kind in "iu":
                arr = arr.astype(int64)
            elif arr.dtype not in _SUPPORTED:
                raise TypeError(f"data: expected numbers, nested lists of numbers or an array, "
                                f"got {type(data).__name__} holding {arr.dtype}")
            arr = b.asarray(arr)
        self._set(arr, dev)
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data, device, requires_grad, ctx):
        t = object.__new__(cls)
        t._data = data
        t.device = device
        t.requires_grad = requires_grad
        t._grad = None
        t._ctx = ctx
        t._index = 0
        t._base = None
        t._vc = [0, 0]
        return t

    def _view_of(self, data):
        """A tensor outside the graph over ``data``, an array sharing this tensor's memory (same version counter)."""
        t = Tensor._wrap(data, self.device, False, None)
        t._vc = self._vc
        t._base, t._seen = True, self._vc[1]
        return t

    def _bump(self):
        """Record an in-place write into this tensor's memory (PyTorch's version counter)."""
        self._vc[0] += 1
        return self

    def _inplace_records(self, name, *others):
        """Whether an in-place op ``name`` on this tensor (with operands ``others``) must be recorded in the graph;
        ``RuntimeError`` where PyTorch forbids it (a leaf that requires grad) or tinygradnb cannot record it (a
        view other than a basic slice ``x[key]``, which writes through to ``x``)."""
        if not _grad_mode.enabled or not (self.requires_grad or any(getattr(o, "requires_grad", False)
                                                                     for o in others)):
            return False
        if self.requires_grad and self._ctx is None:
            raise RuntimeError(f"{name}: a leaf tensor that requires grad is being used in an in-place operation "
                               f"(wrap parameter updates in tinygradnb.no_grad())")
        if self._base is True:
            raise RuntimeError(f"{name}: in-place operation with autograd on a view (a slice, reshape, detach() "
                               f"or .data of another tensor) is not supported; write into the base tensor "
                               f"(x[key] = value) or use the out-of-place op")
        return True

    def _assign(self, out):
        """Write ``out`` (a tensor of this tensor's shape) into this tensor's memory, as an in-place op does: its
        views see the values and its version counts the write. When ``out`` was recorded in the graph this
        tensor becomes ``out``'s node (PyTorch's rebase of an in-place op's history); ops recorded earlier keep
        their edges to the node this tensor had when they read it."""
        vc = self._vc
        if out._data is not self._data:
            _device.backend(self.device).setitem(self._data, Ellipsis, out._data)
        vc[0] += 1
        if out._ctx is not None:
            self._ctx, self._index, self.requires_grad = out._ctx, out._index, True
            vc[1] += 1                          # views taken before now hold an outdated place in the graph
            self._seen = vc[1]
        return self

    def _snapshot(self):
        """A tensor holding a copy of this tensor's current values in its current place in the graph: the
        operand an in-place op records, so that what it saves stays as it read it."""
        t = Tensor._wrap(_device.backend(self.device).copy(self._data), self.device, self.requires_grad, self._ctx)
        t._index = self._index
        return t

    @property
    def _version(self):
        """How many in-place writes this tensor's memory has had (shared by its views), as PyTorch's."""
        return self._vc[0]

    # ----------------------------------------------------------------- data and grad
    @property
    def data(self):
        """The same memory as a tensor outside the graph (``requires_grad=False``); in-place writes through it
        change this tensor and count as in-place writes to it."""
        return self._view_of(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data: expected a Tensor, got {type(value).__name__}")
        if value.device != self.device:
            raise RuntimeError(f"data: the new data is on {value.device!r}, this tensor on {self.device!r}")
        self._data, self._vc = value._data, value._vc

    @property
    def grad(self):
        """The accumulated gradient (a tensor of this tensor's shape, dtype and device), or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned grad must be a Tensor or None, got {type(value).__name__}")
            if value.device != self.device:
                raise RuntimeError(f"grad: assigned grad is on {value.device!r}, the tensor on {self.device!r}")
            if value.dtype != self.dtype:
                raise RuntimeError(f"grad: assigned grad has dtype {value.dtype}, the tensor {self.dtype}")
            if value.shape != self.shape:
                raise RuntimeError(f"grad: assigned grad has shape {tuple(value.shape)}, the tensor "
                                   f"{tuple(self.shape)}")
        self._grad = value

    # ----------------------------------------------------------------- properties
    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        """The ``Function`` that made this tensor (None for a leaf or outside autograd), as PyTorch's."""
        return self._ctx

    def size(self, dim=None):
        """The shape as a ``Size`` (``dim=None``) or the length of one dimension, as ``torch.Tensor.size``."""
        shape = self._data.shape
        if dim is None:
            return Size(shape)
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"size(): dim must be an int, got {dim!r}")
        n = max(len(shape), 1)
        if not -n <= dim < n:
            raise IndexError(f"size(): dim {dim} is out of range for a tensor with {len(shape)} dimension(s)")
        return shape[dim] if shape else 1

    def numel(self):
        return self._data.size

    def dim(self):
        return self._data.ndim

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ----------------------------------------------------------------- conversion
    def numpy(self):
        """The values as a NumPy array (shares memory with a CPU tensor)."""
        return _device.read(self.device, self._data)

    @property
    def __cuda_array_interface__(self):
        """The CUDA array interface of a CUDA tensor's data, so that CuPy, PyTorch and Numba can use it without a
        copy (``cupy.asarray(t)``, ``torch.as_tensor(t, device="cuda")``); CPU tensors do not have it."""
        if self.device != "cuda":
            raise AttributeError(f"__cuda_array_interface__: only CUDA tensors expose it; this tensor is on "
                                 f"{self.device!r} (use .cuda())")
        return self._data.__cuda_array_interface__

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr.astype(dtype) if dtype is not None else arr

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item(): expected a tensor with one element, got shape {self.shape}")
        return self.numpy().reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """The same memory, cut from the graph (in-place writes to either count for both, as in PyTorch)."""
        return self._view_of(self._data)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.dtype not in _FLOATS:
            raise TypeError(f"requires_grad: only float32/float64 tensors can require gradients, got {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after ``backward`` (a leaf keeps it anyway)."""
        ctx = self._ctx
        if ctx is not None:
            retained = ctx.__dict__.setdefault("_retained", [])
            if not any(t is self for t in retained):
                retained.append(self)
        return self

    def to(self, target):
        """A copy in another dtype (``t.to(float64)``) or on another device (``t.to("cuda")``)."""
        if isinstance(target, str) and target.split(":")[0] in _device._MODULES:
            dev = _device.normalize(target)
            if dev == self.device:
                return self
            data = _device.backend(dev).asarray(_device.read(self.device, self._data))
            return Tensor._wrap(data, dev, self.requires_grad, None) if self.is_leaf else _ops.to_device(self, dev)
        return _ops.cast(self, as_dtype(target))

    def type(self, dtype=None):
        """Without an argument PyTorch's type name (``'torch.FloatTensor'``, ``'torch.cuda.LongTensor'``); with a
        dtype, a legacy type (``tinygradnb.LongTensor``) or its name, the tensor in that dtype."""
        if dtype is None:
            return f"torch.{'cuda.' if self.device == 'cuda' else ''}{_TYPE_NAMES[self.dtype]}"
        if isinstance(dtype, str) and dtype.split(".")[-1] in _NAME_TYPES:
            dtype = _NAME_TYPES[dtype.split(".")[-1]]
        elif isinstance(dtype, _LegacyType):
            dtype = dtype.dtype
        return _ops.cast(self, as_dtype(dtype))

    def type_as(self, other):
        """This tensor in ``other``'s dtype."""
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as(): other must be a Tensor, got {type(other).__name__}")
        return _ops.cast(self, other.dtype)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A new tensor of ``data`` with this tensor's dtype and device unless given (``Tensor.new_tensor``)."""
        return Tensor._from(data, dtype=self.dtype if dtype is None else dtype,
                            device=self.device if device is None else device, requires_grad=requires_grad)

    def _new(self, fill, size, dtype, device, requires_grad):
        from .creation import full
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        return full(size, fill, dtype=self.dtype if dtype is None else dtype,
                    device=self.device if device is None else device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of ``size`` with this tensor's dtype and device unless given."""
        return self._new(0, size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of ``size`` with this tensor's dtype and device unless given."""
        return self._new(1, size, dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        """``fill_value`` in a tensor of ``size`` with this tensor's dtype and device unless given."""
        return self._new(fill_value, (size,), dtype, device, requires_grad)

    def float(self):
        return _ops.cast(self, float32)

    def double(self):
        return _ops.cast(self, float64)

    def long(self):
        return _ops.cast(self, int64)

    def int(self):
        return _ops.cast(self, int32)

    def bool(self):
        return _ops.cast(self, bool_)

    @property
    def is_cuda(self):
        return self.device == "cuda"

    def get_device(self):
        """-1 on the CPU, else the GPU's index (``torch.Tensor.get_device``)."""
        return 0 if self.device == "cuda" else -1

    def nelement(self):
        return self.numel()

    def ndimension(self):
        return self.ndim

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
            name = self._ctx.name()
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
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __index__(self):
        if self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype}")
        return int(self.item())

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None, *, grad=None):
        """Accumulate d(self)/d(leaf) · ``gradient`` into the ``.grad`` of every leaf that requires a gradient
        (only of ``inputs`` when given), as ``torch.Tensor.backward``."""
        run_backward([self], [grad if gradient is None else gradient], retain_graph, create_graph, inputs)


def _seed(t, grad, b):
    """The gradient array that starts the backward pass at ``t``."""
    if not isinstance(t, Tensor):
        raise TypeError(f"backward(): expected Tensors to differentiate, got {type(t).__name__}")
    if not t.requires_grad:
        raise RuntimeError("backward(): element 0 of tensors does not require grad and does not have a grad_fn")
    if grad is None:
        if t._data.size != 1:
            raise RuntimeError(f"backward(): grad can be implicitly created only for scalar outputs, got shape "
                               f"{tuple(t.shape)}; pass a gradient of that shape")
        return b.full(t.shape, 1, t.dtype), False
    g = grad._data if isinstance(grad, Tensor) else b.asarray(np.asarray(grad, dtype=t.dtype))
    if g.shape != t.shape:
        raise RuntimeError(f"backward(): the gradient has shape {tuple(g.shape)}, the output {tuple(t.shape)}")
    return (g if g.dtype == t.dtype else b.astype(g, t.dtype)), True


def run_backward(roots, grads, retain_graph=None, create_graph=False, inputs=None, accumulate=True):
    """The backward pass from ``roots`` (tensors) seeded with ``grads`` (None for a one-element root): every op
    reachable along edges that need a gradient runs its ``backward`` once, after all its consumers. With
    ``accumulate`` the leaves' ``.grad`` (only those of ``inputs`` when given) receive their gradients; without
    it nothing is written and the gradients of ``inputs`` (leaves or not; None where none arrived) are returned,
    as ``torch.autograd.grad``."""
    if create_graph:
        raise RuntimeError("backward(): create_graph=True (gradients of gradients) is not supported by tinygradnb")
    if not roots:
        raise RuntimeError("backward(): no tensors to differentiate")
    dev = roots[0].device if isinstance(roots[0], Tensor) else "cpu"
    b = _device.backend(dev)
    # How many times each gradient array was handed out in this pass. A leaf takes its gradient without a copy
    # when the array was handed out once and is not a view: nothing else (another leaf, a saved array, the
    # caller's gradient) can then see later in-place changes to ``.grad``. Keyed by id with a weak reference to the
    # array: an id freed during the pass may come back for a new array, which must not inherit the old count.
    handed = {}
    leaves = {}                             # id(leaf) -> [leaf, its gradient]
    pending = {}                            # id(op) -> [gradient per output]
    nodes = []
    for t, grad in zip(roots, grads):
        g, given = _seed(t, grad, b)
        if t.device != dev:
            raise RuntimeError(f"backward(): all outputs must be on one device, got {dev!r} and {t.device!r}")
        handed[id(g)] = [2 if given else 1, _ref(g)]
        if t._ctx is None:
            _add_grad(leaves, t, g, b)
        else:
            slots = pending.setdefault(id(t._ctx), [None] * t._ctx._n_out)
            slots[t._index] = g if slots[t._index] is None else b.add(slots[t._index], g)
            nodes.append(t._ctx)
    wanted = None                           # what autograd.grad asks for: id(leaf) or (id(op), index) -> position
    if inputs is not None:
        wanted = {}
        for k, x in enumerate(inputs):
            if not isinstance(x, Tensor):
                raise TypeError(f"inputs[{k}]: expected a Tensor, got {type(x).__name__}")
            if not x.requires_grad:
                raise RuntimeError(f"inputs[{k}]: one of the differentiated Tensors does not require grad")
            wanted[id(x) if x._ctx is None else (id(x._ctx), x._index)] = k
    captured = [None] * (len(inputs) if inputs is not None else 0)
    # Gradients flow along the edges each op recorded at forward time — (op, output index) of each input — so an
    # input rewritten in place later (which makes it the output of a newer op) still sends its gradient to the
    # op that produced the value the op read.
    for ctx in _toposort(nodes):
        outs = pending.pop(id(ctx), None)
        if outs is None:
            continue
        if wanted is not None:
            for i, go in enumerate(outs):
                k = wanted.get((id(ctx), i))
                if k is not None and go is not None:
                    captured[k] = go
        if accumulate:
            for t in ctx.__dict__.get("_retained", ()):        # retain_grad() on one of this op's outputs
                go = outs[t._index]
                if go is not None:
                    t._grad = Tensor._wrap(b.copy(go) if t._grad is None else b.add(t._grad._data, go), t.device,
                                           False, None)
        ctx.check_saved()
        in_grads = ctx.backward(outs[0]) if ctx._n_out == 1 else ctx.backward(*outs)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        for inp, ig, edge in zip(ctx.inputs, in_grads, ctx.edges):
            if ig is None or edge is None:
                continue
            parent, index = edge
            if parent is None:
                ig = _add_grad(leaves, inp, ig, b)
            else:
                slots = pending.get(id(parent))
                if slots is None:
                    slots = pending[id(parent)] = [None] * parent._n_out
                if slots[index] is not None:
                    ig = b.add(slots[index], ig)
                slots[index] = ig
            slot = handed.get(id(ig))
            if slot is None or slot[1]() is not ig:
                handed[id(ig)] = [1, _ref(ig)]
            else:
                slot[0] += 1
        if not retain_graph:
            _release(ctx)
    if not accumulate:
        for t, g in leaves.values():
            k = wanted.get(id(t))
            if k is not None:
                captured[k] = g
        return [None if g is None else Tensor._wrap(b.copy(g), dev, False, None) for g in captured]
    for t, g in leaves.values():
        if wanted is not None and id(t) not in wanted:
            continue
        if t._grad is not None:
            t._grad = Tensor._wrap(b.add(t._grad._data, g), t.device, False, None)
        elif handed[id(g)][0] == 1 and not b.is_view(g):
            t._grad = Tensor._wrap(g, t.device, False, None)
        else:
            t._grad = Tensor._wrap(b.copy(g), t.device, False, None)
    return None


def _ref(a):
    """A weak reference to the array ``a``; NumPy scalars take none, and are held (they are small)."""
    try:
        return weakref.ref(a)
    except TypeError:
        return lambda: a


def _add_grad(leaves, t, g, b):
    slot = leaves.get(id(t))
    if slot is None:
        leaves[id(t)] = [t, g]
        return g
    slot[1] = g = b.add(slot[1], g)
    return g


def _toposort(roots):
    """The ops reachable from ``roots`` along edges that need a gradient, each after every op that consumes one
    of its outputs (no recursion)."""
    order, seen = [], set()
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        ctx, done = stack.pop()
        if done:
            order.append(ctx)
            continue
        if id(ctx) in seen:
            continue
        if isinstance(ctx, _Released):
            raise RuntimeError(f"backward(): trying to backward through the graph a second time (through "
                               f"{ctx.name()}); its saved arrays were freed. Pass retain_graph=True to the "
                               f"first backward() to keep them.")
        seen.add(id(ctx))
        stack.append((ctx, True))
        for e in ctx.edges:
            if e is not None and e[0] is not None and id(e[0]) not in seen:
                stack.append((e[0], False))
    order.reverse()
    return order


class Size(tuple):
    """A tensor's shape (``torch.Size``): a tuple of ints."""

    def __new__(cls, sizes=()):
        return super().__new__(cls, (int(s) for s in sizes))

    def __repr__(self):
        return f"tinygradnb.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


_TYPE_NAMES = {float32: "FloatTensor", float64: "DoubleTensor", int64: "LongTensor", int32: "IntTensor",
               bool_: "BoolTensor"}
_NAME_TYPES = {v: k for k, v in _TYPE_NAMES.items()}


class _LegacyType(type):
    """PyTorch's legacy tensor types (``torch.LongTensor``...): calling one makes a CPU tensor of its dtype
    (``LongTensor([1, 2])``, ``FloatTensor(2, 3)`` uninitialised), ``isinstance`` checks dtype and device."""

    def __call__(cls, *args):
        if not args or all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            t = Tensor(*args)
            return t if cls.dtype == float32 else Tensor._from(np.empty(t.shape, cls.dtype))
        if len(args) != 1:
            raise TypeError(f"{cls.__name__}: expected sizes (ints) or one sequence of data, got {args!r}")
        return Tensor._from(args[0], dtype=cls.dtype, device="cpu")

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.device == "cpu"


FloatTensor = _LegacyType("FloatTensor", (), {"dtype": float32})
DoubleTensor = _LegacyType("DoubleTensor", (), {"dtype": float64})
LongTensor = _LegacyType("LongTensor", (), {"dtype": int64})
IntTensor = _LegacyType("IntTensor", (), {"dtype": int32})
BoolTensor = _LegacyType("BoolTensor", (), {"dtype": bool_})


from . import ops as _ops  # noqa: E402  (ops build on Tensor and Function)
