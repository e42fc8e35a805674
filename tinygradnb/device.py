"""The device seam: the one place that maps a device name to its module of kernels.

Every op in ``tinygradnb.ops`` reaches array data only through the module returned here, so a new device is one
more kernels package with the same function names (``tinygradnb.kernels.cpu`` and ``tinygradnb.kernels.cuda``).
Backends are imported on first use: ``import tinygradnb`` loads neither Numba nor any GPU runtime.

Copies to the host go through ``read``, the one place where a GPU's queue of kernels is waited for; argument
checks that need the values of a GPU array (label and index ranges) are handed to ``check``, which runs them at
the next ``read`` instead of stalling the queue on every call (PyTorch reports its device-side asserts
asynchronously too). The GPU kernels that consume such values stay inside their arrays when a value is bad.
"""
import importlib

_MODULES = {"cpu": "tinygradnb.kernels.cpu", "cuda": "tinygradnb.kernels.cuda"}
_modules = {}        # canonical name -> its kernels module
_loaded = {}         # device string -> what backend() returns: the module, or its wrapper while one is set
_wrapper = None      # None, or a class wrapper(module, name) set by tinygradnb.profiler while it records


def normalize(device):
    """Return the canonical device name for ``device`` (``None`` means ``"cpu"``), or raise ``ValueError``."""
    if device is None:
        return "cpu"
    name = str(device).split(":")[0]
    if name not in _MODULES:
        raise ValueError(f"device: expected one of {sorted(_MODULES)}, got {device!r}")
    return name


def backend(device):
    """The kernels module of ``device``, imported on first use."""
    try:
        return _loaded[device]
    except KeyError:
        pass
    name = normalize(device)
    try:
        mod = importlib.import_module(_MODULES[name])
    except ImportError as e:
        raise RuntimeError(f"device {name!r} is not available: {e} (pip install '.[cuda]')") from e
    if name == "cuda":
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError("device 'cuda' is not available: Numba finds no NVIDIA GPU with a working driver "
                               "(NUMBA_ENABLE_CUDASIM=1, set before Numba is imported, runs its CUDA simulator)")
    _modules[name] = mod
    _loaded[device] = _loaded[name] = mod if _wrapper is None else _wrapper(mod, name)
    return _loaded[device]


def loaded():
    """The canonical names of the devices whose kernels are loaded."""
    return set(_modules)


def set_wrapper(wrapper):
    """Make ``backend`` return ``wrapper(module, name)`` for every device from now on (``tinygradnb.profiler``
    records kernel calls so), or the modules themselves again with ``None``."""
    global _wrapper
    _wrapper = wrapper
    for device in list(_loaded):
        name = normalize(device)
        _loaded[device] = _modules[name] if wrapper is None else wrapper(_modules[name], name)


_pending = []        # (values, test): checks of small arrays computed on a GPU, run at the next read
_MAX_PENDING = 256   # a loop that never reads still has its checks run every this many


def check(device, values, test):
    """Run ``test(host_values)`` — a function that raises the op's ``ValueError``/``IndexError`` when the values say
    an argument is bad — on ``values``, a small array computed on ``device`` from the op's arguments. On the CPU
    at once; on a GPU at the next ``read`` from it (or once ``_MAX_PENDING`` checks wait), so that checking does
    not wait for the GPU."""
    if device == "cpu":
        test(values)
        return
    _pending.append((values, test))
    if len(_pending) >= _MAX_PENDING:
        flush(device)


def check_range(device, flat, lo, hi, error, skip=None):
    """Check that every element of ``flat`` (a 1-D int64 array on ``device``) other than ``skip`` lies in
    [lo, hi], with one ``index_stats`` pass and ``check``; ``error(bad)`` makes the exception for an offending
    value (the smallest below lo, else the largest above hi). Returns the (min, max, count) array, on the
    device."""
    stats = backend(device).index_stats(flat, 0 if skip is None else skip, skip is not None)

    def test(s):
        if s[0] < lo or s[1] > hi:
            raise error(int(s[0]) if s[0] < lo else int(s[1]))

    check(device, stats, test)
    return stats


def flush(device, *arrays):
    """Run the checks waiting on ``device`` and raise the first failure, with a note that it was found after the
    call; returns the host copies of ``arrays`` (device arrays), fetched with the checks' values in one copy to
    the host."""
    if not _pending and not arrays:
        return []
    checks = list(_pending)
    _pending.clear()
    b = backend(device)
    host = b.to_numpy_many([v for v, _ in checks] + list(arrays))
    for (_, test), values in zip(checks, host):
        try:
            test(values)
        except (ValueError, IndexError) as e:
            e.add_note(f"(checked on the {device!r} device after the call: GPU argument checks run at the next "
                       f"copy to the host)")
            raise
    return host[len(checks):]


def read(device, a):
    """The host NumPy array of ``a`` (an array on ``device``; the array itself on the CPU), after the waiting
    argument checks of that device have passed (their values come to the host in the same copy as ``a``'s)."""
    if _pending and device != "cpu":
        return flush(device, a)[0]
    return backend(device).to_numpy(a)
