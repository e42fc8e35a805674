"""matmul on every device: the op (all rank cases, broadcasting, gradients, dtypes, errors), the named products
(einsum, mm, bmm, mv, dot, outer) and, on the CPU, each of its kernel paths."""
import importlib

import numpy as np
import pytest

import tinygradnb as tg
import tinygradnb.nn.functional as F
from tinygradnb import device as _device
from tinygradnb.ops.matmul import matmul

from refgrad import check_grad

K = _device.backend("cpu")  # the flat kernel namespace: matmul, matmul_tiled, matmul_tiled_parallel, matmul_blas

# (shape of a, shape of b): every rank case of np.matmul, with size-1 and broadcast batch dimensions. Those of
# RANK_CASES run on every device; MORE_RANK_CASES run on the CPU only, as the device kernels they need (the batched
# product, its transposes and the sums over broadcast batch dimensions) are those of RANK_CASES, and each case costs
# a second under the CUDA simulator.
RANK_CASES = [
    ((3,), (3,)),                 # dot -> 0-d
    ((1, 3, 2), (4, 2, 3)),       # size-1 batch broadcasts
    ((3,), (2, 3, 4)),            # 1-D with batched
]
MORE_RANK_CASES = [
    ((1,), (1,)),
    ((4,), (4, 5)),               # vector · matrix
    ((2, 3, 4), (4, 5)),          # batch only on a
    ((4, 5), (5,)),               # matrix · vector
    ((2, 3), (3, 4)),
    ((1, 1), (1, 1)),
    ((1, 3), (3, 1)),
    ((2, 3, 4), (2, 4, 5)),       # batched
    ((4, 5), (2, 5, 3)),          # batch only on b
    ((2, 1, 3, 4), (5, 4, 2)),    # batch broadcast (2, 1) x (5,) -> (2, 5)
    ((2, 3, 4), (4,)),
]


def rand(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("sa,sb", RANK_CASES)
def test_forward_and_gradients(sa, sb, device):
    check_grad(matmul, np.matmul, [rand(sa, seed=1), rand(sb, seed=2)], device)


@pytest.mark.parametrize("sa,sb", MORE_RANK_CASES)
def test_forward_and_gradients_of_more_ranks(sa, sb):
    test_forward_and_gradients(sa, sb, "cpu")


def test_gradient_formula_and_one_side(device):
    a, b = rand((2, 3, 4), seed=5), rand((4, 5), seed=6)
    ta, tb = tg.tensor(a, device=device, requires_grad=True), tg.tensor(b, device=device)
    g = rand((2, 3, 5), seed=7)
    matmul(ta, tb).backward(tg.tensor(g, device=device))
    np.testing.assert_allclose(ta.grad.numpy(), g @ b.T, rtol=1e-12)
    assert tb.grad is None
    ta2, tb2 = tg.tensor(a, device=device), tg.tensor(b, device=device, requires_grad=True)
    matmul(ta2, tb2).backward(tg.tensor(g, device=device))
    np.testing.assert_allclose(tb2.grad.numpy(), np.einsum("bik,bij->kj", a, g), rtol=1e-12)
    assert tb2.grad.shape == (4, 5)


def test_non_contiguous_operands(device):
    # transposed and strided operands (the CUDA backend materialises them) and their gradients
    a, b = rand((2, 7, 5), seed=4), rand((2, 7, 6), seed=5)
    check_grad(lambda a, b: matmul(a.transpose(1, 2), b[:, :, ::2]),
               lambda a, b: np.matmul(a.transpose(0, 2, 1), b[:, :, ::2]), [a, b], device)


@pytest.mark.parametrize("sa,sb", [((2, 0), (0, 3)), ((2, 3, 0), (0, 4)), ((0,), (0,))])
def test_k_zero_gives_zeros(sa, sb, device):
    out = matmul(tg.tensor(np.ones(sa), device=device), tg.tensor(np.ones(sb), device=device))
    ref = np.matmul(np.ones(sa), np.ones(sb))
    assert out.shape == ref.shape
    np.testing.assert_array_equal(out.numpy(), np.zeros(ref.shape))


@pytest.mark.parametrize("sa,sb", [((0, 3), (3, 4)), ((2, 3), (3, 0)), ((0, 2, 3), (3, 4))])
def test_empty_outputs_and_their_gradients(sa, sb, device):
    a = tg.tensor(np.ones(sa), device=device, requires_grad=True)
    b = tg.tensor(np.ones(sb), device=device, requires_grad=True)
    out = matmul(a, b)
    assert out.shape == np.matmul(np.ones(sa), np.ones(sb)).shape
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.zeros(sa))
    np.testing.assert_array_equal(b.grad.numpy(), np.zeros(sb))


