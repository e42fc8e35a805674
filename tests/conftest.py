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


def pytest_configure(config):
    config.addinivalue_line("markers", "device_sample(k): of a parametrized test's cases, every one runs on the CPU "
                                       "and one in k (a deterministic spread) on the other devices")


def _kept(item, root, counters):
    device = getattr(item, "callspec", None) and item.callspec.params.get("device")
    if "cpu" not in DEVICES and not device and not str(item.fspath).startswith(root):
        return False                      # a device-only run keeps the tests that take `device`, and tests/cuda
    mark = item.get_closest_marker("device_sample")
    if mark is None or device in (None, "cpu"):
        return True
    key = (item.module.__name__, item.originalname, device)
    counters[key] = counters.get(key, -1) + 1
    return counters[key] % mark.args[0] == 0


def pytest_collection_modifyitems(config, items):
    root = os.path.join(os.path.dirname(__file__), "cuda")
    counters = {}
    keep, drop = [], []
    for item in items:
        (keep if _kept(item, root, counters) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
