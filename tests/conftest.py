"""tests/cuda needs a CUDA device or Numba's simulator, which must be switched on before Numba is imported: the
main run leaves that folder to tests/test_cuda.py, which runs it in a process of its own. Set TGNB_CUDA_TESTS=1
to collect it directly (``TGNB_CUDA_TESTS=1 python -m pytest tests/cuda`` on a GPU machine)."""
import os

collect_ignore = [] if os.environ.get("TGNB_CUDA_TESTS") else ["cuda"]