def test_float32_forward(device):
    a, b = rand((3, 17, 33), np.float32, 8), rand((33, 9), np.float32, 9)
    out = matmul(tg.tensor(a, device=device), tg.tensor(b, device=device))
    assert out.dtype == tg.float32
    np.testing.assert_allclose(out.numpy(), a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


def _tile(device):
    """(BM, BK, BN): the CUDA kernel's tile of C and its k-step (the simulator's on the CPU)."""
    if device != "cuda":
        return 16, 8, 16
    G = importlib.import_module("tinygradnb.kernels.cuda.matmul")  # the package's `matmul` is the function
    # an S × S thread grid with R × R outputs each covers the BM × BN tile; staging covers BM × BK and BK × BN
    assert G.S * G.S == G.ROW_THREADS and G.BM == G.BN == G.S * G.R
    assert G._A_LOADS * G.ROW_THREADS >= G.BM * G.BK and G.BK * G.BN == G.BM * G.BK
    return G.BM, G.BK, G.BN


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_edges_of_several_tiles_and_k_steps(dtype, device):
    # M, N, K not multiples of the tile, several tiles and k-steps per batch, more tiles than blocks
    bm, bk, bn = _tile(device)
    rng = np.random.default_rng(3)
    sa, sb = (2, bm + 3, 2 * bk + 5), (2 * bk + 5, bn + 1)
    if dtype.startswith("int"):
        a, b = (rng.integers(-50, 50, s).astype(dtype) for s in (sa, sb))
    else:
        a, b = (rng.standard_normal(s).astype(dtype) for s in (sa, sb))
    out = matmul(tg.tensor(a, device=device), tg.tensor(b, device=device))
    assert out.dtype == dtype and out.shape == (2, bm + 3, bn + 1)
    if dtype.startswith("int"):
        np.testing.assert_array_equal(out.numpy(), np.matmul(a, b))
    else:
        tol = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(out.numpy(), np.matmul(a.astype(np.float64), b), rtol=tol, atol=tol)


# torch 2.13 does not promote in matrix products: every mix of float32, float64, int32 and int64, in every rank
# case, raises RuntimeError ("expected m1 and m2 to have the same dtype, but got: float != double"; "dot : expected
# both vectors to have same dtype"; "expected scalar type Float but found Double" for batched operands).
MIXES = [("float32", "float64"), ("float64", "float32"), ("int64", "float32"), ("float64", "int64"),
         ("int32", "int64"), ("int32", "float32")]


@pytest.mark.parametrize("da,db", MIXES)
@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                                   ((5, 2, 3), (5, 3, 4)), ((2, 3), (5, 3, 4))])
def test_error_mixed_dtypes(da, db, sa, sb, device):
    a, b = tg.ones(*sa, dtype=da, device=device), tg.ones(*sb, dtype=db, device=device)
    msg = rf"matmul: a has dtype {da} but b has dtype {db}; expected both to have the same dtype"
    with pytest.raises(RuntimeError, match=msg):
        matmul(a, b)
    with pytest.raises(RuntimeError, match=msg):
        a @ b


def test_error_mixed_dtypes_quotes_pytorch_and_records_nothing(device):
    a = tg.ones(2, 3, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match=r"expected m1 and m2 to have the same dtype, but got: float != double\); "
                                           r"convert one with \.to\(dtype\)"):
        a @ tg.ones(3, 2, dtype=tg.float64, device=device)
    with pytest.raises(RuntimeError, match=r"but got: long int != int\)"):
        tg.ones(2, 3, dtype=tg.int64, device=device) @ tg.ones(3, 2, dtype=tg.int32, device=device)
    assert a.grad is None
    # an explicit conversion is the way to mix them (the gradient returns in each input's dtype)
    b = tg.tensor(rand((3, 2), np.float64, 11), requires_grad=True, device=device)
    (a.to(tg.float64) @ b).sum().backward()
    assert a.grad.dtype == tg.float32 and b.grad.dtype == tg.float64


@pytest.mark.parametrize("dt,sa,sb", [("int32", (3,), (3,)), ("int64", (2, 3), (5, 3, 4))])
def test_integer_matmul_keeps_its_dtype(dt, sa, sb, device):
    # torch 2.13 (CPU): int64 @ int64 -> int64, int32 @ int32 -> int32, exact, in every rank case
    a = np.random.default_rng(0).integers(-9, 9, sa).astype(dt)
    b = np.random.default_rng(1).integers(-9, 9, sb).astype(dt)
    out = matmul(tg.tensor(a, device=device), tg.tensor(b, device=device))
    assert out.dtype == dt and out.shape == np.matmul(a, b).shape
    np.testing.assert_array_equal(out.numpy(), np.matmul(a, b))


