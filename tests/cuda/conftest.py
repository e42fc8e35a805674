"""What only the ``cuda`` device has: host/device transfers, interop, errors reported at the next read, and the
example models trained on ``cuda`` against the CPU.

The op tests themselves run on ``cuda`` through the ``device`` fixture (tests/conftest.py). This folder needs a
CUDA device: a real GPU, or Numba's simulator, switched on before Numba is imported (``NUMBA_ENABLE_CUDASIM=1``);
``tests/test_cuda.py`` runs it with the rest of the suite on ``cuda`` in a process of its own.
"""
import pytest

cuda = pytest.importorskip("numba.cuda", reason="numba-cuda is not installed (pip install -e '.[cuda]')")

if not cuda.is_available():
    pytest.skip("no CUDA device (set NUMBA_ENABLE_CUDASIM=1 to use the simulator)", allow_module_level=True)
