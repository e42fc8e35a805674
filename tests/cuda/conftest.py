"""What only the ``cuda`` device has: host/device transfers, errors reported at the next read, kernels against their
CPU twins where an op test cannot reach them, and the example models on ``cuda``.

The op tests themselves run on ``cuda`` through the ``device`` fixture (tests/conftest.py). This folder needs a
CUDA device: a real GPU, or Numba's simulator, switched on before Numba is imported (``NUMBA_ENABLE_CUDASIM=1``);
``tests/test_cuda.py`` runs it with the rest of the suite on ``cuda`` in a process of its own.
"""
import numpy as np
import pytest

cuda = pytest.importorskip("numba.cuda", reason="numba-cuda is not installed (pip install -e '.[cuda]')")

if not cuda.is_available():
    pytest.skip("no CUDA device (set NUMBA_ENABLE_CUDASIM=1 to use the simulator)", allow_module_level=True)


def dev(a):
    """A host array on the device."""
    return cuda.to_device(np.ascontiguousarray(a))


def host(a):
    """A device array's values on the host (tuples and scalars pass through element-wise)."""
    if isinstance(a, tuple):
        return tuple(host(x) for x in a)
    return a.copy_to_host() if hasattr(a, "copy_to_host") else a


def rand(shape, dtype=np.float32, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def tol(dtype):
    """Agreement expected between a CUDA kernel and its CPU twin: float32 kernels may differ by a few roundings
    (different order of sums, libdevice vs the CPU's vectorised exp/tanh), float64 ones barely."""
    return dict(rtol=2e-5, atol=2e-6) if np.dtype(dtype) == np.float32 else dict(rtol=1e-11, atol=1e-12)