@pytest.mark.parametrize("dt", ["int32", "int64"])
@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                                   ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4))])
def test_integer_matmul_keeps_its_dtype_more(dt, sa, sb):
    test_integer_matmul_keeps_its_dtype(dt, sa, sb, "cpu")


def test_integer_matmul_is_exact_beyond_float64(device):
    a = tg.full((2, 3), 2**40 + 1, dtype=tg.int64, device=device)
    b = tg.full((3, 2), 2**12 + 3, dtype=tg.int64, device=device)
    np.testing.assert_array_equal((a @ b).numpy(), np.full((2, 2), 3 * (2**40 + 1) * (2**12 + 3), np.int64))


def test_array_operand_is_converted(device):
    a = rand((2, 3), seed=12)
    b = rand((3, 2), seed=13)
    np.testing.assert_allclose(matmul(tg.tensor(a, device=device), b).numpy(), a @ b, rtol=1e-12)
    # the array keeps its own dtype, so the same-dtype rule applies to it
    with pytest.raises(RuntimeError, match=r"matmul: a has dtype float32 but b has dtype float64"):
        matmul(tg.tensor(a.astype(np.float32), device=device), b)


def test_no_grad_records_nothing(device):
    a = tg.tensor(rand((2, 2)), requires_grad=True, device=device)
    with tg.no_grad():
        out = matmul(a, a)
    assert not out.requires_grad and out.is_leaf


# ----------------------------------------------------------------------------- the kernel paths
PATHS = [K.matmul, K.matmul_tiled, K.matmul_tiled_parallel, K.matmul_blas]
KERNEL_SHAPES = [(1, 1, 1, 1), (1, 7, 7, 7), (3, 33, 65, 17), (2, 65, 33, 1), (1, 1, 129, 65), (1, 5, 3, 513),
                 (4, 66, 130, 7), (1, 67, 0, 5), (2, 0, 3, 4), (0, 2, 3, 4), (70, 2, 3, 2)]


