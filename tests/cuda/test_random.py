"""CUDA counter-based random numbers against their CPU twins: uniform bit-exact, normal to libdevice rounding."""
import numpy as np
import pytest

from numba import cuda

from tinygradnb.kernels import cpu as C
from tinygradnb.kernels.cuda import random as G

from conftest import dev, host

# The CPU twin is given np.uint64(seed): numba types a Python int ≥ 2^63 as int64 and fails to convert it.
SEEDS = [0, 67280421310721, 2**64 - 1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape,offset", [((1,), 0), ((5, 7), 3), ((70,), 2**40), ((), 11)])
def test_uniform_is_bit_identical_to_cpu(shape, offset, seed, dtype):
    got = G.uniform(shape, dtype, seed, offset)
    want = C.uniform(shape, dtype, np.uint64(seed), offset)
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_array_equal(host(got), want)
    assert (host(got) >= 0).all() and (host(got) < 1).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape,offset", [((1,), 0), ((5, 7), 3), ((70,), 2**40)])
def test_normal_matches_cpu(shape, offset, seed, dtype):
    # libdevice log/cos/sqrt vs the CPU's libm: equal to a few ulps (float64), to float32 rounding (float32)
    got = G.normal(shape, dtype, seed, offset)
    want = C.normal(shape, dtype, np.uint64(seed), offset)
    assert got.dtype == dtype and got.shape == want.shape
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(host(got), want, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fill_in_place(dtype):
    out = cuda.device_array(37, dtype)
    assert G.uniform_fill(out, 5, 9, 24 if dtype == np.float32 else 53) is None
    ref = np.empty(37, dtype)
    C.uniform_fill(ref, 5, 9, 24 if dtype == np.float32 else 53)
    np.testing.assert_array_equal(host(out), ref)
    G.normal_fill(out, 5, 9)
    C.normal_fill(ref, 5, 9)
    np.testing.assert_allclose(host(out), ref, rtol=1e-6, atol=1e-6)


def test_uniform_counters_are_independent_of_the_launch():
    # number i depends only on (seed, offset + i): a longer draw starts with the shorter one
    long = host(G.uniform((100,), np.float64, 3, 0))
    np.testing.assert_array_equal(host(G.uniform((10,), np.float64, 3, 40)), long[40:50])


def test_empty_and_reexports():
    assert G.uniform((0, 3), np.float32, 1, 0).shape == (0, 3)
    assert G.normal((2, 0), np.float64, 1, 0).shape == (2, 0)
    for name in ("mix64", "stream_key", "bits64", "unit"):
        assert getattr(G, name) is getattr(C, name)


@pytest.mark.parametrize("replacement", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multinomial_draws_the_cpu_indices(replacement, dtype):
    p = np.random.default_rng(4).random((5, 7)).astype(dtype)
    p[1, :3] = 0
    p[2] = [0, 0, 1, 0, 0, 0, 0] if replacement else p[2]
    p[3, 2] = -1.0                                           # status 1
    out, status = G.multinomial(dev(p), 3, replacement, np.uint64(11), 5)
    want, want_status = C.multinomial(p, 3, replacement, np.uint64(11), 5)
    np.testing.assert_array_equal(host(status), want_status)
    np.testing.assert_array_equal(host(out), want)
    assert want_status[3] == 1


def test_multinomial_op_on_cuda_matches_cpu_and_checks_later():
    import tinygradnb as tg
    w = np.random.default_rng(5).random((4, 9))
    tg.manual_seed(2)
    cpu = tg.multinomial(tg.tensor(w), 3).tolist()
    tg.manual_seed(2)
    gpu = tg.multinomial(tg.tensor(w, device="cuda"), 3)
    assert gpu.device == "cuda" and gpu.tolist() == cpu
    out = tg.multinomial(tg.tensor([[1.0, -2.0]], device="cuda"), 1)      # queued: reported at the next read
    with pytest.raises(ValueError, match="negative, NaN or infinite"):
        out.tolist()
