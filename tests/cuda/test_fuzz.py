"""The differential fuzz tables of tests/test_fuzz.py on the ``cuda`` device: every op's values, dtypes, shapes,
gradients, non-contiguous views and bad calls against NumPy float64 and (when importable) torch on the CPU, with
the tinygradnb tensors on ``cuda``. The simulator is slow, so each family draws a few examples only."""
import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import tinygradnb as tg

from conftest import cuda  # noqa: F401  (skips this module without a CUDA device)


def _load_tables():
    """tests/test_fuzz.py under a name of its own: this file is ``test_fuzz`` on sys.path too."""
    name = "tinygradnb_fuzz_tables"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "test_fuzz.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


fz = _load_tables()
FEW = settings(fz.FUZZ, max_examples=20)
DEVICE = "cuda"


@pytest.mark.parametrize("name", fz.ELEMENTWISE)
@FEW
@given(data=st.data())
def test_elementwise(name, data):
    fz.check(data.draw(fz.ELEMENTWISE[name], label=name), DEVICE)


@pytest.mark.parametrize("name", fz.REDUCTIONS)
@FEW
@given(data=st.data())
def test_reductions(name, data):
    fz.check(data.draw(fz.REDUCTIONS[name], label=name), DEVICE)


@FEW
@given(case=fz.matmul_case())
def test_matmul(case):
    fz.check(case, DEVICE)


@settings(FEW, max_examples=40)
@given(case=fz.getitem_case())
def test_getitem(case):
    fz.check(case, DEVICE)


@settings(FEW, max_examples=40)
@given(case=fz.setitem_case())
def test_setitem(case):
    fz.check(case, DEVICE)


@pytest.mark.parametrize("name", fz.SHAPE_OPS)
@FEW
@given(data=st.data())
def test_shape_ops(name, data):
    fz.check(data.draw(fz.SHAPE_OPS[name], label=name), DEVICE)


@pytest.mark.parametrize("name", fz.FUNCTIONAL)
@FEW
@given(data=st.data())
def test_functional(name, data):
    fz.check(data.draw(fz.FUNCTIONAL[name], label=name), DEVICE)


@pytest.mark.parametrize("name", fz.BAD_CALLS)
@settings(FEW, max_examples=4)
@given(data=st.data())
def test_bad_calls(name, data):
    fz.check_bad(*data.draw(fz.BAD_CALLS[name], label=name), DEVICE)


def test_torch_placement_of_advanced_indices():
    """As in tests/test_fuzz.py, on the device."""
    z = lambda *s: tg.zeros(*s, device=DEVICE)     # noqa: E731
    assert z(2, 3, 4, 5)[0, :, [1, 2]].shape == (3, 2, 5)
    assert z(2, 3, 4, 5)[0, :, tg.tensor([1, 2], device=DEVICE), :].shape == (3, 2, 5)
    assert z(4, 2, 2)[:, [0, 1], ..., [0, 1]].shape == (4, 2)
