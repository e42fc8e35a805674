"""The issue #12 reductions on cuda: the scan and sort kernels (cumsum, cumprod, cumprod_backward, argsort) against
their CPU twins, and std, logsumexp, norm, any/all, cumsum/cumprod, sort/argsort/topk, cosine_similarity and
normalize against the CPU, values and gradients, with gradcheck on the device."""
import numpy as np
import pytest

import tinygradnb as tg
import tinygradnb.nn.functional as F
from tinygradnb.kernels import cpu as C
from tinygradnb.kernels.cuda import reduce as G

from conftest import dev, host, rand, tol


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_scan_kernels_match_cpu(axis, dtype):
    x = (rand((3, 17, 2), np.float64, seed=axis) * 2).astype(dtype)
    for reverse in (False, True):
        got = G.cumsum(dev(x), axis, reverse)
        assert got.dtype == x.dtype and got.shape == x.shape
        np.testing.assert_allclose(host(got), C.cumsum(x, axis, reverse), **tol(dtype if dtype != np.int64
                                                                                 else np.float64))
    got = G.cumprod(dev(x), axis)
    np.testing.assert_allclose(host(got), C.cumprod(x, axis), **tol(dtype if dtype != np.int64 else np.float64))
    assert G.cumsum(dev(np.zeros((2, 0), dtype)), 1, False).shape == (2, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cumprod_backward_kernel_matches_cpu(dtype):
    x = rand((4, 6), np.float64, seed=3)
    x[0, 2] = x[1, 0] = x[2, 5] = 0.0
    x[3, 1] = x[3, 4] = 0.0                                   # two zeros in one line
    x = x.astype(dtype)
    y = C.cumprod(x, 1)
    g = rand((4, 6), dtype, seed=4)
    got = G.cumprod_backward(dev(x), dev(y), dev(g), 1)
    np.testing.assert_allclose(host(got), C.cumprod_backward(x, y, g, 1), **tol(dtype))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("axis", [0, 1])
def test_argsort_kernel_matches_cpu(axis, dtype):
    x = np.round(rand((5, 19), np.float64, seed=5) * 2)         # many ties
    if dtype != np.int64:
        x[1, 3] = x[2, 3] = x[1, 7] = np.nan
    x = x.astype(dtype)
    for descending in (False, True):
        got = G.argsort(dev(x), axis, descending)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(host(got), C.argsort(x, axis, descending))


def _c(a, grad=False, device="cuda"):
    return tg.tensor(a, device=device, requires_grad=grad)


A = np.random.default_rng(0).standard_normal((3, 4))
A0 = A.copy()
A0[1] = 0.0
A0[2, 1] = 0.0
OPS = {
    "std": (lambda x: tg.std(x, dim=1) + tg.std(x, correction=0), A0),
    "logsumexp": (lambda x: tg.logsumexp(x, (0, 1)) + tg.logsumexp(x, 1, keepdim=True).sum(), A),
    "norm_2": (lambda x: tg.norm(x, dim=1), A0),
    "norm_p": (lambda x: tg.norm(x, 3, 1) + tg.norm(x, 1.5, 0).sum() + tg.norm(x, 1), A),
    "norm_inf": (lambda x: tg.norm(x, float("inf"), 1) + tg.norm(x, -float("inf"), 0).sum(), A),
    "cumsum": (lambda x: tg.cumsum(x, 1) * tg.cumsum(x, 0), A),
    "cumprod": (lambda x: tg.cumprod(x, 1) + tg.cumprod(x, 0), A0),
    "sort": (lambda x: tg.sort(x, 1).values * tg.sort(x, 0, descending=True).values, A),
    "topk": (lambda x: tg.topk(x, 2, 1).values.sum() + tg.topk(x, 1, 0, largest=False).values.sum(), A),
    "cosine_similarity": (lambda x: F.cosine_similarity(x, x[:1] * 2 + 1, 1), A),
    "normalize": (lambda x: F.normalize(x, 2, 1) + F.normalize(x, 1, 0), A),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_reductions_on_cuda_match_cpu_and_gradcheck(name):
    fn, a = OPS[name]
    outs, grads = [], []
    for device in ("cpu", "cuda"):
        x = _c(a, True, device)
        out = fn(x)
        out.backward(tg.ones_like(out))
        outs.append(out.numpy())
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-9, atol=1e-12)
    if name not in ("std", "norm_2", "cumprod"):    # those sit at 0 on purpose (torch's gradients there)
        assert tg.gradcheck(fn, [_c(a, True)])


def test_any_all_sort_indices_on_cuda():
    a = np.array([[0.0, np.nan, 2.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
    x = _c(a)
    assert tg.any(x, 1).tolist() == [True, False] and tg.all(x, 1).tolist() == [False, False]
    assert tg.all(_c(np.ones((2, 2))), (0, 1), keepdim=True).shape == (1, 1)
    r = tg.sort(x, 1, descending=True, stable=True)
    assert r.indices.tolist() == [[1, 2, 3, 0], [0, 1, 2, 3]]
    assert tg.argsort(tg.tensor([True, False, True], device="cuda")).tolist() == [1, 0, 2]
    assert tg.cumsum(tg.tensor([1, 2, 3], dtype=tg.int32, device="cuda"), 0).dtype == tg.int64
    assert tg.cumprod(tg.tensor([2., 0, 3, 0, 5], dtype=tg.float64, device="cuda"), 0).tolist() == [2.0, 0, 0, 0, 0]
