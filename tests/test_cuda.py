"""The CUDA backend, proven in processes of their own: the op test suite with ``TGNB_TEST_DEVICES=cuda`` (every test
that takes the ``device`` fixture, plus tests/cuda) on the GPU when there is one, else under Numba's CUDA simulator
(which must be switched on before Numba is imported); then every kernel signature that run launched compiled to
PTX for sm_80 and sm_90 (tests/cuda/ptx_check.py)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba.cuda", reason="numba-cuda is not installed (pip install -e '.[cuda]')")

ROOT = Path(__file__).resolve().parents[1]


def _gpu_available():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    p = subprocess.run([sys.executable, "-c", "from numba import cuda; print(cuda.is_available())"], env=env,
                       capture_output=True, text=True)
    return p.stdout.strip().endswith("True")


@pytest.fixture(scope="module")
def cuda_run(tmp_path_factory):
    record = tmp_path_factory.mktemp("cuda") / "signatures.jsonl"
    gpu = _gpu_available()
    env = dict(os.environ, TGNB_TEST_DEVICES="cuda", TGNB_CUDA_RECORD=str(record))
    if not gpu:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                        str(ROOT / "tests")], env=env, capture_output=True, text=True, cwd=ROOT)
    return p, record, gpu


def test_cuda_kernels_match_cpu(cuda_run):
    p, _, gpu = cuda_run
    tail = (p.stdout + p.stderr)[-6000:]
    assert p.returncode == 0, f"the suite on cuda failed ({'GPU' if gpu else 'simulator'}):\n{tail}"
    # a missing device skips tests/cuda as a whole; a test that only means something on the cpu may skip itself
    assert " passed" in p.stdout and "no CUDA device" not in p.stdout + p.stderr, tail


def test_every_kernel_compiles_to_ptx(cuda_run):
    p, record, _ = cuda_run
    assert p.returncode == 0 and record.exists(), "the suite on cuda must pass (and record signatures) first"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    q = subprocess.run([sys.executable, str(ROOT / "tests" / "cuda" / "ptx_check.py"), str(record)], env=env,
                       capture_output=True, text=True, cwd=ROOT)
    assert q.returncode == 0, (q.stdout + q.stderr)[-6000:]
