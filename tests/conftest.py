"""One op test suite over every device.

A test that takes the ``device`` fixture runs once per device of ``TGNB_TEST_DEVICES`` (comma-separated; ``cpu``
unless set). The ``cuda`` device needs a GPU or Numba's simulator, and the simulator must be switched on before
Numba is imported, so the main run (``python -m pytest``) covers ``cpu`` and leaves ``cuda`` to
``tests/test_cuda.py``: it runs this same suite in a process of its own with ``TGNB_TEST_DEVICES=cuda`` (the GPU
when there is one, else the simulator). A run without ``cpu`` in its devices keeps only the tests that take
``device``, plus ``tests/cuda`` (what only the ``cuda`` device has: host/device transfers, queued errors, the
example scripts on ``cuda``). On a GPU machine, ``TGNB_TEST_DEVICES=cpu,cuda python -m pytest`` runs everything
in one process.
"""
import os
import sys

import pytest

DEVICES = [d.strip() for d in os.environ.get("TGNB_TEST_DEVICES", "cpu").split(",") if d.strip()]
for _d in DEVICES:
    if _d not in ("cpu", "cuda"):
        raise ValueError(f"TGNB_TEST_DEVICES: unknown device {_d!r} (expected cpu and/or cuda)")

collect_ignore = [] if "cuda" in DEVICES else ["cuda"]

if "cuda" in DEVICES:
    from numba import config as _numba_config

    if _numba_config.ENABLE_CUDASIM:
        # The simulator runs each CUDA thread as a Python thread and meets cuda.syncthreads() with a barrier; with
        # the interpreter's default 5 ms switch interval a barrier can cost several intervals. A short interval
        # made a training step of the XOR MLP ~8x faster (2.6 s -> 0.32 s).
        sys.setswitchinterval(5e-5)


@pytest.fixture(params=DEVICES)
def device(request):
    """The device a test's tensors live on: each test taking it runs on every device of TGNB_TEST_DEVICES."""
    return request.param


def pytest_collection_modifyitems(config, items):
    if "cpu" in DEVICES:
        return
    root = os.path.join(os.path.dirname(__file__), "cuda")
    keep, drop = [], []
    for item in items:
        on_device = "device" in getattr(item, "fixturenames", ()) or str(item.fspath).startswith(root)
        (keep if on_device else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