@pytest.mark.parametrize("path", PATHS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", KERNEL_SHAPES, ids=str)
def test_kernel_paths_match_numpy(path, shape):
    nb, m, k, n = shape
    for dt, tol in ((np.float64, 1e-12), (np.float32, 1e-4)):
        a, b = rand((nb, m, k), dt, 14), rand((nb, k, n), dt, 15)
        out = path(a, b)
        assert out.shape == (nb, m, n) and out.dtype == dt
        np.testing.assert_allclose(out, np.matmul(a.astype(np.float64), b.astype(np.float64)), rtol=tol,
                                   atol=tol * max(k, 1))


def test_kernel_crossing_block_boundaries():
    # k crosses the 128-deep block and n the 512-wide block (padded rows); m = 13 uses the 8-, 4- and 1-row blocks.
    a, b = rand((1, 13, 131), seed=16), rand((1, 131, 515), seed=17)
    for path in (K.matmul_tiled, K.matmul_tiled_parallel):
        np.testing.assert_allclose(path(a, b), a @ b, rtol=1e-12, atol=1e-11)


@pytest.mark.parametrize("name", ["matmul", "matmul_tiled", "matmul_tiled_parallel", "matmul_blas"])
def test_every_kernel_name_of_the_device_multiplies(name, device):
    """Each device's kernels offer the CPU's four matmul names (the op calls ``matmul``; on cuda the other three
    are the same tiled kernel)."""
    x, y = rand((2, 5, 7), seed=1), rand((2, 7, 3), seed=2)
    out = getattr(_device.backend(device), name)(tg.tensor(x, device=device)._data, tg.tensor(y, device=device)._data)
    np.testing.assert_allclose(_device.read(device, out), x @ y, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- errors
# torch 2.13 raises RuntimeError for every shape that cannot be multiplied ("both arguments to matmul need to be at
# least 1D", "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)", batch sizes that do not match) and
# TypeError for a Python number (``x @ 2.0``).
def test_error_0d_a(device):
    with pytest.raises(RuntimeError, match=r"matmul: a is 0-d"):
        matmul(tg.tensor(2.0, device=device), tg.tensor(np.ones(3), device=device))


def test_error_0d_b(device):
    with pytest.raises(RuntimeError, match=r"matmul: b is 0-d"):
        matmul(tg.tensor(np.ones(3), device=device), tg.tensor(2.0, device=device))


@pytest.mark.parametrize("scalar", [2.0, 3, True, np.float32(2.0), None])
def test_error_python_number_operand(scalar, device):
    with pytest.raises(TypeError, match=r"matmul: b must be a Tensor or an array, got"):
        matmul(tg.ones(2, 2, device=device), scalar)
    with pytest.raises(TypeError, match=r"matmul: b must be a Tensor or an array"):
        tg.ones(2, 2, device=device) @ scalar
    with pytest.raises(TypeError, match=r"matmul: a must be a Tensor or an array"):
        scalar @ tg.ones(2, 2, device=device)


def test_error_inner_mismatch(device):
    msg = (r"matmul: a has shape \(2, 3\) and b has shape \(4, 5\): inner dimensions 3 and 4 differ "
           r"\(expected a\[\.\.\., k\] and b\[\.\.\., k, n\]; "
           r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)\)")
    with pytest.raises(RuntimeError, match=msg):
        matmul(tg.tensor(np.ones((2, 3)), device=device), tg.tensor(np.ones((4, 5)), device=device))


def test_error_inner_mismatch_vectors(device):
    with pytest.raises(RuntimeError, match=r"inner dimensions 3 and 4 differ"):
        matmul(tg.tensor(np.ones(3), device=device), tg.tensor(np.ones(4), device=device))


def test_error_batch_does_not_broadcast(device):
    with pytest.raises(RuntimeError, match=r"a has shape \(2, 3, 4\) and b has shape \(3, 4, 5\): batch dimensions "
                                           r"\(2,\) and \(3,\) do not broadcast"):
        matmul(tg.tensor(np.ones((2, 3, 4)), device=device), tg.tensor(np.ones((3, 4, 5)), device=device))


def test_error_bool(device):
    with pytest.raises(TypeError, match=r"matmul: a has dtype bool"):
        matmul(tg.tensor(np.ones((2, 2), bool), device=device), tg.tensor(np.ones((2, 2)), device=device))


def test_error_no_tensor():
    with pytest.raises(TypeError, match=r"matmul: expected a Tensor operand"):
        matmul(np.ones((2, 2)), np.ones((2, 2)))


# ---------------------------------------------------------------------------------------------------- named products
# EINSUM on every device, MORE_EINSUM on the CPU only (the same device kernels: products, transposes, sums)
EINSUM = [("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ijk,k->ij", [(2, 3, 0), (0,)])]
MORE_EINSUM = [("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("ij,jk->ik", [(2, 3), (3, 4)]),
               ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("i,j->ij", [(3,), (4,)]), ("ij->ji", [(2, 3)]),
               ("ij->", [(2, 3)]), ("ij,ij->i", [(2, 3), (2, 3)]), ("ij,jk", [(2, 3), (3, 4)]),
               ("abc,cd->abd", [(2, 3, 4), (4, 5)]), ("ij,kj->ikj", [(2, 3), (4, 3)]), ("i,i->", [(3,), (3,)])]


@pytest.mark.parametrize("eq,shapes", MORE_EINSUM, ids=[e for e, _ in MORE_EINSUM])
def test_einsum_against_numpy_more(eq, shapes):
    test_einsum_against_numpy(eq, shapes, "cpu")


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_against_numpy(eq, shapes, device):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    check_grad(lambda *xs: tg.einsum(eq, *xs), lambda *xs: np.einsum(eq, *xs), arrays, device)
    want = np.einsum(eq, *arrays)
    out = tg.einsum(eq, [tg.tensor(a, device=device) for a in arrays])      # operands as one list
    assert out.shape == want.shape
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-12)


def test_einsum_errors(device):
    a = tg.ones(2, 3, device=device)
    with pytest.raises(ValueError, match="operand"):
        tg.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="do not match"):
        tg.einsum("ijk->i", a)
    with pytest.raises(RuntimeError, match="size 3 and 2"):
        tg.einsum("ij,jk->ik", a, tg.ones(2, 2, device=device))
    with pytest.raises(ValueError, match="ellipsis"):
        tg.einsum("...j->j", a)
    with pytest.raises(ValueError, match="diagonal"):
        tg.einsum("ii->i", tg.ones(2, 2, device=device))


