"""Tensor constructors: tensor, zeros, ones, full, arange, eye, rand, randn, empty and their ``*_like`` twins; and
``multinomial``, the categorical draws from a tensor of weights."""
import numpy as np

from . import device as _device
from . import random as _random
from .tensor import _SUPPORTED, Tensor, _is_gpu_array, as_dtype, float32, int64


def _shape(size, name):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"{name}: sizes must be non-negative ints, got {size!r}")
    return tuple(int(s) for s in size)


def _make(data, dev, requires_grad):
    return Tensor._wrap(data, dev, False, None).requires_grad_(requires_grad) if requires_grad else \
        Tensor._wrap(data, dev, False, None)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (numbers, nested lists, an array or a Tensor). Python floats
    become float32 and Python ints int64, as in PyTorch; a NumPy array keeps its dtype."""
    return Tensor._from(data, dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None):
    """A tensor that shares memory with ``data`` where it can (``torch.as_tensor``): a C-contiguous NumPy array
    of a supported dtype on the CPU (as ``from_numpy``), or a C-contiguous GPU array exposing
    ``__cuda_array_interface__`` (CuPy, PyTorch, Numba device arrays) on the ``cuda`` device, when ``dtype`` and
    ``device`` already match it; anything else is copied, as by ``tensor``. A Tensor is returned as it is when
    it already has that dtype and device."""
    if isinstance(data, Tensor):
        if (dtype is None or as_dtype(dtype) == data.dtype) and (device is None or
                                                                   _device.normalize(device) == data.device):
            return data
        out = data.to(_device.normalize(device)) if device is not None else data
        return out.to(as_dtype(dtype)) if dtype is not None else out
    gpu = _is_gpu_array(data)
    dev = _device.normalize(device if device is not None else ("cuda" if gpu else None))
    if gpu and dev == "cuda":
        arr = _device.backend("cuda").asarray(data)     # zero-copy when C-contiguous
        if as_dtype(arr.dtype, "data") == (as_dtype(dtype) or arr.dtype):
            return Tensor._wrap(arr, "cuda", False, None)
    if isinstance(data, np.ndarray) and dev == "cpu" and data.flags.c_contiguous and data.dtype in _SUPPORTED \
            and (dtype is None or as_dtype(dtype) == data.dtype):
        return Tensor._wrap(data, "cpu", False, None)
    return Tensor._from(data, dtype=dtype, device=dev)


def from_numpy(array):
    """A CPU tensor sharing memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    as_dtype(array.dtype, "array")
    return Tensor._wrap(array, "cpu", False, None)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value``; the dtype follows the value as in PyTorch (bool, int64 or
    float32) unless ``dtype`` is given."""
    dev = _device.normalize(device)
    dt = as_dtype(dtype)
    if dt is None:
        dt = np.dtype(bool) if isinstance(fill_value, bool) else int64 if isinstance(fill_value, (int, np.integer)) \
            else float32
    shape = _shape((size,) if isinstance(size, (int, np.integer)) else (tuple(size),), "full")
    return _make(_device.backend(dev).full(shape, fill_value, dt), dev, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros."""
    dev = _device.normalize(device)
    return _make(_device.backend(dev).zeros(_shape(size, "zeros"), as_dtype(dtype) or float32), dev, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones."""
    dev = _device.normalize(device)
    return _make(_device.backend(dev).full(_shape(size, "ones"), 1, as_dtype(dtype) or float32), dev, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """A tensor whose values are not initialised."""
    dev = _device.normalize(device)
    return _make(_device.backend(dev).empty(_shape(size, "empty"), as_dtype(dtype) or float32), dev, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """start, start + step, … below ``end`` (int64 for int arguments, float32 otherwise)."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    dt = as_dtype(dtype) or (int64 if ints else float32)
    dev = _device.normalize(device)
    return _make(_device.backend(dev).arange(start, end, step, dtype=dt), dev, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False):
    """U[0, 1) numbers from the library's seeded stream (``manual_seed``)."""
    shape, dev = _shape(size, "rand"), _device.normalize(device)
    n = int(np.prod(shape, dtype=np.int64))
    seed, offset = _random.draw(n)
    return _make(_device.backend(dev).uniform(shape, _float_dtype(dtype, "rand"), seed, offset), dev, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False):
    """N(0, 1) numbers from the library's seeded stream (``manual_seed``)."""
    shape, dev = _shape(size, "randn"), _device.normalize(device)
    n = int(np.prod(shape, dtype=np.int64))
    seed, offset = _random.draw(2 * n)
    return _make(_device.backend(dev).normal(shape, _float_dtype(dtype, "randn"), seed, offset), dev, requires_grad)


_MULTINOMIAL_ERRORS = {1: "holds a negative, NaN or infinite weight", 2: "has a row whose weights sum to 0",
                       3: "has a row with fewer positive weights than num_samples, which replacement=False needs"}


def multinomial(input, num_samples, replacement=False):
    """Indices drawn from the categorical distributions in the rows of ``input`` (as ``torch.multinomial``):
    ``input`` (C,) or (N, C) holds non-negative weights (probabilities, or any unnormalised weights), and index j
    of row r is drawn with probability input[r, j] / Σ_j input[r, j]. Returns an int64 tensor (num_samples,) or
    (N, num_samples) on ``input``'s device. Without ``replacement`` a row's draws are distinct (each drawn
    category leaves the row, the rest renormalised). The uniform numbers come from the library's seeded stream
    (``manual_seed``), so the CPU and a GPU draw the same indices. Invalid weights (negative, NaN, infinite, a
    zero row) raise ``ValueError`` — on a GPU at the next copy to the host (``tinygradnb.device.check``)."""
    fn = "multinomial"
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{fn}: input must be a float32 or float64 tensor of weights, got {input.dtype}")
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise ValueError(f"{fn}: input must have shape (C,) or (N, C) with C >= 1 categories, got {input.shape}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
        raise ValueError(f"{fn}: num_samples must be a positive int, got {num_samples!r}")
    num_samples = int(num_samples)
    replacement = bool(replacement)
    if not replacement and num_samples > input.shape[-1]:
        raise ValueError(f"{fn}: cannot draw {num_samples} samples without replacement from {input.shape[-1]} "
                         f"categories")
    b, dev = _device.backend(input.device), input.device
    p = b.contiguous(b.reshape(input._data, (-1, input.shape[-1])))
    seed, offset = _random.draw(p.shape[0] * num_samples)
    out, status = b.multinomial(p, num_samples, replacement, seed, offset)
    if p.shape[0]:
        def test(s):
            if s[0]:
                raise ValueError(f"{fn}: input {_MULTINOMIAL_ERRORS[int(s[0])]}")

        _device.check(dev, b.reshape(b.max(status), (1,)), test)
    return Tensor._wrap(b.reshape(out, (num_samples,)) if input.ndim == 1 else out, dev, False, None)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The (n, m) identity: 1 where row == column, else 0 (``torch.eye``; m defaults to n, dtype to float32)."""
    for name, v in (("n", n), ("m", m)):
        if v is None and name == "m":
            continue
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"eye: {name} must be an int, got {type(v).__name__} {v!r}")
        if v < 0:
            raise RuntimeError(f"eye: {name} must be greater or equal to 0, got {v}")
    n = int(n)
    m = n if m is None else int(m)
    dev = _device.normalize(device)
    b = _device.backend(dev)
    diag = b.equal(b.reshape(b.arange(n, dtype=int64), (n, 1)), b.reshape(b.arange(m, dtype=int64), (1, m)))
    return _make(b.astype(diag, as_dtype(dtype) or float32), dev, requires_grad)


def _float_dtype(dtype, name):
    dt = as_dtype(dtype) or float32
    if dt.kind != "f":
        raise TypeError(f"{name}: dtype must be float32 or float64, got {dt}")
    return dt


def _like(fn):
    def like(t, *args, dtype=None, device=None, requires_grad=False, **kw):
        return fn(t.shape, *args, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad,
                  **kw)
    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"``{fn.__name__}`` with the shape, dtype and device of ``t``."
    return like


zeros_like, ones_like, empty_like, rand_like, randn_like = (_like(f) for f in (zeros, ones, empty, rand, randn))


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    """``full`` with the shape, dtype and device of ``t``."""
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)
