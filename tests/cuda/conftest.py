"""The CUDA half of the test suite: every CUDA kernel against its CPU twin, and models on the ``cuda`` device.

These tests need a CUDA device: a real GPU, or Numba's simulator, which must be switched on before Numba is
imported (``NUMBA_ENABLE_CUDASIM=1``). The main run (``python -m pytest``) therefore does not collect this folder;
``tests/test_cuda.py`` runs it in a process of its own under the simulator, and on a machine with a GPU
``python -m pytest tests/cuda`` runs the same tests on the GPU.
"""
import sys

import numpy as np
import pytest

cuda = pytest.importorskip("numba.cuda", reason="numba-cuda is not installed (pip install -e '.[cuda]')")

if not cuda.is_available():
    pytest.skip("no CUDA device (set NUMBA_ENABLE_CUDASIM=1 to use the simulator)", allow_module_level=True)

if cuda.simulator_enabled if hasattr(cuda, "simulator_enabled") else __import__("numba").config.ENABLE_CUDASIM:
    # The simulator runs each CUDA thread as a Python thread and meets cuda.syncthreads() with a barrier; with
    # the interpreter's default 5 ms switch interval a barrier can cost several intervals. A short interval made
    # a training step of the XOR MLP ~8x faster (2.6 s -> 0.32 s).
    sys.setswitchinterval(5e-5)


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