def test_mm_bmm_mv_dot_outer_follow_torch(device):
    rng = np.random.default_rng(1)
    a, b, v, w = (rng.standard_normal(s) for s in ((2, 3), (3, 4), (3,), (3,)))
    ta, tb, tv, tw = (tg.tensor(x, requires_grad=True, device=device) for x in (a, b, v, w))
    np.testing.assert_allclose(tg.mm(ta, tb).numpy(), a @ b)
    np.testing.assert_allclose(ta.mv(tv).numpy(), a @ v)
    assert tg.dot(tv, tw).shape == () and np.isclose(tg.dot(tv, tw).item(), v @ w)
    np.testing.assert_allclose(tv.outer(tw).numpy(), np.outer(v, w))
    x, y = rng.standard_normal((2, 2, 3)), rng.standard_normal((2, 3, 4))
    np.testing.assert_allclose(tg.bmm(tg.tensor(x, device=device), tg.tensor(y, device=device)).numpy(), x @ y)
    check_grad(lambda p, q: tg.outer(p, q) + tg.dot(p, q), lambda p, q: np.outer(p, q) + p @ q, [v, w], device)
    # torch 2.13: RuntimeError for wrong ranks, no broadcasting in mm/bmm, unequal dot lengths
    for bad in (lambda: tg.mm(ta, tv),
                lambda: tg.bmm(tg.ones(2, 2, 3, device=device), tg.ones(1, 3, 4, device=device)),
                lambda: tg.mv(ta, tb), lambda: tg.dot(tv, tg.ones(2, dtype=tg.float64, device=device)),
                lambda: tg.outer(ta, tv)):
        with pytest.raises(RuntimeError):
            bad()


def test_linear_mixed_dtypes_raise_and_integer_products_keep_their_dtype(device):
    """torch 2.13: linear of float32 with an int64 weight raises RuntimeError; int64 @ int64 and an int64 linear
    give exact int64 results (here beyond float64's 53 bits)."""
    a = tg.ones(2, 3, device=device)
    with pytest.raises(RuntimeError, match="linear: input has dtype float32 but weight has dtype int64"):
        F.linear(a, tg.ones(4, 3, dtype=tg.int64, device=device))
    x = np.arange(6, dtype=np.int64).reshape(2, 3) * (2**30 + 1)
    w = np.arange(12, dtype=np.int64).reshape(4, 3) - 5
    xd, wd = tg.tensor(x, device=device), tg.tensor(w, device=device)
    mm = xd @ wd.T
    assert mm.dtype == tg.int64 and mm.device == device
    np.testing.assert_array_equal(mm.numpy(), x @ w.T)
    lin = F.linear(xd, wd, tg.tensor(np.arange(4, dtype=np.int64), device=device))
    assert lin.dtype == tg.int64
    np.testing.assert_array_equal(lin.numpy(), x @ w.T + np.arange(4))


@pytest.mark.parametrize("rows", [1, 3])
def test_linear_forward_and_gradients_for_one_and_more_rows(device, rows):
    """F.linear against NumPy float64 for 1 row (the CPU's own one-row backward kernel) and 3 (BLAS), with
    and without bias; the gradients by central differences, and in float32 against the float64 values; an input
    that needs no gradient gets none (only dW and db are computed)."""
    rng = np.random.default_rng(rows)
    x, w, bias = rng.standard_normal((rows, 5)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    check_grad(F.linear, lambda x, w, b: x @ w.T + b, [x, w, bias], device)
    check_grad(F.linear, lambda x, w: x @ w.T, [x, w], device)
    g = rng.standard_normal((rows, 4))
    tx = tg.tensor(x, dtype=tg.float32, device=device)
    tw = tg.tensor(w, dtype=tg.float32, device=device, requires_grad=True)
    tb = tg.tensor(bias, dtype=tg.float32, device=device, requires_grad=True)
    F.linear(tx, tw, tb).backward(tg.tensor(g, dtype=tg.float32, device=device))
    assert tx.grad is None and tw.grad.dtype == tg.float32 and tb.grad.dtype == tg.float32
    np.testing.assert_allclose(tw.grad.numpy(), g.T @ x, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tb.grad.numpy(), g.sum(0), rtol=1e-5, atol=1e-5)


def test_linear_over_several_tiles_with_ragged_edges(device):
    """F.linear forward and backward in float64 against NumPy for sizes that cross the GPU kernel's tiles in every
    dimension with partial edge tiles (the weight and gᵀ are read transposed in place there)."""
    rng = np.random.default_rng(7)
    x, w, bias, g = (rng.standard_normal(s) for s in ((37, 21), (19, 21), (19,), (37, 19)))
    tx, tw, tb = (tg.tensor(a, device=device, requires_grad=True) for a in (x, w, bias))
    y = F.linear(tx, tw, tb)
    np.testing.assert_allclose(y.numpy(), x @ w.T + bias, rtol=1e-12, atol=1e-12)
    y.backward(tg.tensor(g, device=device))
    np.testing.assert_allclose(tx.grad.numpy(), g @ w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tw.grad.numpy(), g.T @ x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), g.sum(0), rtol=1e-12, atol=1e-12)
