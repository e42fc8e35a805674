"""CUDA batched matmul (shared-memory tiled kernel) against its CPU twin, float and integer dtypes."""
import importlib

import numpy as np
import pytest

from tinygradnb.kernels import cpu as C

from conftest import dev, host, rand, tol

G = importlib.import_module("tinygradnb.kernels.cuda.matmul")  # the package's `matmul` is the function
SHAPES = [(1, 1, 1, 1), (2, 5, 7, 3), (1, 17, 33, 9), (3, 0, 4, 2), (1, 4, 0, 3)]   # (B, M, K, N)
NAMES = ["matmul", "matmul_tiled", "matmul_tiled_parallel", "matmul_blas"]


def _operands(shape, dtype):
    nb, m, k, n = shape
    if np.dtype(dtype).kind == "i":
        rng = np.random.default_rng(3)
        return rng.integers(-50, 50, (nb, m, k)).astype(dtype), rng.integers(-50, 50, (nb, k, n)).astype(dtype)
    return rand((nb, m, k), dtype, seed=1), rand((nb, k, n), dtype, seed=2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("shape", SHAPES)
def test_matmul_matches_cpu(shape, dtype):
    a, b = _operands(shape, dtype)
    want = C.matmul_blas(a, b)
    got = G.matmul(dev(a), dev(b))
    assert got.dtype == dtype and got.shape == want.shape
    if np.dtype(dtype).kind == "i":
        np.testing.assert_array_equal(host(got), want)
    else:
        np.testing.assert_allclose(host(got), want, **tol(dtype))
        np.testing.assert_allclose(host(got), C.matmul_tiled(a, b), **tol(dtype))


@pytest.mark.parametrize("name", NAMES)
def test_every_name_runs_the_tiled_kernel(name):
    a, b = _operands((2, 5, 7, 3), np.float64)
    got = getattr(G, name)(dev(a), dev(b))
    np.testing.assert_allclose(host(got), getattr(C, name)(a, b), **tol(np.float64))
    np.testing.assert_array_equal(host(got), host(G.matmul_tiled(dev(a), dev(b))))   # same kernel, same bits


def test_int64_is_exact_beyond_float64():
    a = np.full((1, 2, 3), 2**40 + 1, np.int64)
    b = np.full((1, 3, 2), 2**12 + 3, np.int64)
    np.testing.assert_array_equal(host(G.matmul(dev(a), dev(b))), np.matmul(a, b))


def test_int32_stays_int32():
    a = np.full((1, 2, 3), 2**15, np.int32)
    b = np.full((1, 3, 2), 2**13 + 1, np.int32)
    got = G.matmul(dev(a), dev(b))
    assert got.dtype == np.int32
    np.testing.assert_array_equal(host(got), np.matmul(a, b))


def test_transposed_operand_as_the_op_layer_passes_it():
    # the backend materialises transposes: dA = dC·Bᵀ with Bᵀ a fresh C-contiguous array
    g, bt = rand((2, 5, 3), np.float32, seed=4), rand((2, 7, 3), np.float32, seed=5)
    want = np.matmul(g, np.ascontiguousarray(bt.transpose(0, 2, 1)))
    got = G.matmul(dev(g), dev(np.ascontiguousarray(bt.transpose(0, 2, 1))))
    np.testing.assert_allclose(host(got), want, **tol(np.float32))


def test_block_tiling_covers_the_tile():
    # an S × S thread grid with R × R outputs each covers the BM × BN tile; staging covers BM × BK and BK × BN
    assert G.S * G.S == G.ROW_THREADS and G.BM == G.BN == G.S * G.R
    assert G._A_LOADS * G.ROW_THREADS >= G.BM * G.BK and G.BK * G.BN == G.BM * G.BK


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_edges_of_several_tiles_and_k_steps(dtype):
    # M, N, K not multiples of BM, BN, BK, several tiles per batch and several batches striding over the blocks
    shape = (3, 2 * G.BM + 3, 2 * G.BK + 5, G.BN + 1)
    a, b = _operands(shape, dtype)
    got = host(G.matmul(dev(a), dev(b)))
    if np.dtype(dtype).kind == "i":
        np.testing.assert_array_equal(got, np.matmul(a, b))
    else:
        np.testing.assert_allclose(got, np.matmul(a.astype(np.float64), b.astype(np.float64)), **tol(dtype))


# ----------------------------------------------------------------------------- the op layer on the device
def test_op_mixed_dtypes_raise_and_integer_products_keep_their_dtype_on_the_device():
    """torch 2.13: matmul / linear of float32 with float64 (or an integer with a float) raise RuntimeError; int64 @
    int64 and an int64 linear give exact int64 results. The dtype check sits above the device seam."""
    import tinygradnb as tg
    import tinygradnb.nn.functional as F
    a = tg.ones(2, 3, device="cuda")
    with pytest.raises(RuntimeError, match="matmul: a has dtype float32 but b has dtype float64"):
        a @ tg.ones(3, 2, dtype=tg.float64, device="cuda")
    with pytest.raises(RuntimeError, match="linear: input has dtype float32 but weight has dtype int64"):
        F.linear(a, tg.ones(4, 3, dtype=tg.int64, device="cuda"))
    x = np.arange(6, dtype=np.int64).reshape(2, 3) * (2**30 + 1)
    w = np.arange(12, dtype=np.int64).reshape(4, 3) - 5
    xd, wd = tg.tensor(x, device="cuda"), tg.tensor(w, device="cuda")
    mm = xd @ wd.T
    assert mm.dtype == tg.int64 and mm.device == xd.device
    np.testing.assert_array_equal(mm.numpy(), x @ w.T)
    lin = F.linear(xd, wd, tg.tensor(np.arange(4, dtype=np.int64), device="cuda"))
    assert lin.dtype == tg.int64
    np.testing.assert_array_equal(lin.numpy(), x @ w.T + np.arange(4))


def test_einsum_and_named_products_on_cuda_match_cpu():
    import tinygradnb as tg
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((2, 2, 3, 4)), rng.standard_normal((2, 2, 5, 4))
    grads = []
    for device in ("cpu", "cuda"):
        tq = tg.tensor(q, device=device, requires_grad=True)
        tk = tg.tensor(k, device=device, requires_grad=True)
        out = tg.einsum("bhqd,bhkd->bhqk", tq, tk)
        (out * out).sum().backward()
        grads.append((out.numpy(), tq.grad.numpy(), tk.grad.numpy(),
                      tg.outer(tq[0, 0, 0], tk[0, 0, 0]).detach().numpy()))
    for c, g in zip(*grads):
        np.testing.assert_allclose(g, c, rtol=1e-10, atol=1e-12)
