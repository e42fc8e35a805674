"""``tinygradnb.cuda``: whether the ``cuda`` device can be used (``torch.cuda`` in small).

Nothing here imports ``numba.cuda`` until a function is called, so ``import tinygradnb`` stays light.
"""


def is_available():
    """True when tensors can be placed on the ``cuda`` device: numba-cuda is installed (the ``cuda`` extra) and
    finds an NVIDIA GPU with a working driver, or Numba's CUDA simulator is switched on (``NUMBA_ENABLE_CUDASIM=1``
    before Numba is imported)."""
    try:
        from numba import cuda
    except ImportError:
        return False
    try:
        return bool(cuda.is_available())
    except Exception:  # a broken driver means "not available", as torch.cuda.is_available
        return False


def device_count():
    """The number of CUDA GPUs Numba sees (1 under the simulator, 0 without a usable device)."""
    if not is_available():
        return 0
    from numba import cuda
    return len(cuda.gpus)


def synchronize():
    """Wait until every kernel launched so far has finished (for timing GPU work from the host), and run the
    argument checks that were waiting for it (``tinygradnb.device.check``): a bad label or index given to an op
    on ``cuda`` raises here at the latest."""
    if is_available():
        from numba import cuda
        from . import device
        device.flush("cuda")
        cuda.synchronize()


def empty_cache():
    """Give the device memory that the caching allocator holds in free blocks back to the driver
    (``torch.cuda.empty_cache``); arrays in use keep theirs."""
    if is_available() and "cuda" in _loaded_devices():
        from .kernels.cuda import _launch
        _launch.empty_cache()


def memory_allocated(device=None):
    """Bytes of device memory held by live tensors, counted in the caching allocator's blocks
    (``torch.cuda.memory_allocated``); 0 before the ``cuda`` device is first used."""
    return _memory_stat("allocated")


def memory_reserved(device=None):
    """Bytes of device memory the caching allocator holds, in use or free for reuse
    (``torch.cuda.memory_reserved``)."""
    return _memory_stat("reserved")


def _loaded_devices():
    from . import device
    return device.loaded()


def _memory_stat(key):
    if "cuda" not in _loaded_devices():
        return 0
    from .kernels.cuda import _launch
    return _launch.memory_stats()[key]
