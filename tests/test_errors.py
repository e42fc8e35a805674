"""Bad input raises a clear error naming the argument, what it got and what was expected."""
import numpy as np
import pytest

import tinygradnb as tg
import tinygradnb.nn.functional as F
from tinygradnb.device import backend


def test_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\) do not broadcast"):
        tg.ones(2, 3) + tg.ones(4)
    with pytest.raises(ValueError, match=r"where"):
        tg.where(tg.ones(5) > 0, tg.ones(2, 3), tg.zeros(2, 3))


@pytest.mark.parametrize("dtype", [np.float16, np.complex64, np.uint8, "U3", object])
def test_unsupported_dtype(dtype):
    with pytest.raises(TypeError, match=r"expected one of float32, float64, int32, int64, bool"):
        tg.tensor(np.zeros(2, dtype=dtype))


def test_unsupported_dtype_argument_and_data():
    with pytest.raises(TypeError, match="dtype"):
        tg.zeros(2, dtype="float16")
    with pytest.raises(TypeError, match="data"):
        tg.tensor(["a", "b"])
    with pytest.raises(TypeError, match="rand: dtype must be float32 or float64"):
        tg.rand(2, dtype=tg.int64)


def test_index_out_of_range():
    x = tg.ones(3, 2)
    with pytest.raises(IndexError, match=r"index 5 is out of bounds.*tensor of shape \(3, 2\)"):
        x[5]
    with pytest.raises(IndexError, match=r"out of bounds"):
        x[tg.tensor([0, 3])]
    with pytest.raises(IndexError, match=r"integer or bool"):
        x[tg.tensor([0.0, 1.0])]
    with pytest.raises(IndexError):
        x[0, 0, 0]


def test_axis_out_of_range():
    with pytest.raises(IndexError, match=r"axis: 2 is out of range for a tensor with 2 dimension"):
        tg.ones(2, 3).sum(axis=2)
    with pytest.raises(ValueError, match="repeated axis"):
        tg.ones(2, 3).sum(axis=(0, 0))


def test_bad_shapes_for_views():   # torch 2.13 raises RuntimeError for each
    with pytest.raises(RuntimeError,
                       match=r"reshape: shape \(4, -1\) is invalid for a tensor of shape \(2, 3\) \(6 elements\)"):
        tg.ones(2, 3).reshape(4, -1)
    with pytest.raises(RuntimeError, match="permutation"):
        tg.ones(2, 3).permute(0, 0)
    with pytest.raises(RuntimeError, match=r"dimension 1 of size 3 cannot expand to 4"):
        tg.ones(2, 3).expand(2, 4)
    with pytest.raises(RuntimeError, match=r"concat: tensors\[1\] has shape \(2, 4\), expected \(2, 3\)"):
        tg.concat([tg.ones(2, 3), tg.ones(2, 4)], axis=0)
    with pytest.raises(RuntimeError, match=r"stack: tensors\[1\] has shape"):
        tg.stack([tg.ones(2), tg.ones(3)])


def test_bad_device_and_values():
    with pytest.raises(ValueError, match="device: expected one of"):
        tg.zeros(2, device="tpu")
    with pytest.raises(ValueError, match="one element"):
        tg.ones(2).item()
    with pytest.raises(ValueError, match="sizes must be non-negative"):
        tg.zeros(-1)
    with pytest.raises(ValueError, match="clamp"):
        tg.ones(2).clamp()


def test_gradcheck_reports_a_wrong_gradient():
    class BadSquare(tg.Function):
        def forward(self, x):
            self.x = x
            return self.b.multiply(x, x)

        def backward(self, g):
            return self.b.multiply(g, self.x)  # should be 2·x·g

    x = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(tg.GradcheckError, match=r"inputs\[0\].*analytic"):
        tg.gradcheck(lambda t: BadSquare.apply(t), [x])
    with pytest.raises(tg.GradcheckError, match=r"fast mode.*random direction"):
        tg.gradcheck(lambda t: BadSquare.apply(t), [x], fast_mode=True)
    assert tg.gradcheck(lambda t, u: (t * t * u).sum(), [x, tg.tensor([0.5, 3.0], dtype=tg.float64,
                                                                      requires_grad=True)], fast_mode=True)
    with pytest.raises(TypeError, match="float64"):
        tg.gradcheck(lambda t: t * 2, [tg.ones(2, requires_grad=True)])


@pytest.mark.parametrize("n", [0, 1, 7, 300])
def test_index_stats_kernel_against_numpy(n):
    a = np.random.default_rng(n).integers(-3, 9, n).astype(np.int64)
    for skip, has_skip in [(-100, True), (2, True), (0, False)]:
        kept = a[a != skip] if has_skip else a
        want = [kept.min(), kept.max(), kept.size] if kept.size else [np.iinfo(np.int64).max,
                                                                      np.iinfo(np.int64).min, 0]
        got = backend("cpu").index_stats(a, skip, has_skip)
        assert got.dtype == np.int64 and got.tolist() == want


def test_cpu_argument_checks_raise_at_the_call():
    z = tg.zeros(2, 3)
    with pytest.raises(ValueError, match=r"target holds class index 3, outside \[0, 3\)"):
        F.cross_entropy(z, tg.tensor([0, 3]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        tg.nn.functional.embedding(tg.tensor([-1]), tg.zeros(4, 2))


@pytest.mark.parametrize("dim", [1.5, "a", True, np.bool_(True), (0, 1.0), [0, "1"], (0, True), {0}])
def test_axis_of_the_wrong_type_is_a_type_error_naming_it(dim):
    # torch 2.13: TypeError for x.sum(dim=1.5), dim="a", dim=True and (0, 1.0)
    x = tg.ones(2, 3)
    with pytest.raises(TypeError, match=r"dim: expected an int or a tuple of ints, got"):
        x.sum(dim=dim)
    with pytest.raises(TypeError, match=r"dim: expected an int or a tuple of ints, got"):
        x.transpose(0, dim)


def test_numpy_integer_axes_are_ints():
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    # torch 2.13: x.sum(dim=np.int32(1)) == [6., 15.]; x.sum(dim=(np.int64(0), 1)) == 21.
    assert x.sum(dim=np.int32(1)).tolist() == [6.0, 15.0]
    assert x.sum(dim=(np.int64(0), 1)).item() == 21.0
    assert x.sum(dim=[np.int64(-1)]).tolist() == [6.0, 15.0]
    assert x.transpose(np.int64(0), 1).shape == (3, 2)
