"""The device seam: the one place that maps a device name to its module of kernels.

Every op in ``tinygradnb.ops`` reaches array data only through the module returned here, so a new device is one
more kernels package with the same function names (``tinygradnb.kernels.cpu`` today). Backends are imported on
first use: ``import tinygradnb`` loads neither Numba nor any GPU runtime.
"""
import importlib

_MODULES = {"cpu": "tinygradnb.kernels.cpu", "cuda": "tinygradnb.kernels.cuda"}
_loaded = {}


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
    _loaded[device] = _loaded[name] = mod
    return mod
